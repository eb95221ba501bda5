"""VolumeBackupPlan (block and boot volumes) under Pulumi's mock runtime, with pulumi-oci's input names."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_oci as oci
import pytest
from pulumi.output import Unknown

from components.base import ArgsError
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan
from components.oci.volume_backup_plan import VolumeBackupPlan
from components.tooling.mock_runtime import Simulation, simulate
from tests.conftest import COMPARTMENT, VOL_A, daily

ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
VOLUME_BACKUP = "oci:Core/volumeBackup:VolumeBackup"
BOOT_BACKUP = "oci:Core/bootVolumeBackup:BootVolumeBackup"
GENERATIONS = "pulumi-python:dynamic/backup-topology:Generations"
BLOCK_A = "ocid1.volume.oc1.iad.abuwcljrtestblocka"
BLOCK_B = "ocid1.volume.oc1.iad.abuwcljrtestblockb"
REGION = {"region": "us-ashburn-1"}


def plan(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "data",
        "compartment_id": COMPARTMENT,
        "policy": {"schedules": [daily()]},
        "block_volumes": [{"id": BLOCK_A, "name": "data-a"}, BLOCK_B],
        "boot_volumes": [VOL_A],
    }
    spec.update(changes)
    return spec


def build(
    spec: dict[str, Any], *, kind: type[VolumeBackupPlan] = VolumeBackupPlan, preview: bool = False
) -> Simulation:
    def program() -> None:
        component = kind(spec["name"], spec)
        pulumi.export("plan", component.outputs())

    return simulate(program, preview=preview)


def test_block_and_boot_volumes_are_assigned_the_policy() -> None:
    sim = build(plan())
    assignments = {a.name: a.inputs for a in sim.of_type(ASSIGNMENT)}
    [policy] = sim.of_type("oci:Core/volumeBackupPolicy:VolumeBackupPolicy")
    assert {a["assetId"] for a in assignments.values()} == {BLOCK_A, BLOCK_B, VOL_A}
    assert {a["policyId"] for a in assignments.values()} == {policy.id}
    assert set(assignments) == {"data-uwcljrtestblocka", "data-uwcljrtestblockb", "data-wcljrtestvolumea"}
    [component] = sim.of_type("backup-topology:index:VolumeBackupPlan")
    assert {c.type for c in sim.children(component.urn)} == {ASSIGNMENT, policy.type}
    assert set(sim.exports["plan"]["assignment_ids"]) == {BLOCK_A, BLOCK_B, VOL_A}


def test_a_block_volumes_manual_backup_is_a_volume_backup_marked_with_its_series() -> None:
    backup = {
        "name": "nightly",
        "volume_id": BLOCK_A,
        "type": "incremental",
        "trigger": "t1",
        "kms_key_id": "ocid1.key.oc1.iad.bbtestvault.abuwcljstestkey",
        "freeform_tags": {"team": "data"},
        "protection": {"prevent_deletion": True, "retention_period": {"amount": 14, "unit": "days"}},
    }
    sim = build(plan(manual_backups=[backup]))
    [made] = sim.of_type(VOLUME_BACKUP)
    assert made.name == "data-nightly-t1"
    assert made.inputs == {
        "volumeId": BLOCK_A,
        "type": "INCREMENTAL",
        "compartmentId": COMPARTMENT,
        "kmsKeyId": "ocid1.key.oc1.iad.bbtestvault.abuwcljstestkey",
        "displayName": "data-nightly-t1",
        "freeformTags": {
            "team": "data",
            "backup-topology-series": "organization/backup-topology/dev/oci-manual-backup/data/nightly",
        },
        "isPreventDeletionEnabled": True,
        "retentionPeriod": {"retentionTimeAmount": 14, "retentionTimeUnit": "DAYS"},
    }
    assert made.retain_on_delete
    assert sim.of_type(BOOT_BACKUP) == []
    assert sim.exports["plan"]["manual_backup_kinds"] == {"nightly": "volume"}


def test_with_a_region_each_manual_backup_has_a_generations_record_of_its_series() -> None:
    backups = [
        {"name": "nightly", "volume_id": BLOCK_A, "trigger": "t1", "retention": {"keep_last": 7, "max_age_days": 30}},
        {"name": "golden", "boot_volume_id": VOL_A, "delete_on_removal": True},
    ]
    sim = build(plan(manual_backups=backups, blockstorage_endpoint="https://iaas.example.test", **REGION))
    records = {g.name: g.inputs for g in sim.of_type(GENERATIONS)}
    nightly = records["data-nightly-generations"]
    [made] = sim.of_type(VOLUME_BACKUP)
    assert nightly["kind"] == "oci_volume_backups"
    assert nightly["series"] == "organization/backup-topology/dev/oci-manual-backup/data/nightly"
    assert nightly["current"] == [made.id]
    assert (nightly["keep_last"], nightly["max_age_days"], nightly["delete_on_removal"]) == (7, 30, False)
    assert nightly["backups_of"] == {"compartment_id": COMPARTMENT, "source_id": BLOCK_A}
    assert nightly["oci_block"] == {"region": "us-ashburn-1", "endpoint": "https://iaas.example.test"}
    golden = records["data-golden-generations"]
    assert golden["kind"] == "oci_boot_volume_backups"
    # without retention the engine deletes the one generation on removal; the record only lists
    assert golden["delete_on_removal"] is False
    assert {b.name: b.retain_on_delete for b in sim.of_type(BOOT_BACKUP)} == {"data-golden": False}
    assert set(sim.exports["plan"]["generations"]) == {"nightly", "golden"}


def test_with_retention_every_generation_is_retained_and_the_record_deletes_on_removal() -> None:
    backup = {"name": "n", "volume_id": BLOCK_A, "retention": {"keep_last": 2}, "delete_on_removal": True}
    sim = build(plan(manual_backups=[backup], **REGION))
    [made] = sim.of_type(VOLUME_BACKUP)
    [record] = sim.of_type(GENERATIONS)
    assert made.retain_on_delete  # a new trigger leaves it to the record's retention
    assert record.inputs["delete_on_removal"] is True


def test_without_a_region_the_record_acts_on_nothing_and_retention_is_refused_naming_region() -> None:
    sim = build(plan(manual_backups=[{"name": "n", "volume_id": BLOCK_A, "delete_on_removal": True}]))
    # The record stays (its removal would delete, with its last state, what it recorded) but cannot act.
    [record] = sim.of_type(GENERATIONS)
    assert record.inputs.get("oci_block") is None
    assert record.inputs["delete_on_removal"] is False
    assert record.inputs.get("keep_last") is None
    assert sim.exports["plan"]["generations"] == {}
    with pytest.raises(ArgsError) as info:
        build(plan(manual_backups=[{"name": "n", "volume_id": BLOCK_A, "retention": {"keep_last": 2}}]))
    assert info.value.render().splitlines() == [
        "VolumeBackupPlan 'data': invalid args",
        "region: required with manual_backups[0].retention: the stack lists and deletes the backup's generations "
        "through the Block Volume API of the volumes' region",
    ]


def test_a_boot_volume_plan_keeps_its_type_and_its_childrens_names() -> None:
    sim = build(plan(name="web", block_volumes=[]), kind=BootVolumeBackupPlan)
    [component] = sim.of_type("backup-topology:index:BootVolumeBackupPlan")
    assert sim.of_type("backup-topology:index:VolumeBackupPlan") == []
    [assignment] = sim.of_type(ASSIGNMENT)
    assert assignment.name == "web-wcljrtestvolumea"
    assert assignment.parent == component.urn


def test_a_block_volume_assigned_by_two_plans_of_either_type_is_refused() -> None:
    def program() -> None:
        BootVolumeBackupPlan("web", plan(name="web", boot_volumes=[]))
        VolumeBackupPlan("data", plan(boot_volumes=[], block_volumes=[BLOCK_B]))

    with pytest.raises(ArgsError, match=r"block_volumes\[0\]\.id: block volume is already assigned a policy by "):
        simulate(program)


def test_a_block_volume_of_a_group_with_a_policy_is_refused_a_policy_of_its_own() -> None:
    from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan

    def program() -> None:
        VolumeGroupBackupPlan(
            "ledger",
            {
                "compartment_id": COMPARTMENT,
                "volumes": [BLOCK_A],
                "availability_domain": "AD-1",
                "policy": {"schedules": [daily()]},
            },
        )
        VolumeBackupPlan("data", plan(boot_volumes=[], block_volumes=[BLOCK_A]))

    with pytest.raises(ArgsError) as info:
        simulate(program)
    assert info.value.render().splitlines()[1] == (
        "block_volumes[0].id: block volume is in the volume group of VolumeGroupBackupPlan 'ledger', which has a "
        "backup policy (OCI has the group manage the policy assignment of its volumes), and VolumeBackupPlan 'data' "
        "assigns it one: leave it out of one of them"
    )


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_volume_made_in_the_program_wires_in(preview: bool) -> None:
    def program() -> None:
        volume = oci.core.Volume("data", compartment_id=COMPARTMENT, availability_domain="AD-1", size_in_gbs="50")
        VolumeBackupPlan(
            "data",
            {
                "compartment_id": COMPARTMENT,
                "oracle_policy": "silver",
                "block_volumes": [{"id": volume.id, "name": "data"}],
                "manual_backups": [{"name": "n", "volume_id": volume.id, "retention": {"keep_last": 2}}],
                **REGION,
            },
        )

    sim = simulate(program, preview=preview)
    [assignment] = sim.of_type(ASSIGNMENT)
    [record] = sim.of_type(GENERATIONS)
    assert assignment.name == "data-data"
    if preview:
        assert isinstance(assignment.inputs["assetId"], Unknown)  # never an error while unknown
    else:
        assert assignment.inputs["assetId"].startswith("ocid1.volume.oc1.")
        assert record.inputs["backups_of"]["source_id"] == assignment.inputs["assetId"]


def test_a_boot_volume_output_given_as_a_block_volume_fails_when_known() -> None:
    def program() -> None:
        boot = oci.core.BootVolume(
            "b",
            availability_domain="AD-1",
            compartment_id=COMPARTMENT,
            source_details=oci.core.BootVolumeSourceDetailsArgs(type="bootVolume", id=VOL_A),
        )
        VolumeBackupPlan("data", {"compartment_id": COMPARTMENT, "oracle_policy": "gold", "block_volumes": [boot.id]})

    with pytest.raises(ArgsError) as info:
        simulate(program)
    assert info.value.render().splitlines()[1] == (
        "block_volumes[0].id: is a boot volume OCID; expected a block volume (ocid1.volume.…)"
    )
