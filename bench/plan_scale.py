"""Construction time of BootVolumeBackupPlan topologies under mocks vs. the same native resources registered raw.

Usage: python bench/plan_scale.py [--sizes 100,1000,5000] [--per-plan 100] [--repeat 3]

For each size N it builds a topology of N boot volumes (plans of --per-plan volumes, each with a custom
two-schedule policy and a cross-region copy) and times, under the same Pulumi mock runtime:
  component: load_topology (validation) + build() -> BootVolumeBackupPlan components and their children
  raw:       the same pulumi_oci provider, VolumeBackupPolicy and VolumeBackupPolicyAssignment resources
             registered directly, with no validation and no components
It prints the best of --repeat runs of each, their ratio (goal <= 1.3) and microseconds per volume (flat = linear).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi
import pulumi_oci as oci

from components.config import Topology, load_topology
from components.tooling.mock_runtime import Simulation, simulate
from components.tooling.program import build

REGION = "us-ashburn-1"
DESTINATION = "us-phoenix-1"
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaabenchcompartment"
XRC_KEY = "ocid1.key.oc1.phx.bbbenchvault.abuwcljsbenchkey"
SCHEDULES: list[dict[str, Any]] = [
    {"backup_type": "incremental", "period": "day", "hour_of_day": 2, "retention_days": 14},
    {"backup_type": "full", "period": "week", "day_of_week": "sunday", "hour_of_day": 3, "retention_days": 35},
]


def raw_topology(volumes: int, per_plan: int) -> dict[str, Any]:
    """A topology of `volumes` boot volumes in plans of `per_plan`."""
    plans = []
    for start in range(0, volumes, per_plan):
        ids = [f"ocid1.bootvolume.oc1.iad.abuwcljrbench{i:010d}" for i in range(start, min(start + per_plan, volumes))]
        plans.append(
            {
                "name": f"plan-{start // per_plan:04d}",
                "compartment_id": COMPARTMENT,
                "policy": {"schedules": SCHEDULES, "destination_region": DESTINATION},
                "xrc_kms_key_id": XRC_KEY,
                "boot_volumes": ids,
            }
        )
    return {"oci": {"region": REGION, "boot_volume_plans": plans}}


def component_program(raw: dict[str, Any]) -> Callable[[], None]:
    def program() -> None:
        build(load_topology(raw))

    return program


def raw_program(topology: Topology) -> Callable[[], None]:
    """The same native resources, registered directly from pre-validated data."""
    section = topology.oci
    assert section is not None

    def program() -> None:
        provider = oci.Provider(f"oci-{section.region}", region=section.region)
        opts = pulumi.ResourceOptions(provider=provider)
        for plan in section.boot_volume_plans:
            assert plan.policy is not None
            policy = oci.core.VolumeBackupPolicy(
                f"{plan.name}-policy",
                compartment_id=plan.compartment_id,
                display_name=plan.display_name,
                destination_region=plan.policy.destination_region,
                schedules=[oci.core.VolumeBackupPolicyScheduleArgs(**s.to_oci()) for s in plan.policy.schedules],
                opts=opts,
            )
            for volume in plan.boot_volumes:
                oci.core.VolumeBackupPolicyAssignment(
                    f"{plan.name}-{volume.key}",
                    asset_id=volume.id,
                    policy_id=policy.id,
                    xrc_kms_key_id=plan.xrc_kms_key_id,
                    opts=opts,
                )

    return program


def best_of(repeat: int, program: Callable[[], None]) -> tuple[float, Simulation]:
    best, last = float("inf"), Simulation()
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        last = simulate(program, stack="bench")
        best = min(best, time.perf_counter() - start)
    return best, last


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000", help="comma-separated numbers of boot volumes")
    parser.add_argument("--per-plan", type=int, default=100, help="boot volumes per plan")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    header = ("volumes", "resources", "component s", "raw s", "ratio", "comp us/vol", "raw us/vol")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (8, 9, 12, 8, 6, 12, 11), strict=True)))
    warm = raw_topology(10, args.per_plan)  # first-use costs (imports, schema building) are not per volume
    best_of(1, component_program(warm))
    best_of(1, raw_program(load_topology(warm)))
    ratios: list[float] = []
    per_size: list[tuple[float, float]] = []
    for n in sizes:
        raw = raw_topology(n, args.per_plan)
        comp_time, comp_sim = best_of(args.repeat, component_program(raw))
        raw_time, raw_sim = best_of(args.repeat, raw_program(load_topology(raw)))
        native = [r for r in comp_sim.resources if r.custom]
        if len(native) != len(raw_sim.resources):
            print(f"mismatch: component path registered {len(native)} native resources, raw {len(raw_sim.resources)}")
            return 1
        ratio = comp_time / raw_time
        ratios.append(ratio)
        per_size.append((comp_time, raw_time))
        print(
            f"{n:>8} {len(comp_sim.resources):>9} {comp_time:>12.3f} {raw_time:>8.3f} {ratio:>6.2f}"
            f" {comp_time / n * 1e6:>12.1f} {raw_time / n * 1e6:>11.1f}"
        )
    print(f"worst ratio {max(ratios):.2f} (goal <= 1.30)")
    if len(sizes) > 1:
        growth = [(series[-1] / sizes[-1]) / (series[0] / sizes[0]) for series in zip(*per_size, strict=True)]
        print(f"time per volume, {sizes[-1]} vs {sizes[0]} volumes: component x{growth[0]:.2f}, raw x{growth[1]:.2f}")
        verdict = "no faster than" if growth[0] <= growth[1] * 1.1 else "FASTER than"
        print(f"the component's time per volume grows {verdict} the raw SDK's under the same mocks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
