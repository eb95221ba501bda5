"""Coverage rows: RPO, retention and copies per asset."""

from __future__ import annotations

from typing import Any

from components.config import Schedule, load_topology
from components.tooling.coverage import (
    coverage,
    effective_rpo_hours,
    longest_retention_days,
    retention_at_rpo_days,
    summary,
)
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


# --- IBM backup policies ---------------------------------------------------------------------------------


def _ibm_policy(**changes: Any) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "name": "volumes",
        "match_user_tags": ["backup:daily"],
        "covers": ["vol-a", "vol-b"],
        "plans": [
            {
                "name": "six-hourly",
                "cron_spec": "0 */6 * * *",
                "deletion_trigger": {"delete_after": 7, "delete_over_count": 20},
                "clone_policy": {"zones": ["us-south-1", "us-south-2"], "max_snapshots": 3},
            },
            {
                "name": "weekly",
                "cron_spec": "0 3 * * 0",
                "deletion_trigger": {"delete_after": 90},
                "remote_region_policies": [{"region": "us-east"}],
            },
        ],
    }
    policy.update(changes)
    return policy


def test_a_backup_policy_gives_each_covered_volume_rpo_and_retention_from_its_plans() -> None:
    raw = {"ibm": {"region": "us-south", "clone_zone_hourly_rate": 0.1, "backup_policies": [_ibm_policy()]}}
    rows = {r.asset_id: r for r in coverage(load_topology(raw))}
    assert list(rows) == ["vol-a", "vol-b"]
    row = rows["vol-a"]
    assert (row.cloud, row.asset_kind, row.protected_by) == ("ibm", "block volume", "IbmBackupPolicy volumes")
    assert row.rpo_hours == 6
    assert row.retention_days == 5  # 20 backups 6 h apart: 5 days, before the 7 of delete_after
    assert row.retention_count == 20
    assert row.oldest_restore_point_days == 90
    assert (row.cross_region, row.policy_copies) == ("us-east", ["us-east"])
    assert row.clone_zones == ["us-south-1", "us-south-2"]
    assert row.clone_zone_hours_per_month == 3 * 2 * 730  # max_snapshots x zones
    assert row.monthly_clone_cost == 438.0
    assert row.schedules == [
        "plan six-hourly: cron 0 */6 * * * (UTC), at most 6 h between runs, kept 7 d, last 20, clones in "
        "us-south-1, us-south-2 (latest 3)",
        "plan weekly: cron 0 3 * * 0 (UTC), at most 168 h between runs, kept 90 d, copied to us-east (last 5)",
    ]
    assert row.policy_copy_retention == {"us-east": {"copies": 5, "hours": 5 * 168}}  # IBM's default count


def test_the_copies_a_remote_region_keeps_are_the_rows_cross_region_retention() -> None:
    policy = _ibm_policy()
    policy["plans"][0]["remote_region_policies"] = [{"region": "us-east", "delete_over_count": 40}]
    policy["plans"][1]["remote_region_policies"] = [{"region": "us-east", "delete_over_count": 3}]
    policy["plans"].append(
        {"name": "monthly", "cron_spec": "0 5 1 * *", "active": False, "remote_region_policies": [{"region": "eu-de"}]}
    )
    raw = {"ibm": {"region": "us-south", "backup_policies": [policy]}}
    row = coverage(load_topology(raw))[0]
    # 40 copies 6 h apart reach back 240 h, 3 weekly ones 504 h; an inactive plan copies nothing.
    assert row.policy_copy_retention == {"us-east": {"copies": 43, "hours": 504}}
    assert row.policy_copies == ["us-east"]
    assert row.schedules[0].endswith("copied to us-east (last 40)")
    assert row.to_dict()["policy_copy_retention"] == {"us-east": {"copies": 43, "hours": 504}}


def test_an_on_demand_snapshot_of_a_covered_volume_joins_its_row() -> None:
    snapshot = {"name": "a", "volume_id": "vol-a", "trigger": "t1", "clone_zones": ["us-south-3"]}
    raw = {"ibm": {"region": "us-south", "backup_policies": [_ibm_policy()], "snapshots": [snapshot]}}
    rows = {r.asset_id: r for r in coverage(load_topology(raw))}
    row = rows["vol-a"]
    assert row.asset_name == "a"
    assert row.protected_by == "IbmBackupPolicy volumes, SnapshotWithClones a"
    assert row.policy == "backup policy volumes; on demand (trigger t1)"
    assert row.rpo_hours == 6  # the policy's
    assert row.generations == "all kept"  # the snapshot's
    assert row.clone_zones == ["us-south-1", "us-south-2", "us-south-3"]
    assert row.clone_zone_hours_per_month == (3 * 2 + 1) * 730


def test_inactive_plans_count_for_nothing() -> None:
    plans = _ibm_policy()["plans"]
    plans[0]["active"] = False
    raw = {"ibm": {"region": "us-south", "backup_policies": [_ibm_policy(plans=plans)]}}
    [row, _] = coverage(load_topology(raw))
    assert (row.rpo_hours, row.retention_days, row.clone_zones) == (168, 90, [])
    assert row.schedules[0].startswith("plan six-hourly (inactive): ")


def test_the_summary_counts_every_kind_of_asset_without_a_copy_in_another_region() -> None:
    vault = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljspaymentsvaultexample"
    key = "ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey1example"
    raw = {
        "oci": {
            "region": "us-ashburn-1",
            "vault_backups": [
                {
                    "name": "payments",
                    "vault_id": vault,
                    "keys": [key],
                    "destination": {"bucket": {"namespace": "acme", "bucket": "vault-backups"}},
                    "trigger": "t1",
                }
            ],
        },
        "ibm": {
            "region": "us-south",
            "backup_policies": [
                {
                    "name": "apps",
                    "match_user_tags": ["backup:apps"],
                    "match_resource_type": "instance",
                    "covers": ["0717-instance-1"],
                    "plans": [{"name": "daily", "cron_spec": "0 2 * * *"}],
                }
            ],
        },
        "openstack": {
            "snapshot_backups": [
                {"name": "build", "volume_id": "3fa1c7e2-0000-4000-8000-000000000001", "trigger": "t1"}
            ]
        },
    }
    rows = coverage(load_topology(raw))
    kinds = {r.asset_kind for r in rows}
    assert kinds == {"vault", "vault key", "instance", "volume"}
    assert sorted(summary(rows)["without_cross_region_copy"]) == sorted(r.asset_name or r.asset_id for r in rows)


def test_backup_locks_name_each_locked_schedule_and_manual_backup(make_topology: Any) -> None:
    locked = {"retention_lock": True, "retention_period": {"amount": 1, "unit": "years"}}
    plan = {
        "name": "db",
        "compartment_id": COMPARTMENT,
        "policy": {
            "schedules": [
                {"backup_type": "incremental", "period": "day", "retention_days": 30, "protection": locked},
                {"backup_type": "full", "period": "week", "retention_days": 35},
            ]
        },
        "boot_volumes": [VOL_A],
        "manual_backups": [
            {"name": "pre", "boot_volume_id": VOL_A, "protection": {"indefinite_retention": True}},
            {"name": "other", "boot_volume_id": VOL_B},
        ],
    }
    rows = {r.asset_id: r for r in coverage(load_topology(make_topology(plan)))}
    assert rows[VOL_A].backup_locks == {
        "daily incremental backups": {
            "prevent_deletion": False,
            "retention_lock": True,
            "legal_hold": False,
            "held_days": 365,
        },
        "manual backup db/pre": {
            "prevent_deletion": False,
            "retention_lock": False,
            "legal_hold": True,
            "held_days": 0,
        },
    }
    assert rows[VOL_B].backup_locks == {}


# --- block volumes and volume groups ------------------------------------------------------------------------

BLOCK_A = "ocid1.volume.oc1.iad.abuwcljrtestblocka"
BLOCK_B = "ocid1.volume.oc1.iad.abuwcljrtestblockb"
GROUP = "ocid1.volumegroup.oc1.iad.abuwcljrexistinggroup"


def volumes_topology() -> dict[str, Any]:
    return {
        "oci": {
            "region": "us-ashburn-1",
            "volume_plans": [
                {
                    "name": "cache",
                    "compartment_id": COMPARTMENT,
                    "oracle_policy": "bronze",
                    "block_volumes": [{"id": "ocid1.volume.oc1.iad.abuwcljrtestcache", "name": "cache"}],
                    "manual_backups": [
                        {
                            "name": "nightly",
                            "volume_id": "ocid1.volume.oc1.iad.abuwcljrtestcache",
                            "retention": {"keep_last": 7},
                        }
                    ],
                }
            ],
            "volume_group_plans": [
                {
                    "name": "ledger",
                    "compartment_id": COMPARTMENT,
                    "volumes": [{"id": BLOCK_A, "name": "data"}, {"id": VOL_A, "name": "boot"}, BLOCK_B],
                    "availability_domain": "AD-1",
                    "policy": {
                        "schedules": [
                            {"backup_type": "incremental", "period": "day", "retention_days": 30},
                            {"backup_type": "full", "period": "week", "retention_days": 90},
                        ],
                        "destination_region": "us-phoenix-1",
                    },
                    "manual_backups": [{"name": "pre", "trigger": "t1", "retention": {"keep_last": 5}}],
                },
                {
                    "name": "archive",
                    "compartment_id": COMPARTMENT,
                    "volume_group_id": GROUP,
                    "policy_id": "ocid1.volumebackuppolicy.oc1.iad.aaaashared",
                },
            ],
        },
        "copies": [
            {
                "name": "ledger-dr",
                "oci": {"source": {"plan": "ledger", "manual_backup": "pre"}, "destination_region": "us-sanjose-1"},
            }
        ],
    }


def test_each_region_a_copies_entry_copies_to_keeps_its_retention() -> None:
    raw = {
        "ibm": {
            "region": "us-south",
            "snapshots": [{"name": "a", "volume_id": "vol-a", "trigger": "t1"}],
            "consistency_groups": [{"name": "g", "volume_ids": ["vol-a", "vol-b"], "trigger": "t1"}],
        },
        "copies": [
            {"name": "a-dr", "ibm": {"snapshot": "a", "destination_region": "us-east"}, "retention": {"keep_last": 5}},
            {
                "name": "g-dr",
                "ibm": {"consistency_group": "g", "destination_region": "us-east"},
                "retention": {"keep_last": 2, "max_age_days": 30},
                "delete_on_removal": True,
            },
            {"name": "a-eu", "ibm": {"snapshot": "a", "destination_region": "eu-de"}, "delete_on_removal": True},
        ],
    }
    row = {r.asset_id: r for r in coverage(load_topology(raw))}["vol-a"]
    # two entries copying the volume to us-east: their copies together (7 of them, of any age)
    assert row.to_dict()["copy_retention"] == {
        "us-east": {"keep_last": 7, "max_age_days": None, "delete_on_removal": False},
        "eu-de": {"keep_last": None, "max_age_days": None, "delete_on_removal": True},
    }


def test_an_oci_manual_backup_row_keeps_the_generations_of_each_backup_as_data() -> None:
    rows = {r.asset_id: r for r in coverage(load_topology(volumes_topology()))}
    assert rows[BLOCK_A].generations_by_backup == {
        "ledger/pre": {"keep_last": 5, "max_age_days": None, "delete_on_removal": False}
    }
    # the copy of that manual backup: one backup, kept when replaced or removed
    assert rows[BLOCK_A].copy_retention == {
        "us-sanjose-1": {"keep_last": None, "max_age_days": None, "delete_on_removal": False}
    }


def test_an_oci_manual_backup_deleted_on_removal_without_retention_keeps_only_its_current_generation() -> None:
    raw = volumes_topology()
    raw["oci"]["volume_group_plans"][0]["manual_backups"] = [
        {"name": "pre", "trigger": "t1", "delete_on_removal": True}
    ]
    rows = {r.asset_id: r for r in coverage(load_topology(raw))}
    assert rows[BLOCK_A].generations_by_backup == {
        "ledger/pre": {"keep_last": 1, "max_age_days": None, "delete_on_removal": True}
    }


def test_each_member_of_a_group_is_a_row_marked_as_backed_up_with_the_others() -> None:
    rows = {r.asset_id: r for r in coverage(load_topology(volumes_topology()))}
    data, boot, other = rows[BLOCK_A], rows[VOL_A], rows[BLOCK_B]
    assert (data.asset_kind, boot.asset_kind, other.asset_kind) == ("block volume", "boot volume", "block volume")
    assert {r.volume_group for r in (data, boot, other)} == {"ledger"}
    assert data.backed_up_with == ["boot", BLOCK_B]
    assert other.backed_up_with == ["data", "boot"]
    assert (data.protected_by, data.policy) == ("VolumeGroupBackupPlan ledger", "custom: ledger")
    assert (data.rpo_hours, data.retention_days, data.oldest_restore_point_days) == (24, 30, 90)
    # the policy's copy and the copy of the manual group backup, in their own regions, for every member
    assert data.cross_region == boot.cross_region == "us-phoenix-1, us-sanjose-1"
    assert data.generations == "pre: last 5"
    assert data.manual_backups == ["ledger/pre (full, last 5)"]
    assert data.in_use


def test_an_existing_group_is_one_row_whose_schedules_are_not_known() -> None:
    rows = {r.asset_id: r for r in coverage(load_topology(volumes_topology()))}
    row = rows[GROUP]
    assert (row.asset_kind, row.asset_name, row.volume_group) == ("volume group", "archive", "archive")
    assert row.schedules_known is False
    assert row.rpo_hours is None


def test_a_block_volume_row_has_its_plans_policy_and_its_manual_backups_generations() -> None:
    rows = {r.asset_id: r for r in coverage(load_topology(volumes_topology()))}
    row = rows["ocid1.volume.oc1.iad.abuwcljrtestcache"]
    assert (row.asset_kind, row.protected_by, row.policy) == (
        "block volume",
        "VolumeBackupPlan cache",
        "oracle-defined: bronze",
    )
    assert row.generations == "nightly: last 7"
    assert row.volume_group is None
    assert summary(list(rows.values()))["without_cross_region_copy"] == ["cache", "archive"]


def test_a_group_with_manual_backups_only_keeps_its_members_own_policy() -> None:
    daily = {"backup_type": "incremental", "period": "day", "hour_of_day": 2, "retention_days": 30}
    policy = {"display_name": "data-daily", "destination_region": "us-phoenix-1", "schedules": [daily]}
    topology = {
        "oci": {
            "region": "us-ashburn-1",
            "volume_plans": [
                {
                    "name": "data",
                    "compartment_id": COMPARTMENT,
                    "policy": policy,
                    "block_volumes": [{"id": BLOCK_A, "name": "data-vol"}],
                }
            ],
            "volume_group_plans": [
                {
                    "name": "app-group",
                    "compartment_id": COMPARTMENT,
                    "availability_domain": "Uocm:US-ASHBURN-AD-1",
                    "volumes": [{"id": BLOCK_A, "name": "data-vol"}, {"id": BLOCK_B, "name": "other-vol"}],
                    "manual_backups": [{"name": "pre", "type": "full", "trigger": "t1"}],
                }
            ],
        }
    }
    rows = {r.asset_id: r for r in coverage(load_topology(topology))}
    data = rows[BLOCK_A]
    assert data.protected_by == "VolumeBackupPlan data, VolumeGroupBackupPlan app-group"
    assert (data.policy, data.rpo_hours, data.retention_days) == ("custom: data-daily", 24, 30)
    assert data.cross_region == "us-phoenix-1"
    assert data.manual_backups == ["app-group/pre (full, kept until deleted)"]
    assert rows[BLOCK_B].policy == "none"
