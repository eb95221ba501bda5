"""A block volume made by another stack: a snapshot with fast-restore clones, copied to another region."""

import pulumi

from components import CrossRegionCopy, SnapshotWithClones

config = pulumi.Config()
infra = pulumi.StackReference(config.require("infraStack"))  # the stack that made the volume
trigger = config.get("snapshotTrigger") or "2026-11-23"

snapshot = SnapshotWithClones(
    "orders-db",
    {
        "volume_id": infra.get_output("orders_db_volume_id"),
        "region": "us-south",
        "clone_zones": ["us-south-2", "us-south-3"],
        "user_tags": ["env:prod", "app:orders"],
        "trigger": trigger,
        "clone_zone_hourly_rate": 0.25,
    },
)
copy = CrossRegionCopy("orders-db-dr", {"destination_region": "us-east", "ibm": {"source": snapshot}})

pulumi.export("snapshot_id", snapshot.snapshot_id)
pulumi.export("monthly_clone_cost", snapshot.monthly_clone_cost)
pulumi.export("copy_id", copy.copy_id)
