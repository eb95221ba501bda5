"""backup-topology: a multi-cloud backup topology as Pulumi components."""

from components.config import Topology, load_topology
from components.errors import Problem, TopologyError
from components.oci.boot_volume_backup_plan import BootVolumeBackupPlan, BootVolumeBackupPlanArgs

__all__ = [
    "BootVolumeBackupPlan",
    "BootVolumeBackupPlanArgs",
    "Problem",
    "Topology",
    "TopologyError",
    "load_topology",
]
