"""IBM snapshots, groups and copies through the provider plugin, driven as by the engine, on the VPC fake."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.cross_region_copy import CrossRegionCopy
from components.dynamic.ibm_snapshot import IbmSnapshotCopy
from components.ibm.snapshots import SnapshotConsistencyGroup, SnapshotWithClones
from tests.conftest import SDP_VOLUME, VOLUME, VOLUME2
from tests.engine.harness import CheckFailedError, Engine, ProviderError
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

Stubs = dict[str, VpcStub]


def placement(stubs: Stubs, region: str = "us-south") -> dict[str, str]:
    return {"region": region, "endpoint": stubs[region].url}


def snapshot_spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "orders-db",
        "volume_id": VOLUME,
        "clone_zones": ["us-south-2", "us-south-3"],
        "user_tags": ["env:test", "app:orders"],
        "trigger": "t1",
        "timeouts": {"create": "60s"},
    }
    spec.update(changes)
    return spec


def snapshot_program(stubs: Stubs, **changes: Any) -> Callable[[], object]:
    return lambda: SnapshotWithClones("orders-db", {**snapshot_spec(**changes), **placement(stubs)})


def mutations(state: VpcCloud, since: int = 0) -> list[str]:
    return [f"{r.method} {r.path}" for r in state.requests[since:] if r.method in {"POST", "PUT", "PATCH", "DELETE"}]


def only_snapshot(state: VpcCloud) -> dict[str, Any]:
    [snapshot] = state.in_region("us-south")
    return snapshot


# --- a snapshot with clones, through a whole life ---------------------------------------------------------


def test_preview_then_up_then_an_unchanged_up_that_calls_nothing(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    preview = stack.preview(snapshot_program(stubs))
    assert preview.of("orders-db-snapshot") == ["create"]
    assert mutations(state) == []  # a preview changes nothing (it may read what it checks)
    up = stack.up(snapshot_program(stubs))
    assert up.of("orders-db-snapshot") == ["create"]
    assert mutations(state) == ["POST /v1/snapshots"]
    assert up.exports == {}
    before = len(state.requests)
    again = stack.up(snapshot_program(stubs))
    assert again.changes() == []
    assert len(state.requests) == before  # an unchanged up sends nothing at all to the cloud
    assert stack.refresh().changes() == []


def test_refresh_sees_clones_tags_and_name_changed_out_of_band_and_up_puts_them_back(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(snapshot_program(stubs))
    snapshot = only_snapshot(state)
    snapshot["clones"] = [c for c in snapshot["clones"] if c["zone"]["name"] != "us-south-3"]  # removed in the console
    snapshot["user_tags"] = ["env:test"]
    snapshot["name"] = "renamed-by-hand"
    refresh = stack.refresh()
    assert refresh.of("orders-db-snapshot") == ["changed"]
    since = len(state.requests)
    repair = stack.up(snapshot_program(stubs))
    assert repair.of("orders-db-snapshot") == ["update"]  # in place: the snapshot (the restore point) stays
    assert sorted(mutations(state, since)) == [
        f"PATCH /v1/snapshots/{snapshot['id']}",
        f"PUT /v1/snapshots/{snapshot['id']}/clones/us-south-3",
    ]
    assert only_snapshot(state)["id"] == snapshot["id"]
    assert {c["zone"]["name"] for c in snapshot["clones"]} == {"us-south-2", "us-south-3"}
    series = [t for t in snapshot["user_tags"] if t.startswith("backup-topology-series:")]
    assert sorted(snapshot["user_tags"]) == sorted(["app:orders", "env:test", *series])
    assert len(series) == 1  # the marker retention finds the generations by is put back too
    assert snapshot["name"] == "orders-db-t1"
    assert stack.up(snapshot_program(stubs)).changes() == []
    assert stack.refresh().changes() == []


def _unattached(state: VpcCloud) -> None:
    state.detach(VOLUME)


def _busy(state: VpcCloud) -> None:
    state.volumes[VOLUME]["busy"] = True


def _stopped(state: VpcCloud) -> None:
    state.instances["0717-us-south-1-instance"]["status"] = "stopped"


def _over_10_tb(state: VpcCloud) -> None:
    state.volumes[VOLUME]["capacity"] = 12_000


@pytest.mark.parametrize(
    ("change", "spec", "field", "reason"),
    [
        (_unattached, {}, "source_volume_id", "is not attached to any virtual server instance"),
        (_busy, {}, "source_volume_id", "is busy with another operation"),
        (_stopped, {}, "source_volume_id", "(0717-us-south-1-instance), which is not running"),
        (_over_10_tb, {}, "source_volume_id", "IBM Cloud takes no snapshot of one over 10 TB (10000 GB)"),
        (None, {"clone_zones": ["us-south-1", "us-south-2"]}, "clone_zones[0]", "us-south-1 is the zone of volume"),
    ],
)
def test_a_snapshot_ibm_would_refuse_fails_the_preview_naming_the_field_with_nothing_sent(
    cloud: Any,
    engine: Callable[..., Engine],
    change: Callable[[VpcCloud], None] | None,
    spec: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    state, stubs = cloud
    if change is not None:
        change(state)
    stack = engine()
    with pytest.raises(CheckFailedError) as refused:
        stack.preview(snapshot_program(stubs, **spec))
    [(named, why)] = refused.value.failures
    assert named == field
    assert reason in why
    assert mutations(state) == []


def test_a_volume_not_known_in_preview_is_not_judged(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud

    def program() -> None:
        volume = pulumi.CustomResource("test:index:Volume", "orders-db-volume", {"name": "orders-db"})
        SnapshotWithClones("orders-db", {**snapshot_spec(volume_id=volume.id), **placement(stubs)})

    preview = engine().preview(program)  # the volume is made in the same run: its ID is unknown here
    assert preview.of("orders-db-snapshot") == ["create"]
    assert [r.path for r in state.requests if r.path.startswith("/v1/volumes")] == []
    assert mutations(state) == []


def test_a_snapshot_deleted_out_of_band_is_gone_on_refresh_and_made_again_by_up(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(snapshot_program(stubs))
    state.snapshots.clear()
    assert stack.refresh().of("orders-db-snapshot") == ["gone"]
    assert stack.up(snapshot_program(stubs)).of("orders-db-snapshot") == ["create"]
    assert only_snapshot(state)["name"] == "orders-db-t1"


def test_a_zone_added_in_the_program_is_one_put_and_a_new_trigger_a_new_snapshot(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    state.zones["us-south"].append("us-south-4")
    stack = engine()
    stack.up(snapshot_program(stubs))
    first = only_snapshot(state)["id"]
    since = len(state.requests)
    zones = ["us-south-2", "us-south-3", "us-south-4"]  # the volume's own zone, us-south-1, takes no clone
    assert stack.up(snapshot_program(stubs, clone_zones=zones)).of("orders-db-snapshot") == ["update"]
    assert mutations(state, since) == [f"PUT /v1/snapshots/{first}/clones/us-south-4"]
    replaced = stack.up(snapshot_program(stubs, clone_zones=zones, trigger="t2"))
    assert replaced.of("orders-db-snapshot") == ["replace", "delete-replaced"]
    kept, second = sorted(state.in_region("us-south"), key=lambda s: s["created_at"])
    assert second["name"] == "orders-db-t2"
    assert kept["id"] == first  # the previous generation stays, a restore point
    assert kept["clones"] == []  # clones are billed by the hour: only the current generation keeps them
    assert {c["zone"]["name"] for c in second["clones"]} == set(zones)


def test_a_new_endpoint_is_in_place_and_a_new_resource_group_without_a_new_trigger_is_refused(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(snapshot_program(stubs))
    [snapshot] = state.in_region("us-south")

    def moved(**changes: Any) -> Callable[[], object]:
        where = {"region": "us-south", "endpoint": stubs["us-south"].url + "/"}  # the same API, another URL
        return lambda: SnapshotWithClones("orders-db", {**snapshot_spec(**changes), **where})

    assert stack.up(moved()).of("orders-db-snapshot") == ["update"]
    with pytest.raises(CheckFailedError) as refused:
        stack.up(moved(resource_group_id="rg-other"))
    [(field, reason)] = refused.value.failures
    assert field == "resource_group_id"
    assert "change `trigger` with it" in reason
    assert state.in_region("us-south") == [snapshot]  # nothing made, nothing deleted
    replaced = stack.up(moved(resource_group_id="rg-other", trigger="t2"))
    assert replaced.of("orders-db-snapshot") == ["replace", "delete-replaced"]


def test_destroy_leaves_the_snapshots_in_the_cloud(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(snapshot_program(stubs))
    stack.up(snapshot_program(stubs, trigger="t2"))
    stack.destroy()
    assert sorted(s["name"] for s in state.in_region("us-south")) == ["orders-db-t1", "orders-db-t2"]
    assert stack.state == {}


def test_destroy_with_delete_on_removal_deletes_every_generation(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(snapshot_program(stubs, delete_on_removal=True))
    stack.up(snapshot_program(stubs, delete_on_removal=True, trigger="t2"))
    assert len(state.in_region("us-south")) == 2
    stack.destroy()
    assert state.snapshots == {}
    assert stack.state == {}


# --- consistency groups -------------------------------------------------------------------------------


def group_program(stubs: Stubs, **changes: Any) -> Callable[[], object]:
    spec: dict[str, Any] = {"name": "orders-app", "volume_ids": [VOLUME, VOLUME2], "trigger": "t1"}
    spec.update(changes)
    return lambda: SnapshotConsistencyGroup("orders-app", {**spec, **placement(stubs)})


def test_a_group_through_a_whole_life(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    program = group_program(stubs, delete_on_removal=True)
    assert stack.preview(program).of("orders-app-group") == ["create"]
    assert mutations(state) == []
    stack.up(program)
    assert mutations(state) == ["POST /v1/snapshot_consistency_groups"]
    before = len(state.requests)
    assert stack.up(program).changes() == []
    assert len(state.requests) == before
    assert stack.refresh().changes() == []
    stack.destroy()
    assert state.groups == {}  # delete_on_removal: the group and its snapshots go
    assert state.snapshots == {}


def test_keeping_a_groups_snapshots_is_sent_to_ibm_and_destroy_then_keeps_them(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(group_program(stubs))
    [group] = state.groups.values()
    assert group["delete_snapshots_on_delete"] is True
    change = stack.up(group_program(stubs, delete_snapshots_on_delete=False))
    assert change.of("orders-app-group") == ["update"]
    assert group["delete_snapshots_on_delete"] is False  # the cloud says keep, as the state does
    members = {s["id"] for s in group["snapshots"]}
    stack.destroy()
    assert list(state.groups.values()) == [group]  # removal leaves a generation in the cloud by default
    assert members <= set(state.snapshots)


def test_refresh_sees_a_groups_deletion_rule_changed_out_of_band(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(group_program(stubs, delete_snapshots_on_delete=False))
    [group] = state.groups.values()
    group["delete_snapshots_on_delete"] = True  # someone changed it: deleting the group would now delete the data
    assert stack.refresh().of("orders-app-group") == ["changed"]
    assert stack.up(group_program(stubs, delete_snapshots_on_delete=False)).of("orders-app-group") == ["update"]
    assert group["delete_snapshots_on_delete"] is False


def test_refresh_sees_a_tag_taken_off_one_of_a_groups_snapshots_and_up_puts_it_back(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    program = group_program(stubs, on_demand_tag="backup:on-demand")
    stack.up(program)
    [group] = state.groups.values()
    first, second = (state.snapshots[s["id"]] for s in group["snapshots"])
    assert "backup:on-demand" in first["user_tags"]
    assert set(first["user_tags"]) == set(second["user_tags"])
    second["user_tags"] = [t for t in second["user_tags"] if t != "backup:on-demand"]  # taken off in the console
    refresh = stack.refresh()
    assert refresh.of("orders-app-group") == ["changed"]
    [read] = [s for s in stack.state.values() if s.urn.endswith("orders-app-group")]
    assert "backup:on-demand" not in read.outputs["user_tags"]
    since = len(state.requests)
    assert stack.up(program).of("orders-app-group") == ["update"]
    assert mutations(state, since) == [f"PATCH /v1/snapshots/{second['id']}"]  # the other snapshot is left alone
    assert set(second["user_tags"]) == set(first["user_tags"])
    assert stack.refresh().changes() == []
    assert stack.up(program).changes() == []


def test_a_group_of_volumes_on_two_instances_fails_the_preview_naming_the_volume(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    state.add_volume("r006-0004-volume", "us-south", zone="us-south-2")  # on the instance of us-south-2
    stack = engine()
    with pytest.raises(CheckFailedError) as refused:
        stack.preview(group_program(stubs, volume_ids=[VOLUME, "r006-0004-volume"]))
    [(field, reason)] = refused.value.failures
    assert field == "source_volume_ids[1]"
    assert "a consistency group's volumes are attached to one instance" in reason
    assert mutations(state) == []


def test_a_group_of_that_name_over_other_volumes_is_not_adopted(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    other = engine()
    other.up(group_program(stubs))  # a group named orders-app-t1 over VOLUME and VOLUME2
    state.add_volume("r006-0009-other", "us-south")
    state.add_volume("r006-0010-other", "us-south")
    stack = engine()
    with pytest.raises(ProviderError, match=r"orders-app-t1 is taken .* by group .* of volumes"):
        stack.up(group_program(stubs, volume_ids=["r006-0009-other", "r006-0010-other"]))
    assert len(state.groups) == 1


# --- cross-region copies ------------------------------------------------------------------------------


def copy_program(stubs: Stubs, copy: dict[str, Any] | None = None, **source: Any) -> Callable[[], None]:
    def program() -> None:
        snapshot = SnapshotWithClones("orders-db", {**snapshot_spec(**source), **placement(stubs)})
        CrossRegionCopy(
            "orders-db-dr",
            {
                "destination_region": "us-east",
                "ibm": {"source": snapshot, "destination_endpoint": stubs["us-east"].url, **(copy or {})},
            },
        )

    return program


def test_a_copy_of_a_snapshot_made_in_the_same_run_previews_and_converges(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    preview = stack.preview(copy_program(stubs))  # the source snapshot's id is unknown here
    assert preview.of("orders-db-dr-copy") == ["create"]
    stack.up(copy_program(stubs))
    [copy] = state.in_region("us-east")
    assert copy["source_snapshot"]["id"] == only_snapshot(state)["id"]
    before = len(state.requests)
    assert stack.up(copy_program(stubs)).changes() == []
    assert len(state.requests) == before
    assert stack.refresh().changes() == []
    stack.destroy()
    assert [s["id"] for s in state.in_region("us-east")] == [copy["id"]]  # kept, as the source snapshot is


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("crn:v1:bluemix:public:is:us-east:a/a1:i:snapshot:s", "is a CRN of service 'is'"),
        ("crn:v1:bluemix:public:kms:us-east-2:a/a1:i:key:k", "names the location 'us-east-2' (a zone of us-east)"),
    ],
)
def test_a_copy_key_that_is_no_root_key_in_a_region_fails_the_providers_check_in_preview(
    cloud: Any, engine: Callable[..., Engine], key: str, reason: str
) -> None:
    state, stubs = cloud

    def program() -> None:  # the dynamic resource itself, as a program not using the component would declare it
        IbmSnapshotCopy(
            "orders-db-dr",
            {
                "name": "orders-db-dr-t1",
                "source_snapshot_id": "r006-0001-snap",
                "source": placement(stubs),
                "destination": placement(stubs, "us-east"),
                "encryption_key_crn": key,
            },
        )

    with pytest.raises(CheckFailedError) as refused:
        engine().preview(program)
    [(field, why)] = refused.value.failures
    assert field == "encryption_key_crn"
    assert why.startswith(reason)
    assert state.requests == []  # refused from the inputs alone: nothing read, nothing sent


def test_the_10_tb_limit_is_on_the_source_volume_and_can_be_waived(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    # A 12 TB second-generation volume (a first-generation one that large takes no snapshot) with little data
    # written: the snapshot is small.
    state.volumes[SDP_VOLUME]["capacity"] = 12_000
    stack = engine()
    with pytest.raises(CheckFailedError) as refused:
        stack.up(copy_program(stubs, volume_id=SDP_VOLUME))
    [(field, reason)] = refused.value.failures
    assert field == "source_snapshot_id"
    assert "12000 GB volume" in reason
    assert "allow_source_over_10tb" in reason
    assert state.in_region("us-east") == []
    stack.up(copy_program(stubs, copy={"allow_source_over_10tb": True}, volume_id=SDP_VOLUME))
    [copy] = state.in_region("us-east")
    assert copy["minimum_capacity"] == 12_000
    assert copy["size"] < 1_000
