"""Coverage rows: RPO, retention and copies per asset."""

from __future__ import annotations

from typing import Any

from components.config import Schedule, load_topology
from components.tooling.coverage import coverage, effective_rpo_hours, longest_retention_days, retention_at_rpo_days
from tests.conftest import COMPARTMENT, VOL_A, VOL_B, VOL_C


def test_rpo_is_the_most_frequent_schedule_and_retention_the_longest() -> None:
    schedules = [
        Schedule(backup_type="full", period="month", retention_days=400),
        Schedule(backup_type="incremental", period="hour", retention_days=2),
        Schedule(backup_type="incremental", period="week", retention_days=30),
    ]
    assert effective_rpo_hours(schedules) == 1
    assert longest_retention_days(schedules) == 400
    assert effective_rpo_hours([]) is None


def test_rows_per_asset(topology: dict[str, Any], make_topology: Any) -> None:
    plan = topology["oci"]["boot_volume_plans"][0]
    gold = {
        "name": "db",
        "compartment_id": COMPARTMENT,
        "oracle_policy": "gold",
        "boot_volumes": [VOL_C],
        "manual_backups": [{"name": "pre", "boot_volume_id": VOL_A}],
    }
    rows = {r.asset_id: r for r in coverage(load_topology(make_topology(plan, gold)))}
    assert list(rows) == [VOL_A, VOL_B, VOL_C]
    a = rows[VOL_A]
    assert (a.asset_name, a.rpo_hours, a.retention_days, a.cross_region) == ("web-1", 24, 7, "us-phoenix-1")
    assert a.policy == "custom: web"
    assert a.schedules == ["incremental daily at 02:00 UTC, kept 7d"]
    assert a.manual_backups == ["db/pre (full, kept until deleted)"]
    c = rows[VOL_C]
    assert (c.policy, c.rpo_hours, c.cross_region) == ("oracle-defined: gold", 24, None)
    assert (c.retention_days, c.oldest_restore_point_days) == (7, 1825)  # daily kept 7 d; yearly kept 5 years


def test_existing_policy_schedules_are_unknown(make_topology: Any) -> None:
    plan = {
        "name": "t",
        "compartment_id": COMPARTMENT,
        "policy_id": "ocid1.volumebackuppolicy.oc1.iad.aaaa",
        "boot_volumes": [VOL_A],
    }
    [row] = coverage(load_topology(make_topology(plan)))
    assert row.schedules_known is False
    assert row.rpo_hours is None
    assert row.retention_days is None


def test_manual_only_asset(make_topology: Any) -> None:
    plan = {
        "name": "m",
        "compartment_id": COMPARTMENT,
        "manual_backups": [{"name": "x", "boot_volume_id": VOL_B, "type": "incremental"}],
    }
    [row] = coverage(load_topology(make_topology(plan)))
    assert (row.asset_id, row.policy, row.rpo_hours, row.manual_backups) == (
        VOL_B,
        "none",
        None,
        ["m/x (incremental, kept until deleted)"],
    )


def test_on_demand_rows_say_which_generations_are_kept() -> None:
    raw = {
        "ibm": {
            "region": "us-south",
            "snapshots": [
                {"name": "a", "volume_id": "vol-a", "trigger": "t1", "retention": {"keep_last": 3, "max_age_days": 9}},
                {"name": "b", "volume_id": "vol-b", "trigger": "t1", "delete_on_removal": True},
            ],
        }
    }
    rows = {r.asset_name: r for r in coverage(load_topology(raw))}
    assert rows["a"].generations == "last 3, 9d"
    assert rows["b"].generations == "all kept; deleted on removal"
    assert rows["a"].generations_held is None  # known after an up


def test_retention_at_the_rpo_is_not_the_longest_retention() -> None:
    hourly = Schedule(backup_type="incremental", period="hour", retention_days=1)
    yearly = Schedule(backup_type="full", period="year", retention_days=1825)
    assert retention_at_rpo_days([hourly, yearly]) == 1
    assert longest_retention_days([hourly, yearly]) == 1825
