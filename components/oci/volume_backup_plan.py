"""VolumeBackupPlan: a volume backup policy, its assignments to boot and block volumes, and manual backups (OCI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal, Required, TypedDict

import pulumi
import pulumi_oci as oci
from pydantic import Field, model_validator

from components.base import component_args, literal, when_known
from components.config import CustomPolicy, ManualBackup, VolumePlan
from components.config.base import HttpsUrl, Lifecycle, Model, OperationTimeouts
from components.config.oci import BlockVolumeRef, BootVolumeRef, GroupManualBackup, OciAuth, OciRegion
from components.errors import FieldProblemError
from components.lifecycle import RetentionArgs, keep_generations, series_of, with_metadata
from components.oci.claims import claimer
from components.retention import SERIES_KEY, oci_series_tag

TYPE = "backup-topology:index:VolumeBackupPlan"


class ScheduleArgs(TypedDict, total=False):
    """One schedule of a custom policy (the fields of `policy.schedules[]` in the topology)."""

    backup_type: Required[Literal["full", "incremental"]]
    """Full or incremental backups."""
    period: Required[Literal["hour", "day", "week", "month", "year"]]
    """How often a backup is taken."""
    retention_days: Required[int]
    """Days each backup is kept; at least the period."""
    hour_of_day: int
    """Hour the backup starts (day, week, month, year); default 0."""
    day_of_week: str
    """Weekday of a weekly backup (`monday` ... `sunday`); default monday."""
    day_of_month: int
    """Day of a monthly or yearly backup, 1-28; default 1."""
    month: str
    """Month of a yearly backup (`january` ... `december`); default january."""
    time_zone: Literal["utc", "regional"]
    """`utc` (default) or `regional` (the region's data-center time)."""
    protection: ProtectionArgs
    """OCI's deletion prevention / retention lock of this schedule's backups."""


class RetentionPeriodArgs(TypedDict):
    """How long OCI holds a backup under its lock."""

    amount: int
    """Number of units."""
    unit: Literal["days", "years"]
    """`days` or `years`."""


class ProtectionArgs(TypedDict, total=False):
    """OCI's own guards on backups (enforced by OCI)."""

    prevent_deletion: bool
    """OCI refuses to delete the backups during `retention_period`."""
    retention_lock: bool
    """Backups can be neither deleted nor altered during `retention_period`."""
    retention_period: RetentionPeriodArgs
    """The period the lock and prevention hold; required with either."""
    indefinite_retention: bool
    """Legal hold (manual backups only)."""


class CustomPolicyArgs(TypedDict, total=False):
    """A volume backup policy the plan creates."""

    schedules: Required[Sequence[ScheduleArgs]]
    """One or more schedules."""
    display_name: str
    """Policy name in OCI; default the plan's name."""
    destination_region: str
    """Region every scheduled backup is also copied to."""
    freeform_tags: pulumi.Input[Mapping[str, str]]
    """Free-form tags of the policy."""
    defined_tags: pulumi.Input[Mapping[str, str]]
    """Defined tags of the policy, keys `Namespace.Key`."""


class BootVolumeArgs(TypedDict, total=False):
    """A boot volume the policy is assigned to."""

    id: Required[pulumi.Input[str]]
    """Boot volume OCID, e.g. an instance's `boot_volume_id`."""
    name: str
    """Label of the volume: its coverage row, and, when `id` comes from another resource, the name of its
    assignment (`<plan>-<name>`; without one, `<plan>-boot-volume-<position>`)."""


class BlockVolumeArgs(TypedDict, total=False):
    """A block volume the policy is assigned to."""

    id: Required[pulumi.Input[str]]
    """Block volume OCID, e.g. an `oci.core.Volume`'s `id`."""
    name: str
    """Label of the volume: its coverage row, and, when `id` comes from another resource, the name of its
    assignment (`<plan>-<name>`; without one, `<plan>-block-volume-<position>`)."""


class ManualBackupArgs(TypedDict, total=False):
    """A one-off backup of a boot volume or a block volume (give one of `boot_volume_id` and `volume_id`)."""

    name: Required[str]
    """Key of the backup in the plan (resource name `<plan>-<name>`)."""
    boot_volume_id: pulumi.Input[str]
    """Boot volume OCID to back up (a BootVolumeBackup)."""
    volume_id: pulumi.Input[str]
    """Instead: block volume OCID to back up (a VolumeBackup)."""
    type: Literal["full", "incremental"]
    """`full` (default) or `incremental`."""
    trigger: str
    """Set or change it to take a new backup, `<plan>-<name>-<trigger>`; the earlier one stays in OCI."""
    display_name: str
    """Backup name in OCI; default `<plan>-<name>` (`-<trigger>` with a trigger)."""
    compartment_id: pulumi.Input[str]
    """Compartment of the backup; default the plan's."""
    kms_key_id: pulumi.Input[str]
    """Vault key encrypting the backup; default Oracle-managed."""
    protection: ProtectionArgs
    """OCI's deletion prevention, retention lock and legal hold."""
    retention: RetentionArgs
    """Earlier generations kept (needs `region`): those beyond it are deleted on every `up`, never the current one
    nor one OCI's protection holds; default all stay."""
    delete_on_removal: bool
    """Without `retention`: removing the backup from the program (or a new trigger, or `pulumi destroy`) deletes it in
    OCI. With `retention`: removing it (or `pulumi destroy`) deletes every generation. Default they stay."""
    freeform_tags: pulumi.Input[Mapping[str, str]]
    """Free-form tags of the backup (the component adds `backup-topology-series`, naming its series)."""
    defined_tags: pulumi.Input[Mapping[str, str]]
    """Defined tags of the backup, keys `Namespace.Key`."""


class TimeoutsArgs(TypedDict, total=False):
    """Deadlines, as durations (`90s`, `30m`, `2h`) or seconds."""

    create: str | int
    """Deadline of each listing and pruning of a manual backup's generations; default 30m."""


class VolumeBackupPlanArgs(TypedDict, total=False):
    """Args of VolumeBackupPlan (and BootVolumeBackupPlan): the fields of one `oci.volume_plans[]` (or
    `oci.boot_volume_plans[]`) entry of the topology, and how to reach OCI's Block Volume API.

    Give exactly one of `policy`, `policy_id` and `oracle_policy` when there are `boot_volumes` or `block_volumes`.
    """

    compartment_id: Required[pulumi.Input[str]]
    """Compartment (or tenancy) OCID of the policy."""
    name: str
    """Name of the plan (prefix of its resources' names and of the policy's display name); default the resource name."""
    policy: CustomPolicyArgs
    """A policy the plan creates."""
    policy_id: pulumi.Input[str]
    """An existing volume backup policy, assigned as it is."""
    oracle_policy: Literal["gold", "silver", "bronze"]
    """An Oracle-defined policy, looked up by name in the provider's region."""
    boot_volumes: Sequence[pulumi.Input[str] | BootVolumeArgs]
    """Boot volumes the policy is assigned to: OCIDs (or outputs), or `{id, name}`. A volume may be in one plan only."""
    block_volumes: Sequence[pulumi.Input[str] | BlockVolumeArgs]
    """Block volumes the policy is assigned to: OCIDs (or outputs), or `{id, name}`. A volume may be in one plan only,
    and not in a volume group that has a policy."""
    xrc_kms_key_id: pulumi.Input[str]
    """Vault key in `policy.destination_region` that encrypts the cross-region copies."""
    manual_backups: Sequence[ManualBackupArgs]
    """One-off backups."""
    consistency: Literal["crash", "application"]
    """How consistent the backups of these volumes (in use by their running instances) are: `crash`
    (crash-consistent restore points are enough) or `application` (the application is quiesced before each backup by
    `quiesce_hook`); default undeclared."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""
    region: str
    """Region of the volumes, where the manual backups' generations are listed (refresh) and pruned (`retention`):
    without it the plan records no generations, and `retention` is refused."""
    auth: Literal["api_key", "instance_principal", "resource_principal", "security_token"]
    """How the listing and pruning calls authenticate (default api_key: ~/.oci/config or OCI_CONFIG_FILE)."""
    profile: str
    """Profile of the OCI config file."""
    blockstorage_endpoint: str
    """Core Services (Block Volume) endpoint of `region`; default its public one."""
    timeouts: TimeoutsArgs
    """Deadlines of the generations' listing and pruning."""


class BlockStorageAccess(Model):
    """How a plan's generations reach OCI Block Volume (shared by the volume and volume group plans)."""

    region: OciRegion | None = Field(None, description="Region of the volumes and their manual backups.")
    auth: OciAuth | None = Field(None, description="Auth of the generations' calls.")
    profile: str | None = Field(None, description="Profile of the OCI config file.")
    blockstorage_endpoint: HttpsUrl | None = Field(None, description="Core Services endpoint of the region.")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")


class VolumePlanInputs(VolumePlan, BlockStorageAccess):
    """A volume plan as the component takes it: the topology's entry and how to reach OCI's Block Volume API."""

    @model_validator(mode="after")
    def _region_for_retention(self) -> VolumePlanInputs:
        return needs_region(self)


def needs_region(spec: Any) -> Any:
    """Retention lists and deletes a manual backup's generations through the Block Volume API of the plan's region."""
    if spec.region is None:
        for i, backup in enumerate(spec.manual_backups):
            if backup.retention is not None:
                why = (
                    f"required with manual_backups[{i}].retention: the stack lists and deletes the backup's "
                    "generations through the Block Volume API of the volumes' region"
                )
                raise FieldProblemError([(("region",), why)])
    return spec


def connection_of(spec: Any) -> dict[str, Any] | None:
    """The Block Volume connection of a plan (its Generations' `oci_block` input), or None without a region."""
    if spec.region is None:
        return None
    return {"region": spec.region, "auth": spec.auth, "profile": spec.profile, "endpoint": spec.blockstorage_endpoint}


GENERATION_KINDS = {
    "boot_volume": "oci_boot_volume_backups",
    "volume": "oci_volume_backups",
    "volume_group": "oci_volume_group_backups",
}


def manual_backup_generations(
    owner: pulumi.Resource,
    name: str,
    plan_name: str,
    backup: ManualBackup | GroupManualBackup,
    kind: Literal["boot_volume", "volume", "volume_group"],
    made: pulumi.CustomResource,
    source_id: pulumi.Input[str],
    compartment: pulumi.Input[str],
    spec: Any,
) -> pulumi.Output[list[dict[str, Any]]] | None:
    """The Generations record of one manual backup entry; its generations when the plan can reach OCI (it has a
    region), else None.

    The record stays while the entry does, even when the plan loses its region (and so its retention): a record
    removed from the program is deleted with its last state, and with delete_on_removal that would delete the
    backup the entry still declares. Without a region it lists nothing and deletes nothing.
    """
    connection = connection_of(spec)
    # With retention the generations are the record's to prune; without it the engine keeps (or, with
    # delete_on_removal, deletes) each one as before, and the record lists them.
    reachable = connection is not None
    lifecycle = Lifecycle(
        retention=backup.retention if reachable else None,
        delete_on_removal=reachable and backup.delete_on_removal and backup.retention is not None,
    )
    record = keep_generations(
        f"{name}-{backup.name}-generations",
        GENERATION_KINDS[kind],  # type: ignore[arg-type]
        manual_series(plan_name, backup.name),
        made.id.apply(lambda i: [i]),
        lifecycle,
        {"oci_block": connection, "backups_of": {"compartment_id": compartment, "source_id": source_id}},
        spec.timeouts.every_operation(),
        pulumi.ResourceOptions(parent=owner),
    )
    return record.generations if reachable else None


def manual_series(plan: str, backup: str) -> str:
    """The series of one manual backup entry of a plan: what its generations' freeform tag names."""
    return series_of("oci-manual-backup", f"{plan}/{backup}")


def series_tags(tags: pulumi.Input[Mapping[str, str]], plan: str, backup: str) -> pulumi.Output[dict[str, str]]:
    """The backup's freeform tags with the series tag added (OCI copies them to the backup's copies too)."""
    return with_metadata(tags, SERIES_KEY, oci_series_tag(manual_series(plan, backup)))


def backup_options(child: pulumi.ResourceOptions, backup: ManualBackup | GroupManualBackup) -> pulumi.ResourceOptions:
    """A manual backup is retained when removed, unless it says delete_on_removal without retention (then the
    engine deletes it, as before retention existed); with retention, its Generations record deletes what goes."""
    keep = backup.retention is not None or not backup.delete_on_removal
    return pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(retain_on_delete=keep))


def backup_policy(
    owner: pulumi.Resource,
    name: str,
    kind: str,
    compartment_id: pulumi.Input[str],
    display_name: str,
    policy: CustomPolicy | None,
    policy_id: pulumi.Input[str] | None,
    oracle_policy: str | None,
) -> pulumi.Output[str] | None:
    """The policy a plan assigns: one it creates (`<name>-policy`), an existing one, or an Oracle-defined one."""
    if policy is not None:
        created = oci.core.VolumeBackupPolicy(
            f"{name}-policy",
            compartment_id=compartment_id,
            display_name=display_name,
            destination_region=policy.destination_region,
            schedules=[oci.core.VolumeBackupPolicyScheduleArgs(**s.to_oci()) for s in policy.schedules],
            freeform_tags=policy.freeform_tags or None,
            defined_tags=policy.defined_tags or None,
            opts=pulumi.ResourceOptions(parent=owner),
        )
        return created.id
    if policy_id is not None:
        return pulumi.Output.from_input(policy_id)
    if oracle_policy is not None:
        found = oci.core.get_volume_backup_policies_output(
            filters=[oci.core.GetVolumeBackupPoliciesFilterArgs(name="display_name", values=[oracle_policy])],
            opts=pulumi.InvokeOptions(parent=owner),
        )
        return found.volume_backup_policies.apply(lambda got: _oracle_policy_id(kind, name, oracle_policy, got))
    return None  # manual backups only: nothing to assign


def _oracle_policy_id(kind: str, name: str, which: str, policies: Sequence[Any]) -> str:
    for policy in policies or ():
        if policy.display_name == which:
            return str(policy.id)
    msg = f"{kind} '{name}': the Oracle-defined policy '{which}' was not found in the provider's region"
    raise pulumi.RunError(msg)


class VolumeBackupPlan(pulumi.ComponentResource):
    """Scheduled backups (a policy assigned to boot and block volumes) and manual backups of OCI volumes."""

    type_token: ClassVar[str] = TYPE

    policy_id: pulumi.Output[str] | None
    """OCID of the policy the volumes are assigned to (created, existing, or Oracle-defined); None without one."""
    assignment_ids: dict[str, pulumi.Output[str]]
    """Policy assignment OCID per boot or block volume: keyed by the volume's OCID, or, for an OCID that comes from
    another resource, by its `name` (or `boot_volumes[<position>]`, `block_volumes[<position>]`)."""
    manual_backup_ids: dict[str, pulumi.Output[str]]
    """Backup OCID (boot volume or block volume backup) per manual backup name: the current generation."""
    manual_backup_kinds: dict[str, str]
    """What each manual backup backs up, by its name: `boot_volume` (a BootVolumeBackup) or `volume` (a
    VolumeBackup)."""
    generations: dict[str, pulumi.Output[list[dict[str, Any]]]]
    """Per manual backup, the generations OCI holds of it (id, name, created_at), newest first, as the last `up` or
    refresh found them; empty without `region`."""
    compartment_id: pulumi.Input[str]
    """The plan's compartment."""
    oracle_policy: str | None
    """`gold`, `silver` or `bronze` when the volumes are on an Oracle-defined policy (policy rules judge its
    schedules by this name); None otherwise."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (a backup of a volume in use by a running instance
    is crash-consistent at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (the stack records it and never
    runs it); None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: VolumeBackupPlanArgs | VolumePlan | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"{type(self).__name__} '{resource_name}'"
        given = args.fields() if isinstance(args, VolumePlan) and not isinstance(args, VolumePlanInputs) else args
        plan = component_args(VolumePlanInputs, given, owner, name=resource_name)
        # Known volumes are claimed before anything is registered; a volume from another resource when it is known.
        listed: list[tuple[str, int, BootVolumeRef | BlockVolumeRef]]
        listed = [("boot_volumes", i, v) for i, v in enumerate(plan.boot_volumes)]
        listed += [("block_volumes", i, v) for i, v in enumerate(plan.block_volumes)]
        assets = [when_known(v.id, claimer(owner, f"{field}[{i}].id", "assigned")) for field, i, v in listed]
        super().__init__(type(self).type_token, resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.oracle_policy = plan.oracle_policy
        self.compartment_id = plan.compartment_id
        self.consistency = plan.consistency
        self.quiesce_hook = plan.quiesce_hook
        self.policy_id = backup_policy(
            self,
            resource_name,
            type(self).__name__,
            plan.compartment_id,
            plan.display_name,
            plan.policy,
            plan.policy_id,
            plan.oracle_policy,
        )
        self.assignment_ids = {}
        for (field, i, volume), asset in zip(listed, assets, strict=True):
            ocid = literal(volume.id)
            unnamed = f"{'boot' if field == 'boot_volumes' else 'block'}-volume-{i}"
            suffix = volume.key if ocid is not None else (volume.name or unnamed)
            label = ocid or volume.name or f"{field}[{i}]"
            self.assignment_ids[label] = oci.core.VolumeBackupPolicyAssignment(
                f"{resource_name}-{suffix}",
                asset_id=asset,
                policy_id=self.policy_id,
                xrc_kms_key_id=plan.xrc_kms_key_id,
                opts=child,
            ).id
        self.manual_backup_ids = {}
        self.manual_backup_kinds = {}
        self.generations = {}
        for backup in plan.manual_backups:
            made = self._manual_backup(resource_name, plan, backup, child)
            self.manual_backup_ids[backup.name] = made.id
            self.manual_backup_kinds[backup.name] = backup.kind
            compartment = backup.compartment_id or plan.compartment_id
            held = manual_backup_generations(
                self, resource_name, plan.name, backup, backup.kind, made, backup.volume, compartment, plan
            )
            if held is not None:
                self.generations[backup.name] = held
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping (what it registers and what the program exports)."""
        return {
            "policy_id": self.policy_id,
            "assignment_ids": self.assignment_ids,
            "manual_backup_ids": self.manual_backup_ids,
            "manual_backup_kinds": self.manual_backup_kinds,
            "generations": self.generations,
            "compartment_id": self.compartment_id,
            "oracle_policy": self.oracle_policy,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }

    @staticmethod
    def _manual_backup(
        name: str, plan: VolumePlanInputs, backup: ManualBackup, child: pulumi.ResourceOptions
    ) -> pulumi.CustomResource:
        # Each generation (trigger) is a resource of its own: a new trigger leaves the last one to OCI, as removing
        # the backup from the config does, unless the backup says delete_on_removal (and no retention).
        suffix = backup.resource_suffix()
        protection = backup.protection.to_oci() if backup.protection is not None else {}
        common: dict[str, Any] = {
            "type": backup.type.upper(),
            "compartment_id": backup.compartment_id or plan.compartment_id,
            "kms_key_id": backup.kms_key_id,
            "display_name": backup.display_name or f"{plan.name}-{suffix}",
            "freeform_tags": series_tags(backup.freeform_tags, plan.name, backup.name),
            "defined_tags": backup.defined_tags or None,
            **protection,
            "opts": backup_options(child, backup),
        }
        if backup.boot_volume_id is not None:
            return oci.core.BootVolumeBackup(f"{name}-{suffix}", boot_volume_id=backup.boot_volume_id, **common)
        return oci.core.VolumeBackup(f"{name}-{suffix}", volume_id=backup.volume_id, **common)
