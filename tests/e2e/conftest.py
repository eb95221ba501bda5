"""The real Pulumi CLI, built by tests/engine/build_pulumi.sh, driving the lab stack against the real Cinder and the
local fakes. With CI=true these tests must run: a machine that cannot build the CLI fails them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.lab import LabClouds
from tests.integration.conftest import cinder, conn, volume  # noqa: F401 - the Cinder lab's fixtures, here too

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tests" / "engine" / "build_pulumi.sh"
PASSPHRASE = "lab-stack-passphrase"
_PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "policies")


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    """The directory holding `pulumi` and `pulumi-language-python` (built once, then reused from its cache)."""
    if shutil.which("go") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the real-engine tests must run in CI, but this machine has no Go to build the Pulumi CLI")
        pytest.skip("real engine: this machine has no Go to build the Pulumi CLI")
    done = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, timeout=3000, check=False)
    if done.returncode != 0:
        pytest.fail(f"could not build the Pulumi CLI:\n{done.stdout[-2000:]}\n{done.stderr[-6000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabClouds]:
    """The IBM VPC and OCI KMS fakes on the ports stacks/Pulumi.lab.yaml names."""
    clouds = LabClouds(tmp_path / "fakes").start()
    yield clouds
    clouds.stop()


@dataclass
class Run:
    """One CLI command: its exit code and what it printed."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def events(self) -> list[dict[str, Any]]:
        """The engine events of `up/refresh/destroy --json` (one JSON object per line)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def summary(self) -> dict[str, int]:
        """The update's resource changes by operation, from its summary event."""
        [summary] = [e["summaryEvent"] for e in self.events() if "summaryEvent" in e]
        return dict(summary["resourceChanges"] or {})

    def steps(self) -> dict[str, list[str]]:
        """Resource name -> the operations the engine reported for it (up, refresh and destroy events)."""
        found: dict[str, list[str]] = {}
        for event in self.events():
            meta = (event.get("resOutputsEvent") or {}).get("metadata")
            if meta is not None:
                found.setdefault(meta["urn"].rsplit("::", 1)[-1], []).append(meta["op"])
        return found

    def preview(self) -> dict[str, Any]:
        """The document `pulumi preview --json` prints."""
        return dict(json.loads(self.stdout))


@dataclass
class Cli:
    """The real `pulumi` in a copy of the project, logged in to a local state directory, one stack (`lab`)."""

    bin_dir: Path
    home: Path
    project: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    def __call__(self, *args: str, check: bool = True, timeout: float = 900) -> Run:
        done = subprocess.run(
            [str(self.bin_dir / "pulumi"), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run = Run(list(args), done.returncode, done.stdout, done.stderr)
        self.runs.append(run)
        if check and done.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {done.returncode}:\n{run.output[-8000:]}")
        return run


def project_copy(destination: Path, stack_file: str = "Pulumi.lab.yaml") -> Path:
    """The project's program, components and policy pack, with one stack file, and its virtualenv linked in."""
    destination.mkdir(parents=True)
    for name in _PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    (destination / "stacks").mkdir()
    shutil.copy2(ROOT / "stacks" / stack_file, destination / "stacks" / stack_file)
    (destination / "venv").symlink_to(ROOT / "venv")
    return destination


def cli_env(pulumi_bin: Path, where: Path) -> dict[str, str]:
    """The environment of the CLI as a user runs it: the virtualenv active, a local backend in `where`/state, a
    passphrase secrets provider."""
    venv = ROOT / "venv"
    env = {
        **os.environ,
        "PATH": f"{pulumi_bin}:{venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "VIRTUAL_ENV": str(venv),
        "PULUMI_HOME": str(where / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{where / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    }
    env.pop("PYTHONPATH", None)
    (where / "state").mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture
def cli(pulumi_bin: Path, tmp_path: Path) -> Cli:
    """The CLI as a user runs it (`cli_env`), in a copy of the project."""
    env = cli_env(pulumi_bin, tmp_path)
    return Cli(pulumi_bin, tmp_path / "pulumi-home", project_copy(tmp_path / "project"), env)
