"""The restore drill rules through the CrossGuard pack: every asset class drilled in prod, failed drills found."""

from __future__ import annotations

from typing import Any

from tests.policies.test_rules import DYN, check_stack, resource

BACKUP = DYN + "CinderBackup"
DRILL = DYN + "CinderRestoreDrill"
SNAPSHOT = DYN + "IbmSnapshot"


def test_a_prod_class_backed_up_without_a_drill_is_named() -> None:
    found = check_stack(
        "restore-drill-every-asset-class",
        [resource("prod", BACKUP, "db-backup", {}), resource("prod", SNAPSHOT, "s", {})],
    )
    assert found == [
        "Cinder volumes are backed up (1 resource) but never restore-drilled: add a restore_drills entry for one of "
        "them",
        "IBM block volumes are backed up (1 resource) but never restore-drilled: add a restore_drills entry for one "
        "of them",
    ]


def test_a_drilled_class_and_other_stacks_pass() -> None:
    drilled = [
        resource("prod", BACKUP, "db-backup", {}),
        resource("prod", DRILL, "db-drill", {}),
        resource("prod", SNAPSHOT, "s", {}),
        resource("prod", DYN + "IbmRestoreDrill", "s-drill", {}),
    ]
    assert check_stack("restore-drill-every-asset-class", drilled) == []
    assert check_stack("restore-drill-every-asset-class", [resource("dev", BACKUP, "db-backup", {})]) == []


def test_a_failed_drill_is_a_finding_with_its_reason() -> None:
    failed = {
        "checks_passed": False,
        "restore_point": "backup",
        "restore_point_id": "b-1",
        "finished_at": "2026-11-23T20:00:00Z",
        "error": "content: sha256 of 1048576 bytes is ab, expected cd",
    }
    [message] = check_stack("restore-drill-passed", [resource("dev", DRILL, "db-drill", failed)])
    assert message.startswith("restore drill db-drill of backup b-1 failed at 2026-11-23T20:00:00Z: content: sha256")
    assert "change the drill's trigger" in message


def test_a_passed_drill_or_one_not_run_yet_is_not_a_finding() -> None:
    passed = resource("dev", DRILL, "a", {"checks_passed": True})
    unknown = resource("dev", DRILL, "b", {})  # a preview: the outputs are not known
    assert check_stack("restore-drill-passed", [passed, unknown]) == []


def test_oci_classes_are_drilled_by_a_vault_drill_and_a_tagged_boot_volume_only() -> None:
    backed_up = [
        resource("prod", "oci:Core/bootVolumeBackup:BootVolumeBackup", "golden", {}),
        resource("prod", DYN + "OciVaultBackup", "payments-vault", {}),
    ]
    untagged = resource("prod", "oci:Core/bootVolume:BootVolume", "some-volume", {"freeformTags": {"team": "web"}})
    assert [
        m.split(" are backed up")[0] for m in check_stack("restore-drill-every-asset-class", [*backed_up, untagged])
    ] == [
        "OCI boot volumes",
        "OCI vaults and keys",
    ]
    drills = [
        resource(
            "prod", "oci:Core/bootVolume:BootVolume", "web-drill", {"freeformTags": {"backup-topology-drill": "w"}}
        ),
        resource("prod", DYN + "OciVaultRestoreDrill", "payments-drill", {}),
    ]
    assert check_stack("restore-drill-every-asset-class", [*backed_up, *drills]) == []


def test_a_failed_vault_drill_is_a_finding() -> None:
    failed = {"checks_passed": False, "restore_point_id": "acme/b/payments/t1/vault", "error": "keys: 1 keys restored"}
    [message] = check_stack("restore-drill-passed", [resource("dev", DYN + "OciVaultRestoreDrill", "v", failed)])
    assert message.startswith("restore drill v of vault backup acme/b/payments/t1/vault failed at -: keys: 1 keys")


def test_block_volumes_and_volume_groups_are_classes_of_their_own() -> None:
    assignment = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
    backed_up = [
        resource("prod", assignment, "data-a", {"assetId": "ocid1.volume.oc1.iad.a"}),
        resource("prod", assignment, "ledger", {"assetId": "ocid1.volumegroup.oc1.iad.g"}),
        resource("prod", "oci:Core/volumeGroup:VolumeGroup", "ledger-group", {"volumeIds": ["v"]}),  # not a drill
    ]
    assert [m.split(" are backed up")[0] for m in check_stack("restore-drill-every-asset-class", backed_up)] == [
        "OCI block volumes",
        "OCI volume groups",
    ]
    tag = {"freeformTags": {"backup-topology-drill": "d"}}
    drills = [
        resource("prod", "oci:Core/volume:Volume", "data-drill-volume", tag),
        resource("prod", "oci:Core/volumeGroup:VolumeGroup", "ledger-drill-volume-group", tag),
    ]
    assert check_stack("restore-drill-every-asset-class", [*backed_up, *drills]) == []
    assert check_stack("restore-drill-every-asset-class", [*backed_up, drills[1]]) == [
        "OCI block volumes are backed up (1 resource) but never restore-drilled: add a restore_drills entry for one "
        "of them"
    ]


def test_a_failed_oci_volume_or_group_drill_is_a_finding_from_its_components_outputs() -> None:
    drill_type = "backup-topology:index:RestoreDrill"
    failed = {
        "checks_passed": False,
        "restore_point_id": "ocid1.volumegroupbackup.oc1.iad.pre",
        "error": "volumes: 1 volumes restored, the backup holds 2",
    }
    group_drill = resource("prod", drill_type, "ledger-drill", failed)
    group = resource(
        "prod",
        "oci:Core/volumeGroup:VolumeGroup",
        "ledger-drill-volume-group",
        {"freeformTags": {"backup-topology-drill": "ledger-drill"}},
        parent=group_drill,
    )
    [message] = check_stack("restore-drill-passed", [group_drill, group])
    assert message.startswith(
        "restore drill ledger-drill of volume group backup ocid1.volumegroupbackup.oc1.iad.pre failed at -: volumes: "
        "1 volumes restored, the backup holds 2"
    )
    # A drill with a record of its own (Cinder, IBM, vault) is judged by that record, once.
    cinder_drill = resource("prod", drill_type, "db-drill", {"checks_passed": False, "error": "x"})
    record = resource("prod", DRILL, "db-drill", {"checks_passed": False, "error": "x"}, parent=cinder_drill)
    assert len(check_stack("restore-drill-passed", [cinder_drill, record])) == 1


def test_a_volume_group_restored_short_of_a_volume_fails_the_plan() -> None:
    import pulumi

    from components import RestoreDrill, VolumeGroupBackupPlan
    from components.testing import ComponentMocks, run_program
    from policies.rules import evaluate
    from policies.rules.base import Res

    class OneVolumeRestored(ComponentMocks):
        def new_resource(self, args: Any) -> Any:
            made, outs = super().new_resource(args)
            source = outs.get("sourceDetails") or {}
            if args.typ == "oci:Core/volumeGroup:VolumeGroup" and source.get("type") == "volumeGroupBackupId":
                outs["volumeIds"] = outs["volumeIds"][:1]  # OCI restored one of the group's two volumes
            return made, outs

    def program() -> None:
        compartment, zone = "ocid1.compartment.oc1..aaaaaaaaexamplecompartment", "Uocm:US-ASHBURN-AD-1"
        ledger = VolumeGroupBackupPlan(
            "ledger",
            {
                "compartment_id": compartment,
                "volumes": ["ocid1.volume.oc1.iad.aaaadataexample", "ocid1.volume.oc1.iad.aaaalogsexample"],
                "availability_domain": zone,
                "manual_backups": [{"name": "pre", "trigger": "t1"}],
                "region": "us-ashburn-1",
                "consistency": "crash",
            },
        )
        drill = RestoreDrill(
            "ledger-drill",
            {
                "trigger": "t1",
                "oci_volume_group": {"source": ledger, "manual_backup": "pre", "availability_domain": zone},
            },
        )
        pulumi.export("checks_passed", drill.checks_passed)

    sim = run_program(program, config={"oci:region": "us-ashburn-1"}, stack="prod", mocks=OneVolumeRestored())
    assert sim.exports["checks_passed"] is False
    resources = [
        Res(r.type, r.name, r.urn, r.inputs if r.outputs is None else r.outputs, r.parent, r.dependencies)
        for r in sim.in_tree_order()
    ]
    failed = [f.message for f in evaluate(resources, "prod", {}) if f.policy == "restore-drill-passed"]
    assert len(failed) == 1
    assert "restore drill ledger-drill of volume group backup" in failed[0]
    assert "volumes: 1 volumes restored, the backup holds 2" in failed[0]
