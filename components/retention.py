"""Retention of backup generations: which earlier generations of a series are kept and which are deleted."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

_IBM_TAG_UNSAFE = re.compile(r"[^a-z0-9_.-]+")

SERIES_KEY = "backup-topology-series"
IBM_SERIES_TAG = f"{SERIES_KEY}:"
"""Start of the IBM user tag naming the series of a snapshot (tags are `key:value` strings)."""
"""Cinder metadata key naming the series (organization, project, stack and entry) a snapshot or backup belongs to."""


@dataclass(frozen=True)
class Generation:
    """One restore point of a series: a snapshot, a consistency group, or a backup."""

    id: str
    name: str
    created_at: datetime.datetime
    incremental: bool = False
    """A Cinder incremental backup: it needs every older backup of its chain."""

    def summary(self) -> dict[str, Any]:
        """What the state and the plan show of a generation."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "incremental": self.incremental,
        }


def series_name(organization: str, project: str, stack: str, spec: str) -> str:
    """The series of one backup spec of one stack: what its generations are marked with."""
    return f"{organization}/{project}/{stack}/{spec}"


def ibm_series_tag(series: str) -> str:
    """The IBM user tag of a series: readable, within IBM's tag alphabet and 128 characters, unique by a digest."""
    digest = hashlib.sha256(series.encode()).hexdigest()[:12]
    readable = _IBM_TAG_UNSAFE.sub("-", series.lower()).strip("-")[:80]
    return f"{IBM_SERIES_TAG}{readable}-{digest}"


_OCI_TAG_READABLE = 100


def oci_series_tag(series: str) -> str:
    """The value of the OCI freeform tag SERIES_KEY that marks a backup of a series: the series itself, or, past 100
    characters, its start and a digest (short enough for any tag value, unique by the digest, still readable)."""
    if len(series) <= _OCI_TAG_READABLE:
        return series
    digest = hashlib.sha256(series.encode()).hexdigest()[:12]
    return f"{series[: _OCI_TAG_READABLE - 13]}-{digest}"


def parse_time(value: Any) -> datetime.datetime | None:
    """A cloud's creation time (ISO 8601, with or without a zone; naive means UTC); None when there is none."""
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        try:
            parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


def newest_first(generations: Sequence[Generation]) -> list[Generation]:
    """Generations by creation time, the newest first (ties by ID, so the order is stable)."""
    return sorted(generations, key=lambda g: (g.created_at, g.id), reverse=True)


def expired(
    generations: Sequence[Generation],
    current: Collection[str],
    keep_last: int | None,
    max_age_days: int | None,
    now: datetime.datetime,
) -> list[Generation]:
    """The generations beyond retention, newest first: past the newest `keep_last`, or older than `max_age_days`.

    The current generation (IDs in `current`) is never expired: it is what the stack holds now.
    """
    found = []
    for position, generation in enumerate(newest_first(generations)):
        if generation.id in current:
            continue
        beyond = keep_last is not None and position >= keep_last
        too_old = max_age_days is not None and now - generation.created_at > datetime.timedelta(days=max_age_days)
        if beyond or too_old:
            found.append(generation)
    return found


def chains(generations: Sequence[Generation]) -> list[list[Generation]]:
    """Backup chains, oldest first: a full backup and the incremental backups made after it, up to the next full.

    Incremental backups older than every full of the series form a chain of their own (their base is outside it).
    """
    found: list[list[Generation]] = []
    for generation in reversed(newest_first(generations)):
        if not generation.incremental or not found:
            found.append([generation])
        else:
            found[-1].append(generation)
    return found


def expired_chains(
    generations: Sequence[Generation],
    current: Collection[str],
    keep_last: int | None,
    max_age_days: int | None,
    now: datetime.datetime,
) -> list[Generation]:
    """Like `expired`, chain-aware: a chain goes only as a whole, never a backup that a kept one depends on.

    Returned newest first, so each incremental is deleted before the backup it depends on.
    """
    doomed = {g.id for g in expired(generations, current, keep_last, max_age_days, now)}
    found = [g for chain in chains(generations) if all(g.id in doomed for g in chain) for g in chain]
    return newest_first(found)
