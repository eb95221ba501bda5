"""SnapshotBackup: a Cinder snapshot of a volume and a backup made from it (OpenStack)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Required, TypedDict

import pulumi
from pydantic import Field

from components.base import component_args
from components.config import SnapshotBackupSpec
from components.dynamic.cinder import CinderBackup, CinderSnapshot
from components.lifecycle import RetentionArgs, keep_generations, retained, series_of, with_metadata
from components.retention import SERIES_KEY

TYPE = "backup-topology:index:SnapshotBackup"


class CinderSnapshotArgs(TypedDict, total=False):
    """The snapshot part."""

    description: str
    """Snapshot description (changed in place)."""
    force: bool
    """Snapshot the volume while it is attached (`in-use`); Cinder refuses otherwise. The data is then what a power
    cut would leave on disk: crash-consistent at best (declare `consistency`)."""
    metadata: pulumi.Input[Mapping[str, str]]
    """Snapshot metadata (changed in place); the keys `backup-topology` and `backup-topology-series` are reserved."""


class CinderBackupArgs(CinderSnapshotArgs, total=False):
    """The backup part."""

    container: str
    """Backup container; default the service's."""
    incremental: bool
    """Incremental when the volume already has an available backup (the first backup is always full)."""


class TimeoutsArgs(TypedDict, total=False):
    """Deadlines, as durations (`90s`, `30m`, `2h`) or seconds."""

    create: str | int
    """Deadline of each wait (snapshot, backup, deletion); default 30m."""


class SnapshotBackupArgs(TypedDict, total=False):
    """Args of SnapshotBackup: an entry of the topology's `openstack.snapshot_backups`, and which cloud."""

    volume_id: Required[pulumi.Input[str]]
    """ID of the Cinder volume, e.g. a `blockstorage.Volume` resource's `id`."""
    trigger: Required[str]
    """Change it to take a fresh snapshot and backup (both named `<name>-<trigger>`)."""
    name: str
    """Base name of the snapshot and backup; default the resource name."""
    snapshot: CinderSnapshotArgs
    """Snapshot settings."""
    backup: CinderBackupArgs
    """Backup settings."""
    timeouts: TimeoutsArgs
    """Deadlines."""
    retention: RetentionArgs
    """Earlier backups kept (default all); those beyond it are deleted on every `up`, a chain of incremental
    backups only as a whole."""
    delete_on_removal: bool
    """Removing the component (or `pulumi destroy`) deletes every backup of the series; by default they stay."""
    cloud: str
    """Entry of clouds.yaml; default OS_CLOUD or the OS_* variables."""
    region_name: str
    """Region of the cloud."""
    consistency: Literal["crash", "application"]
    """How consistent the snapshot and the backup of a volume snapshotted in use (`force`) are: `crash`
    (crash-consistent restore points are enough) or `application` (the application is quiesced before each backup by
    `quiesce_hook`); default undeclared."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""


class SnapshotBackupInputs(SnapshotBackupSpec):
    """A snapshot and backup as the component takes them: the topology's entry and which cloud."""

    cloud: str | None = Field(None, min_length=1, description="Entry of clouds.yaml.")
    region_name: str | None = Field(None, min_length=1, description="Region of the cloud.")


class SnapshotBackup(pulumi.ComponentResource):
    """A snapshot of a Cinder volume and a backup made from it; each trigger a new generation, earlier backups kept."""

    cloud: str | None
    """Entry of clouds.yaml the backups are made in (None: OS_CLOUD or the OS_* variables)."""
    region_name: str | None
    """Region of the cloud."""
    snapshot_id: pulumi.Output[str]
    """ID of the snapshot."""
    backup_id: pulumi.Output[str]
    """ID of the backup."""
    backup_status: pulumi.Output[str]
    """`available` once made."""
    is_incremental: pulumi.Output[bool]
    """Whether Cinder made the backup incremental (the first backup of a volume is always full)."""
    size_gb: pulumi.Output[int]
    """Size of the backup."""
    generations: pulumi.Output[list[dict[str, Any]]]
    """The backups of this spec Cinder holds (id, name, created_at, incremental), newest first."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (a snapshot of a volume in use, `force`, is then
    crash-consistent at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (the stack records it and never
    runs it); None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: SnapshotBackupArgs | SnapshotBackupInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(SnapshotBackupInputs, args, f"SnapshotBackup '{resource_name}'", name=resource_name)
        connection = {"cloud": model.cloud, "region_name": model.region_name}
        super().__init__(TYPE, resource_name, None, opts)
        self.cloud = model.cloud
        self.region_name = model.region_name
        self.consistency = model.consistency
        self.quiesce_hook = model.quiesce_hook
        timeouts = model.timeouts.every_operation()
        series = series_of("cinder", model.name)
        snapshot = CinderSnapshot(
            f"{resource_name}-snapshot",
            {
                "name": model.resource_name,
                "trigger": model.trigger,
                "volume_id": model.volume_id,
                "description": model.snapshot.description,
                "force": model.snapshot.force,
                "metadata": with_metadata(model.snapshot.metadata, SERIES_KEY, series),
                "connection": connection,
                "timeouts": timeouts,
            },
            # A new trigger deletes the last snapshot before it takes the next: the backup is the restore point
            # kept, and a volume file with one snapshot at a time is what every Cinder driver backs up.
            pulumi.ResourceOptions(parent=self, delete_before_replace=True),
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
                "metadata": with_metadata(model.backup.metadata, SERIES_KEY, series),
                "connection": connection,
                "timeouts": timeouts,
            },
            retained(self, depends_on=[snapshot]),
        )
        generations = keep_generations(
            f"{resource_name}-generations",
            "cinder",
            series,
            backup.backup_id.apply(lambda i: [i]),
            model,
            {"openstack": connection, "volume_id": model.volume_id},
            timeouts,
            pulumi.ResourceOptions(parent=self),
        )
        self.snapshot_id = snapshot.snapshot_id
        self.backup_id = backup.backup_id
        self.backup_status = backup.status
        self.is_incremental = backup.is_incremental
        self.size_gb = backup.size_gb
        self.generations = generations.generations
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "cloud": self.cloud,
            "region_name": self.region_name,
            "snapshot_id": self.snapshot_id,
            "backup_id": self.backup_id,
            "backup_status": self.backup_status,
            "is_incremental": self.is_incremental,
            "size_gb": self.size_gb,
            "generations": self.generations,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }
