"""What components share about generations: the series marker, retention args, and the Generations resource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi

from components.config.base import Lifecycle
from components.dynamic.generations import Generations, Kind
from components.retention import series_name


class RetentionArgs(TypedDict, total=False):
    """Which earlier generations are kept: a generation beyond either limit is deleted (never the current one)."""

    keep_last: int
    """Keep the newest N generations (the current one counts)."""
    max_age_days: int
    """Delete generations older than this many days."""


def series_of(kind: str, name: str) -> str:
    """The series of one spec of this stack (`<organization>/<project>/<stack>/<kind>/<name>`): what its
    generations carry, so that no other stack or entry takes them for its own."""
    # Stacks of the DIY backends (`pulumi login --local`, buckets) all belong to the organization "organization".
    organization = pulumi.get_organization() or "organization"
    return series_name(organization, pulumi.get_project(), pulumi.get_stack(), f"{kind}/{name}")


def retained(parent: pulumi.Resource, **extra: Any) -> pulumi.ResourceOptions:
    """Options of a generation's resource: the engine never deletes it (a new trigger or a removal leaves it);
    Generations deletes it by retention, or on removal when the spec says delete_on_removal."""
    return pulumi.ResourceOptions(parent=parent, retain_on_delete=True, **extra)


def with_tag(tags: pulumi.Input[Sequence[str]], *added: str | None) -> pulumi.Output[list[str]]:
    """The user tags with the series tag (and any other tag given) added, each once."""
    extra = [tag for tag in added if tag]
    return pulumi.Output.from_input(tags).apply(lambda given: [*dict.fromkeys([*(given or []), *extra])])


def with_metadata(metadata: pulumi.Input[Mapping[str, str]], key: str, value: str) -> pulumi.Output[dict[str, str]]:
    """The metadata with the series entry added."""
    return pulumi.Output.from_input(metadata).apply(lambda given: {**dict(given or {}), key: value})


def keep_generations(
    name: str,
    kind: Kind,
    series: str,
    current: pulumi.Input[Sequence[str]],
    lifecycle: Lifecycle,
    cloud: Mapping[str, Any],
    timeouts: Mapping[str, int],
    opts: pulumi.ResourceOptions,
) -> Generations:
    """The Generations resource of one spec: `cloud` says where (`ibm`, or `openstack` and `volume_id`)."""
    retention = lifecycle.retention
    return Generations(
        name,
        {
            "kind": kind,
            "series": series,
            "current": current,
            "keep_last": retention.keep_last if retention is not None else None,
            "max_age_days": retention.max_age_days if retention is not None else None,
            "delete_on_removal": lifecycle.delete_on_removal,
            **cloud,
            "timeouts": dict(timeouts),
        },
        opts,
    )
