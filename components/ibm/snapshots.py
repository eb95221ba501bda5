"""SnapshotWithClones and SnapshotConsistencyGroup: IBM Cloud VPC snapshots as components."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.base import component_args
from components.config import HOURS_PER_MONTH, IbmConsistencyGroupSpec, IbmSnapshotSpec
from components.dynamic.ibm_snapshot import IbmSnapshot, IbmSnapshotConsistencyGroup

SNAPSHOT_TYPE = "backup-topology:index:SnapshotWithClones"
GROUP_TYPE = "backup-topology:index:SnapshotConsistencyGroup"


@dataclass
class IbmPlacement:
    """Where IBM resources are made: region, API endpoint, default resource group and clone pricing."""

    region: str
    """VPC region of the volumes, e.g. `us-south`."""
    endpoint: str | None = None
    """VPC API URL; default the region's public one."""
    resource_group_id: str | None = None
    """Resource group used when a spec names none."""
    clone_zone_hourly_rate: float | None = None
    """Price of one fast-restore clone in one zone for one hour (for the cost estimate)."""
    currency: str = "USD"
    """Currency of the rate."""

    def connection(self) -> dict[str, Any]:
        """The `connection` input of IBM dynamic resources."""
        return {"region": self.region, "endpoint": self.endpoint}


def _timeouts(create: int) -> dict[str, int]:
    return {"create": create, "update": create, "delete": create}


class SnapshotWithClones(pulumi.ComponentResource):
    """A snapshot of an IBM Cloud VPC volume with fast-restore clones in zones, and what the clones cost."""

    snapshot_name: str
    """The snapshot's name in IBM Cloud (`<name>-<trigger>`)."""
    trigger: str
    """The trigger the snapshot was taken for."""
    snapshot_id: pulumi.Output[str]
    crn: pulumi.Output[str]
    lifecycle_state: pulumi.Output[str]
    clones: pulumi.Output[dict[str, Any]]
    """Per zone: {available: bool}."""
    size_gb: pulumi.Output[int]
    encryption: pulumi.Output[str]
    clone_zone_hours_per_month: int
    """Fast-restore clones are billed per zone and hour, whatever the snapshot's size."""
    monthly_clone_cost: float | None
    """clone_zone_hours_per_month times the configured hourly rate; None without a rate."""

    def __init__(
        self,
        resource_name: str,
        spec: IbmSnapshotSpec | Mapping[str, Any],
        placement: IbmPlacement,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(IbmSnapshotSpec, spec, f"SnapshotWithClones '{resource_name}'")
        super().__init__(SNAPSHOT_TYPE, resource_name, None, opts)
        snapshot = IbmSnapshot(
            f"{resource_name}-snapshot",
            {
                "name": model.snapshot_name,
                "trigger": model.trigger,
                "source_volume_id": model.volume_id,
                "resource_group_id": model.resource_group_id or placement.resource_group_id,
                "user_tags": list(model.user_tags),
                "clone_zones": list(model.clone_zones),
                "connection": placement.connection(),
                "timeouts": _timeouts(model.timeouts.create),
            },
            pulumi.ResourceOptions(parent=self),
        )
        self.snapshot_name = model.snapshot_name
        self.trigger = model.trigger
        self.snapshot_id = snapshot.snapshot_id
        self.crn = snapshot.crn
        self.lifecycle_state = snapshot.lifecycle_state
        self.clones = snapshot.clones
        self.size_gb = snapshot.size_gb
        self.encryption = snapshot.encryption
        self.clone_zone_hours_per_month = len(model.clone_zones) * HOURS_PER_MONTH
        rate = placement.clone_zone_hourly_rate
        self.monthly_clone_cost = round(self.clone_zone_hours_per_month * rate, 2) if rate is not None else None
        self.currency = placement.currency
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "snapshot_name": self.snapshot_name,
            "snapshot_id": self.snapshot_id,
            "crn": self.crn,
            "lifecycle_state": self.lifecycle_state,
            "clones": self.clones,
            "size_gb": self.size_gb,
            "encryption": self.encryption,
            "clone_zone_hours_per_month": self.clone_zone_hours_per_month,
            "monthly_clone_cost": self.monthly_clone_cost,
            "currency": self.currency if self.monthly_clone_cost is not None else None,
        }


class SnapshotConsistencyGroup(pulumi.ComponentResource):
    """Snapshots of several first-generation volumes taken at the same time."""

    group_id: pulumi.Output[str]
    crn: pulumi.Output[str]
    lifecycle_state: pulumi.Output[str]
    snapshot_ids: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        spec: IbmConsistencyGroupSpec | Mapping[str, Any],
        placement: IbmPlacement,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(IbmConsistencyGroupSpec, spec, f"SnapshotConsistencyGroup '{resource_name}'")
        super().__init__(GROUP_TYPE, resource_name, None, opts)
        group = IbmSnapshotConsistencyGroup(
            f"{resource_name}-group",
            {
                "name": model.group_name,
                "trigger": model.trigger,
                "source_volume_ids": list(model.volume_ids),
                "resource_group_id": model.resource_group_id or placement.resource_group_id,
                "delete_snapshots_on_delete": model.delete_snapshots_on_delete,
                "connection": placement.connection(),
                "timeouts": _timeouts(model.timeouts.create),
            },
            pulumi.ResourceOptions(parent=self),
        )
        self.group_id = group.group_id
        self.crn = group.crn
        self.lifecycle_state = group.lifecycle_state
        self.snapshot_ids = group.snapshot_ids
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "group_id": self.group_id,
            "crn": self.crn,
            "lifecycle_state": self.lifecycle_state,
            "snapshot_ids": self.snapshot_ids,
        }
