"""The example programs under the mock runtime, as `up` (outputs known) and as a first preview (outputs unknown)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from pulumi.output import Unknown

from components.testing import Registered, Simulation, run_program
from components.tooling.plan import main, read_stack_config, stack_file
from tests.conftest import ROOT


def _runtime(project: dict[str, Any]) -> str:
    runtime = project["runtime"]
    return str(runtime["name"] if isinstance(runtime, dict) else runtime)


EXAMPLES = ROOT / "examples"
PROJECTS = {
    p.name: yaml.safe_load((p / "Pulumi.yaml").read_text()) for p in EXAMPLES.iterdir() if (p / "Pulumi.yaml").is_file()
}
NAMES = sorted(name for name, project in PROJECTS.items() if _runtime(project) == "python")
"""The Python examples: programs that import the components."""
OTHER_LANGUAGES = sorted(name for name in PROJECTS if name not in NAMES)
"""The examples in other languages: programs that use the package through the component provider."""
STACKS = {"acme/infra/prod": {"orders_db_volume_id": "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa"}}


def run(example: str, *, preview: bool) -> Simulation:
    """The example under the mock runtime with the placeholder config of its dev stack file, as a user's test would."""
    config, _ = read_stack_config(stack_file("dev", EXAMPLES / example))
    return run_program(EXAMPLES / example, config=config, stack="dev", stack_outputs=STACKS, preview=preview)


def one(sim: Simulation, type_suffix: str, name: str | None = None) -> Registered:
    [found] = [r for r in sim.resources if r.type.endswith(type_suffix) and name in (None, r.name)]
    return found


def depends_on(resource: Registered, other: Registered) -> bool:
    return other.urn in resource.dependencies


def test_the_examples_are_the_four_python_programs_the_yaml_program_and_the_typescript_program() -> None:
    assert NAMES == [
        "ibm-volume-snapshots",
        "oci-instance-boot-volume",
        "oci-vault-backup-par",
        "openstack-volume-backup",
    ]
    assert OTHER_LANGUAGES == ["typescript", "yaml"]


@pytest.mark.parametrize(("example", "runtime"), [("typescript", "nodejs"), ("yaml", "yaml")])
def test_an_example_in_another_language_names_this_checkout_as_its_package_and_its_dynamic_resources_plugin(
    example: str, runtime: str
) -> None:
    project = PROJECTS[example]
    assert _runtime(project) == runtime
    assert (EXAMPLES / example / project["packages"]["backup-topology"]).resolve() == ROOT
    [plugin] = project["plugins"]["providers"]
    assert plugin["name"] == "pulumi-python"
    assert (EXAMPLES / example / plugin["path"]).resolve() == ROOT / "components" / "dynamic"


def test_the_typescript_example_pins_its_packages_and_takes_the_sdk_from_where_package_add_writes_it() -> None:
    package = json.loads((EXAMPLES / "typescript" / "package.json").read_text())
    wanted = package["dependencies"] | package["devDependencies"]
    assert wanted.pop("@pulumi/backup-topology") == "file:sdks/backup-topology"
    assert {"@pulumi/pulumi", "typescript"} <= set(wanted)
    assert all(version[0].isdigit() for version in wanted.values()), wanted  # exact versions, no ranges
    lock = json.loads((EXAMPLES / "typescript" / "package-lock.json").read_text())
    root = lock["packages"][""]
    assert root["dependencies"] | root["devDependencies"] == package["dependencies"] | package["devDependencies"]


def test_the_typescript_examples_lock_records_the_npm_registry_and_the_local_sdk_only() -> None:
    lock = json.loads((EXAMPLES / "typescript" / "package-lock.json").read_text())
    resolved = {name: entry["resolved"] for name, entry in lock["packages"].items() if "resolved" in entry}
    assert resolved.pop("node_modules/@pulumi/backup-topology") == "sdks/backup-topology"
    assert resolved
    assert all(url.startswith("https://registry.npmjs.org/") for url in resolved.values())
    downloaded = [entry for name, entry in lock["packages"].items() if "node_modules/" in name and "link" not in entry]
    assert all("integrity" in entry and "resolved" in entry for entry in downloaded)


def test_every_resource_of_the_yaml_example_is_a_component_of_the_schema_given_its_required_inputs() -> None:
    schema = json.loads((ROOT / "schema" / "pulumi-package.json").read_text())
    resources = PROJECTS["yaml"]["resources"]
    assert {r["type"] for r in resources.values()} == {
        "backup-topology:index:SnapshotWithClones",
        "backup-topology:index:CrossRegionCopy",
        "backup-topology:index:SnapshotBackup",
    }
    for name, resource in resources.items():
        spec = schema["resources"][resource["type"]]
        given = resource["properties"]
        assert set(given) <= set(spec["inputProperties"]), name
        assert set(spec.get("requiredInputs", [])) <= set(given), name
        for key, value in given.items():
            ref = spec["inputProperties"][key].get("$ref", "")
            if isinstance(value, dict) and ref.startswith("#/types/"):
                nested = schema["types"][ref.removeprefix("#/types/")]
                assert set(value) <= set(nested["properties"]), f"{name}.{key}"


@pytest.mark.parametrize("example", NAMES)
def test_every_example_is_a_pulumi_project_that_uses_the_installed_components(example: str) -> None:
    project = yaml.safe_load((EXAMPLES / example / "Pulumi.yaml").read_text())
    assert project["name"] == example
    assert project["runtime"]["name"] == "python"
    assert (EXAMPLES / example / "requirements.txt").read_text().splitlines()[-1] == "../.."


@pytest.mark.parametrize("example", NAMES)
def test_every_example_plans_out_of_the_box_with_the_command_its_stack_file_gives(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = f"python -m components.plan --program examples/{example} --stack dev"
    assert command in (EXAMPLES / example / "Pulumi.dev.yaml").read_text()
    args = command.split()[3:]
    args[args.index("--program") + 1] = str(EXAMPLES / example)  # wherever pytest runs from
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Stack dev: ")
    assert "Run as a first `pulumi preview`" in out
    assert out.rstrip().endswith("0 mandatory findings: exit 0")


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_oci_instance_boot_volume_wires_the_instance_into_the_plan_and_the_copy(preview: bool) -> None:
    sim = run("oci-instance-boot-volume", preview=preview)
    instance = one(sim, ":Instance")
    assignment = one(sim, ":VolumeBackupPolicyAssignment")
    golden = one(sim, ":BootVolumeBackup", "web-golden-image")
    copy = one(sim, ":BootVolumeBackup", "web-golden-dr-copy")
    assert assignment.name == "web-web-1"  # named by the volume's `name`: its OCID is not known while building
    assert depends_on(assignment, instance)
    assert depends_on(golden, instance)
    assert depends_on(copy, golden)
    if preview:
        assert isinstance(assignment.inputs["assetId"], Unknown)
        assert isinstance(copy.inputs["sourceDetails"]["bootVolumeBackupId"], Unknown)
    else:
        assert assignment.inputs["assetId"].startswith("ocid1.bootvolume.oc1.")
        assert copy.inputs["sourceDetails"]["bootVolumeBackupId"] == golden.id
        assert copy.inputs["sourceDetails"]["region"] == "us-ashburn-1"  # from the backup's OCID


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_oci_vault_backup_par_takes_the_vault_key_and_par_of_the_program(preview: bool) -> None:
    sim = run("oci-vault-backup-par", preview=preview)
    key = one(sim, ":Key")
    par = one(sim, ":Preauthrequest")
    backup = one(sim, "OciKeyBackup")
    assert backup.name == "signing-key-0"  # a key from another resource: named by its position
    assert depends_on(backup, key)
    assert depends_on(backup, par)
    assert backup.inputs["par_uri"] == "[secret]"
    if not preview:
        assert backup.inputs["key_id"] == key.id


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_ibm_volume_snapshots_take_the_volume_from_another_stack(preview: bool) -> None:
    sim = run("ibm-volume-snapshots", preview=preview)
    snapshot = one(sim, ":IbmSnapshot")
    copy = one(sim, ":IbmSnapshotCopy")
    assert [d.rsplit("$", 1)[-1] for d in snapshot.dependencies] == ["pulumi:pulumi:StackReference::acme/infra/prod"]
    assert depends_on(copy, snapshot)
    assert copy.inputs["name"] == "orders-db-dr-2026-11-23"
    if preview:
        assert isinstance(copy.inputs["source_snapshot_id"], Unknown)
    else:
        assert snapshot.inputs["source_volume_id"] == STACKS["acme/infra/prod"]["orders_db_volume_id"]
        assert copy.inputs["source_snapshot_id"] == snapshot.id


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_openstack_volume_backup_takes_the_volume_of_the_program(preview: bool) -> None:
    sim = run("openstack-volume-backup", preview=preview)
    volume = one(sim, ":Volume")
    snapshot = one(sim, ":CinderSnapshot")
    backup = one(sim, ":CinderBackup")
    assert depends_on(snapshot, volume)
    assert depends_on(backup, snapshot)
    if preview:
        assert isinstance(snapshot.inputs["volume_id"], Unknown)
    else:
        assert snapshot.inputs["volume_id"] == volume.id
        assert backup.inputs["snapshot_id"] == snapshot.id


@pytest.mark.parametrize("example", NAMES)
def test_what_a_preview_does_not_know_is_shown_unknown_in_text_and_json(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--program", str(EXAMPLES / example), "--stack", "dev"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "pulumi.output.Unknown" not in text
    inputs = json.dumps([r["inputs"] for r in doc["resources"]])
    assert ("[unknown]" in text) == ("[unknown]" in inputs)
    assert "[unknown]" in inputs  # each example takes an ID another resource (or stack) makes
