"""Topology validation: every rule, passing and failing, with the exact path and reason."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config import BootVolumePlan, Schedule, load_topology
from components.errors import TopologyError
from tests.conftest import COMPARTMENT, PHX_KEY, VOL_A, VOL_B, daily, topology_problems


def problems(raw: Any) -> list[str]:
    found = topology_problems(raw)
    assert found, "the topology was expected to be invalid"
    return found


def test_valid_topology_loads(topology: dict[str, Any]) -> None:
    loaded = load_topology(topology)
    assert loaded.oci is not None
    plan = loaded.oci.boot_volume_plans[0]
    assert [v.id for v in plan.boot_volumes] == [VOL_A, VOL_B]
    assert plan.boot_volumes[0].name == "web-1"
    assert plan.boot_volumes[1].name is None  # bare OCID shorthand


def test_models_are_frozen(topology: dict[str, Any]) -> None:
    loaded = load_topology(topology)
    with pytest.raises(Exception, match="frozen"):
        loaded.oci.region = "us-phoenix-1"  # type: ignore[misc,union-attr]


def test_missing_topology_is_reported() -> None:
    assert problems(None) == ["backup-topology:topology: required: the stack config declares no topology"]


def test_topology_must_be_a_mapping() -> None:
    assert problems(["oci"]) == [
        "backup-topology:topology: must be a mapping of sections (oci, ibm, openstack, copies)"
    ]


def test_unknown_field_suggests_the_near_name(topology: dict[str, Any]) -> None:
    topology["oci"]["boot_volume_plans"][0]["policy"]["schedules"][0]["retension_days"] = 9
    assert problems(topology) == [
        "oci.boot_volume_plans[0].policy.schedules[0].retension_days: unknown field; did you mean 'retention_days'?"
    ]


def test_unknown_section_is_reported(topology: dict[str, Any]) -> None:
    topology["azure"] = {}
    assert problems(topology) == ["azure: unknown field; known fields: copies, ibm, oci, openstack, restore_drills"]


def test_retention_shorter_than_period(topology: dict[str, Any]) -> None:
    topology["oci"]["boot_volume_plans"][0]["policy"]["schedules"] = [
        daily(),
        {"backup_type": "full", "period": "week", "retention_days": 6},
    ]
    assert problems(topology) == [
        "oci.boot_volume_plans[0].policy.schedules[1].retention_days: must be at least the period (7 days)"
    ]


@pytest.mark.parametrize(("period", "days"), [("hour", 1), ("day", 1), ("week", 7), ("month", 31), ("year", 365)])
def test_retention_equal_to_period_is_accepted(period: str, days: int) -> None:
    assert Schedule(backup_type="full", period=period, retention_days=days).retention_days == days


@pytest.mark.parametrize(
    ("period", "field", "value"),
    [
        ("hour", "hour_of_day", 3),
        ("day", "day_of_week", "monday"),
        ("week", "day_of_month", 2),
        ("month", "month", "may"),
    ],
)
def test_fields_the_period_does_not_take(period: str, field: str, value: Any) -> None:
    schedule = {"backup_type": "full", "period": period, "retention_days": 400, field: value}
    raw = {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [{"name": "p", "compartment_id": COMPARTMENT, "policy": {"schedules": [schedule]}}],
        }
    }
    [line] = problems(raw)
    assert line.startswith(
        f"oci.boot_volume_plans[0].policy.schedules[0].{field}: period '{period}' does not take {field}"
    )


def test_fields_the_period_takes_are_accepted() -> None:
    s = Schedule(backup_type="full", period="year", retention_days=365, month="march", day_of_month=3, hour_of_day=4)
    assert s.to_oci() == {
        "backup_type": "FULL",
        "period": "ONE_YEAR",
        "retention_seconds": 365 * 86400,
        "offset_type": "STRUCTURED",
        "time_zone": "UTC",
        "hour_of_day": 4,
        "day_of_month": 3,
        "month": "MARCH",
    }


def test_timing_defaults_are_explicit_in_the_oci_schedule() -> None:
    weekly = Schedule(backup_type="incremental", period="week", retention_days=28, time_zone="regional")
    assert weekly.to_oci()["day_of_week"] == "MONDAY"
    assert weekly.to_oci()["hour_of_day"] == 0
    assert weekly.to_oci()["time_zone"] == "REGIONAL_DATA_CENTER_TIME"
    assert "day_of_week" not in Schedule(backup_type="full", period="hour", retention_days=1).to_oci()


def test_enum_values_are_case_insensitive() -> None:
    assert Schedule(backup_type="FULL", period="Day", retention_days=1).backup_type == "full"


@pytest.mark.parametrize(("field", "value"), [("hour_of_day", 24), ("day_of_month", 29), ("retention_days", 0)])
def test_out_of_range_numbers(topology: dict[str, Any], field: str, value: int) -> None:
    topology["oci"]["boot_volume_plans"][0]["policy"]["schedules"] = [
        {"backup_type": "full", "period": "month", "retention_days": 31, field: value}
    ]
    [line] = problems(topology)
    assert line.startswith(f"oci.boot_volume_plans[0].policy.schedules[0].{field}: must be")
    assert f"(got {value})" in line


def test_wrong_ocid_kind_names_both_kinds(topology: dict[str, Any]) -> None:
    topology["oci"]["boot_volume_plans"][0]["boot_volumes"][1] = "ocid1.volume.oc1.iad.abuwcljrblockvolume"
    topology["oci"]["boot_volume_plans"][0]["compartment_id"] = "ocid1.instance.oc1.iad.abc"
    assert problems(topology) == [
        "oci.boot_volume_plans[0].compartment_id: is an instance OCID; expected a compartment (ocid1.compartment.…) "
        "or tenancy (ocid1.tenancy.…)",
        "oci.boot_volume_plans[0].boot_volumes[1].id: is a block volume OCID; "
        "expected a boot volume (ocid1.bootvolume.…)",
    ]


def test_not_an_ocid(topology: dict[str, Any]) -> None:
    topology["oci"]["boot_volume_plans"][0]["xrc_kms_key_id"] = "my-key"
    assert problems(topology) == [
        "oci.boot_volume_plans[0].xrc_kms_key_id: not an OCID: expected a vault key (ocid1.key.…)"
    ]


def test_tenancy_is_a_valid_compartment(plan: dict[str, Any]) -> None:
    plan["compartment_id"] = "ocid1.tenancy.oc1..aaaaaaaaroot"
    assert BootVolumePlan.model_validate(plan).compartment_id == "ocid1.tenancy.oc1..aaaaaaaaroot"


def test_unknown_region_suggests_a_known_one(topology: dict[str, Any]) -> None:
    topology["oci"]["region"] = "us-ashbrun-1"
    assert problems(topology) == ["oci.region: unknown OCI region 'us-ashbrun-1' (did you mean 'us-ashburn-1'?)"]


def test_volume_in_two_plans_is_reported_even_with_other_mistakes(plan: dict[str, Any], make_topology: Any) -> None:
    other = {"name": "db", "compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [VOL_B], "bogus": 1}
    lines = problems(make_topology(plan, other))
    assert "oci.boot_volume_plans[1].bogus: unknown field; known fields: " in lines[0]
    assert lines[1] == (
        "oci.boot_volume_plans[1].boot_volumes[0]: boot volume is already assigned a policy at "
        "oci.boot_volume_plans[0].boot_volumes[1]; OCI keeps one backup policy per volume and would silently "
        "replace the one of oci.boot_volume_plans[0]"
    )


def test_volume_twice_in_one_plan(plan: dict[str, Any], make_topology: Any) -> None:
    plan["boot_volumes"].append({"id": VOL_A})
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].boot_volumes[2].id: boot volume already listed at boot_volumes[0]"
    ]


def test_plan_names_are_unique(plan: dict[str, Any], make_topology: Any) -> None:
    twin: dict[str, Any] = {"name": "web", "compartment_id": COMPARTMENT, "oracle_policy": "silver"}
    twin["boot_volumes"] = ["ocid1.bootvolume.oc1.iad.abuwcljrother"]
    assert problems(make_topology(plan, twin)) == [
        "oci.boot_volume_plans[1].name: 'web' is already the name of oci.boot_volume_plans[0]"
    ]


@pytest.mark.parametrize("bad", ["Web", "1web", "web_tier", "web-", "w" * 49, ""])
def test_plan_name_format(plan: dict[str, Any], make_topology: Any, bad: str) -> None:
    plan["name"] = bad
    [line] = problems(make_topology(plan))
    assert line.startswith("oci.boot_volume_plans[0].name: must")


def test_only_one_policy_source(plan: dict[str, Any], make_topology: Any) -> None:
    plan["oracle_policy"] = "gold"
    del plan["xrc_kms_key_id"]
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].oracle_policy: give only one of policy, policy_id, oracle_policy (also policy)"
    ]


def test_volumes_need_a_policy(plan: dict[str, Any], make_topology: Any) -> None:
    del plan["policy"], plan["xrc_kms_key_id"]
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].policy: boot_volumes need a backup policy: give one of policy, policy_id or "
        "oracle_policy"
    ]


def test_a_plan_must_protect_something() -> None:
    raw = {"oci": {"region": "us-ashburn-1", "boot_volume_plans": [{"name": "empty", "compartment_id": COMPARTMENT}]}}
    assert problems(raw) == [
        "oci.boot_volume_plans[0].boot_volumes: the plan protects nothing: give boot_volumes, block_volumes or "
        "manual_backups"
    ]


def test_xrc_key_needs_a_destination_region(plan: dict[str, Any], make_topology: Any) -> None:
    del plan["policy"]["destination_region"]
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].xrc_kms_key_id: only used for cross-region copies: set policy.destination_region"
    ]


def test_xrc_key_with_oracle_policy(plan: dict[str, Any], make_topology: Any) -> None:
    del plan["policy"]
    plan["oracle_policy"] = "gold"
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].xrc_kms_key_id: Oracle-defined policies make no cross-region copies"
    ]


def test_xrc_key_must_be_in_the_destination_region(plan: dict[str, Any], make_topology: Any) -> None:
    plan["xrc_kms_key_id"] = "ocid1.key.oc1.iad.bbvault.abuwcljskey"
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].xrc_kms_key_id: vault key is in us-ashburn-1; the key for cross-region copies "
        "must be in us-phoenix-1"
    ]


def test_destination_region_must_differ(plan: dict[str, Any], make_topology: Any) -> None:
    plan["policy"]["destination_region"] = "us-ashburn-1"
    del plan["xrc_kms_key_id"]
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].policy.destination_region: is oci.region itself; a cross-region copy needs another "
        "region than us-ashburn-1"
    ]


def test_volume_in_another_region(plan: dict[str, Any], make_topology: Any) -> None:
    plan["boot_volumes"] = ["ocid1.bootvolume.oc1.phx.abuwcljrphoenix"]
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].boot_volumes[0]: boot volume is in us-phoenix-1, but oci.region is us-ashburn-1"
    ]


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("backup of jane.doe@example.com", "an e-mail address"),
        ("db at 10.0.3.7", "an IP address"),
        ("root password backup", "a credential word"),
        ("acct 4111111111111111", "a long number (account or card number)"),
    ],
)
def test_confidential_display_names(plan: dict[str, Any], make_topology: Any, name: str, what: str) -> None:
    plan["manual_backups"] = [{"name": "pre", "boot_volume_id": VOL_A, "display_name": name}]
    plan["policy"]["display_name"] = name
    lines = problems(make_topology(plan))
    assert len(lines) == 2
    assert lines[0].startswith("oci.boot_volume_plans[0].policy.display_name: looks like it carries confidential")
    assert f"({what})" in lines[0]
    assert lines[1].startswith("oci.boot_volume_plans[0].manual_backups[0].display_name: looks like")


def test_ordinary_display_names_pass(plan: dict[str, Any]) -> None:
    plan["policy"]["display_name"] = "web-tier 2024 daily (v2)"
    assert BootVolumePlan.model_validate(plan).display_name == "web-tier 2024 daily (v2)"


def test_defined_tag_keys_need_a_namespace(plan: dict[str, Any], make_topology: Any) -> None:
    plan["policy"]["defined_tags"] = {"CostCenter": "42"}
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].policy.defined_tags.CostCenter: defined tag keys take the form Namespace.Key"
    ]


def test_volume_ocids_whose_tails_clash(plan: dict[str, Any], make_topology: Any) -> None:
    plan["boot_volumes"] = [VOL_A, "ocid1.bootvolume.oc1.iad.qqqq" + VOL_A[-16:]]
    assert problems(make_topology(plan)) == [
        f"oci.boot_volume_plans[0].boot_volumes[1].id: ends like {VOL_A}; their resource names would clash"
    ]


def test_manual_backup_names_are_unique(plan: dict[str, Any], make_topology: Any) -> None:
    plan["manual_backups"] = [{"name": "pre", "boot_volume_id": VOL_A}, {"name": "pre", "boot_volume_id": VOL_B}]
    assert problems(make_topology(plan)) == [
        "oci.boot_volume_plans[0].manual_backups[1].name: name already listed at manual_backups[0]"
    ]


def test_manual_backup_type_defaults_to_full() -> None:
    plan = BootVolumePlan.model_validate(
        {"name": "m", "compartment_id": COMPARTMENT, "manual_backups": [{"name": "x", "boot_volume_id": VOL_A}]}
    )
    assert plan.manual_backups[0].type == "full"


def test_schedules_must_not_be_empty(plan: dict[str, Any], make_topology: Any) -> None:
    plan["policy"]["schedules"] = []
    assert problems(make_topology(plan)) == ["oci.boot_volume_plans[0].policy.schedules: needs at least 1 item"]


def test_every_mistake_in_one_run(plan: dict[str, Any], make_topology: Any) -> None:
    bad = copy.deepcopy(plan)
    bad["policy"]["schedules"] = [{"backup_type": "full", "period": "month", "retention_days": 7}]
    bad["boot_volumes"] = ["ocid1.volume.oc1.iad.abuwcljrblock", VOL_A]
    bad["name"] = "db"
    bad["colour"] = "red"
    lines = problems(make_topology(plan, bad))
    assert len(lines) == 4
    assert any(".schedules[0].retention_days: must be at least the period (31 days)" in line for line in lines)
    assert any(".boot_volumes[0].id: is a block volume OCID" in line for line in lines)
    assert any(".colour: unknown field" in line for line in lines)
    assert any("[1].boot_volumes[1]: boot volume is already assigned" in line for line in lines)


def test_heading_counts_problems(topology: dict[str, Any]) -> None:
    topology["oci"]["extra"] = 1
    with pytest.raises(TopologyError) as info:
        load_topology(topology)
    assert info.value.render().splitlines()[0] == "invalid topology (1 problem):"
    assert PHX_KEY  # the fixture's key is valid and in the destination region
