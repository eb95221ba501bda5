"""A stack of N IBM snapshot assets (issue 27), and the SDK's floor at the same N: what bench/engine_scale.py runs
through the real CLI and tests/test_scale.py under mocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

REGION = "us-south"
DESTINATION = "us-east"


def volume_id(i: int) -> str:
    return f"r006-scale-{i:04d}-volume"


def scale_topology(assets: int, endpoints: Mapping[str, str] | None = None) -> dict[str, Any]:
    """N snapshots with a fast-restore clone each, and a copy of each in us-east, all with retention (keep_last 7,
    max_age_days 30) and delete_on_removal: 2 components and 4 dynamic resources per asset."""
    lifecycle = {"retention": {"keep_last": 7, "max_age_days": 30}, "delete_on_removal": True}
    return {
        "ibm": {
            "region": REGION,
            **({"endpoints": dict(endpoints)} if endpoints else {}),
            "snapshots": [
                {
                    "name": f"vol{i:04d}",
                    "volume_id": volume_id(i),
                    "clone_zones": [f"{REGION}-2"],
                    "user_tags": ["env:scale"],
                    "trigger": "t1",
                    "timeouts": {"create": "10m"},
                    **lifecycle,
                }
                for i in range(assets)
            ],
        },
        "copies": [
            {
                "name": f"vol{i:04d}-dr",
                "ibm": {"snapshot": f"vol{i:04d}", "destination_region": DESTINATION},
                **lifecycle,
            }
            for i in range(assets)
        ],
    }


class Nothing(ResourceProvider):
    """A dynamic provider that does nothing (defined in a module, so the SDK pickles it by reference)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(props["name"]), props)


class Plain(Resource):
    """A dynamic resource of `Nothing`."""

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(Nothing(), name, props, opts)


class _Asset(pulumi.ComponentResource):
    def __init__(self, kind: str, name: str, props: dict[str, Any]) -> None:
        super().__init__(f"floor:index:{kind}", name, None)
        self.made = Plain(f"{name}-{kind.lower()}", props, pulumi.ResourceOptions(parent=self))
        Plain(
            f"{name}-generations",
            {"name": f"{name}-series", "current": self.made.id},
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"id": self.made.id})


def floor_program(assets: int) -> None:
    """The floor: per asset, what the stack registers (2 components, 4 dynamic resources, the copy taking the
    snapshot's ID), with plain resources whose provider does nothing."""
    for i in range(assets):
        snapshot = _Asset("Snapshot", f"vol{i:04d}", {"name": f"vol{i:04d}-t1", "volume_id": volume_id(i)})
        _Asset("Copy", f"vol{i:04d}-dr", {"name": f"vol{i:04d}-dr-t1", "source_id": snapshot.made.id})
