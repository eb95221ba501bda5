"""Cron specs of IBM backup plans: what the VPC API takes, what IBM runs, and the hours between runs."""

from __future__ import annotations

import pytest

from components.cron import CronError, parse_cron, too_close


@pytest.mark.parametrize(
    ("spec", "hours"),
    [
        ("0 2 * * *", 24),  # daily
        ("30 */6 * * *", 6),
        ("0 * * * *", 1),  # hourly: the most IBM runs
        ("0 3 * * 0", 168),  # weekly, on Sundays
        ("0 4 1 * *", 744),  # monthly: the longest month counts
        ("0 2 31 * *", 1464),  # the 31st: no run in the months without one
        ("15 1,13 * * 1-5", 60),  # twice on weekdays: Friday 13:15 to Monday 01:15
        ("0 0 1 1 *", 8784),  # yearly: a leap year counts
    ],
)
def test_rpo_is_the_longest_gap_between_runs_in_whole_hours(spec: str, hours: int) -> None:
    assert parse_cron(spec).rpo_hours == hours


def test_day_of_month_and_day_of_week_given_both_run_on_either() -> None:
    both = parse_cron("0 2 1 * 1")  # the 1st, and every Monday
    mondays, firsts = set(parse_cron("0 2 * * 1").runs()), set(parse_cron("0 2 1 * *").runs())
    assert set(both.runs()) == mondays | firsts
    assert both.rpo_hours == 168


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("0,30 * * * *", "runs 2 times an hour (minute field 0,30); IBM takes a backup at most once an hour"),
        ("*/15 2 * * *", "runs 4 times an hour"),
        ("0 24 * * *", "hour 24 is out of range 0-23"),
        ("0 2 * * 7", "day of week 7 is out of range 0-6"),
        ("0 2 0 * *", "day of month 0 is out of range 1-31"),
        ("0 5-2 * * *", "hour range 5-2 runs backwards"),
        ("0 2 * * MON", "day of week 'MON' is not a number"),
        ("0 2 * *", "must be 5 fields separated by single spaces"),
        ("0 2 * * * 2027", "must be 5 fields"),
        ("0  2 * * *", "must be 5 fields"),
        ("0 0 30 2 *", "never runs"),
    ],
)
def test_specs_ibm_refuses_or_never_runs_are_errors_saying_why(spec: str, reason: str) -> None:
    with pytest.raises(CronError) as failure:
        parse_cron(spec)
    assert str(failure.value).startswith(reason)


def test_a_spec_longer_than_ibm_takes_is_refused() -> None:
    spec = "0 " + ",".join(str(h) for h in range(0, 24, 2)) + " " + ",".join(str(d) for d in range(1, 29)) + " * *"
    with pytest.raises(CronError, match=r"characters; IBM takes at most 63"):
        parse_cron(spec)


def test_schedules_less_than_an_hour_apart_are_found_with_a_time_they_clash() -> None:
    daily, weekly = parse_cron("0 2 * * *"), parse_cron("30 2 * * 0")
    [(later, earlier, when)] = too_close([daily, weekly])
    assert (later, earlier) == (1, 0)
    assert (when.weekday(), when.hour, when.minute) == (6, 2, 30)  # a Sunday at 02:30
    assert too_close([daily, parse_cron("0 3 * * 0")]) == []  # exactly an hour apart is fine
    assert too_close([parse_cron("0 23 * * *"), parse_cron("30 0 * * *")]) == []  # 90 minutes, across midnight
    assert too_close([parse_cron("30 23 * * *"), parse_cron("15 0 * * *")]) != []  # 45 minutes, across midnight
