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
