"""SnapshotWithClones, SnapshotConsistencyGroup and CrossRegionCopy under the mock runtime, through the program."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_openstack as openstack
import pytest
from pulumi.output import Unknown

from components.cross_region_copy import CrossRegionCopy
from components.ibm.snapshots import SnapshotConsistencyGroup, SnapshotWithClones
from components.tooling.mock_runtime import simulate
from tests.conftest import run_program

SNAPSHOT = "pulumi-python:dynamic/backup-topology:IbmSnapshot"
GROUP = "pulumi-python:dynamic/backup-topology:IbmSnapshotConsistencyGroup"
COPY = "pulumi-python:dynamic/backup-topology:IbmSnapshotCopy"
VOLUME = "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa"
BACKUP = "ocid1.bootvolumebackup.oc1.iad.abuwcljrbackupexample"
PHX_KEY = "ocid1.key.oc1.phx.bbtestvault.abuwcljstestkey"


def topology(**extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "ibm": {
            "region": "us-south",
            "resource_group_id": "rg-default",
            "endpoints": {"us-east": "https://us-east.private.iaas.cloud.ibm.com/v1"},
            "clone_zone_hourly_rate": 0.25,
            "snapshots": [
                {
                    "name": "db-data",
                    "volume_id": VOLUME,
                    "clone_zones": ["us-south-1", "us-south-2"],
                    "user_tags": ["env:prod"],
                    "trigger": "2026-11-23",
                }
            ],
        }
    }
    raw.update(copy.deepcopy(extra))
    return raw


def test_a_snapshot_with_clones_is_one_dynamic_resource_with_its_zones() -> None:
    sim = run_program(topology())
    [component] = sim.of_type("backup-topology:index:SnapshotWithClones")
    [snapshot] = sim.of_type(SNAPSHOT)
    assert snapshot.parent == component.urn
    assert snapshot.inputs["name"] == "db-data-2026-11-23"
    assert snapshot.inputs["source_volume_id"] == VOLUME
    assert snapshot.inputs["clone_zones"] == ["us-south-1", "us-south-2"]
    assert snapshot.inputs["resource_group_id"] == "rg-default"
    assert snapshot.inputs["connection"] == {"region": "us-south"}
    exported = sim.exports["ibm_snapshots"]["db-data"]
    assert exported["clone_zone_hours_per_month"] == 2 * 730
    assert exported["monthly_clone_cost"] == 365.0
    assert exported["currency"] == "USD"
    assert exported["clones"] == {"us-south-1": {"available": True}, "us-south-2": {"available": True}}


def test_without_a_rate_there_is_no_money_estimate() -> None:
    raw = topology()
    del raw["ibm"]["clone_zone_hourly_rate"]
    exported = run_program(raw).exports["ibm_snapshots"]["db-data"]
    assert exported["clone_zone_hours_per_month"] == 1460
    assert exported["monthly_clone_cost"] is None


def test_a_consistency_group_declares_one_group_resource() -> None:
    raw = topology()
    raw["ibm"]["consistency_groups"] = [
        {"name": "app", "volume_ids": ["r006-a", "r006-b"], "trigger": "v1", "delete_snapshots_on_delete": False}
    ]
    sim = run_program(raw)
    [group] = sim.of_type(GROUP)
    assert group.inputs["name"] == "app-v1"
    assert group.inputs["source_volume_ids"] == ["r006-a", "r006-b"]
    assert group.inputs["delete_snapshots_on_delete"] is False
    assert len(sim.exports["ibm_consistency_groups"]["app"]["snapshot_ids"]) == 2


def test_an_ibm_copy_goes_through_the_destination_region_after_its_source() -> None:
    raw = topology(copies=[{"name": "db-dr", "ibm": {"snapshot": "db-data", "destination_region": "us-east"}}])
    sim = run_program(raw)
    [snapshot] = sim.of_type(SNAPSHOT)
    [made] = sim.of_type(COPY)
    assert made.inputs["name"] == "db-dr-2026-11-23"
    assert made.inputs["source_snapshot_id"] == snapshot.inputs["snapshot_id"]
    assert made.inputs["source"] == {"region": "us-south"}
    assert made.inputs["destination"] == {
        "region": "us-east",
        "endpoint": "https://us-east.private.iaas.cloud.ibm.com/v1",
    }
    assert snapshot.urn in made.dependencies  # depends_on the component waits for its snapshot
    assert sim.exports["copies"]["db-dr"]["destination_region"] == "us-east"


def test_an_oci_copy_is_a_native_backup_through_a_provider_of_the_destination() -> None:
    raw = {
        "oci": {"region": "us-ashburn-1"},
        "copies": [
            {
                "name": "boot-dr",
                "oci": {"source_backup_id": BACKUP, "destination_region": "us-phoenix-1", "kms_key_id": PHX_KEY},
            }
        ],
    }
    sim = run_program(raw)
    [backup] = sim.of_type("oci:Core/bootVolumeBackup:BootVolumeBackup")
    assert backup.inputs["sourceDetails"] == {
        "region": "us-ashburn-1",
        "bootVolumeBackupId": BACKUP,
        "kmsKeyId": PHX_KEY,
    }
    providers = {p.name: p for p in sim.of_type("pulumi:providers:oci")}
    assert providers["oci-us-phoenix-1"].inputs["region"] == "us-phoenix-1"


def test_component_args_errors_name_the_component() -> None:
    def program() -> None:
        SnapshotWithClones("bad", {"name": "Bad", "volume_id": "v", "trigger": "t", "region": "us-south"})

    with pytest.raises(pulumi.RunError, match="SnapshotWithClones 'bad': invalid args"):
        simulate(program)


def test_a_clone_in_the_volume_zone_given_to_the_component_is_refused_at_once() -> None:
    def program() -> None:
        args = {"volume_id": "v", "trigger": "t", "region": "us-south", "volume_zone": "us-south-2"}
        SnapshotWithClones("db", {**args, "clone_zones": ["us-south-2"]})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    assert str(info.value).splitlines() == [
        "SnapshotWithClones 'db': invalid args",
        "clone_zones[0]: us-south-2 is volume_zone, the volume's own zone: a fast-restore clone goes to another zone",
    ]


def test_a_copys_key_from_an_output_is_checked_when_known_with_the_literal_message() -> None:
    def program() -> None:
        snapshot = SnapshotWithClones("db", {"volume_id": "v", "trigger": "t", "region": "us-south"})
        key = pulumi.Output.from_input("crn:v1:bluemix:public:kms:us-east-1:a/a1:i:key:k")
        CrossRegionCopy("dr", {"destination_region": "us-east", "ibm": {"source": snapshot, "encryption_key_crn": key}})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    assert str(info.value).splitlines() == [
        "CrossRegionCopy 'dr': invalid args",
        "ibm.encryption_key_crn: names the location 'us-east-1' (a zone of us-east), not an IBM Cloud region: a root "
        "key lives in a region",
    ]


def test_a_copy_of_a_consistency_group_copies_each_of_its_snapshots_in_the_same_up() -> None:
    raw = topology(copies=[{"name": "app-dr", "ibm": {"consistency_group": "app", "destination_region": "us-east"}}])
    raw["ibm"]["consistency_groups"] = [{"name": "app", "volume_ids": ["r006-a", "r006-b"], "trigger": "v1"}]
    sim = run_program(raw)
    [group] = sim.of_type(GROUP)
    copies = sorted(sim.of_type(COPY), key=lambda c: c.name)
    assert [c.name for c in copies] == ["app-dr-copy-0", "app-dr-copy-1"]
    assert [c.inputs["name"] for c in copies] == ["app-dr-0-v1", "app-dr-1-v1"]
    assert [c.inputs["source_snapshot_id"] for c in copies] == group.inputs["snapshot_ids"]
    assert all(group.urn in c.dependencies for c in copies)


def test_a_copy_of_a_plans_manual_backup_is_made_in_the_same_up() -> None:
    raw = {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [
                {
                    "name": "web",
                    "compartment_id": "ocid1.compartment.oc1..aaaaaaaaweb",
                    "manual_backups": [{"name": "golden", "boot_volume_id": "ocid1.bootvolume.oc1.iad.abuwcljrgold"}],
                }
            ],
        },
        "copies": [
            {
                "name": "golden-dr",
                "oci": {"source": {"plan": "web", "manual_backup": "golden"}, "destination_region": "us-phoenix-1"},
            }
        ],
    }
    sim = run_program(raw)
    backups = {b.name: b for b in sim.of_type("oci:Core/bootVolumeBackup:BootVolumeBackup")}
    golden, copy = backups["web-golden"], backups["golden-dr-copy"]
    assert copy.inputs["sourceDetails"]["bootVolumeBackupId"] == golden.id
    assert copy.inputs["sourceDetails"]["region"] == "us-ashburn-1"
    assert golden.urn in copy.dependencies


def test_a_volume_id_from_an_output_is_checked_when_known_with_the_literal_message() -> None:
    def program() -> None:
        SnapshotWithClones("db", {"volume_id": pulumi.Output.from_input(""), "region": "us-south", "trigger": "t1"})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    assert str(info.value).splitlines() == [
        "SnapshotWithClones 'db': invalid args",
        "volume_id: must have at least 1 character (got '')",
    ]


def test_a_volume_id_not_known_in_a_preview_is_not_judged() -> None:
    def program() -> None:
        volume = openstack.blockstorage.Volume("data", size=1)  # its id is unknown until it is made
        SnapshotWithClones("db", {"volume_id": volume.id, "region": "us-south", "trigger": "t1"})

    sim = simulate(program, preview=True)
    [snapshot] = sim.of_type(SNAPSHOT)
    assert isinstance(snapshot.inputs["source_volume_id"], Unknown)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_consistency_group_of_volumes_from_other_resources(preview: bool) -> None:
    def program() -> None:
        volumes = [openstack.blockstorage.Volume(f"data-{i}", size=1) for i in range(2)]  # stands for any resource
        SnapshotConsistencyGroup("app", {"volume_ids": [v.id for v in volumes], "region": "us-south", "trigger": "t1"})

    sim = simulate(program, preview=preview)
    [group] = sim.of_type(GROUP)
    volumes = sim.of_type("openstack:blockstorage/volume:Volume")
    assert {v.urn for v in volumes} <= set(group.dependencies)
    if preview:
        assert all(isinstance(v, Unknown) for v in group.inputs["source_volume_ids"])
    else:
        assert group.inputs["source_volume_ids"] == [v.id for v in sorted(volumes, key=lambda v: v.name)]
