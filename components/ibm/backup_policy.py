"""IbmBackupPolicy: IBM Cloud VPC scheduled backups (a backup policy and its plans) as a component."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict

import pulumi
from pydantic import Field, model_validator

from components.base import component_args
from components.config import IbmBackupPolicySpec
from components.config.base import HttpsUrl
from components.config.ibm import (
    IbmRegion,
    backup_policy_problems,
    clone_zone_hours_per_source,
    plans_oldest_days,
    plans_retention_days,
    plans_rpo_hours,
)
from components.dynamic.ibm_backup_policy import IbmBackupPolicy as IbmBackupPolicyResource
from components.dynamic.ibm_backup_policy import plan_input
from components.errors import FieldProblemError
from components.ibm.snapshots import IbmTimeoutsArgs

POLICY_TYPE = "backup-topology:index:IbmBackupPolicy"


class IbmDeletionTriggerArgs(TypedDict, total=False):
    """When a plan's backups are deleted."""

    delete_after: int
    """Days each backup is kept after it is made (1 to 3650; default 30)."""
    delete_over_count: int
    """Keep at most this many recent backups per source (0 to 750); default no maximum."""


class IbmClonePolicyArgs(TypedDict, total=False):
    """Fast-restore clones of a plan's recent backups."""

    zones: Required[Sequence[str]]
    """Zones of the policy's region that keep a clone of each recent backup (billed per zone and hour)."""
    max_snapshots: int
    """How many of the most recent backups per source keep their clones (1 to 10; default 5)."""


class IbmRemoteRegionPolicyArgs(TypedDict, total=False):
    """A copy of each backup of a plan in another region."""

    region: Required[str]
    """Region of the copies; not the policy's own."""
    encryption_key_crn: pulumi.Input[str]
    """CRN of the root key (Key Protect or Hyper Protect Crypto Services) that encrypts the copies; default the
    source's key. Required when the sources use customer-managed encryption."""
    delete_over_count: int
    """The most recent copies kept in the region (1 to 100; default 5, as IBM's API)."""


class IbmBackupPlanArgs(TypedDict, total=False):
    """A plan of a backup policy, identified by its name."""

    name: Required[str]
    """Name of the plan, unique in the policy; its backups are named after it."""
    cron_spec: Required[str]
    """When backups are taken: 5-field cron in UTC (minute hour day-of-month month day-of-week), at most once an
    hour; plans of a policy run at least an hour apart. E.g. `0 2 * * *`."""
    active: bool
    """Whether the plan takes backups (default true)."""
    attach_user_tags: Sequence[str]
    """User tags put on each backup."""
    copy_user_tags: bool
    """Copy the source's user tags to its backups (default true)."""
    deletion_trigger: IbmDeletionTriggerArgs
    """When backups are deleted (default after 30 days)."""
    clone_policy: IbmClonePolicyArgs
    """Fast-restore clones of the recent backups."""
    remote_region_policies: Sequence[IbmRemoteRegionPolicyArgs]
    """A copy of each backup in another region (at most one)."""


class IbmBackupPolicyArgs(TypedDict, total=False):
    """Args of IbmBackupPolicy: an entry of the topology's `ibm.backup_policies`, and where it is made."""

    region: Required[str]
    """VPC region of the policy (and of the volumes it backs up), e.g. `us-south`."""
    match_user_tags: Required[pulumi.Input[Sequence[str]]]
    """Volumes (or instances) carrying any of these user tags are backed up."""
    plans: Required[Sequence[IbmBackupPlanArgs]]
    """1 to 4 plans: schedules, retention, clones and remote copies."""
    name: str
    """Name of the policy (unique per region); default the resource name."""
    match_resource_type: str
    """`volume` (default) or `instance`."""
    included_content: Sequence[str]
    """Instance policies only: `boot_volume`, `data_volumes` (default IBM's: both)."""
    resource_group_id: pulumi.Input[str]
    """Resource group of the policy; default the account's. Changing it replaces the policy."""
    covers: Sequence[pulumi.Input[str]]
    """The volumes (or instances), by ID or name, the policy is meant to back up: coverage lists them, and the first
    `up` checks that each volume carries one of match_user_tags."""
    timeouts: IbmTimeoutsArgs
    """Deadlines of the policy's create, update and delete (waits for `stable` included)."""
    endpoint: str
    """VPC API URL of the region; default its public one."""
    clone_zone_hourly_rate: float
    """Price of one clone in one zone for one hour, for the monthly cost estimate."""
    currency: str
    """Currency of the rate (default USD)."""
    consistency: Literal["crash", "application"]
    """How consistent the backups of the covered volumes (attached to their instances, in use) are: `crash`
    (crash-consistent restore points are enough) or `application` (the application is quiesced before each backup by
    `quiesce_hook`); default undeclared."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""


class IbmBackupPolicyInputs(IbmBackupPolicySpec):
    """A backup policy as the component takes it: the topology's entry, its region and the clone pricing."""

    region: IbmRegion = Field(description="VPC region.")
    endpoint: HttpsUrl | None = Field(None, description="VPC API URL of the region.")
    clone_zone_hourly_rate: float | None = Field(None, ge=0, description="Price of a clone-zone-hour.")
    currency: str = Field("USD", min_length=3, max_length=3, description="Currency of the rate.")

    @model_validator(mode="after")
    def _in_the_region(self) -> IbmBackupPolicyInputs:
        problems = backup_policy_problems(self.region, self.plans)
        if problems:
            raise FieldProblemError(problems)
        return self


class IbmBackupPolicy(pulumi.ComponentResource):
    """Scheduled backups on IBM Cloud VPC: a backup policy selecting volumes (or instances) by user tag, with plans
    saying when backups are taken, how long they are kept, where they are cloned and copied."""

    policy_name: str
    """The policy's name in IBM Cloud."""
    region: str
    """Region of the policy."""
    policy_id: pulumi.Output[str]
    """ID of the policy."""
    crn: pulumi.Output[str]
    """CRN of the policy."""
    lifecycle_state: pulumi.Output[str]
    """`stable` once made."""
    health_state: pulumi.Output[str]
    """IBM's view of the policy's health (`ok`, `degraded`, `faulted`, `inapplicable`)."""
    plan_ids: pulumi.Output[dict[str, str]]
    """Plan name -> plan ID."""
    plan_names: list[str]
    """Names of the plans, in the order given."""
    rpo_hours: int | None
    """Hours between restore points in the worst case (from the active plans' cron specs); None without one."""
    retention_days: int | None
    """Days restore points rpo_hours apart are kept."""
    oldest_restore_point_days: int | None
    """Age of the oldest restore point any plan keeps."""
    remote_regions: list[str]
    """Regions the active plans copy backups to."""
    clone_zones: list[str]
    """Zones the active plans keep fast-restore clones in."""
    covers: list[pulumi.Input[str]]
    """The assets the policy is meant to back up."""
    clone_zone_hours_per_month_per_source: int
    """max_snapshots x zones x 730, summed over the active plans: the clones each backed-up source keeps."""
    clone_zone_hours_per_month: int
    """clone_zone_hours_per_month_per_source for every covered asset."""
    monthly_clone_cost: float | None
    """clone_zone_hours_per_month times the configured hourly rate; None without a rate."""
    currency: str | None
    """Currency of monthly_clone_cost (registered as None without a rate)."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (a backup of a volume in use is then crash-consistent
    at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (the stack records it and never
    runs it); None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: IbmBackupPolicyArgs | IbmBackupPolicyInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        model = component_args(IbmBackupPolicyInputs, args, f"IbmBackupPolicy '{resource_name}'", name=resource_name)
        super().__init__(POLICY_TYPE, resource_name, None, opts)
        policy = IbmBackupPolicyResource(
            f"{resource_name}-policy",
            {
                "name": model.name,
                "match_user_tags": model.match_user_tags,
                "match_resource_type": model.match_resource_type,
                "included_content": list(model.included_content) if model.included_content is not None else None,
                "resource_group_id": model.resource_group_id,
                "covers": list(model.covers),
                "plans": [plan_input(p) for p in model.plans],
                "connection": {"region": model.region, "endpoint": model.endpoint},
                "timeouts": model.timeouts.every_operation(),
            },
            pulumi.ResourceOptions(parent=self),
        )
        active = [p for p in model.plans if p.active]
        self.policy_name = model.name
        self.region = model.region
        self.policy_id = policy.policy_id
        self.crn = policy.crn
        self.lifecycle_state = policy.lifecycle_state
        self.health_state = policy.health_state
        self.plan_ids = policy.plan_ids
        self.plan_names = [p.name for p in model.plans]
        self.rpo_hours = plans_rpo_hours(model.plans)
        self.retention_days = plans_retention_days(model.plans)
        self.oldest_restore_point_days = plans_oldest_days(model.plans)
        self.remote_regions = list(dict.fromkeys(r.region for p in active for r in p.remote_region_policies))
        self.clone_zones = list(dict.fromkeys(z for p in active if p.clone_policy for z in p.clone_policy.zones))
        self.covers = list(model.covers)
        self.clone_zone_hours_per_month_per_source = clone_zone_hours_per_source(model.plans)
        self.clone_zone_hours_per_month = self.clone_zone_hours_per_month_per_source * len(model.covers)
        rate = model.clone_zone_hourly_rate
        self.monthly_clone_cost = round(self.clone_zone_hours_per_month * rate, 2) if rate is not None else None
        self.currency = model.currency
        self.consistency = model.consistency
        self.quiesce_hook = model.quiesce_hook
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {
            "policy_name": self.policy_name,
            "region": self.region,
            "policy_id": self.policy_id,
            "crn": self.crn,
            "lifecycle_state": self.lifecycle_state,
            "health_state": self.health_state,
            "plan_ids": self.plan_ids,
            "plan_names": self.plan_names,
            "rpo_hours": self.rpo_hours,
            "retention_days": self.retention_days,
            "oldest_restore_point_days": self.oldest_restore_point_days,
            "remote_regions": self.remote_regions,
            "clone_zones": self.clone_zones,
            "covers": self.covers,
            "clone_zone_hours_per_month_per_source": self.clone_zone_hours_per_month_per_source,
            "clone_zone_hours_per_month": self.clone_zone_hours_per_month,
            "monthly_clone_cost": self.monthly_clone_cost,
            "currency": self.currency if self.monthly_clone_cost is not None else None,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }
