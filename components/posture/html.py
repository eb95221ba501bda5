"""The posture report as one self-contained HTML page: a table of the assets, and a timeline of each one's restore
points over its retention window against its RPO (inline CSS and SVG; no script, no external asset)."""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable, Sequence

from components.posture.check import STATUS_TEXT, AssetPosture, PostureReport, _cells, hours_text
from components.posture.live import RestorePoint, iso

WIDTH, LEFT, RIGHT = 960, 150, 20
"""The timeline's width in pixels, and its margins (the left one holds the tracks' names)."""
TRACK = 30
"""Height of one track (the asset's region, then each region holding its copies)."""
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 7, 400
_TICK_DAYS = (1, 2, 7, 14, 30, 61, 91, 182)
HEADINGS = ("Status", "Asset", "Cloud", "Newest restore point", "Age", "RPO", "Held", "DR copy", "Last drill")
"""The table's headings: the text report's columns (check.HEADER), as a page writes them."""

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}h3{font-size:14px;margin:18px 0 4px}
.summary{margin:0 0 16px;color:#57606a}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #d0d7de;padding:5px 8px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#f6f8fa;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}
.ok{background:#1a7f37}.stale{background:#cf222e}.missing{background:#82071e}
.unjudged{background:#9a6700}.unchecked{background:#6e7781}.unread{background:#8250df}
.asset{border:1px solid #d0d7de;border-radius:6px;padding:4px 12px 10px;margin:12px 0}
.asset p{margin:2px 0;color:#57606a}
.legend span{margin-right:14px}
svg{max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#57606a}
"""


def render_html(report: PostureReport) -> str:
    """The whole page; the same report gives the same bytes."""
    title = f"Backup posture of stack {report.stack} at {iso(report.at)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="summary">{_e(report.summary())}</p>',
        _table(report),
        "<h2>Restore points over each asset's retention window</h2>",
        '<p class="legend"><span>&#9679; restore point that restores</span><span>&#9675; not restorable '
        '(creating, failed, ...)</span><span style="color:#cf222e">&#9632; older than the RPO: no restore point '
        "within it</span></p>",
    ]
    parts += [_asset(asset, report.at) for asset in report.assets]
    if report.unreadable:
        parts.append("<h2>Clouds not read</h2><ul>")
        parts += [f"<li>{_e(u.cloud)} ({_e(u.region)}): {_e(u.reason)}</li>" for u in report.unreadable]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _badge(status: str) -> str:
    return f'<span class="badge {_e(status)}" title="{_e(STATUS_TEXT[status])}">{_e(status)}</span>'


def _table(report: PostureReport) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in HEADINGS)
    rows = []
    for asset in report.assets:
        cells = _cells(asset, report.at)
        shown = [_badge(cells[0]), f'<a href="#{_anchor(asset)}">{_e(cells[1])}</a>', *map(_e, cells[2:])]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in shown) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _anchor(asset: AssetPosture) -> str:
    return "asset-" + "".join(c if c.isalnum() else "-" for c in f"{asset.row.cloud}-{asset.row.asset_id}")


def _asset(asset: AssetPosture, now: datetime.datetime) -> str:
    row = asset.row
    lines = [
        f'<div class="asset" id="{_anchor(asset)}">',
        f"<h3>{_badge(asset.status)} {_e(asset.name)}</h3>",
        f"<p>{_e(row.asset_kind)} {_e(row.asset_id)} on {_e(row.cloud)}/{_e(row.region)}; protected by "
        f"{_e(row.protected_by)}; RPO {_e(hours_text(asset.rpo_hours))}"
        + (f" ({_e(asset.rpo_from)})" if asset.rpo_from else "")
        + (f"; retention {row.retention_days}d" if row.retention_days is not None else "")
        + "</p>",
    ]
    lines += [f"<p>{_e(text)}</p>" for text in [*asset.problems, *asset.notes, *(d.text() for d in asset.drills)]]
    if asset.status not in ("unread", "unchecked"):
        lines.append(timeline(asset, now))
    lines.append("</div>")
    return "\n".join(lines)


def window_hours(asset: AssetPosture, now: datetime.datetime) -> float:
    """How far back the timeline reaches: the retention window at the RPO, else what the points span (at least a
    week, and three RPOs)."""
    if asset.row.retention_days is not None:
        days = float(asset.row.retention_days)
    else:
        oldest = min((p.taken_at for p in _all_points(asset)), default=now)
        days = (now - oldest).total_seconds() / 86400 * 1.1
    hours = max(days * 24, MIN_WINDOW_DAYS * 24, 3 * (asset.rpo_hours or 0))
    return min(hours, MAX_WINDOW_DAYS * 24)


def _all_points(asset: AssetPosture) -> list[RestorePoint]:
    return [*asset.points, *(p for held in asset.copy_points.values() for p in held)]


def timeline(asset: AssetPosture, now: datetime.datetime) -> str:
    """An SVG: a track per region, each restore point a dot at its time, the stretches older than the RPO red."""
    span = window_hours(asset, now)
    start = now - datetime.timedelta(hours=span)
    inner = WIDTH - LEFT - RIGHT

    def x(moment: datetime.datetime) -> float:
        return LEFT + max(0.0, min(1.0, (moment - start).total_seconds() / 3600 / span)) * inner

    tracks: list[tuple[str, list[RestorePoint]]] = [(asset.row.region, asset.points)]
    tracks += [(f"copy in {region}", asset.copy_points.get(region, [])) for region in sorted(asset.copy_points)]
    height = 20 + TRACK * len(tracks) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{_e(asset.name)}: restore points">',
        f'<rect x="{LEFT}" y="20" width="{inner}" height="{TRACK * len(tracks)}" fill="#f6f8fa"/>',
    ]
    out += _ticks(start, now, span, x, 20 + TRACK * len(tracks))
    for i, (label, points) in enumerate(tracks):
        top = 20 + i * TRACK
        mid = top + TRACK / 2
        out.append(f'<text x="{LEFT - 8}" y="{mid + 4:.1f}" text-anchor="end">{_e(label)}</text>')
        for begin, end in stale_stretches(points, start, now, asset.rpo_hours):
            width = max(x(end) - x(begin), 1.0)
            why = f"no restore point within the RPO from {iso(begin)} to {iso(end)}"
            out.append(
                f'<rect x="{x(begin):.1f}" y="{top + 4}" width="{width:.1f}" height="{TRACK - 8}" '
                f'fill="#cf222e" fill-opacity="0.22"><title>{_e(why)}</title></rect>'
            )
        out.append(f'<line x1="{LEFT}" y1="{mid}" x2="{LEFT + inner}" y2="{mid}" stroke="#d0d7de"/>')
        for point in sorted(points, key=lambda p: (p.taken_at, p.id)):
            if point.taken_at < start or point.taken_at > now:
                continue
            tip = f"{point.name or point.id} {iso(point.taken_at)} {point.state}" + (
                f" ({point.made_by})" if point.made_by else ""
            )
            style = 'fill="#1a7f37"' if point.usable else 'fill="#fff" stroke="#cf222e" stroke-width="1.5"'
            out.append(
                f'<circle cx="{x(point.taken_at):.1f}" cy="{mid}" r="4" {style}><title>{_e(tip)}</title></circle>'
            )
    bottom = 20 + TRACK * len(tracks)
    if asset.rpo_hours:
        length = min(asset.rpo_hours / span, 1.0) * inner
        out.append(
            f'<line x1="{LEFT + inner - length:.1f}" y1="{bottom + 30}" x2="{LEFT + inner}" y2="{bottom + 30}" '
            'stroke="#1f2328" stroke-width="2"/>'
            f'<text x="{LEFT + inner - length - 4:.1f}" y="{bottom + 34}" text-anchor="end">RPO '
            f"{_e(hours_text(asset.rpo_hours))}</text>"
        )
    out.append(f'<text x="{LEFT}" y="12">{_e(iso(start))}</text>')
    out.append(f'<text x="{LEFT + inner}" y="12" text-anchor="end">{_e(iso(now))} (now)</text>')
    out.append("</svg>")
    return "\n".join(out)


def stale_stretches(
    points: Sequence[RestorePoint], start: datetime.datetime, now: datetime.datetime, rpo_hours: float | None
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The stretches of the window in which the newest restore point was older than the RPO: from a point's time
    plus the RPO to the next point (or now). Without any restore point, the whole window."""
    usable = sorted(p.taken_at for p in points if p.usable and p.taken_at <= now)
    if not usable:
        return [(start, now)]
    if rpo_hours is None:
        return []
    rpo = datetime.timedelta(hours=rpo_hours)
    found = []
    for taken, following in zip(usable, [*usable[1:], now], strict=True):
        if following - taken > rpo and following > start:
            found.append((max(taken + rpo, start), following))
    return found


def _ticks(
    start: datetime.datetime,
    now: datetime.datetime,
    span: float,
    x: Callable[[datetime.datetime], float],
    bottom: int,
) -> list[str]:
    """Day lines at midnight UTC, labelled with the weekday when they are a day or two apart."""
    step = next((d for d in _TICK_DAYS if span / 24 / d <= 12), _TICK_DAYS[-1])
    day = (start + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    index = 0
    while day < now:
        if index % step == 0:
            label = day.strftime("%a %m-%d") if step <= 2 else day.strftime("%Y-%m-%d")
            out.append(
                f'<line x1="{x(day):.1f}" y1="20" x2="{x(day):.1f}" y2="{bottom}" stroke="#d0d7de" '
                'stroke-dasharray="2,3"/>'
                f'<text x="{x(day):.1f}" y="{bottom + 14}" text-anchor="middle">{_e(label)}</text>'
            )
        day += datetime.timedelta(days=1)
        index += 1
    return out
