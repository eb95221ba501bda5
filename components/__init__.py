"""backup-topology: a multi-cloud backup topology as Pulumi components."""

from components.base import ArgsError
from components.config import Topology, load_topology
from components.cross_region_copy import CrossRegionCopy, CrossRegionCopyArgs, IbmCopyArgs, OciCopyArgs
from components.errors import Problem, TopologyError
from components.ibm.backup_policy import IbmBackupPlanArgs, IbmBackupPolicy, IbmBackupPolicyArgs
from components.ibm.snapshots import (
    SnapshotConsistencyGroup,
    SnapshotConsistencyGroupArgs,
    SnapshotWithClones,
    SnapshotWithClonesArgs,
)
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan, BootVolumeBackupPlanArgs
from components.oci.vault_backup import VaultBackup, VaultBackupArgs, VaultRestore, VaultRestoreArgs
from components.oci.volume_backup_plan import VolumeBackupPlan, VolumeBackupPlanArgs
from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan, VolumeGroupBackupPlanArgs
from components.openstack.snapshot_backup import SnapshotBackup, SnapshotBackupArgs
from components.restore_drill import RestoreDrill, RestoreDrillArgs

__all__ = [
    "ArgsError",
    "BootVolumeBackupPlan",
    "BootVolumeBackupPlanArgs",
    "CrossRegionCopy",
    "CrossRegionCopyArgs",
    "IbmBackupPlanArgs",
    "IbmBackupPolicy",
    "IbmBackupPolicyArgs",
    "IbmCopyArgs",
    "OciCopyArgs",
    "Problem",
    "RestoreDrill",
    "RestoreDrillArgs",
    "SnapshotBackup",
    "SnapshotBackupArgs",
    "SnapshotConsistencyGroup",
    "SnapshotConsistencyGroupArgs",
    "SnapshotWithClones",
    "SnapshotWithClonesArgs",
    "Topology",
    "TopologyError",
    "VaultBackup",
    "VaultBackupArgs",
    "VaultRestore",
    "VaultRestoreArgs",
    "VolumeBackupPlan",
    "VolumeBackupPlanArgs",
    "VolumeGroupBackupPlan",
    "VolumeGroupBackupPlanArgs",
    "load_topology",
]
