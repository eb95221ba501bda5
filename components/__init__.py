"""backup-topology: a multi-cloud backup topology as Pulumi components.

The names below are imported when first used: a process that needs one component (the provider plugin serving a
dynamic resource, a program using one cloud) does not load every cloud's SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_MODULES: dict[str, str] = {
    "ArgsError": "components.base",
    "Topology": "components.config",
    "load_topology": "components.config",
    "CrossRegionCopy": "components.cross_region_copy",
    "CrossRegionCopyArgs": "components.cross_region_copy",
    "IbmCopyArgs": "components.cross_region_copy",
    "OciCopyArgs": "components.cross_region_copy",
    "Problem": "components.errors",
    "TopologyError": "components.errors",
    "IbmBackupPlanArgs": "components.ibm.backup_policy",
    "IbmBackupPolicy": "components.ibm.backup_policy",
    "IbmBackupPolicyArgs": "components.ibm.backup_policy",
    "SnapshotConsistencyGroup": "components.ibm.snapshots",
    "SnapshotConsistencyGroupArgs": "components.ibm.snapshots",
    "SnapshotWithClones": "components.ibm.snapshots",
    "SnapshotWithClonesArgs": "components.ibm.snapshots",
    "BootVolumeBackupPlan": "components.oci.boot_volume_backup_plan",
    "BootVolumeBackupPlanArgs": "components.oci.boot_volume_backup_plan",
    "VaultBackup": "components.oci.vault_backup",
    "VaultBackupArgs": "components.oci.vault_backup",
    "VaultRestore": "components.oci.vault_backup",
    "VaultRestoreArgs": "components.oci.vault_backup",
    "VolumeBackupPlan": "components.oci.volume_backup_plan",
    "VolumeBackupPlanArgs": "components.oci.volume_backup_plan",
    "VolumeGroupBackupPlan": "components.oci.volume_group_backup_plan",
    "VolumeGroupBackupPlanArgs": "components.oci.volume_group_backup_plan",
    "SnapshotBackup": "components.openstack.snapshot_backup",
    "SnapshotBackupArgs": "components.openstack.snapshot_backup",
    "RestoreDrill": "components.restore_drill",
    "RestoreDrillArgs": "components.restore_drill",
}
"""Where each public name is defined."""


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        msg = f"module 'components' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
