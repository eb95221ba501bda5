"""CinderSnapshot and CinderBackup providers against a real Cinder behind Keystone (see conftest.py)."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from components.clouds.calls import CloudError
from components.dynamic.cinder import CinderBackupProvider, CinderSnapshotProvider
from tests.integration.conftest import LAB, remove_everything_on, service

pytestmark = pytest.mark.usefixtures("cinder")

CONNECTOR = {
    "host": "it-host",
    "ip": "127.0.0.1",
    "initiator": "iqn.2026-11.test:it",
    "platform": "x86_64",
    "os_type": "linux",
    "multipath": False,
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def snapshot_props(volume: Any, **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": unique("snap"),
        "volume_id": volume.id,
        "description": "made by the integration tests",
        "metadata": {"purpose": "test"},
        "timeouts": {"create": 120, "update": 60, "delete": 120},
    }
    props.update(changes)
    return props


def backup_props(volume: Any, snapshot_id: str, **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": unique("backup"),
        "volume_id": volume.id,
        "snapshot_id": snapshot_id,
        "metadata": {"purpose": "test"},
        "timeouts": {"create": 300, "update": 60, "delete": 300},
    }
    props.update(changes)
    return props


def test_snapshot_lifecycle_create_read_update_delete(conn: Any, volume: Any) -> None:
    provider = CinderSnapshotProvider()
    props = snapshot_props(volume)
    created = provider.create(props)
    assert created.outs is not None
    assert created.outs["status"] == "available"
    assert conn.block_storage.get_snapshot(created.id).status == "available"
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs is not None
    assert read.outs["metadata"] == {"purpose": "test"}

    news = {**props, "description": "changed", "metadata": {"purpose": "changed", "owner": "it"}}
    diff = provider.diff(created.id, created.outs, news)
    assert diff.changes is True
    assert diff.replaces == []
    provider.update(created.id, created.outs, news)
    current = conn.block_storage.get_snapshot(created.id)
    assert current.description == "changed"
    assert {k: v for k, v in current.metadata.items() if k != "backup-topology"} == {
        "purpose": "changed",
        "owner": "it",
    }

    provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).id == ""
    provider.delete(created.id, created.outs)  # already gone: done


def attach(conn: Any, volume: Any) -> Any:
    """Attach the volume the way Nova does, through Cinder's attachment API, so that it is in-use."""
    bs = conn.block_storage
    attachment = bs.create_attachment(volume, instance_id=str(uuid.uuid4()), connector=CONNECTOR, mode="rw")
    bs.complete_attachment(attachment)
    assert bs.get_volume(volume.id).status == "in-use"
    return attachment


def detach(conn: Any, volume: Any, attachment: Any) -> None:
    conn.block_storage.delete_attachment(attachment)
    conn.block_storage.wait_for_status(conn.block_storage.get_volume(volume.id), "available", ["error"], 1, 60)


def test_a_snapshot_of_an_in_use_volume_needs_force_and_a_failed_one_is_removed(conn: Any, volume: Any) -> None:
    attachment = attach(conn, volume)
    try:
        snapshots = CinderSnapshotProvider()
        with pytest.raises(CloudError, match=r"HTTP 400.*in-use"):
            snapshots.create(snapshot_props(volume))
        # With force Cinder takes the request; the lab's NFS backend can only snapshot an attached volume
        # with Nova's help, so the snapshot fails: the error says so and the failed snapshot is not left behind.
        props = snapshot_props(volume, force=True)
        with pytest.raises(CloudError, match=r"is error.*was removed$"):
            snapshots.create(props)
        assert _gone(lambda: conn.block_storage.snapshots(details=True, volume_id=volume.id), props["name"])
    finally:
        detach(conn, volume, attachment)


def test_backup_from_a_snapshot_of_an_in_use_volume(conn: Any, volume: Any) -> None:
    snapshot = CinderSnapshotProvider().create(snapshot_props(volume))
    attachment = attach(conn, volume)
    try:
        backup = CinderBackupProvider().create(backup_props(volume, snapshot.id, force=True))
        assert backup.outs is not None
        assert backup.outs["status"] == "available"
        assert conn.block_storage.get_backup(backup.id).snapshot_id == snapshot.id
    finally:
        detach(conn, volume, attachment)


def test_first_backup_is_full_then_incremental(conn: Any, volume: Any) -> None:
    snapshots, backups = CinderSnapshotProvider(), CinderBackupProvider()
    first_snapshot = snapshots.create(snapshot_props(volume))
    first = backups.create(backup_props(volume, first_snapshot.id, incremental=True))
    assert first.outs is not None
    assert first.outs["is_incremental"] is False  # the first backup of a volume is full
    # The lab's NFS backend keeps snapshots as qcow2 overlays and cannot back up from an overlay that has a
    # backing file; with the first snapshot gone, the next one is taken from the base file again.
    snapshots.delete(first_snapshot.id, first_snapshot.outs or {})
    second_snapshot = snapshots.create(snapshot_props(volume))
    second = backups.create(backup_props(volume, second_snapshot.id, incremental=True))
    assert second.outs is not None
    assert second.outs["is_incremental"] is True
    # the full backup is kept while an incremental one depends on it ...
    backups.delete(first.id, first.outs)
    assert conn.block_storage.get_backup(first.id).status == "available"
    # ... and deleted once the incremental one is gone (Pulumi deletes dependents first)
    backups.delete(second.id, second.outs)
    backups.delete(first.id, first.outs)
    assert backups.read(first.id, first.outs).id == ""


def test_with_the_backup_service_down_the_error_carries_cinders_reason_and_nothing_is_left(
    conn: Any, volume: Any
) -> None:
    snapshot = CinderSnapshotProvider().create(snapshot_props(volume))
    props = backup_props(volume, snapshot.id)
    service("cinder-backup", "stop")
    # The scheduler keeps the capabilities a backup service last reported; restarted, it knows of none.
    service("cinder-scheduler", "stop")
    service("cinder-scheduler", "start")
    try:
        with pytest.raises(CloudError) as failure:
            CinderBackupProvider().create(props)
    finally:
        service("cinder-backup", "start")
        _wait_backup_service(conn, "up")
    message = str(failure.value)
    assert "is error" in message
    assert "Service not found for creating backup" in message
    assert snapshot.id in message
    assert message.endswith("was removed")
    # the deletion completes once a backup service is there to do it
    assert _gone(lambda: conn.block_storage.backups(details=True, volume_id=volume.id), props["name"])
    # Cinder's scheduler, on this failure, restores the volume's previous status, which was none: put it right
    # so the fixture can clean up.
    conn.block_storage.reset_volume_status(volume, status="available")


def test_a_backup_deleted_out_of_band_reads_as_gone(conn: Any, volume: Any) -> None:
    snapshot = CinderSnapshotProvider().create(snapshot_props(volume))
    provider = CinderBackupProvider()
    backup = provider.create(backup_props(volume, snapshot.id))
    assert backup.outs is not None
    conn.block_storage.delete_backup(backup.id)
    conn.block_storage.wait_for_delete(conn.block_storage.get_backup(backup.id), interval=1, wait=120)
    assert provider.read(backup.id, backup.outs).id == ""
    provider.delete(backup.id, backup.outs)  # gone already: done


def test_a_rerun_create_adopts_its_own_backup(conn: Any, volume: Any) -> None:
    snapshot = CinderSnapshotProvider().create(snapshot_props(volume))
    props = backup_props(volume, snapshot.id)
    first = CinderBackupProvider().create(props)
    again = CinderBackupProvider().create(props)
    assert first.id == again.id
    assert len([b for b in conn.block_storage.backups(details=True, volume_id=volume.id)]) == 1


def test_four_snapshot_and_backup_chains_in_parallel(conn: Any) -> None:
    bs = conn.block_storage
    volumes = [bs.create_volume(size=1, name=unique("par")) for _ in range(4)]
    volumes = [bs.wait_for_status(v, "available", ["error"], 1, 120) for v in volumes]

    def chain(vol: Any) -> tuple[Any, Any]:
        snapshot = CinderSnapshotProvider().create(snapshot_props(vol))
        backup = CinderBackupProvider().create(backup_props(vol, snapshot.id))
        assert backup.outs is not None
        assert backup.outs["status"] == "available"
        return snapshot, backup

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            made = list(pool.map(chain, volumes))
        assert len({backup.id for _, backup in made}) == 4
        for snapshot, backup in made:  # backup before snapshot, as Pulumi deletes them
            CinderBackupProvider().delete(backup.id, backup.outs)
            CinderSnapshotProvider().delete(snapshot.id, snapshot.outs)
            assert CinderBackupProvider().read(backup.id, backup.outs).id == ""
    finally:
        for vol in volumes:
            remove_everything_on(conn, vol)


def _gone(listing: Any, name: str, seconds: int = 120) -> bool:
    """Whether nothing named `name` is listed any more, within `seconds`."""
    for _ in range(seconds):
        if not [item for item in listing() if item.name == name]:
            return True
        time.sleep(1)
    return False


def _wait_backup_service(conn: Any, state: str) -> None:
    services: list[Any] = []
    for _ in range(120):
        services = conn.block_storage.get("/os-services").json()["services"]
        if any(s["binary"] == "cinder-backup" and s["state"] == state for s in services):
            return
        time.sleep(1)
    pytest.fail(f"cinder-backup did not become {state}; see {LAB}/logs: {json.dumps(services)}")
