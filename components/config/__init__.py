"""The backup topology (stack config `backup-topology:topology`): models per cloud, the shared base and the loader."""

from components.config.base import Model, OperationTimeouts, problems_from_validation
from components.config.copies import CopySpec, IbmCopySpec, OciCopySpec
from components.config.ibm import (
    HOURS_PER_MONTH,
    IbmBackupPlanSpec,
    IbmBackupPolicySpec,
    IbmConsistencyGroupSpec,
    IbmSection,
    IbmSnapshotSpec,
)
from components.config.loader import CONFIG_KEY, Topology, load_topology, stack_problems
from components.config.oci import (
    PERIODS,
    BlockVolumeRef,
    BootVolumePlan,
    BootVolumeRef,
    CustomPolicy,
    GroupManualBackup,
    ManualBackup,
    OciSection,
    Schedule,
    VaultBackupSpec,
    VaultRestoreSpec,
    VolumeGroupPlan,
    VolumePlan,
    resource_key,
)
from components.config.openstack import OpenStackSection, SnapshotBackupSpec

__all__ = [
    "CONFIG_KEY",
    "HOURS_PER_MONTH",
    "PERIODS",
    "BlockVolumeRef",
    "BootVolumePlan",
    "BootVolumeRef",
    "CopySpec",
    "CustomPolicy",
    "GroupManualBackup",
    "IbmBackupPlanSpec",
    "IbmBackupPolicySpec",
    "IbmConsistencyGroupSpec",
    "IbmCopySpec",
    "IbmSection",
    "IbmSnapshotSpec",
    "ManualBackup",
    "Model",
    "OciCopySpec",
    "OciSection",
    "OpenStackSection",
    "OperationTimeouts",
    "Schedule",
    "SnapshotBackupSpec",
    "Topology",
    "VaultBackupSpec",
    "VaultRestoreSpec",
    "VolumeGroupPlan",
    "VolumePlan",
    "load_topology",
    "problems_from_validation",
    "resource_key",
    "stack_problems",
]
