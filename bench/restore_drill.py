"""Restore of a 1 GiB Cinder backup: a RestoreDrill through the providers vs. a bare openstacksdk restore.

Usage (Cinder running, OS_* variables set, e.g. `. /tmp/backup-topology-cinder/openrc`):
    python bench/restore_drill.py [--rounds 5] [--load 1] [--content]

Once: a 1 GiB volume filled with random data, a snapshot and a backup of it. Then each round, alternately (order
swapped every round), times
  drill: CinderRestoreDrill created as the engine creates it (Check then Create through the project's provider
         plugin): restore into a scratch volume, wait until available, check status and size (and, with
         `--content`, hash the first 1 GiB and compare), delete the scratch volume and wait until it is gone
  bare:  restore_backup + wait_for_status + delete_volume + wait_for_delete (openstacksdk, 1 s polling)
`--load N` runs N CPU-bound processes beside the whole run. It prints each time, the drill's own measured restore
time, the medians and their ratio (goal <= 1.1).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openstack

from components.clouds.volume_data import connector, volume_file
from components.restore_drill import RestoreDrill
from tests.engine.harness import ProviderPlugin, plain, plugin_command, plugin_env, registrations

GIB = 1024**3
BUSY = "while True: pass"


def fill(conn: Any, volume: Any) -> str:
    """Write 1 GiB of random data onto the volume (a file of the lab's NFS export); its SHA-256."""
    link = connector()
    path = volume_file(conn.block_storage.init_volume_attachment(volume, link))
    digest = hashlib.sha256()
    try:
        with path.open("r+b") as device:
            for _ in range(GIB // (16 * 1024 * 1024)):
                chunk = os.urandom(16 * 1024 * 1024)
                device.write(chunk)
                digest.update(chunk)
    finally:
        conn.block_storage.terminate_volume_attachment(volume, link)
    return digest.hexdigest()


def drill(plugin: ProviderPlugin, backup_id: str, expected: str | None) -> tuple[float, float]:
    name = f"bench-{uuid.uuid4().hex[:6]}"
    spec: dict[str, Any] = {
        "trigger": "b",
        "openstack": {"restore_point_id": backup_id},
        "timeouts": {"create": "1800s"},
    }
    if expected is not None:
        spec["expect"] = {"sha256": expected, "length_bytes": GIB}
    [made] = registrations(lambda: RestoreDrill(name, spec))  # the request as the SDK builds it
    start = time.perf_counter()
    outputs = plain(made.create(plugin).properties)
    took = time.perf_counter() - start
    if not outputs.get("checks_passed"):
        msg = f"the drill failed: {outputs.get('error')}"
        raise SystemExit(msg)
    return took, float(outputs["restore_seconds"])


def bare(conn: Any, backup_id: str) -> float:
    bs = conn.block_storage
    start = time.perf_counter()
    restored = bs.restore_backup(backup_id, name=f"bench-{uuid.uuid4().hex[:8]}")
    volume = bs.wait_for_status(bs.get_volume(restored.volume_id), "available", ["error", "error_restoring"], 1, 1800)
    bs.delete_volume(volume)
    bs.wait_for_delete(volume, interval=1, wait=600)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load", type=int, default=0, help="CPU-bound processes running beside the bench")
    parser.add_argument("--content", action="store_true", help="the drill also hashes the restored 1 GiB")
    args = parser.parse_args()
    conn = openstack.connect()
    bs: Any = conn.block_storage
    volume = bs.wait_for_status(bs.create_volume(size=1, name="bench-drill"), "available", ["error"], 1, 300)
    snapshot = backup = None
    load: list[subprocess.Popen[bytes]] = []
    plugin = ProviderPlugin(plugin_command(), plugin_env()).start()
    try:
        expected = fill(conn, volume)
        snapshot = bs.wait_for_status(bs.create_snapshot(volume_id=volume.id), "available", ["error"], 1, 600)
        backup = bs.create_backup(volume_id=volume.id, snapshot_id=snapshot.id, name="bench-drill")
        bs.wait_for_status(backup, "available", ["error"], 1, 1800)
        load = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.load)]
        ours: list[float] = []
        theirs: list[float] = []
        for i in range(args.rounds):
            for label in ["drill", "bare"] if i % 2 == 0 else ["bare", "drill"]:
                if label == "drill":
                    seconds, restore = drill(plugin, backup.id, expected if args.content else None)
                    ours.append(seconds)
                    print(f"round {i + 1}     drill: {seconds:6.2f} s (its measured restore: {restore:.2f} s)")
                else:
                    theirs.append(bare(conn, backup.id))
                    print(f"round {i + 1}      bare: {theirs[-1]:6.2f} s", flush=True)
    finally:
        for process in load:
            process.kill()
        plugin.stop()
        for volume_left in bs.volumes(details=True):
            if (volume_left.name or "").startswith("bench-") and volume_left.id != volume.id:
                bs.delete_volume(volume_left, ignore_missing=True)
        if backup is not None:
            bs.delete_backup(backup, ignore_missing=True)
            bs.wait_for_delete(backup, interval=1, wait=600)
        if snapshot is not None:
            bs.delete_snapshot(snapshot, ignore_missing=True)
            bs.wait_for_delete(snapshot, interval=1, wait=600)
        bs.delete_volume(volume, ignore_missing=True)
    mine, base = statistics.median(ours), statistics.median(theirs)
    content = "with" if args.content else "without"
    where = f"{args.rounds} rounds, {args.load} CPU-bound process(es) beside, drill {content} the content check"
    print(f"median drill {mine:.2f} s, bare {base:.2f} s, ratio {mine / base:.2f} (goal <= 1.10) [{where}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
