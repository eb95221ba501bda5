"""The Pulumi YAML example (examples/yaml) through its whole life with the real CLI: the component provider started
from the checkout (`packages:`), its dynamic resources served by the checkout's pulumi-python plugin (`plugins:`).

The IBM part (a snapshot with a clone and its copy in another region, against the IBM VPC fake) and the Cinder part
(a snapshot and backup of a volume of the real Cinder lab) are separable: `yaml_project(..., cinder=False)` writes
the program without its Cinder resource, and `whole_life(...)` takes the Cinder checks as an option, so the IBM part
runs against the VPC fake alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.conftest import Cli, Run
from tests.fakes.ibm_vpc import VpcCloud
from tests.fakes.lab import LabClouds

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "yaml"
CINDER_RESOURCES = {"build"}
CINDER_OUTPUTS = {"cinderBackupId"}
CINDER_CONFIG = {"cinderVolumeId", "cinderRegion"}


def yaml_project(destination: Path, *, cinder: bool) -> Path:
    """The example program in `destination`, its paths made absolute (the checkout), with or without its Cinder part."""
    doc = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text())
    doc["packages"] = {name: str((EXAMPLE / path).resolve()) for name, path in doc["packages"].items()}
    for plugin in doc["plugins"]["providers"]:
        plugin["path"] = str((EXAMPLE / plugin["path"]).resolve())
    if not cinder:
        doc["resources"] = {k: v for k, v in doc["resources"].items() if k not in CINDER_RESOURCES}
        doc["outputs"] = {k: v for k, v in doc["outputs"].items() if k not in CINDER_OUTPUTS}
        doc["config"] = {k: v for k, v in doc["config"].items() if k not in CINDER_CONFIG}
    destination.mkdir(parents=True, exist_ok=True)
    (destination / "Pulumi.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return destination


def changed(run: Run) -> dict[str, list[str]]:
    return {name: ops for name, ops in run.steps().items() if ops != ["same"]}


def mutating(vpc: VpcCloud) -> list[str]:
    return [f"{r.method} {r.path}" for r in vpc.mutating()]


class CinderChecks:
    """What the Cinder part checks in the real Cinder lab: the volume's snapshots and backups."""

    def __init__(self, conn: Any, volume_id: str) -> None:
        self.conn = conn
        self.volume_id = volume_id

    def items(self) -> tuple[list[Any], list[Any]]:
        bs = self.conn.block_storage
        return (
            list(bs.snapshots(details=True, volume_id=self.volume_id)),
            list(bs.backups(details=True, volume_id=self.volume_id)),
        )


def whole_life(cli: Cli, vpc: VpcCloud, cinder: CinderChecks | None, configure: Callable[[Cli], None]) -> None:
    """preview, up, an unchanged up sending nothing, a change made in place, destroy: through the real CLI."""
    cli("stack", "init", "lab", "--secrets-provider", "passphrase")
    configure(cli)
    ibm = {"db", "db-snapshot", "db-generations", "db-dr", "db-dr-copy", "db-dr-generations"}
    cinder_names = {"build", "build-snapshot", "build-backup", "build-generations"} if cinder else set()

    # preview: the components and their dynamic resources to create; nothing sent that changes a cloud
    preview = cli("preview", "--json").preview()
    assert preview["changeSummary"] == {"create": len(ibm | cinder_names) + 1}  # and the stack
    created = {s["urn"].rsplit("::", 1)[-1] for s in preview["steps"] if s["op"] == "create"}
    assert created >= ibm | cinder_names
    types = {s["urn"].rsplit("::", 1)[-1]: s["urn"].split("::")[-2] for s in preview["steps"]}
    assert types["db"] == "backup-topology:index:SnapshotWithClones"  # the type token Python programs register
    assert types["db-snapshot"].endswith("pulumi-python:dynamic/backup-topology:IbmSnapshot")
    assert mutating(vpc) == []
    if cinder:
        assert cinder.items() == ([], [])

    # up: the snapshot with its clone, its copy in us-east; the Cinder snapshot and backup
    up = cli("up", "--yes", "--skip-preview", "--json")
    assert up.summary() == {"create": len(ibm | cinder_names) + 1}
    [snapshot] = [s for s in vpc.snapshots.values() if s["_region"] == "us-south"]
    assert snapshot["name"] == "db-t1"
    assert [c["zone"]["name"] for c in snapshot["clones"]] == ["us-south-2"]
    assert "env:lab" in snapshot["user_tags"]
    [copy] = [s for s in vpc.snapshots.values() if s["_region"] == "us-east"]
    assert copy["source_snapshot"]["id"] == snapshot["id"]
    outputs = cli("stack", "output", "--json").stdout
    assert snapshot["id"] in outputs
    assert copy["id"] in outputs
    assert '"cloneZoneHoursPerMonth": 730' in outputs
    if cinder:
        [cinder_snapshot], [cinder_backup] = cinder.items()
        assert (cinder_snapshot.status, cinder_backup.status) == ("available", "available")
        assert cinder_backup.id in outputs

    # an unchanged up: no change, nothing sent that changes a cloud
    sent = mutating(vpc)
    cinder_before = cinder.items() if cinder else None
    cli("up", "--yes", "--expect-no-changes")
    assert mutating(vpc) == sent
    if cinder:
        assert [[i.id for i in group] for group in cinder.items()] == [[i.id for i in g] for g in cinder_before or ()]

    # a change made in place: another user tag on the snapshot patches it; the restore point stays
    program = yaml.safe_load((cli.project / "Pulumi.yaml").read_text())
    program["resources"]["db"]["properties"]["userTags"].append("app:db")
    (cli.project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False))
    update = cli("up", "--yes", "--skip-preview", "--json")
    assert changed(update) == {"db-snapshot": ["update"]}
    assert mutating(vpc)[len(sent) :] == [f"PATCH /v1/snapshots/{snapshot['id']}"]
    assert {"env:lab", "app:db"} <= set(vpc.snapshots[snapshot["id"]]["user_tags"])
    cli("up", "--yes", "--expect-no-changes")

    # destroy: nothing left in the IBM fake or in Cinder
    destroy = cli("destroy", "--yes", "--skip-preview", "--json")
    assert destroy.summary() == {"delete": up.summary()["create"]}
    assert vpc.snapshots == {}
    if cinder:
        assert cinder.items() == ([], [])


def test_the_yaml_program_through_its_whole_life(
    cli: Cli, lab: LabClouds, cinder: dict[str, str], conn: Any, volume: Any, tmp_path: Path
) -> None:
    cli.project = yaml_project(tmp_path / "yaml-program", cinder=True)
    cli.env.update({**cinder, **lab.environment()})

    def configure(cli: Cli) -> None:
        cli("config", "set", "cinderVolumeId", volume.id)

    whole_life(cli, lab.vpc, CinderChecks(conn, volume.id), configure)
