"""Fixtures for tests through the provider plugin: an engine stand-in per test, against a fresh plugin process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.harness import Engine, ProviderPlugin, plugin_command, plugin_env


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Callable[..., Engine]]:
    """Start the project's provider plugin (with the environment as it is now) and return an engine on it.

    Call it after the fixtures that set credentials in the environment: the plugin inherits them, as it would
    inherit the shell's when `pulumi up` starts it.
    """
    started: list[ProviderPlugin] = []

    def start(*, command: list[str] | None = None, **options: Any) -> Engine:
        plugin = ProviderPlugin(command or plugin_command(), plugin_env(), log=tmp_path / f"plugin-{len(started)}.log")
        started.append(plugin.start())
        return Engine(plugin, **options)

    yield start
    for plugin in started:
        plugin.stop()


def plugin_log(tmp_path: Path) -> str:
    """What the plugins of a test wrote to stderr (progress and tracebacks)."""
    return "\n".join(p.read_text() for p in sorted(tmp_path.glob("plugin-*.log")))
