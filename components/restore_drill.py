"""RestoreDrill: prove that a backup restores, and measure how long it takes (the RTO the stack can show)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Required, TypedDict

import pulumi
from pydantic import ConfigDict, Field, InstanceOf, model_validator

from components.base import component_args
from components.config.base import HttpsUrl, Model, Name, OperationTimeouts, Ref, Trigger
from components.config.drills import DrillExpect, snapshot_placement
from components.config.ibm import IbmId, IbmRegion, zone_problems
from components.dynamic.drills import CinderRestoreDrill, IbmRestoreDrill
from components.errors import FieldProblemError
from components.ibm.snapshots import SnapshotWithClones
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
    """Zone of the scratch volume."""
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


class TimeoutsArgs(TypedDict, total=False):
    """Deadlines, as durations (`90s`, `30m`, `2h`) or seconds."""

    create: str | int
    """Deadline of the whole drill (restore, checks, removal); default 30m."""


class RestoreDrillArgs(TypedDict, total=False):
    """Args of RestoreDrill: an entry of the topology's `restore_drills`."""

    trigger: Required[str]
    """Change it (e.g. to today's date) to run the drill again; a new restore point runs it again too."""
    openstack: OpenStackDrillArgs
    """A Cinder restore point (exactly one of `openstack` and `ibm`)."""
    ibm: IbmDrillArgs
    """An IBM VPC snapshot."""
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


class RestoreDrillInputs(Model):
    """A drill as the component takes it."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: Name
    trigger: Trigger
    openstack: _OpenStackPoint | None = None
    ibm: _IbmPoint | None = None
    expect: DrillExpect | None = None
    keep_scratch: bool = False
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts)

    @model_validator(mode="after")
    def _one(self) -> RestoreDrillInputs:
        if (self.openstack is None) == (self.ibm is None):
            raise FieldProblemError([(("openstack",), "give exactly one of openstack or ibm")])
        if self.ibm is not None and self.expect is not None:
            why = "IBM volumes are read by an instance they are attached to; an IBM drill checks state and source"
            raise FieldProblemError([(("expect",), why)])
        return self


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

    def __init__(
        self,
        resource_name: str,
        args: RestoreDrillArgs | RestoreDrillInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(RestoreDrillInputs, args, f"RestoreDrill '{resource_name}'", name=resource_name)
        super().__init__(TYPE, resource_name, None, opts)
        drill = self._ibm(resource_name, model) if model.ibm is not None else self._openstack(resource_name, model)
        self.restore_point_id = drill.restore_point_id
        self.started_at = drill.started_at
        self.finished_at = drill.finished_at
        self.restore_seconds = drill.restore_seconds
        self.checks_passed = drill.checks_passed
        self.checks = drill.checks
        self.error = drill.error
        self.scratch_volume_id = drill.scratch_volume_id
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
        }
