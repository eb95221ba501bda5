"""The component provider builds each component as a Python program does: inputs in the schema's names mapped to the
component's Args, the same type token and children, every required output present in the schema's names."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pulumi
import pytest
from pulumi.errors import InputPropertiesError

from components.provider.host import BackupTopologyProvider, started_as_plugin
from components.tooling.mock_runtime import Simulation, simulate
from tests.conftest import ROOT

PROVIDER = BackupTopologyProvider()
SNAPSHOT = {
    "volumeId": "r006-1ab00001-volume",
    "region": "us-south",
    "trigger": "t1",
    "cloneZones": ["us-south-2"],
    "cloneZoneHourlyRate": 0.01,
    "consistency": "application",
    "quiesceHook": "fsfreeze-db",
    "timeouts": {"create": "2m"},
    "retention": {"keepLast": 3},
}


def construct(component: str, inputs: dict[str, Any], *, preview: bool = False) -> tuple[Simulation, dict[str, Any]]:
    """Construct one component through the provider under the mock runtime; the state it returns, resolved."""

    def program() -> None:
        result = PROVIDER.construct("db", f"backup-topology:index:{component}", inputs)
        pulumi.export("urn", result.urn)
        pulumi.export("state", result.state)

    sim = simulate(program, preview=preview)
    return sim, sim.exports["state"]


def required_outputs(component: str) -> set[str]:
    return set(PROVIDER.spec["resources"][f"backup-topology:index:{component}"]["required"])


def test_a_snapshot_is_built_with_the_python_type_token_and_children_and_every_required_output() -> None:
    sim, state = construct("SnapshotWithClones", SNAPSHOT)
    [component] = sim.of_type("backup-topology:index:SnapshotWithClones")
    assert component.name == "db"
    assert sorted(r.name for r in sim.children(component.urn)) == ["db-generations", "db-snapshot"]
    [snapshot] = sim.of_type("pulumi-python:dynamic/backup-topology:IbmSnapshot")
    assert snapshot.inputs["clone_zones"] == ["us-south-2"]
    assert snapshot.inputs["timeouts"] == {"create": 120, "update": 120, "delete": 120}
    assert required_outputs("SnapshotWithClones") <= set(state)
    assert state["consistency"] == "application"  # the enum's value, as the component took it
    assert state["monthlyCloneCost"] == round(730 * 0.01, 2)


def test_without_a_rate_the_currency_is_left_out_and_every_required_output_is_there() -> None:
    _, state = construct("SnapshotWithClones", {k: v for k, v in SNAPSHOT.items() if k != "cloneZoneHourlyRate"})
    assert "currency" not in state
    assert required_outputs("SnapshotWithClones") <= set(state)


def test_a_copy_takes_its_source_by_id_from_another_language() -> None:
    inputs = {
        "destinationRegion": "us-east",
        "ibm": {"sourceSnapshotId": "r006-snap", "sourceRegion": "us-south", "sourceTrigger": "t1"},
        "deleteOnRemoval": True,
    }
    sim, state = construct("CrossRegionCopy", inputs)
    [copy] = sim.of_type("pulumi-python:dynamic/backup-topology:IbmSnapshotCopy")
    assert copy.name == "db-copy"
    assert copy.inputs["source_snapshot_id"] == "r006-snap"
    assert copy.inputs["name"] == "db-t1"
    assert required_outputs("CrossRegionCopy") <= set(state)


def test_a_cinder_snapshot_backup_is_built_in_a_preview_with_its_nested_args() -> None:
    inputs = {"volumeId": "vol-1", "trigger": "t1", "backup": {"incremental": True}}
    sim, _ = construct("SnapshotBackup", inputs, preview=True)
    assert sorted(r.name for r in sim.resources if r.custom) == ["db-backup", "db-generations", "db-snapshot"]
    [backup] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderBackup")
    assert backup.inputs["incremental"] is True


def test_invalid_args_are_property_errors_in_the_schema_s_names() -> None:
    bad = {**SNAPSHOT, "cloneZones": ["eu-de-1"]}
    with pytest.raises(InputPropertiesError) as raised:
        construct("SnapshotWithClones", bad)
    assert [e["property_path"] for e in raised.value.errors or []] == ["cloneZones[0]"]
    assert "SnapshotWithClones 'db'" in raised.value.message


def test_a_missing_required_input_is_named() -> None:
    with pytest.raises(Exception, match="Missing required input 'trigger' on 'SnapshotWithClones'"):
        construct("SnapshotWithClones", {"volumeId": "v", "region": "us-south"})


def test_the_checkout_started_by_the_engine_is_the_plugin_and_a_program_is_not() -> None:
    check = "import sys; from components.provider.host import started_as_plugin; print(started_as_plugin())"
    ran = subprocess.run(
        [sys.executable, "-c", check, "127.0.0.1:50051"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == "True"  # no monitor, an engine address: the engine started it as a plugin
    assert simulate(lambda: pulumi.export("plugin", started_as_plugin())).exports["plugin"] is False
