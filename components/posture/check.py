"""Live posture check: per protected asset, its newest restore point against its RPO, as the clouds hold them now."""

from __future__ import annotations

import argparse
import datetime
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from components.posture import Command, InputError, read_json
from components.posture.live import CLOUD_NAMES, CloudUnreadableError, LiveReader, Reading, RestorePoint, iso
from components.tooling.coverage import CoverageRow, coverage
from components.tooling.plan import (
    PROJECT_ROOT,
    PlanError,
    shown,
    stack_file,
    stack_name,
    stacks_of,
    topology_of_file,
)

EXIT_OK, EXIT_STALE, EXIT_UNREADABLE = 0, 1, 2

Status = Literal["ok", "stale", "missing", "unjudged", "unchecked", "unread"]
FAILING: frozenset[str] = frozenset({"stale", "missing"})
STATUS_TEXT: dict[str, str] = {
    "ok": "within the RPO",
    "stale": "stale",
    "missing": "no restore point",
    "unjudged": "restore points held, no RPO to judge them by",
    "unchecked": "not checked",
    "unread": "cloud not read",
}
"""Each status in words. Only `ok` says an asset is protected: the others never pass for it."""


class CheckInputError(InputError):
    """Input the check cannot use: one line per mistake, naming the option or file. Exit code 2."""


# --- the drills' records ------------------------------------------------------------------------------


DRILL_TYPE = "backup-topology:index:RestoreDrill"


def drill_records(path: Path) -> dict[str, dict[str, Any]]:
    """The RestoreDrill components' outputs in a `pulumi stack export` file, by drill name. Raises CheckInputError."""
    where = f"--state {shown(path)}"
    doc = read_json(path, where, CheckInputError)
    resources = (doc.get("deployment") or {}).get("resources") if isinstance(doc, dict) else None
    if not isinstance(resources, list):
        raise CheckInputError([f"{where}: not a `pulumi stack export` document (no deployment.resources)"])
    found: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if isinstance(resource, dict) and resource.get("type") == DRILL_TYPE:
            name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
            found[name] = dict(resource.get("outputs") or {})
    return found


@dataclass(frozen=True)
class DrillResult:
    """The last run of a restore drill of an asset, as the stack's state records it (or why it is not known)."""

    name: str
    read: bool
    """Whether the state was given and holds the drill."""
    why_not: str | None = None
    passed: bool | None = None
    finished_at: str | None = None
    rto_seconds: float | None = None
    error: str | None = None

    def text(self) -> str:
        if not self.read:
            return f"{self.name}: {self.why_not}"
        if not self.passed:
            return f"{self.name}: FAILED" + (f" ({self.error})" if self.error else "")
        rto = f", RTO {_seconds(self.rto_seconds)}" if self.rto_seconds is not None else ", RTO not measured"
        return f"{self.name}: passed {self.finished_at or '(time not recorded)'}{rto}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "read": self.read,
            "why_not": self.why_not,
            "passed": self.passed,
            "finished_at": self.finished_at,
            "rto_seconds": self.rto_seconds,
            "error": self.error,
        }


def _drills(row: CoverageRow, records: Mapping[str, dict[str, Any]] | None) -> list[DrillResult]:
    results = []
    for text in row.drills:
        name = text.split(" (", 1)[0]
        if records is None:
            results.append(DrillResult(name, False, "not read (its result is in the stack's state: give --state)"))
            continue
        record = records.get(name)
        if record is None:
            results.append(DrillResult(name, False, "not in the state given (not run yet)"))
            continue
        seconds = record.get("restore_seconds")
        results.append(
            DrillResult(
                name,
                True,
                passed=bool(record.get("checks_passed")),
                finished_at=record.get("finished_at") or record.get("started_at"),
                rto_seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
                error=record.get("error"),
            )
        )
    return results


# --- judging an asset ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyPosture:
    """The copies of an asset held in one other region."""

    region: str
    newest: RestorePoint | None
    held: int

    def to_json(self, now: datetime.datetime) -> dict[str, Any]:
        return {
            "region": self.region,
            "held": self.held,
            "newest": _point_json(self.newest, now),
        }


@dataclass
class AssetPosture:
    """One asset's posture: its restore points as read, judged against its RPO."""

    row: CoverageRow
    status: Status
    problems: list[str]
    rpo_hours: float | None
    rpo_from: str | None
    """Where the RPO comes from: `schedules`, `--on-demand-rpo`, or None (no RPO)."""
    points: list[RestorePoint] = field(default_factory=list)
    copies: list[CopyPosture] = field(default_factory=list)
    drills: list[DrillResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_job: dict[str, Any] | None = None
    expected: int | None = None
    """Restore points the retention keeps at the RPO (None: not known)."""
    why_not_read: str | None = None
    copy_points: dict[str, list[RestorePoint]] = field(default_factory=dict)
    """Every copy listed in each region of `copies`, whatever its state."""

    @property
    def name(self) -> str:
        return self.row.asset_name or self.row.asset_id

    @property
    def usable(self) -> list[RestorePoint]:
        return [p for p in self.points if p.usable]

    @property
    def newest(self) -> RestorePoint | None:
        return self.usable[0] if self.usable else None

    def not_counted(self) -> dict[str, int]:
        """Restore points in a state that does not restore, by state."""
        return dict(sorted(Counter(p.state for p in self.points if not p.usable).items()))

    def to_json(self, now: datetime.datetime) -> dict[str, Any]:
        row = self.row
        return {
            "cloud": row.cloud,
            "region": row.region,
            "asset_id": row.asset_id,
            "asset_name": row.asset_name,
            "asset_kind": row.asset_kind,
            "protected_by": row.protected_by,
            "status": self.status,
            "problems": self.problems,
            "rpo_hours": self.rpo_hours,
            "rpo_from": self.rpo_from,
            "newest": _point_json(self.newest, now),
            "restore_points": {
                "held": len(self.usable),
                "not_counted": self.not_counted(),
                "expected_at_most": self.expected,
                "retention_days": row.retention_days,
                "oldest_age_hours": _hours(now - self.usable[-1].taken_at) if self.usable else None,
            },
            "dr_copies": [c.to_json(now) for c in self.copies],
            "drills": [d.to_json() for d in self.drills],
            "last_job": self.last_job,
            "notes": self.notes,
            "not_read": self.why_not_read,
            "points": [p.to_json() for p in self.points]
            + [p.to_json() for c in self.copies for p in self.copy_points.get(c.region, [])],
        }


def _point_json(point: RestorePoint | None, now: datetime.datetime) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"id": point.id, "taken_at": iso(point.taken_at), "age_hours": _hours(now - point.taken_at)}


def _hours(delta: datetime.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def age_text(delta: datetime.timedelta) -> str:
    """An age as people read it: 45m, 5h, 3d 4h (never negative: a point after --at is 0m)."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h" + (f" {minutes % 60}m" if hours < 10 and minutes % 60 else "")
    return f"{hours // 24}d" + (f" {hours % 24}h" if hours % 24 else "")


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "-"
    return f"{hours:g}h"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g} s"


def expected_points(row: CoverageRow, rpo_hours: float | None) -> int | None:
    """How many restore points the retention keeps at the RPO, at most (None when it cannot be known)."""
    if rpo_hours is None or row.retention_days is None or not row.schedules_known:
        return row.retention_count
    count = math.floor(row.retention_days * 24 / rpo_hours)
    return min(count, row.retention_count) if row.retention_count is not None else count


def judge(
    row: CoverageRow,
    reading: Reading | None,
    now: datetime.datetime,
    *,
    on_demand_rpo: float | None,
    records: Mapping[str, dict[str, Any]] | None,
    unread: CloudUnreadableError | None = None,
) -> AssetPosture:
    """The posture of one asset from what its cloud holds (None and `unread`: the cloud could not be read)."""
    if row.rpo_hours is not None:
        rpo, rpo_from = float(row.rpo_hours), "schedules"
    elif on_demand_rpo is not None and row.schedules_known:
        rpo, rpo_from = on_demand_rpo, "--on-demand-rpo"
    else:
        rpo, rpo_from = None, None
    drills = _drills(row, records)
    posture = AssetPosture(row, "ok", [], rpo, rpo_from, drills=drills, expected=expected_points(row, rpo))
    if reading is None:
        posture.status = "unread"
        posture.why_not_read = unread.reason if unread is not None else "not read"
        posture.problems.append(f"not read: {CLOUD_NAMES.get(row.cloud, row.cloud)} could not be read")
        return posture
    posture.notes = list(reading.notes)
    posture.last_job = reading.last_job
    if reading.unchecked is not None:
        posture.status = "unchecked"
        posture.why_not_read = reading.unchecked
        posture.problems.append(f"not checked: {reading.unchecked}")
        return posture
    # Judged as at `now`: what was taken after it (a past --at) did not exist yet.
    listed = [*reading.points, *(c for held in reading.copies.values() for c in held)]
    later = sum(1 for p in listed if p.taken_at > now)
    if later:
        posture.notes.append(f"{later} restore point{'' if later == 1 else 's'} taken after {iso(now)} not counted")
    posture.points = [p for p in reading.points if p.taken_at <= now]
    newest = posture.newest
    counted = posture.not_counted()
    listing = ", ".join(f"{n} {state}" for state, n in counted.items())
    not_counted = f" (not counted, not restorable: {listing})" if counted else ""
    if newest is None:
        posture.status = "missing"
        posture.problems.append(f"no restore point{not_counted}")
    elif rpo is not None and now - newest.taken_at > datetime.timedelta(hours=rpo):
        posture.status = "stale"
        posture.problems.append(
            f"newest restore point {age_text(now - newest.taken_at)} old ({iso(newest.taken_at)}), RPO "
            f"{hours_text(rpo)}{not_counted}"
        )
    elif rpo is None:
        posture.status = "unjudged"
    for region, copies in reading.copies.items():
        held = [p for p in copies if p.taken_at <= now]
        usable = [p for p in held if p.usable]
        copy = CopyPosture(region, usable[0] if usable else None, len(usable))
        posture.copies.append(copy)
        posture.copy_points[region] = list(held)
        if copy.newest is None:
            posture.problems.append(f"no copy in {region}")
            posture.status = "missing" if posture.status == "missing" else "stale"
        elif rpo is not None and now - copy.newest.taken_at > datetime.timedelta(hours=rpo):
            posture.problems.append(
                f"newest copy in {region} {age_text(now - copy.newest.taken_at)} old, RPO {hours_text(rpo)}"
            )
            posture.status = "missing" if posture.status == "missing" else "stale"
    if counted and not any(listing in problem for problem in posture.problems):
        posture.notes.append(f"not counted, not restorable: {listing}")
    return posture


# --- the check ----------------------------------------------------------------------------------------


@dataclass
class PostureReport:
    """The live posture of a stack at one moment."""

    stack: str
    at: datetime.datetime
    assets: list[AssetPosture]
    unreadable: list[CloudUnreadableError]
    on_demand_rpo: float | None = None

    @property
    def exit_code(self) -> int:
        """2 when a cloud could not be read, else 1 when an asset is stale or has no restore point, else 0."""
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_STALE if any(a.status in FAILING for a in self.assets) else EXIT_OK

    def counts(self) -> dict[str, int]:
        found = Counter[str](a.status for a in self.assets)
        return {status: found[status] for status in STATUS_TEXT}

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{n} {STATUS_TEXT[s]}" for s, n in counts.items() if n]
        assets = f"{len(self.assets)} asset{'' if len(self.assets) == 1 else 's'}"
        return f"{assets}: {', '.join(parts) or 'none'}: exit {self.exit_code}"

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "at": iso(self.at),
            "on_demand_rpo_hours": self.on_demand_rpo,
            "exit_code": self.exit_code,
            "summary": self.counts(),
            "clouds_unread": [{"cloud": u.cloud, "region": u.region, "error": u.reason} for u in self.unreadable],
            "assets": [a.to_json(self.at) for a in self.assets],
        }


def check(
    rows: Sequence[CoverageRow],
    reader: LiveReader,
    now: datetime.datetime,
    *,
    stack: str,
    on_demand_rpo: float | None = None,
    records: Mapping[str, dict[str, Any]] | None = None,
) -> PostureReport:
    """Read and judge every asset of the coverage, in its order."""
    assets = []
    for row in rows:
        try:
            reading: Reading | None = reader.read(row)
            unread = None
        except CloudUnreadableError as exc:
            reading, unread = None, exc
        assets.append(judge(row, reading, now, on_demand_rpo=on_demand_rpo, records=records, unread=unread))
    return PostureReport(stack, now, assets, list(reader.failed.values()), on_demand_rpo)


# --- rendering ----------------------------------------------------------------------------------------


def _cells(asset: AssetPosture, now: datetime.datetime) -> list[str]:
    row, newest = asset.row, asset.newest
    held = str(len(asset.usable)) + (f"/{asset.expected}" if asset.expected is not None else "")
    copies = ", ".join(f"{c.region} {age_text(now - c.newest.taken_at) if c.newest else 'none'}" for c in asset.copies)
    drills = ", ".join(
        ("passed" if d.passed else "FAILED") + (f" {_seconds(d.rto_seconds)}" if d.rto_seconds is not None else "")
        if d.read
        else "not read"
        for d in asset.drills
    )
    return [
        asset.status,
        asset.name,
        f"{row.cloud}/{row.region}",
        iso(newest.taken_at) if newest else "-",
        age_text(now - newest.taken_at) if newest else "-",
        hours_text(asset.rpo_hours),
        held,
        copies or "-",
        drills or "-",
    ]


HEADER = ["STATUS", "ASSET", "CLOUD", "NEWEST RESTORE POINT", "AGE", "RPO", "HELD", "DR COPY", "LAST DRILL"]


def unreadable_line(failed: CloudUnreadableError) -> str:
    """One line naming a cloud that could not be read, and why."""
    return f"cannot read {CLOUD_NAMES.get(failed.cloud, failed.cloud)} ({failed.region}): {failed.reason}"


def render_text(report: PostureReport) -> list[str]:
    """The report for people: a table of the assets, then each one's problems and details, then the verdict."""
    rpo = f"; on-demand assets held to RPO {hours_text(report.on_demand_rpo)}" if report.on_demand_rpo else ""
    lines = [f"Posture of stack {report.stack} at {iso(report.at)}{rpo}"]
    table = [HEADER] + [_cells(a, report.at) for a in report.assets]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.append("HELD = restore points held that restore (/ at most what the retention keeps at the RPO).")
    for asset in report.assets:
        details = [*asset.problems, *asset.notes]
        details += [f"drill {d.text()}" for d in asset.drills]
        if details:
            lines.append(f"{asset.status}: {asset.name} ({asset.row.cloud}/{asset.row.region}, {asset.row.asset_id})")
            lines += [f"  {d}" for d in details]
    lines += [unreadable_line(failed) for failed in report.unreadable]
    lines.append(report.summary())
    return lines


# --- the command --------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[mhd])\s*$")
_UNIT_HOURS = {"m": 1 / 60, "h": 1.0, "d": 24.0}


def parse_hours(value: str, option: str) -> float:
    """A duration (90m, 24h, 7d) in hours; CheckInputError naming the option otherwise."""
    found = _DURATION.match(value)
    if found is None or float(found["n"]) <= 0:
        raise CheckInputError([f"{option} {value!r}: a positive duration like 90m, 24h or 7d"])
    return float(found["n"]) * _UNIT_HOURS[found["unit"]]


def parse_at(value: str | None) -> datetime.datetime:
    """--at (ISO 8601, with a zone or UTC), else now."""
    if value is None:
        return datetime.datetime.now(datetime.UTC)
    try:
        moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CheckInputError([f"--at {value!r}: not an ISO 8601 time like 2026-12-06T04:17:00Z"]) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="stack name: reads stacks/Pulumi.<stack>.yaml")
    source.add_argument("--config", type=Path, help="path of any stack config file")
    parser.add_argument("--json", action="store_true", help="print JSON for pipelines")
    parser.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report to FILE")
    parser.add_argument("--at", help="judge ages at this time (ISO 8601; default now)")
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="the stack's state (`pulumi stack export`), for the restore drills' last results",
    )
    parser.add_argument(
        "--on-demand-rpo",
        metavar="DURATION",
        help="hold assets backed up on demand (no schedule) to this RPO, e.g. 24h for a nightly trigger",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds each read of a cloud may take, retries included"
    )


def run(args: argparse.Namespace) -> int:
    """`check`: read the clouds, print the posture; 0 all within RPO, 1 stale or missing, 2 unreadable or bad input."""
    try:
        now = parse_at(args.at)
        on_demand = parse_hours(args.on_demand_rpo, "--on-demand-rpo") if args.on_demand_rpo else None
        if args.timeout <= 0:
            raise CheckInputError([f"--timeout {args.timeout:g}: must be more than 0 seconds"])
        path = stack_file(args.stack) if args.stack else args.config
        if args.stack and not path.is_file():
            known = ", ".join(stacks_of(PROJECT_ROOT)) or "none"
            raise CheckInputError([f"stack {args.stack}: {shown(path)} not found; stacks that exist: {known}"])
        try:
            topology = topology_of_file(path)
        except PlanError as exc:
            raise CheckInputError(exc.lines) from None
        records = drill_records(args.state) if args.state is not None else None
        stack = args.stack or _stack_of(path)
    except CheckInputError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_UNREADABLE
    report = check(
        coverage(topology),
        LiveReader(topology, args.timeout),
        now,
        stack=stack,
        on_demand_rpo=on_demand,
        records=records,
    )
    if args.html is not None:
        from components.posture.html import render_html

        try:
            args.html.write_text(render_html(report))
        except OSError as exc:
            print(f"--html {shown(args.html)}: cannot be written ({exc.strerror})", file=sys.stderr)
            return EXIT_UNREADABLE
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(render_text(report)))
    for failed in report.unreadable:  # one clear line each where a pipeline's log shows errors
        print(unreadable_line(failed), file=sys.stderr)
    return report.exit_code


def _stack_of(path: Path) -> str:
    return stack_name(path)


COMMAND = Command(
    name="check",
    help="the live posture: each asset's newest restore point against its RPO, read from the clouds",
    add_arguments=_add_arguments,
    run=run,
)
