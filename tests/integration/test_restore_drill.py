"""RestoreDrill through the provider plugin, as the engine drives it, against the real Cinder (see conftest.py).

The lab's volumes are files on an NFS export of this host: the test writes a known pattern onto the source volume
before the backup, and the drill proves the restore by the content it reads back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from components.clouds.volume_data import connector, volume_file
from components.openstack.snapshot_backup import SnapshotBackup
from components.restore_drill import RestoreDrill
from tests.engine.harness import Engine

pytestmark = pytest.mark.usefixtures("cinder")

MIB = 1024 * 1024


def write(conn: Any, volume: Any, pattern: bytes) -> str:
    """Write 1 MiB of `pattern` at the start of the volume; the SHA-256 of those bytes."""
    data = (pattern * (MIB // len(pattern) + 1))[:MIB]
    link = connector()
    path = volume_file(conn.block_storage.init_volume_attachment(volume, link))
    try:
        with path.open("r+b") as device:
            device.write(data)
    finally:
        conn.block_storage.terminate_volume_attachment(volume, link)
    return hashlib.sha256(data).hexdigest()


def program(volume: Any, **drill: Any) -> Callable[[], None]:
    def run() -> None:
        source = SnapshotBackup("build", {"volume_id": volume.id, "trigger": "t1", "timeouts": {"create": "300s"}})
        RestoreDrill(
            "build-drill",
            {"trigger": "d1", "openstack": {"source": source}, "timeouts": {"create": "300s"}, **drill},
        )

    return run


def drill_of(stack: Engine) -> dict[str, Any]:
    return next(s.outputs for urn, s in stack.state.items() if urn.endswith("::build-drill-drill"))


def volumes_named(conn: Any, prefix: str) -> list[Any]:
    return [v for v in conn.block_storage.volumes(details=True) if (v.name or "").startswith(prefix)]


def test_a_drill_restores_the_backup_proves_its_content_and_removes_the_scratch_volume(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    expected = write(conn, volume, b"backup-topology drill A ")
    stack = engine()
    preview = stack.preview(program(volume, expect={"sha256": expected, "length_bytes": MIB}))
    assert ("create", "build-drill-drill") in preview.steps
    stack.up(program(volume, expect={"sha256": expected, "length_bytes": MIB}))
    drill = drill_of(stack)
    assert drill["checks_passed"] is True, drill["error"]
    assert [c["name"] for c in drill["checks"]] == ["available", "size", "content"]
    assert drill["sha256"] == expected
    assert drill["restore_seconds"] > 0
    assert drill["started_at"] < drill["finished_at"]
    assert drill["restore_point_id"] == next(
        s.outputs["backup_id"] for u, s in stack.state.items() if u.endswith("::build-backup")
    )
    assert volumes_named(conn, "build-drill-d1") == []  # the scratch volume is gone
    assert stack.up(program(volume, expect={"sha256": expected, "length_bytes": MIB})).changes() == []


def test_a_wrong_restore_point_fails_the_drill_with_the_reason_and_leaves_no_scratch_volume(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    write(conn, volume, b"what the backup holds ")
    # The data the drill is told to expect is other data (as of a restore point other than the one restored).
    other = (b"other data " * (MIB // 11 + 1))[:MIB]
    later = hashlib.sha256(other).hexdigest()
    stack = engine()
    stack.up(program(volume, expect={"sha256": later, "length_bytes": MIB}))
    drill = drill_of(stack)
    assert drill["checks_passed"] is False
    assert "content: sha256 of 1048576 bytes is" in drill["error"]
    assert f"expected {later}" in drill["error"]
    assert volumes_named(conn, "build-drill-d1") == []


def test_a_snapshot_drill_and_a_kept_scratch_volume_removed_with_the_drill(
    conn: Any, volume: Any, engine: Callable[..., Engine]
) -> None:
    expected = write(conn, volume, b"snapshot drill ")
    stack = engine()

    def snapshot_drill() -> None:
        source = SnapshotBackup("build", {"volume_id": volume.id, "trigger": "t1", "timeouts": {"create": "300s"}})
        RestoreDrill(
            "build-drill",
            {
                "trigger": "d1",
                "openstack": {"source": source, "restore_point": "snapshot"},
                "expect": {"sha256": expected, "length_bytes": MIB},
                "keep_scratch": True,
            },
        )

    stack.up(snapshot_drill)
    drill = drill_of(stack)
    assert drill["checks_passed"] is True, drill["error"]
    [kept] = volumes_named(conn, "build-drill-d1")
    assert drill["scratch_volume_id"] == kept.id
    stack.destroy()
    assert volumes_named(conn, "build-drill-d1") == []
