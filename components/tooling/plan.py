"""Offline plan: run the program under Pulumi's mock runtime and print the resource tree and the coverage.

Usage: python -m components.plan (--stack NAME | --config PATH) [--json] [--policy-config FILE]
       [--permissions [--oci-subject SUBJECT]]
Exit codes: 0 clean, 1 a mandatory policy is violated, 2 invalid configuration (one line per mistake on stderr);
with --permissions, 0 once the permissions are printed (2 on invalid configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import runpy
import sys
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pulumi
import yaml

from components.config import CONFIG_KEY, Topology, load_topology
from components.errors import TopologyError
from components.tooling.coverage import CoverageRow, coverage, summary
from components.tooling.mock_runtime import SECRET, Registered, Simulation, simulate
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
    coverage: list[CoverageRow]
    findings: list[dict[str, Any]] = field(default_factory=list)
    topology: Topology | None = None
    """The validated topology the plan ran."""

    def to_json(self) -> dict[str, Any]:
        """The `--json` document."""
        return {
            "stack": self.stack,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "custom": r.custom,
                    "inputs": r.inputs,
                }
                for r in self.simulation.resources
            ],
            "coverage": [row.to_dict() for row in self.coverage],
            "summary": summary(self.coverage),
            "findings": self.findings,
        }


def _project() -> dict[str, Any]:
    doc = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    return doc if isinstance(doc, dict) else {}


def stack_file(stack: str) -> Path:
    """Path of a stack's config file, following Pulumi.yaml's stackConfigDir."""
    return PROJECT_ROOT / str(_project().get("stackConfigDir", ".")) / f"Pulumi.{stack}.yaml"


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
) -> PlanResult:
    """Validate the topology, run the program under mocks, compute coverage and policy findings. Raises PlanError."""
    topology = _validated(config)
    main = PROJECT_ROOT / "__main__.py"
    try:
        simulation = simulate(
            lambda: runpy.run_path(str(main), run_name="__main__"),
            config=config,
            secret_keys=secret_keys,
            project=str(_project().get("name", "backup-topology")),
            stack=stack,
        )
    except pulumi.RunError as exc:
        raise PlanError(str(exc).splitlines()) from None
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
    findings = [f.to_dict() for f in evaluate(resources, stack, policy_config)]
    return PlanResult(
        stack=stack, simulation=simulation, coverage=coverage(topology), findings=findings, topology=topology
    )


def _validated(config: Mapping[str, Any]) -> Topology:
    try:
        return load_topology(config.get(CONFIG_KEY))
    except TopologyError as exc:
        raise PlanError(exc.render().splitlines()) from None


# --- rendering ---------------------------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)}]"
    if isinstance(value, Mapping):
        return f"{{{len(value)}}}"
    return str(value)


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


def _cell(value: int | None, unit: str, known: bool) -> str:
    if value is not None:
        return f"{value}{unit}"
    return "-" if known else "?"


def render_coverage(rows: Sequence[CoverageRow]) -> list[str]:
    """The coverage table: one asset per row."""
    if not rows:
        return ["(no protected assets)"]
    header = (
        "ASSET",
        "CLOUD",
        "PROTECTED BY",
        "POLICY",
        "RPO",
        "RETENTION",
        "OLDEST",
        "GENERATIONS",
        "CONSISTENCY",
        "CROSS-REGION",
        "CLONES",
        "MANUAL",
        "DRILL",
        "RTO",
    )
    table = [header]
    for row in rows:
        table.append(
            (
                row.asset_name or row.asset_id,
                f"{row.cloud}/{row.region}",
                row.protected_by,
                row.policy,
                _cell(row.rpo_hours, "h", row.schedules_known),
                _cell(row.retention_days, "d", row.schedules_known)
                + (f" (last {row.retention_count})" if row.retention_count is not None else ""),
                _cell(row.oldest_restore_point_days, "d", row.schedules_known),
                row.generations or "-",
                consistency_cell(row),
                row.cross_region or "-",
                ",".join(row.clone_zones) or "-",
                str(len(row.manual_backups)) if row.manual_backups else "-",
                ",".join(d.split(" ", 1)[0] for d in row.drills) or "-",
                "after up" if row.drills else "-",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.append("")
    lines.append("? = schedules of an existing policy are not known offline; - = none")
    lines.append(
        "RETENTION = days restore points RPO apart are kept (last N: at most N of them, IBM backup policies); "
        "OLDEST = age of the oldest scheduled restore point; "
        "GENERATIONS = on-demand backups kept (those held are known after an up: output `generations`); "
        "CONSISTENCY = what the topology declares for backups of a volume in use (crash: crash-consistent; "
        "application: quiesced by the recorded hook, which the stack never runs; undeclared: crash-consistent at "
        "best, and nobody said that is enough); "
        "RTO = the last drill's measured restore time, known after an up (output `restore_drills.<name>`)"
    )
    for row in rows:
        quiesced = (
            f"{q['protected_by']}: the application is quiesced before each backup by {q['hook']} (recorded; the "
            "stack never runs it)"
            for q in row.quiesce_hooks
        )
        details = [*row.schedules, *quiesced]
        if details:
            lines.append(f"{row.asset_name or row.asset_id}: " + "; ".join(details))
    facts = summary(list(rows))
    lines.append("")
    missing = ", ".join(facts["without_cross_region_copy"]) or "none"
    lines.append(f"{facts['assets']} assets covered; without a copy in another region: {missing}")
    hours = facts["clone_zone_hours_per_month"]
    if hours:
        cost = facts["monthly_clone_cost"]
        money = f", about {cost:.2f} {facts['currency']} a month at the configured rate" if cost is not None else ""
        lines.append(f"fast-restore clones: {hours} clone-zone-hours a month{money}")
    return lines


def render_text(result: PlanResult, out: TextIO) -> None:
    """The plan for people."""
    count = len(result.simulation.resources)
    print(f"Stack {result.stack}: {count} resources, {len(result.coverage)} protected assets\n", file=out)
    print("RESOURCES", file=out)
    for line in render_tree(result.simulation):
        print(line, file=out)
    print("\nCOVERAGE", file=out)
    for line in render_coverage(result.coverage):
        print(line, file=out)
    print("\nFINDINGS", file=out)
    if not result.findings:
        print("(none)", file=out)
    for finding in result.findings:
        print(f"[{finding['level']}] {finding['policy']}: {finding['message']}", file=out)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m components.plan", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: reads stacks/Pulumi.<stack>.yaml")
    source.add_argument("--config", type=Path, help="path of any stack config file")
    parser.add_argument("--json", action="store_true", help="print JSON for pipelines")
    parser.add_argument(
        "--policy-config", type=Path, help="JSON file: rule name -> settings (as for pulumi --policy-pack-config)"
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

    path = stack_file(args.stack) if args.stack else args.config
    stack = args.stack or _stack_name(path)
    try:
        config, secret_keys = read_stack_config(path)
        policy_config = _policy_config(args.policy_config) if args.policy_config else None
        result = run_plan(config, stack=stack, secret_keys=secret_keys, policy_config=policy_config)
    except PlanError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    if args.permissions:
        assert result.topology is not None  # run_plan validated it
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
        render_text(result, sys.stdout)
    return EXIT_VIOLATION if any(f["level"] == "mandatory" for f in result.findings) else EXIT_OK


def _policy_config(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError([f"{path}: policy config file not found"]) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise PlanError([f"{path}: not a readable JSON policy config ({exc})"]) from None
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise PlanError([f"{path}: a policy config maps each rule's name to an object of settings"])
    return doc


def _stack_name(path: Path) -> str:
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
    loops = _LoopsKept()
    asyncio.set_event_loop_policy(loops)
    try:
        code = main()
        loops.close_all()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: not an error of the plan
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    run_cli()
