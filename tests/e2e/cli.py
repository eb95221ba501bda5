"""The real Pulumi CLI (built by tests/engine/build_pulumi.sh) in a copy of the project, with a local backend: what
the real-engine tests and bench/engine_scale.py run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tests" / "engine" / "build_pulumi.sh"
VENV = ROOT / "venv"
PASSPHRASE = "lab-stack-passphrase"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "policies")


class CliError(AssertionError):
    """A CLI command exited non-zero (its output in the message)."""


class NoGoError(RuntimeError):
    """This machine has no Go to build the Pulumi CLI."""


def build_pulumi(timeout: float = 3000) -> Path:
    """The directory holding `pulumi` and `pulumi-language-python`: built once, then reused from its cache."""
    if shutil.which("go") is None:
        msg = "this machine has no Go to build the Pulumi CLI"
        raise NoGoError(msg)
    done = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        msg = f"could not build the Pulumi CLI:\n{done.stdout[-2000:]}\n{done.stderr[-6000:]}"
        raise CliError(msg)
    return Path(done.stdout.strip().splitlines()[-1])


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
    """The real `pulumi` in a copy of the project, logged in to a local state directory."""

    bin_dir: Path
    home: Path
    project: Path
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    def argv(self, *args: str) -> list[str]:
        """The command line of `pulumi <args>` as this CLI runs it."""
        return [str(self.bin_dir / "pulumi"), *args, "--non-interactive"]

    def __call__(self, *args: str, check: bool = True, timeout: float = 900) -> Run:
        done = subprocess.run(
            self.argv(*args),
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
            msg = f"pulumi {' '.join(args)} exited {done.returncode}:\n{run.output[-8000:]}"
            raise CliError(msg)
        return run


def cli_environment(bin_dir: Path, home: Path, state: Path) -> dict[str, str]:
    """The environment of a user's shell: the virtualenv active, a local backend in `state`, a passphrase secrets
    provider."""
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{VENV / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "VIRTUAL_ENV": str(VENV),
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    }
    env.pop("PYTHONPATH", None)
    return env


def cli_env(bin_dir: Path, where: Path) -> dict[str, str]:
    """`cli_environment` with its home in `where`/pulumi-home and its state in `where`/state (made)."""
    (where / "state").mkdir(parents=True, exist_ok=True)
    return cli_environment(bin_dir, where / "pulumi-home", where / "state")


def local_cli(bin_dir: Path, directory: Path, project: Path) -> Cli:
    """A CLI on the project in `project`, its home and local state under `directory`."""
    return Cli(bin_dir, directory / "pulumi-home", project, cli_env(bin_dir, directory))


def copy_files(destination: Path, names: Iterable[str]) -> None:
    """Copy these files and directories of the checkout (without bytecode caches) into `destination`."""
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def project_copy(destination: Path, stack_files: Iterable[str] = ("Pulumi.lab.yaml",)) -> Path:
    """The project's program, components and policy pack, with the given stack files, and its virtualenv linked in."""
    destination.mkdir(parents=True)
    copy_files(destination, PROJECT_FILES)
    (destination / "stacks").mkdir()
    for stack_file in stack_files:
        shutil.copy2(ROOT / "stacks" / stack_file, destination / "stacks" / stack_file)
    (destination / "venv").symlink_to(VENV)
    return destination
