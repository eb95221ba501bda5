"""Topology models of cross-region copies: IBM snapshot copies and OCI boot volume backup copies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from components.config.base import DisplayName, Lifecycle, Model, Name, OperationTimeouts, Ref
from components.config.ibm import IbmName, IbmRegion, KeyCrn
from components.config.oci import KeyId, OciRegion, _ocid
from components.errors import FieldProblemError


class IbmCopySpec(Model):
    """A copy in another region of one of `ibm.snapshots`, or of every snapshot of one of `ibm.consistency_groups`."""

    snapshot: IbmName | None = Field(None, description="`name` of the snapshot in ibm.snapshots to copy.")
    consistency_group: IbmName | None = Field(
        None, description="`name` of a group in ibm.consistency_groups: each of its snapshots is copied."
    )
    destination_region: IbmRegion = Field(description="Region of the copy.")
    encryption_key_crn: Ref[KeyCrn] | None = Field(
        None,
        description="Root key (CRN of a Key Protect or Hyper Protect Crypto Services key) encrypting the copy: "
        "required exactly when the source is customer-managed encrypted.",
    )
    resource_group_id: Ref[str] | None = Field(
        None, description="Resource group of the copy; default ibm.resource_group_id."
    )
    allow_source_over_10tb: bool = Field(
        False,
        description="Copy a snapshot of a volume over 10 TB (IBM Cloud allows it to accounts with special access).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> IbmCopySpec:
        if (self.snapshot is None) == (self.consistency_group is None):
            raise FieldProblemError([(("snapshot",), "give exactly one of snapshot or consistency_group")])
        return self

    @property
    def source(self) -> str:
        """The name of the source in the topology (a snapshot or a consistency group)."""
        return str(self.snapshot or self.consistency_group)


BootVolumeBackupId = Annotated[str, _ocid("bootvolumebackup")]
VolumeBackupId = Annotated[str, _ocid("bootvolumebackup", "volumebackup")]
"""A backup of a boot volume or of a block volume."""
VolumeGroupBackupId = Annotated[str, _ocid("volumegroupbackup")]
OciBackupId = Annotated[str, _ocid("bootvolumebackup", "volumebackup", "volumegroupbackup")]
"""A backup of a boot volume, a block volume or a volume group."""


class PlanBackupRef(Model):
    """A manual backup of one of the stack's volume or volume group plans, copied in the same `up` that makes it."""

    plan: Name = Field(
        description="`name` of the plan in oci.boot_volume_plans, oci.volume_plans or oci.volume_group_plans."
    )
    manual_backup: Name = Field(description="`name` of one of that plan's manual_backups.")


class OciCopySpec(Model):
    """A copy of an OCI boot volume, block volume or volume group backup in another region (native BootVolumeBackup,
    VolumeBackup or VolumeGroupBackup with source_details)."""

    source_backup_id: Ref[OciBackupId] | None = Field(
        None, description="Boot volume, block volume or volume group backup OCID."
    )
    source: PlanBackupRef | None = Field(None, description="A manual backup of a plan of this stack.")
    destination_region: OciRegion = Field(description="Region of the copy.")
    kms_key_id: Ref[KeyId] | None = Field(None, description="Vault key in the destination region encrypting the copy.")
    display_name: DisplayName | None = Field(None, description="Name of the copy; default the copy's name.")

    @model_validator(mode="after")
    def _one_source(self) -> OciCopySpec:
        if (self.source_backup_id is None) == (self.source is None):
            raise FieldProblemError([(("source_backup_id",), "give exactly one of source_backup_id or source")])
        return self


class CopySpec(Lifecycle):
    """A cross-region copy: exactly one of ibm or oci."""

    name: Name = Field(description="Name unique among copies.")
    ibm: IbmCopySpec | None = None
    oci: OciCopySpec | None = None
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines (IBM copies).")

    @model_validator(mode="after")
    def _one(self) -> CopySpec:
        if (self.ibm is None) == (self.oci is None):
            raise FieldProblemError([(("ibm",), "give exactly one of ibm or oci")])
        if self.oci is not None and self.retention is not None:
            why = "applies to IBM copies; an OCI copy is one backup (delete_on_removal and OCI's protection apply)"
            raise FieldProblemError([(("retention",), why)])
        return self
