"""SnapshotBackup through the provider plugin, as the engine drives it, against the real Cinder (see conftest.py)."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from typing import Any

import pytest

from components.config import CONFIG_KEY
from components.openstack.snapshot_backup import SnapshotBackup
from components.tooling.plan import read_stack_config, stack_file
from tests.conftest import ROOT
from tests.engine.harness import CheckFailedError, Engine
from tests.fakes.oci_kms import KmsStub

pytestmark = pytest.mark.usefixtures("cinder")


def program(volume: Any, **changes: Any) -> Callable[[], object]:
    spec: dict[str, Any] = {
        "name": "build",
        "volume_id": volume.id,
        "snapshot": {"description": "before the upgrade", "metadata": {"team": "build"}},
        "backup": {"incremental": True, "description": "nightly"},
        "trigger": "t1",
        "timeouts": {"create": "300s"},
    }
    spec.update(changes)
    return lambda: SnapshotBackup("build", spec)


def on_volume(conn: Any, volume: Any) -> tuple[list[Any], list[Any]]:
    bs = conn.block_storage
    return list(bs.snapshots(details=True, volume_id=volume.id)), list(bs.backups(details=True, volume_id=volume.id))


def test_preview_up_and_an_unchanged_up_with_the_default_container(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    preview = stack.preview(program(volume))  # the backup's snapshot_id is unknown here
    assert preview.steps == [("create", "build-snapshot"), ("create", "build-backup"), ("create", "build-generations")]
    assert on_volume(conn, volume) == ([], [])
    stack.up(program(volume))
    [snapshot], [backup] = on_volume(conn, volume)
    assert backup.snapshot_id == snapshot.id
    assert backup.container  # Cinder chose one; the stack did not name one
    assert stack.up(program(volume)).changes() == []  # not replaced for Cinder's default container
    assert stack.refresh().changes() == []
    assert stack.preview(program(volume)).changes() == []
    stack.destroy()
    [], [kept] = on_volume(conn, volume)  # the backup stays in Cinder (delete_on_removal is off); the snapshot goes
    assert kept.id == backup.id


def test_destroy_with_delete_on_removal_deletes_every_generation(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(volume, delete_on_removal=True))
    stack.up(program(volume, delete_on_removal=True, trigger="t2"))
    assert len(on_volume(conn, volume)[1]) == 2
    stack.destroy()
    assert on_volume(conn, volume) == ([], [])


def test_a_new_trigger_keeps_the_previous_backup_and_backs_up_a_fresh_snapshot(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(volume))
    [first_snapshot], [first] = on_volume(conn, volume)
    up = stack.up(program(volume, trigger="t2"))
    assert up.of("build-snapshot") == ["delete-replaced", "replace"]  # the last snapshot goes before the next
    assert up.of("build-backup") == ["replace", "delete-replaced"]
    [snapshot], backups = on_volume(conn, volume)
    assert snapshot.id != first_snapshot.id
    assert snapshot.name == "build-t2"
    by_name = {b.name: b for b in backups}
    assert sorted(by_name) == ["build-t1", "build-t2"]
    assert by_name["build-t1"].id == first.id  # the previous generation is a restore point still
    assert by_name["build-t2"].is_incremental
    assert by_name["build-t2"].status == "available"


def test_retention_keeps_a_full_backup_while_incrementals_depend_on_it_and_drops_the_chain_whole(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    keep_one = {"retention": {"keep_last": 1}}
    stack.up(program(volume, **keep_one))  # t1: full
    stack.up(program(volume, trigger="t2", **keep_one))  # t2: incremental on t1
    names = sorted(b.name for b in on_volume(conn, volume)[1])
    assert names == ["build-t1", "build-t2"]  # t1 is beyond keep_last 1, but t2 needs it
    full = {"backup": {"incremental": False, "description": "nightly"}}
    up = stack.up(program(volume, trigger="t3", **keep_one, **full))  # t3: a new full; the old chain goes whole
    assert up.of("build-generations") == ["update"]
    [backup] = on_volume(conn, volume)[1]
    assert (backup.name, backup.is_incremental) == ("build-t3", False)
    held = next(s.outputs for urn, s in stack.state.items() if urn.endswith("::build-generations"))
    assert [g["name"] for g in held["generations"]] == ["build-t3"]


def test_drift_is_seen_by_refresh_and_repaired_in_place_by_up(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    bs = conn.block_storage
    stack = engine()
    stack.up(program(volume))
    [snapshot], [backup] = on_volume(conn, volume)
    bs.update_snapshot(snapshot, name="renamed-by-hand", description="changed by hand")
    bs.update_backup(backup, description="changed by hand")
    refresh = stack.refresh()
    assert refresh.of("build-snapshot") == ["changed"]
    assert refresh.of("build-backup") == ["changed"]
    repair = stack.up(program(volume))
    assert repair.of("build-snapshot") == ["update"]
    assert repair.of("build-backup") == ["update"]  # not replaced: the backup (the restore point) stays
    [snapshot_after], [backup_after] = on_volume(conn, volume)
    assert (snapshot_after.id, backup_after.id) == (snapshot.id, backup.id)
    assert (snapshot_after.name, snapshot_after.description) == ("build-t1", "before the upgrade")
    assert backup_after.description == "nightly"
    assert stack.up(program(volume)).changes() == []
    stack.destroy()


def test_a_backup_deleted_out_of_band_is_gone_on_refresh_and_taken_again_by_up(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    bs = conn.block_storage
    stack = engine()
    stack.up(program(volume))
    [_], [backup] = on_volume(conn, volume)
    bs.delete_backup(backup)
    bs.wait_for_delete(backup, interval=1, wait=120)
    refresh = stack.refresh()
    assert refresh.of("build-backup") == ["gone"]
    assert refresh.of("build-snapshot") == ["unchanged"]
    assert stack.up(program(volume)).of("build-backup") == ["create"]
    [_], [again] = on_volume(conn, volume)
    assert again.id != backup.id
    assert again.status == "available"


def test_an_attached_volume_without_force_stops_the_preview_with_the_reason(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    from tests.integration.test_cinder import attach, detach

    attachment = attach(conn, volume)
    try:
        with pytest.raises(CheckFailedError) as refused:
            engine().preview(program(volume))
    finally:
        detach(conn, volume, attachment)
    [(field, reason)] = refused.value.failures
    assert field == "volume_id"
    assert "in-use" in reason
    assert "snapshot.force" in reason
    assert on_volume(conn, volume) == ([], [])


def test_the_first_preview_of_the_dev_stack_is_clean(
    conn: Any, volume: Any, stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    config, secrets = read_stack_config(stack_file("dev"))
    topology = copy.deepcopy(config[CONFIG_KEY])
    # The clouds hold what the example names: the KMS stub its vault, the lab a volume (whose ID Cinder chose).
    for spec in topology["openstack"]["snapshot_backups"]:
        spec["volume_id"] = volume.id
    for backup in topology["oci"]["vault_backups"]:
        stub.add_vault(backup["vault_id"])
    topology["oci"]["kms_endpoint"] = stub.url
    topology["oci"]["objectstorage_endpoint"] = stub.url
    stack = engine(stack="dev", config={**config, CONFIG_KEY: topology})
    stack.secret_keys = secrets
    preview = stack.preview(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"))
    assert {step for step, _ in preview.steps} == {"create"}
    assert sorted(name for _, name in preview.steps) == [
        "build-volume-backup",
        "build-volume-drill-drill",
        "build-volume-generations",
        "build-volume-snapshot",
        "dev-data-nightly-generations",
        "dev-sandbox-before-upgrade-generations",
        "dev-vault-generations",
        "dev-vault-par-expiry",
        "dev-vault-vault",
    ]
    assert on_volume(conn, volume) == ([], [])
    assert stub.backup_posts() == []
