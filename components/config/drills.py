"""Topology models of restore drills: which restore point is restored, where, and how it is checked."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from components.config.base import HttpsUrl, Model, Name, OperationTimeouts, Ref, Trigger
from components.config.copies import VolumeBackupId, VolumeGroupBackupId
from components.config.ibm import IbmName
from components.config.oci import CompartmentId, KeyId, OciRegion
from components.errors import FieldProblemError


class DrillExpect(Model):
    """What the restored data must be (a drill that checks only status cannot tell a wrong restore from a right one)."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (lowercase hex) of the data.")
    length_bytes: int | None = Field(
        None, ge=1, description="Hash only the first N bytes of the restored volume (default: all of it)."
    )


def snapshot_placement(point: Any) -> Any:
    """Placement is for a volume made from a snapshot: a backup restores where Cinder's backup service puts it."""
    placed = [f for f in ("availability_zone", "volume_type") if getattr(point, f) is not None]
    if placed and point.restore_point != "snapshot":
        why = "only for restore_point: snapshot (a backup is restored where Cinder's backup service places it)"
        raise FieldProblemError([((placed[0],), why)])
    return point


class OpenStackDrill(Model):
    """A drill of one of `openstack.snapshot_backups`: its current backup (or snapshot) into a scratch volume."""

    snapshot_backup: Name = Field(description="`name` of the openstack.snapshot_backups entry.")
    restore_point: Literal["backup", "snapshot"] = Field(
        "backup", description="Restore the entry's current backup (default) or its current snapshot."
    )
    availability_zone: str | None = Field(
        None, min_length=1, description="Zone of a scratch volume made from the snapshot (restore_point: snapshot)."
    )
    volume_type: str | None = Field(
        None,
        min_length=1,
        description="Volume type of a scratch volume made from the snapshot (restore_point: snapshot).",
    )

    @model_validator(mode="after")
    def _placement(self) -> OpenStackDrill:
        return snapshot_placement(self)


class IbmDrill(Model):
    """A drill of one of `ibm.snapshots`: its current snapshot restored as a volume in a zone."""

    snapshot: IbmName = Field(description="`name` of the ibm.snapshots entry.")
    zone: str = Field(min_length=1, description="Zone of the scratch volume (one of ibm.region).")
    profile: str = Field("general-purpose", min_length=1, description="Volume profile of the scratch volume.")


class OciBootVolumeDrill(Model):
    """A drill of an OCI boot or block volume backup: a volume restored from it (native `oci.core.BootVolume`, or
    `oci.core.Volume` for a block volume backup)."""

    plan: Name | None = Field(
        None, description="`name` of the oci.boot_volume_plans or oci.volume_plans entry (with manual_backup)."
    )
    manual_backup: Name | None = Field(None, description="`name` of the plan's manual backup whose backup is restored.")
    backup_id: Ref[VolumeBackupId] | None = Field(
        None, description="Instead of plan and manual_backup: the OCID of a boot volume or block volume backup."
    )
    availability_domain: str = Field(min_length=1, description="Availability domain of the scratch volume.")
    compartment_id: Ref[CompartmentId] | None = Field(
        None, description="Drill compartment of the scratch volume; default the plan's compartment."
    )
    kms_key_id: Ref[KeyId] | None = Field(None, description="Vault key of the scratch volume; default Oracle's.")

    @model_validator(mode="after")
    def _one(self) -> OciBootVolumeDrill:
        return one_backup(self)


class OciVolumeGroupDrill(Model):
    """A drill of an OCI volume group backup: a new volume group restored from it (native `oci.core.VolumeGroup`),
    checked, and removed with its volumes when the next trigger replaces it or the drill goes."""

    plan: Name | None = Field(None, description="`name` of the oci.volume_group_plans entry (with manual_backup).")
    manual_backup: Name | None = Field(None, description="`name` of the plan's manual group backup to restore.")
    backup_id: Ref[VolumeGroupBackupId] | None = Field(
        None, description="Instead of plan and manual_backup: the OCID of a volume group backup."
    )
    availability_domain: str = Field(min_length=1, description="Availability domain of the restored group.")
    compartment_id: Ref[CompartmentId] | None = Field(
        None, description="Drill compartment of the restored group and its volumes; default the plan's compartment."
    )

    @model_validator(mode="after")
    def _one(self) -> OciVolumeGroupDrill:
        return one_backup(self)


def one_backup(drill: Any) -> Any:
    """A drill names a plan's manual backup, or a backup by OCID with the compartment to restore into."""
    named = drill.plan is not None or drill.manual_backup is not None
    if named == (drill.backup_id is not None):
        raise FieldProblemError([(("plan",), "give plan with manual_backup, or backup_id")])
    if named and (drill.plan is None or drill.manual_backup is None):
        missing = "manual_backup" if drill.manual_backup is None else "plan"
        raise FieldProblemError([((missing,), "required: a manual backup is named by its plan and its name")])
    if drill.backup_id is not None and drill.compartment_id is None:
        raise FieldProblemError([(("compartment_id",), "required with backup_id (there is no plan to take it from)")])
    return drill


class OciVaultDrill(Model):
    """A drill of one of `oci.vault_backups`: its current vault backup restored into another region, then checked."""

    vault_backup: Name = Field(description="`name` of the oci.vault_backups entry (one that backs up its vault).")
    region: OciRegion = Field(
        description="Region the vault is restored in; not the vault's own (a restore there goes over the live vault)."
    )
    kms_endpoint: HttpsUrl | None = Field(None, description="KMS vault endpoint of `region`; default its public one.")
    objectstorage_endpoint: HttpsUrl | None = Field(
        None, description="Object Storage endpoint of `region` (a replica of the backup is read there)."
    )
    compartment_id: Ref[CompartmentId] | None = Field(
        None,
        description="The vault's compartment (OCI restores only there); default the one the backup recorded (its "
        "output, or its metadata object), and only for a backup without either, the live vault's.",
    )
    expect_keys: int | None = Field(None, ge=0, description="Keys the restored vault must hold at least.")
    file: str | None = Field(
        None, min_length=1, description="Restore this backup file (downloaded from the bucket) instead of the object."
    )


class RestoreDrillSpec(Model):
    """A restore drill: restore, check, time, and remove the scratch volume; a new trigger runs it again."""

    name: Name = Field(description="Name unique among drills; names the scratch volume.")
    openstack: OpenStackDrill | None = Field(None, description="A drill of a Cinder backup or snapshot.")
    ibm: IbmDrill | None = Field(None, description="A drill of an IBM VPC snapshot.")
    oci: OciBootVolumeDrill | None = Field(None, description="A drill of an OCI boot or block volume backup.")
    oci_volume_group: OciVolumeGroupDrill | None = Field(None, description="A drill of an OCI volume group backup.")
    oci_vault: OciVaultDrill | None = Field(None, description="A drill of an OCI vault backup.")
    trigger: Trigger = Field(description="Change it (e.g. to today's date) to run the drill again.")
    expect: DrillExpect | None = Field(None, description="The content the restore must hold.")
    keep_scratch: bool = Field(False, description="Keep the scratch volume after the drill (to look at it).")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadline of the drill.")

    @model_validator(mode="after")
    def _one(self) -> RestoreDrillSpec:
        return one_kind(self)


DRILL_KINDS = ("openstack", "ibm", "oci", "oci_volume_group", "oci_vault")


def one_kind(drill: Any) -> Any:
    """A drill has exactly one kind; only a Cinder drill reads the restored data (`expect`)."""
    given = [k for k in DRILL_KINDS if getattr(drill, k) is not None]
    if len(given) != 1:
        also = f" (got {', '.join(given)})" if given else ""
        why = f"give the restore point to drill: exactly one of {', '.join(DRILL_KINDS)}{also}"
        raise FieldProblemError([((given[-1] if given else "openstack",), why)])
    if given[0] != "openstack" and drill.expect is not None:
        why = (
            "only a Cinder drill reads the restored data; an IBM or OCI volume is read by an instance it is attached "
            "to, and a vault is checked by its state and keys"
        )
        raise FieldProblemError([(("expect",), why)])
    return drill
