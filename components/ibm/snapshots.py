"""SnapshotWithClones and SnapshotConsistencyGroup: IBM Cloud VPC snapshots as components."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict

import pulumi
from pydantic import Field, model_validator

from components.base import component_args
from components.config import HOURS_PER_MONTH, IbmConsistencyGroupSpec, IbmSnapshotSpec
from components.config.base import HttpsUrl
from components.config.ibm import IbmRegion, IbmTag, zone_problems
from components.dynamic.ibm_snapshot import IbmSnapshot, IbmSnapshotConsistencyGroup
from components.errors import FieldProblemError
from components.lifecycle import RetentionArgs, keep_generations, retained, series_of, with_tag
from components.retention import ibm_series_tag

SNAPSHOT_TYPE = "backup-topology:index:SnapshotWithClones"
GROUP_TYPE = "backup-topology:index:SnapshotConsistencyGroup"


class IbmTimeoutsArgs(TypedDict, total=False):
    """Deadlines, as durations (`90s`, `30m`, `2h`) or seconds."""

    create: str | int
    """How long the snapshot (and its clones) may take to be ready; default 30m."""


class SnapshotWithClonesArgs(TypedDict, total=False):
    """Args of SnapshotWithClones: an entry of the topology's `ibm.snapshots`, and where it is made."""

    volume_id: Required[pulumi.Input[str]]
    """ID of the block volume."""
    region: Required[str]
    """VPC region of the volume, e.g. `us-south`."""
    trigger: Required[str]
    """Change it (e.g. to today's date) to take a fresh snapshot, named `<name>-<trigger>`."""
    name: str
    """Base name of the snapshot; default the resource name."""
    clone_zones: Sequence[str]
    """Zones of the region with a fast-restore clone (billed per zone and hour), not the volume's own."""
    volume_zone: str
    """Zone of the volume, when known: a clone in it is refused at once (else by the provider's check)."""
    user_tags: pulumi.Input[Sequence[str]]
    """User tags of the snapshot."""
    resource_group_id: pulumi.Input[str]
    """Resource group; default the account's."""
    timeouts: IbmTimeoutsArgs
    """Deadlines."""
    endpoint: str
    """VPC API URL of the region; default its public one."""
    clone_zone_hourly_rate: float
    """Price of one clone in one zone for one hour, for the monthly cost estimate."""
    currency: str
    """Currency of the rate (default USD)."""
    retention: RetentionArgs
    """Earlier generations kept (default all): those beyond it are deleted on every `up`."""
    delete_on_removal: bool
    """Removing the component (or `pulumi destroy`) deletes every generation; by default they stay."""
    on_demand_tag: str
    """A user tag put on the snapshot that tells on-demand snapshots apart from a backup policy's backups
    (e.g. `backup:on-demand`); default none."""
    consistency: Literal["crash", "application"]
    """How consistent the snapshots of this volume (a first-generation volume is snapshotted attached, in use) are:
    `crash` (crash-consistent restore points are enough) or `application` (the application is quiesced before each
    backup by `quiesce_hook`); default undeclared."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""


_ON_DEMAND_TAG = "User tag that tells on-demand snapshots apart from a backup policy's backups; default none."


class _Where(IbmSnapshotSpec):
    """Placement shared by the IBM components' inputs."""

    region: IbmRegion = Field(description="VPC region.")
    endpoint: HttpsUrl | None = Field(None, description="VPC API URL of the region.")
    on_demand_tag: IbmTag | None = Field(None, description=_ON_DEMAND_TAG)


class SnapshotWithClonesInputs(_Where):
    """A snapshot as the component takes it: the topology's entry, its region and the clone pricing."""

    clone_zone_hourly_rate: float | None = Field(None, ge=0, description="Price of a clone-zone-hour.")
    currency: str = Field("USD", min_length=3, max_length=3, description="Currency of the rate.")

    @model_validator(mode="after")
    def _zones_of_the_region(self) -> SnapshotWithClonesInputs:
        problems = zone_problems(self.region, list(self.clone_zones), ("clone_zones",))
        if self.volume_zone is not None:
            problems += [(("volume_zone",), why) for _, why in zone_problems(self.region, [self.volume_zone], ())]
        if problems:
            raise FieldProblemError(problems)
        return self


def _connection(region: str, endpoint: str | None) -> dict[str, Any]:
    return {"region": region, "endpoint": endpoint}


class SnapshotWithClones(pulumi.ComponentResource):
    """A snapshot of an IBM Cloud VPC volume with fast-restore clones in zones, and what the clones cost."""

    snapshot_name: str
    """The snapshot's name in IBM Cloud (`<name>-<trigger>`)."""
    trigger: str
    """The trigger the snapshot was taken for."""
    region: str
    """Region of the snapshot."""
    endpoint: str | None
    """VPC API URL the snapshot was made through (None: the region's public one)."""
    resource_group_id: pulumi.Input[str] | None
    """Resource group of the snapshot (None: the account's default)."""
    snapshot_id: pulumi.Output[str]
    """ID of the snapshot."""
    crn: pulumi.Output[str]
    """CRN of the snapshot (a copy in another region is made from it)."""
    lifecycle_state: pulumi.Output[str]
    """`stable` once made."""
    clones: pulumi.Output[dict[str, Any]]
    """Per zone: {available: bool}."""
    size_gb: pulumi.Output[int]
    """Data the snapshot holds."""
    minimum_capacity_gb: pulumi.Output[int]
    """Capacity of the source volume (a volume restored from the snapshot is at least this large)."""
    encryption: pulumi.Output[str]
    """`provider_managed` or `user_managed`."""
    generations: pulumi.Output[list[dict[str, Any]]]
    """The snapshots of this spec the cloud holds (id, name, created_at), newest first."""
    clone_zone_hours_per_month: int
    """Clone zones x 730: fast-restore clones are billed per zone and hour, whatever the snapshot's size; only the
    current generation keeps its clones."""
    monthly_clone_cost: float | None
    """clone_zone_hours_per_month times the configured hourly rate; None without a rate."""
    currency: str | None
    """Currency of monthly_clone_cost (registered as None without a rate)."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (a snapshot of a volume in use is then
    crash-consistent at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (the stack records it and never
    runs it); None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: SnapshotWithClonesArgs | SnapshotWithClonesInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(
            SnapshotWithClonesInputs, args, f"SnapshotWithClones '{resource_name}'", name=resource_name
        )
        super().__init__(SNAPSHOT_TYPE, resource_name, None, opts)
        series = series_of("ibm-snapshot", model.name)
        connection = _connection(model.region, model.endpoint)
        snapshot = IbmSnapshot(
            f"{resource_name}-snapshot",
            {
                "name": model.snapshot_name,
                "trigger": model.trigger,
                "source_volume_id": model.volume_id,
                "resource_group_id": model.resource_group_id,
                "user_tags": with_tag(model.user_tags, ibm_series_tag(series), model.on_demand_tag),
                "clone_zones": list(model.clone_zones),
                "connection": connection,
                "timeouts": model.timeouts.every_operation(),
            },
            retained(self),
        )
        generations = keep_generations(
            f"{resource_name}-generations",
            "ibm_snapshot",
            series,
            snapshot.snapshot_id.apply(lambda i: [i]),
            model,
            {"ibm": connection},
            model.timeouts.every_operation(),
            pulumi.ResourceOptions(parent=self),
        )
        self.generations = generations.generations
        self.snapshot_name = model.snapshot_name
        self.trigger = model.trigger
        self.region = model.region
        self.endpoint = model.endpoint
        self.resource_group_id = model.resource_group_id
        self.snapshot_id = snapshot.snapshot_id
        self.crn = snapshot.crn
        self.lifecycle_state = snapshot.lifecycle_state
        self.clones = snapshot.clones
        self.size_gb = snapshot.size_gb
        self.minimum_capacity_gb = snapshot.minimum_capacity_gb
        self.encryption = snapshot.encryption
        self.clone_zone_hours_per_month = len(model.clone_zones) * HOURS_PER_MONTH
        rate = model.clone_zone_hourly_rate
        self.monthly_clone_cost = round(self.clone_zone_hours_per_month * rate, 2) if rate is not None else None
        self.currency = model.currency
        self.consistency = model.consistency
        self.quiesce_hook = model.quiesce_hook
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "snapshot_name": self.snapshot_name,
            "trigger": self.trigger,
            "region": self.region,
            "endpoint": self.endpoint,
            "resource_group_id": self.resource_group_id,
            "snapshot_id": self.snapshot_id,
            "crn": self.crn,
            "lifecycle_state": self.lifecycle_state,
            "clones": self.clones,
            "size_gb": self.size_gb,
            "minimum_capacity_gb": self.minimum_capacity_gb,
            "encryption": self.encryption,
            "generations": self.generations,
            "clone_zone_hours_per_month": self.clone_zone_hours_per_month,
            "monthly_clone_cost": self.monthly_clone_cost,
            "currency": self.currency if self.monthly_clone_cost is not None else None,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }


class SnapshotConsistencyGroupArgs(TypedDict, total=False):
    """Args of SnapshotConsistencyGroup: an entry of the topology's `ibm.consistency_groups`, and its region."""

    volume_ids: Required[Sequence[pulumi.Input[str]]]
    """IDs of the volumes (at least two, first-generation, attached to one instance)."""
    region: Required[str]
    """VPC region of the volumes."""
    trigger: Required[str]
    """Change it to take a fresh set of snapshots (the group is named `<name>-<trigger>`)."""
    name: str
    """Base name of the group; default the resource name."""
    delete_snapshots_on_delete: bool
    """Deleting the group deletes its snapshots (default true); changed in place."""
    resource_group_id: pulumi.Input[str]
    """Resource group; default the account's."""
    timeouts: IbmTimeoutsArgs
    """Deadlines."""
    endpoint: str
    """VPC API URL of the region; default its public one."""
    retention: RetentionArgs
    """Earlier generations kept (default all): those beyond it are deleted on every `up`."""
    delete_on_removal: bool
    """Removing the component (or `pulumi destroy`) deletes every generation; by default they stay."""
    on_demand_tag: str
    """A user tag put on every snapshot of the group that tells on-demand snapshots apart from a backup policy's
    backups; default none."""
    consistency: Literal["crash", "application"]
    """How consistent the group's snapshots (of volumes attached to one instance, in use) are: `crash` (crash-consistent
    restore points are enough) or `application` (the application is quiesced before each backup by `quiesce_hook`);
    default undeclared."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""


class SnapshotConsistencyGroupInputs(IbmConsistencyGroupSpec):
    """A consistency group as the component takes it: the topology's entry and its region."""

    region: IbmRegion = Field(description="VPC region.")
    endpoint: HttpsUrl | None = Field(None, description="VPC API URL of the region.")
    on_demand_tag: IbmTag | None = Field(None, description=_ON_DEMAND_TAG)


class SnapshotConsistencyGroup(pulumi.ComponentResource):
    """Snapshots of several first-generation volumes taken at the same time."""

    trigger: str
    """The trigger the group was taken for."""
    region: str
    """Region of the group."""
    endpoint: str | None
    """VPC API URL the group was made through (None: the region's public one)."""
    resource_group_id: pulumi.Input[str] | None
    """Resource group of the group (None: the account's default)."""
    member_count: int
    """How many snapshots the group holds (one per volume)."""
    group_id: pulumi.Output[str]
    """ID of the group."""
    crn: pulumi.Output[str]
    """CRN of the group."""
    lifecycle_state: pulumi.Output[str]
    """`stable` once made."""
    snapshot_ids: pulumi.Output[list[str]]
    """IDs of the group's snapshots, in the order of `volume_ids`."""
    generations: pulumi.Output[list[dict[str, Any]]]
    """The groups of this spec the cloud holds (id, name, created_at), newest first."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (snapshots of volumes in use are then crash-consistent
    at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (the stack records it and never
    runs it); None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: SnapshotConsistencyGroupArgs | SnapshotConsistencyGroupInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"SnapshotConsistencyGroup '{resource_name}'"
        model = component_args(SnapshotConsistencyGroupInputs, args, owner, name=resource_name)
        super().__init__(GROUP_TYPE, resource_name, None, opts)
        series = series_of("ibm-consistency-group", model.name)
        connection = _connection(model.region, model.endpoint)
        group = IbmSnapshotConsistencyGroup(
            f"{resource_name}-group",
            {
                "name": model.group_name,
                "trigger": model.trigger,
                "source_volume_ids": list(model.volume_ids),
                "resource_group_id": model.resource_group_id,
                "delete_snapshots_on_delete": model.delete_snapshots_on_delete,
                "user_tags": [ibm_series_tag(series), *([model.on_demand_tag] if model.on_demand_tag else [])],
                "connection": connection,
                "timeouts": model.timeouts.every_operation(),
            },
            retained(self),
        )
        generations = keep_generations(
            f"{resource_name}-generations",
            "ibm_group",
            series,
            group.group_id.apply(lambda i: [i]),
            model,
            {"ibm": connection},
            model.timeouts.every_operation(),
            pulumi.ResourceOptions(parent=self),
        )
        self.generations = generations.generations
        self.trigger = model.trigger
        self.region = model.region
        self.endpoint = model.endpoint
        self.resource_group_id = model.resource_group_id
        self.member_count = len(model.volume_ids)
        self.group_id = group.group_id
        self.crn = group.crn
        self.lifecycle_state = group.lifecycle_state
        self.snapshot_ids = group.snapshot_ids
        self.consistency = model.consistency
        self.quiesce_hook = model.quiesce_hook
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "trigger": self.trigger,
            "region": self.region,
            "endpoint": self.endpoint,
            "resource_group_id": self.resource_group_id,
            "member_count": self.member_count,
            "group_id": self.group_id,
            "crn": self.crn,
            "lifecycle_state": self.lifecycle_state,
            "snapshot_ids": self.snapshot_ids,
            "generations": self.generations,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }
