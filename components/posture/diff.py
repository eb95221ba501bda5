"""Protection diff: per asset, what changed in its protection between two plans of a stack, and which way."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from deepdiff import DeepDiff

from components.posture import Command, InputError, read_json
from components.tooling.coverage import kept_text
from components.tooling.plan import PlanError, plan_file, read_policy_config, shown
from policies.rules.base import name_in

EXIT_OK, EXIT_WEAKENED, EXIT_INVALID = 0, 1, 2

SECTION = "protection-diff"
"""The policy config's section holding accepted weakenings: {"enforcementLevel": "disabled", "accept": {...}}."""

Row = Mapping[str, Any]
"""A coverage row as the plan's JSON holds it (CoverageRow.to_dict)."""

Status = Literal["lost", "weakened", "unknown", "gained", "strengthened", "changed"]
WEAKER: frozenset[str] = frozenset({"lost", "weakened", "unknown"})
"""Statuses that fail the diff unless accepted: `unknown` is a fact known before that the plan can no longer know
(an existing policy by OCID): nothing may be reported as protected that is not."""

UNKNOWN = "unknown"
"""A fact's value when the plan cannot know it offline (an existing policy's schedules)."""


class Direction(Enum):
    """Which way of a fact's numbers is stronger protection."""

    HIGHER = "higher is stronger"
    LOWER = "lower is stronger"
    NEUTRAL = "neither"


class DiffInputError(InputError):
    """An input the diff cannot use: one line per mistake, each naming the file and field. Exit code 2."""


# --- the facts compared ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One protection fact of a coverage row: how to read it for comparison, which way is stronger, how to show it.

    `value` returns None when the asset has no such protection, UNKNOWN when the plan cannot know it, else a number
    or a mapping (keyed by region, zone, drill...) whose numbers and booleans follow `direction` (true is stronger
    than false); a key removed from the mapping is weaker, one added stronger; text is compared for change only.
    """

    field: str
    label: str
    direction: Direction
    value: Callable[[Row], Any]
    show: Callable[[Row], str]
    protects: bool = True
    """Whether having it is protection: one going to none is `lost`, from none `gained`; False (the policy's name,
    consistency): such a change is only `changed`, and the asset is not unprotected without it."""


def _scheduled(name: str) -> Callable[[Row], Any]:
    """A number of the schedules: UNKNOWN when they cannot be known offline."""

    def value(row: Row) -> Any:
        number = row.get(name)
        if number is None:
            return UNKNOWN if row.get("schedules_known") is False else None
        return number

    return value


def _unit(name: str, unit: str) -> Callable[[Row], str]:
    def show(row: Row) -> str:
        number = _scheduled(name)(row)
        return "-" if number is None else UNKNOWN if number == UNKNOWN else f"{number}{unit}"

    return show


def _retention(row: Row) -> Any:
    days = _scheduled("retention_days")(row)
    if days is None or days == UNKNOWN:
        return days
    count = row.get("retention_count")
    return {"days": days, "restore_points": math.inf if count is None else count}


def _show_retention(row: Row) -> str:
    value = _retention(row)
    if not isinstance(value, dict):
        return "-" if value is None else str(value)
    count = value["restore_points"]
    return f"{value['days']}d" + ("" if count == math.inf else f" (last {count})")


_GENERATIONS = re.compile(
    r"^(?:(?P<all>all kept)|(?:last (?P<last>\d+))?(?:, )?(?:(?P<days>\d+)d)?)(?P<removal>; deleted on removal)?$"
)


def _kept(record: Mapping[str, Any]) -> dict[str, Any]:
    """A coverage `kept_record` (keep_last, max_age_days, delete_on_removal) as numbers: no limit is infinite."""
    last, days = record.get("keep_last"), record.get("max_age_days")
    return {
        "last": math.inf if last is None else last,
        "days": math.inf if days is None else days,
        "kept_on_removal": not record.get("delete_on_removal"),
    }


def _generations(row: Row) -> Any:
    """Per OCI manual backup (`generations_by_backup`), else the row's one text: `all kept`, `last 7`, `30d`,
    `last 7, 30d`, each maybe `; deleted on removal` (coverage.kept); as numbers."""
    by_backup = row.get("generations_by_backup")
    if by_backup:
        return {name: _kept(record) for name, record in by_backup.items()}
    text = row.get("generations")
    if not text:
        return None
    found = _GENERATIONS.match(str(text))
    if found is None or not (found["all"] or found["last"] or found["days"]):
        return {"kept": str(text)}  # a form this diff does not know: compared as text
    return {
        "last": int(found["last"]) if found["last"] else math.inf,
        "days": int(found["days"]) if found["days"] else math.inf,
        "kept_on_removal": found["removal"] is None,
    }


_MANUAL = re.compile(r"^(?P<name>.+) \((?P<type>\w+), (?P<fate>[^)]+)\)$")


def _manual(row: Row) -> Any:
    """Manual backups by `plan/name`: their type (text), and whether they outlive their removal from the stack."""
    backups: dict[str, Any] = {}
    for text in row.get("manual_backups") or ():
        found = _MANUAL.match(str(text))
        if found is None:
            backups[str(text)] = {}
        else:
            backups[found["name"]] = {"type": found["type"], "kept_on_removal": found["fate"] == "kept until deleted"}
    return backups or None


def _regions(row: Row) -> Any:
    """Regions holding a copy, each with what copies there: a backup policy (its copies kept and how far back they
    reach), a copies entry (CrossRegionCopy), or the asset's own destination (a policy's, a replicated bucket's)."""
    regions = [r.strip() for r in str(row.get("cross_region") or "").split(",") if r.strip()]
    kept = row.get("policy_copy_retention") or {}
    copied = row.get("copy_retention")  # None: a plan made before copies' retention was recorded
    by_policy, by_copy = set(row.get("policy_copies") or ()), set(row.get("copies") or ())
    found: dict[str, Any] = {}
    for region in regions:
        found[region] = {}
        if region in by_policy:
            found[region]["backup policy"] = dict(kept.get(region) or {})
        if region in by_copy:
            found[region]["copies entry"] = _kept(copied[region]) if copied and region in copied else True
        if not found[region]:
            found[region]["destination"] = True
    return found or None


def _show_regions(row: Row) -> str:
    """e.g. `us-east (backup policy, last 5, 5d; copies entry)`; a destination alone is its region."""
    cells = []
    for region, by in (_regions(row) or {}).items():
        parts = []
        policy = by.get("backup policy")
        if policy is not None:
            hours, copies = policy.get("hours"), policy.get("copies")
            back = f"{hours // 24}d" if hours and hours % 24 == 0 else f"{hours}h"
            parts.append("backup policy" + (f", last {copies}, {back}" if copies is not None and hours else ""))
        if by.get("copies entry"):
            copied = (row.get("copy_retention") or {}).get(region)
            parts.append("copies entry" + (f", {kept_text(copied)}" if copied else ""))
        cells.append(region + (f" ({'; '.join(parts)})" if parts else ""))
    return ", ".join(cells) or "-"


def _zones(row: Row) -> Any:
    return dict.fromkeys(row.get("clone_zones") or (), True) or None


def _drills(row: Row) -> Any:
    """Drills by name, each with what it restores and its trigger (text: a new trigger is a change, not a gain)."""
    drills: dict[str, str] = {}
    for text in row.get("drills") or ():
        name, _, rest = str(text).partition(" (")
        drills[name] = rest.rstrip(")")
    return drills or None


def _locks(row: Row) -> Any:
    return {name: dict(lock) for name, lock in (row.get("backup_locks") or {}).items()} or None


def _show_locks(row: Row) -> str:
    shown_locks = []
    for name, lock in (_locks(row) or {}).items():
        kinds = [label for key, label in _LOCK_KINDS if lock.get(key)]
        days = f" {lock['held_days']}d" if lock.get("held_days") else ""
        shown_locks.append(f"{name}: {', '.join(kinds) or 'none'}{days}")
    return "; ".join(shown_locks) or "-"


_LOCK_KINDS = (
    ("prevent_deletion", "deletion prevented"),
    ("retention_lock", "retention lock"),
    ("legal_hold", "legal hold"),
)
_CONSISTENCY = {"undeclared": 0, "crash": 1, "application": 2}


def _consistency(row: Row) -> Any:
    """For a volume backed up in use: undeclared < crash < application; None when it is not in use."""
    if not row.get("in_use"):
        return None
    return _CONSISTENCY.get(str(row.get("consistency") or "undeclared"), 0)


def _show_consistency(row: Row) -> str:
    return str(row.get("consistency") or "undeclared") if row.get("in_use") else "-"


def _joined(name: str) -> Callable[[Row], str]:
    def show(row: Row) -> str:
        return ", ".join(str(v).partition(" (")[0] for v in row.get(name) or ()) or "-"

    return show


FACTS: tuple[Fact, ...] = (
    Fact("rpo_hours", "RPO", Direction.LOWER, _scheduled("rpo_hours"), _unit("rpo_hours", "h")),
    Fact("retention_days", "retention at the RPO", Direction.HIGHER, _retention, _show_retention),
    Fact(
        "oldest_restore_point_days",
        "oldest restore point",
        Direction.HIGHER,
        _scheduled("oldest_restore_point_days"),
        _unit("oldest_restore_point_days", "d"),
    ),
    Fact("generations", "generations kept", Direction.HIGHER, _generations, lambda r: str(r.get("generations") or "-")),
    Fact("manual_backups", "manual backups", Direction.HIGHER, _manual, _joined("manual_backups")),
    Fact("cross_region", "cross-region copy", Direction.HIGHER, _regions, _show_regions),
    Fact(
        "clone_zones",
        "fast-restore clones",
        Direction.HIGHER,
        _zones,
        lambda r: ", ".join(r.get("clone_zones") or ()) or "-",
    ),
    Fact("drills", "restore drill", Direction.HIGHER, _drills, _joined("drills")),
    Fact("backup_locks", "protection/lock", Direction.HIGHER, _locks, _show_locks),
    Fact("consistency", "consistency", Direction.HIGHER, _consistency, _show_consistency, protects=False),
    Fact(
        "policy",
        "policy",
        Direction.NEUTRAL,
        lambda r: r.get("policy"),
        lambda r: str(r.get("policy") or "-"),
        protects=False,
    ),
)
"""The facts the diff compares, in the order it shows them. A new coverage field slots in as one more Fact."""


# --- comparing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One fact of an asset that changed: which way, and its value before and after."""

    fact: str
    label: str
    status: Status
    before: str
    after: str

    def to_json(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "label": self.label,
            "status": self.status,
            "before": self.before,
            "after": self.after,
        }


AssetKind = Literal["left", "unprotected", "new", "changed"]
_KIND_TEXT = {"left": "left the topology", "unprotected": "lost all protection", "new": "new", "changed": "changed"}


@dataclass
class AssetDiff:
    """An asset whose protection changed, matched by cloud and asset id."""

    cloud: str
    asset_id: str
    asset_name: str | None
    region: str
    kind: AssetKind
    changes: list[Change]
    accepted: str | None = None
    """The reason the head's policy config gives for accepting its weakening."""

    @property
    def name(self) -> str:
        return self.asset_name or self.asset_id

    @property
    def weakened(self) -> bool:
        return self.kind in ("left", "unprotected") or any(c.status in WEAKER for c in self.changes)

    @property
    def status(self) -> str:
        """The asset's change in a word or two: the kind for one that left, lost all or is new, else the worst."""
        if self.kind != "changed":
            return _KIND_TEXT[self.kind]
        found = {c.status for c in self.changes}
        if found & {"lost", "weakened"}:
            return "weakened"
        if "unknown" in found:
            return "unknown"
        return "strengthened" if found & {"strengthened", "gained"} else "changed"

    def rank(self) -> tuple[int, str, str, str]:
        """Assets that lose all protection or leave the topology first, then the weakened, the accepted, the new,
        the strengthened, the rest; by cloud and name within each."""
        if self.kind in ("left", "unprotected"):
            group = 0
        elif self.weakened:
            group = 2 if self.accepted else 1
        elif self.kind == "new":
            group = 3
        else:
            group = 4 if self.status in ("strengthened", "gained") else 5
        return group, self.cloud, self.name, self.asset_id

    def to_json(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "asset_id": self.asset_id,
            "asset_name": self.asset_name,
            "region": self.region,
            "status": self.status,
            "weakened": self.weakened,
            "accepted": self.accepted,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass
class FindingDiff:
    """A rule's findings on one resource (or on the stack) that changed."""

    policy: str
    resource: str | None
    status: Status
    what: str
    before: str
    after: str
    accepted: str | None = None

    @property
    def weakened(self) -> bool:
        return self.status in WEAKER

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "resource": self.resource,
            "status": self.status,
            "what": self.what,
            "before": self.before,
            "after": self.after,
            "accepted": self.accepted,
        }


def _present(value: Any) -> bool:
    return value is not None and value != {}


def _leaf_way(direction: Direction, before: Any, after: Any) -> int:
    """+1 stronger, -1 weaker, 0 neither (text, or a fact without a direction)."""
    numbers = all(isinstance(v, (int, float)) for v in (before, after))
    if direction is Direction.NEUTRAL or not numbers or before == after:
        return 0
    stronger = after > before if direction is Direction.HIGHER else after < before
    return 1 if stronger else -1


def _status(fact: Fact, before: Any, after: Any, levels: Iterable[Any]) -> Status:
    """Which way one fact changed, from its values and deepdiff's changes under it."""
    if UNKNOWN in (before, after):
        if after == UNKNOWN:
            return "unknown" if _present(before) else "changed"  # never `gained`: nobody knows what it keeps
        return "lost" if not _present(after) and fact.protects else "changed"
    if not (_present(before) and _present(after)):
        if not fact.protects:
            return "changed"
        return "gained" if _present(after) else "lost"
    ways = set()
    for level in levels:
        if level.report_type == "dictionary_item_removed":
            ways.add(-1)  # a region, zone, drill, lock or manual backup fewer, or what copies to a region
        elif level.report_type == "dictionary_item_added":
            ways.add(1)
        elif level.report_type in ("values_changed", "type_changes"):
            ways.add(_leaf_way(fact.direction, level.t1, level.t2))
    if -1 in ways:
        return "weakened"  # also when another part of the fact got stronger: the weaker part stands
    return "strengthened" if 1 in ways else "changed"


def facts_of(row: Row | None) -> dict[str, Any]:
    """A row's facts, by field, as the diff compares them (an absent row: none)."""
    return {fact.field: fact.value(row) if row is not None else None for fact in FACTS}


def protected(row: Row) -> bool:
    """Whether any protecting fact of the row is there."""
    return any(_present(fact.value(row)) for fact in FACTS if fact.protects)


LATER_FIELDS = ("generations_by_backup", "copy_retention")
"""Coverage fields that plans made by earlier versions of the project lack: compared only when both rows have them
(a pull request's base is planned by the base's own code), else both rows are read as the earlier version wrote them."""


def _aligned(before: Row | None, after: Row | None) -> tuple[Row | None, Row | None]:
    if before is None or after is None:
        return before, after
    missing = [name for name in LATER_FIELDS if (name in before) != (name in after)]
    if not missing:
        return before, after
    return (
        {k: v for k, v in before.items() if k not in missing},
        {k: v for k, v in after.items() if k not in missing},
    )


def compare_rows(before: Row | None, after: Row | None) -> list[Change]:
    """The facts that changed between two versions of an asset's row (None: the asset is not there)."""
    before, after = _aligned(before, after)
    old, new = facts_of(before), facts_of(after)
    tree = DeepDiff(old, new, view="tree")
    by_field: dict[str, list[Any]] = {}
    for report in tree.values():
        for level in report:
            by_field.setdefault(str(level.path(output_format="list")[0]), []).append(level)
    changes = []
    for fact in FACTS:
        if fact.field not in by_field:
            continue
        status = _status(fact, old[fact.field], new[fact.field], by_field[fact.field])
        shown_before = fact.show(before) if before is not None else "-"
        shown_after = fact.show(after) if after is not None else "-"
        changes.append(Change(fact.field, fact.label, status, shown_before, shown_after))
    return changes


def _key(row: Row) -> tuple[str, str]:
    return str(row["cloud"]), str(row["asset_id"])


def compare_assets(base: Sequence[Row], head: Sequence[Row]) -> list[AssetDiff]:
    """Every asset whose protection changed, matched by cloud and asset id (never by row order)."""
    old = {_key(r): r for r in base}
    new = {_key(r): r for r in head}
    found = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        changes = compare_rows(before, after)
        if not changes:
            continue
        row = after if after is not None else before
        assert row is not None
        kind: AssetKind
        if after is None:
            kind = "left"
        elif before is None:
            kind = "new"
        elif protected(before) and not protected(after):
            kind = "unprotected"
        else:
            kind = "changed"
        if kind in ("left", "new"):  # what protected it, or protects it now, and by which policy; nothing besides
            shown_facts = {f.field for f in FACTS if f.protects} | {"policy"}
            changes = [c for c in changes if c.fact in shown_facts]
        found.append(
            AssetDiff(
                cloud=key[0],
                asset_id=key[1],
                asset_name=row.get("asset_name") or (before or {}).get("asset_name"),
                region=str(row.get("region") or "-"),
                kind=kind,
                changes=changes,
            )
        )
    return found


def _mandatory(findings: Iterable[Mapping[str, Any]], level: str = "mandatory") -> dict[tuple[str, str], list[str]]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        if finding.get("level") == level:
            key = (str(finding["policy"]), str(finding.get("resource") or ""))
            grouped.setdefault(key, []).append(str(finding["message"]))
    return grouped


def compare_findings(base: Sequence[Mapping[str, Any]], head: Sequence[Mapping[str, Any]]) -> list[FindingDiff]:
    """Mandatory findings per rule and resource: a new one is a weakening, and so is one the head's policy config
    made advisory; one gone is only a change (fixed, or the rule disabled: the findings cannot say which)."""
    old, new, advisory = _mandatory(base), _mandatory(head), _mandatory(head, "advisory")
    found = []
    for policy, resource in sorted(old.keys() | new.keys()):
        before, after = old.get((policy, resource), []), new.get((policy, resource), [])
        if sorted(before) == sorted(after):
            continue
        demoted = [m for m in before if m not in after and m in advisory.get((policy, resource), [])]
        added = [m for m in after if m not in before]
        gone = [m for m in before if m not in after and m not in demoted]
        status: Status
        if demoted:
            status, what = "weakened", "made advisory"
        elif len(added) > len(gone):
            status, what = "weakened", "new mandatory finding"
        elif added:
            status, what = "changed", "mandatory finding still found"
        else:
            status, what = "changed", "mandatory finding gone (fixed, or the rule disabled)"
        found.append(
            FindingDiff(
                policy=policy,
                resource=resource or None,
                status=status,
                what=what,
                before="; ".join(sorted(before)) or "-",
                after="; ".join(sorted(after)) or "-",
            )
        )
    return found


# --- inputs ------------------------------------------------------------------------------------------


@dataclass
class Side:
    """One side of the diff: a plan's stack, coverage rows and findings, and the policy config it ran with."""

    stack: str
    rows: Sequence[Row]
    findings: Sequence[Mapping[str, Any]]
    policy_config: Path | None = None


def load_side(path: Path, which: str) -> Side:
    """A plan JSON (`python -m components.plan --json`) or a stack file, planned here. Raises DiffInputError."""
    where = f"{which} {shown(path)}"
    if not path.is_file():
        raise DiffInputError([f"{where}: not found"])
    if path.suffix in (".yaml", ".yml"):
        try:
            result = plan_file(path)
        except PlanError as exc:
            raise DiffInputError([f"{which} {line}" for line in exc.lines]) from None
        return Side(
            stack=result.stack,
            rows=[row.to_dict() for row in result.coverage or ()],  # the project's program: always a topology
            findings=result.findings,
            policy_config=Path(result.policy_config) if result.policy_config else None,
        )
    if path.suffix != ".json":
        raise DiffInputError([f"{where}: neither a plan JSON (.json) nor a stack file (.yaml, .yml)"])
    doc = read_json(path, where, DiffInputError)
    return _plan_document(doc, where)


def _plan_document(doc: Any, where: str) -> Side:
    if not isinstance(doc, dict) or not isinstance(doc.get("stack"), str):
        raise DiffInputError([f"{where}: not a plan (`python -m components.plan --json`): no `stack`"])
    coverage = doc.get("coverage")
    if coverage is None and "coverage" in doc:
        raise DiffInputError([f"{where}: coverage: null: the plan of a program that declares no topology"])
    if not isinstance(coverage, list):
        raise DiffInputError([f"{where}: coverage: missing or not a list of rows"])
    problems = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(coverage):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("cloud", "asset_id")):
            problems.append(f"{where}: coverage[{i}]: a row needs `cloud` and `asset_id` (text)")
        elif _key(row) in seen:
            problems.append(f"{where}: coverage[{i}]: asset {row['asset_id']} ({row['cloud']}) has a row already")
        else:
            seen.add(_key(row))
    findings = doc.get("findings", [])
    if not isinstance(findings, list):
        problems.append(f"{where}: findings: not a list")
        findings = []
    for i, finding in enumerate(findings):
        if not isinstance(finding, dict) or not all(
            isinstance(finding.get(k), str) for k in ("policy", "level", "message")
        ):
            problems.append(f"{where}: findings[{i}]: a finding needs `policy`, `level` and `message` (text)")
    if problems:
        raise DiffInputError(problems)
    named = doc.get("policy_config")
    return Side(
        stack=doc["stack"],
        rows=coverage,
        findings=findings,
        policy_config=Path(named) if isinstance(named, str) else None,
    )


def acceptances(path: Path) -> dict[str, str]:
    """The weakenings a policy config accepts: its `protection-diff` section's `accept`, asset (or rule, or
    resource) name -> reason. Raises DiffInputError naming the file and the field."""
    try:
        config = read_policy_config(path)
    except PlanError as exc:
        raise DiffInputError(exc.lines) from None
    section = config.get(SECTION)
    if section is None:
        return {}
    where = f"{shown(path)}: {SECTION}"
    problems = []
    unknown = sorted(set(section) - {"enforcementLevel", "accept"})
    problems += [f"{where}.{key}: unknown setting (it takes accept and enforcementLevel)" for key in unknown]
    if section.get("enforcementLevel") != "disabled":
        problems.append(
            f'{where}.enforcementLevel: must be "disabled": pulumi --policy-pack-config needs a level for each '
            "section, and no rule of the pack has this name"
        )
    accept = section.get("accept", {})
    if not isinstance(accept, dict):
        problems.append(f"{where}.accept: an object, asset name or id -> the reason its weakening is accepted")
        accept = {}
    for name, reason in accept.items():
        if not isinstance(reason, str) or not reason.strip():
            problems.append(f"{where}.accept.{name}: the reason must be a non-empty text")
    if problems:
        raise DiffInputError(problems)
    return {str(name): reason.strip() for name, reason in accept.items()}


# --- the diff ----------------------------------------------------------------------------------------


@dataclass
class ProtectionDiff:
    """What a change does to a stack's protection: the assets changed, the findings changed, acceptances used."""

    stack: str
    assets: list[AssetDiff]
    findings: list[FindingDiff]
    unused_acceptances: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when protection is weakened or lost and not accepted, else 0."""
        assets = any(a.weakened and not a.accepted for a in self.assets)
        findings = any(f.weakened and not f.accepted for f in self.findings)
        return EXIT_WEAKENED if assets or findings else EXIT_OK

    def counts(self) -> dict[str, int]:
        """How many assets changed, by what happened to them; how many policy findings weaken protection (a new
        mandatory one, or one made advisory), and how many of those are accepted."""
        kinds: dict[str, int] = dict.fromkeys(_COUNTED, 0)
        for asset in self.assets:
            if asset.accepted:
                kinds["accepted"] += 1
            elif asset.kind in ("left", "unprotected"):
                kinds["lost"] += 1
            else:
                kinds[asset.kind if asset.kind == "new" else asset.status] += 1
        kinds["findings_weakened"] = sum(1 for f in self.findings if f.weakened and not f.accepted)
        kinds["findings_accepted"] = sum(1 for f in self.findings if f.accepted)
        return kinds

    def summary(self) -> str:
        """One line: what changed, and the exit code that follows."""
        counts = self.counts()
        parts: list[str] = []
        for key, text in _COUNTED.items():
            if counts[key]:
                parts.append(f"{_n(counts[key], 'asset') if not parts else counts[key]} {text}")
        for key in ("findings_weakened", "findings_accepted"):
            if counts[key]:
                parts.append(f"{_n(counts[key], 'policy finding')} {key.split('_')[1]}")
        found = ", ".join(parts) if parts else "protection unchanged"
        return f"{found}: exit {self.exit_code}"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "exit_code": self.exit_code,
            "summary": self.counts(),
            "assets": [a.to_json() for a in self.assets],
            "findings": [f.to_json() for f in self.findings],
            "unused_acceptances": self.unused_acceptances,
        }


_COUNTED = {
    "lost": "lost all protection or left the topology",
    "weakened": "weakened",
    "unknown": "no longer known offline",
    "accepted": "accepted",
    "strengthened": "strengthened",
    "new": "new",
    "changed": "changed otherwise",
}
"""What the summary counts, in the order it says them."""


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def diff(base: Side, head: Side, accepted: Mapping[str, str] | None = None) -> ProtectionDiff:
    """Compare two plans of one stack; `accepted` (the head's acceptances) excuses the weakenings it names."""
    assets = compare_assets(base.rows, head.rows)
    findings = compare_findings(base.findings, head.findings)
    accepted = accepted or {}
    used: set[str] = set()
    for asset in assets:
        for name in (asset.asset_name or asset.asset_id, asset.asset_id):
            if asset.weakened and name in accepted and asset.accepted is None:
                asset.accepted = accepted[name]
                used.add(name)
    for finding in findings:
        for name in (name_in(finding.resource), finding.policy):
            if finding.weakened and name in accepted and finding.accepted is None:
                finding.accepted = accepted[name]
                used.add(name)
    assets.sort(key=AssetDiff.rank)
    return ProtectionDiff(head.stack, assets, findings, sorted(set(accepted) - used))


# --- rendering ---------------------------------------------------------------------------------------


def _status_text(status: str, accepted: str | None, weakened: bool) -> str:
    return f"{status} (accepted: {accepted})" if accepted and weakened else status


def render_text(result: ProtectionDiff) -> list[str]:
    """The diff for people at a terminal: each changed asset, its facts below it, then the summary."""
    lines = [f"Protection diff of stack {result.stack}"]
    for asset in result.assets:
        status = _status_text(asset.status, asset.accepted, asset.weakened)
        lines.append(f"{status}: {asset.name} ({asset.cloud}/{asset.region}, {asset.asset_id})")
        lines += [f"  {c.label}: {c.status}: {c.before} -> {c.after}" for c in asset.changes]
    for finding in result.findings:
        status = _status_text(finding.status, finding.accepted, finding.weakened)
        lines.append(f"{status}: policy {finding.policy} on {name_in(finding.resource) or 'the stack'}: {finding.what}")
        lines += [f"  before: {finding.before}", f"  after: {finding.after}"]
    if result.unused_acceptances:
        lines.append(f"Acceptances that accept nothing here (remove them): {', '.join(result.unused_acceptances)}")
    lines.append(result.summary())
    return lines


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(result: ProtectionDiff) -> list[str]:
    """The pull-request comment: a summary line, then a table of the changed assets (and findings) only."""
    verdict = "Protection weakened" if result.exit_code else "Protection not weakened"
    lines = [f"**{verdict}** in stack `{result.stack}`: {result.summary()}"]
    if not (result.assets or result.findings):
        return lines
    lines += ["", "| Asset | Cloud | Change | Fact | Before | After |", "|---|---|---|---|---|---|"]
    for asset in result.assets:
        for change in asset.changes:
            weakens = change.status in WEAKER or asset.kind in ("left", "unprotected")
            status = change.status if asset.kind == "changed" else f"{change.status} ({_KIND_TEXT[asset.kind]})"
            if weakens and not asset.accepted:
                status = f"**{status}**"
            status = _status_text(status, asset.accepted, weakens)
            cells = [asset.name, f"{asset.cloud}/{asset.region}", status, change.label, change.before, change.after]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    for finding in result.findings:
        status = f"**{finding.status}**" if finding.weakened and not finding.accepted else finding.status
        status = _status_text(f"{status} ({finding.what})", finding.accepted, finding.weakened)
        cells = [
            name_in(finding.resource) or "(stack)",
            "-",
            status,
            f"policy {finding.policy}",
            finding.before,
            finding.after,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if result.unused_acceptances:
        lines += ["", f"Acceptances that accept nothing here (remove them): {', '.join(result.unused_acceptances)}"]
    return lines


# --- the command -------------------------------------------------------------------------------------


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", type=Path, required=True, help="the plan before: a plan JSON or a stack file")
    parser.add_argument("--head", type=Path, required=True, help="the plan after: a plan JSON or a stack file")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="default: text")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help=f"the head's policy config, whose `{SECTION}` section accepts weakenings (default: the one the head's "
        "plan ran with)",
    )


def run(args: argparse.Namespace) -> int:
    """`diff`: print the protection diff; 0 nothing weakened, 1 weakened or lost, 2 bad input."""
    try:
        base, head = load_side(args.base, "BASE"), load_side(args.head, "HEAD")
        if base.stack != head.stack:
            msg = f"BASE plans stack {base.stack}, HEAD stack {head.stack}: a diff compares two plans of one stack"
            raise DiffInputError([msg])
        config = args.policy_config or head.policy_config
        if config is not None and not config.is_file():
            given = "--policy-config" if args.policy_config else "the policy config HEAD's plan ran with"
            raise DiffInputError([f"{shown(config)}: {given} is not found here; give --policy-config FILE"])
        result = diff(base, head, acceptances(config) if config is not None else {})
    except DiffInputError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    if args.format == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print("\n".join(render_markdown(result) if args.format == "markdown" else render_text(result)))
    return result.exit_code


COMMAND = Command(
    name="diff",
    help="what a change does to each asset's protection, between two plans of a stack",
    add_arguments=_add_arguments,
    run=run,
)
