"""The rules in the offline plan: the program under the mock runtime, components' registered outputs as their props."""

from __future__ import annotations

from typing import Any

from components.config import CONFIG_KEY
from components.tooling.plan import run_plan
from tests.conftest import COMPARTMENT, VOL_A

SHARED_POLICY = "ocid1.volumebackuppolicy.oc1.iad.aaaaaaaasharedpolicy"


def findings(stack: str, plan: dict[str, Any]) -> list[dict[str, Any]]:
    topology = {"oci": {"region": "us-ashburn-1", "boot_volume_plans": [plan]}}
    return run_plan({CONFIG_KEY: topology}, stack=stack).findings


def test_a_bronze_plan_in_prod_is_a_mandatory_retention_finding() -> None:
    plan = {"name": "apps", "compartment_id": COMPARTMENT, "oracle_policy": "bronze", "boot_volumes": [VOL_A]}
    [finding] = [f for f in findings("prod", plan) if f["policy"] == "backup-retention-and-rpo"]
    assert finding["level"] == "mandatory"
    assert finding["message"].startswith("boot volume plan apps uses the Oracle-defined policy bronze:")
    assert finding["resource"].endswith("backup-topology:index:BootVolumeBackupPlan::apps")


def test_a_policy_given_by_ocid_is_an_advisory_finding_only() -> None:
    plan = {"name": "tools", "compartment_id": COMPARTMENT, "policy_id": SHARED_POLICY, "boot_volumes": [VOL_A]}
    assert [(f["policy"], f["level"]) for f in findings("dev", plan)] == [("external-backup-policy", "advisory")]


def ibm_findings(stack: str, **plan: Any) -> list[dict[str, Any]]:
    daily: dict[str, Any] = {"name": "daily", "cron_spec": "0 2 * * *", "deletion_trigger": {"delete_after": 30}}
    daily.update(plan)
    topology = {
        "ibm": {
            "region": "us-south",
            "backup_policies": [
                {"name": "volumes", "match_user_tags": ["backup:daily"], "covers": ["vol-a"], "plans": [daily]}
            ],
        }
    }
    return run_plan({CONFIG_KEY: topology}, stack=stack).findings


def test_an_ibm_plan_keeping_daily_backups_14_days_is_a_retention_finding_in_prod() -> None:
    [finding] = [f for f in ibm_findings("prod", deletion_trigger={"delete_after": 14}) if "retention" in f["policy"]]
    assert finding["level"] == "mandatory"
    assert finding["message"].startswith(
        "IBM backup policy volumes (volumes-policy): restore points at most 24 h apart are kept only 14 d "
        "(plan daily (cron 0 2 * * *, up to 24 h apart) kept 14 d)"
    )
    assert "keep the backups of plan daily at least 30 d" in finding["message"]
    assert finding["resource"].endswith("IbmBackupPolicy::volumes-policy")


def test_a_weekly_ibm_plan_misses_the_prod_rpo() -> None:
    [finding] = [f for f in ibm_findings("prod", cron_spec="0 2 * * 0") if "retention" in f["policy"]]
    assert "every 168 h" in finding["message"]
    assert finding["message"].endswith("add a plan running at least every 24 h with backups kept at least 30 d")


def test_an_ibm_policy_in_prod_copies_its_backups_to_another_region() -> None:
    [finding] = [f for f in ibm_findings("prod") if f["policy"] == "prod-cross-region-copy"]
    assert finding["message"].startswith(
        "IBM backup policy volumes (volumes-policy) copies no backup to another region: add remote_region_policies"
    )
    remote = {"remote_region_policies": [{"region": "us-east"}]}
    assert [f for f in ibm_findings("prod", **remote) if f["level"] == "mandatory"] == []
    assert [f for f in ibm_findings("dev") if f["level"] == "mandatory"] == []
