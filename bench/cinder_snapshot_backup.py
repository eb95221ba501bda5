"""Snapshot + backup-from-snapshot of a 1 GiB volume: through the providers vs. a bare openstacksdk script.

Usage (Cinder running, OS_* variables set, e.g. `. /tmp/backup-topology-cinder/openrc`):
    python bench/cinder_snapshot_backup.py [--rounds 5] [--load 1] [--path plugin|direct]

Each round makes a fresh 1 GiB volume, then alternately (order swapped every round) times
  providers: CinderSnapshot then CinderBackup, created as the engine creates them: Check then Create, through the
             project's provider plugin (one process for the whole run, as in a `pulumi up`); `--path direct`
             calls the provider classes in this process instead
  bare:      create_snapshot + wait_for_status + create_backup + wait_for_status (openstacksdk, 1 s polling)
and cleans up. `--load N` runs N CPU-bound processes beside the whole run (a busy CI runner). It prints each
time, the medians and their ratio (goal <= 1.1).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openstack

from components.dynamic.cinder import CinderBackupProvider, CinderSnapshotProvider
from components.openstack.snapshot_backup import SnapshotBackup
from tests.engine.harness import ProviderPlugin, plain, plugin_command, plugin_env, registrations

TIMEOUTS = {"create": 600, "update": 600, "delete": 600}
BUSY = "while True: pass"


def direct(volume: Any) -> float:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    snapshot = CinderSnapshotProvider().create(
        {"name": name, "trigger": "b", "volume_id": volume.id, "timeouts": TIMEOUTS}
    )
    CinderBackupProvider().create(
        {"name": name, "trigger": "b", "volume_id": volume.id, "snapshot_id": snapshot.id, "timeouts": TIMEOUTS}
    )
    return time.perf_counter() - start


def through(plugin: ProviderPlugin) -> Callable[[Any], float]:
    def run(volume: Any) -> float:
        name = f"bench-{uuid.uuid4().hex[:6]}"
        spec = {"name": name, "volume_id": volume.id, "trigger": "b", "timeouts": {"create": "600s"}}
        snapshot, backup = registrations(lambda: SnapshotBackup(name, spec))  # requests as the SDK builds them
        start = time.perf_counter()
        made = plain(snapshot.create(plugin).properties)
        backup.inputs["snapshot_id"] = made["snapshot_id"]  # the engine passes the snapshot's output on
        backup.create(plugin)
        return time.perf_counter() - start

    return run


def bare(conn: Any, volume: Any) -> float:
    bs = conn.block_storage
    name = f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    snapshot = bs.wait_for_status(bs.create_snapshot(volume_id=volume.id, name=name), "available", ["error"], 1, 600)
    backup = bs.create_backup(volume_id=volume.id, snapshot_id=snapshot.id, name=name)
    bs.wait_for_status(backup, "available", ["error"], 1, 600)
    return time.perf_counter() - start


def clean(conn: Any, volume: Any) -> None:
    bs = conn.block_storage
    for backup in bs.backups(details=True, volume_id=volume.id):
        bs.delete_backup(backup, ignore_missing=True)
        bs.wait_for_delete(backup, interval=1, wait=600)
    for snapshot in bs.snapshots(details=True, volume_id=volume.id):
        bs.delete_snapshot(snapshot, ignore_missing=True)
        bs.wait_for_delete(snapshot, interval=1, wait=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load", type=int, default=0, help="CPU-bound processes running beside the bench")
    parser.add_argument("--path", choices=("plugin", "direct"), default="plugin")
    args = parser.parse_args()
    load = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.load)]
    plugin = ProviderPlugin(plugin_command(), plugin_env()).start() if args.path == "plugin" else None
    try:
        ours_of = through(plugin) if plugin is not None else direct
        conn = openstack.connect()
        bs: Any = conn.block_storage
        ours: list[float] = []
        theirs: list[float] = []
        for i in range(args.rounds):
            volume = bs.wait_for_status(bs.create_volume(size=1, name=f"bench-{i}"), "available", ["error"], 1, 300)
            try:
                order = ["providers", "bare"] if i % 2 == 0 else ["bare", "providers"]
                for label in order:
                    seconds = ours_of(volume) if label == "providers" else bare(conn, volume)
                    (ours if label == "providers" else theirs).append(seconds)
                    print(f"round {i + 1} {label:>9}: {seconds:6.2f} s", flush=True)
                    clean(conn, volume)
            finally:
                clean(conn, volume)
                bs.delete_volume(volume, ignore_missing=True)
                bs.wait_for_delete(volume, interval=1, wait=300)
    finally:
        if plugin is not None:
            plugin.stop()
        for process in load:
            process.kill()
    mine, base = statistics.median(ours), statistics.median(theirs)
    where = f"{args.path}, {args.rounds} rounds, {args.load} CPU-bound process(es) beside"
    print(f"median providers {mine:.2f} s, bare {base:.2f} s, ratio {mine / base:.2f} (goal <= 1.10) [{where}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
