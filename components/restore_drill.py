"""RestoreDrill: prove that a backup restores, and measure how long it takes (the RTO the stack can show)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Required, TypedDict

import pulumi
import pulumi_oci as oci
from pydantic import ConfigDict, Field, InstanceOf, model_validator

from components.base import args_problem, component_args, literal, secret
from components.clouds.oci_block_storage import backup_kind_of
from components.config.base import HttpsUrl, Model, Name, OperationTimeouts, Ref, Trigger
from components.config.copies import VolumeBackupId, VolumeGroupBackupId
from components.config.drills import DrillExpect, one_kind, snapshot_placement
from components.config.ibm import IbmId, IbmRegion, zone_problems
from components.config.oci import (
    BucketName,
    CompartmentId,
    KeyId,
    NonEmpty,
    ObjectName,
    OciAuth,
    OciRegion,
    ParUrl,
    VaultId,
)
from components.dynamic.drills import CinderRestoreDrill, IbmRestoreDrill, OciVaultRestoreDrill
from components.dynamic.oci_scratch_group import OciScratchVolumeGroup
from components.errors import FieldProblemError
from components.ibm.snapshots import SnapshotWithClones
from components.oci.vault_backup import VaultBackup
from components.oci.volume_backup_plan import VolumeBackupPlan
from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan
from components.openstack.snapshot_backup import SnapshotBackup

TYPE = "backup-topology:index:RestoreDrill"


def _ibm_safe(trigger: str) -> str:
    """A trigger as IBM names take it (lowercase letters, digits and '-')."""
    return "".join(c if c.isalnum() else "-" for c in trigger.lower()).strip("-") or "drill"


class ExpectArgs(TypedDict, total=False):
    """The content a restore must hold."""

    sha256: Required[str]
    """SHA-256 (lowercase hex) of the data."""
    length_bytes: int
    """Hash only the first N bytes of the restored volume (default: all of it)."""


class OpenStackDrillArgs(TypedDict, total=False):
    """A Cinder restore point: a SnapshotBackup of the program (its current generation), or an ID."""

    source: SnapshotBackup
    """The SnapshotBackup whose current backup (or snapshot) is restored; the drill runs after it."""
    restore_point_id: pulumi.Input[str]
    """Instead of `source`: the ID of the backup (or snapshot) to restore."""
    restore_point: Literal["backup", "snapshot"]
    """Restore a backup (default; a new volume from the backup service) or a snapshot (a volume from it)."""
    availability_zone: str
    """Zone of a scratch volume made from a snapshot (`restore_point: snapshot`; a backup is restored where Cinder's
    backup service places it)."""
    volume_type: str
    """Volume type of a scratch volume made from a snapshot."""
    cloud: str
    """Entry of clouds.yaml; default OS_CLOUD or the OS_* variables."""
    region_name: str
    """Region of the cloud."""


class IbmDrillArgs(TypedDict, total=False):
    """An IBM VPC snapshot restored as a volume in a zone: a SnapshotWithClones of the program, or an ID."""

    source: SnapshotWithClones
    """The SnapshotWithClones whose current snapshot is restored; the drill runs after it, in its region."""
    snapshot_id: pulumi.Input[str]
    """Instead of `source`: the ID of the snapshot to restore (with `region`)."""
    region: str
    """Region of `snapshot_id`."""
    endpoint: str
    """VPC API URL of the region; default its public one (or the source's)."""
    zone: Required[str]
    """Zone of the scratch volume (a zone with a fast-restore clone restores at once)."""
    profile: str
    """Volume profile of the scratch volume; default `general-purpose`."""
    resource_group_id: pulumi.Input[str]
    """Resource group of the scratch volume; default the account's."""


class OciDrillArgs(TypedDict, total=False):
    """An OCI boot or block volume backup restored as a volume (native `oci.core.BootVolume`, or `oci.core.Volume`
    for a block volume backup)."""

    source: VolumeBackupPlan
    """The plan (a VolumeBackupPlan or BootVolumeBackupPlan) whose manual backup (`manual_backup`) is restored; the
    drill runs after it."""
    manual_backup: str
    """Name of the plan's manual backup."""
    backup_id: pulumi.Input[str]
    """Instead of `source`: the OCID of a boot volume or block volume backup (an output is taken for a boot volume
    backup)."""
    availability_domain: Required[pulumi.Input[str]]
    """Availability domain of the scratch volume."""
    compartment_id: pulumi.Input[str]
    """Drill compartment of the scratch volume (required with `backup_id`; default the plan's)."""
    kms_key_id: pulumi.Input[str]
    """Vault key of the scratch volume; default Oracle-managed."""


class OciVolumeGroupDrillArgs(TypedDict, total=False):
    """An OCI volume group backup restored as a new volume group (native `oci.core.VolumeGroup`): kept until the next
    trigger replaces it, then removed with its volumes."""

    source: VolumeGroupBackupPlan
    """The plan whose manual group backup (`manual_backup`) is restored; the drill runs after it."""
    manual_backup: str
    """Name of the plan's manual backup."""
    backup_id: pulumi.Input[str]
    """Instead of `source`: the OCID of a volume group backup (with `region`)."""
    availability_domain: Required[pulumi.Input[str]]
    """Availability domain of the restored group."""
    compartment_id: pulumi.Input[str]
    """Drill compartment of the restored group and its volumes (required with `backup_id`; default the plan's)."""
    region: str
    """Region of the backup (with `backup_id`; the source plan's otherwise): where the restored group and its volumes
    are removed."""
    auth: Literal["api_key", "instance_principal", "resource_principal", "security_token"]
    """How the removal authenticates (with `backup_id`; the source plan's otherwise)."""
    profile: str
    """Profile of the OCI config file."""
    blockstorage_endpoint: str
    """Core Services (Block Volume) endpoint of the region; default its public one."""


@secret("par_uri")
class OciVaultDrillArgs(TypedDict, total=False):
    """An OCI vault backup restored into another region (the vault's own region would restore over it)."""

    source: VaultBackup
    """The VaultBackup whose current vault backup is restored; the drill runs after it."""
    vault_id: pulumi.Input[str]
    """Instead of `source`: the vault that was backed up (with one of location, par_uri or file)."""
    location: Mapping[str, pulumi.Input[str]]
    """The backup object: namespace, bucket, object_name."""
    par_uri: pulumi.Input[str]
    """A pre-authenticated request URL of the backup object (a secret)."""
    file: str
    """A backup file on this machine (downloaded from its bucket); with `source`, instead of its object."""
    region: Required[str]
    """Region the vault is restored in: another region of the realm."""
    kms_endpoint: str
    """KMS vault endpoint of `region`; default its public one."""
    objectstorage_endpoint: str
    """Object Storage endpoint of `region` (where a replica of the backup is read); default its public one."""
    compartment_id: pulumi.Input[str]
    """The vault's compartment (OCI restores only there); default the one the backup recorded (the source's output,
    or the metadata object beside the backup), and only for a backup without either, the live vault's."""
    expect_keys: int
    """Keys the restored vault must hold at least."""
    home_region: str
    """Region of the backed-up vault (with `vault_id`; the source's otherwise)."""
    home_kms_endpoint: str
    """KMS vault endpoint of the vault's own region (with `vault_id`)."""
    home_objectstorage_endpoint: str
    """Object Storage endpoint of the vault's own region (with `vault_id`: where the backup's metadata is read)."""
    auth: str
    """OCI auth: api_key (default), instance_principal, resource_principal or security_token."""
    profile: str
    """Profile of the OCI config file."""


class TimeoutsArgs(TypedDict, total=False):
    """Deadlines, as durations (`90s`, `30m`, `2h`) or seconds."""

    create: str | int
    """Deadline of the whole drill (restore, checks, removal); default 30m."""


class RestoreDrillArgs(TypedDict, total=False):
    """Args of RestoreDrill: an entry of the topology's `restore_drills`."""

    trigger: Required[str]
    """Change it (e.g. to today's date) to run the drill again; a new restore point runs it again too."""
    openstack: OpenStackDrillArgs
    """A Cinder restore point (exactly one of `openstack`, `ibm`, `oci`, `oci_volume_group` and `oci_vault`)."""
    ibm: IbmDrillArgs
    """An IBM VPC snapshot."""
    oci: OciDrillArgs
    """An OCI boot or block volume backup."""
    oci_volume_group: OciVolumeGroupDrillArgs
    """An OCI volume group backup."""
    oci_vault: OciVaultDrillArgs
    """An OCI vault backup."""
    name: str
    """Base name of the scratch volume; default the resource name."""
    expect: ExpectArgs
    """The content the restore must hold: without it, the drill checks the restored volume's status and size."""
    keep_scratch: bool
    """Keep the scratch volume after the drill (it goes when the drill is replaced or removed)."""
    timeouts: TimeoutsArgs
    """Deadlines."""


class _OpenStackPoint(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[SnapshotBackup] | None = None
    restore_point_id: Ref[str] | None = None
    restore_point: Literal["backup", "snapshot"] = "backup"
    availability_zone: str | None = Field(None, min_length=1)
    volume_type: str | None = Field(None, min_length=1)
    cloud: str | None = Field(None, min_length=1)
    region_name: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> _OpenStackPoint:
        if (self.source is None) == (self.restore_point_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source or restore_point_id")])
        return snapshot_placement(self)


class _IbmPoint(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[SnapshotWithClones] | None = None
    snapshot_id: Ref[IbmId] | None = None
    region: IbmRegion | None = None
    endpoint: HttpsUrl | None = None
    zone: str = Field(min_length=1)
    profile: str = Field("general-purpose", min_length=1)
    resource_group_id: Ref[IbmId] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _IbmPoint:
        if (self.source is None) == (self.snapshot_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source or snapshot_id")])
        region = self.source.region if self.source is not None else self.region
        if region is None:
            raise FieldProblemError([(("region",), "required with snapshot_id")])
        problems = zone_problems(region, [self.zone], ("zone",))
        if problems:
            raise FieldProblemError([(("zone",), problems[0][1])])
        return self


class _OciPoint(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[VolumeBackupPlan] | None = None
    manual_backup: Name | None = None
    backup_id: Ref[VolumeBackupId] | None = None
    availability_domain: Ref[NonEmpty]
    compartment_id: Ref[CompartmentId] | None = None
    kms_key_id: Ref[KeyId] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _OciPoint:
        if (self.source is None) == (self.backup_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source (with manual_backup) or backup_id")])
        if self.source is not None:
            known = sorted(self.source.manual_backup_ids)
            if self.manual_backup not in known:
                why = f"name a manual backup of the plan (known: {', '.join(known) or 'none'})"
                raise FieldProblemError([(("manual_backup",), why)])
        elif self.compartment_id is None:
            raise FieldProblemError([(("compartment_id",), "required with backup_id")])
        return self


class _GroupPoint(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[VolumeGroupBackupPlan] | None = None
    manual_backup: Name | None = None
    backup_id: Ref[VolumeGroupBackupId] | None = None
    availability_domain: Ref[NonEmpty]
    compartment_id: Ref[CompartmentId] | None = None
    region: OciRegion | None = None
    auth: OciAuth | None = None
    profile: str | None = None
    blockstorage_endpoint: HttpsUrl | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _GroupPoint:
        if (self.source is None) == (self.backup_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source (with manual_backup) or backup_id")])
        if self.source is not None:
            known = sorted(self.source.manual_backup_ids)
            if self.manual_backup not in known:
                why = f"name a manual backup of the plan (known: {', '.join(known) or 'none'})"
                raise FieldProblemError([(("manual_backup",), why)])
            if self.source.connection is None and self.region is None:
                why = "required: the plan has no region, and the restored group is removed through that region's API"
                raise FieldProblemError([(("region",), why)])
        else:
            for field in ("compartment_id", "region"):
                if getattr(self, field) is None:
                    raise FieldProblemError([((field,), "required with backup_id")])
        return self

    def connection(self) -> dict[str, Any]:
        """How the scratch group is removed: the fields given, else the source plan's."""
        if self.region is not None:
            return {
                "region": self.region,
                "auth": self.auth,
                "profile": self.profile,
                "endpoint": self.blockstorage_endpoint,
            }
        assert self.source is not None
        assert self.source.connection is not None
        return dict(self.source.connection)


class _BackupObject(Model):
    namespace: Ref[NonEmpty]
    bucket: Ref[BucketName]
    object_name: Ref[ObjectName]


class _VaultPoint(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[VaultBackup] | None = None
    vault_id: Ref[VaultId] | None = None
    location: _BackupObject | None = None
    par_uri: Ref[ParUrl] | None = None
    file: str | None = Field(None, min_length=1)
    region: OciRegion
    kms_endpoint: HttpsUrl | None = None
    objectstorage_endpoint: HttpsUrl | None = None
    compartment_id: Ref[CompartmentId] | None = None
    expect_keys: int | None = Field(None, ge=0)
    home_region: OciRegion | None = None
    home_kms_endpoint: HttpsUrl | None = None
    home_objectstorage_endpoint: HttpsUrl | None = None
    auth: OciAuth | None = None
    profile: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _VaultPoint:
        if (self.source is None) == (self.vault_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source or vault_id")])
        points = [f for f in ("location", "par_uri", "file") if getattr(self, f) is not None]
        if self.source is not None:
            if points not in ([], ["file"]):
                raise FieldProblemError([((points[0],), "not with source: its backup object is restored")])
            if "vault" not in self.source.time_backed_up:
                raise FieldProblemError([(("source",), "the VaultBackup backs up no vault (backup_vault: false)")])
        else:
            if len(points) != 1:
                raise FieldProblemError([(("location",), "give exactly one of location, par_uri or file")])
            if self.home_region is None:
                raise FieldProblemError([(("home_region",), "required with vault_id: the vault's own region")])
        return self


class RestoreDrillInputs(Model):
    """A drill as the component takes it."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: Name
    trigger: Trigger
    openstack: _OpenStackPoint | None = None
    ibm: _IbmPoint | None = None
    oci: _OciPoint | None = None
    oci_volume_group: _GroupPoint | None = None
    oci_vault: _VaultPoint | None = None
    expect: DrillExpect | None = None
    keep_scratch: bool = False
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts)

    @model_validator(mode="after")
    def _one(self) -> RestoreDrillInputs:
        return one_kind(self)


class RestoreDrill(pulumi.ComponentResource):
    """Restores a restore point into a scratch volume, checks its content, times it, and removes the scratch."""

    restore_point_id: pulumi.Output[str]
    """The backup or snapshot restored."""
    started_at: pulumi.Output[str]
    """When the restore was asked for (RFC 3339)."""
    finished_at: pulumi.Output[str]
    """When the restored volume was ready."""
    restore_seconds: pulumi.Output[float]
    """How long the restore took: the RTO this stack has measured."""
    checks_passed: pulumi.Output[bool]
    """Every check passed (available, size, and the content when `expect` is given)."""
    checks: pulumi.Output[list[dict[str, Any]]]
    """Each check: name, passed, detail."""
    error: pulumi.Output[str]
    """Why the drill failed (None when it passed)."""
    scratch_volume_id: pulumi.Output[str]
    """The scratch volume, when kept (or when it could not be removed)."""
    restored_from: pulumi.Output[str] | None
    """Vault drills: which copy was restored (the replica in the drill's region, the vault region's bucket, ...)."""
    proves_region_loss: pulumi.Output[bool] | None
    """Vault drills: whether the restore used a copy held outside the vault's region."""

    def __init__(
        self,
        resource_name: str,
        args: RestoreDrillArgs | RestoreDrillInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"RestoreDrill '{resource_name}'"
        model = component_args(RestoreDrillInputs, args, owner, name=resource_name)
        file = _backup_file(owner, model.oci_vault.file) if model.oci_vault is not None else None
        super().__init__(TYPE, resource_name, None, opts)
        drill: Any
        if model.ibm is not None:
            drill = self._ibm(resource_name, model)
        elif model.oci is not None:
            drill = _BootVolumeDrill(self, resource_name, model)
        elif model.oci_volume_group is not None:
            drill = _VolumeGroupDrill(self, resource_name, model)
        elif model.oci_vault is not None:
            drill = self._vault(resource_name, model, file)
        else:
            drill = self._openstack(resource_name, model)
        self.restore_point_id = drill.restore_point_id
        self.started_at = drill.started_at
        self.finished_at = drill.finished_at
        self.restore_seconds = drill.restore_seconds
        self.checks_passed = drill.checks_passed
        self.checks = drill.checks
        self.error = drill.error
        self.scratch_volume_id = drill.scratch_volume_id
        vault_drill = isinstance(drill, OciVaultRestoreDrill)
        self.restored_from = drill.restored_from if vault_drill else None
        self.proves_region_loss = drill.proves_region_loss if vault_drill else None
        self.register_outputs(self.outputs())

    def _ibm(self, resource_name: str, model: RestoreDrillInputs) -> IbmRestoreDrill:
        point = model.ibm
        assert point is not None
        source = point.source
        return IbmRestoreDrill(
            f"{resource_name}-drill",
            {
                "name": f"{model.name}-{_ibm_safe(model.trigger)}"[:51].rstrip("-"),  # + 9 chars: IBM's 63
                "trigger": model.trigger,
                "restore_point_id": source.snapshot_id if source is not None else point.snapshot_id,
                "zone": point.zone,
                "profile": point.profile,
                "resource_group_id": point.resource_group_id,
                "keep_scratch": model.keep_scratch,
                "connection": {
                    "region": source.region if source is not None else point.region,
                    "endpoint": point.endpoint or (source.endpoint if source is not None else None),
                },
                "timeouts": model.timeouts.every_operation(),
            },
            pulumi.ResourceOptions(parent=self, depends_on=[source] if source is not None else None),
        )

    def _openstack(self, resource_name: str, model: RestoreDrillInputs) -> CinderRestoreDrill:
        point = model.openstack
        assert point is not None
        source = point.source
        restore_point_id: pulumi.Input[str] | None
        if source is not None:
            restore_point_id = source.backup_id if point.restore_point == "backup" else source.snapshot_id
        else:
            restore_point_id = point.restore_point_id
        return CinderRestoreDrill(
            f"{resource_name}-drill",
            {
                "name": f"{model.name}-{model.trigger}",
                "trigger": model.trigger,
                "restore_point": point.restore_point,
                "restore_point_id": restore_point_id,
                "expect": model.expect.model_dump() if model.expect is not None else None,
                "keep_scratch": model.keep_scratch,
                "availability_zone": point.availability_zone,
                "volume_type": point.volume_type,
                "connection": {
                    "cloud": point.cloud or (source.cloud if source is not None else None),
                    "region_name": point.region_name or (source.region_name if source is not None else None),
                },
                "timeouts": model.timeouts.every_operation(),
            },
            pulumi.ResourceOptions(parent=self, depends_on=[source] if source is not None else None),
        )

    def _vault(
        self, resource_name: str, model: RestoreDrillInputs, file: dict[str, str] | None
    ) -> OciVaultRestoreDrill:
        point = model.oci_vault
        assert point is not None
        source = point.source
        restore_point: dict[str, Any] = {"file": file}
        if source is not None:
            home = source.connection
            replica = source.replica
            if file is None and source.vault_object is not None and replica and replica["region"] == point.region:
                # The bucket is replicated to the drill's region: the drill restores from the copy there, as a
                # restore would after the loss of the vault's region (the same object name, in the replica bucket).
                where = {"namespace": replica["namespace"], "bucket": replica["bucket"]}
                restore_point = {"location": {**where, "object_name": source.vault_object["object_name"]}}
                restore_point["replica"] = True
            elif file is None:  # the object where the stack knows it (a PAR it made only writes); else the given PAR
                if source.vault_object is not None:
                    restore_point = {"location": source.vault_object}
                else:
                    restore_point = {"par_uri": source.par_uris["vault"]}
        else:
            home = {
                "region": point.home_region,
                "auth": point.auth,
                "profile": point.profile,
                "kms_endpoint": point.home_kms_endpoint,
                "objectstorage_endpoint": point.home_objectstorage_endpoint,
            }
            if point.location is not None:
                restore_point = {"location": point.location.model_dump()}
            elif point.par_uri is not None:
                restore_point = {"par_uri": pulumi.Output.secret(point.par_uri)}
        return OciVaultRestoreDrill(
            f"{resource_name}-drill",
            {
                "name": f"{model.name}-{model.trigger}",
                "trigger": model.trigger,
                "vault_id": source.vault_id if source is not None else point.vault_id,
                # The compartment the backup recorded (a restore in a disaster cannot read the live vault).
                "compartment_id": point.compartment_id
                or (source.compartments.apply(lambda c: c.get("vault")) if source is not None else None),
                **restore_point,
                "region": point.region,
                "kms_endpoint": point.kms_endpoint,
                "objectstorage_endpoint": point.objectstorage_endpoint,
                "expect_keys": point.expect_keys,
                "keep_scratch": model.keep_scratch,
                "connection": home,
                "timeouts": model.timeouts.every_operation(),
            },
            pulumi.ResourceOptions(parent=self, depends_on=[source] if source is not None else None),
        )

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "restore_point_id": self.restore_point_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "restore_seconds": self.restore_seconds,
            "checks_passed": self.checks_passed,
            "checks": self.checks,
            "error": self.error,
            "scratch_volume_id": self.scratch_volume_id,
            "restored_from": self.restored_from,
            "proves_region_loss": self.proves_region_loss,
        }


def _backup_file(owner: str, path: str | None) -> dict[str, str] | None:
    """A vault backup file, read now: its path and SHA-256 (the drill restores it only if it is unchanged)."""
    if path is None:
        return None
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise args_problem(owner, "oci_vault.file", f"cannot be read ({exc.strerror})") from None
    if not content:
        raise args_problem(owner, "oci_vault.file", "is empty: not a vault backup")
    return {"path": str(Path(path).resolve()), "sha256": hashlib.sha256(content).hexdigest()}


class _BootVolumeDrill:
    """An OCI boot volume (or block volume) restored from a backup by the native `oci.core.BootVolume` (or
    `oci.core.Volume`; the engine waits until it is AVAILABLE); its record is read from the volume. The volume is a
    resource of the stack: a new trigger replaces it, and it goes when the drill is removed."""

    def __init__(self, parent: pulumi.Resource, resource_name: str, model: RestoreDrillInputs) -> None:
        point = model.oci
        assert point is not None
        source = point.source
        backup_id = source.manual_backup_ids[point.manual_backup or ""] if source is not None else point.backup_id
        compartment = point.compartment_id or (source.compartment_id if source is not None else None)
        if source is not None:
            block = source.manual_backup_kinds.get(point.manual_backup or "") == "volume"
        else:
            given = literal(point.backup_id)
            block = given is not None and backup_kind_of(given) == "volume"
        common: dict[str, Any] = {
            "availability_domain": point.availability_domain,
            "compartment_id": compartment,
            "kms_key_id": point.kms_key_id,
            "display_name": f"{model.name}-{model.trigger}",
            "freeform_tags": {"backup-topology-drill": model.name},
            "opts": pulumi.ResourceOptions(
                parent=parent,
                depends_on=[source] if source is not None else None,
                replace_on_changes=["displayName"],  # a new trigger is a new restore
                delete_before_replace=True,  # one scratch volume at a time
            ),
        }
        volume: oci.core.Volume | oci.core.BootVolume
        if block:
            volume = oci.core.Volume(
                f"{resource_name}-volume",
                source_details=oci.core.VolumeSourceDetailsArgs(type="volumeBackup", id=backup_id),
                **common,
            )
        else:
            volume = oci.core.BootVolume(
                f"{resource_name}-boot-volume",
                source_details=oci.core.BootVolumeSourceDetailsArgs(type="bootVolumeBackup", id=backup_id),
                **common,
            )
        what = "block volume" if block else "boot volume"
        record = pulumi.Output.all(
            volume.id, volume.state, volume.source_details, volume.time_created, pulumi.Output.from_input(backup_id)
        ).apply(lambda found: _volume_record(what, *found))
        self.restore_point_id = pulumi.Output.from_input(backup_id)
        self.started_at = volume.time_created
        self.finished_at = pulumi.Output.from_input(None)
        self.restore_seconds = pulumi.Output.from_input(None)
        self.checks = record.apply(lambda r: r["checks"])
        self.checks_passed = record.apply(lambda r: r["checks_passed"])
        self.error = record.apply(lambda r: r["error"])
        self.scratch_volume_id = volume.id


def _source_id(source: Any, key: str) -> Any:
    """A field of a native resource's `source_details` (an output type: a mapping by the SDK's snake_case names)."""
    if isinstance(source, Mapping):
        return source.get(_snake(key), source.get(key))
    return getattr(source, _snake(key), None)


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _volume_record(
    what: str, volume_id: str, state: str | None, source: Any, created: str | None, backup_id: str
) -> dict[str, Any]:
    """The checks of a restored volume, from what OCI reports of it."""
    made_from = _source_id(source, "id")
    checks = [
        {"name": "available", "passed": state == "AVAILABLE", "detail": str(state)},
        {
            "name": "source",
            "passed": made_from == backup_id,
            "detail": f"{what} {volume_id} made from backup {made_from} at {created}",
        },
    ]
    return _record(checks)


def _record(checks: list[dict[str, Any]]) -> dict[str, Any]:
    failed = [f"{c['name']}: {c['detail']}" for c in checks if not c["passed"]]
    return {"checks": checks, "checks_passed": not failed, "error": "; ".join(failed) or None}


class _VolumeGroupDrill:
    """An OCI volume group restored from a group backup by the native `oci.core.VolumeGroup` (the engine waits until
    it is AVAILABLE), checked by its state, its source and its number of volumes. Deleting a group deletes none of
    its volumes, so the native group is retained by the engine and an OciScratchVolumeGroup, which records the group
    and its volumes, removes both when a new trigger replaces the drill or the drill is removed."""

    def __init__(self, parent: pulumi.Resource, resource_name: str, model: RestoreDrillInputs) -> None:
        point = model.oci_volume_group
        assert point is not None
        source = point.source
        name = point.manual_backup or ""
        backup_id = source.manual_backup_ids[name] if source is not None else point.backup_id
        expected = source.manual_backup_volume_ids[name] if source is not None else None
        compartment = point.compartment_id or (source.compartment_id if source is not None else None)
        group = oci.core.VolumeGroup(
            f"{resource_name}-volume-group",
            availability_domain=point.availability_domain,
            compartment_id=compartment,
            source_details=oci.core.VolumeGroupSourceDetailsArgs(
                type="volumeGroupBackupId", volume_group_backup_id=backup_id
            ),
            display_name=f"{model.name}-{model.trigger}",
            freeform_tags={"backup-topology-drill": model.name},
            opts=pulumi.ResourceOptions(
                parent=parent,
                depends_on=[source] if source is not None else None,
                replace_on_changes=["displayName"],  # a new trigger is a new restore
                retain_on_delete=True,  # removed, with its volumes, by the scratch record below
            ),
        )
        OciScratchVolumeGroup(
            f"{resource_name}-scratch",
            {
                "volume_group_id": group.id,
                "volume_ids": group.volume_ids,
                "connection": point.connection(),
                "timeouts": model.timeouts.every_operation(),
            },
            pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
        )
        record = pulumi.Output.all(
            group.id,
            group.state,
            group.source_details,
            group.time_created,
            group.volume_ids,
            pulumi.Output.from_input(backup_id),
            pulumi.Output.from_input(expected),
        ).apply(lambda found: _group_record(*found))
        self.restore_point_id = pulumi.Output.from_input(backup_id)
        self.started_at = group.time_created
        self.finished_at = pulumi.Output.from_input(None)
        self.restore_seconds = pulumi.Output.from_input(None)
        self.checks = record.apply(lambda r: r["checks"])
        self.checks_passed = record.apply(lambda r: r["checks_passed"])
        self.error = record.apply(lambda r: r["error"])
        self.scratch_volume_id = group.id


def _group_record(
    group_id: str,
    state: str | None,
    source: Any,
    created: str | None,
    volumes: list[str] | None,
    backup_id: str,
    expected: list[str] | None,
) -> dict[str, Any]:
    """The checks of a restored volume group, from what OCI reports of it (and of the backup the stack made)."""
    made_from = _source_id(source, "volumeGroupBackupId")
    count = len(volumes or [])
    checks = [
        {"name": "available", "passed": state == "AVAILABLE", "detail": str(state)},
        {
            "name": "source",
            "passed": made_from == backup_id,
            "detail": f"volume group {group_id} made from backup {made_from} at {created}",
        },
        {
            "name": "volumes",
            "passed": count > 0 and (expected is None or count == len(expected)),
            "detail": f"{count} volumes restored"
            + (f", the backup holds {len(expected)}" if expected is not None else ""),
        },
    ]
    return _record(checks)
