"""IbmSnapshot, IbmSnapshotConsistencyGroup and IbmSnapshotCopy through the real ibm_vpc SDK against the VPC stub."""

from __future__ import annotations

import time
from typing import Any

import pytest

from components.clouds.calls import CloudError, DeadlineError
from components.dynamic.ibm_snapshot import (
    IbmSnapshotConsistencyGroupProvider,
    IbmSnapshotCopyProvider,
    IbmSnapshotProvider,
)
from tests.conftest import SDP_VOLUME, VOLUME, VOLUME2
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

KEY_CRN = "crn:v1:bluemix:public:kms:us-east:a/a1234567:kp:key:0cb88b98"


def conn(stubs: dict[str, VpcStub], region: str = "us-south") -> dict[str, Any]:
    return {"region": region, "endpoint": stubs[region].url}


def snapshot_props(stubs: dict[str, VpcStub], **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "db-snap-t1",
        "source_volume_id": VOLUME,
        "user_tags": ["env:test"],
        "clone_zones": ["us-south-2", "us-south-3"],
        "connection": conn(stubs),
        "timeouts": {"create": 30, "update": 30, "delete": 30},
    }
    props.update(changes)
    return props


def posts(state: VpcCloud) -> list[str]:
    return [f"{r.method} {r.path}" for r in state.mutating()]


# --- snapshots and clones ------------------------------------------------------------------------------


def test_a_snapshot_with_clones_is_one_post_and_waits_for_stable_and_available(cloud: Any) -> None:
    state, stubs = cloud
    result = IbmSnapshotProvider().create(snapshot_props(stubs))
    assert posts(state) == ["POST /v1/snapshots"]
    assert result.outs is not None
    assert result.outs["lifecycle_state"] == "stable"
    assert result.outs["clones"] == {"us-south-2": {"available": True}, "us-south-3": {"available": True}}
    assert result.outs["crn"].startswith("crn:v1:bluemix:public:is:us-south:")
    assert result.outs["size_gb"] == 5  # the data written, not the volume's capacity ...
    assert result.outs["minimum_capacity_gb"] == 100  # ... which is the snapshot's minimum capacity
    assert result.outs["encryption"] == "provider_managed"
    [snapshot] = state.in_region("us-south")
    assert snapshot["user_tags"] == ["env:test"]


def test_k_snapshots_with_z_zones_converge_in_k_posts(cloud: Any) -> None:
    state, stubs = cloud
    for k in range(3):
        IbmSnapshotProvider().create(snapshot_props(stubs, name=f"snap-{k}"))
    assert posts(state) == ["POST /v1/snapshots"] * 3


def test_adding_and_removing_a_zone_updates_clones_in_place(cloud: Any) -> None:
    state, stubs = cloud
    provider = IbmSnapshotProvider()
    created = provider.create(snapshot_props(stubs))
    assert created.outs is not None
    news = snapshot_props(stubs, clone_zones=["us-south-3", "us-south-1"])
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes is True
    assert diff.replaces == []
    updated = provider.update(created.id, created.outs, news)
    snapshot_id = created.id
    assert posts(state)[1:] == [
        f"DELETE /v1/snapshots/{snapshot_id}/clones/us-south-2",
        f"PUT /v1/snapshots/{snapshot_id}/clones/us-south-1",
    ]
    assert updated.outs is not None
    assert set(updated.outs["clones"]) == {"us-south-1", "us-south-3"}
    assert len(state.in_region("us-south")) == 1


def test_no_change_means_no_update_and_no_mutating_call(cloud: Any) -> None:
    state, stubs = cloud
    provider = IbmSnapshotProvider()
    created = provider.create(snapshot_props(stubs))
    assert created.outs is not None
    before = len(state.mutating())
    diff = provider.diff(created.id, created.outs, snapshot_props(stubs))
    assert diff.changes is False
    assert provider.check(created.outs, snapshot_props(stubs)).failures == []
    assert provider.read(created.id, created.outs).id == created.id
    assert len(state.mutating()) == before


def test_tags_change_in_place_with_the_etag(cloud: Any) -> None:
    state, stubs = cloud
    provider = IbmSnapshotProvider()
    created = provider.create(snapshot_props(stubs))
    assert created.outs is not None
    provider.update(created.id, created.outs, snapshot_props(stubs, user_tags=["env:prod"]))
    assert state.snapshots[created.id]["user_tags"] == ["env:prod"]
    assert posts(state)[-1] == f"PATCH /v1/snapshots/{created.id}"


@pytest.mark.parametrize("field", ["name", "source_volume_id", "resource_group_id"])
def test_immutable_inputs_replace(cloud: Any, field: str) -> None:
    _, stubs = cloud
    olds = snapshot_props(stubs)
    news = snapshot_props(stubs, **{field: "other-value"})
    assert IbmSnapshotProvider().diff("id", olds, news).replaces == [field]


def test_clone_zones_must_be_zones_of_the_region(cloud: Any) -> None:
    state, stubs = cloud
    failures = IbmSnapshotProvider().check({}, snapshot_props(stubs, clone_zones=["us-east-1"])).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("clone_zones", "us-east-1 not zones of us-south (us-south-1, us-south-2, us-south-3)")
    ]
    assert state.mutating() == []


# --- what IBM Cloud requires of the source volume, checked before anything is sent -------------------------


def check_failures(provider: Any, props: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in provider.check({}, props).failures]


def test_an_unattached_first_generation_volume_is_refused_naming_the_field(cloud: Any) -> None:
    state, stubs = cloud
    state.detach(VOLUME)
    [(field, reason)] = check_failures(IbmSnapshotProvider(), snapshot_props(stubs))
    assert field == "source_volume_id"
    assert reason == (
        f"volume {VOLUME} is not attached to any virtual server instance; IBM Cloud snapshots a first-generation "
        "volume (boot or data) only while it is attached to a running instance"
    )
    assert state.mutating() == []


def test_a_volume_of_a_stopped_instance_is_refused_naming_the_instance(cloud: Any) -> None:
    state, stubs = cloud
    state.add_instance("0717-stopped", "us-south", status="stopped")
    state.detach(VOLUME)
    state.attach(VOLUME, "0717-stopped", "boot")
    [(field, reason)] = check_failures(IbmSnapshotProvider(), snapshot_props(stubs))
    assert field == "source_volume_id"
    name = state.instances["0717-stopped"]["name"]
    assert f"is attached to instance {name} (0717-stopped), which is not running" in reason
    assert state.mutating() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"status": "updating"}, "is updating; IBM Cloud takes a snapshot of an available volume only"),
        ({"busy": True}, "is busy with another operation"),
        ({"health_state": "degraded"}, "is degraded; IBM Cloud takes no snapshot of a degraded volume"),
        (
            {"capacity": 10_001},
            "is a first-generation volume of 10001 GB; IBM Cloud takes no snapshot of one over 10 TB (10000 GB)",
        ),
    ],
)
def test_a_volume_ibm_would_not_snapshot_now_is_refused(cloud: Any, change: dict[str, Any], expected: str) -> None:
    state, stubs = cloud
    state.volumes[VOLUME].update(change)
    [(field, reason)] = check_failures(IbmSnapshotProvider(), snapshot_props(stubs))
    assert field == "source_volume_id"
    assert reason.startswith(f"volume {VOLUME} ")
    assert expected in reason
    assert state.mutating() == []


def test_an_unattached_second_generation_volume_is_snapshot_where_ibm_allows_it(cloud: Any) -> None:
    state, stubs = cloud
    state.detach(SDP_VOLUME)
    state.volumes[SDP_VOLUME]["capacity"] = 20_000  # second-generation snapshots have no 10 TB limit
    props = snapshot_props(stubs, source_volume_id=SDP_VOLUME)
    assert check_failures(IbmSnapshotProvider(), props) == []  # us-south snapshots them unattached
    IbmSnapshotProvider().create(props)
    assert posts(state) == ["POST /v1/snapshots"]


def test_an_unattached_second_generation_volume_is_refused_in_a_region_that_needs_it_attached(cloud: Any) -> None:
    state, stubs = cloud
    state.add_region("ca-mon")
    stub = VpcStub(state, "ca-mon").start()
    try:
        state.add_volume("r058-sdp", "ca-mon", profile="sdp", attached_to=None)
        where = {"region": "ca-mon", "endpoint": stub.url}
        props = snapshot_props(stubs, source_volume_id="r058-sdp", clone_zones=[], connection=where)
        [(field, reason)] = check_failures(IbmSnapshotProvider(), props)
    finally:
        stub.stop()
    assert field == "source_volume_id"
    assert reason.endswith(
        "in ca-mon IBM Cloud snapshots a second-generation volume only while it is attached to a running instance"
    )
    assert state.mutating() == []


def test_a_clone_in_the_volumes_own_zone_is_refused_naming_it(cloud: Any) -> None:
    state, stubs = cloud
    props = snapshot_props(stubs, clone_zones=["us-south-2", "us-south-1"])  # the volume is in us-south-1
    assert check_failures(IbmSnapshotProvider(), props) == [
        (
            "clone_zones[1]",
            f"us-south-1 is the zone of volume {VOLUME}: a fast-restore clone is made in another zone of the region",
        )
    ]
    assert state.mutating() == []


def test_a_group_of_volumes_on_two_instances_is_refused_naming_the_volume(cloud: Any) -> None:
    state, stubs = cloud
    state.add_volume("r006-0004-volume", "us-south", zone="us-south-2")  # the running instance of us-south-2
    [(field, reason)] = check_failures(
        IbmSnapshotConsistencyGroupProvider(), group_props(stubs, source_volume_ids=[VOLUME, "r006-0004-volume"])
    )
    assert field == "source_volume_ids[1]"
    assert reason == (
        "volume r006-0004-volume is attached to instance 0717-us-south-2-instance, volume r006-0001-volume "
        "(source_volume_ids[0]) to 0717-us-south-1-instance: a consistency group's volumes are attached to one "
        "instance"
    )
    assert state.mutating() == []


def test_a_group_member_ibm_would_not_snapshot_is_refused_naming_it(cloud: Any) -> None:
    state, stubs = cloud
    state.detach(VOLUME2)
    state.volumes[VOLUME]["busy"] = True
    failures = check_failures(IbmSnapshotConsistencyGroupProvider(), group_props(stubs))
    assert [field for field, _ in failures] == ["source_volume_ids[0]", "source_volume_ids[1]"]
    assert "is busy" in failures[0][1]
    assert "is not attached to any virtual server instance" in failures[1][1]
    assert state.mutating() == []


def test_the_fake_refuses_what_ibm_documents_it_refuses(cloud: Any) -> None:
    from ibm_cloud_sdk_core import ApiException

    from components.clouds.calls import Deadline
    from components.clouds.ibm_vpc import IbmConnection, Vpc

    state, stubs = cloud
    client = Vpc(IbmConnection("us-south", stubs["us-south"].url), Deadline(10))._client

    def status(call: Any) -> int:
        with pytest.raises(ApiException) as refused:
            call()
        return int(refused.value.status_code)

    clone_home = {"name": "a", "source_volume": {"id": VOLUME}, "clones": [{"zone": {"name": "us-south-1"}}]}
    assert status(lambda: client.create_snapshot(clone_home)) == 400
    state.detach(VOLUME)
    assert status(lambda: client.create_snapshot({"name": "b", "source_volume": {"id": VOLUME}})) == 409
    state.add_volume("r006-0004-volume", "us-south", zone="us-south-2")
    members = [{"name": f"g-{i}", "source_volume": {"id": v}} for i, v in enumerate((VOLUME2, "r006-0004-volume"))]
    assert status(lambda: client.create_snapshot_consistency_group({"name": "g", "snapshots": members})) == 400
    state.volumes[VOLUME2]["capacity"] = 10_001
    assert status(lambda: client.create_snapshot({"name": "c", "source_volume": {"id": VOLUME2}})) == 400
    assert state.snapshots == {}
    [shown] = [v for v in client.list_volumes(name=state.volumes[VOLUME2]["name"]).get_result()["volumes"]]
    assert (shown["attachment_state"], shown["active"], shown["storage_generation"]) == ("attached", True, 1)


def test_a_bad_name_is_a_check_failure(cloud: Any) -> None:
    _, stubs = cloud
    failures = IbmSnapshotProvider().check({}, snapshot_props(stubs, name="Bad_Name")).failures
    assert [f.property for f in failures] == ["name"]


def test_under_faults_and_a_lost_answer_the_snapshot_is_adopted_not_duplicated(cloud: Any) -> None:
    state, stubs = cloud
    state.faults.fail_every = 3
    state.faults.drop_create_responses = 1
    result = IbmSnapshotProvider().create(snapshot_props(stubs))
    assert len(state.in_region("us-south")) == 1
    assert [r for r in posts(state) if r.startswith("POST")] == ["POST /v1/snapshots"]
    assert {429, 503} & {r.status for r in state.requests}
    assert result.outs is not None
    assert result.outs["lifecycle_state"] == "stable"


def test_a_rerun_create_adopts_the_snapshot_it_already_made(cloud: Any) -> None:
    state, stubs = cloud
    first = IbmSnapshotProvider().create(snapshot_props(stubs))
    again = IbmSnapshotProvider().create(snapshot_props(stubs))
    assert first.id == again.id
    assert posts(state) == ["POST /v1/snapshots"]


def test_a_name_taken_by_another_volumes_snapshot_is_a_clear_error(cloud: Any) -> None:
    _, stubs = cloud
    IbmSnapshotProvider().create(snapshot_props(stubs))
    with pytest.raises(CloudError, match=r"snapshot name db-snap-t1 is taken in us-south .* of another volume"):
        IbmSnapshotProvider().create(snapshot_props(stubs, source_volume_id=VOLUME2))


def test_a_stuck_snapshot_fails_at_its_deadline_naming_its_id(cloud: Any) -> None:
    state, stubs = cloud
    state.faults.stall.add("db-snap-t1")
    started = time.monotonic()
    with pytest.raises(DeadlineError) as failure:
        IbmSnapshotProvider().create(snapshot_props(stubs, timeouts={"create": 3}))
    [snapshot] = state.in_region("us-south")
    assert snapshot["id"] in str(failure.value)
    assert "pending" in str(failure.value)
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("state_name", ["failed", "suspended"])
def test_failed_and_suspended_snapshots_are_clear_errors(cloud: Any, state_name: str) -> None:
    state, stubs = cloud
    provider = IbmSnapshotProvider()
    created = provider.create(snapshot_props(stubs, clone_zones=[]))
    assert created.outs is not None
    state.snapshots[created.id]["lifecycle_state"] = state_name
    state.faults.stall.add("db-snap-t1")  # the stub leaves its state alone from now on
    with pytest.raises(CloudError, match=f"snapshot {created.id}: is {state_name}"):
        provider.update(created.id, created.outs, snapshot_props(stubs, clone_zones=["us-south-1"]))


def test_read_of_a_deleted_snapshot_is_gone_and_delete_is_idempotent(cloud: Any) -> None:
    state, stubs = cloud
    provider = IbmSnapshotProvider()
    created = provider.create(snapshot_props(stubs))
    assert created.outs is not None
    provider.delete(created.id, created.outs)
    assert state.in_region("us-south") == []
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)  # already gone: fine


# --- consistency groups ----------------------------------------------------------------------------------


def group_props(stubs: dict[str, VpcStub], **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "db-group-t1",
        "source_volume_ids": [VOLUME, VOLUME2],
        "delete_snapshots_on_delete": True,
        "connection": conn(stubs),
        "timeouts": {"create": 30, "update": 30, "delete": 30},
    }
    props.update(changes)
    return props


def test_a_consistency_group_snapshots_volumes_together(cloud: Any) -> None:
    state, stubs = cloud
    provider = IbmSnapshotConsistencyGroupProvider()
    result = provider.create(group_props(stubs))
    assert posts(state) == ["POST /v1/snapshot_consistency_groups"]
    assert result.outs is not None
    assert result.outs["lifecycle_state"] == "stable"
    assert len(result.outs["snapshot_ids"]) == 2
    provider.delete(result.id, result.outs)
    assert state.in_region("us-south") == []  # delete_snapshots_on_delete


def test_second_generation_volumes_are_refused_in_consistency_groups(cloud: Any) -> None:
    state, stubs = cloud
    failures = (
        IbmSnapshotConsistencyGroupProvider()
        .check({}, group_props(stubs, source_volume_ids=[VOLUME, SDP_VOLUME]))
        .failures
    )
    [(field, reason)] = [(f.property, f.reason) for f in failures]
    assert field == "source_volume_ids[1]"
    assert "second-generation volume (profile sdp)" in reason
    assert "not supported" in reason
    assert state.mutating() == []


# --- cross-region copies ---------------------------------------------------------------------------------


def copy_props(stubs: dict[str, VpcStub], source_id: str, **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "db-snap-t1-us-east",
        "source_snapshot_id": source_id,
        "source": conn(stubs, "us-south"),
        "destination": conn(stubs, "us-east"),
        "timeouts": {"create": 30, "update": 30, "delete": 30},
    }
    props.update(changes)
    return props


def _source(cloud: Any, **changes: Any) -> str:
    _, stubs = cloud
    result = IbmSnapshotProvider().create(snapshot_props(stubs, clone_zones=[], **changes))
    return str(result.id)


def test_a_copy_is_made_in_the_destination_region(cloud: Any) -> None:
    state, stubs = cloud
    source_id = _source(cloud)
    result = IbmSnapshotCopyProvider().create(copy_props(stubs, source_id))
    [copy] = state.in_region("us-east")
    assert copy["source_snapshot"]["id"] == source_id
    assert [r.region for r in state.mutating()] == ["us-south", "us-east"]
    assert result.outs is not None
    assert result.outs["crn"].startswith("crn:v1:bluemix:public:is:us-east:")


def test_a_copy_of_a_pending_source_is_refused(cloud: Any) -> None:
    state, stubs = cloud
    state.faults.stall.add("db-snap-t1")
    snapshot = stubs["us-south"]._new_snapshot(
        "db-snap-t1", size=10, capacity=100, encryption="provider_managed", clones=[]
    )
    failures = IbmSnapshotCopyProvider().check({}, copy_props(stubs, snapshot["id"])).failures
    [(field, reason)] = [(f.property, f.reason) for f in failures]
    assert field == "source_snapshot_id"
    assert "is pending; only a stable snapshot can be copied" in reason
    with pytest.raises(CloudError, match="only a stable snapshot"):
        IbmSnapshotCopyProvider().create(copy_props(stubs, snapshot["id"]))
    assert state.in_region("us-east") == []


def test_a_user_managed_source_needs_a_key_and_a_provider_managed_one_refuses_it(cloud: Any) -> None:
    state, stubs = cloud
    state.volumes[VOLUME]["encryption"] = "user_managed"
    source_id = _source(cloud)
    failures = IbmSnapshotCopyProvider().check({}, copy_props(stubs, source_id)).failures
    assert [f.property for f in failures] == ["encryption_key_crn"]
    assert "customer-managed key" in failures[0].reason
    IbmSnapshotCopyProvider().create(copy_props(stubs, source_id, encryption_key_crn=KEY_CRN))
    [copy] = state.in_region("us-east")
    assert copy["encryption_key"] == {"crn": KEY_CRN}

    state.volumes[VOLUME2]["encryption"] = "provider_managed"
    other = _source(cloud, name="plain", source_volume_id=VOLUME2)
    failures = (
        IbmSnapshotCopyProvider()
        .check({}, copy_props(stubs, other, name="plain-copy", encryption_key_crn=KEY_CRN))
        .failures
    )
    assert [f.property for f in failures] == ["encryption_key_crn"]
    assert "provider-managed" in failures[0].reason


def test_sources_over_10_tb_as_ibm_counts_them_are_refused_unless_allowed(cloud: Any) -> None:
    state, stubs = cloud
    # 10 TB is 10,000 GB of capacity as IBM counts it (10,001 GB is still under 10 TiB); a first-generation volume
    # that large takes no snapshot at all, so the source is a second-generation one.
    state.volumes[SDP_VOLUME]["capacity"] = 10_001
    source_id = _source(cloud, source_volume_id=SDP_VOLUME)
    failures = IbmSnapshotCopyProvider().check({}, copy_props(stubs, source_id)).failures
    assert [f.property for f in failures] == ["source_snapshot_id"]
    assert "is of a 10001 GB volume; snapshots of volumes over 10 TB (10000 GB) cannot be copied" in failures[0].reason
    allowed = copy_props(stubs, source_id, allow_source_over_10tb=True)
    assert IbmSnapshotCopyProvider().check({}, allowed).failures == []
    state.volumes[SDP_VOLUME]["capacity"] = 10_000
    other = _source(cloud, name="at-the-limit", source_volume_id=SDP_VOLUME)
    assert IbmSnapshotCopyProvider().check({}, copy_props(stubs, other, name="at-the-limit-copy")).failures == []


def test_a_copy_under_faults_is_adopted_not_duplicated(cloud: Any) -> None:
    state, stubs = cloud
    source_id = _source(cloud)
    state.faults.fail_every = 3
    state.faults.drop_create_responses = 1
    IbmSnapshotCopyProvider().create(copy_props(stubs, source_id))
    IbmSnapshotCopyProvider().create(copy_props(stubs, source_id))  # a re-run
    assert len(state.in_region("us-east")) == 1


def test_a_stalled_request_ends_at_the_operations_deadline(cloud: Any) -> None:
    _, stubs = cloud
    stubs["us-south"].stall(requests=1_000, seconds=30)
    started = time.monotonic()
    with pytest.raises(CloudError, match=r"db-snap-t1: gave up at the deadline"):
        IbmSnapshotProvider().create(snapshot_props(stubs, timeouts={"create": 2, "update": 2, "delete": 2}))
    assert time.monotonic() - started < 10  # not the SDK's 60 s read timeout


def test_a_groups_snapshots_are_listed_in_the_order_of_its_volumes() -> None:
    from components.dynamic.ibm_snapshot import _in_volume_order

    members = [{"id": "c", "name": "app-t1-2"}, {"id": "a", "name": "app-t1-0"}, {"id": "b", "name": "app-t1-1"}]
    assert [m["id"] for m in _in_volume_order(members)] == ["a", "b", "c"]
    renamed = [{"id": "c", "name": "by-hand"}, {"id": "a", "name": "app-t1-0"}]
    assert [m["id"] for m in _in_volume_order(renamed)] == ["c", "a"]  # the API's order, then
