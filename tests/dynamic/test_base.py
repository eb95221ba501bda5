"""The dynamic provider base: unknowns as the provider server hands them, numbers by value, states without a trigger."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from components.dynamic.base import UNKNOWN, is_unknown
from components.dynamic.cinder import CinderBackupProvider, CinderSnapshotProvider


def snapshot(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "build-t1",
        "trigger": "t1",
        "volume_id": "6b3f2a4e-5b1d-4f59-9a7e-1f1c2d3e4f50",
        "metadata": {"team": "build"},
        "timeouts": {"create": 1800, "update": 1800, "delete": 1800},
    }
    props.update(changes)
    return props


@pytest.mark.parametrize(
    "value",
    [Unknown(), UNKNOWN, {"region": Unknown()}, ["a", Unknown()], {"nested": [{"deep": UNKNOWN}]}],
)
def test_unknowns_are_found_as_objects_or_as_the_wire_string_at_any_depth(value: Any) -> None:
    assert is_unknown(value)


@pytest.mark.parametrize("value", ["known", 3, None, {"a": "b"}, ["x"], {"n": [1.0]}])
def test_known_values_are_not_unknown(value: Any) -> None:
    assert not is_unknown(value)


def test_an_unknown_snapshot_id_in_a_preview_is_no_check_failure() -> None:
    news = {"name": "build-t1", "trigger": "t1", "volume_id": "v", "snapshot_id": Unknown()}
    assert CinderBackupProvider().check({}, news).failures == []


def test_numbers_compare_by_value_as_the_engine_sends_every_number_as_a_float() -> None:
    olds = snapshot()
    news = snapshot(timeouts={"create": 1800.0, "update": 1800.0, "delete": 1800.0})
    assert CinderSnapshotProvider().diff("id", olds, news).changes is False


def test_a_new_trigger_replaces_and_a_new_name_alone_is_a_rename_in_place() -> None:
    provider = CinderSnapshotProvider()
    assert provider.diff("id", snapshot(), snapshot(trigger="t2", name="build-t2")).replaces == ["trigger"]
    renamed = provider.diff("id", snapshot(name="renamed-by-hand"), snapshot())
    assert (renamed.changes, renamed.replaces) == (True, [])


def test_a_state_written_before_trigger_was_an_input_replaces_on_a_new_name_only() -> None:
    provider = CinderSnapshotProvider()
    legacy = {k: v for k, v in snapshot().items() if k != "trigger"}
    assert provider.diff("id", legacy, snapshot()).changes is False  # no trigger in the state: not a change
    assert provider.diff("id", legacy, snapshot(trigger="t2", name="build-t2")).replaces == ["name"]


def test_a_replacement_that_would_keep_the_name_is_refused_before_any_cloud_call() -> None:
    # Same trigger (same name): the new backup would be found by that name and adopted, then the engine would
    # delete the old one, which is that same backup. The change needs a new trigger.
    olds = {"name": "build-t1", "trigger": "t1", "volume_id": "v", "snapshot_id": "s", "incremental": False}
    failures = CinderBackupProvider().check(olds, {**olds, "incremental": True}).failures
    assert [(f.property, f.reason) for f in failures] == [
        (
            "incremental",
            "cannot change in place, and a replacement would take the same name (build-t1): "
            "change `trigger` with it to take a new one",
        )
    ]
    renamed = {**olds, "incremental": True, "trigger": "t2", "name": "build-t2"}
    assert CinderBackupProvider().diff("id", olds, renamed).replaces == ["incremental", "trigger"]


def test_how_the_cloud_is_reached_and_a_remade_source_snapshot_change_nothing_in_the_cloud() -> None:
    olds = {"name": "build-t1", "trigger": "t1", "volume_id": "v", "snapshot_id": "s1", "connection": {}}
    news = {**olds, "snapshot_id": "s2", "connection": {"cloud": "prod"}}
    diff = CinderBackupProvider().diff("id", olds, news)
    assert (diff.changes, diff.replaces) == (True, [])
