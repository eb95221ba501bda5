"""CrossRegionCopy: IBM snapshots copied to another region, or an OCI boot volume, block volume or volume group backup
copied to another region."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal, Required, TypedDict

import pulumi
import pulumi_oci as oci
from pydantic import ConfigDict, Field, InstanceOf, TypeAdapter, model_validator

from components.base import args_problem, component_args, literal, when_known
from components.clouds.oci_block_storage import BackupKind, backup_kind_of
from components.config.base import Deferred, DisplayName, HttpsUrl, Lifecycle, Model, Name, OperationTimeouts, Ref
from components.config.copies import OciBackupId
from components.config.ibm import IbmId, IbmRegion, IbmTrigger, KeyCrn
from components.config.oci import KeyId, OciRegion
from components.dynamic.ibm_snapshot import IbmSnapshotCopy
from components.errors import FieldProblemError
from components.ibm.snapshots import IbmTimeoutsArgs, SnapshotConsistencyGroup, SnapshotWithClones
from components.lifecycle import RetentionArgs, keep_generations, retained, series_of
from components.oci.ocid import parse_ocid
from components.oci.volume_backup_plan import VolumeBackupPlan
from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan
from components.retention import ibm_series_tag

TYPE = "backup-topology:index:CrossRegionCopy"


class IbmCopyArgs(TypedDict, total=False):
    """An IBM copy: of a snapshot or a consistency group of the same program, or of a snapshot made elsewhere."""

    source: SnapshotWithClones | SnapshotConsistencyGroup
    """The stack's own snapshot (one copy) or consistency group (a copy of each of its snapshots)."""
    source_snapshot_id: pulumi.Input[str]
    """Instead of `source`: the ID of a snapshot made elsewhere (with `source_region`)."""
    source_region: str
    """Region of `source_snapshot_id`."""
    source_endpoint: str
    """VPC API URL of the source region; default its public one."""
    source_trigger: str
    """With `source_snapshot_id`: a new value makes a new copy (default `copy`); a `source` brings its own."""
    encryption_key_crn: pulumi.Input[str]
    """Root key (CRN of a Key Protect or Hyper Protect Crypto Services key, in an IBM Cloud region) encrypting the
    copy: required exactly when the source is encrypted with a customer-managed key."""
    resource_group_id: pulumi.Input[str]
    """Resource group of the copy; default the source's."""
    destination_endpoint: str
    """VPC API URL of the destination region; default its public one."""
    allow_source_over_10tb: bool
    """Copy a snapshot of a volume over 10 TB (IBM Cloud allows it to accounts with special access)."""


class OciCopyArgs(TypedDict, total=False):
    """An OCI copy: of a manual backup of a plan of the same program, or of a backup by OCID."""

    source: VolumeBackupPlan | VolumeGroupBackupPlan
    """The plan (a VolumeBackupPlan, BootVolumeBackupPlan or VolumeGroupBackupPlan) whose manual backup
    (`manual_backup`) is copied, in the same `up` that makes it."""
    manual_backup: str
    """The `name` of that manual backup."""
    source_backup_id: pulumi.Input[str]
    """Instead of `source`: the OCID of a boot volume, block volume or volume group backup."""
    source_kind: Literal["boot_volume", "volume", "volume_group"]
    """What `source_backup_id` is a backup of, when it comes from another resource (a literal OCID says it; an output
    without it is taken for a boot volume backup). Once known, the OCID must be a backup of this kind."""
    source_region: str
    """Region of the source backup, when its OCID does not say (default: from the OCID)."""
    kms_key_id: pulumi.Input[str]
    """Vault key in the destination region that encrypts the copy."""
    display_name: str
    """Name of the copy in OCI; default the copy's name."""
    destination_provider: pulumi.ProviderResource
    """An OCI provider for the destination region (default: the component's, from its options)."""


class CrossRegionCopyArgs(TypedDict, total=False):
    """Args of CrossRegionCopy: exactly one of `ibm` and `oci`."""

    destination_region: Required[str]
    """Region of the copy."""
    name: str
    """Name of the copy (IBM copies are named `<name>-<source trigger>`); default the resource name."""
    ibm: IbmCopyArgs
    """An IBM Cloud VPC snapshot copy."""
    oci: OciCopyArgs
    """An OCI backup copy (of a boot volume, block volume or volume group backup)."""
    timeouts: IbmTimeoutsArgs
    """Deadlines of IBM copies."""
    retention: RetentionArgs
    """IBM copies: earlier generations kept (default all); those beyond it are deleted on every `up`."""
    delete_on_removal: bool
    """Removing the copy from the program (or `pulumi destroy`) deletes it (IBM: every generation); default it stays."""


class _IbmCopy(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[SnapshotWithClones] | InstanceOf[SnapshotConsistencyGroup] | None = None
    source_snapshot_id: Ref[IbmId] | None = None
    source_region: IbmRegion | None = None
    source_endpoint: HttpsUrl | None = None
    source_trigger: IbmTrigger = "copy"
    encryption_key_crn: Ref[KeyCrn] | None = None
    resource_group_id: Ref[IbmId] | None = None
    destination_endpoint: HttpsUrl | None = None
    allow_source_over_10tb: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> _IbmCopy:
        if (self.source is None) == (self.source_snapshot_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source or source_snapshot_id")])
        if self.source_snapshot_id is not None and self.source_region is None:
            raise FieldProblemError([(("source_region",), "required with source_snapshot_id")])
        return self


class _OciCopy(Model):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    source: InstanceOf[VolumeBackupPlan] | InstanceOf[VolumeGroupBackupPlan] | None = None
    manual_backup: Name | None = None
    source_backup_id: Ref[OciBackupId] | None = None
    source_kind: Literal["boot_volume", "volume", "volume_group"] | None = None
    source_region: OciRegion | None = None
    kms_key_id: Ref[KeyId] | None = None
    display_name: DisplayName | None = None
    destination_provider: InstanceOf[pulumi.ProviderResource] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> _OciCopy:
        if (self.source is None) == (self.source_backup_id is None):
            raise FieldProblemError([(("source",), "give exactly one of source or source_backup_id")])
        if self.source is not None and self.manual_backup is None:
            raise FieldProblemError([(("manual_backup",), "required with source: the name of its manual backup")])
        if self.source_kind is not None and self.source is not None:
            raise FieldProblemError([(("source_kind",), "only with source_backup_id: a plan says what it backs up")])
        ocid = literal(self.source_backup_id)
        said = backup_kind_of(ocid) if ocid is not None else None
        if said is not None and self.source_kind is not None and said != self.source_kind:
            why = (
                f"source_backup_id is a {said.replace('_', ' ')} backup, not a {self.source_kind.replace('_', ' ')} one"
            )
            raise FieldProblemError([(("source_kind",), why)])
        return self

    def kind(self) -> BackupKind:
        """What the copied backup is a backup of."""
        if isinstance(self.source, VolumeGroupBackupPlan):
            return "volume_group"
        if isinstance(self.source, VolumeBackupPlan):
            return self.source.manual_backup_kinds.get(str(self.manual_backup), "boot_volume")  # type: ignore[return-value]
        ocid = literal(self.source_backup_id)
        said = backup_kind_of(ocid) if ocid is not None else None
        return said or self.source_kind or "boot_volume"


class CrossRegionCopyInputs(Lifecycle):
    """A copy as the component takes it."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: Name
    destination_region: str = Field(min_length=1)
    ibm: _IbmCopy | None = None
    oci: _OciCopy | None = None
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts)

    @model_validator(mode="after")
    def _one(self) -> CrossRegionCopyInputs:
        if (self.ibm is None) == (self.oci is None):
            raise FieldProblemError([(("ibm",), "give exactly one of ibm or oci")])
        if self.oci is not None and self.retention is not None:
            why = "applies to IBM copies; an OCI copy is one backup (delete_on_removal and OCI's protection apply)"
            raise FieldProblemError([(("retention",), why)])
        reason = _REGIONS["ibm" if self.ibm is not None else "oci"].reason(self.destination_region)
        if reason is not None:
            raise FieldProblemError([(("destination_region",), reason)])
        source = self.ibm.source.region if self.ibm is not None and self.ibm.source is not None else None
        if self.ibm is not None and self.destination_region in (source, self.ibm.source_region):
            why = "is the source's region; a copy goes to another region"
            raise FieldProblemError([(("destination_region",), why)])
        return self


_REGIONS = {"ibm": Deferred(TypeAdapter(IbmRegion)), "oci": Deferred(TypeAdapter(OciRegion))}


class CrossRegionCopy(pulumi.ComponentResource):
    """A copy of backups in another region, through a client or provider of the destination region."""

    destination_region: str
    """Region of the copy."""
    copy_id: pulumi.Output[str]
    """ID (IBM) or OCID (OCI) of the copy (of the first one, for a consistency group's snapshots)."""
    copy_ids: list[pulumi.Output[str]]
    """IDs of every copy made (one per snapshot of a consistency group)."""
    crn: pulumi.Output[str] | None
    """CRN of an IBM copy."""

    def __init__(
        self,
        resource_name: str,
        args: CrossRegionCopyArgs | CrossRegionCopyInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"CrossRegionCopy '{resource_name}'"
        model = component_args(CrossRegionCopyInputs, args, owner, name=resource_name)
        super().__init__(TYPE, resource_name, None, opts)
        self.destination_region = model.destination_region
        self.crn = None
        if model.ibm is not None:
            self.copy_ids, self.crn = self._ibm(resource_name, model, model.ibm)
        else:
            assert model.oci is not None
            self.copy_ids = [self._oci(resource_name, owner, model, model.oci)]
        self.copy_id = self.copy_ids[0]
        self.register_outputs(self.outputs())

    def _ibm(
        self, name: str, model: CrossRegionCopyInputs, ibm: _IbmCopy
    ) -> tuple[list[pulumi.Output[str]], pulumi.Output[str]]:
        source = ibm.source
        sources: list[tuple[pulumi.Input[str], str]]  # (source snapshot ID, suffix of the copy's names)
        if isinstance(source, SnapshotWithClones):
            sources = [(source.snapshot_id, "")]
        elif isinstance(source, SnapshotConsistencyGroup):
            sources = [(_member(source.snapshot_ids, i), f"-{i}") for i in range(source.member_count)]
        else:
            assert ibm.source_snapshot_id is not None  # checked by the model
            sources = [(ibm.source_snapshot_id, "")]
        region = source.region if source is not None else ibm.source_region
        endpoint = source.endpoint if source is not None else ibm.source_endpoint
        trigger = source.trigger if source is not None else ibm.source_trigger
        group = ibm.resource_group_id or (source.resource_group_id if source is not None else None)
        copies = []
        for source_id, suffix in sources:
            # Each snapshot of a group is a series of its own ("/" cannot be in a copy's name: no copy takes it).
            series = series_of("ibm-copy", f"{model.name}/member-{suffix[1:]}" if suffix else model.name)
            destination = {"region": model.destination_region, "endpoint": ibm.destination_endpoint}
            timeouts = {"create": model.timeouts.create, "update": 300, "delete": model.timeouts.create}
            pruning = model.timeouts.every_operation()
            copy = IbmSnapshotCopy(
                f"{name}-copy{suffix}",
                {
                    # A new source snapshot (new trigger) gets a new copy, with a name of its own.
                    "name": f"{model.name}{suffix}-{trigger}",
                    "trigger": trigger,
                    "source_snapshot_id": source_id,
                    "source": {"region": region, "endpoint": endpoint},
                    "destination": destination,
                    "encryption_key_crn": ibm.encryption_key_crn,
                    "resource_group_id": group,
                    "allow_source_over_10tb": ibm.allow_source_over_10tb,
                    "user_tags": [ibm_series_tag(series)],
                    "timeouts": timeouts,
                },
                retained(self, depends_on=[source] if source is not None else None),
            )
            keep_generations(
                f"{name}-generations{suffix}",
                "ibm_snapshot",
                series,
                copy.snapshot_id.apply(lambda i: [i]),
                model,
                {"ibm": destination},
                pruning,
                pulumi.ResourceOptions(parent=self),
            )
            copies.append(copy)
        return [c.snapshot_id for c in copies], copies[0].crn

    def _oci(self, name: str, owner: str, model: CrossRegionCopyInputs, spec: _OciCopy) -> pulumi.Output[str]:
        source_id: pulumi.Input[str]
        if spec.source is not None:
            found = spec.source.manual_backup_ids.get(str(spec.manual_backup))
            if found is None:
                known = ", ".join(sorted(spec.source.manual_backup_ids)) or "none"
                why = f"the plan has no manual backup '{spec.manual_backup}' (known: {known})"
                raise args_problem(owner, "oci.manual_backup", why)
            source_id = found
        else:
            assert spec.source_backup_id is not None
            source_id = spec.source_backup_id
            if isinstance(source_id, pulumi.Output):  # a literal OCID was checked with the args, and says its kind
                check = functools.partial(_same_kind, owner, spec.kind(), spec.source_kind is None)
                source_id = when_known(source_id, check)
        region = spec.source_region or _region_of(owner, source_id)
        opts = pulumi.ResourceOptions(
            parent=self, provider=spec.destination_provider, retain_on_delete=not model.delete_on_removal
        )
        display_name = spec.display_name or model.name
        backup: pulumi.CustomResource
        kind = spec.kind()
        if kind == "volume":
            backup = oci.core.VolumeBackup(
                f"{name}-copy",
                display_name=display_name,
                source_details=oci.core.VolumeBackupSourceDetailsArgs(
                    region=region, volume_backup_id=source_id, kms_key_id=spec.kms_key_id
                ),
                opts=opts,
            )
        elif kind == "volume_group":
            backup = oci.core.VolumeGroupBackup(
                f"{name}-copy",
                display_name=display_name,
                source_details=oci.core.VolumeGroupBackupSourceDetailsArgs(
                    region=region, volume_group_backup_id=source_id, kms_key_id=spec.kms_key_id
                ),
                opts=opts,
            )
        else:
            backup = oci.core.BootVolumeBackup(
                f"{name}-copy",
                display_name=display_name,
                source_details=oci.core.BootVolumeBackupSourceDetailsArgs(
                    region=region, boot_volume_backup_id=source_id, kms_key_id=spec.kms_key_id
                ),
                opts=opts,
            )
        return backup.id

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "destination_region": self.destination_region,
            "copy_id": self.copy_id,
            "copy_ids": self.copy_ids,
            "crn": self.crn,
        }


def _member(ids: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    """The ID of a consistency group's snapshot number `index`."""
    return ids.apply(lambda got: got[index])


def _same_kind(owner: str, kind: BackupKind, defaulted: bool, ocid: str) -> None:
    """An Output source_backup_id, once known, is a backup of the kind copied (oci.source_kind, or its default)."""
    said = backup_kind_of(ocid)
    if said is None or said == kind:
        return
    why = f"source_backup_id is a {said.replace('_', ' ')} backup, not a {kind.replace('_', ' ')} one"
    if defaulted:
        why += f" (a boot volume backup is assumed without source_kind): give source_kind '{said}'"
    raise args_problem(owner, "oci.source_kind", why)


def _region_of(owner: str, source_id: pulumi.Input[str]) -> pulumi.Input[str]:
    """The region of a backup OCID: now for a literal, when known for an Output."""
    if isinstance(source_id, pulumi.Output):
        return source_id.apply(functools.partial(_ocid_region, owner))
    return _ocid_region(owner, str(source_id))


def _ocid_region(owner: str, ocid: str) -> str:
    parsed = parse_ocid(ocid)
    if parsed is None or parsed.region is None:
        raise args_problem(owner, "oci.source_region", "required: the source backup's OCID does not say its region")
    return parsed.region
