"""Validation of the `ibm` and `copies` sections: each rule, good and bad."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import load_topology
from tests.conftest import topology_problems

VOLUME = "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa"
BACKUP = "ocid1.bootvolumebackup.oc1.iad.abuwcljrbackupexample"


def base(**ibm: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "region": "us-south",
        "snapshots": [{"name": "db", "volume_id": VOLUME, "clone_zones": ["us-south-1"], "trigger": "v1"}],
    }
    section.update(ibm)
    return {"ibm": section}


problems = topology_problems


def test_a_valid_ibm_section_passes() -> None:
    assert problems(base()) == []


def test_unknown_region_has_a_hint() -> None:
    assert problems(base(region="us-sooth")) == [
        "ibm.region: unknown IBM Cloud VPC region 'us-sooth' (did you mean 'us-south'?)"
    ]


def test_clone_zones_belong_to_the_region() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["clone_zones"] = ["eu-de-1"]
    assert problems(raw) == ["ibm.snapshots[0].clone_zones[0]: 'eu-de-1' is not a zone of us-south (us-south-1, ...)"]


def test_a_zone_listed_twice() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["clone_zones"] = ["us-south-1", "us-south-1"]
    assert problems(raw) == ["ibm.snapshots[0].clone_zones[1]: zone already listed at clone_zones[0]"]


@pytest.mark.parametrize("name", ["DB", "1db", "db-", "a" * 64])
def test_ibm_names_follow_the_vpc_rules(name: str) -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["name"] = name
    [problem] = problems(raw)
    assert problem.startswith("ibm.snapshots[0].name: must be lowercase letters, digits and '-'")


def test_trigger_must_fit_a_snapshot_name() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["trigger"] = "Release_1"
    [problem] = problems(raw)
    assert problem.startswith("ibm.snapshots[0].trigger: must be 1-32 lowercase letters")
    raw["ibm"]["snapshots"][0]["name"] = "n" * 40
    raw["ibm"]["snapshots"][0]["trigger"] = "t" * 30
    [problem] = problems(raw)
    assert problem.startswith("ibm.snapshots[0].trigger: makes the snapshot name")


def test_a_clone_in_the_volumes_own_zone_is_refused_when_the_zone_is_given() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0].update(clone_zones=["us-south-2", "us-south-1"], volume_zone="us-south-1")
    assert problems(raw) == [
        "ibm.snapshots[0].clone_zones[1]: us-south-1 is volume_zone, the volume's own zone: a fast-restore clone "
        "goes to another zone"
    ]
    raw["ibm"]["snapshots"][0].update(clone_zones=["us-south-2"], volume_zone="us-east-1")
    assert problems(raw) == ["ibm.snapshots[0].volume_zone: 'us-east-1' is not a zone of us-south (us-south-1, ...)"]
    raw["ibm"]["snapshots"][0]["volume_zone"] = "us-south-1"
    assert problems(raw) == []


def test_snapshot_and_group_names_are_unique() -> None:
    raw = base(consistency_groups=[{"name": "db", "volume_ids": ["a", "b"], "trigger": "v1"}])
    assert problems(raw) == ["ibm.consistency_groups[0].name: 'db' is already the name of ibm.snapshots[0]"]


def test_a_consistency_group_needs_two_distinct_volumes() -> None:
    [problem] = problems(base(consistency_groups=[{"name": "g", "volume_ids": ["a"], "trigger": "v1"}]))
    assert problem.startswith("ibm.consistency_groups[0].volume_ids: needs at least 2 items")
    assert problems(base(consistency_groups=[{"name": "g", "volume_ids": ["a", "a"], "trigger": "v1"}])) == [
        "ibm.consistency_groups[0].volume_ids[1]: volume already listed at volume_ids[0]"
    ]


def test_endpoints_are_for_known_regions() -> None:
    assert problems(base(endpoints={"mars-1": "https://x"})) == ["ibm.endpoints.mars-1: unknown IBM Cloud VPC region"]


def test_a_copy_names_a_snapshot_of_the_stack() -> None:
    raw = base()
    raw["copies"] = [{"name": "dr", "ibm": {"snapshot": "nope", "destination_region": "us-east"}}]
    assert problems(raw) == ["copies[0].ibm.snapshot: no snapshot 'nope' in ibm.snapshots (known: db)"]


def test_a_copy_goes_to_another_region() -> None:
    raw = base()
    raw["copies"] = [{"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-south"}}]
    assert problems(raw) == ["copies[0].ibm.destination_region: is ibm.region itself; a copy goes to another region"]


def test_one_copy_per_source_and_region() -> None:
    raw = base()
    raw["copies"] = [
        {"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-east"}},
        {"name": "dr2", "ibm": {"snapshot": "db", "destination_region": "us-east"}},
    ]
    assert problems(raw) == ["copies[1]: copies[0] already copies db to us-east; one copy per source and region"]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("my-key", "must be the CRN of a Key Protect or Hyper Protect Crypto Services root key"),
        ("crn:v1:bluemix:public:is:us-east:a/a1:i:snapshot:s", "is a CRN of service 'is': a root key is one of"),
        ("crn:v1:bluemix:public:hs-crypto:us-east:a/a1:i:keyring:k", "is the CRN of a Hyper Protect Crypto Services"),
        ("crn:v1:bluemix:public:kms:us-east-1:a/a1:i:key:k", "names the location 'us-east-1' (a zone of us-east), not"),
        ("crn:v1:bluemix:public:kms:us-eats:a/a1:i:key:k", "names the location 'us-eats' (did you mean 'us-east'?)"),
    ],
)
def test_a_copys_key_is_a_root_keys_crn_in_a_region(key: str, reason: str) -> None:
    raw = base()
    raw["copies"] = [
        {"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-east", "encryption_key_crn": key}}
    ]
    [problem] = problems(raw)
    assert problem.startswith(f"copies[0].ibm.encryption_key_crn: {reason}"), problem


def test_a_copys_key_may_be_in_another_region_as_ibm_allows() -> None:
    for key in (
        "crn:v1:bluemix:public:kms:us-east:a/a1:0cb88b98-instance:key:0cb88b98-key",
        "crn:v1:bluemix:public:hs-crypto:us-south:a/a1:hpcs-instance:key:hpcs-key",  # a cross-regional root key
    ):
        raw = base()
        copy = {"snapshot": "db", "destination_region": "us-east", "encryption_key_crn": key}
        raw["copies"] = [{"name": "dr", "ibm": copy}]
        assert problems(raw) == []


def test_a_copy_is_ibm_or_oci() -> None:
    assert problems({"copies": [{"name": "dr"}]}) == ["copies[0].ibm: give exactly one of ibm or oci"]


def test_an_ibm_copy_needs_the_ibm_section() -> None:
    raw = {"copies": [{"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-east"}}]}
    assert problems(raw) == ["copies[0].ibm: needs the ibm section: the source snapshot is one of ibm.snapshots"]


def test_an_oci_copy_goes_elsewhere_with_a_key_of_its_destination() -> None:
    raw = {"copies": [{"name": "dr", "oci": {"source_backup_id": BACKUP, "destination_region": "us-ashburn-1"}}]}
    assert problems(raw) == [
        "copies[0].oci.destination_region: the backup is already in us-ashburn-1; copy it elsewhere"
    ]
    key = "ocid1.key.oc1.iad.bbvault.abuwcljskey"
    raw = {
        "copies": [
            {"name": "dr", "oci": {"source_backup_id": BACKUP, "destination_region": "us-phoenix-1", "kms_key_id": key}}
        ]
    }
    assert problems(raw) == ["copies[0].oci.kms_key_id: vault key is in us-ashburn-1; it must be in us-phoenix-1"]


def test_an_oci_copy_source_is_a_boot_volume_backup() -> None:
    raw = {
        "copies": [
            {
                "name": "dr",
                "oci": {"source_backup_id": "ocid1.bootvolume.oc1.iad.x", "destination_region": "us-phoenix-1"},
            }
        ]
    }
    [problem] = problems(raw)
    assert problem.startswith("copies[0].oci.source_backup_id: is a boot volume OCID; expected a boot volume backup")


def test_an_oci_copy_takes_no_retention() -> None:
    copy = {"source_backup_id": BACKUP, "destination_region": "us-phoenix-1"}
    raw = {"copies": [{"name": "dr", "oci": copy, "retention": {"keep_last": 2}}]}
    assert problems(raw) == [
        "copies[0].retention: applies to IBM copies; an OCI copy is one backup "
        "(delete_on_removal and OCI's protection apply)"
    ]


# --- backup policies ------------------------------------------------------------------------------------

KEY = "crn:v1:bluemix:public:kms:us-east:a/a1234567:0cb88b98-instance:key:0cb88b98-key"


def plan(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "daily",
        "cron_spec": "0 2 * * *",
        "deletion_trigger": {"delete_after": 14, "delete_over_count": 20},
        "clone_policy": {"zones": ["us-south-1"], "max_snapshots": 2},
        "remote_region_policies": [{"region": "us-east", "encryption_key_crn": KEY}],
    }
    spec.update(changes)
    return spec


def with_policy(*plans: dict[str, Any], **policy: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "volumes-daily",
        "match_user_tags": ["backup:daily"],
        "covers": [VOLUME],
        "plans": list(plans) or [plan()],
    }
    spec.update(policy)
    return base(backup_policies=[spec])


def test_a_valid_backup_policy_passes() -> None:
    weekly = {"name": "weekly", "cron_spec": "0 4 * * 0", "deletion_trigger": {"delete_after": 90}}
    assert problems(with_policy(plan(), weekly)) == []
    instance = with_policy(match_resource_type="Instance", included_content=["boot_volume", "data_volumes"])
    assert problems(instance) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"cron_spec": "*/30 * * * *"},
            "plans[0].cron_spec: runs 2 times an hour (minute field */30); IBM takes a backup at most once an hour: "
            "give one minute",
        ),
        ({"cron_spec": "0 2 * * * *"}, "plans[0].cron_spec: must be 5 fields separated by single spaces"),
        ({"deletion_trigger": {"delete_after": 0}}, "plans[0].deletion_trigger.delete_after: must be greater than"),
        ({"deletion_trigger": {"delete_after": 3651}}, "plans[0].deletion_trigger.delete_after: must be less than"),
        (
            {"deletion_trigger": {"delete_after": 7, "delete_over_count": 751}},
            "plans[0].deletion_trigger.delete_over_count: must be less than or equal to 750",
        ),
        ({"clone_policy": {"zones": ["us-south-1"], "max_snapshots": 11}}, "plans[0].clone_policy.max_snapshots"),
        ({"clone_policy": {"zones": []}}, "plans[0].clone_policy.zones: needs at least 1 item"),
        (
            {"clone_policy": {"zones": ["us-south-1", "us-south-1"]}},
            "plans[0].clone_policy.zones[1]: zone already listed at zones[0]",
        ),
        (
            {"clone_policy": {"zones": ["us-east-1"]}},
            "plans[0].clone_policy.zones[0]: 'us-east-1' is not a zone of us-south",
        ),
        (
            {"remote_region_policies": [{"region": "us-south"}]},
            "plans[0].remote_region_policies[0].region: is the policy's own region (us-south)",
        ),
        (
            {"remote_region_policies": [{"region": "us-est"}]},
            "plans[0].remote_region_policies[0].region: unknown IBM Cloud VPC region 'us-est' "
            "(did you mean 'us-east'?)",
        ),
        (
            {"remote_region_policies": [{"region": "us-east"}, {"region": "eu-de"}]},
            "plans[0].remote_region_policies: takes at most 1 item (got 2)",
        ),
        (
            {"remote_region_policies": [{"region": "us-east", "encryption_key_crn": "my-key"}]},
            "plans[0].remote_region_policies[0].encryption_key_crn: must be the CRN of a Key Protect or Hyper",
        ),
        (
            {"remote_region_policies": [{"region": "us-east", "encryption_key_crn": KEY.replace(":key:", ":kr:")}]},
            "plans[0].remote_region_policies[0].encryption_key_crn: is the CRN of a Key Protect 'kr', not of a key",
        ),
        (
            {"remote_region_policies": [{"region": "us-east", "encryption_key_crn": KEY.replace("us-east", "mars")}]},
            "plans[0].remote_region_policies[0].encryption_key_crn: names the location 'mars', not an IBM Cloud "
            "region: a root key lives in a region",
        ),
        (
            {"remote_region_policies": [{"region": "us-east", "delete_over_count": 101}]},
            "plans[0].remote_region_policies[0].delete_over_count: must be less than or equal to 100",
        ),
        (
            {"remote_region_policies": [{"region": "us-east", "delete_over_count": 0}]},
            "plans[0].remote_region_policies[0].delete_over_count: must be greater than or equal to 1",
        ),
        ({"attach_user_tags": ["bad/tag"]}, "plans[0].attach_user_tags[0]: must match pattern"),
        ({"name": "Daily"}, "plans[0].name: must be lowercase letters"),
        ({"colour": "blue"}, "plans[0].colour: unknown field"),
    ],
)
def test_each_plan_mistake_is_one_line_naming_the_field(change: dict[str, Any], expected: str) -> None:
    [problem] = problems(with_policy(plan(**change)))
    assert problem.startswith(f"ibm.backup_policies[0].{expected}"), problem


def test_a_remote_region_keeps_one_to_a_hundred_copies_and_five_unless_told() -> None:
    topology = load_topology(with_policy(plan(remote_region_policies=[{"region": "us-east"}])))
    assert topology.ibm is not None
    [remote] = topology.ibm.backup_policies[0].plans[0].remote_region_policies
    assert remote.delete_over_count == 5  # IBM's default: not only the latest copy
    for count in (1, 100):
        kept = plan(remote_region_policies=[{"region": "us-east", "delete_over_count": count}])
        assert problems(with_policy(kept)) == []


def test_plans_of_a_policy_run_an_hour_apart_and_have_distinct_names() -> None:
    assert problems(with_policy(plan(), plan(cron_spec="30 2 * * 0", remote_region_policies=[]))) == [
        "ibm.backup_policies[0].plans[1].name: plan name already listed at plans[0]",
        "ibm.backup_policies[0].plans[1].cron_spec: runs within an hour of plan 'daily' (e.g. at Sun 02:30 UTC); "
        "IBM keeps the schedules of a policy's plans at least an hour apart",
    ]


def test_a_policy_has_one_to_four_plans() -> None:
    [problem] = problems(base(backup_policies=[{"name": "p", "match_user_tags": ["t"], "plans": []}]))
    assert problem == "ibm.backup_policies[0].plans: needs at least 1 item"
    five = [plan(name=f"p{h}", cron_spec=f"0 {h * 2} * * *") for h in range(5)]
    [problem] = problems(with_policy(*five))
    assert problem == "ibm.backup_policies[0].plans: takes at most 4 items (got 5)"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"match_user_tags": []}, "ibm.backup_policies[0].match_user_tags: needs at least 1 item"),
        ({"match_resource_type": "share"}, "ibm.backup_policies[0].match_resource_type: must be 'volume' or"),
        (
            {"included_content": ["boot_volume"]},
            "ibm.backup_policies[0].included_content: only for match_resource_type instance",
        ),
        ({"covers": [VOLUME, VOLUME]}, "ibm.backup_policies[0].covers[1]: volume already listed at covers[0]"),
        ({"name": "Volumes"}, "ibm.backup_policies[0].name: must be lowercase letters"),
        ({"plan": []}, "ibm.backup_policies[0].plan: unknown field; did you mean 'plans'?"),
    ],
)
def test_each_policy_mistake_is_one_line_naming_the_field(change: dict[str, Any], expected: str) -> None:
    found = problems(with_policy(**change))
    assert [p for p in found if p.startswith(expected)] != [], found
    assert len([p for p in found if "plans: required" not in p]) == 1


def test_backup_policy_names_are_unique_in_the_stack() -> None:
    raw = with_policy()
    raw["ibm"]["backup_policies"].append(dict(raw["ibm"]["backup_policies"][0]))
    assert problems(raw) == [
        "ibm.backup_policies[1].name: 'volumes-daily' is already the name of ibm.backup_policies[0]"
    ]


def test_the_on_demand_tag_is_a_user_tag() -> None:
    assert problems(base(on_demand_tag="backup:on-demand")) == []
    [problem] = problems(base(on_demand_tag="on demand!"))
    assert problem.startswith("ibm.on_demand_tag: must match pattern")
