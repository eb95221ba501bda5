"""SnapshotBackup under the mock runtime, and the `openstack` section's validation."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import run_program, topology_problems

VOLUME = "6b3f2a4e-5b1d-4f59-9a7e-1f1c2d3e4f50"


def spec(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "db-volume",
        "volume_id": VOLUME,
        "snapshot": {"description": "nightly", "metadata": {"app": "db"}},
        "backup": {"incremental": True},
        "trigger": "2026-11-23",
    }
    base.update(changes)
    return base


def topology(*specs: dict[str, Any]) -> dict[str, Any]:
    return {
        "openstack": {
            "cloud": "prod",
            "region_name": "RegionOne",
            "snapshot_backups": [copy.deepcopy(s) for s in specs],
        }
    }


problems = topology_problems


def test_a_snapshot_then_a_backup_from_it_deleted_in_that_order() -> None:
    sim = run_program(topology(spec()))
    [component] = sim.of_type("backup-topology:index:SnapshotBackup")
    [snapshot] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderSnapshot")
    [backup] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderBackup")
    assert snapshot.parent == component.urn
    assert backup.parent == component.urn
    assert snapshot.inputs["name"] == backup.inputs["name"] == "db-volume-2026-11-23"
    # The series marker: retention finds this spec's generations by it.
    assert snapshot.inputs["metadata"] == {
        "app": "db",
        "backup-topology-series": "organization/backup-topology/test/cinder/db-volume",
    }
    assert backup.inputs["metadata"]["backup-topology-series"] == "organization/backup-topology/test/cinder/db-volume"
    assert snapshot.inputs["connection"] == {"cloud": "prod", "region_name": "RegionOne"}
    assert backup.inputs["snapshot_id"] == snapshot.inputs["snapshot_id"]
    assert backup.inputs["incremental"] is True
    assert backup.inputs.get("container") is None  # left empty: the service's default container
    assert snapshot.urn in backup.dependencies  # so Pulumi deletes the backup before the snapshot
    assert backup.retain_on_delete  # a new trigger or a removal leaves the backup in Cinder
    assert not snapshot.retain_on_delete  # the snapshot of a superseded generation goes
    exported = sim.exports["openstack_snapshot_backups"]["db-volume"]
    assert exported["backup_id"] == backup.inputs["backup_id"]


def test_no_credentials_enter_the_inputs() -> None:
    sim = run_program(topology(spec()))
    for resource in sim.resources:
        assert "password" not in str(resource.inputs).lower()


def test_names_are_unique() -> None:
    assert problems(topology(spec(), spec(volume_id="other"))) == [
        "openstack.snapshot_backups[1].name: 'db-volume' is already the name of openstack.snapshot_backups[0]"
    ]


def test_the_marker_metadata_key_is_reserved() -> None:
    [problem] = problems(topology(spec(snapshot={"metadata": {"backup-topology": "x"}})))
    assert problem.startswith("openstack.snapshot_backups[0].snapshot.metadata: the key 'backup-topology' is reserved")


def test_unknown_fields_are_named() -> None:
    [problem] = problems(topology(spec(backup={"incremantal": True})))
    assert problem == "openstack.snapshot_backups[0].backup.incremantal: unknown field; did you mean 'incremental'?"


def test_the_series_metadata_key_is_reserved() -> None:
    [problem] = problems(topology(spec(backup={"metadata": {"backup-topology-series": "x"}})))
    assert problem.startswith(
        "openstack.snapshot_backups[0].backup.metadata: the key 'backup-topology-series' is reserved"
    )


def test_retention_and_delete_on_removal_reach_the_generations_resource() -> None:
    sim = run_program(topology(spec(retention={"keep_last": 4, "max_age_days": 30}, delete_on_removal=True)))
    [generations] = sim.of_type("pulumi-python:dynamic/backup-topology:Generations")
    assert generations.inputs["kind"] == "cinder"
    assert generations.inputs["series"] == "organization/backup-topology/test/cinder/db-volume"
    assert (generations.inputs["keep_last"], generations.inputs["max_age_days"]) == (4, 30)
    assert generations.inputs["delete_on_removal"] is True
