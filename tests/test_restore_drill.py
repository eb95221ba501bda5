"""RestoreDrill in the topology and under mocks: what it restores, and the mistakes it names."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import run_program, topology_problems

SHA = "a" * 64


def topology(**drill: Any) -> dict[str, Any]:
    return {
        "openstack": {
            "snapshot_backups": [{"name": "db", "volume_id": "vol-1", "trigger": "t1"}],
        },
        "restore_drills": [{"name": "db-drill", "openstack": {"snapshot_backup": "db"}, "trigger": "d1", **drill}],
    }


def test_a_drill_restores_the_current_backup_after_it_is_made() -> None:
    sim = run_program(topology(expect={"sha256": SHA, "length_bytes": 4096}))
    [backup] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderBackup")
    [drill] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderRestoreDrill")
    assert drill.inputs["restore_point"] == "backup"
    assert drill.inputs["restore_point_id"] == backup.inputs["backup_id"]
    assert drill.inputs["expect"] == {"sha256": SHA, "length_bytes": 4096}
    assert drill.inputs["name"] == "db-drill-d1"
    assert "restore_drills" in sim.exports


def test_a_snapshot_drill_restores_the_current_snapshot() -> None:
    raw = topology()
    raw["restore_drills"][0]["openstack"]["restore_point"] = "snapshot"
    sim = run_program(raw)
    [snapshot] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderSnapshot")
    [drill] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderRestoreDrill")
    assert drill.inputs["restore_point_id"] == snapshot.inputs["snapshot_id"]


def test_a_drill_of_an_unknown_entry_and_a_duplicate_name_are_named() -> None:
    raw = topology()
    raw["restore_drills"].append(copy.deepcopy(raw["restore_drills"][0]))
    raw["restore_drills"][1]["openstack"]["snapshot_backup"] = "web"
    assert topology_problems(raw) == [
        "restore_drills[1].name: 'db-drill' is already the name of restore_drills[0]",
        "restore_drills[1].openstack.snapshot_backup: no entry 'web' in openstack.snapshot_backups (known: db)",
    ]


def test_an_expected_digest_must_be_a_sha256() -> None:
    [problem] = topology_problems(topology(expect={"sha256": "ABC"}))
    assert problem.startswith("restore_drills[0].expect.sha256: ")


def test_a_drill_names_its_restore_point() -> None:
    raw = topology()
    del raw["restore_drills"][0]["openstack"]
    assert topology_problems(raw) == [
        "restore_drills[0].openstack: give the restore point to drill: exactly one of openstack or ibm"
    ]


def ibm_topology(**ibm: Any) -> dict[str, Any]:
    return {
        "ibm": {"region": "us-south", "snapshots": [{"name": "orders-db", "volume_id": "vol-1", "trigger": "t1"}]},
        "restore_drills": [
            {"name": "orders-drill", "ibm": {"snapshot": "orders-db", "zone": "us-south-2", **ibm}, "trigger": "d1"}
        ],
    }


def test_an_ibm_drill_restores_the_current_snapshot_in_its_zone() -> None:
    sim = run_program(ibm_topology())
    [snapshot] = sim.of_type("pulumi-python:dynamic/backup-topology:IbmSnapshot")
    [drill] = sim.of_type("pulumi-python:dynamic/backup-topology:IbmRestoreDrill")
    assert drill.inputs["restore_point_id"] == snapshot.inputs["snapshot_id"]
    assert (drill.inputs["zone"], drill.inputs["profile"]) == ("us-south-2", "general-purpose")
    assert drill.inputs["connection"]["region"] == "us-south"


def test_an_ibm_drill_names_a_wrong_zone_or_snapshot_and_takes_no_expect() -> None:
    raw = ibm_topology(zone="eu-de-1", snapshot="other")
    assert topology_problems(raw) == [
        "restore_drills[0].ibm.snapshot: no entry 'other' in ibm.snapshots (known: orders-db)",
        "restore_drills[0].ibm.zone: 'eu-de-1' is not a zone of us-south (us-south-1, ...)",
    ]
    raw = ibm_topology()
    raw["restore_drills"][0]["expect"] = {"sha256": SHA}
    [problem] = topology_problems(raw)
    assert problem.startswith("restore_drills[0].expect: IBM volumes are read by an instance they are attached to")


def test_placement_is_for_a_volume_made_from_a_snapshot() -> None:
    raw = topology()
    raw["restore_drills"][0]["openstack"]["availability_zone"] = "az2"
    assert topology_problems(raw) == [
        "restore_drills[0].openstack.availability_zone: only for restore_point: snapshot (a backup is restored "
        "where Cinder's backup service places it)"
    ]
    raw["restore_drills"][0]["openstack"]["restore_point"] = "snapshot"
    assert topology_problems(raw) == []
