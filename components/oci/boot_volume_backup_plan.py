"""BootVolumeBackupPlan: the volume plan under its first name, for the stacks and programs written with it."""

from __future__ import annotations

from components.oci.volume_backup_plan import (
    BlockVolumeArgs,
    BootVolumeArgs,
    CustomPolicyArgs,
    ManualBackupArgs,
    ProtectionArgs,
    RetentionPeriodArgs,
    ScheduleArgs,
    TimeoutsArgs,
    VolumeBackupPlan,
    VolumeBackupPlanArgs,
)

TYPE = "backup-topology:index:BootVolumeBackupPlan"

BootVolumeBackupPlanArgs = VolumeBackupPlanArgs
"""Args of BootVolumeBackupPlan: those of VolumeBackupPlan (one `oci.boot_volume_plans[]` entry)."""

__all__ = [
    "TYPE",
    "BlockVolumeArgs",
    "BootVolumeArgs",
    "BootVolumeBackupPlan",
    "BootVolumeBackupPlanArgs",
    "CustomPolicyArgs",
    "ManualBackupArgs",
    "ProtectionArgs",
    "RetentionPeriodArgs",
    "ScheduleArgs",
    "TimeoutsArgs",
]


class BootVolumeBackupPlan(VolumeBackupPlan):
    """A VolumeBackupPlan registered as `backup-topology:index:BootVolumeBackupPlan`: the plans of
    `oci.boot_volume_plans` keep the type (and so the URNs of every child) they were first made with, block volumes
    included."""

    type_token = TYPE
