"""The package schema: every public component with its type token, every Args field as an input (typed, documented,
required as its TypedDict says) and every declared output; the committed file follows the code."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.provider.experimental.util import camel_case

from components.outputs import declared_outputs, public_components
from components.provider.host import BackupTopologyProvider
from components.provider.schema import COMMAND, SCHEMA_FILE, main, package_schema
from components.provider.shapes import _Shaper, args_typed_dict, schema_words, shapes
from components.tooling.docs import ArgField, typed_dict_fields

PACKAGE = "backup-topology"
SCHEMA = package_schema()
COMPONENTS = public_components()
LEFT_OUT = {s.component.__name__: set(s.left_out) for s in shapes().components}


def resolve(prop: dict[str, Any]) -> dict[str, Any] | None:
    """The schema type a property (or its items) refers to, if any."""
    ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
    if ref is None or not ref.startswith("#/types/"):
        return None
    return dict(SCHEMA["types"][ref.removeprefix("#/types/")])


def fields_and_properties(
    klass: type, properties: dict[str, Any], where: str
) -> Iterator[tuple[str, type, ArgField, Any]]:
    """Every field of a TypedDict (nested ones too), its TypedDict, and the schema property that stands for it."""
    for arg in typed_dict_fields(klass):
        path = f"{where}.{arg.name}"
        prop = properties.get(camel_case(arg.name))
        yield path, klass, arg, prop
        for nested, _ in arg.nested:
            target = resolve(prop) if prop is not None else None
            if target is not None:
                yield from fields_and_properties(nested, target.get("properties", {}), path)


def test_the_schema_file_is_what_the_provider_serves() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == SCHEMA, f"run: {COMMAND}"
    assert main(["--check"]) == 0


def test_the_package_is_backup_topology_with_every_public_component_under_its_type_token() -> None:
    assert SCHEMA["name"] == PACKAGE
    assert set(SCHEMA["resources"]) == {f"{PACKAGE}:index:{c.__name__}" for c in COMPONENTS}
    assert all(r["isComponent"] for r in SCHEMA["resources"].values())


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_args_field_is_an_input_typed_documented_and_required_as_its_typed_dict_says(component: type) -> None:
    resource = SCHEMA["resources"][f"{PACKAGE}:index:{component.__name__}"]
    args = args_typed_dict(component)
    for path, klass, arg, prop in fields_and_properties(args, resource["inputProperties"], component.__name__):
        if f"{klass.__name__}.{arg.name}" in LEFT_OUT[component.__name__]:
            assert prop is None, f"{path} takes a Python object and has no schema form"
            continue
        assert prop is not None, f"{path} is not in the schema"
        assert "type" in prop or "$ref" in prop, f"{path} has no type"
        assert prop.get("description"), f"{path} has no description"
        if arg.description:
            assert prop["description"] == schema_words(arg.description), path
    required = sorted(camel_case(a.name) for a in typed_dict_fields(args) if a.required)
    assert sorted(resource.get("requiredInputs", [])) == required


def test_only_fields_that_take_python_objects_are_left_out() -> None:
    assert {c: sorted(fields) for c, fields in LEFT_OUT.items() if fields} == {
        "CrossRegionCopy": ["IbmCopyArgs.source", "OciCopyArgs.destination_provider", "OciCopyArgs.source"],
        "RestoreDrill": [
            "IbmDrillArgs.source",
            "OciDrillArgs.source",
            "OciVaultDrillArgs.source",
            "OciVolumeGroupDrillArgs.source",
            "OpenStackDrillArgs.source",
        ],
    }


def test_nested_required_fields_are_required_in_their_types() -> None:
    assert SCHEMA["types"][f"{PACKAGE}:index:IbmDrill"]["required"] == ["zone"]
    assert sorted(SCHEMA["types"][f"{PACKAGE}:index:Schedule"]["required"]) == ["backupType", "period", "retentionDays"]


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_declared_output_is_an_output_with_its_docstring(component: type) -> None:
    resource = SCHEMA["resources"][f"{PACKAGE}:index:{component.__name__}"]
    declared = {camel_case(o.name): schema_words(o.description) for o in declared_outputs(component)}
    assert {k: v.get("description") for k, v in resource["properties"].items()} == declared
    assert all("type" in p or "$ref" in p for p in resource["properties"].values())


def test_what_the_analyzer_cannot_take_is_reshaped() -> None:
    copy = SCHEMA["resources"][f"{PACKAGE}:index:CrossRegionCopy"]["inputProperties"]
    ibm = SCHEMA["types"][f"{PACKAGE}:index:IbmCopy"]
    assert "source" not in ibm["properties"]  # a component instance: Python programs only
    assert "`source`: Python programs only" in ibm["description"]
    assert ibm["properties"]["sourceSnapshotId"] == {
        "description": "Instead of `source`: the ID of a snapshot made elsewhere (with `sourceRegion`).",
        "type": "string",
    }  # an Input: an output of another resource may be given
    assert copy["destinationRegion"]["plain"] is True
    plan = SCHEMA["resources"][f"{PACKAGE}:index:BootVolumeBackupPlan"]["inputProperties"]
    assert plan["bootVolumes"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:BootVolume"  # OCID or {id, name}
    assert plan["consistency"]["$ref"] == f"#/types/{PACKAGE}:index:Consistency"
    consistency = SCHEMA["types"][f"{PACKAGE}:index:Consistency"]
    assert [e["value"] for e in consistency["enum"]] == ["crash", "application"]
    timeouts = SCHEMA["types"][f"{PACKAGE}:index:IbmTimeouts"]["properties"]["create"]
    assert timeouts["type"] == "string"  # `90s`, `30m`, `2h`
    destination = SCHEMA["types"][f"{PACKAGE}:index:VaultBackupDestination"]["properties"]
    assert destination["replicateTo"]["$ref"] == f"#/types/{PACKAGE}:index:Replication"


NEW_COMPONENT = '''
from typing import Literal, Required, TypedDict

import pulumi


class DiskArgs(TypedDict, total=False):
    """A disk."""

    id: Required[pulumi.Input[str]]
    """ID of the disk."""
    tier: Literal["hot", "cold"]
    """Storage tier of its backups."""


class SnapshotMirrorArgs(TypedDict, total=False):
    """Args of SnapshotMirror."""

    compartment_id: Required[pulumi.Input[str]]
    """Compartment of the plan."""
    volumes: list[str | DiskArgs]
    """Volumes: IDs or `{id, tier}`."""
    timeouts: str | int
    """How long a backup may take."""


class DiskState(TypedDict):
    """What a disk's backups are."""

    disk_id: str
    """ID of the disk."""
    last_backup_at: str
    """When its last backup was made."""


class SnapshotMirror(pulumi.ComponentResource):
    """Backups of block volumes."""

    plan_id: pulumi.Output[str]
    """ID of the plan."""
    disks: pulumi.Output[list[DiskState]]
    """Each disk's backups."""

    def __init__(self, name: str, args: SnapshotMirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("backup-topology:index:SnapshotMirror", name, None, opts)
'''


@pytest.fixture
def new_component(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    """A component of a module the schema has never seen (as a merge would bring one)."""
    (tmp_path / "brand_new_component.py").write_text(NEW_COMPONENT)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("brand_new_component")
    yield module.SnapshotMirror
    sys.modules.pop("brand_new_component", None)


def test_a_new_component_and_a_changed_args_reach_the_schema_with_no_change_here(new_component: type) -> None:
    found = _Shaper().run([*COMPONENTS, new_component])
    schema = BackupTopologyProvider(found, "0.0.0").spec
    plan = schema["resources"][f"{PACKAGE}:index:SnapshotMirror"]
    assert plan["requiredInputs"] == ["compartmentId"]
    assert plan["inputProperties"]["volumes"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:Disk"
    assert plan["inputProperties"]["timeouts"] == {
        "description": "How long a backup may take.",
        "plain": True,
        "type": "string",
    }
    assert schema["types"][f"{PACKAGE}:index:Disk"]["required"] == ["id"]
    assert [e["value"] for e in schema["types"][f"{PACKAGE}:index:Tier"]["enum"]] == ["hot", "cold"]
    assert plan["properties"]["planId"] == {"description": "ID of the plan.", "type": "string"}
    assert plan["properties"]["disks"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:DiskState"
    assert set(schema["types"][f"{PACKAGE}:index:DiskState"]["properties"]) == {"diskId", "lastBackupAt"}
    assert schema != SCHEMA  # the committed file no longer matches: test_the_schema_file_... fails until regenerated


def test_objects_of_a_schema_type_in_an_output_list_take_the_schema_s_names(new_component: type) -> None:
    provider = BackupTopologyProvider(_Shaper().run([new_component]), "0.0.0")
    disks = provider._component_defs["SnapshotMirror"].outputs["disks"]
    value = [{"disk_id": "d1", "last_backup_at": "2026-11-23T03:00:00Z"}, {"disk_id": "d2", "last_backup_at": None}]
    assert provider._output_value(value, disks) == [
        {"diskId": "d1", "lastBackupAt": "2026-11-23T03:00:00Z"},
        {"diskId": "d2"},
    ]


def par_properties() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property holding a PAR URL: each one named parUri or parUris, and the fields of the object it refers to."""
    places = [(f"{t} input", r.get("inputProperties", {})) for t, r in SCHEMA["resources"].items()]
    places += [(f"{t} output", r.get("properties", {})) for t, r in SCHEMA["resources"].items()]
    places += [(t, d.get("properties", {})) for t, d in SCHEMA["types"].items()]
    for where, properties in places:
        for name, prop in properties.items():
            if name not in ("parUri", "parUris"):
                continue
            target = resolve(prop)
            if target is None:
                yield f"{where}.{name}", prop
            else:
                yield from ((f"{where}.{name}.{k}", v) for k, v in target["properties"].items())


def test_every_par_url_is_a_secret_in_the_schema() -> None:
    found = dict(par_properties())
    assert {
        "backup-topology:index:VaultBackup output.parUris",
        "backup-topology:index:OciVaultDrill.parUri",
        "backup-topology:index:VaultBackupDestination.parUri.uri",
        "backup-topology:index:BackupObject.parUri.uri",
    } <= set(found)
    assert [where for where, prop in found.items() if prop.get("secret") is not True] == []
    # and nothing else is
    secrets = [p for t in SCHEMA["types"].values() for p in t.get("properties", {}).values() if p.get("secret")]
    secrets += [
        p
        for r in SCHEMA["resources"].values()
        for props in (r.get("inputProperties", {}), r.get("properties", {}))
        for p in props.values()
        if p.get("secret")
    ]
    assert len(secrets) == 3  # GivenPar.uri, OciVaultDrill.parUri, VaultBackup's parUris
