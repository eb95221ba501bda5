"""SnapshotBackup: a Cinder snapshot of a volume and a backup made from it (OpenStack)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.base import component_args
from components.config import SnapshotBackupSpec
from components.dynamic.cinder import CinderBackup, CinderSnapshot

TYPE = "backup-topology:index:SnapshotBackup"


@dataclass
class OpenStackPlacement:
    """Which OpenStack cloud and region; credentials stay in clouds.yaml or the OS_* variables."""

    cloud: str | None = None
    """Entry of clouds.yaml; default OS_CLOUD or the OS_* variables."""
    region_name: str | None = None
    """Region of the cloud."""

    def connection(self) -> dict[str, Any]:
        """The `connection` input of the Cinder dynamic resources."""
        return {"cloud": self.cloud, "region_name": self.region_name}


class SnapshotBackup(pulumi.ComponentResource):
    """A snapshot of a Cinder volume and a backup made from it; deleted backup first, then snapshot."""

    snapshot_id: pulumi.Output[str]
    backup_id: pulumi.Output[str]
    backup_status: pulumi.Output[str]
    is_incremental: pulumi.Output[bool]
    """Whether Cinder made the backup incremental (the first backup of a volume is always full)."""
    size_gb: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        spec: SnapshotBackupSpec | Mapping[str, Any],
        placement: OpenStackPlacement | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(SnapshotBackupSpec, spec, f"SnapshotBackup '{resource_name}'")
        where = placement or OpenStackPlacement()
        super().__init__(TYPE, resource_name, None, opts)
        timeouts = {"create": model.timeouts.create, "update": model.timeouts.create, "delete": model.timeouts.create}
        snapshot = CinderSnapshot(
            f"{resource_name}-snapshot",
            {
                "name": model.resource_name,
                "trigger": model.trigger,
                "volume_id": model.volume_id,
                "description": model.snapshot.description,
                "force": model.snapshot.force,
                "metadata": dict(model.snapshot.metadata),
                "connection": where.connection(),
                "timeouts": timeouts,
            },
            pulumi.ResourceOptions(parent=self),
        )
        backup = CinderBackup(
            f"{resource_name}-backup",
            {
                "name": model.resource_name,
                "trigger": model.trigger,
                "volume_id": model.volume_id,
                "snapshot_id": snapshot.snapshot_id,
                "description": model.backup.description,
                "container": model.backup.container,
                "incremental": model.backup.incremental,
                "force": model.backup.force,
                "metadata": dict(model.backup.metadata),
                "connection": where.connection(),
                "timeouts": timeouts,
            },
            # the backup depends on its snapshot, so Pulumi deletes the backup before the snapshot
            pulumi.ResourceOptions(parent=self, depends_on=[snapshot]),
        )
        self.snapshot_id = snapshot.snapshot_id
        self.backup_id = backup.backup_id
        self.backup_status = backup.status
        self.is_incremental = backup.is_incremental
        self.size_gb = backup.size_gb
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "snapshot_id": self.snapshot_id,
            "backup_id": self.backup_id,
            "backup_status": self.backup_status,
            "is_incremental": self.is_incremental,
            "size_gb": self.size_gb,
        }
