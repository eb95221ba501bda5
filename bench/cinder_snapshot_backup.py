"""Snapshot + backup-from-snapshot of a 1 GiB volume: through the providers vs. a bare openstacksdk script.

Usage (Cinder running, OS_* variables set, e.g. `. /tmp/backup-topology-cinder/openrc`):
    python bench/cinder_snapshot_backup.py [--rounds 3]

Each round makes a fresh 1 GiB volume, then alternately (order swapped every round) times
  providers: CinderSnapshotProvider.create + CinderBackupProvider.create (adopt lookups, waits with deadlines)
  bare:      create_snapshot + wait_for_status + create_backup + wait_for_status (openstacksdk, 1 s polling)
and cleans up. It prints each time, the medians and their ratio (goal <= 1.1).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openstack

from components.dynamic.cinder import CinderBackupProvider, CinderSnapshotProvider

TIMEOUTS = {"create": 600, "update": 600, "delete": 600}


def providers(volume: Any) -> float:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    snapshot = CinderSnapshotProvider().create({"name": name, "volume_id": volume.id, "timeouts": TIMEOUTS})
    CinderBackupProvider().create(
        {"name": name, "volume_id": volume.id, "snapshot_id": snapshot.id, "timeouts": TIMEOUTS}
    )
    return time.perf_counter() - start


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
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    conn = openstack.connect()
    bs: Any = conn.block_storage
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(args.rounds):
        volume = bs.wait_for_status(bs.create_volume(size=1, name=f"bench-{i}"), "available", ["error"], 1, 300)
        try:
            order = ["providers", "bare"] if i % 2 == 0 else ["bare", "providers"]
            for label in order:
                seconds = providers(volume) if label == "providers" else bare(conn, volume)
                (ours if label == "providers" else theirs).append(seconds)
                print(f"round {i + 1} {label:>9}: {seconds:6.2f} s", flush=True)
                clean(conn, volume)
        finally:
            clean(conn, volume)
            bs.delete_volume(volume, ignore_missing=True)
            bs.wait_for_delete(volume, interval=1, wait=300)
    mine, base = statistics.median(ours), statistics.median(theirs)
    print(f"median providers {mine:.2f} s, bare {base:.2f} s, ratio {mine / base:.2f} (goal <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
