"""K independent creates through the provider plugin, each taking W seconds in the cloud: how long until all converge.

Usage: python bench/engine_parallel.py [--creates 16] [--seconds 20]

Registers K IBM snapshots (SnapshotWithClones) as the SDK serializes them, then sends each its Check and Create at
once, as the engine does with `pulumi up --parallel K`, to a provider plugin against the VPC stub, where every
snapshot becomes `stable` W seconds after it was made. One second in, a Check of another resource is sent: the time
it takes to answer shows whether it queued behind the creates. It runs this for the SDK's own server
(`python -m pulumi.dynamic`, 4 workers) and for the project's plugin (components/dynamic/host.py) and prints, for
each, the time to converge as a multiple of W (goal: <= 1.5) and the Check's answer time (goal: < 1 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.ibm.snapshots import SnapshotWithClones
from tests.engine.harness import (
    Registration,
    plugin_command,
    plugin_env,
    registrations,
    running_plugin,
    stock_plugin_command,
)
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

TOKEN = "bench-token"
REGION = "us-south"


def snapshots(url: str, count: int) -> list[Registration]:
    where = {"region": REGION, "endpoint": url}

    def program() -> None:
        for i in range(count + 1):  # the last one is only checked, while the others are created
            spec = {"name": f"vol-{i}", "volume_id": f"r006-bench-{i}", "trigger": "b", "timeouts": {"create": "30m"}}
            SnapshotWithClones(f"vol-{i}", {**spec, **where})

    # each component also registers the Generations resource that keeps its earlier snapshots: only the snapshots
    # are sent here
    return [r for r in registrations(program) if r.type.endswith(":IbmSnapshot")]


def run(command: list[str], count: int, seconds: float) -> tuple[float, float]:
    """Seconds until `count` creates converge, and seconds a Check sent meanwhile took to answer."""
    cloud = VpcCloud(TOKEN, ready_after=0, ready_after_seconds=seconds)
    cloud.add_region(REGION)
    stub = VpcStub(cloud, REGION).start()
    try:
        for i in range(count + 1):
            cloud.add_volume(f"r006-bench-{i}", REGION)
        *creates, probe = snapshots(stub.url, count)
        with running_plugin(command, plugin_env()) as plugin, ThreadPoolExecutor(max_workers=count) as pool:
            started = time.perf_counter()
            futures = [pool.submit(r.create, plugin) for r in creates]
            time.sleep(1.0)
            asked = time.perf_counter()
            probe.check(plugin)
            answered = time.perf_counter() - asked
            for future in futures:
                future.result()
            return time.perf_counter() - started, answered
    finally:
        stub.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0, help="W: how long each snapshot takes in the cloud")
    args = parser.parse_args()
    os.environ.update({"VPC_AUTH_TYPE": "bearerToken", "VPC_BEARER_TOKEN": TOKEN})

    w = args.seconds
    for label, command in (("SDK server (4 workers)", stock_plugin_command()), ("project plugin", plugin_command())):
        total, check = run(command, args.creates, w)
        print(
            f"{label:>22}: {args.creates} creates of W={w:.0f} s converged in {total:6.1f} s = {total / w:.2f} x W "
            f"(goal <= 1.5); a Check sent meanwhile answered in {check:.2f} s (goal < 1)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
