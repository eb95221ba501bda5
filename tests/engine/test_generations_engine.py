"""Generations and retention through the provider plugin, driven as by the engine, on the IBM VPC fake."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from components.ibm.snapshots import SnapshotWithClones
from components.oci.vault_backup import VaultBackup
from components.restore_drill import RestoreDrill
from components.retention import ibm_series_tag
from tests.engine.harness import Engine
from tests.engine.test_ibm_engine import copy_program, group_program, only_snapshot, snapshot_program, snapshot_spec
from tests.engine.test_oci_engine import program as vault_program
from tests.engine.test_oci_engine import spec as vault_spec
from tests.fakes.oci_kms import KmsStub

LEDGER = {"bucket": {"namespace": "acme", "bucket": "vault-backups", "object_prefix": "ledger/"}}


def vault_args(stub: KmsStub, **changes: Any) -> dict[str, Any]:
    """The args of the vault backup of tests/engine/test_oci_engine.py's program."""
    destination = {"bucket": {"namespace": "acme", "bucket": "vault-backups", "object_prefix": "payments/"}}
    return {
        **vault_spec(destination, **changes),
        "region": "us-ashburn-1",
        "kms_endpoint": stub.url,
        "objectstorage_endpoint": stub.url,
    }


def generations(stack: Engine, name: str = "orders-db-generations") -> dict[str, Any]:
    """The outputs of a Generations resource as the state holds them."""
    return next(s.outputs for urn, s in stack.state.items() if urn.endswith(f"::{name}"))


def names(state: Any, region: str = "us-south") -> list[str]:
    return sorted(s["name"] for s in state.in_region(region))


def test_retention_keeps_the_newest_and_deletes_exactly_the_generations_beyond_it(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    keep = {"retention": {"keep_last": 2}}
    for trigger in ("t1", "t2"):
        stack.up(snapshot_program(stubs, trigger=trigger, **keep))
    assert names(state) == ["orders-db-t1", "orders-db-t2"]  # a new trigger keeps the previous generation
    up = stack.up(snapshot_program(stubs, trigger="t3", **keep))
    assert names(state) == ["orders-db-t2", "orders-db-t3"]
    deleted = [r.path for r in state.requests if r.method == "DELETE" and "/clones/" not in r.path]
    assert len(deleted) == 1
    held = generations(stack)
    assert [g["name"] for g in held["generations"]] == ["orders-db-t3", "orders-db-t2"]
    assert held["count"] == 2
    assert up.of("orders-db-generations") == ["update"]


def test_snapshots_of_other_series_and_untagged_ones_are_never_touched(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    other = engine(stack="other-stack")
    other.up(snapshot_program(stubs, name="orders-db", trigger="o1"))  # same spec name, another stack
    stack.up(snapshot_program(stubs, trigger="t1", retention={"keep_last": 1}))
    stack.up(snapshot_program(stubs, trigger="t2", retention={"keep_last": 1}))
    assert names(state) == ["orders-db-o1", "orders-db-t2"]


def test_an_unchanged_up_deletes_what_aged_past_max_age_and_preview_says_so(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    aged = {"retention": {"max_age_days": 7}}
    stack.up(snapshot_program(stubs, trigger="t1", **aged))
    stack.up(snapshot_program(stubs, trigger="t2", **aged))
    assert names(state) == ["orders-db-t1", "orders-db-t2"]
    [first] = [s for s in state.in_region("us-south") if s["name"] == "orders-db-t1"]
    eight_days_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=8)
    first["created_at"] = eight_days_ago.isoformat().replace("+00:00", "Z")  # time passes
    [recorded] = [g for g in generations(stack)["generations"] if g["name"] == "orders-db-t1"]
    recorded["created_at"] = first["created_at"]  # and the last up recorded when it was made
    preview = stack.preview(snapshot_program(stubs, trigger="t2", **aged))
    assert preview.changes() == [("update", "orders-db-generations")]
    assert names(state) == ["orders-db-t1", "orders-db-t2"]  # a preview deletes nothing
    assert stack.up(snapshot_program(stubs, trigger="t2", **aged)).changes() == [("update", "orders-db-generations")]
    assert names(state) == ["orders-db-t2"]
    assert stack.up(snapshot_program(stubs, trigger="t2", **aged)).changes() == []


def test_an_unchanged_preview_and_up_judge_age_from_the_record_without_listing_the_cloud(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    stack = engine()
    aged = {"retention": {"keep_last": 3, "max_age_days": 7}}
    stack.up(snapshot_program(stubs, trigger="t1", **aged))
    stack.up(snapshot_program(stubs, trigger="t2", **aged))
    since = len(state.requests)
    assert stack.preview(snapshot_program(stubs, trigger="t2", **aged)).changes() == []
    assert stack.up(snapshot_program(stubs, trigger="t2", **aged)).changes() == []
    assert [f"{r.method} {r.path}" for r in state.requests[since:]] == []


def test_the_current_generation_is_kept_however_old(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    state.clock_offset = -datetime.timedelta(days=400)
    stack = engine()
    stack.up(snapshot_program(stubs, retention={"max_age_days": 30}))
    state.clock_offset = datetime.timedelta()
    assert stack.up(snapshot_program(stubs, retention={"max_age_days": 30})).changes() == []
    assert names(state) == ["orders-db-t1"]


def test_refresh_shows_a_generation_deleted_out_of_band(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(snapshot_program(stubs, trigger="t1"))
    stack.up(snapshot_program(stubs, trigger="t2"))
    [first] = [s for s in state.in_region("us-south") if s["name"] == "orders-db-t1"]
    del state.snapshots[first["id"]]
    assert [g["name"] for g in generations(stack)["generations"]] == ["orders-db-t2", "orders-db-t1"]
    stack.refresh()
    assert [g["name"] for g in generations(stack)["generations"]] == ["orders-db-t2"]


def test_a_groups_generations_go_whole_beyond_retention(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(group_program(stubs, retention={"keep_last": 1}, delete_snapshots_on_delete=False))
    [first] = state.groups.values()
    members = {s["id"] for s in first["snapshots"]}
    stack.up(group_program(stubs, trigger="t2", retention={"keep_last": 1}, delete_snapshots_on_delete=False))
    assert [g["name"] for g in state.groups.values()] == ["orders-app-t2"]
    assert not members & set(state.snapshots)  # a generation is the group and its snapshots


def test_copies_are_generations_in_the_destination_region(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()

    def program(trigger: str) -> Callable[[], None]:
        return copy_program(stubs, trigger=trigger)

    stack.up(program("t1"))
    stack.up(program("t2"))
    assert names(state, "us-east") == ["orders-db-dr-t1", "orders-db-dr-t2"]
    tags = {t for s in state.in_region("us-east") for t in s["user_tags"]}
    assert tags == {ibm_series_tag("organization/backup-topology/engine/ibm-copy/orders-db-dr")}


# --- vault and key backup objects ---------------------------------------------------------------------


def test_vault_backup_objects_beyond_retention_are_deleted_and_nothing_else_under_the_prefix(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    stub.objects[("acme", "vault-backups", "payments/notes.txt")] = '"someone-elses"'
    stack = engine()
    keep = {"retention": {"keep_last": 2}}
    for trigger in ("t1", "t2", "t3"):
        stack.up(vault_program(stub, trigger=trigger, **keep))
    held = sorted(o for _, _, o in stub.objects)
    assert held == [
        "payments/notes.txt",  # not a name the stack writes: never touched
        "payments/t2/key-ljsstubkeyaaaaa1",
        "payments/t2/key-ljsstubkeyaaaaa1.json",  # each backup's metadata goes with its generation
        "payments/t2/vault",
        "payments/t2/vault.json",
        "payments/t3/key-ljsstubkeyaaaaa1",
        "payments/t3/key-ljsstubkeyaaaaa1.json",
        "payments/t3/vault",
        "payments/t3/vault.json",
    ]
    assert [g["name"] for g in generations(stack, "payments-generations")["generations"]] == ["t3", "t2"]


def test_vault_backup_objects_stay_after_destroy_unless_delete_on_removal(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    kept, removed = engine(), engine(stack="other")
    kept.up(vault_program(stub, name="payments"))
    removed.up(vault_program(stub, name="ledger", delete_on_removal=True, destination=LEDGER))
    kept.destroy()
    removed.destroy()
    assert sorted(o for _, _, o in stub.objects) == [
        "payments/t1/key-ljsstubkeyaaaaa1",
        "payments/t1/key-ljsstubkeyaaaaa1.json",
        "payments/t1/vault",
        "payments/t1/vault.json",
    ]


def test_another_stacks_backups_under_the_same_prefix_are_never_taken_for_ours(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    engine(stack="prod").up(vault_program(stub, trigger="p1"))  # the same entry and bucket, another stack
    ours = engine(stack="dev")
    for trigger in ("d1", "d2"):
        ours.up(vault_program(stub, trigger=trigger, retention={"keep_last": 1}))
    held = sorted({o.rsplit("/", 1)[0] for _, _, o in stub.objects})
    assert held == ["payments/d2", "payments/p1"]


def test_a_component_renamed_without_an_alias_keeps_the_generation_its_successor_made(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(vault_program(stub, trigger="t1", delete_on_removal=True))

    def renamed() -> None:
        args = {**vault_args(stub, trigger="t2", delete_on_removal=True)}
        VaultBackup("payments-vault", {**args, "name": "payments"})  # a new resource name, the same entry

    stack.up(renamed)
    # The old Generations resource goes with delete_on_removal: it deletes what it recorded (t1), never t2.
    assert sorted({o.rsplit("/", 1)[0] for _, _, o in stub.objects}) == ["payments/t2"]


def test_failed_snapshots_are_not_generations(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    keep_two = {"retention": {"keep_last": 2}}
    stack.up(snapshot_program(stubs, trigger="t1", **keep_two))
    stack.up(snapshot_program(stubs, trigger="t2", **keep_two))
    [t1] = [s for s in state.in_region("us-south") if s["name"] == "orders-db-t1"]
    [t2] = [s for s in state.in_region("us-south") if s["name"] == "orders-db-t2"]
    t2["lifecycle_state"] = "failed"  # a restore point no more
    stack.up(snapshot_program(stubs, trigger="t3", **keep_two))
    assert names(state) == ["orders-db-t1", "orders-db-t2", "orders-db-t3"]  # t1 and t3 are the two kept
    assert t1["id"] in {g["id"] for g in generations(stack)["generations"]}


# --- IBM restore drills ---------------------------------------------------------------------------------


def ibm_drill_program(stubs: Any, zone: str, trigger: str = "d1") -> Callable[[], None]:
    def run() -> None:
        where = {"region": "us-south", "endpoint": stubs["us-south"].url}
        source = SnapshotWithClones("orders-db", {**snapshot_spec(), **where})
        RestoreDrill("orders-drill", {"trigger": trigger, "ibm": {"source": source, "zone": zone}})

    return run


def drill_record(stack: Engine) -> dict[str, Any]:
    return next(s.outputs for urn, s in stack.state.items() if urn.endswith("::orders-drill-drill"))


def test_an_ibm_drill_restores_the_snapshot_as_a_volume_checks_it_and_removes_it(
    cloud: Any, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    before = set(state.volumes)
    stack = engine()
    stack.up(ibm_drill_program(stubs, "us-south-2"))  # a zone with a fast-restore clone
    record = drill_record(stack)
    assert record["checks_passed"] is True, record["error"]
    assert [c["name"] for c in record["checks"]] == ["available", "capacity", "source"]
    assert "with the fast-restore clone in us-south-2" in record["checks"][2]["detail"]
    assert record["restore_seconds"] >= 0
    assert set(state.volumes) == before  # the scratch volume is gone
    assert [r.path for r in state.requests if r.method == "POST" and r.path.endswith("/volumes")] == ["/v1/volumes"]
    assert stack.up(ibm_drill_program(stubs, "us-south-2")).changes() == []


def test_an_ibm_drill_of_a_snapshot_gone_records_the_failure(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    stack = engine()
    stack.up(ibm_drill_program(stubs, "us-south-1"))
    assert "no fast-restore clone in us-south-1" in drill_record(stack)["checks"][2]["detail"]
    snapshot = only_snapshot(state)
    del state.snapshots[snapshot["id"]]  # deleted out of band, and no refresh since
    stack.up(ibm_drill_program(stubs, "us-south-1", trigger="d2"))  # the drill runs again on what the stack holds
    record = drill_record(stack)
    assert record["checks_passed"] is False
    assert record["error"].startswith(f"restore of snapshot {snapshot['id']} into volume orders-drill-d2-")
    assert "not found" in record["error"]
    assert record.get("scratch_volume_id") is None  # nothing was made, nothing is left


def test_a_drill_past_its_deadline_still_removes_its_scratch_volume(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    before = set(state.volumes)
    state.volume_ready_after = 10**6  # the restored volume never becomes available

    def program() -> None:
        where = {"region": "us-south", "endpoint": stubs["us-south"].url}
        source = SnapshotWithClones("orders-db", {**snapshot_spec(), **where})
        drill = {"trigger": "d1", "ibm": {"source": source, "zone": "us-south-1"}, "timeouts": {"create": "3s"}}
        RestoreDrill("orders-drill", drill)

    stack = engine()
    stack.up(program)
    record = drill_record(stack)
    assert record["checks_passed"] is False
    assert "at the deadline" in record["error"]
    assert set(state.volumes) == before  # removed under a deadline of its own
