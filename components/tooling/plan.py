"""Offline plan: run the program under Pulumi's mock runtime and print the resource tree and the coverage.

Usage: python -m components.plan (--stack NAME | --config PATH) [--program DIR] [--json] [--wide]
       [--policy-config FILE] [--permissions [--oci-subject SUBJECT]]
Exit codes: 0 clean, 1 a mandatory policy is violated, 2 invalid configuration (one line per mistake on stderr);
with --permissions, 0 once the permissions are printed (2 on invalid configuration).
The policy config is FILE, else `policies/config/<stack>.json` of the program's directory when it exists.
Two runs on the same files print the same bytes: resources in the tree's order, and every time the plan makes up
(a PAR's expiry, a restored volume's creation) counted from a fixed clock, 2000-01-01T00:00:00Z, which the policy
rules judge those times against (components.tooling.mock_runtime.OFFLINE_NOW).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import runpy
import sys
import textwrap
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pulumi
import yaml
from pulumi.output import Unknown

from components.config import CONFIG_KEY, Topology, load_topology
from components.errors import TopologyError
from components.tooling.coverage import CoverageRow, coverage, kept_text, summary
from components.tooling.mock_runtime import OFFLINE_NOW, SECRET, Registered, Simulation, simulate
from components.tooling.permissions import DEFAULT_OCI_SUBJECT, Permissions, permissions
from policies.rules import Res, evaluate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXIT_OK, EXIT_VIOLATION, EXIT_INVALID = 0, 1, 2


class PlanError(Exception):
    """The plan cannot run: a missing or unreadable stack file, or an invalid topology. Exit code 2."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


@dataclass
class PlanResult:
    """What the plan found: the stack, the resources the program declares, coverage and findings."""

    stack: str
    simulation: Simulation
    coverage: list[CoverageRow] | None
    """None for a program that declares its components in code: coverage is read from a topology."""
    findings: list[dict[str, Any]] = field(default_factory=list)
    policy_config: str | None = None
    """The policy config file the rules were run with (None: every rule's defaults)."""
    topology: Topology | None = None
    """The validated topology the plan ran."""

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "stack": self.stack,
            "policy_config": self.policy_config,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "custom": r.custom,
                    "inputs": shown_values(r.inputs),
                }
                for r in self.simulation.resources
            ],
            "coverage": None if self.coverage is None else [row.to_dict() for row in self.coverage],
            "summary": None if self.coverage is None else summary(self.coverage),
            "findings": self.findings,
        }


def _project(project_dir: Path = PROJECT_ROOT) -> dict[str, Any]:
    try:
        doc = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    except FileNotFoundError:
        raise PlanError([f"{project_dir}: no Pulumi.yaml: not a Pulumi project"]) from None
    except (OSError, yaml.YAMLError) as exc:
        raise PlanError([f"{project_dir / 'Pulumi.yaml'}: cannot be read as YAML ({exc})"]) from None
    return doc if isinstance(doc, dict) else {}


def _stack_dir(project_dir: Path = PROJECT_ROOT) -> Path:
    return project_dir / str(_project(project_dir).get("stackConfigDir", "."))


def stack_file(stack: str, project_dir: Path = PROJECT_ROOT) -> Path:
    """Path of a stack's config file, following Pulumi.yaml's stackConfigDir."""
    return _stack_dir(project_dir) / f"Pulumi.{stack}.yaml"


def stacks_of(project_dir: Path = PROJECT_ROOT) -> list[str]:
    """The stacks whose config files the project holds."""
    return sorted(stack_name(p) for p in _stack_dir(project_dir).glob("Pulumi.*.yaml"))


def policy_config_file(stack: str, project_dir: Path = PROJECT_ROOT) -> Path:
    """Where a stack's policy config is found by convention: `policies/config/<stack>.json` of the project."""
    return project_dir / "policies" / "config" / f"{stack}.json"


def read_stack_config(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The `config:` mapping of a stack file and the keys holding secrets (their values become placeholders)."""
    try:
        doc = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise PlanError([f"{path}: stack file not found"]) from None
    except OSError as exc:
        raise PlanError([f"{path}: cannot read the stack file ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PlanError([f"{path}: not valid YAML{where}: {problem}"]) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config", {}), Mapping):
        raise PlanError([f"{path}: a stack file is a mapping with a `config:` mapping"])
    config: dict[str, Any] = {}
    secrets: list[str] = []
    for key, value in (doc.get("config") or {}).items():
        masked, secret = _unsecure(value)
        config[str(key)] = masked
        if secret:
            secrets.append(str(key))
    return config, secrets


def _unsecure(value: Any) -> tuple[Any, bool]:
    """Replace `secure:` (encrypted) values by a placeholder: the offline plan never decrypts anything."""
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return SECRET, True
        items = {k: _unsecure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        parts = [_unsecure(v) for v in value]
        return [v for v, _ in parts], any(s for _, s in parts)
    return value, False


def run_plan(
    config: Mapping[str, Any],
    *,
    stack: str,
    secret_keys: Sequence[str] = (),
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    program_dir: Path = PROJECT_ROOT,
) -> PlanResult:
    """Validate the topology, run the program under mocks, compute coverage and policy findings. Raises PlanError.

    The project's own program declares a topology (`backup-topology:topology`): it runs as `pulumi up` would
    converge it, with coverage. Another program (`program_dir`, e.g. an example) declares its components in code:
    it runs as its first `pulumi preview` would (what other resources or stacks make is unknown), without coverage.
    """
    own = program_dir.resolve() == PROJECT_ROOT
    topology = _validated(config) if own else None
    main = program_dir / "__main__.py"
    if not main.is_file():
        raise PlanError([f"{program_dir}: no __main__.py: the plan runs Python programs"])
    try:
        simulation = simulate(
            lambda: runpy.run_path(str(main), run_name="__main__"),
            config=config,
            secret_keys=secret_keys,
            project=str(_project(program_dir).get("name", "backup-topology")),
            stack=stack,
            preview=not own,
        )
    except pulumi.RunError as exc:
        raise PlanError(str(exc).splitlines()) from None
    # Registrations arrive in any order: the plan lists resources, and the rules meet them, in the tree's order.
    simulation.resources[:] = simulation.in_tree_order()
    # As the engine's stack analysis does: a component's registered outputs are its properties.
    resources = [
        Res(
            type=r.type,
            name=r.name,
            urn=r.urn,
            props=r.inputs if r.outputs is None else r.outputs,
            parent=r.parent,
            dependencies=r.dependencies,
        )
        for r in simulation.resources
    ]
    # The times the mocks made up count from OFFLINE_NOW, so the rules judge them against it; a program run as a
    # preview makes none up (what it would create is unknown), and the times it gives are judged against the clock.
    at = None if simulation.preview else OFFLINE_NOW
    findings = [f.to_dict() for f in evaluate(resources, stack, policy_config, at=at)]
    rows = coverage(topology) if topology is not None else None
    return PlanResult(stack=stack, simulation=simulation, coverage=rows, findings=findings, topology=topology)


def topology_of_file(path: Path) -> Topology:
    """The validated topology of a stack file, as the plan reads it (secret values stay placeholders, never
    decrypted). Raises PlanError, each mistake naming the file."""
    config, _secrets = read_stack_config(path)
    try:
        return _validated(config)
    except PlanError as exc:
        raise PlanError([f"{shown(path)}: {line}" for line in exc.lines]) from None


def _validated(config: Mapping[str, Any]) -> Topology:
    try:
        return load_topology(config.get(CONFIG_KEY))
    except TopologyError as exc:
        raise PlanError(exc.render().splitlines()) from None


# --- rendering ---------------------------------------------------------------------------------


UNKNOWN_SHOWN = "[unknown]"
"""How a value not known yet (made by another resource or stack, in a preview) is printed and written in JSON."""


def shown_values(value: Any) -> Any:
    """`value` with every value not known yet replaced by UNKNOWN_SHOWN (JSON has no unknown)."""
    if isinstance(value, Unknown):
        return UNKNOWN_SHOWN
    if isinstance(value, Mapping):
        return {k: shown_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown_values(v) for v in value]
    return value


_VALUE_WIDTH = 60
"""Characters of one input value the tree shows; longer ones end in `…`."""


def _short(value: Any) -> str:
    """An input value as the tree shows it: whole numbers as integers, lists and mappings spelled out, capped."""
    return _clip(_readable(value), _VALUE_WIDTH)


def _readable(value: Any) -> str:
    if isinstance(value, Unknown):
        return UNKNOWN_SHOWN
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # the engine carries every number as a float: 5.0 was written 5
    if isinstance(value, list):
        return "[" + ", ".join(_readable(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_readable(v)}" for k, v in value.items() if v is not None) + "}"
    return str(value)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _key_inputs(resource: Registered) -> str:
    return " ".join(f"{k}={_short(v)}" for k, v in sorted(resource.inputs.items()) if not k.startswith("__"))


def consistency_cell(row: CoverageRow) -> str:
    """The CONSISTENCY column: the declared consistency, `undeclared` for an in-use volume without one, else `-`."""
    if row.consistency is not None:
        return row.consistency
    return "undeclared" if row.in_use else "-"


def render_tree(simulation: Simulation) -> list[str]:
    """The resource tree, one resource per line: type, name, key inputs."""
    root_name = simulation.stack_urn.rsplit("::", 1)[-1]
    lines = [f"pulumi:pulumi:Stack  {root_name}"]

    def walk(urn: str, prefix: str) -> None:
        kids = simulation.children(urn)
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            extras = _key_inputs(kid)
            lines.append(
                f"{prefix}{'└─ ' if last else '├─ '}{kid.type}  {kid.name}" + (f"  {extras}" if extras else "")
            )
            walk(kid.urn, prefix + ("   " if last else "│  "))

    walk(simulation.stack_urn, "")
    return lines


WIDTH = 120
"""Columns the text plan fits by default (`--wide` shows every coverage column at its full width)."""

_KINDS = {
    "BootVolumeBackupPlan": "plan",
    "VolumeBackupPlan": "plan",
    "VolumeGroupBackupPlan": "volume group",
    "IbmBackupPolicy": "policy",
    "SnapshotWithClones": "snapshot",
    "SnapshotConsistencyGroup": "group",
    "VaultBackup": "vault backup",
    "SnapshotBackup": "snapshot+backup",
    "CrossRegionCopy": "copy",
}
"""Short names of the components in the narrow PROTECTED BY column."""


def _cell(value: int | None, unit: str, known: bool) -> str:
    if value is not None:
        return f"{value}{unit}"
    return "-" if known else "?"


def _cross_region(row: CoverageRow, *, whole: bool = False) -> str:
    """The regions holding a copy; a backup policy's remote regions say how many copies they keep, how far back;
    `whole` (--wide) adds how many copies a `copies` entry keeps there."""
    if not row.cross_region:
        return "-"
    cells = []
    for region in row.cross_region.split(", "):
        said = []
        kept = row.policy_copy_retention.get(region)
        if kept is not None:
            hours = kept["hours"]
            back = f"{hours // 24}d" if hours and hours % 24 == 0 else f"{hours}h"
            said.append(f"last {kept['copies']}, {back}")
        copied = row.copy_retention.get(region) if whole else None
        if copied is not None:
            said.append(f"copies: {kept_text(copied)}")
        cells.append(f"{region} ({'; '.join(said)})" if said else region)
    return ", ".join(cells)


def _retention(row: CoverageRow) -> str:
    return _cell(row.retention_days, "d", row.schedules_known) + (
        f" (last {row.retention_count})" if row.retention_count is not None else ""
    )


def _protected_by(row: CoverageRow) -> str:
    text = row.protected_by
    for kind, short in _KINDS.items():
        text = re.sub(rf"\b{kind}\b", short, text)
    return text


@dataclass(frozen=True)
class _Column:
    title: str
    cell: Callable[[CoverageRow], str]
    width: int | None = None
    """Most characters the narrow table gives the column; None: its cells are never cut."""
    wide_only: bool = False


_COLUMNS = (
    _Column("ASSET", lambda r: r.asset_name or r.asset_id, 24),
    _Column("CLOUD", lambda r: f"{r.cloud}/{r.region}", 17),
    _Column("PROTECTED BY", lambda r: r.protected_by, wide_only=True),
    _Column("PROTECTED BY", _protected_by, 24),
    _Column("POLICY", lambda r: r.policy, wide_only=True),
    _Column("RPO", lambda r: _cell(r.rpo_hours, "h", r.schedules_known)),
    _Column("RETENTION", _retention, wide_only=True),
    _Column("RETENTION", lambda r: _retention(r) if r.rpo_hours is not None else (r.generations or "-"), 14),
    _Column("OLDEST", lambda r: _cell(r.oldest_restore_point_days, "d", r.schedules_known), wide_only=True),
    _Column("GENERATIONS", lambda r: r.generations or "-", wide_only=True),
    _Column("CONSISTENCY", consistency_cell, wide_only=True),
    _Column("TOGETHER WITH", lambda r: ",".join(r.backed_up_with) or "-", wide_only=True),
    _Column("CROSS-REGION", lambda r: _cross_region(r, whole=True), wide_only=True),
    _Column("CROSS-REGION", _cross_region, 20),
    _Column("CLONES", lambda r: ",".join(r.clone_zones) or "-", wide_only=True),
    _Column("MANUAL", lambda r: str(len(r.manual_backups)) if r.manual_backups else "-", wide_only=True),
    _Column("DRILL", lambda r: ",".join(d.split(" ", 1)[0] for d in r.drills) or "-", wide_only=True),
    _Column("DRILL", lambda r: str(len(r.drills)) if r.drills else "-", 5),
    _Column("RTO", lambda r: "after up" if r.drills else "-", wide_only=True),
)


def _columns(wide: bool) -> list[_Column]:
    if not wide:
        return [c for c in _COLUMNS if not c.wide_only]
    whole = {c.title for c in _COLUMNS if c.wide_only}  # every column once: its whole form where it has one
    return [c for c in _COLUMNS if c.wide_only or c.title not in whole]


def _wrapped(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False) or [""]


def render_coverage(rows: Sequence[CoverageRow], *, wide: bool = False) -> list[str]:
    """The coverage table, one asset per row, then each asset's schedules and the stack's summary.

    By default it fits WIDTH columns: the essential columns, each cut to its width (`…`), every word of them in the
    lines below the table; `wide` shows every column whole.
    """
    if not rows:
        return ["(no protected assets)"]
    columns = _columns(wide)
    table = [tuple(c.title for c in columns)]
    for row in rows:
        table.append(tuple(_clip(c.cell(row), c.width) if c.width and not wide else c.cell(row) for c in columns))
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.append("")
    legend = [
        "? = schedules of an existing policy are not known offline; - = none.",
        "RETENTION = days restore points RPO apart are kept (last N: at most N of them, IBM backup policies); for "
        "on-demand backups, the generations kept.",
    ]
    if wide:
        legend.append(
            "OLDEST = age of the oldest scheduled restore point; GENERATIONS = on-demand backups kept (those held are "
            "known after an up: output `generations`); CONSISTENCY = what the topology declares for backups of a "
            "volume in use (crash: crash-consistent; application: quiesced by the recorded hook, which the stack "
            "never runs; undeclared: crash-consistent at best, and nobody said that is enough); TOGETHER WITH = the "
            "other volumes of an OCI volume group, backed up at the same point in time; CROSS-REGION (last N, "
            "age) = the N most recent copies a backup policy keeps there, reaching that far back, (copies: ...) = the "
            "generations a copies entry keeps there; RTO = the last "
            "drill's measured restore time, known after an up (output `restore_drills.<name>`)."
        )
    else:
        legend.append(
            "DRILL = restore drills of the asset; PROTECTED BY: "
            + ", ".join(f"{v} = {k}" for k, v in _KINDS.items())
            + ". --wide shows every column."
        )
    for text in legend:
        lines += _wrapped(text)
    for row in rows:
        quiesced = (
            f"{q['protected_by']}: the application is quiesced before each backup by {q['hook']} (recorded; the "
            "stack never runs it)"
            for q in row.quiesce_hooks
        )
        together = (
            [f"backed up together with {', '.join(row.backed_up_with) or 'the other members'} (volume group "
             f"{row.volume_group}, one point in time)"]
            if row.volume_group is not None
            else []
        )  # fmt: skip
        details = [*row.schedules, *together, *quiesced, *(f"drill {d}" for d in row.drills)]
        if details:
            lines += _wrapped(f"{row.asset_name or row.asset_id}: " + "; ".join(details))
    facts = summary(list(rows))
    lines.append("")
    missing = ", ".join(facts["without_cross_region_copy"]) or "none"
    lines += _wrapped(f"{facts['assets']} assets covered; without a copy in another region: {missing}")
    hours = facts["clone_zone_hours_per_month"]
    if hours:
        cost = facts["monthly_clone_cost"]
        money = f", about {cost:.2f} {facts['currency']} a month at the configured rate" if cost is not None else ""
        lines.append(f"fast-restore clones: {hours} clone-zone-hours a month{money}")
    return lines


def render_text(result: PlanResult, out: TextIO, *, wide: bool = False) -> None:
    """The plan for people."""
    count = len(result.simulation.resources)
    assets = "" if result.coverage is None else f", {len(result.coverage)} protected assets"
    print(f"Stack {result.stack}: {count} resources{assets}", file=out)
    if result.simulation.preview:
        print(f"Run as a first `pulumi preview`: what other resources or stacks make is {UNKNOWN_SHOWN}.", file=out)
    print(f"Policy config: {result.policy_config or 'none (every rule with its defaults)'}\n", file=out)
    print("RESOURCES", file=out)
    for line in render_tree(result.simulation):
        print(line, file=out)
    print("\nCOVERAGE", file=out)
    if result.coverage is None:
        print("(not computed: coverage is read from a topology, `backup-topology:topology`)", file=out)
    else:
        for line in render_coverage(result.coverage, wide=wide):
            print(line, file=out)
    print("\nFINDINGS", file=out)
    if not result.findings:
        print("(none)", file=out)
    for finding in result.findings:
        for line in _wrapped(f"[{finding['level']}] {finding['policy']}: {finding['message']}"):
            print(line, file=out)
    print(f"\n{verdict(result)}", file=out)


def exit_code(result: PlanResult) -> int:
    """1 when a mandatory policy is violated, else 0."""
    return EXIT_VIOLATION if any(f["level"] == "mandatory" for f in result.findings) else EXIT_OK


def verdict(result: PlanResult) -> str:
    """The plan's last line: what it found and the exit code that follows."""
    mandatory = sum(1 for f in result.findings if f["level"] == "mandatory")
    advisory = len(result.findings) - mandatory
    found = f"{mandatory} mandatory finding{'' if mandatory == 1 else 's'}"
    if advisory:
        found += f", {advisory} advisory"
    return f"{found}: exit {exit_code(result)}"


def render_permissions(stack: str, found: Permissions, out: TextIO) -> None:
    """The permissions for people: each grant on a line of its own (to paste), the components needing it below."""
    print(f"Stack {stack}: the permissions pulumi up, refresh and destroy need, and no more", file=out)
    for section in found.sections:
        print(f"\n{section.title}", file=out)
        for grant in section.grants:
            print(grant.text, file=out)
            for why in grant.needed_by:
                print(f"    - {why}", file=out)
    if found.notes:
        print("\nNOTES", file=out)
        for note in found.notes:
            print(note, file=out)


def plan_file(
    path: Path, *, stack: str | None = None, policy_config: Path | None = None, program: Path = PROJECT_ROOT
) -> PlanResult:
    """Plan a stack file as `python -m components.plan --config PATH` does: the stack is named after the file
    (unless `stack` is given), the policy config is `policy_config`, else `policies/config/<stack>.json` of the
    program when it exists. Raises PlanError, each mistake naming the stack file it is in."""
    stack = stack or stack_name(path)
    config, secret_keys = read_stack_config(path)
    policy_path = policy_config or policy_config_file(stack, program)
    given = policy_config is not None or policy_path.is_file()
    settings = read_policy_config(policy_path) if given else None
    try:
        result = run_plan(config, stack=stack, secret_keys=secret_keys, policy_config=settings, program_dir=program)
    except PlanError as exc:  # each mistake names the stack file it is in, as a compiler names the source
        raise PlanError([f"{shown(path)}: {line}" for line in exc.lines]) from None
    result.policy_config = shown(policy_path) if given else None
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m components.plan", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: reads <program>/stacks/Pulumi.<stack>.yaml")
    source.add_argument("--config", type=Path, help="path of any stack config file")
    parser.add_argument(
        "--program",
        type=Path,
        default=PROJECT_ROOT,
        help="directory of another Pulumi program that uses the components (e.g. examples/<name>)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for pipelines")
    parser.add_argument("--wide", action="store_true", help="every coverage column, whole (wider than 120 columns)")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="JSON file: rule name -> settings (as for pulumi --policy-pack-config); "
        "default policies/config/<stack>.json of the program when it exists",
    )
    parser.add_argument(
        "--permissions",
        action="store_true",
        help="print the least-privilege permissions the stack needs, per cloud (OCI, IBM Cloud, OpenStack)",
    )
    parser.add_argument(
        "--oci-subject",
        default=DEFAULT_OCI_SUBJECT,
        help=f"who runs the stack in OCI policy syntax, e.g. 'group Deployers' (default: '{DEFAULT_OCI_SUBJECT}')",
    )
    args = parser.parse_args(argv)

    try:
        path = stack_file(args.stack, args.program) if args.stack else args.config
        if args.stack and not path.is_file():
            known = ", ".join(stacks_of(args.program)) or "none"
            raise PlanError([f"{shown(path)}: stack file not found; stacks that exist: {known}"])
        result = plan_file(path, stack=args.stack, policy_config=args.policy_config, program=args.program)
    except PlanError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    if args.permissions:
        if result.topology is None:
            print(
                f"{shown(args.program)}: --permissions reads a topology, and this program declares none",
                file=sys.stderr,
            )
            return EXIT_INVALID
        found = permissions(result.topology, result.simulation.resources, oci_subject=args.oci_subject)
        if args.json:
            json.dump({"stack": result.stack, "permissions": found.to_json()}, sys.stdout, indent=2)
            print()
        else:
            render_permissions(result.stack, found, sys.stdout)
        return EXIT_OK
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, sort_keys=False)
        print()
    else:
        render_text(result, sys.stdout, wide=args.wide)
    return exit_code(result)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


def read_policy_config(path: Path) -> dict[str, Any]:
    """A policy config file: rule name -> settings (as for pulumi --policy-pack-config). Raises PlanError."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError([f"{path}: policy config file not found"]) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise PlanError([f"{path}: not a readable JSON policy config ({exc})"]) from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise PlanError([f"{path}: a policy config maps each rule's name to an object of settings"])
    return doc


def stack_name(path: Path) -> str:
    """The stack a stack file is for: `Pulumi.<stack>.yaml`, else the file's name without its suffix."""
    name = path.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name[len("Pulumi.") :].rsplit(".", 1)[0]
    return path.stem


class _LoopsKept(asyncio.DefaultEventLoopPolicy):
    """The default policy, keeping the event loops it makes so they can be closed before the interpreter's teardown.

    The mock runtime makes one for the program and one in each executor thread that answers a registration; left
    to the garbage collector, such a loop can be finalized after its own socket and print a traceback.
    """

    def __init__(self) -> None:
        super().__init__()
        self.loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        self.loops.add(loop)
        return loop

    def close_all(self) -> None:
        for loop in list(self.loops):
            if not loop.is_closed() and not loop.is_running():
                loop.close()


def run_cli() -> None:
    """The command `python -m components.plan`: run the plan, exit with its code."""
    run_command(main)


def run_command(command: Callable[[], int]) -> None:
    """Run a command that may run programs under the mock runtime, and exit with its code: the event loops the
    runtime made are closed before the interpreter's teardown, and a reader that went away is no error."""
    loops = _LoopsKept()
    asyncio.set_event_loop_policy(loops)
    try:
        code = command()
        loops.close_all()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: not an error of the plan
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    run_cli()
