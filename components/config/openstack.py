"""Topology models of OpenStack: Cinder snapshots and the backups made from them."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from components.config.base import Consistent, Lifecycle, Model, Name, OperationTimeouts, Ref, Trigger

MetadataKey = Annotated[str, Field(min_length=1, max_length=255)]


def _no_marker(value: dict[str, str]) -> dict[str, str]:
    for key in ("backup-topology", "backup-topology-series"):
        if key in value:
            msg = f"the key '{key}' is reserved: it marks what this tool made"
            raise ValueError(msg)
    return value


Metadata = Annotated[dict[MetadataKey, Annotated[str, Field(max_length=255)]], AfterValidator(_no_marker)]
VolumeId = Annotated[str, Field(min_length=1)]


class CinderSnapshotSpec(Model):
    """The snapshot part of a SnapshotBackup."""

    description: str | None = Field(None, max_length=255, description="Snapshot description.")
    force: bool = Field(
        False,
        description="Snapshot the volume even while it is attached (in-use): crash-consistent at best, "
        "see consistency.",
    )
    metadata: Ref[Metadata] = Field(default_factory=dict, description="Snapshot metadata.")


class CinderBackupSpec(Model):
    """The backup part of a SnapshotBackup."""

    description: str | None = Field(None, max_length=255, description="Backup description.")
    container: str | None = Field(
        None, min_length=1, max_length=255, description="Backup container; leave it out for the service's default."
    )
    incremental: bool = Field(False, description="Incremental when the volume has an earlier backup; else full.")
    force: bool = Field(
        False, description="Back up even while the volume is attached (in-use): crash-consistent at best."
    )
    metadata: Ref[Metadata] = Field(default_factory=dict, description="Backup metadata.")


class SnapshotBackupSpec(Lifecycle, Consistent):
    """A Cinder snapshot of a volume and a backup made from that snapshot."""

    name: Name = Field(description="Name unique in the stack; snapshot and backup are named `<name>-<trigger>`.")
    volume_id: Ref[VolumeId] = Field(description="ID of the Cinder volume.")
    snapshot: CinderSnapshotSpec = Field(default_factory=CinderSnapshotSpec, description="Snapshot settings.")
    backup: CinderBackupSpec = Field(default_factory=CinderBackupSpec, description="Backup settings.")
    trigger: Trigger = Field(description="Change it to take a fresh snapshot and backup.")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @property
    def resource_name(self) -> str:
        """The snapshot's and the backup's name in Cinder."""
        return f"{self.name}-{self.trigger}"


class OpenStackSection(Model):
    """Everything on OpenStack: which cloud, and the volumes protected there."""

    cloud: str | None = Field(
        None, min_length=1, description="Entry of clouds.yaml to use; default OS_CLOUD or the OS_* variables."
    )
    region_name: str | None = Field(None, min_length=1, description="Region of the cloud, e.g. RegionOne.")
    snapshot_backups: list[SnapshotBackupSpec] = Field(
        default_factory=list, description="Snapshots and backups made from them."
    )
