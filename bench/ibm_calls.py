"""Calls the IBM snapshot provider sends to converge K snapshots with Z fast-restore zones each, against the VPC stub.

Usage: python bench/ibm_calls.py [--snapshots 10,50] [--zones 3]

For each K it creates K snapshots (each with Z clone zones) through IbmSnapshotProvider and the real ibm_vpc SDK,
then runs what an `up` with no change runs (check, diff, and read for a refresh), and prints: POSTs and all mutating
calls for the create (goal: exactly K and K), mutating calls for the unchanged `up` (goal: 0), reads, and time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.dynamic.ibm_snapshot import IbmSnapshotProvider
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

TOKEN = "bench-token"
REGION = "us-south"


def run(k: int, zones: int) -> tuple[int, int, int, int, int, float]:
    cloud = VpcCloud(TOKEN, ready_after=0)
    cloud.add_region(REGION, zones=max(zones, 1))
    stub = VpcStub(cloud, REGION).start()
    try:
        provider = IbmSnapshotProvider()
        started = time.perf_counter()
        states = []
        for i in range(k):
            cloud.add_volume(f"r006-bench-{i}", REGION)
            props = {
                "name": f"bench-{i}",
                "source_volume_id": f"r006-bench-{i}",
                "clone_zones": [f"{REGION}-{z}" for z in range(1, zones + 1)],
                "connection": {"region": REGION, "endpoint": stub.url},
                "timeouts": {"create": 60, "update": 60, "delete": 60},
            }
            result = provider.create(props)
            states.append((result.id, result.outs or {}, props))
        elapsed = time.perf_counter() - started
        create_posts = sum(1 for r in cloud.mutating() if r.method == "POST")
        create_mutating = len(cloud.mutating())
        before = len(cloud.requests)
        for snapshot_id, outs, props in states:
            assert not provider.check(outs, props).failures
            assert provider.diff(snapshot_id, outs, props).changes is False
            provider.read(snapshot_id, outs)
        unchanged_mutating = len(cloud.mutating()) - create_mutating
        unchanged_reads = len(cloud.requests) - before
        return create_posts, create_mutating, unchanged_mutating, unchanged_reads, len(cloud.requests), elapsed
    finally:
        stub.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", default="10,50", help="comma-separated K values")
    parser.add_argument("--zones", type=int, default=3, help="clone zones per snapshot (Z)")
    args = parser.parse_args()
    os.environ["VPC_AUTH_TYPE"] = "bearerToken"
    os.environ["VPC_BEARER_TOKEN"] = TOKEN
    print(f"{'K':>4} {'Z':>3} {'POSTs':>6} {'mutating':>9} {'no-change mutating':>19} {'no-change reads':>16} {'s':>6}")
    ok = True
    for k in (int(x) for x in args.snapshots.split(",")):
        posts, mutating, unchanged, reads, _, elapsed = run(k, args.zones)
        ok &= posts == k and mutating == k and unchanged == 0
        print(f"{k:>4} {args.zones:>3} {posts:>6} {mutating:>9} {unchanged:>19} {reads:>16} {elapsed:>6.2f}")
    print("converged in exactly K POSTs, and no mutating call without a change" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
