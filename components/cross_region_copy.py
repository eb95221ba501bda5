"""CrossRegionCopy: an IBM snapshot copied to another region, or an OCI boot volume backup copied to another region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_oci as oci

from components.base import args_problem, component_args
from components.config import CopySpec
from components.dynamic.ibm_snapshot import IbmSnapshotCopy
from components.ibm.snapshots import IbmPlacement, SnapshotWithClones
from components.oci.ocid import parse_ocid

TYPE = "backup-topology:index:CrossRegionCopy"


class CrossRegionCopy(pulumi.ComponentResource):
    """A copy of a backup in another region, through a client or provider of the destination region."""

    destination_region: str
    copy_id: pulumi.Output[str]
    """ID (IBM) or OCID (OCI) of the copy."""
    crn: pulumi.Output[str] | None
    """CRN of an IBM copy."""

    def __init__(
        self,
        resource_name: str,
        spec: CopySpec | Mapping[str, Any],
        *,
        ibm_source: SnapshotWithClones | None = None,
        ibm_source_placement: IbmPlacement | None = None,
        ibm_destination_endpoint: str | None = None,
        oci_destination_provider: pulumi.ProviderResource | None = None,
        oci_source_region: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"CrossRegionCopy '{resource_name}'"
        model = component_args(CopySpec, spec, owner)
        super().__init__(TYPE, resource_name, None, opts)
        self.crn = None
        if model.ibm is not None:
            if ibm_source is None or ibm_source_placement is None:
                raise args_problem(owner, "ibm.snapshot", "the source SnapshotWithClones and its placement are needed")
            self.destination_region = model.ibm.destination_region
            copy = IbmSnapshotCopy(
                f"{resource_name}-copy",
                {
                    # A new source snapshot (new trigger) gets a new copy, with a name of its own.
                    "name": f"{model.name}-{ibm_source.trigger}",
                    "trigger": ibm_source.trigger,
                    "source_snapshot_id": ibm_source.snapshot_id,
                    "source": ibm_source_placement.connection(),
                    "destination": {"region": model.ibm.destination_region, "endpoint": ibm_destination_endpoint},
                    "encryption_key_crn": model.ibm.encryption_key_crn,
                    "resource_group_id": model.ibm.resource_group_id or ibm_source_placement.resource_group_id,
                    "allow_source_over_10tb": model.ibm.allow_source_over_10tb,
                    "timeouts": {"create": model.timeouts.create, "update": 300, "delete": model.timeouts.create},
                },
                pulumi.ResourceOptions(parent=self, depends_on=[ibm_source]),
            )
            self.copy_id = copy.snapshot_id
            self.crn = copy.crn
        else:
            assert model.oci is not None
            spec_oci = model.oci
            parsed = parse_ocid(spec_oci.source_backup_id)
            source_region = (parsed.region if parsed else None) or oci_source_region
            if source_region is None:
                raise args_problem(
                    owner, "oci.source_backup_id", "the source region is unknown: give oci_source_region"
                )
            self.destination_region = spec_oci.destination_region
            backup = oci.core.BootVolumeBackup(
                f"{resource_name}-copy",
                display_name=spec_oci.display_name or model.name,
                source_details=oci.core.BootVolumeBackupSourceDetailsArgs(
                    region=source_region,
                    boot_volume_backup_id=spec_oci.source_backup_id,
                    kms_key_id=spec_oci.kms_key_id,
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=oci_destination_provider),
            )
            self.copy_id = backup.id
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {"destination_region": self.destination_region, "copy_id": self.copy_id, "crn": self.crn}
