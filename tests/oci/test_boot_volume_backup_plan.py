"""BootVolumeBackupPlan under Pulumi's mock runtime: what it registers, its outputs, and its own checks."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_oci as oci
import pytest
from pulumi.output import Unknown

from components.base import ArgsError
from components.config import BootVolumePlan
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan
from components.tooling.mock_runtime import Simulation, simulate
from tests.conftest import COMPARTMENT, PHX_KEY, VOL_A, VOL_B, VOL_C, daily

POLICY = "oci:Core/volumeBackupPolicy:VolumeBackupPolicy"
ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
BACKUP = "oci:Core/bootVolumeBackup:BootVolumeBackup"
COMPONENT = "backup-topology:index:BootVolumeBackupPlan"


def build(*plans: dict[str, Any]) -> Simulation:
    def program() -> None:
        for plan in plans:
            component = BootVolumeBackupPlan(plan["name"], plan)
            pulumi.export(plan["name"], component.outputs())

    return simulate(program)


def test_custom_policy_is_created_with_its_schedules(plan: dict[str, Any]) -> None:
    plan["policy"]["schedules"].append(
        {"backup_type": "full", "period": "week", "retention_days": 28, "day_of_week": "sunday"}
    )
    plan["policy"]["freeform_tags"] = {"team": "web"}
    sim = build(plan)
    [policy] = sim.of_type(POLICY)
    assert policy.name == "web-policy"
    assert policy.inputs["compartmentId"] == COMPARTMENT
    assert policy.inputs["displayName"] == "web"
    assert policy.inputs["destinationRegion"] == "us-phoenix-1"
    assert policy.inputs["freeformTags"] == {"team": "web"}
    assert policy.inputs["schedules"] == [
        {
            "backupType": "INCREMENTAL",
            "period": "ONE_DAY",
            "retentionSeconds": 7 * 86400,
            "hourOfDay": 2,
            "offsetType": "STRUCTURED",
            "timeZone": "UTC",
        },
        {
            "backupType": "FULL",
            "period": "ONE_WEEK",
            "retentionSeconds": 28 * 86400,
            "hourOfDay": 0,
            "dayOfWeek": "SUNDAY",
            "offsetType": "STRUCTURED",
            "timeZone": "UTC",
        },
    ]


def test_one_assignment_per_volume_with_the_cross_region_key(plan: dict[str, Any]) -> None:
    sim = build(plan)
    [policy] = sim.of_type(POLICY)
    assignments = sim.of_type(ASSIGNMENT)
    assert sorted(a.inputs["assetId"] for a in assignments) == sorted([VOL_A, VOL_B])
    assert {a.inputs["policyId"] for a in assignments} == {policy.id}
    assert {a.inputs["xrcKmsKeyId"] for a in assignments} == {PHX_KEY}


def test_children_are_parented_to_the_component(plan: dict[str, Any]) -> None:
    sim = build(plan)
    [component] = sim.of_type(COMPONENT)
    assert component.parent == sim.stack_urn
    children = sim.children(component.urn)
    assert [c.type for c in children] == [POLICY, ASSIGNMENT, ASSIGNMENT]


def test_outputs_are_the_real_ids(plan: dict[str, Any]) -> None:
    plan["manual_backups"] = [{"name": "pre-upgrade", "boot_volume_id": VOL_A, "type": "incremental"}]
    sim = build(plan)
    [policy] = sim.of_type(POLICY)
    [backup] = sim.of_type(BACKUP)
    by_asset = {a.inputs["assetId"]: a.id for a in sim.of_type(ASSIGNMENT)}
    assert sim.exports["web"] == {
        "policy_id": policy.id,
        "assignment_ids": by_asset,
        "manual_backup_ids": {"pre-upgrade": backup.id},
        "manual_backup_kinds": {"pre-upgrade": "boot_volume"},
        "generations": {},  # no region given: the plan records no generations
        "compartment_id": plan["compartment_id"],
        "oracle_policy": None,
        "consistency": None,
        "quiesce_hook": None,
    }


def test_manual_backup_inputs(plan: dict[str, Any]) -> None:
    plan["manual_backups"] = [
        {"name": "pre-upgrade", "boot_volume_id": VOL_A, "type": "incremental", "defined_tags": {"Ops.Ticket": "7"}},
        {"name": "golden", "boot_volume_id": VOL_B, "display_name": "golden image"},
    ]
    sim = build(plan)
    backups = {b.name: b.inputs for b in sim.of_type(BACKUP)}
    series = "organization/backup-topology/dev/oci-manual-backup/web"
    assert backups["web-pre-upgrade"] == {
        "bootVolumeId": VOL_A,
        "type": "INCREMENTAL",
        "compartmentId": plan["compartment_id"],
        "displayName": "web-pre-upgrade",
        "definedTags": {"Ops.Ticket": "7"},
        "freeformTags": {"backup-topology-series": f"{series}/pre-upgrade"},
    }
    assert backups["web-golden"] == {
        "bootVolumeId": VOL_B,
        "type": "FULL",
        "compartmentId": plan["compartment_id"],
        "displayName": "golden image",
        "freeformTags": {"backup-topology-series": f"{series}/golden"},
    }


def test_manual_backups_stay_in_oci_when_removed_unless_asked(plan: dict[str, Any]) -> None:
    plan["manual_backups"] = [
        {"name": "kept", "boot_volume_id": VOL_A},
        {"name": "scratch", "boot_volume_id": VOL_B, "delete_on_removal": True},
    ]
    sim = build(plan)
    retained = {b.name: b.retain_on_delete for b in sim.of_type(BACKUP)}
    assert retained == {"web-kept": True, "web-scratch": False}


def test_a_trigger_makes_each_generation_a_resource_of_its_own(plan: dict[str, Any]) -> None:
    plan["manual_backups"] = [{"name": "weekly", "boot_volume_id": VOL_A, "trigger": "2026-11-23"}]
    first = build(plan)
    plan["manual_backups"][0]["trigger"] = "2026-11-30"
    second = build(plan)
    [old], [new] = first.of_type(BACKUP), second.of_type(BACKUP)
    # A new name: the engine removes the old generation from the stack, and retain_on_delete keeps it in OCI.
    assert (old.name, new.name) == ("web-weekly-2026-11-23", "web-weekly-2026-11-30")
    assert new.inputs["displayName"] == "web-weekly-2026-11-30"
    assert old.retain_on_delete


def test_manual_backup_protection_compartment_and_key_reach_oci(plan: dict[str, Any]) -> None:
    other = "ocid1.compartment.oc1..aaaaaaaaother"
    key = "ocid1.key.oc1.iad.aaaaaaaabackupkey"
    plan["manual_backups"] = [
        {
            "name": "locked",
            "boot_volume_id": VOL_A,
            "compartment_id": other,
            "kms_key_id": key,
            "protection": {
                "retention_lock": True,
                "prevent_deletion": True,
                "retention_period": {"amount": 90, "unit": "days"},
                "indefinite_retention": True,
            },
        }
    ]
    [backup] = build(plan).of_type(BACKUP)
    assert backup.inputs["compartmentId"] == other
    assert backup.inputs["kmsKeyId"] == key
    assert backup.inputs["isRetentionLockEnabled"] is True
    assert backup.inputs["isPreventDeletionEnabled"] is True
    assert backup.inputs["isIndefiniteRetentionEnabled"] is True
    assert backup.inputs["retentionPeriod"] == {"retentionTimeAmount": 90, "retentionTimeUnit": "DAYS"}


def test_schedule_protection_reaches_the_policy(plan: dict[str, Any]) -> None:
    plan["policy"]["schedules"][0]["protection"] = {
        "prevent_deletion": True,
        "retention_period": {"amount": 1, "unit": "years"},
    }
    [policy] = build(plan).of_type(POLICY)
    first = policy.inputs["schedules"][0]
    assert first["isPreventDeletionEnabled"] is True
    assert first["retentionPeriod"] == {"retentionTimeAmount": 1, "retentionTimeUnit": "YEARS"}
    assert "isRetentionLockEnabled" not in first


@pytest.mark.parametrize(
    ("protection", "field", "reason"),
    [
        ({"retention_lock": True}, "retention_lock", "needs retention_period"),
        ({"retention_period": {"amount": 3, "unit": "days"}}, "retention_period", "only used with"),
        ({"retention_lock": True, "retention_period": {"amount": 0, "unit": "days"}}, "amount", "greater than"),
        ({"prevent_deletion": True, "retention_period": {"amount": 3, "unit": "weeks"}}, "unit", "days"),
    ],
)
def test_bad_protection_names_the_field(
    plan: dict[str, Any], protection: dict[str, Any], field: str, reason: str
) -> None:
    plan["manual_backups"] = [{"name": "locked", "boot_volume_id": VOL_A, "protection": protection}]
    with pytest.raises(ArgsError, match=rf"manual_backups\[0\]\.protection[.\w\[\]]*{field}[^\n]*{reason}"):
        build(plan)


def test_existing_policy_is_assigned_not_created() -> None:
    existing = "ocid1.volumebackuppolicy.oc1.iad.aaaaexisting"
    sim = build({"name": "tools", "compartment_id": COMPARTMENT, "policy_id": existing, "boot_volumes": [VOL_C]})
    assert sim.of_type(POLICY) == []
    [assignment] = sim.of_type(ASSIGNMENT)
    assert assignment.inputs["policyId"] == existing
    assert sim.exports["tools"]["policy_id"] == existing


def test_oracle_defined_policy_is_looked_up_by_name() -> None:
    sim = build({"name": "db", "compartment_id": COMPARTMENT, "oracle_policy": "silver", "boot_volumes": [VOL_C]})
    assert sim.of_type(POLICY) == []
    [assignment] = sim.of_type(ASSIGNMENT)
    assert assignment.inputs["policyId"] == "ocid1.volumebackuppolicy.oc1..oraclesilver"


def test_oracle_defined_policy_missing_in_region_fails_clearly() -> None:
    class NoOraclePolicies(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
            return {"volumeBackupPolicies": []}

    def program() -> None:
        BootVolumeBackupPlan(
            "db", {"name": "db", "compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [VOL_C]}
        )

    with pytest.raises(pulumi.RunError, match="Oracle-defined policy 'gold' was not found"):
        simulate(program, mocks=NoOraclePolicies())


def test_manual_only_plan_has_no_policy() -> None:
    sim = build(
        {"name": "m", "compartment_id": COMPARTMENT, "manual_backups": [{"name": "x", "boot_volume_id": VOL_A}]}
    )
    assert sim.of_type(POLICY) == []
    assert sim.of_type(ASSIGNMENT) == []
    assert sim.exports["m"]["policy_id"] is None
    assert len(sim.exports["m"]["manual_backup_ids"]) == 1


def test_invalid_args_name_the_component_and_field_and_register_nothing(plan: dict[str, Any]) -> None:
    plan["policy"]["schedules"] = [
        daily(retention_days=1),
        {"backup_type": "full", "period": "week", "retention_days": 3},
    ]

    def program() -> None:
        BootVolumeBackupPlan("web", plan)

    with pytest.raises(ArgsError) as info:
        simulate(program)
    assert info.value.render().splitlines() == [
        "BootVolumeBackupPlan 'web': invalid args",
        "policy.schedules[1].retention_days: must be at least the period (7 days)",
    ]
    assert isinstance(info.value, pulumi.RunError)  # Pulumi shows it without a stack trace


def test_a_volume_claimed_by_two_components_is_refused(plan: dict[str, Any]) -> None:
    registered: list[str] = []

    def program() -> None:
        BootVolumeBackupPlan("web", plan)
        registered.append("web")
        BootVolumeBackupPlan(
            "db", {"name": "db", "compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [VOL_C, VOL_B]}
        )
        registered.append("db")

    with pytest.raises(
        ArgsError,
        match=r"boot_volumes\[1\].id: boot volume is already assigned a policy by "
        r"BootVolumeBackupPlan 'web'",
    ):
        simulate(program)
    assert registered == ["web"]


def test_claims_do_not_leak_between_program_runs(plan: dict[str, Any]) -> None:
    build(plan)
    assert len(build(plan).of_type(ASSIGNMENT)) == 2


def test_the_validated_topology_model_is_accepted_as_args(plan: dict[str, Any]) -> None:
    args = BootVolumePlan.model_validate(plan)
    sim = simulate(lambda: BootVolumeBackupPlan("web", args))
    assert len(sim.of_type(ASSIGNMENT)) == 2


# --- args from other resources ---------------------------------------------------------------------------


def instance(name: str = "web") -> oci.core.Instance:
    return oci.core.Instance(
        name,
        compartment_id=COMPARTMENT,
        availability_domain="Uocm:US-ASHBURN-AD-1",
        shape="VM.Standard.E4.Flex",
        source_details=oci.core.InstanceSourceDetailsArgs(source_type="image", source_id="ocid1.image.oc1..x"),
    )


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_an_instances_boot_volume_and_a_compartment_resource_wire_in(preview: bool) -> None:
    def program() -> None:
        comp = oci.identity.Compartment("apps", compartment_id=COMPARTMENT, description="apps", name="apps")
        inst = instance()
        BootVolumeBackupPlan(
            "web",
            {
                "name": "web",
                "compartment_id": comp.id,
                "oracle_policy": "silver",
                "boot_volumes": [inst.boot_volume_id],
            },
        )

    sim = simulate(program, preview=preview)
    [assignment] = sim.of_type(ASSIGNMENT)
    [inst] = sim.of_type("oci:Core/instance:Instance")
    assert assignment.name == "web-boot-volume-0"
    assert inst.urn in assignment.dependencies
    if preview:
        assert isinstance(assignment.inputs["assetId"], Unknown)  # never an error while unknown
    else:
        assert assignment.inputs["assetId"].startswith("ocid1.bootvolume.oc1.")


def test_an_output_of_the_wrong_kind_fails_when_known_naming_the_component_and_field() -> None:
    def program() -> None:
        vault = oci.kms.Vault("v", compartment_id=COMPARTMENT, display_name="v", vault_type="VIRTUAL_PRIVATE")
        BootVolumeBackupPlan("web", {"compartment_id": vault.id, "oracle_policy": "gold", "boot_volumes": [VOL_A]})

    with pytest.raises(ArgsError) as info:
        simulate(program)
    assert info.value.render().splitlines() == [
        "BootVolumeBackupPlan 'web': invalid args",
        "compartment_id: is a vault OCID; expected a compartment (ocid1.compartment.…) or tenancy (ocid1.tenancy.…)",
    ]
    simulate(program, preview=True)  # unknown in a preview: not judged


def test_the_same_volume_from_two_outputs_is_refused_once_known() -> None:
    def program() -> None:
        inst = instance()
        BootVolumeBackupPlan(
            "web", {"compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [inst.boot_volume_id]}
        )
        BootVolumeBackupPlan(
            "db", {"compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [inst.boot_volume_id]}
        )

    with pytest.raises(ArgsError, match=r"boot_volumes\[0\].id: boot volume is already assigned a policy by "):
        simulate(program)


def test_a_literal_mistake_beside_an_output_still_fails_at_once_with_one_line_per_mistake() -> None:
    built: list[str] = []

    def program() -> None:
        inst = instance()
        built.append("instance")
        BootVolumeBackupPlan(
            "web",
            {
                "compartment_id": "ocid1.bucket.oc1..nope",
                "oracle_policy": "platinum",
                "boot_volumes": [inst.boot_volume_id, "ocid1.volume.oc1.iad.notaboot"],
            },
        )
        built.append("plan")

    with pytest.raises(ArgsError) as info:
        simulate(program)
    assert built == ["instance"]
    assert info.value.render().splitlines()[1:] == [
        "compartment_id: is a bucket OCID; expected a compartment (ocid1.compartment.…) or tenancy (ocid1.tenancy.…)",
        "oracle_policy: must be 'gold', 'silver' or 'bronze' (got 'platinum')",
        "boot_volumes[1].id: is a block volume OCID; expected a boot volume (ocid1.bootvolume.…)",
    ]
