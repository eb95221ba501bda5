"""An instance's boot volume under a custom backup policy, and a golden-image backup copied to another region."""

import pulumi
import pulumi_oci as oci

from components import BootVolumeBackupPlan, CrossRegionCopy

config = pulumi.Config()
compartment_id = config.require("compartmentId")
destination = config.get("drRegion") or "us-phoenix-1"

web = oci.core.Instance(
    "web",
    compartment_id=compartment_id,
    availability_domain=config.require("availabilityDomain"),
    shape="VM.Standard.E4.Flex",
    shape_config=oci.core.InstanceShapeConfigArgs(ocpus=1, memory_in_gbs=8),
    source_details=oci.core.InstanceSourceDetailsArgs(source_type="image", source_id=config.require("imageId")),
    create_vnic_details=oci.core.InstanceCreateVnicDetailsArgs(subnet_id=config.require("subnetId")),
)

plan = BootVolumeBackupPlan(
    "web",
    {
        "compartment_id": compartment_id,
        "policy": {
            "schedules": [
                {"backup_type": "incremental", "period": "day", "hour_of_day": 2, "retention_days": 14},
                {"backup_type": "full", "period": "week", "day_of_week": "sunday", "retention_days": 35},
            ],
            "destination_region": destination,
        },
        "boot_volumes": [{"id": web.boot_volume_id, "name": "web-1"}],  # the instance's boot volume
        "manual_backups": [{"name": "golden-image", "boot_volume_id": web.boot_volume_id}],
    },
)

# The golden image, copied in the same `up` that takes it, through a provider of the destination region.
copy = CrossRegionCopy(
    "web-golden-dr",
    {
        "destination_region": destination,
        "oci": {
            "source": plan,
            "manual_backup": "golden-image",
            "destination_provider": oci.Provider("dr", region=destination),
        },
    },
)

pulumi.export("policy_id", plan.policy_id)
pulumi.export("assignment_ids", plan.assignment_ids)
pulumi.export("golden_image_copy_id", copy.copy_id)
