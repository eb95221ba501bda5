"""Topology models of IBM Cloud VPC: snapshots with fast-restore clones, consistency groups, backup policies."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from components.clouds.ibm_regions import IBM_REGIONS
from components.config.base import (
    Consistent,
    FieldProblems,
    HttpsUrl,
    Lifecycle,
    Model,
    OperationTimeouts,
    Ref,
    duplicate_problems,
    lowercase,
)
from components.cron import Cron, CronError, parse_cron, too_close
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


def _cron_spec(value: str) -> str:
    try:
        parse_cron(value)
    except CronError as exc:
        raise ValueError(str(exc)) from None
    return value


_KEY_CRN_FORM = "crn:v1:bluemix:public:kms:<region>:a/<account>:<instance>:key:<key id>"
_KEY_SERVICES = {"kms": "Key Protect", "hs-crypto": "Hyper Protect Crypto Services"}


def _key_crn(value: str) -> str:
    """The CRN of a root key, as IBM Cloud takes one to encrypt snapshots and their copies: a `key` of Key Protect
    (`kms`) or Hyper Protect Crypto Services (`hs-crypto`) in a region ("About data encryption for VPC", supported
    key management services; a CRN is crn:v1:<cname>:<ctype>:<service>:<location>:<scope>:<instance>:<type>:<id>).

    The key may be in another region than what it encrypts: IBM Cloud takes cross-regional root keys ("About data
    encryption for VPC", "Root key regional and cross-regional considerations", #byok-cross-region-keys), so its
    region is checked for being a region, not for being the copy's.
    """
    parts = value.split(":")
    if len(parts) != 10 or parts[:2] != ["crn", "v1"] or any(not p or p.strip() != p for p in parts[2:6] + parts[7:]):
        msg = f"must be the CRN of a Key Protect or Hyper Protect Crypto Services root key ({_KEY_CRN_FORM})"
        raise ValueError(msg)
    service, location, kind = parts[4], parts[5], parts[8]
    if service not in _KEY_SERVICES:
        msg = (
            f"is a CRN of service '{service}': a root key is one of Key Protect (kms) or Hyper Protect Crypto "
            f"Services (hs-crypto) ({_KEY_CRN_FORM})"
        )
        raise ValueError(msg)
    if kind != "key":
        msg = f"is the CRN of a {_KEY_SERVICES[service]} '{kind}', not of a key ({_KEY_CRN_FORM})"
        raise ValueError(msg)
    if location not in IBM_REGIONS:
        near = difflib.get_close_matches(location, sorted(IBM_REGIONS), n=1)
        zone = re.fullmatch(r"(.+)-\d+", location)
        hint = (
            f" (a zone of {zone[1]})"
            if zone and zone[1] in IBM_REGIONS
            else f" (did you mean '{near[0]}'?)"
            if near
            else ""
        )
        msg = f"names the location '{location}'{hint}, not an IBM Cloud region: a root key lives in a region"
        raise ValueError(msg)
    return value


IbmRegion = Annotated[str, AfterValidator(_ibm_region)]
IbmName = Annotated[str, AfterValidator(_ibm_name)]
IbmTrigger = Annotated[str, AfterValidator(_ibm_trigger)]
Crn = Annotated[str, Field(pattern=r"^crn:v1:[^\s]+$", max_length=512)]
KeyCrn = Annotated[str, Field(max_length=512), AfterValidator(_key_crn)]
IbmId = Annotated[str, Field(min_length=1)]
UserTags = list[str]
IbmTag = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9:_ .-]+$")]
"""A user tag as IBM Cloud takes it: up to 128 letters, digits, spaces and `_ . - :`."""
MatchTags = Annotated[list[IbmTag], Field(min_length=1)]
CronSpec = Annotated[str, AfterValidator(_cron_spec)]
MAX_PLANS = 4
"""IBM: a backup policy has at most 4 plans."""
REMOTE_COPIES_DEFAULT = 5
REMOTE_COPIES_MAX = 100
"""IBM: a remote region keeps 1 to 100 of a plan's most recent copies, 5 when the plan does not say."""


def zone_problems(region: str, zones: list[str], at: tuple[str | int, ...]) -> FieldProblems:
    """A problem for each zone that is not a zone of `region` (zones are `<region>-<n>`)."""
    return [
        ((*at, k), f"'{zone}' is not a zone of {region} ({region}-1, ...)")
        for k, zone in enumerate(zones)
        if not re.fullmatch(rf"{re.escape(region)}-\d+", zone)
    ]


def clone_zone_problems(volume_zone: str | None, clone_zones: list[str]) -> FieldProblems:
    """A fast-restore clone is made in another zone than the volume's: seed 004 / IBM Cloud docs "Creating Block
    Storage snapshots" (#snapshots-vpc-create-snapshot-clone-api): "Indicate a different zone or zones in your region
    from the zone in which you're creating the snapshot"."""
    return [
        (("clone_zones", k), f"{zone} is volume_zone, the volume's own zone: a fast-restore clone goes to another zone")
        for k, zone in enumerate(clone_zones)
        if zone == volume_zone
    ]


class IbmSnapshotSpec(Lifecycle, Consistent):
    """A snapshot of one block volume, with fast-restore clones in zones of the region."""

    name: IbmName = Field(description="Base name; the snapshot is named `<name>-<trigger>` (unique per region).")
    volume_id: Ref[IbmId] = Field(description="ID of the block volume.")
    clone_zones: list[str] = Field(default_factory=list, description="Zones with a fast-restore clone.")
    volume_zone: str | None = Field(
        None,
        description="Zone of the volume, when known: a clone in it is refused when the topology is loaded (the "
        "first `up` and its preview read the zone from IBM Cloud either way).",
    )
    user_tags: Ref[UserTags] = Field(default_factory=list, description="User tags of the snapshot.")
    resource_group_id: Ref[IbmId] | None = Field(None, description="Resource group; default ibm.resource_group_id.")
    trigger: IbmTrigger = Field(
        description="Change it to take a fresh snapshot (the previous one is kept, see retention)."
    )
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> IbmSnapshotSpec:
        problems = duplicate_problems(list(self.clone_zones), "clone_zones", None, "zone")
        problems += clone_zone_problems(self.volume_zone, list(self.clone_zones))
        if len(self.snapshot_name) > 63:
            problems.append((("trigger",), f"makes the snapshot name {self.snapshot_name} longer than 63 characters"))
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def snapshot_name(self) -> str:
        """The snapshot's name in IBM Cloud."""
        return f"{self.name}-{self.trigger}"


class IbmConsistencyGroupSpec(Lifecycle, Consistent):
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


class IbmDeletionTrigger(Model):
    """When a plan's backups are deleted: after a number of days, and beyond a number of recent ones."""

    delete_after: int = Field(30, ge=1, le=3650, description="Days each backup is kept after it is made.")
    delete_over_count: int | None = Field(
        None, ge=0, le=750, description="Keep at most this many recent backups per source; none: no maximum."
    )


class IbmClonePolicy(Model):
    """Fast-restore clones of a plan's backups, in zones of the policy's region."""

    zones: list[str] = Field(min_length=1, description="Zones of the region that keep a clone of each recent backup.")
    max_snapshots: int = Field(
        5, ge=1, le=10, description="How many of the most recent backups (per source) keep their clones."
    )

    @model_validator(mode="after")
    def _distinct(self) -> IbmClonePolicy:
        problems = duplicate_problems(list(self.zones), "zones", None, "zone")
        if problems:
            raise FieldProblemError(problems)
        return self


class IbmRemoteRegionPolicy(Model):
    """A copy of each backup of a plan in another region."""

    region: IbmRegion = Field(description="Region the copies are made in; not the policy's own region.")
    encryption_key_crn: Ref[KeyCrn] | None = Field(
        None,
        description="Root key (CRN) that encrypts the copies; default the source's key. Required when the sources "
        "use customer-managed encryption.",
    )
    # IBM VPC API reference, BackupPolicyPlanRemoteRegionPolicyPrototype.delete_over_count: "The maximum number of
    # recent remote copies to keep in this region", 1 to 100, default 5 (also terraform-provider-ibm,
    # website/docs/r/is_backup_policy_plan.html.markdown, remote_region_policy). A remote region has no age limit:
    # its copies are deleted by this count only.
    delete_over_count: int = Field(
        REMOTE_COPIES_DEFAULT,
        ge=1,
        le=REMOTE_COPIES_MAX,
        description="Most recent copies kept in the region (1 to 100, default 5, as IBM's API).",
    )


class IbmBackupPlanSpec(Model):
    """A plan of a backup policy: when backups are taken, how long they are kept, their clones and remote copies."""

    name: IbmName = Field(description="Name of the plan, unique in its policy; its backups are named after it.")
    cron_spec: CronSpec = Field(
        description="When backups are taken: 5-field cron in UTC (minute hour day-of-month month day-of-week), at "
        "most once an hour, e.g. '0 2 * * *'."
    )
    active: bool = Field(True, description="Whether the plan takes backups.")
    attach_user_tags: list[IbmTag] = Field(default_factory=list, description="User tags put on each backup.")
    copy_user_tags: bool = Field(True, description="Copy the source's user tags to its backups.")
    deletion_trigger: IbmDeletionTrigger = Field(
        default_factory=IbmDeletionTrigger, description="When backups are deleted (default: after 30 days)."
    )
    clone_policy: IbmClonePolicy | None = Field(None, description="Fast-restore clones of recent backups.")
    remote_region_policies: list[IbmRemoteRegionPolicy] = Field(
        default_factory=list, max_length=1, description="A copy of each backup in another region (at most one)."
    )

    @property
    def cron(self) -> Cron:
        """The parsed cron spec."""
        return parse_cron(self.cron_spec)

    @property
    def retention_days(self) -> int:
        """Days a backup is kept (see kept_days)."""
        return kept_days(self.cron, self.deletion_trigger.delete_after, self.deletion_trigger.delete_over_count)


def kept_days(cron: Cron, delete_after: int, delete_over_count: int | None) -> int:
    """Days a plan's backups are kept: delete_after, or fewer when delete_over_count keeps fewer backups than the
    plan takes in that time (counted at its most frequent runs)."""
    if delete_over_count is None:
        return delete_after
    return min(delete_after, delete_over_count * cron.shortest_hours // 24)


def remote_copies_hours(cron: Cron, copies: int) -> int:
    """Hours the copies a remote region keeps reach back: `copies` of them, one a run at the plan's most frequent
    runs (IBM deletes a remote region's copies by count only)."""
    return copies * cron.shortest_hours


def plans_remote_copies(plans: Sequence[IbmBackupPlanSpec]) -> dict[str, dict[str, int]]:
    """Per region the active plans copy to: `copies`, the copies of each source kept there (every plan's together),
    and `hours`, how far back the furthest-reaching plan's copies go."""
    found: dict[str, dict[str, int]] = {}
    for plan in plans:
        if not plan.active:
            continue
        for remote in plan.remote_region_policies:
            held = found.setdefault(remote.region, {"copies": 0, "hours": 0})
            held["copies"] += remote.delete_over_count
            held["hours"] = max(held["hours"], remote_copies_hours(plan.cron, remote.delete_over_count))
    return found


def plans_rpo_hours(plans: Sequence[IbmBackupPlanSpec]) -> int | None:
    """Hours between restore points in the worst case: the active plan that leaves the shortest longest gap."""
    return min((p.cron.rpo_hours for p in plans if p.active), default=None)


def plans_retention_days(plans: Sequence[IbmBackupPlanSpec]) -> int | None:
    """Days restore points are kept at the RPO: the longest retention among the most frequent active plans."""
    rpo = plans_rpo_hours(plans)
    return max((p.retention_days for p in plans if p.active and p.cron.rpo_hours == rpo), default=None)


def plans_oldest_days(plans: Sequence[IbmBackupPlanSpec]) -> int | None:
    """Age in days of the oldest restore point any active plan keeps."""
    return max((p.retention_days for p in plans if p.active), default=None)


def clone_zone_hours_per_source(plans: Sequence[IbmBackupPlanSpec]) -> int:
    """Clone-zone-hours a month per source: each active plan keeps max_snapshots clones in each of its zones."""
    return sum(
        p.clone_policy.max_snapshots * len(p.clone_policy.zones) * HOURS_PER_MONTH
        for p in plans
        if p.active and p.clone_policy is not None
    )


MatchResourceType = Annotated[Literal["volume", "instance"], BeforeValidator(lowercase)]
IncludedContent = Literal["boot_volume", "data_volumes"]


def plans_problems(plans: Sequence[IbmBackupPlanSpec]) -> FieldProblems:
    """A policy's plans: names unique, schedules at least an hour apart (IBM's rules across plans)."""
    problems = duplicate_problems([p.name for p in plans], "plans", "name", "plan name")
    clashes = too_close([p.cron for p in plans])
    problems += [
        (
            ("plans", i, "cron_spec"),
            f"runs within an hour of plan '{plans[j].name}' (e.g. at {when:%a %H:%M} UTC); IBM keeps the "
            "schedules of a policy's plans at least an hour apart",
        )
        for i, j, when in clashes
    ]
    return problems


def policy_problems(
    match_resource_type: str, included_content: Sequence[str] | None, covers: Sequence[Any]
) -> FieldProblems:
    """The policy's own rules: included_content only for instances, each once; each asset covered once."""
    problems: FieldProblems = []
    if included_content is not None:
        if match_resource_type != "instance":
            problems.append(
                (("included_content",), "only for match_resource_type instance (a volume is backed up whole)")
            )
        elif not included_content:
            problems.append((("included_content",), "needs boot_volume, data_volumes or both"))
        problems += duplicate_problems(list(included_content), "included_content", None, "content")
    problems += duplicate_problems(list(covers), "covers", None, match_resource_type)
    return problems


def backup_policy_problems(region: str, plans: Sequence[IbmBackupPlanSpec]) -> FieldProblems:
    """The rules that need the policy's region: clone zones are its zones, remote copies go to other regions."""
    problems: FieldProblems = []
    for i, plan in enumerate(plans):
        if plan.clone_policy is not None:
            problems += zone_problems(region, list(plan.clone_policy.zones), ("plans", i, "clone_policy", "zones"))
        for k, remote in enumerate(plan.remote_region_policies):
            if remote.region == region:
                problems.append(
                    (
                        ("plans", i, "remote_region_policies", k, "region"),
                        f"is the policy's own region ({region}); remote copies go to another region",
                    )
                )
    return problems


class IbmBackupPolicySpec(Consistent):
    """A backup policy: IBM Cloud backs up, on its plans' schedules, the volumes or instances carrying its tags."""

    name: IbmName = Field(description="Name of the policy (unique per region).")
    match_user_tags: Ref[MatchTags] = Field(
        description="Volumes (or instances) carrying any of these user tags are backed up by the policy."
    )
    match_resource_type: MatchResourceType = Field("volume", description="`volume` or `instance`.")
    included_content: list[IncludedContent] | None = Field(
        None, description="Instances only: boot_volume, data_volumes (default: IBM's, both)."
    )
    resource_group_id: Ref[IbmId] | None = Field(None, description="Resource group; default ibm.resource_group_id.")
    covers: list[Ref[IbmId]] = Field(
        default_factory=list,
        description="The volumes (or instances), by ID or name, the policy is meant to back up: the plan lists "
        "their coverage, and the first `up` checks that they carry a matching tag.",
    )
    plans: list[IbmBackupPlanSpec] = Field(
        min_length=1, max_length=MAX_PLANS, description="Schedules, retention, clones and remote copies (1 to 4)."
    )
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> IbmBackupPolicySpec:
        problems = policy_problems(self.match_resource_type, self.included_content, self.covers)
        problems += plans_problems(self.plans)
        if problems:
            raise FieldProblemError(problems)
        return self


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
    backup_policies: list[IbmBackupPolicySpec] = Field(
        default_factory=list, description="Scheduled backups: backup policies with their plans."
    )
    on_demand_tag: IbmTag | None = Field(
        None,
        description="User tag put on every on-demand snapshot (snapshots, consistency groups), which tells them "
        "apart from the backups of policies; default none.",
    )

    @model_validator(mode="after")
    def _zones(self) -> IbmSection:
        problems: FieldProblems = []
        for i, snap in enumerate(self.snapshots):
            problems += zone_problems(self.region, list(snap.clone_zones), ("snapshots", i, "clone_zones"))
            if snap.volume_zone is not None:
                problems += [
                    (("snapshots", i, "volume_zone"), why)
                    for _, why in zone_problems(self.region, [snap.volume_zone], ())
                ]
        for i, policy in enumerate(self.backup_policies):
            problems += [
                (("backup_policies", i, *at), why) for at, why in backup_policy_problems(self.region, policy.plans)
            ]
        unknown = sorted(set(self.endpoints) - IBM_REGIONS)
        problems += [(("endpoints", r), "unknown IBM Cloud VPC region") for r in unknown]
        if problems:
            raise FieldProblemError(problems)
        return self

    def endpoint(self, region: str) -> str | None:
        """The VPC API URL to use for `region` (None: the public one)."""
        return self.endpoints.get(region)
