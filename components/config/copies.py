"""Topology models of cross-region copies: IBM snapshot copies and OCI boot volume backup copies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from components.config.base import DisplayName, Model, Name, OperationTimeouts
from components.config.ibm import Crn, IbmName, IbmRegion
from components.config.oci import KeyId, OciRegion, _ocid
from components.errors import FieldProblemError


class IbmCopySpec(Model):
    """A copy of one of `ibm.snapshots` in another region."""

    snapshot: IbmName = Field(description="`name` of the snapshot in ibm.snapshots to copy.")
    destination_region: IbmRegion = Field(description="Region of the copy.")
    encryption_key_crn: Crn | None = Field(
        None,
        description="Key (CRN) encrypting the copy: required exactly when the source is customer-managed encrypted.",
    )
    resource_group_id: str | None = Field(
        None, description="Resource group of the copy; default ibm.resource_group_id."
    )
    allow_source_over_10tb: bool = Field(
        False,
        description="Copy a snapshot of a volume over 10 TB (IBM Cloud allows it to accounts with special access).",
    )


class OciCopySpec(Model):
    """A copy of an OCI boot volume backup in another region (native BootVolumeBackup with source_details)."""

    source_backup_id: Annotated[str, _ocid("bootvolumebackup")] = Field(description="Boot volume backup OCID.")
    destination_region: OciRegion = Field(description="Region of the copy.")
    kms_key_id: KeyId | None = Field(None, description="Vault key in the destination region encrypting the copy.")
    display_name: DisplayName | None = Field(None, description="Name of the copy; default the copy's name.")


class CopySpec(Model):
    """A cross-region copy: exactly one of ibm or oci."""

    name: Name = Field(description="Name unique among copies.")
    ibm: IbmCopySpec | None = None
    oci: OciCopySpec | None = None
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines (IBM copies).")

    @model_validator(mode="after")
    def _one(self) -> CopySpec:
        if (self.ibm is None) == (self.oci is None):
            raise FieldProblemError([(("ibm",), "give exactly one of ibm or oci")])
        return self
