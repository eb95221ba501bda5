"""IBM backup policies through the provider plugin, driven as by the engine, on the VPC fake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.ibm.backup_policy import IbmBackupPolicy
from tests.conftest import SDP_VOLUME, VOLUME, VOLUME2
from tests.engine.harness import CheckFailedError, Engine
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

TAG = "backup:daily"
RESOURCE = "volumes-policy"


def plans(**daily: Any) -> list[dict[str, Any]]:
    first: dict[str, Any] = {
        "name": "daily",
        "cron_spec": "0 2 * * *",
        "deletion_trigger": {"delete_after": 14},
        "clone_policy": {"zones": ["us-south-2"], "max_snapshots": 2},
        "remote_region_policies": [{"region": "us-east"}],
    }
    first.update(daily)
    return [first, {"name": "weekly", "cron_spec": "0 4 * * 0", "deletion_trigger": {"delete_after": 90}}]


def program(stubs: dict[str, VpcStub], **changes: Any) -> Callable[[], object]:
    args: dict[str, Any] = {
        "match_user_tags": [TAG],
        "covers": [VOLUME, VOLUME2],
        "plans": plans(),
        "region": "us-south",
        "endpoint": stubs["us-south"].url,
        "timeouts": {"create": "60s"},
    }
    args.update(changes)
    return lambda: IbmBackupPolicy("volumes", args)


@pytest.fixture
def tagged(cloud: tuple[VpcCloud, dict[str, VpcStub]]) -> tuple[VpcCloud, dict[str, VpcStub]]:
    state, stubs = cloud
    for volume in (VOLUME, VOLUME2):
        state.volumes[volume]["user_tags"] = [TAG]
    return state, stubs


def mutations(state: VpcCloud, since: int = 0) -> list[str]:
    return [f"{r.method} {r.path}" for r in state.requests[since:] if r.method in {"POST", "PUT", "PATCH", "DELETE"}]


def test_preview_then_up_is_one_post_then_an_unchanged_up_calls_nothing(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    stack = engine()
    assert stack.preview(program(stubs)).of(RESOURCE) == ["create"]
    assert mutations(state) == []  # a preview changes nothing (it reads what it checks)
    up = stack.up(program(stubs))
    assert up.of(RESOURCE) == ["create"]
    assert mutations(state) == ["POST /v1/backup_policies"]
    policy = state.policy_named("volumes")
    assert sorted(state.plans_of(policy["id"])) == ["daily", "weekly"]
    [remote] = state.plans_of(policy["id"])["daily"]["remote_region_policies"]
    assert (remote["region"]["name"], remote["delete_over_count"]) == ("us-east", 5)  # IBM's default, not 1
    before = len(state.requests)
    assert stack.up(program(stubs)).changes() == []
    assert len(state.requests) == before  # an unchanged up sends nothing at all to the cloud
    assert stack.refresh().changes() == []
    assert mutations(state, before) == []


def test_a_plan_changed_in_the_program_is_one_patch_in_place(tagged: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    policy = state.policy_named("volumes")
    daily = state.plans_of(policy["id"])["daily"]
    since = len(state.requests)
    changed = program(stubs, plans=plans(deletion_trigger={"delete_after": 30}, cron_spec="0 1 * * *"))
    preview = stack.preview(changed)
    assert preview.of(RESOURCE) == ["update"]
    assert mutations(state, since) == []  # a preview of the change sends nothing
    change = stack.up(changed)
    assert change.of(RESOURCE) == ["update"]
    assert mutations(state, since) == [f"PATCH /v1/backup_policies/{policy['id']}/plans/{daily['id']}"]
    assert (daily["cron_spec"], daily["deletion_trigger"]) == ("0 1 * * *", {"delete_after": 30})
    assert state.policy_named("volumes")["id"] == policy["id"]
    assert (
        stack.up(program(stubs, plans=plans(deletion_trigger={"delete_after": 30}, cron_spec="0 1 * * *"))).changes()
        == []
    )


def test_a_plan_patch_whose_answer_is_lost_after_it_took_effect_converges_without_a_412(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    policy = state.policy_named("volumes")
    daily = state.plans_of(policy["id"])["daily"]
    path = f"/v1/backup_policies/{policy['id']}/plans/{daily['id']}"
    since = len(state.requests)
    state.faults.lost_patch_answers = 1
    changed = program(stubs, plans=plans(deletion_trigger={"delete_after": 30}))
    assert stack.up(changed).of(RESOURCE) == ["update"]
    answered = [r.status for r in state.requests[since:] if r.method == "PATCH"]
    assert answered == [503]  # the retry read the plan again, found the change made and sent nothing
    assert [r.path for r in state.carried_out("PATCH")] == [path]
    assert daily["deletion_trigger"] == {"delete_after": 30}
    assert stack.up(changed).changes() == []
    assert stack.refresh().changes() == []


def test_refresh_shows_a_plan_changed_out_of_band_and_up_puts_it_back(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    policy = state.policy_named("volumes")
    daily = state.plans_of(policy["id"])["daily"]
    daily["deletion_trigger"] = {"delete_after": 2}  # changed in the console
    daily["remote_region_policies"] = []
    refresh = stack.refresh()
    assert refresh.of(RESOURCE) == ["changed"]
    [read] = [s for s in stack.state.values() if s.urn.endswith(RESOURCE)]
    assert read.outputs["plans"][0]["deletion_trigger"] == {"delete_after": 2}
    since = len(state.requests)
    assert stack.up(program(stubs)).of(RESOURCE) == ["update"]
    assert mutations(state, since) == [f"PATCH /v1/backup_policies/{policy['id']}/plans/{daily['id']}"]
    assert daily["deletion_trigger"] == {"delete_after": 14}
    assert [r["region"]["name"] for r in daily["remote_region_policies"]] == ["us-east"]
    assert stack.refresh().changes() == []
    assert stack.up(program(stubs)).changes() == []


def test_the_copies_kept_in_the_remote_region_change_in_place_and_refresh_reads_them_back(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    policy = state.policy_named("volumes")
    daily = state.plans_of(policy["id"])["daily"]
    since = len(state.requests)
    thirty = program(stubs, plans=plans(remote_region_policies=[{"region": "us-east", "delete_over_count": 30}]))
    assert stack.preview(thirty).of(RESOURCE) == ["update"]
    assert mutations(state, since) == []
    assert stack.up(thirty).of(RESOURCE) == ["update"]
    assert mutations(state, since) == [f"PATCH /v1/backup_policies/{policy['id']}/plans/{daily['id']}"]
    assert daily["remote_region_policies"][0]["delete_over_count"] == 30
    daily["remote_region_policies"][0]["delete_over_count"] = 1  # changed in the console
    assert stack.refresh().of(RESOURCE) == ["changed"]
    [read] = [s for s in stack.state.values() if s.urn.endswith(RESOURCE)]
    assert read.outputs["plans"][0]["remote_region_policies"][0]["delete_over_count"] == 1
    assert stack.up(thirty).of(RESOURCE) == ["update"]
    assert daily["remote_region_policies"][0]["delete_over_count"] == 30
    assert stack.up(thirty).changes() == []


def test_plans_added_and_removed_in_the_program_are_a_post_and_a_delete(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    policy = state.policy_named("volumes")
    weekly = state.plans_of(policy["id"])["weekly"]
    since = len(state.requests)
    monthly = {"name": "monthly", "cron_spec": "0 5 1 * *", "deletion_trigger": {"delete_after": 365}}
    assert stack.up(program(stubs, plans=[plans()[0], monthly])).of(RESOURCE) == ["update"]
    assert mutations(state, since) == [
        f"DELETE /v1/backup_policies/{policy['id']}/plans/{weekly['id']}",
        f"POST /v1/backup_policies/{policy['id']}/plans",
    ]
    assert sorted(state.plans_of(policy["id"])) == ["daily", "monthly"]


def test_faults_and_a_lost_answer_leave_one_policy(tagged: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = tagged
    state.faults.fail_every = 4
    state.faults.drop_create_responses = 1
    stack = engine()
    assert stack.up(program(stubs)).of(RESOURCE) == ["create"]
    assert len(state.policies) == 1
    assert len(state.plans) == 2
    carried_out = [f"{r.method} {r.path}" for r in state.requests if r.method == "POST" and r.status < 400]
    assert carried_out == ["POST /v1/backup_policies"]  # a POST refused with 429/503 made nothing
    assert {429, 503} & {r.status for r in state.requests}
    assert stack.up(program(stubs)).changes() == []


def test_an_uncovered_volume_is_a_check_failure_naming_the_field(tagged: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = tagged
    state.volumes[VOLUME2]["user_tags"] = []
    stack = engine()
    with pytest.raises(CheckFailedError) as refused:
        stack.up(program(stubs))
    [(field, reason)] = refused.value.failures
    assert field == "covers[1]"
    assert "carries none of the policy's match_user_tags" in reason
    assert mutations(state) == []


def test_an_instance_policy_over_a_second_generation_volume_fails_the_preview_naming_the_instance(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    instance = "0717-us-south-1-instance"  # its data volumes: VOLUME, VOLUME2 and the second-generation SDP_VOLUME
    stack = engine()
    with pytest.raises(CheckFailedError) as refused:
        stack.preview(program(stubs, match_resource_type="instance", covers=[instance]))
    [(field, reason)] = refused.value.failures
    assert field == "covers[0]"
    assert f"instance {instance} has a second-generation data volume ({SDP_VOLUME}, profile sdp)" in reason
    assert mutations(state) == []


def test_a_new_match_resource_type_replaces_the_policy_deleting_the_old_one_first(
    tagged: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    old = state.policy_named("volumes")["id"]
    since = len(state.requests)
    replaced = stack.up(program(stubs, match_resource_type="instance", covers=[]))
    assert replaced.of(RESOURCE) == ["delete-replaced", "replace"]
    assert mutations(state, since) == [f"DELETE /v1/backup_policies/{old}", "POST /v1/backup_policies"]
    assert state.policy_named("volumes")["match_resource_type"] == "instance"


def test_destroy_deletes_the_policy_and_its_plans(tagged: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = tagged
    stack = engine()
    stack.up(program(stubs))
    stack.destroy()
    assert state.policies == {}
    assert state.plans == {}
    assert stack.state == {}
