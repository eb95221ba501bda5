"""Shared fixtures: valid topology pieces to start from, and a runner for the real program under mocks."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.config import CONFIG_KEY, load_topology
from components.errors import TopologyError
from components.mock_runtime import Simulation, simulate

ROOT = Path(__file__).resolve().parent.parent

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatestcompartment"
VOL_A = "ocid1.bootvolume.oc1.iad.abuwcljrtestvolumea"
VOL_B = "ocid1.bootvolume.oc1.iad.abuwcljrtestvolumeb"
VOL_C = "ocid1.bootvolume.oc1.iad.abuwcljrtestvolumec"
PHX_KEY = "ocid1.key.oc1.phx.bbtestvault.abuwcljstestkey"


def daily(retention_days: int = 7, **extra: Any) -> dict[str, Any]:
    """A valid daily incremental schedule."""
    return {"backup_type": "incremental", "period": "day", "retention_days": retention_days, **extra}


@pytest.fixture
def plan() -> dict[str, Any]:
    """A valid plan with a custom policy, cross-region copy and two volumes."""
    return {
        "name": "web",
        "compartment_id": COMPARTMENT,
        "policy": {"schedules": [daily(hour_of_day=2)], "destination_region": "us-phoenix-1"},
        "xrc_kms_key_id": PHX_KEY,
        "boot_volumes": [{"id": VOL_A, "name": "web-1"}, VOL_B],
    }


@pytest.fixture
def topology(plan: dict[str, Any]) -> dict[str, Any]:
    """A valid topology holding `plan`."""
    return {"oci": {"region": "us-ashburn-1", "boot_volume_plans": [plan]}}


@pytest.fixture
def make_topology() -> Callable[..., dict[str, Any]]:
    """Build a topology from plans (deep-copied, so tests can change them freely)."""

    def make(*plans: dict[str, Any], region: str = "us-ashburn-1") -> dict[str, Any]:
        return {"oci": {"region": region, "boot_volume_plans": [copy.deepcopy(p) for p in plans]}}

    return make


def topology_problems(raw: Any) -> list[str]:
    """The problems load_topology reports for `raw`, one line each (empty when it is valid)."""
    try:
        load_topology(copy.deepcopy(raw))
    except TopologyError as exc:
        return [str(p) for p in exc.problems]
    return []


def run_program(topology: Any, stack: str = "test") -> Simulation:
    """Run the project's real __main__.py under the mock runtime with `topology` as the stack config."""
    return simulate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config={CONFIG_KEY: topology},
        stack=stack,
    )
