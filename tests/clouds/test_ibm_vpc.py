"""The VPC adapter's PATCHes against the VPC fake: a lost answer, another writer, a change the cloud already holds."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

import pytest

from components.clouds.calls import Deadline, DeadlineError
from components.clouds.ibm_vpc import IbmConnection, Vpc, patch_held
from tests.conftest import VOLUME, VOLUME2
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

Cloud = tuple[VpcCloud, dict[str, VpcStub]]


def vpc(stubs: dict[str, VpcStub], seconds: float = 20) -> Vpc:
    return Vpc(IbmConnection("us-south", stubs["us-south"].url), Deadline(seconds))


def a_snapshot(cloud: Cloud) -> tuple[str, Callable[[Vpc], Any], Callable[[], Any]]:
    state, stubs = cloud
    made = vpc(stubs).create_snapshot({"name": "snap", "source_volume": {"id": VOLUME}, "user_tags": ["a"]})
    snapshot = state.snapshots[made["id"]]
    return (
        f"/v1/snapshots/{made['id']}",
        lambda v: v.update_snapshot(made["id"], {"user_tags": ["a", "b"]}),
        lambda: sorted(snapshot["user_tags"]),
    )


def a_group(cloud: Cloud) -> tuple[str, Callable[[Vpc], Any], Callable[[], Any]]:
    state, stubs = cloud
    prototype = {
        "name": "group",
        "delete_snapshots_on_delete": True,
        "snapshots": [{"name": f"group-{i}", "source_volume": {"id": v}} for i, v in enumerate((VOLUME, VOLUME2))],
    }
    made = vpc(stubs).create_consistency_group(prototype)
    group = state.groups[made["id"]]
    return (
        f"/v1/snapshot_consistency_groups/{made['id']}",
        lambda v: v.update_consistency_group(made["id"], {"delete_snapshots_on_delete": False}),
        lambda: group["delete_snapshots_on_delete"],
    )


def _policy(cloud: Cloud) -> dict[str, Any]:
    _, stubs = cloud
    plan = {"name": "daily", "cron_spec": "0 2 * * *", "deletion_trigger": {"delete_after": 14}}
    prototype = {"name": "p", "match_resource_type": "volume", "match_user_tags": ["t"], "plans": [plan]}
    return vpc(stubs).create_backup_policy(prototype)


def a_policy(cloud: Cloud) -> tuple[str, Callable[[Vpc], Any], Callable[[], Any]]:
    state, _ = cloud
    made = _policy(cloud)
    policy = state.policies[made["id"]]
    return (
        f"/v1/backup_policies/{made['id']}",
        lambda v: v.update_backup_policy(made["id"], {"match_user_tags": ["t", "u"]}),
        lambda: sorted(policy["match_user_tags"]),
    )


def a_plan(cloud: Cloud) -> tuple[str, Callable[[Vpc], Any], Callable[[], Any]]:
    state, _ = cloud
    made = _policy(cloud)
    plan = state.plans_of(made["id"])["daily"]
    patch = {
        "deletion_trigger": {"delete_after": 30, "delete_over_count": None},
        "clone_policy": {"zones": [{"name": "us-south-2"}], "max_snapshots": 2},
        "remote_region_policies": [{"region": {"name": "us-east"}, "delete_over_count": 7}],
    }
    return (
        f"/v1/backup_policies/{made['id']}/plans/{plan['id']}",
        lambda v: v.update_backup_policy_plan(made["id"], plan["id"], patch),
        lambda: (plan["deletion_trigger"], plan["remote_region_policies"][0]["delete_over_count"]),
    )


KINDS = {"snapshot": a_snapshot, "consistency group": a_group, "backup policy": a_policy, "plan": a_plan}
WANTED = {
    "snapshot": ["a", "b"],
    "consistency group": False,
    "backup policy": ["t", "u"],
    "plan": ({"delete_after": 30}, 7),
}


def patches(state: VpcCloud, path: str) -> list[int]:
    """The statuses of the PATCHes of `path` the fake received."""
    return [r.status for r in state.requests if r.method == "PATCH" and r.path == path]


@pytest.mark.parametrize("kind", KINDS)
def test_a_patch_whose_answer_is_lost_after_it_took_effect_converges_without_a_412(cloud: Cloud, kind: str) -> None:
    state, stubs = cloud
    path, update, value = KINDS[kind](cloud)
    state.faults.lost_patch_answers = 1
    update(vpc(stubs))
    assert value() == WANTED[kind]
    assert patches(state, path) == [503]  # the retry read the change and sent nothing
    assert [r.path for r in state.carried_out("PATCH")] == [path]  # the cloud changed it once


@pytest.mark.parametrize("kind", KINDS)
def test_a_412_from_another_writer_is_read_again_and_retried(cloud: Cloud, kind: str) -> None:
    state, stubs = cloud
    path, update, value = KINDS[kind](cloud)
    state.faults.concurrent_patches = 2
    update(vpc(stubs))
    assert value() == WANTED[kind]
    assert patches(state, path) == [412, 412, 200]
    assert len(state.carried_out("PATCH")) == 1
    assert len({r.if_match for r in state.requests if r.method == "PATCH"}) == 3  # each with the ETag just read


def test_a_resource_that_keeps_changing_under_the_patch_fails_at_the_deadline_naming_it(cloud: Cloud) -> None:
    state, stubs = cloud
    path, update, _ = a_plan(cloud)
    state.faults.concurrent_patches = 10_000
    started = time.monotonic()
    with pytest.raises(DeadlineError) as failure:
        update(vpc(stubs, seconds=3))
    plan_id = path.rsplit("/", 1)[-1]
    assert f"update of plan {plan_id} of backup policy" in str(failure.value)
    assert "HTTP 412: it changed after its ETag was read (another writer)" in str(failure.value)
    assert time.monotonic() - started < 8
    assert state.carried_out("PATCH") == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_patch_the_cloud_already_holds_is_not_sent(cloud: Cloud, kind: str) -> None:
    state, stubs = cloud
    path, update, value = KINDS[kind](cloud)
    update(vpc(stubs))
    since = len(state.requests)
    update(vpc(stubs))  # e.g. a re-run update after the first one's answer was lost
    assert value() == WANTED[kind]
    assert [r.method for r in state.requests[since:]] == ["GET"]
    assert patches(state, path) == [200]


def test_under_throttling_and_server_errors_the_patch_is_carried_out_once(cloud: Cloud) -> None:
    state, stubs = cloud
    _, update, value = a_plan(cloud)
    state.faults.fail_every = 3
    update(vpc(stubs))
    assert value() == WANTED["plan"]
    assert len(state.carried_out("PATCH")) == 1
    assert {429, 503} & {r.status for r in state.requests}
    assert 412 not in {r.status for r in state.requests}


@pytest.mark.parametrize(
    ("resource", "patch", "held"),
    [
        ({"name": "a", "user_tags": ["x", "y"]}, {"user_tags": ["y", "x"]}, True),
        ({"user_tags": ["x", "y"]}, {"user_tags": ["x"]}, False),
        ({"deletion_trigger": {"delete_after": 30}}, {"deletion_trigger": {"delete_after": 30}}, True),
        (
            {"deletion_trigger": {"delete_after": 30, "delete_over_count": 4}},
            {"deletion_trigger": {"delete_after": 30, "delete_over_count": None}},
            False,
        ),
        ({"deletion_trigger": {"delete_after": 30}}, {"deletion_trigger": {"delete_over_count": None}}, True),
        (
            {"clone_policy": {"max_snapshots": 5, "zones": [{"name": "z2", "href": "h"}, {"name": "z1", "href": "h"}]}},
            {"clone_policy": {"zones": [{"name": "z1"}, {"name": "z2"}]}},
            True,
        ),
        ({"clone_policy": {"zones": [{"name": "z1"}]}}, {"clone_policy": {"zones": []}}, False),
        (
            {"remote_region_policies": [{"region": {"name": "us-east", "href": "h"}, "delete_over_count": 5}]},
            {"remote_region_policies": [{"region": {"name": "us-east"}, "delete_over_count": 1}]},
            False,
        ),
        ({"delete_snapshots_on_delete": 1}, {"delete_snapshots_on_delete": True}, False),
        ({"active": False}, {"active": False}, True),
    ],
)
def test_what_a_patch_holds(resource: dict[str, Any], patch: dict[str, Any], held: bool) -> None:
    assert patch_held(resource, patch) is held


# --- reads of the posture check -----------------------------------------------------------------------------


def test_volume_snapshots_follows_every_page_and_keeps_only_the_volumes_own(cloud: Cloud) -> None:
    state, stubs = cloud
    for hours in range(105):
        state.add_snapshot(VOLUME, age=datetime.timedelta(hours=hours))
    state.add_snapshot(VOLUME2, age=datetime.timedelta(hours=1))
    found = vpc(stubs).volume_snapshots(VOLUME)
    assert len(found) == 105
    assert {s["source_volume"]["id"] for s in found} == {VOLUME}
    pages = [r for r in state.requests if r.path == "/v1/snapshots"]
    assert len(pages) == 2  # 100 a page: the adapter followed `next`


def test_volume_snapshots_in_another_region_are_the_copies_naming_the_source_volume(cloud: Cloud) -> None:
    state, stubs = cloud
    source = state.add_snapshot(VOLUME, age=datetime.timedelta(hours=3))
    state.add_snapshot(VOLUME, age=datetime.timedelta(hours=3), region="us-east", copy_of=source["id"])
    remote = Vpc(IbmConnection("us-east", stubs["us-east"].url), Deadline(20))
    [copy] = remote.volume_snapshots(VOLUME)
    assert copy["source_snapshot"]["id"] == source["id"]
    assert copy["source_volume"]["remote"] == {"region": {"name": "us-south"}}
    assert copy["captured_at"] == source["captured_at"]


def test_backup_policy_jobs_are_the_sources_newest_first(cloud: Cloud) -> None:
    state, stubs = cloud
    policy = state.add_policy("daily", "us-south", ["t"])
    state.add_job(policy["id"], VOLUME, status="succeeded", age=datetime.timedelta(hours=26))
    state.add_job(policy["id"], VOLUME, status="failed", age=datetime.timedelta(hours=2), reasons=[("x", "quota")])
    state.add_job(policy["id"], VOLUME2, status="succeeded", age=datetime.timedelta(hours=1))
    jobs = vpc(stubs).backup_policy_jobs(policy["id"], VOLUME)
    assert [(j["status"], j["status_reasons"]) for j in jobs] == [
        ("failed", [{"code": "x", "message": "quota"}]),
        ("succeeded", []),
    ]
