"""Cron specs of IBM Cloud backup plans: parsed as the VPC API takes them, with their runs and hours between runs."""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_START = datetime.datetime(2028, 1, 1, tzinfo=datetime.UTC)
WINDOW_END = datetime.datetime(2032, 3, 1, tzinfo=datetime.UTC)
"""Runs are laid out over four years and two months from a leap year's first day: every day of the month falls on
every day of the week, 29 February comes twice, and the longest gap of a yearly schedule shows."""
MIN_GAP_MINUTES = 60
"""IBM: a plan runs at most once an hour, and the schedules of a policy's plans are at least an hour apart."""
MAX_LENGTH = 63
"""IBM: a cron_spec is 9 to 63 characters."""

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)
# The grammar of one field in the VPC API's pattern: a number, a list of numbers, a range, a step from a number or
# from `*`, or `*`.
_LIST = re.compile(r"\d+(,\d+)+")
_RANGE = re.compile(r"(\d+)-(\d+)")
_STEP = re.compile(r"(\d+|\*)/(\d+)")


class CronError(ValueError):
    """A cron spec the VPC API would refuse, or a schedule IBM does not run; the message says why."""


@dataclass(frozen=True)
class Cron:
    """A 5-field cron spec (minute hour day-of-month month day-of-week, in UTC) and the times it runs."""

    spec: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 = Sunday."""
    any_day: bool
    """The day-of-month field is `*`."""
    any_weekday: bool
    """The day-of-week field is `*`."""

    def runs_on(self, day: datetime.date) -> bool:
        """Whether the plan runs on `day`: as cron has it, when both day fields are given, either one matches."""
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def runs(self) -> tuple[int, ...]:
        """Minutes since WINDOW_START of every run in the window, in order."""
        return _runs(self)

    def gaps(self) -> list[int]:
        """Minutes between consecutive runs in the window."""
        return [b - a for a, b in itertools.pairwise(self.runs())]

    @property
    def rpo_hours(self) -> int:
        """The longest time between two runs, in hours (whole: a plan runs at one minute of the hour)."""
        return max(self.gaps(), default=0) // 60

    @property
    def shortest_hours(self) -> int:
        """The shortest time between two runs, in hours."""
        return min(self.gaps(), default=0) // 60

    def describe(self) -> str:
        """e.g. `cron 0 2 * * * (UTC), at most 24 h between runs`."""
        return f"cron {self.spec} (UTC), at most {self.rpo_hours} h between runs"


@functools.lru_cache(maxsize=256)
def _runs(cron: Cron) -> tuple[int, ...]:
    found: list[int] = []
    day = WINDOW_START.date()
    start_day = day.toordinal()
    while day < WINDOW_END.date():
        if cron.runs_on(day):
            base = (day.toordinal() - start_day) * 1440
            found += [base + h * 60 + m for h in cron.hours for m in cron.minutes]
        day += datetime.timedelta(days=1)
    return tuple(found)


def _field(text: str, name: str, low: int, high: int) -> tuple[int, ...]:
    def number(value: str) -> int:
        n = int(value)
        if not low <= n <= high:
            msg = f"{name} {n} is out of range {low}-{high}"
            raise CronError(msg)
        return n

    if text == "*":
        return tuple(range(low, high + 1))
    if text.isdigit():
        return (number(text),)
    if _LIST.fullmatch(text):
        return tuple(sorted({number(v) for v in text.split(",")}))
    if m := _RANGE.fullmatch(text):
        first, last = number(m[1]), number(m[2])
        if first > last:
            msg = f"{name} range {text} runs backwards"
            raise CronError(msg)
        return tuple(range(first, last + 1))
    if m := _STEP.fullmatch(text):
        first = low if m[1] == "*" else number(m[1])
        step = int(m[2])
        if step < 1:
            msg = f"{name} step {text} must be at least 1"
            raise CronError(msg)
        return tuple(range(first, high + 1, step))
    msg = f"{name} '{text}' is not a number, a list (1,15), a range (1-5), a step (*/6, 2/6) or *"
    raise CronError(msg)


@functools.lru_cache(maxsize=256)
def parse_cron(spec: str) -> Cron:
    """The cron spec as IBM runs it, or CronError saying what is wrong with it."""
    parts = spec.split(" ")
    if len(parts) != len(_FIELDS) or not all(parts):
        msg = (
            "must be 5 fields separated by single spaces: minute hour day-of-month month day-of-week (UTC), "
            "e.g. '0 2 * * *' for every day at 02:00"
        )
        raise CronError(msg)
    if len(spec) > MAX_LENGTH:
        msg = f"is {len(spec)} characters; IBM takes at most {MAX_LENGTH}"
        raise CronError(msg)
    values = [_field(text, name, low, high) for text, (name, low, high) in zip(parts, _FIELDS, strict=True)]
    minutes = values[0]
    if len(minutes) > 1:
        msg = (
            f"runs {len(minutes)} times an hour (minute field {parts[0]}); IBM takes a backup at most once an "
            "hour: give one minute"
        )
        raise CronError(msg)
    cron = Cron(
        spec=spec,
        minutes=minutes,
        hours=values[1],
        days=frozenset(values[2]),
        months=frozenset(values[3]),
        weekdays=frozenset(values[4]),
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )
    if not cron.runs():
        msg = "never runs (no such day in those months)"
        raise CronError(msg)
    return cron


def too_close(crons: Sequence[Cron], minutes: int = MIN_GAP_MINUTES) -> list[tuple[int, int, datetime.datetime]]:
    """(later index, earlier index, a time it runs) for every schedule that runs within `minutes` of an earlier one
    of the sequence (IBM keeps the schedules of a policy's plans at least an hour apart)."""
    found = []
    for i, cron in enumerate(crons):
        mine = cron.runs()
        for j in range(i):
            theirs = crons[j].runs()
            clash = _first_clash(mine, theirs, minutes)
            if clash is not None:
                found.append((i, j, WINDOW_START + datetime.timedelta(minutes=clash)))
                break
    return found


def _first_clash(mine: Sequence[int], theirs: Sequence[int], minutes: int) -> int | None:
    for t in mine:
        k = bisect.bisect_left(theirs, t - minutes + 1)
        if k < len(theirs) and theirs[k] < t + minutes:
            return t
    return None
