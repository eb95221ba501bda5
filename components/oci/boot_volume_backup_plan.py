"""BootVolumeBackupPlan: a volume backup policy, its assignments to boot volumes, and manual backups (OCI)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict

import pulumi
import pulumi_oci as oci

from components.base import args_problem, component_args, literal, when_known
from components.config import BootVolumePlan, ManualBackup

TYPE = "backup-topology:index:BootVolumeBackupPlan"


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


class ManualBackupArgs(TypedDict, total=False):
    """A one-off backup of a boot volume."""

    name: Required[str]
    """Key of the backup in the plan (resource name `<plan>-<name>`)."""
    boot_volume_id: Required[pulumi.Input[str]]
    """Boot volume OCID to back up."""
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
    delete_on_removal: bool
    """Removing the backup from the program (or a new trigger, or `pulumi destroy`) deletes it in OCI; default it
    stays (`retain_on_delete`)."""
    freeform_tags: pulumi.Input[Mapping[str, str]]
    """Free-form tags of the backup."""
    defined_tags: pulumi.Input[Mapping[str, str]]
    """Defined tags of the backup, keys `Namespace.Key`."""


class BootVolumeBackupPlanArgs(TypedDict, total=False):
    """Args of BootVolumeBackupPlan: the fields of one `oci.boot_volume_plans[]` entry of the topology.

    Give exactly one of `policy`, `policy_id` and `oracle_policy` when there are `boot_volumes`.
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
    xrc_kms_key_id: pulumi.Input[str]
    """Vault key in `policy.destination_region` that encrypts the cross-region copies."""
    manual_backups: Sequence[ManualBackupArgs]
    """One-off backups."""
    consistency: Literal["crash", "application"]
    """How consistent the backups of these boot volumes (in use by their running instances) are: `crash`
    (crash-consistent restore points are enough) or `application` (the application is quiesced before each backup by
    `quiesce_hook`); default undeclared."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""


# Boot volumes claimed by plans in the running program, per root stack: OCI keeps one policy per
# volume and silently replaces an earlier assignment, so a second claim in one stack is an error.
_CLAIMS: weakref.WeakKeyDictionary[pulumi.Resource, dict[str, tuple[str, str]]] = weakref.WeakKeyDictionary()
_CLAIMS_LOCK = threading.Lock()


class BootVolumeBackupPlan(pulumi.ComponentResource):
    """Scheduled backups (a policy assigned to boot volumes) and manual backups of OCI boot volumes."""

    policy_id: pulumi.Output[str] | None
    """OCID of the policy the volumes are assigned to (created, existing, or Oracle-defined); None without one."""
    assignment_ids: dict[str, pulumi.Output[str]]
    """Policy assignment OCID per boot volume: keyed by the volume's OCID, or, for an OCID that comes from another
    resource, by its `name` (or `boot_volumes[<position>]`)."""
    manual_backup_ids: dict[str, pulumi.Output[str]]
    """Boot volume backup OCID per manual backup name."""
    compartment_id: pulumi.Input[str]
    """The plan's compartment."""
    oracle_policy: str | None
    """`gold`, `silver` or `bronze` when the volumes are on an Oracle-defined policy (policy rules judge its
    schedules by this name); None otherwise."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (a backup of the boot volume of a running instance is
    crash-consistent at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (the stack records it and never
    runs it); None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: BootVolumeBackupPlanArgs | BootVolumePlan | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"BootVolumeBackupPlan '{resource_name}'"
        plan = component_args(BootVolumePlan, args, owner, name=resource_name)
        # Known volumes are claimed before anything is registered; a volume from another resource when it is known.
        assets = [when_known(v.id, _claimer(owner, f"boot_volumes[{i}].id")) for i, v in enumerate(plan.boot_volumes)]
        super().__init__(TYPE, resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.oracle_policy = plan.oracle_policy
        self.compartment_id = plan.compartment_id
        self.consistency = plan.consistency
        self.quiesce_hook = plan.quiesce_hook
        self.policy_id = self._policy(resource_name, plan, child)
        self.assignment_ids = {}
        for i, volume in enumerate(plan.boot_volumes):
            ocid = literal(volume.id)
            suffix = volume.key if ocid is not None else (volume.name or f"boot-volume-{i}")
            label = ocid or volume.name or f"boot_volumes[{i}]"
            self.assignment_ids[label] = oci.core.VolumeBackupPolicyAssignment(
                f"{resource_name}-{suffix}",
                asset_id=assets[i],
                policy_id=self.policy_id,
                xrc_kms_key_id=plan.xrc_kms_key_id,
                opts=child,
            ).id
        self.manual_backup_ids = {
            backup.name: self._manual_backup(resource_name, plan, backup, child) for backup in plan.manual_backups
        }
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping (what it registers and what the program exports)."""
        return {
            "policy_id": self.policy_id,
            "assignment_ids": self.assignment_ids,
            "manual_backup_ids": self.manual_backup_ids,
            "compartment_id": self.compartment_id,
            "oracle_policy": self.oracle_policy,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }

    @staticmethod
    def _manual_backup(
        name: str, plan: BootVolumePlan, backup: ManualBackup, child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        # Each generation (trigger) is a resource of its own: a new trigger leaves the last one to OCI, as removing
        # the backup from the config does, unless the backup says delete_on_removal.
        suffix = backup.resource_suffix()
        protection = backup.protection.to_oci() if backup.protection is not None else {}
        return oci.core.BootVolumeBackup(
            f"{name}-{suffix}",
            boot_volume_id=backup.boot_volume_id,
            type=backup.type.upper(),
            compartment_id=backup.compartment_id or plan.compartment_id,
            kms_key_id=backup.kms_key_id,
            display_name=backup.display_name or f"{plan.name}-{suffix}",
            freeform_tags=backup.freeform_tags or None,
            defined_tags=backup.defined_tags or None,
            **protection,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(retain_on_delete=not backup.delete_on_removal)
            ),
        ).id

    def _policy(self, name: str, plan: BootVolumePlan, child: pulumi.ResourceOptions) -> pulumi.Output[str] | None:
        if plan.policy is not None:
            policy = oci.core.VolumeBackupPolicy(
                f"{name}-policy",
                compartment_id=plan.compartment_id,
                display_name=plan.display_name,
                destination_region=plan.policy.destination_region,
                schedules=[oci.core.VolumeBackupPolicyScheduleArgs(**s.to_oci()) for s in plan.policy.schedules],
                freeform_tags=plan.policy.freeform_tags or None,
                defined_tags=plan.policy.defined_tags or None,
                opts=child,
            )
            return policy.id
        if plan.policy_id is not None:
            return pulumi.Output.from_input(plan.policy_id)
        if plan.oracle_policy is not None:
            which = plan.oracle_policy
            found = oci.core.get_volume_backup_policies_output(
                filters=[oci.core.GetVolumeBackupPoliciesFilterArgs(name="display_name", values=[which])],
                opts=pulumi.InvokeOptions(parent=self),
            )
            return found.volume_backup_policies.apply(lambda policies: _oracle_policy_id(name, which, policies))
        return None  # manual backups only: nothing to assign


def _oracle_policy_id(name: str, which: str, policies: Sequence[Any]) -> str:
    for policy in policies or ():
        if policy.display_name == which:
            return str(policy.id)
    msg = f"BootVolumeBackupPlan '{name}': the Oracle-defined policy '{which}' was not found in the provider's region"
    raise pulumi.RunError(msg)


def _claimer(owner: str, path: str) -> Any:
    """A check that claims a boot volume for `owner`: OCI keeps one policy per volume, so a second claim is refused."""

    def claim(volume_id: str) -> None:
        root = pulumi.runtime.get_root_resource()
        if root is None:
            return
        with _CLAIMS_LOCK:
            claims = _CLAIMS.setdefault(root, {})
            holder, at = claims.setdefault(volume_id, (owner, path))
        if holder != owner:
            why = f"boot volume is already assigned a policy by {holder}; OCI keeps one backup policy per volume"
            raise args_problem(owner, path, why)
        if at != path:
            raise args_problem(owner, path, f"boot volume already listed at {at}")

    return claim
