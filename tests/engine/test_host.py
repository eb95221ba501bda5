"""The project's provider plugin (components/dynamic/host.py): the SDK's server, more operations at once, previews."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2

from components.dynamic.host import DEFAULT_WORKERS, WORKERS_ENV, preview_update, workers
from components.ibm.snapshots import SnapshotWithClones
from tests.conftest import ROOT
from tests.engine.harness import (
    Engine,
    ProviderPlugin,
    plugin_command,
    plugin_env,
    registrations,
    running_plugin,
    stock_plugin_command,
)
from tests.fakes.ibm_vpc import VpcCloud, VpcStub

K = 12


def test_pulumi_yaml_names_the_host_as_the_projects_python_dynamic_provider() -> None:
    [command] = plugin_command()
    assert Path(command) == ROOT / "components" / "dynamic" / "pulumi-resource-pulumi-python"
    assert Path(command).stat().st_mode & 0o111  # executable, as the CLI requires


def test_the_host_says_it_supports_previews_and_the_sdks_server_does_not() -> None:
    with running_plugin(plugin_command()) as ours, running_plugin(stock_plugin_command()) as stock:
        assert ours.supports_preview is True
        assert stock.supports_preview is False


@pytest.mark.parametrize(
    ("raw", "size"), [("", DEFAULT_WORKERS), ("8", 8), ("0", DEFAULT_WORKERS), ("lots", DEFAULT_WORKERS)]
)
def test_the_pool_size_comes_from_the_environment_when_it_is_sensible(
    raw: str, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WORKERS_ENV, raw)
    assert workers() == size


def test_a_previewed_update_keeps_the_ids_and_leaves_what_it_may_change_unknown() -> None:
    olds, news = struct_pb2.Struct(), struct_pb2.Struct()
    olds.update({"name": "a-t1", "snapshot_id": "id-1", "crn": "crn:v1:x", "status": "available", "clones": {}})
    news.update({"name": "a-t1", "description": "new"})
    merged = dict(preview_update(olds, news))
    assert merged == {"name": "a-t1", "description": "new", "snapshot_id": "id-1", "crn": "crn:v1:x"}


def test_previews_of_create_and_update_call_no_cloud(cloud: Any, engine: Callable[..., Engine]) -> None:
    state, stubs = cloud
    where = {"region": "us-south", "endpoint": stubs["us-south"].url}
    spec = {"name": "db", "volume_id": "r006-0001-volume", "clone_zones": ["us-south-2"], "trigger": "t1", **where}
    stack = engine()
    stack.preview(lambda: SnapshotWithClones("db", spec))
    assert [r.method for r in state.requests if r.method != "GET"] == []
    stack.up(lambda: SnapshotWithClones("db", spec))
    before = len(state.requests)
    changed = {**spec, "clone_zones": ["us-south-2", "us-south-3"]}
    preview = stack.preview(lambda: SnapshotWithClones("db", changed))
    assert preview.of("db-snapshot") == ["update"]
    assert state.requests[before:] == []


# --- more than 4 operations at once ----------------------------------------------------------------------


def _slow_snapshots(stubs: dict[str, VpcStub]) -> list[Any]:
    where = {"region": "us-south", "endpoint": stubs["us-south"].url}

    def program() -> None:
        for i in range(K):
            spec = {"name": f"vol-{i}", "volume_id": f"r006-par-{i}", "trigger": "t1", "timeouts": {"create": "120s"}}
            SnapshotWithClones(f"vol-{i}", {**spec, **where})

    return registrations(program)


def _creates_and_a_check(plugin: ProviderPlugin, found: list[Any]) -> tuple[list[float], float]:
    """K creates at once, and a Check sent once they are under way: when each create ended, and the check."""
    ended: list[float] = []
    lock = threading.Lock()

    def create(registration: Any) -> None:
        registration.create(plugin)
        with lock:
            ended.append(time.monotonic())

    with ThreadPoolExecutor(max_workers=K) as pool:
        futures = [pool.submit(create, r) for r in found]
        time.sleep(1.0)  # let every create reach the plugin
        found[0].check(plugin)
        checked = time.monotonic()
        for future in futures:
            future.result()
    return ended, checked


@pytest.mark.parametrize(("command", "together"), [(plugin_command, K), (stock_plugin_command, 4)])
def test_creates_run_together_and_a_check_is_not_queued_behind_them(
    command: Callable[[], list[str]], together: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VPC_AUTH_TYPE", "bearerToken")
    monkeypatch.setenv("VPC_BEARER_TOKEN", "t")
    state = VpcCloud("t", ready_after=1, ready_after_seconds=2.0)
    state.add_region("us-south")
    stub = VpcStub(state, "us-south").start()
    try:
        for i in range(K):
            state.add_volume(f"r006-par-{i}", "us-south")
        found = _slow_snapshots({"us-south": stub})
        with running_plugin(command(), plugin_env(), tmp_path / "plugin.log") as plugin:
            ended, checked = _creates_and_a_check(plugin, found)
    finally:
        stub.stop()
    assert state.max_pending == together  # the SDK's own server runs 4 creates at once; the host all of them
    if together == K:
        assert checked < min(ended)  # the check answered while every create was still waiting
    assert len(state.snapshots) == K
