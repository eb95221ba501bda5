"""The real Pulumi CLI on a stack of N IBM snapshot assets, against the SDK's own floor at the same N.

Usage: python bench/engine_scale.py [N ...] [--rounds 1] [--parallel P] [--skip-checkpoints] [--steps ...]

For each N (default 100 500 1000) it makes two projects, each with its own local backend:
  project: this project (a copy of the checkout: its components, dynamic provider plugin and composition,
           `build(load_topology(...))`) on a topology of N entries of `ibm.snapshots` (a snapshot with one
           fast-restore clone) and N of `copies` (its copy in us-east), each with retention (keep_last 7,
           max_age_days 30) and delete_on_removal (tests/scale.py), against the IBM VPC fake (tests/fakes/ibm_vpc.py)
           with instant lifecycles: 2 components + 4 dynamic resources per asset (snapshot, its Generations, copy,
           its Generations). The topology is built by the program, not read from the stack config: the CLI hands a
           program its whole config in one environment variable (PULUMI_CONFIG), which Linux caps at 128 KiB, about
           300 assets of this topology (--topology-in-config passes it as config, up to that size);
  floor:   a plain Python program of the same shape (2 ComponentResources + 4 `pulumi.dynamic.Resource`s per asset,
           the copy taking the snapshot's ID), whose provider does nothing, served by the SDK's own provider server
           (the CLI's `pulumi-resource-pulumi-python`).
Then, step by step, floor then project (the order alternates by round), it runs the first `preview`, the first
`up`, an unchanged `up --expect-no-changes`, a `refresh` and a `destroy`, timing each (wall clock) and sampling the
resident memory of the CLI's whole process tree every 0.2 s (CLI, language host, program, provider plugins, summed:
`peak RSS`), and the program's own (the Python process that runs `__main__`), and the CPU time of the whole tree
(getrusage of the children). It prints per N a table of the
medians over rounds with the ratio project / floor, the requests each step sent to the fake (and how many changed
something), and the state file's size. It exits 1 if the unchanged `up` sends a mutating request (POST, PATCH, PUT,
DELETE) to the fake, if the program's own RSS passes 1 GiB, or if any command fails.

The CLI is the lab's (tests/engine/build_pulumi.sh, cached); the project's own Python language host runs both
programs.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.cli import ROOT, VENV, Cli, build_pulumi, local_cli, project_copy
from tests.fakes.ibm_vpc import VpcCloud, VpcStub
from tests.scale import DESTINATION, REGION, scale_topology, volume_id

TOKEN = "scale-bench-token"
STACK = "scale"
SAMPLE_SECONDS = 0.2
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STEPS: dict[str, tuple[str, ...]] = {
    "preview": ("preview",),
    "up": ("up", "--yes", "--skip-preview"),
    "unchanged up": ("up", "--yes", "--skip-preview", "--expect-no-changes"),
    "refresh": ("refresh", "--yes", "--skip-preview"),
    "destroy": ("destroy", "--yes", "--skip-preview"),
}
PROGRAM_RSS_CEILING = 2**30
"""The most the program's own process may hold at any step (issue 27: 1 GiB at 1,000 assets)."""
PROGRAM_MARK = "pulumi-language-python-exec"
"""In the command line of the Python process that runs a program (the SDK's executor, started by the language host)."""

PROJECT_PROGRAM = '''\
"""The project's composition root on a generated topology of N assets (tests/scale.py): the CLI hands a program its
whole config in one environment variable (PULUMI_CONFIG), which Linux caps at 128 KiB, about 300 assets of this
topology."""

import pulumi

from components.config import load_topology
from components.tooling.program import build
from scale import scale_topology

config = pulumi.Config()
topology = load_topology(scale_topology(config.require_int("assets"), config.require_object("endpoints")))
for key, value in build(topology).items():
    pulumi.export(key, value)
'''

FLOOR_PROGRAM = '''\
"""The floor: N assets of 2 components and 4 dynamic resources whose provider does nothing (tests/scale.py)."""

import pulumi

from scale import floor_program

floor_program(int(pulumi.Config().require("assets")))
'''
"""The floor's provider is in a module of its own (scale.py, a copy of tests/scale.py), pickled by reference as the
project's are: the SDK pickles a provider class of `__main__` by value, and past ~300 resources its pickler patch
(applied again for every resource, never undone) recurses too deep (pulumi/pulumi#17803)."""


# --- the fake and the two projects ---------------------------------------------------------------------------


def start_fake(assets: int) -> tuple[VpcCloud, list[VpcStub]]:
    """The VPC fake with `assets` volumes in us-south; snapshots are stable (and clones available) at once."""
    cloud = VpcCloud(TOKEN, ready_after=0)
    for region in (REGION, DESTINATION):
        cloud.add_region(region)
    for i in range(assets):
        cloud.add_volume(volume_id(i), REGION)
    stubs = [VpcStub(cloud, region).start() for region in (REGION, DESTINATION)]
    return cloud, stubs


def project_cli(bin_dir: Path, directory: Path, assets: int, urls: dict[str, str], *, in_config: bool) -> Cli:
    """The project with its own program and components; its topology as stack config (`in_config`), or built by a
    program of the same composition (`build(load_topology(...))`), as a stack config of this size cannot be passed."""
    project = project_copy(directory / "project", stack_files=())
    if in_config:
        config: dict[str, Any] = {"backup-topology:topology": scale_topology(assets, urls)}
    else:
        (project / "__main__.py").write_text(PROJECT_PROGRAM)
        shutil.copy2(ROOT / "tests" / "scale.py", project / "scale.py")
        config = {"backup-topology:assets": str(assets), "backup-topology:endpoints": urls}
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    cli = local_cli(bin_dir, directory, project)
    cli.env.update({"VPC_AUTH_TYPE": "bearerToken", "VPC_BEARER_TOKEN": TOKEN})
    cli("stack", "init", STACK, "--secrets-provider", "passphrase")
    return cli


def floor_cli(bin_dir: Path, directory: Path, assets: int) -> Cli:
    project = directory / "project"
    project.mkdir(parents=True)
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    (project / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "floor", "runtime": runtime}))
    (project / "__main__.py").write_text(FLOOR_PROGRAM)
    shutil.copy2(ROOT / "tests" / "scale.py", project / "scale.py")
    (project / "venv").symlink_to(VENV)
    cli = local_cli(bin_dir, directory, project)
    cli("stack", "init", STACK, "--secrets-provider", "passphrase")
    cli("config", "set", "assets", str(assets))
    return cli


def state_file(cli: Cli, project: str) -> Path:
    state = Path(cli.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    return state / ".pulumi" / "stacks" / project / f"{STACK}.json"


# --- one measured command ------------------------------------------------------------------------------------


@dataclass
class Measure:
    seconds: float
    peak_rss: int
    """Bytes: the most the CLI's process tree held at once (summed over its processes)."""
    program_rss: int
    """Bytes: the most the program's own process held."""
    cpu: float
    """CPU seconds (user + system) of the whole process tree (getrusage of the children, every process of the tree
    waited for by its parent): less sensitive than wall time to what else runs on the machine."""
    requests: int = 0
    mutating: int = 0


class TreeSampler(threading.Thread):
    """Samples the RSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self.program_peak = 0
        self._done = threading.Event()
        self._programs: dict[int, bool] = {}

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        try:
            processes = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        total = 0
        for process in processes:
            try:
                rss = process.memory_info().rss
                if process.pid not in self._programs:
                    self._programs[process.pid] = any(PROGRAM_MARK in part for part in process.cmdline())
            except psutil.Error:
                continue
            total += rss
            if self._programs[process.pid]:
                self.program_peak = max(self.program_peak, rss)
        self.peak = max(self.peak, total)

    def stop(self) -> None:
        self._done.set()
        self.join()


def measured(cli: Cli, args: tuple[str, ...], log: Path, extra: tuple[str, ...]) -> Measure:
    """Run `pulumi <args>` and measure it; its output goes to `log`. Raises on a non-zero exit."""
    with log.open("w") as out:
        used = _children_cpu()
        started = time.perf_counter()
        process = subprocess.Popen(cli.argv(*args, *extra), cwd=cli.project, env=cli.env, stdout=out, stderr=out)
        sampler = TreeSampler(process.pid)
        sampler.start()
        code = process.wait()
        seconds = time.perf_counter() - started
        sampler.stop()
        cpu = _children_cpu() - used
    if code != 0:
        tail = log.read_text()[-6000:]
        msg = f"pulumi {' '.join(args)} in {cli.project} exited {code} (log: {log}):\n{tail}"
        raise SystemExit(msg)
    return Measure(seconds, sampler.peak, sampler.program_peak, cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the run -------------------------------------------------------------------------------------------------


@dataclass
class Size:
    assets: int
    floor: dict[str, list[Measure]] = field(default_factory=dict)
    project: dict[str, list[Measure]] = field(default_factory=dict)
    state_bytes: dict[str, int] = field(default_factory=dict)
    resources: dict[str, int] = field(default_factory=dict)


def run_size(
    bin_dir: Path, assets: int, rounds: int, steps: list[str], extra: tuple[str, ...], work: Path, *, in_config: bool
) -> Size:
    size = Size(assets)
    for round_ in range(rounds):
        cloud, stubs = start_fake(assets)
        try:
            urls = {REGION: stubs[0].url, DESTINATION: stubs[1].url}
            where = work / f"n{assets}-r{round_}"
            project = project_cli(bin_dir, where / "project", assets, urls, in_config=in_config)
            floor = floor_cli(bin_dir, where / "floor", assets)
            for step in steps:
                order: list[tuple[str, Cli]] = [("floor", floor), ("project", project)]
                for label, cli in order if round_ % 2 == 0 else order[::-1]:
                    before = len(cloud.requests)
                    got = measured(cli, STEPS[step], where / f"{label}-{step.replace(' ', '-')}.log", extra)
                    sent = cloud.requests[before:]
                    got.requests = len(sent)
                    got.mutating = sum(1 for r in sent if r.method in MUTATING)
                    (size.floor if label == "floor" else size.project).setdefault(step, []).append(got)
                    print(f"  N={assets} round {round_ + 1} {step:>12} {label:>7}: {got.seconds:7.1f} s, "
                          f"CPU {got.cpu:7.1f} s, tree {got.peak_rss / 2**20:6.0f} MiB, "
                          f"program {got.program_rss / 2**20:5.0f} MiB, "
                          f"{got.requests} requests ({got.mutating} mutating)", flush=True)  # fmt: skip
                    if label == "project" and got.program_rss > PROGRAM_RSS_CEILING:
                        msg = f"the program held {got.program_rss / 2**20:.0f} MiB in {step} (ceiling 1 GiB)"
                        raise SystemExit(msg)
                    if step == "unchanged up" and label == "project" and got.mutating:
                        mutations = sorted({f"{r.method} {r.path}" for r in sent if r.method in MUTATING})[:10]
                        msg = f"the unchanged up sent {got.mutating} mutating requests to the fake: {mutations}"
                        raise SystemExit(msg)
                    if step == "up":
                        for label_, cli_, name in (("floor", floor, "floor"), ("project", project, "backup-topology")):
                            path = state_file(cli_, name)
                            if path.exists():
                                size.state_bytes[label_] = path.stat().st_size
                                size.resources[label_] = path.read_text().count('"urn":')
        finally:
            for stub in stubs:
                stub.stop()
    return size


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(size: Size, steps: list[str]) -> str:
    rows = [
        f"N = {size.assets}: medians of {len(next(iter(size.project.values()), []))} round(s); "
        f"state after up: project {size.state_bytes.get('project', 0) / 2**20:.1f} MiB "
        f"({size.resources.get('project', 0)} URNs), floor {size.state_bytes.get('floor', 0) / 2**20:.1f} MiB "
        f"({size.resources.get('floor', 0)} URNs)",
        "| step | floor s | project s | ratio | floor CPU s | project CPU s | ratio | floor peak RSS MiB | "
        "project peak RSS MiB | ratio | project program RSS MiB | fake requests (mutating) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in steps:
        floor, project = size.floor.get(step, []), size.project.get(step, [])
        fs, ps = _median([m.seconds for m in floor]), _median([m.seconds for m in project])
        fc, pc = _median([m.cpu for m in floor]), _median([m.cpu for m in project])
        fr, pr = _median([m.peak_rss / 2**20 for m in floor]), _median([m.peak_rss / 2**20 for m in project])
        program = max((m.program_rss for m in project), default=0) / 2**20
        requests = max((m.requests for m in project), default=0)
        mutating = max((m.mutating for m in project), default=0)
        rows.append(
            f"| {step} | {fs:.1f} | {ps:.1f} | {ps / fs:.2f} | {fc:.1f} | {pc:.1f} | {pc / fc:.2f} | {fr:.0f} | "
            f"{pr:.0f} | {pr / fr:.2f} | {program:.0f} | "
            f"{requests} ({mutating}) |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None, report: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500, 1000], help="N: assets (default 100 500 1000)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--parallel", type=int, help="pass --parallel P to every command (default: the CLI's)")
    parser.add_argument(
        "--skip-checkpoints", action="store_true", help="PULUMI_SKIP_CHECKPOINTS=true for both projects"
    )
    parser.add_argument("--steps", nargs="+", choices=list(STEPS), default=list(STEPS))
    parser.add_argument(
        "--topology-in-config",
        action="store_true",
        help="pass the topology as stack config, as a user's stack does (up to ~300 assets: PULUMI_CONFIG's 128 KiB)",
    )
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (logs, state files)")
    args = parser.parse_args(argv)
    if args.skip_checkpoints:
        os.environ["PULUMI_SKIP_CHECKPOINTS"] = "true"
    extra = ("--parallel", str(args.parallel)) if args.parallel else ()
    bin_dir = build_pulumi()
    load = os.getloadavg()
    report(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; load average at start "
           f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; options: {' '.join(extra) or 'none'}"
           f"{', PULUMI_SKIP_CHECKPOINTS=true' if args.skip_checkpoints else ''}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="engine-scale-") as tmp:
        work = args.keep or Path(tmp)
        for assets in args.sizes:
            size = run_size(
                bin_dir, assets, args.rounds, args.steps, extra, work / "runs", in_config=args.topology_in_config
            )
            load = os.getloadavg()
            report(table(size, args.steps))
            report(f"load average after N = {assets}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
