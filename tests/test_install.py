"""The checkout installs with pip into a fresh virtualenv (offline) and another project imports it from there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.lab  # a whole install with pip: the second tier (tests/conftest.py, "test tiers")

# What another project does with the installed package: build a component, read a policy rule, find the plugin.
USER_PROGRAM = """
import os, sys
from pathlib import Path
import components, policies.rules
from components import BootVolumeBackupPlan
from components.tooling.mock_runtime import simulate
from policies.rules import evaluate

here = Path(components.__file__).resolve()
assert here.is_relative_to(Path(sys.prefix).resolve()), here  # the installed copy, not the checkout
plugin = here.parent / "dynamic" / "pulumi-resource-pulumi-python"
assert os.access(plugin, os.X_OK), plugin
sim = simulate(lambda: BootVolumeBackupPlan("web", {
    "compartment_id": "ocid1.compartment.oc1..aaaaaaaaexample",
    "oracle_policy": "silver",
    "boot_volumes": ["ocid1.bootvolume.oc1.iad.abuwcljrexample"],
}))
print(len(sim.of_type("oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment")), callable(evaluate))
"""


def run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def test_the_checkout_installs_into_a_fresh_virtualenv_and_is_used_from_outside_it(tmp_path: Path) -> None:
    source = tmp_path / "checkout"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns("venv", ".git", "*_cache", "__pycache__", "build"))
    wheels = tmp_path / "wheels"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        wheels,
        source,
        cwd=tmp_path,
    )
    [wheel] = wheels.glob("backup_topology-*.whl")
    env = tmp_path / "env"
    run(sys.executable, "-m", "venv", env, cwd=tmp_path)
    # Offline, the dependencies come from this project's virtualenv; the package itself only from the wheel.
    site = Path(
        run(
            env / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(env / "bin" / "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)
    elsewhere = tmp_path / "another-project"
    elsewhere.mkdir()
    (elsewhere / "program.py").write_text(USER_PROGRAM)
    assert run(env / "bin" / "python", "program.py", cwd=elsewhere).split() == ["1", "True"]
