"""Construction of a 200-asset stack under mocks, as a ratio to the SDK's own floor at the same size (issue 27).

The real program builds N IBM snapshot assets (a snapshot with its clone and a copy, each with retention: 2
components and 4 dynamic resources per asset); the floor registers the same resources, plain, under the same mocks.
Only the ratio is judged, with a generous bound: the time is the machine's, the ratio is the project's.
"""

from __future__ import annotations

import gc
import runpy
import time
from collections.abc import Callable

import pytest

from components.config import CONFIG_KEY
from components.tooling.mock_runtime import Simulation, simulate
from tests.conftest import ROOT
from tests.scale import floor_program, scale_topology

ASSETS = 200
RATIO_BOUND = 5.0
"""CPU time of the project over the floor's: measured 2.2 to 2.5 on two loaded cores (docs/scale.md). A change that
makes the program's construction more than about twice as costly as now fails it."""
ATTEMPTS = 3

pytestmark = pytest.mark.lab  # the second tier runs one test at a time: the ratio is measured on a quieter machine


def _timed(run: Callable[[], Simulation]) -> tuple[float, Simulation]:
    gc.collect()
    started = time.process_time()  # CPU time: what other processes on the machine take is not counted
    simulation = run()
    return time.process_time() - started, simulation


def _project() -> Simulation:
    program = ROOT / "__main__.py"
    return simulate(
        lambda: runpy.run_path(str(program), run_name="__main__"),
        config={CONFIG_KEY: scale_topology(ASSETS)},
        stack="scale",
    )


def _floor() -> Simulation:
    return simulate(lambda: floor_program(ASSETS), stack="scale")


def test_building_200_assets_costs_a_bounded_multiple_of_the_sdk_floor() -> None:
    ratios = []
    for _ in range(ATTEMPTS):  # a busy moment of the machine can slow one run: the best attempt is judged
        project_seconds, project = _timed(_project)
        floor_seconds, floor = _timed(_floor)
        assert len(project.resources) == len(floor.resources) == 6 * ASSETS
        ratios.append(project_seconds / floor_seconds)
        if ratios[-1] <= RATIO_BOUND:
            break
    assert min(ratios) <= RATIO_BOUND, f"construction took {min(ratios):.2f} x the SDK floor (bound {RATIO_BOUND})"
