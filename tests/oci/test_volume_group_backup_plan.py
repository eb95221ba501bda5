"""VolumeGroupBackupPlan under Pulumi's mock runtime, and the program's volume group entries, copies and drills."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_oci as oci
import pytest
from pulumi.output import Unknown

from components.base import ArgsError
from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan
from components.tooling.mock_runtime import Simulation, simulate
from tests.conftest import COMPARTMENT, VOL_A, daily, run_program

GROUP = "oci:Core/volumeGroup:VolumeGroup"
GROUP_BACKUP = "oci:Core/volumeGroupBackup:VolumeGroupBackup"
ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
POLICY = "oci:Core/volumeBackupPolicy:VolumeBackupPolicy"
GENERATIONS = "pulumi-python:dynamic/backup-topology:Generations"
BLOCK_A = "ocid1.volume.oc1.iad.abuwcljrtestblocka"
BLOCK_B = "ocid1.volume.oc1.iad.abuwcljrtestblockb"
EXISTING = "ocid1.volumegroup.oc1.iad.abuwcljrexistinggroup"
DRILLS = "ocid1.compartment.oc1..aaaaaaaadrillcompartment"
PHX_KEY = "ocid1.key.oc1.phx.bbtestvault.abuwcljstestkey"


def group(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "ledger",
        "compartment_id": COMPARTMENT,
        "volumes": [{"id": BLOCK_A, "name": "data"}, BLOCK_B],
        "availability_domain": "Uocm:US-ASHBURN-AD-1",
        "policy": {"schedules": [daily()], "destination_region": "us-phoenix-1"},
        "xrc_kms_key_id": PHX_KEY,
    }
    spec.update(changes)
    return spec


def build(spec: dict[str, Any], preview: bool = False) -> Simulation:
    def program() -> None:
        component = VolumeGroupBackupPlan(spec["name"], spec)
        pulumi.export("plan", component.outputs())

    return simulate(program, preview=preview)


def test_the_group_is_made_of_its_volumes_and_assigned_the_policy() -> None:
    sim = build(group())
    [made] = sim.of_type(GROUP)
    assert made.name == "ledger-group"
    assert made.inputs["availabilityDomain"] == "Uocm:US-ASHBURN-AD-1"
    assert made.inputs["compartmentId"] == COMPARTMENT
    assert made.inputs["displayName"] == "ledger"
    assert made.inputs["sourceDetails"] == {"type": "volumeIds", "volumeIds": [BLOCK_A, BLOCK_B]}
    assert made.inputs["volumeIds"] == [BLOCK_A, BLOCK_B]
    [policy] = sim.of_type(POLICY)
    [assignment] = sim.of_type(ASSIGNMENT)
    assert assignment.inputs == {"assetId": made.id, "policyId": policy.id, "xrcKmsKeyId": PHX_KEY}
    assert policy.inputs["destinationRegion"] == "us-phoenix-1"
    outputs = sim.exports["plan"]
    assert (outputs["volume_group_id"], outputs["assignment_id"]) == (made.id, assignment.id)
    assert outputs["member_ids"] == [BLOCK_A, BLOCK_B]


def test_manual_group_backups_carry_their_series_and_are_pruned_by_their_record() -> None:
    backup = {
        "name": "pre-migration",
        "trigger": "t1",
        "retention": {"keep_last": 5},
        "protection": {"retention_lock": True, "retention_period": {"amount": 30, "unit": "days"}},
    }
    sim = build(group(manual_backups=[backup], region="us-ashburn-1"))
    [made] = sim.of_type(GROUP)
    [backed] = sim.of_type(GROUP_BACKUP)
    assert backed.name == "ledger-pre-migration-t1"
    outputs = ("state", "timeCreated", "volumeBackupIds")  # what the provider answers besides the inputs
    assert {k: v for k, v in backed.inputs.items() if k not in outputs} == {
        "volumeGroupId": made.id,
        "type": "FULL",
        "compartmentId": COMPARTMENT,
        "displayName": "ledger-pre-migration-t1",
        "freeformTags": {
            "backup-topology-series": "organization/backup-topology/dev/oci-manual-backup/ledger/pre-migration"
        },
        "isRetentionLockEnabled": True,
        "retentionPeriod": {"retentionTimeAmount": 30, "retentionTimeUnit": "DAYS"},
    }
    assert backed.retain_on_delete
    [record] = sim.of_type(GENERATIONS)
    assert record.inputs["kind"] == "oci_volume_group_backups"
    assert record.inputs["backups_of"] == {"compartment_id": COMPARTMENT, "source_id": made.id}
    assert record.inputs["keep_last"] == 5
    assert len(sim.exports["plan"]["manual_backup_volume_ids"]["pre-migration"]) == 2


def test_an_existing_group_is_backed_up_as_it_is() -> None:
    sim = build(
        {
            "name": "ledger",
            "compartment_id": COMPARTMENT,
            "volume_group_id": EXISTING,
            "policy_id": "ocid1.volumebackuppolicy.oc1.iad.aaaashared",
        }
    )
    assert sim.of_type(GROUP) == []
    [assignment] = sim.of_type(ASSIGNMENT)
    assert assignment.inputs["assetId"] == EXISTING
    assert sim.exports["plan"]["member_ids"] == []


def test_an_oracle_policy_is_refused_with_the_reason_and_nothing_is_made() -> None:
    spec = group(oracle_policy="gold")
    del spec["policy"], spec["xrc_kms_key_id"]
    with pytest.raises(ArgsError) as info:
        build(spec)
    assert info.value.render().splitlines() == [
        "VolumeGroupBackupPlan 'ledger': invalid args",
        'oracle_policy: OCI does not take Oracle-defined policies for volume groups ("Oracle defined backup '
        'policies are not supported for scheduled volume group backups", Policy-Based Backups): give a policy of '
        "your own (`policy:`, e.g. with the schedules of the Oracle-defined one) or policy_id",
    ]


def test_a_volume_in_two_groups_is_refused() -> None:
    def program() -> None:
        VolumeGroupBackupPlan("ledger", group())
        VolumeGroupBackupPlan("other", group(name="other", volumes=[BLOCK_B]))

    with pytest.raises(ArgsError, match=r"volumes\[0\]\.id: block volume is already in the volume group of "):
        simulate(program)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_volumes_made_in_the_program_wire_in(preview: bool) -> None:
    def program() -> None:
        volumes = [
            oci.core.Volume(f"v{i}", compartment_id=COMPARTMENT, availability_domain="AD-1", size_in_gbs="50")
            for i in range(2)
        ]
        VolumeGroupBackupPlan(
            "ledger",
            {
                "compartment_id": COMPARTMENT,
                "volumes": [v.id for v in volumes],
                "availability_domain": "AD-1",
                "manual_backups": [{"name": "m"}],
            },
        )

    sim = simulate(program, preview=preview)
    [made] = sim.of_type(GROUP)
    volumes = made.inputs["volumeIds"]
    if preview:
        assert all(isinstance(v, Unknown) for v in volumes)
    else:
        assert all(v.startswith("ocid1.volume.") for v in volumes)


# --- the program: a volume group entry, its copy and its drill -------------------------------------------


def topology(**extra: Any) -> dict[str, Any]:
    return {
        "oci": {
            "region": "us-ashburn-1",
            "volume_plans": [
                {
                    "name": "data",
                    "compartment_id": COMPARTMENT,
                    "manual_backups": [{"name": "nightly", "volume_id": "ocid1.volume.oc1.iad.abuwcljrtestblockc"}],
                }
            ],
            "volume_group_plans": [group(manual_backups=[{"name": "pre-migration", "trigger": "t1"}])],
        },
        **extra,
    }


def test_a_group_drill_restores_a_new_group_checks_it_and_records_its_removal() -> None:
    drill = {"plan": "ledger", "manual_backup": "pre-migration", "availability_domain": "Uocm:US-ASHBURN-AD-2"}
    sim = run_program(
        topology(
            restore_drills=[
                {"name": "ledger-drill", "trigger": "d1", "oci_volume_group": {**drill, "compartment_id": DRILLS}}
            ]
        )
    )
    [backup] = sim.of_type(GROUP_BACKUP)
    restored = next(g for g in sim.of_type(GROUP) if g.name == "ledger-drill-volume-group")
    assert restored.inputs["sourceDetails"] == {"type": "volumeGroupBackupId", "volumeGroupBackupId": backup.id}
    assert restored.inputs["compartmentId"] == DRILLS
    assert restored.inputs["displayName"] == "ledger-drill-d1"
    assert restored.inputs["freeformTags"] == {"backup-topology-drill": "ledger-drill"}
    assert restored.retain_on_delete  # the scratch record removes it, with its volumes
    [scratch] = sim.of_type("pulumi-python:dynamic/backup-topology:OciScratchVolumeGroup")
    assert scratch.inputs["volume_group_id"] == restored.id
    assert len(scratch.inputs["volume_ids"]) == 2
    assert scratch.inputs["connection"] == {"region": "us-ashburn-1"}
    record = sim.exports["restore_drills"]["ledger-drill"]
    assert record["checks_passed"] is True, record["error"]
    assert [c["name"] for c in record["checks"]] == ["available", "source", "volumes"]
    assert record["restore_point_id"] == backup.id


def test_a_block_volume_drill_restores_a_volume() -> None:
    drill = {"plan": "data", "manual_backup": "nightly", "availability_domain": "AD-1"}
    sim = run_program(topology(restore_drills=[{"name": "data-drill", "trigger": "d1", "oci": drill}]))
    [backup] = sim.of_type("oci:Core/volumeBackup:VolumeBackup")
    [volume] = sim.of_type("oci:Core/volume:Volume")
    assert volume.name == "data-drill-volume"
    assert volume.inputs["sourceDetails"] == {"type": "volumeBackup", "id": backup.id}
    assert sim.of_type("oci:Core/bootVolume:BootVolume") == []
    assert sim.exports["restore_drills"]["data-drill"]["checks_passed"] is True


def test_copies_of_group_and_block_volume_backups_use_their_own_native_resources() -> None:
    copies = [
        {
            "name": "ledger-dr",
            "oci": {
                "source": {"plan": "ledger", "manual_backup": "pre-migration"},
                "destination_region": "us-phoenix-1",
                "kms_key_id": PHX_KEY,
            },
        },
        {
            "name": "data-dr",
            "oci": {"source": {"plan": "data", "manual_backup": "nightly"}, "destination_region": "us-phoenix-1"},
        },
        {
            "name": "other-dr",
            "oci": {
                "source_backup_id": "ocid1.volumebackup.oc1.iad.abuwcljrsomebackup",
                "destination_region": "us-phoenix-1",
            },
        },
    ]
    sim = run_program(topology(copies=copies))
    [group_backup] = [b for b in sim.of_type(GROUP_BACKUP) if b.name == "ledger-pre-migration-t1"]
    [group_copy] = [b for b in sim.of_type(GROUP_BACKUP) if b.name == "ledger-dr-copy"]
    assert group_copy.inputs["sourceDetails"] == {
        "region": "us-ashburn-1",
        "volumeGroupBackupId": group_backup.id,
        "kmsKeyId": PHX_KEY,
    }
    copies_made = {
        b.name: b.inputs["sourceDetails"]
        for b in sim.of_type("oci:Core/volumeBackup:VolumeBackup")
        if b.name.endswith("-copy")
    }
    assert copies_made["other-dr-copy"] == {
        "region": "us-ashburn-1",
        "volumeBackupId": "ocid1.volumebackup.oc1.iad.abuwcljrsomebackup",
    }
    assert set(copies_made) == {"data-dr-copy", "other-dr-copy"}
    assert set(sim.exports["copies"]) == {"ledger-dr", "data-dr", "other-dr"}


def test_the_program_exports_each_plan_list() -> None:
    sim = run_program(topology())
    assert set(sim.exports["oci_volume_plans"]) == {"data"}
    assert set(sim.exports["oci_volume_group_plans"]) == {"ledger"}
    assert sim.exports["oci_boot_volume_plans"] == {}
    [record] = [g for g in sim.of_type(GENERATIONS) if g.name == "ledger-pre-migration-generations"]
    assert record.inputs["oci_block"] == {"region": "us-ashburn-1"}
    assert VOL_A not in str(sim.exports)
