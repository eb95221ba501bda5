"""Coverage rows: RPO, retention and copies per asset."""

from __future__ import annotations

from typing import Any

from components.config import Schedule, load_topology
from components.tooling.coverage import coverage, effective_rpo_hours, longest_retention_days
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
    assert a.manual_backups == ["db/pre (full)"]
    c = rows[VOL_C]
    assert (c.policy, c.rpo_hours, c.retention_days, c.cross_region) == ("oracle-defined: gold", 24, 1825, None)


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
    assert (row.asset_id, row.policy, row.rpo_hours, row.manual_backups) == (VOL_B, "none", None, ["m/x (incremental)"])
