"""A Cinder volume and a snapshot of it with a backup made from that snapshot."""

import pulumi
import pulumi_openstack as openstack

from components import SnapshotBackup

config = pulumi.Config()
volume = openstack.blockstorage.Volume("build", size=10, description="build server data")

backup = SnapshotBackup(
    "build",
    {
        "volume_id": volume.id,
        "snapshot": {"description": "before the toolchain upgrade", "metadata": {"team": "build"}},
        "backup": {"incremental": True},
        "trigger": config.get("backupTrigger") or "2026-11-23",
    },
)

pulumi.export("backup_id", backup.backup_id)
pulumi.export("is_incremental", backup.is_incremental)
