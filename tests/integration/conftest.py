"""A real Cinder + Keystone for the integration tests, started by tests/integration/cinder/up.sh.

With CI=true these tests must run: a machine that cannot start Cinder fails them. Elsewhere they run when the
machine can (root on Debian with apt), and are skipped, saying why, when it cannot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest

from tests.engine.conftest import engine  # noqa: F401 - the engine fixture, here too

HERE = Path(__file__).resolve().parent / "cinder"
LAB = Path(os.environ.get("LAB", "/tmp/backup-topology-cinder"))


def _cannot_run_here() -> str | None:
    if os.geteuid() != 0:
        return "needs root (it installs and starts Cinder, Keystone, MariaDB and RabbitMQ)"
    if shutil.which("apt-get") is None:
        return "needs a Debian machine (apt-get)"
    return None


def _openrc() -> dict[str, str]:
    env = {}
    for line in (LAB / "openrc").read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = value
    return env


@pytest.fixture(scope="session")
def cinder() -> Iterator[dict[str, str]]:
    """The OS_* environment of a running Cinder behind Keystone (started here when it is not running)."""
    reason = _cannot_run_here()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the real-Cinder tests must run in CI, but this machine {reason}")
        pytest.skip(f"real Cinder: this machine {reason}")
    done = subprocess.run(["bash", str(HERE / "up.sh")], capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        pytest.fail(f"could not start Cinder:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    env = _openrc()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def conn(cinder: dict[str, str]) -> Any:
    """An openstacksdk connection for setting up and inspecting (the providers build their own)."""
    return openstack.connect()


@pytest.fixture
def volume(conn: Any) -> Iterator[Any]:
    """A fresh 1 GiB volume, removed (with anything left on it) after the test."""
    bs = conn.block_storage
    made = bs.wait_for_status(
        bs.create_volume(size=1, name=f"it-{uuid.uuid4().hex[:8]}"), "available", ["error"], 1, 120
    )
    yield made
    remove_everything_on(conn, made)


def remove_everything_on(conn: Any, volume: Any) -> None:
    """Delete a test volume with its backups (newest first: incremental ones before their base) and snapshots,
    whatever state they are in."""
    bs = conn.block_storage
    backups = sorted(bs.backups(details=True, volume_id=volume.id), key=lambda b: b.created_at, reverse=True)
    for backup in backups:
        if backup.status not in ("available", "error"):
            bs.reset_backup_status(backup, status="error")  # a backup stuck in `creating` cannot be deleted
        bs.delete_backup(backup, ignore_missing=True)
        bs.wait_for_delete(backup, interval=1, wait=300)
    for snapshot in bs.snapshots(details=True, volume_id=volume.id):
        if snapshot.status not in ("available", "error"):
            bs.reset_snapshot_status(snapshot, status="error")
        bs.delete_snapshot(snapshot, ignore_missing=True)
        bs.wait_for_delete(snapshot, interval=1, wait=120)
    bs.delete_volume(volume, ignore_missing=True)
    bs.wait_for_delete(volume, interval=1, wait=120)


def service(name: str, action: str) -> None:
    """Stop (by its recorded PID) or start one Cinder service of the lab."""
    pid_file = LAB / "run" / f"{name}.pid"
    if action == "stop":
        pid = int(pid_file.read_text())
        os.kill(pid, 15)
        for _ in range(80):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.25)
        os.kill(pid, 9)
        return
    log = (LAB / "logs" / f"{name}.out").open("ab")
    proc = subprocess.Popen(
        [f"/usr/bin/{name}", "--config-file", str(LAB / "etc" / "cinder.conf")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pid_file.write_text(str(proc.pid))
