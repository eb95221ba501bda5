"""Topology models of IBM Cloud VPC: snapshots with fast-restore clones and consistency groups."""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from components.clouds.ibm_regions import IBM_REGIONS
from components.config.base import FieldProblems, HttpsUrl, Lifecycle, Model, OperationTimeouts, Ref, duplicate_problems
from components.errors import FieldProblemError

_IBM_NAME = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
_IBM_TRIGGER = re.compile(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?")
HOURS_PER_MONTH = 730
"""Average hours in a month, as cloud price lists count them."""


def _ibm_region(value: str) -> str:
    if value not in IBM_REGIONS:
        near = difflib.get_close_matches(value, sorted(IBM_REGIONS), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        msg = f"unknown IBM Cloud VPC region '{value}'{hint}"
        raise ValueError(msg)
    return value


def _ibm_name(value: str) -> str:
    if not _IBM_NAME.fullmatch(value):
        msg = "must be lowercase letters, digits and '-', start with a letter, not end with '-', at most 63 characters"
        raise ValueError(msg)
    return value


def _ibm_trigger(value: str) -> str:
    if not _IBM_TRIGGER.fullmatch(value):
        msg = "must be 1-32 lowercase letters, digits and '-' (it becomes part of the snapshot name), e.g. 2026-11-23"
        raise ValueError(msg)
    return value


IbmRegion = Annotated[str, AfterValidator(_ibm_region)]
IbmName = Annotated[str, AfterValidator(_ibm_name)]
IbmTrigger = Annotated[str, AfterValidator(_ibm_trigger)]
Crn = Annotated[str, Field(pattern=r"^crn:v1:[^\s]+$", max_length=512)]
IbmId = Annotated[str, Field(min_length=1)]
UserTags = list[str]


def zone_problems(region: str, zones: list[str], at: tuple[str | int, ...]) -> FieldProblems:
    """A problem for each zone that is not a zone of `region` (zones are `<region>-<n>`)."""
    return [
        ((*at, k), f"'{zone}' is not a zone of {region} ({region}-1, ...)")
        for k, zone in enumerate(zones)
        if not re.fullmatch(rf"{re.escape(region)}-\d+", zone)
    ]


class IbmSnapshotSpec(Lifecycle):
    """A snapshot of one block volume, with fast-restore clones in zones of the region."""

    name: IbmName = Field(description="Base name; the snapshot is named `<name>-<trigger>` (unique per region).")
    volume_id: Ref[IbmId] = Field(description="ID of the block volume.")
    clone_zones: list[str] = Field(default_factory=list, description="Zones with a fast-restore clone.")
    user_tags: Ref[UserTags] = Field(default_factory=list, description="User tags of the snapshot.")
    resource_group_id: Ref[IbmId] | None = Field(None, description="Resource group; default ibm.resource_group_id.")
    trigger: IbmTrigger = Field(
        description="Change it to take a fresh snapshot (the previous one is kept, see retention)."
    )
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> IbmSnapshotSpec:
        problems = duplicate_problems(list(self.clone_zones), "clone_zones", None, "zone")
        if len(self.snapshot_name) > 63:
            problems.append((("trigger",), f"makes the snapshot name {self.snapshot_name} longer than 63 characters"))
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def snapshot_name(self) -> str:
        """The snapshot's name in IBM Cloud."""
        return f"{self.name}-{self.trigger}"


class IbmConsistencyGroupSpec(Lifecycle):
    """Snapshots of several first-generation volumes taken together."""

    name: IbmName = Field(description="Base name; the group is named `<name>-<trigger>`.")
    volume_ids: list[Ref[IbmId]] = Field(min_length=2, description="IDs of the volumes (attached to one instance).")
    delete_snapshots_on_delete: bool = Field(True, description="Deleting the group deletes its snapshots.")
    resource_group_id: Ref[IbmId] | None = Field(None, description="Resource group; default ibm.resource_group_id.")
    trigger: IbmTrigger = Field(description="Change it to take a fresh set of snapshots.")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> IbmConsistencyGroupSpec:
        problems = duplicate_problems(list(self.volume_ids), "volume_ids", None, "volume")
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def group_name(self) -> str:
        """The group's name in IBM Cloud."""
        return f"{self.name}-{self.trigger}"


class IbmSection(Model):
    """Everything on IBM Cloud VPC, in one region."""

    region: IbmRegion = Field(description="Region of the volumes, e.g. `us-south`.")
    endpoints: dict[str, HttpsUrl] = Field(
        default_factory=dict, description="VPC API URL per region, for private endpoints; default the public ones."
    )
    resource_group_id: str | None = Field(None, description="Default resource group of snapshots and copies.")
    clone_zone_hourly_rate: float | None = Field(
        None, ge=0, description="Price of one fast-restore clone in one zone for one hour, for the cost estimate."
    )
    currency: str = Field("USD", min_length=3, max_length=3, description="Currency of clone_zone_hourly_rate.")
    snapshots: list[IbmSnapshotSpec] = Field(default_factory=list, description="Snapshots with fast-restore clones.")
    consistency_groups: list[IbmConsistencyGroupSpec] = Field(
        default_factory=list, description="Consistency group snapshots."
    )

    @model_validator(mode="after")
    def _zones(self) -> IbmSection:
        problems: FieldProblems = []
        for i, snap in enumerate(self.snapshots):
            problems += zone_problems(self.region, list(snap.clone_zones), ("snapshots", i, "clone_zones"))
        unknown = sorted(set(self.endpoints) - IBM_REGIONS)
        problems += [(("endpoints", r), "unknown IBM Cloud VPC region") for r in unknown]
        if problems:
            raise FieldProblemError(problems)
        return self

    def endpoint(self, region: str) -> str | None:
        """The VPC API URL to use for `region` (None: the public one)."""
        return self.endpoints.get(region)
