"""Topology models of restore drills: which restore point is restored, where, and how it is checked."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from components.config.base import Model, Name, OperationTimeouts, Trigger
from components.config.ibm import IbmName
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


class RestoreDrillSpec(Model):
    """A restore drill: restore, check, time, and remove the scratch volume; a new trigger runs it again."""

    name: Name = Field(description="Name unique among drills; names the scratch volume.")
    openstack: OpenStackDrill | None = Field(None, description="A drill of a Cinder backup or snapshot.")
    ibm: IbmDrill | None = Field(None, description="A drill of an IBM VPC snapshot.")
    trigger: Trigger = Field(description="Change it (e.g. to today's date) to run the drill again.")
    expect: DrillExpect | None = Field(None, description="The content the restore must hold.")
    keep_scratch: bool = Field(False, description="Keep the scratch volume after the drill (to look at it).")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadline of the drill.")

    @model_validator(mode="after")
    def _one(self) -> RestoreDrillSpec:
        if (self.openstack is None) == (self.ibm is None):
            raise FieldProblemError(
                [(("openstack",), "give the restore point to drill: exactly one of openstack or ibm")]
            )
        if self.ibm is not None and self.expect is not None:
            why = "IBM volumes are read by an instance they are attached to; an IBM drill checks state and source"
            raise FieldProblemError([(("expect",), why)])
        return self
