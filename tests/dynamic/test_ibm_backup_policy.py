"""IbmBackupPolicy through the real ibm_vpc SDK against the VPC fake: one POST, plans in place, adoption, waits."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from ibm_cloud_sdk_core import ApiException

from components.clouds.calls import CloudError, Deadline, DeadlineError
from components.clouds.ibm_vpc import IbmConnection, Vpc
from components.dynamic.ibm_backup_policy import IbmBackupPolicyProvider
from tests.conftest import SDP_VOLUME, VOLUME, VOLUME2
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

KEY_CRN = "crn:v1:bluemix:public:kms:us-east:a/a1234567:0cb88b98-instance:key:0cb88b98-key"
TAG = "backup:daily"


def daily(**changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "name": "daily",
        "cron_spec": "0 2 * * *",
        "active": True,
        "attach_user_tags": ["made-by:policy"],
        "copy_user_tags": True,
        "deletion_trigger": {"delete_after": 14},
        "clone_policy": {"zones": ["us-south-2"], "max_snapshots": 2},
        "remote_region_policies": [{"region": "us-east", "encryption_key_crn": KEY_CRN, "delete_over_count": 1}],
    }
    plan.update(changes)
    return plan


def weekly(**changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "name": "weekly",
        "cron_spec": "0 4 * * 0",
        "active": True,
        "attach_user_tags": [],
        "copy_user_tags": False,
        "deletion_trigger": {"delete_after": 90, "delete_over_count": 12},
        "remote_region_policies": [],
    }
    plan.update(changes)
    return plan


def policy_props(stubs: dict[str, VpcStub], **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "volumes-daily",
        "match_user_tags": [TAG],
        "match_resource_type": "volume",
        "covers": [VOLUME],
        "plans": [daily(), weekly()],
        "connection": {"region": "us-south", "endpoint": stubs["us-south"].url},
        "timeouts": {"create": 30, "update": 30, "delete": 30},
    }
    props.update(changes)
    return props


@pytest.fixture
def tagged(cloud: tuple[VpcCloud, dict[str, VpcStub]]) -> tuple[VpcCloud, dict[str, VpcStub]]:
    """The VPC fake with its two volumes carrying the policy's tag."""
    state, stubs = cloud
    for volume in (VOLUME, VOLUME2):
        state.volumes[volume]["user_tags"] = ["env:test", TAG]
    return state, stubs


def changes(state: VpcCloud, since: int = 0) -> list[str]:
    return [f"{r.method} {r.path}" for r in state.mutating()[since:]]


# --- create ------------------------------------------------------------------------------------------------


def test_a_policy_with_its_plans_is_one_post_and_waits_until_all_are_stable(tagged: Any) -> None:
    state, stubs = tagged
    result = IbmBackupPolicyProvider().create(policy_props(stubs))
    assert changes(state) == ["POST /v1/backup_policies"]
    policy = state.policy_named("volumes-daily")
    assert result.id == policy["id"]
    assert result.outs is not None
    assert result.outs["lifecycle_state"] == "stable"
    assert result.outs["health_state"] == "ok"
    plans = state.plans_of(policy["id"])
    assert result.outs["plan_ids"] == {"daily": plans["daily"]["id"], "weekly": plans["weekly"]["id"]}
    assert {p["lifecycle_state"] for p in plans.values()} == {"stable"}
    made = plans["daily"]
    assert made["cron_spec"] == "0 2 * * *"
    assert made["deletion_trigger"] == {"delete_after": 14}
    assert made["clone_policy"]["max_snapshots"] == 2
    assert [z["name"] for z in made["clone_policy"]["zones"]] == ["us-south-2"]
    [remote] = made["remote_region_policies"]
    assert (remote["region"]["name"], remote["encryption_key"]["crn"], remote["delete_over_count"]) == (
        "us-east",
        KEY_CRN,
        1,
    )
    assert plans["weekly"]["deletion_trigger"] == {"delete_after": 90, "delete_over_count": 12}
    assert policy["match_user_tags"] == [TAG]


def test_k_policies_are_k_posts(tagged: Any) -> None:
    state, stubs = tagged
    for k in range(3):
        IbmBackupPolicyProvider().create(policy_props(stubs, name=f"policy-{k}"))
    assert changes(state) == ["POST /v1/backup_policies"] * 3


def test_under_faults_and_a_lost_answer_the_policy_is_adopted_not_duplicated(tagged: Any) -> None:
    state, stubs = tagged
    state.faults.fail_every = 3
    state.faults.drop_create_responses = 1
    result = IbmBackupPolicyProvider().create(policy_props(stubs))
    assert len(state.policies) == 1
    assert len(state.plans) == 2
    carried_out = [f"{r.method} {r.path}" for r in state.requests if r.method == "POST" and r.status < 400]
    assert carried_out == ["POST /v1/backup_policies"]  # a POST refused with 429/503 made nothing
    assert {429, 503} & {r.status for r in state.requests}
    assert result.outs is not None
    assert result.outs["lifecycle_state"] == "stable"


def test_a_rerun_create_adopts_the_policy_and_puts_its_plans_back(tagged: Any) -> None:
    state, stubs = tagged
    first = IbmBackupPolicyProvider().create(policy_props(stubs))
    plans = state.plans_of(first.id)
    plans["daily"]["deletion_trigger"] = {"delete_after": 3}  # changed by hand in between
    again = IbmBackupPolicyProvider().create(policy_props(stubs))
    assert again.id == first.id
    assert changes(state) == [
        "POST /v1/backup_policies",
        f"PATCH /v1/backup_policies/{first.id}/plans/{plans['daily']['id']}",
    ]
    assert plans["daily"]["deletion_trigger"] == {"delete_after": 14}


def test_a_name_taken_by_a_policy_of_instances_is_a_clear_error(tagged: Any) -> None:
    state, stubs = tagged
    IbmBackupPolicyProvider().create(policy_props(stubs, match_resource_type="instance", covers=[]))
    with pytest.raises(CloudError, match=r"backup policy name volumes-daily is taken in us-south .* instance"):
        IbmBackupPolicyProvider().create(policy_props(stubs))
    assert len(state.policies) == 1


def test_a_stuck_policy_fails_at_its_deadline_naming_its_id(tagged: Any) -> None:
    state, stubs = tagged
    state.faults.stall.add("volumes-daily")
    started = time.monotonic()
    with pytest.raises(DeadlineError) as failure:
        IbmBackupPolicyProvider().create(policy_props(stubs, timeouts={"create": 3}))
    policy = state.policy_named("volumes-daily")
    assert f"backup policy {policy['id']}" in str(failure.value)
    assert "pending" in str(failure.value)
    assert time.monotonic() - started < 8


# --- update: only what differs, each plan in place --------------------------------------------------------


def test_no_change_means_no_update_and_no_mutating_call(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    diff = provider.diff(created.id, created.outs, policy_props(stubs))
    assert diff.changes is False
    assert provider.check(created.outs, policy_props(stubs)).failures == []
    read = provider.read(created.id, created.outs)
    assert read.outs is not None
    assert provider.diff(created.id, read.outs, policy_props(stubs)).changes is False
    provider.update(created.id, created.outs, policy_props(stubs))  # e.g. only the deadlines changed
    assert changes(state) == ["POST /v1/backup_policies"]


def test_a_plan_change_is_one_patch_of_that_plan_with_its_etag(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    plan = state.plans_of(created.id)["daily"]
    etag = plan["_etag"]
    news = policy_props(
        stubs,
        plans=[
            daily(deletion_trigger={"delete_after": 30}, clone_policy={"zones": ["us-south-1", "us-south-2"]}),
            weekly(),
        ],
    )
    diff = provider.diff(created.id, created.outs, news)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = provider.update(created.id, created.outs, news)
    [patch] = state.mutating()[1:]
    assert f"{patch.method} {patch.path}" == f"PATCH /v1/backup_policies/{created.id}/plans/{plan['id']}"
    assert patch.if_match == etag
    assert plan["deletion_trigger"] == {"delete_after": 30}
    assert [z["name"] for z in plan["clone_policy"]["zones"]] == ["us-south-1", "us-south-2"]
    assert plan["clone_policy"]["max_snapshots"] == 5
    assert updated.outs is not None
    assert updated.outs["plan_ids"]["daily"] == plan["id"]  # the same plan, changed in place


def test_removing_a_maximum_count_sends_null_which_removes_it(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    provider.update(created.id, created.outs, policy_props(stubs, plans=[daily(), weekly(deletion_trigger={})]))
    assert state.plans_of(created.id)["weekly"]["deletion_trigger"] == {"delete_after": 30}


def test_plans_are_added_with_a_post_and_removed_with_a_delete(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    old_weekly = state.plans_of(created.id)["weekly"]["id"]
    monthly = weekly(name="monthly", cron_spec="0 5 1 * *", deletion_trigger={"delete_after": 365})
    updated = provider.update(created.id, created.outs, policy_props(stubs, plans=[daily(), monthly]))
    assert changes(state)[1:] == [
        f"DELETE /v1/backup_policies/{created.id}/plans/{old_weekly}",
        f"POST /v1/backup_policies/{created.id}/plans",
    ]
    assert sorted(state.plans_of(created.id)) == ["daily", "monthly"]
    assert updated.outs is not None
    assert set(updated.outs["plan_ids"]) == {"daily", "monthly"}


def test_the_policys_own_fields_are_one_patch_with_its_etag(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    etag = state.policies[created.id]["_etag"]
    news = policy_props(stubs, name="volumes-nightly", match_user_tags=[TAG, "backup:nightly"])
    assert provider.diff(created.id, created.outs, news).replaces == []
    provider.update(created.id, created.outs, news)
    [patch] = state.mutating()[1:]
    assert f"{patch.method} {patch.path}" == f"PATCH /v1/backup_policies/{created.id}"
    assert patch.if_match == etag
    assert state.policies[created.id]["name"] == "volumes-nightly"
    assert state.policies[created.id]["match_user_tags"] == [TAG, "backup:nightly"]


def test_a_policy_and_plan_update_whose_answers_are_lost_converge_with_one_patch_each(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    state.faults.lost_patch_answers = 2
    news = policy_props(stubs, match_user_tags=[TAG, "backup:more"], plans=[daily(cron_spec="0 3 * * *"), weekly()])
    updated = provider.update(created.id, created.outs, news)
    plan = state.plans_of(created.id)["daily"]
    assert [r.path for r in state.carried_out("PATCH")] == [
        f"/v1/backup_policies/{created.id}",
        f"/v1/backup_policies/{created.id}/plans/{plan['id']}",
    ]
    assert [r.status for r in state.requests if r.method == "PATCH"] == [503, 503]
    assert (state.policies[created.id]["match_user_tags"], plan["cron_spec"]) == ([TAG, "backup:more"], "0 3 * * *")
    assert updated.outs is not None
    assert updated.outs["lifecycle_state"] == "stable"


def test_a_lost_answer_to_a_new_plan_does_not_duplicate_it(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs, plans=[daily()]))
    assert created.outs is not None
    state.faults.drop_create_responses = 1
    provider.update(created.id, created.outs, policy_props(stubs))
    assert sorted(state.plans_of(created.id)) == ["daily", "weekly"]
    assert changes(state)[1:] == [f"POST /v1/backup_policies/{created.id}/plans"]


@pytest.mark.parametrize(
    ("change", "replaced"),
    [
        ({"match_resource_type": "instance", "covers": []}, ["match_resource_type"]),
        ({"resource_group_id": "rg-other"}, ["resource_group_id"]),
        ({"connection": {"region": "us-east"}}, ["connection"]),
    ],
)
def test_what_ibm_cannot_change_replaces_the_policy_deleting_it_first(
    tagged: Any, change: dict[str, Any], replaced: list[str]
) -> None:
    _, stubs = tagged
    olds = policy_props(stubs)
    news = policy_props(stubs, **change)
    if "connection" in change:
        news["plans"] = [daily(remote_region_policies=[], clone_policy={"zones": ["us-east-1"]})]
    diff = IbmBackupPolicyProvider().diff("id", olds, news)
    assert diff.replaces == replaced
    assert diff.delete_before_replace is True  # the name is unique in the region: the old one goes first


def test_the_copies_a_remote_region_keeps_reach_ibm_on_create_and_update_and_refresh_reads_them(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    kept = [{"region": "us-east", "encryption_key_crn": KEY_CRN, "delete_over_count": 30}]
    created = provider.create(policy_props(stubs, plans=[daily(remote_region_policies=kept), weekly()]))
    assert created.outs is not None
    plan = state.plans_of(created.id)["daily"]
    assert [r["delete_over_count"] for r in plan["remote_region_policies"]] == [30]
    more = [{**kept[0], "delete_over_count": 60}]
    news = policy_props(stubs, plans=[daily(remote_region_policies=more), weekly()])
    assert provider.diff(created.id, created.outs, news).changes is True
    since = len(state.mutating())
    updated = provider.update(created.id, created.outs, news)
    assert changes(state, since) == [f"PATCH /v1/backup_policies/{created.id}/plans/{plan['id']}"]
    assert [r["delete_over_count"] for r in plan["remote_region_policies"]] == [60]
    assert updated.outs is not None
    plan["remote_region_policies"][0]["delete_over_count"] = 2  # changed in the console
    read = provider.read(created.id, updated.outs)
    assert read.outs is not None
    assert read.outs["plans"][0]["remote_region_policies"][0]["delete_over_count"] == 2
    assert provider.diff(created.id, read.outs, news).changes is True


def test_a_remote_region_policy_without_a_count_keeps_ibms_five_copies() -> None:
    from components.config.ibm import IbmBackupPlanSpec
    from components.dynamic.ibm_backup_policy import plan_input, plan_prototype

    spec = IbmBackupPlanSpec.model_validate(daily(remote_region_policies=[{"region": "us-east"}]))
    assert plan_prototype(spec)["remote_region_policies"] == [{"region": {"name": "us-east"}, "delete_over_count": 5}]
    assert plan_input(spec)["remote_region_policies"] == [{"region": "us-east", "delete_over_count": 5}]


# --- refresh and delete --------------------------------------------------------------------------------


def test_read_shows_a_plan_changed_out_of_band(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    plans = state.plans_of(created.id)
    plans["daily"]["cron_spec"] = "0 6 * * *"
    plans["daily"]["remote_region_policies"] = []
    plans["weekly"]["active"] = False
    read = provider.read(created.id, created.outs)
    assert read.outs is not None
    daily_read, weekly_read = read.outs["plans"]
    assert daily_read["cron_spec"] == "0 6 * * *"
    assert daily_read["remote_region_policies"] == []
    assert weekly_read["active"] is False
    diff = provider.diff(created.id, read.outs, policy_props(stubs))
    assert (diff.changes, diff.replaces) == (True, [])


def test_read_of_a_deleted_policy_is_gone_and_delete_is_idempotent(tagged: Any) -> None:
    state, stubs = tagged
    provider = IbmBackupPolicyProvider()
    created = provider.create(policy_props(stubs))
    assert created.outs is not None
    provider.delete(created.id, created.outs)
    assert state.policies == {}
    assert state.plans == {}  # IBM deletes a policy's plans with it
    assert changes(state)[1:] == [f"DELETE /v1/backup_policies/{created.id}"]
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)  # already gone: fine


# --- check: IBM's rules before anything is sent ----------------------------------------------------------


@pytest.mark.parametrize(
    ("plans", "field", "reason"),
    [
        ([daily(cron_spec="*/10 * * * *")], "plans[0].cron_spec", "runs 6 times an hour"),
        ([daily(), weekly(cron_spec="30 2 * * 0")], "plans[1].cron_spec", "runs within an hour of plan 'daily'"),
        (
            [daily(clone_policy={"zones": ["eu-de-1"]})],
            "plans[0].clone_policy.zones[0]",
            "'eu-de-1' is not a zone of us-south",
        ),
        (
            [daily(remote_region_policies=[{"region": "us-south"}])],
            "plans[0].remote_region_policies[0].region",
            "is the policy's own region (us-south)",
        ),
        (
            [daily(remote_region_policies=[{"region": "us-east", "encryption_key_crn": "key-1"}])],
            "plans[0].remote_region_policies[0].encryption_key_crn",
            "must be the CRN of a Key Protect",
        ),
        ([daily(deletion_trigger={"delete_after": 0})], "plans[0].deletion_trigger.delete_after", "greater than"),
        ([daily(name=f"p{i}", cron_spec=f"0 {2 * i} * * *") for i in range(5)], "plans", "takes at most 4 items"),
    ],
)
def test_ibm_rules_are_check_failures_naming_the_field_before_anything_is_sent(
    tagged: Any, plans: list[dict[str, Any]], field: str, reason: str
) -> None:
    state, stubs = tagged
    failures = IbmBackupPolicyProvider().check({}, policy_props(stubs, plans=plans)).failures
    assert [f.property for f in failures] == [field]
    assert reason in failures[0].reason
    assert state.mutating() == []


def test_clone_zones_are_checked_against_the_zones_the_region_lists(tagged: Any) -> None:
    state, stubs = tagged
    props = policy_props(stubs, plans=[daily(clone_policy={"zones": ["us-south-4"]})])  # the region has 3 zones
    failures = IbmBackupPolicyProvider().check({}, props).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("plans[0].clone_policy.zones", "us-south-4 not zones of us-south (us-south-1, us-south-2, us-south-3)")
    ]
    assert state.mutating() == []


def test_covered_volumes_must_exist_and_carry_a_matching_tag(tagged: Any) -> None:
    state, stubs = tagged
    state.volumes[VOLUME2]["user_tags"] = ["env:test"]
    name_of_volume = state.volumes[VOLUME]["name"]
    props = policy_props(stubs, covers=[name_of_volume, VOLUME2, "r006-9999-missing"])
    failures = [(f.property, f.reason) for f in IbmBackupPolicyProvider().check({}, props).failures]
    assert failures[0][0] == "covers[1]"
    assert f"volume {VOLUME2} carries none of the policy's match_user_tags (backup:daily)" in failures[0][1]
    assert failures[1] == ("covers[2]", "no volume r006-9999-missing in us-south (by ID or name)")
    assert len(failures) == 2  # covers[0], named, carries the tag
    assert state.mutating() == []


INSTANCE = "0717-us-south-1-instance"
"""The running instance of us-south-1: VOLUME, VOLUME2 and SDP_VOLUME are its data volumes."""


def test_an_instance_policy_refuses_an_instance_backing_up_a_second_generation_volume(tagged: Any) -> None:
    state, stubs = tagged
    state.add_volume("r006-0005-boot", "us-south", attachment_type="boot")
    name = state.instances[INSTANCE]["name"]
    props = policy_props(stubs, match_resource_type="instance", covers=[name, "r006-9999-missing"])
    failures = [(f.property, f.reason) for f in IbmBackupPolicyProvider().check({}, props).failures]
    assert failures == [
        (
            "covers[0]",
            f"instance {name} has a second-generation data volume ({SDP_VOLUME}, profile sdp); IBM Cloud takes no "
            "consistency group backup of second-generation volumes, so an instance policy cannot back it up: back "
            "it up with a volume policy, or leave data_volumes out of included_content",
        ),
        ("covers[1]", "no instance r006-9999-missing in us-south (by ID or name)"),
    ]
    assert state.mutating() == []
    boot_only = policy_props(stubs, match_resource_type="instance", covers=[INSTANCE], included_content=["boot_volume"])
    assert IbmBackupPolicyProvider().check({}, boot_only).failures == []
    state.detach(SDP_VOLUME)
    whole = policy_props(stubs, match_resource_type="instance", covers=[INSTANCE])
    assert IbmBackupPolicyProvider().check({}, whole).failures == []


# --- the fake answers as IBM does ------------------------------------------------------------------------


def test_the_fake_refuses_stale_etags_missing_etags_duplicate_names_and_a_fifth_plan(tagged: Any) -> None:
    state, stubs = tagged
    created = IbmBackupPolicyProvider().create(policy_props(stubs))
    vpc = Vpc(IbmConnection("us-south", stubs["us-south"].url), Deadline(10))
    client = vpc._client
    plan_id = state.plans_of(created.id)["daily"]["id"]

    def status(call: Any) -> int:
        with pytest.raises(ApiException) as refused:
            call()
        return int(refused.value.status_code)

    patch = {"attach_user_tags": ["x"]}
    assert status(lambda: client.update_backup_policy_plan(created.id, plan_id, patch, if_match='W/"0"')) == 412
    assert status(lambda: client.update_backup_policy_plan(created.id, plan_id, patch)) == 428
    assert status(lambda: client.update_backup_policy(created.id, {"match_user_tags": ["t"]})) == 428
    etag = state.policies[created.id]["_etag"]
    assert status(lambda: client.update_backup_policy(created.id, {"resource_group": {}}, if_match=etag)) == 400
    prototype = {"name": "volumes-daily", "match_resource_type": "volume", "match_user_tags": ["t"]}
    assert status(lambda: client.create_backup_policy(prototype)) == 409
    assert status(lambda: client.create_backup_policy_plan(created.id, "0 2 * * *", name="daily")) == 409
    for hour in (8, 12):
        client.create_backup_policy_plan(created.id, f"0 {hour} * * *", name=f"at-{hour}")
    assert status(lambda: client.create_backup_policy_plan(created.id, "0 16 * * *", name="fifth")) == 400
    bad = copy.deepcopy(prototype) | {"name": "other", "included_content": ["boot_volume"]}
    assert status(lambda: client.create_backup_policy(bad)) == 400
    etag = state.plans[plan_id]["_etag"]
    for count in (0, 101):
        remote = {"remote_region_policies": [{"region": {"name": "us-east"}, "delete_over_count": count}]}
        assert status(lambda r=remote: client.update_backup_policy_plan(created.id, plan_id, r, if_match=etag)) == 400


def test_the_fake_keeps_five_remote_copies_when_a_plan_does_not_say(tagged: Any) -> None:
    state, stubs = tagged
    created = IbmBackupPolicyProvider().create(policy_props(stubs))
    client = Vpc(IbmConnection("us-south", stubs["us-south"].url), Deadline(10))._client
    client.create_backup_policy_plan(
        created.id, "0 8 * * *", name="at-8", remote_region_policies=[{"region": {"name": "us-east"}}]
    )
    [remote] = state.plans_of(created.id)["at-8"]["remote_region_policies"]
    assert remote["delete_over_count"] == 5
