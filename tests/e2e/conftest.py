"""The real Pulumi CLI, built by tests/engine/build_pulumi.sh, driving the lab stack against the real Cinder and the
local fakes. With CI=true these tests must run: a machine that cannot build the CLI fails them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import PASSPHRASE, Cli, CliError, NoGoError, Run, build_pulumi, cli_env, local_cli, project_copy
from tests.fakes.lab import LabClouds
from tests.integration.conftest import cinder, conn, volume  # noqa: F401 - the Cinder lab's fixtures, here too

__all__ = ["PASSPHRASE", "Cli", "Run", "cli_env"]


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    """The directory holding `pulumi` and `pulumi-language-python` (built once, then reused from its cache)."""
    try:
        return build_pulumi()
    except NoGoError:
        if os.environ.get("CI") == "true":
            pytest.fail("the real-engine tests must run in CI, but this machine has no Go to build the Pulumi CLI")
        pytest.skip("real engine: this machine has no Go to build the Pulumi CLI")
    except CliError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabClouds]:
    """The IBM VPC and OCI KMS fakes on the ports stacks/Pulumi.lab.yaml names."""
    clouds = LabClouds(tmp_path / "fakes").start()
    yield clouds
    clouds.stop()


@pytest.fixture
def cli(pulumi_bin: Path, tmp_path: Path) -> Cli:
    """The CLI as a user runs it: the virtualenv active, a local backend, a passphrase secrets provider."""
    return local_cli(pulumi_bin, tmp_path, project_copy(tmp_path / "project"))
