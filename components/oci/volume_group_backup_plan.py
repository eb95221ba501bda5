"""VolumeGroupBackupPlan: a volume group backed up as one (OCI): its policy assignment and manual group backups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict

import pulumi
import pulumi_oci as oci
from pydantic import model_validator

from components.base import component_args, when_known
from components.config import VolumeGroupPlan
from components.config.oci import GroupManualBackup
from components.lifecycle import RetentionArgs
from components.oci.claims import Role, claimer
from components.oci.volume_backup_plan import (
    BlockStorageAccess,
    CustomPolicyArgs,
    ProtectionArgs,
    TimeoutsArgs,
    backup_options,
    backup_policy,
    connection_of,
    manual_backup_generations,
    needs_region,
    series_tags,
)

TYPE = "backup-topology:index:VolumeGroupBackupPlan"


class MemberArgs(TypedDict, total=False):
    """A block or boot volume of the group."""

    id: Required[pulumi.Input[str]]
    """Volume OCID (`ocid1.volume.…` or `ocid1.bootvolume.…`)."""
    name: str
    """Label of the volume in the coverage report."""


class GroupManualBackupArgs(TypedDict, total=False):
    """A one-off backup of the whole group: a volume backup of each member, all at one point in time."""

    name: Required[str]
    """Key of the backup in the plan (resource name `<plan>-<name>`)."""
    type: Literal["full", "incremental"]
    """`full` (default) or `incremental`."""
    trigger: str
    """Set or change it to take a new backup, `<plan>-<name>-<trigger>`; the earlier one stays in OCI."""
    display_name: str
    """Backup name in OCI; default `<plan>-<name>` (`-<trigger>` with a trigger)."""
    compartment_id: pulumi.Input[str]
    """Compartment of the backup; default the plan's."""
    protection: ProtectionArgs
    """OCI's deletion prevention, retention lock and legal hold."""
    retention: RetentionArgs
    """Earlier generations kept (needs `region`): those beyond it are deleted on every `up` (with their volume
    backups), never the current one nor one OCI's protection holds; default all stay."""
    delete_on_removal: bool
    """Without `retention`: removing the backup (or a new trigger, or `pulumi destroy`) deletes it in OCI. With
    `retention`: removing it (or `pulumi destroy`) deletes every generation. Default they stay."""
    freeform_tags: pulumi.Input[Mapping[str, str]]
    """Free-form tags of the backup (the component adds `backup-topology-series`, naming its series)."""
    defined_tags: pulumi.Input[Mapping[str, str]]
    """Defined tags of the backup, keys `Namespace.Key`."""


class VolumeGroupBackupPlanArgs(TypedDict, total=False):
    """Args of VolumeGroupBackupPlan: the fields of one `oci.volume_group_plans[]` entry of the topology, and how to
    reach OCI's Block Volume API. Give `volumes` (with `availability_domain`) or `volume_group_id`."""

    compartment_id: Required[pulumi.Input[str]]
    """Compartment (or tenancy) OCID of the group the plan makes, its policy and its backups."""
    name: str
    """Name of the plan (prefix of its resources' names); default the resource name."""
    volumes: Sequence[pulumi.Input[str] | MemberArgs]
    """Block and boot volumes of the group the plan makes: OCIDs (or outputs), or `{id, name}`; at most 32, in one
    availability domain, each in one group only."""
    availability_domain: pulumi.Input[str]
    """Availability domain of `volumes`: the group is made there."""
    display_name: str
    """Name of the group in OCI; default the plan's."""
    volume_group_id: pulumi.Input[str]
    """Instead of `volumes`: an existing volume group (the stack does not change it)."""
    policy: CustomPolicyArgs
    """A user-defined policy the plan creates and assigns to the group."""
    policy_id: pulumi.Input[str]
    """An existing user-defined policy, assigned to the group as it is."""
    oracle_policy: Literal["gold", "silver", "bronze"]
    """Refused: OCI takes no Oracle-defined policy for volume groups."""
    xrc_kms_key_id: pulumi.Input[str]
    """Vault key in `policy.destination_region` that encrypts the cross-region copies."""
    manual_backups: Sequence[GroupManualBackupArgs]
    """One-off group backups."""
    consistency: Literal["crash", "application"]
    """How consistent the group's backups are for the application on its volumes: `crash` (OCI takes every member
    at one point in time: crash-consistent across the group) or `application` (quiesced by `quiesce_hook`)."""
    quiesce_hook: str
    """With consistency `application`: the job or command of yours that quiesces the application before each backup.
    Recorded in outputs and coverage; the stack never runs it."""
    region: str
    """Region of the group, where the manual backups' generations are listed and pruned (`retention` needs it)."""
    auth: Literal["api_key", "instance_principal", "resource_principal", "security_token"]
    """How the listing and pruning calls authenticate (default api_key)."""
    profile: str
    """Profile of the OCI config file."""
    blockstorage_endpoint: str
    """Core Services (Block Volume) endpoint of `region`; default its public one."""
    timeouts: TimeoutsArgs
    """Deadlines of the generations' listing and pruning."""


class VolumeGroupPlanInputs(VolumeGroupPlan, BlockStorageAccess):
    """A volume group plan as the component takes it: the topology's entry and how to reach Block Volume."""

    @model_validator(mode="after")
    def _region_for_retention(self) -> VolumeGroupPlanInputs:
        return needs_region(self)


class VolumeGroupBackupPlan(pulumi.ComponentResource):
    """A volume group (made from volumes, or an existing one) with a user-defined backup policy and manual backups:
    every backup holds each member volume at the same point in time."""

    volume_group_id: pulumi.Output[str]
    """OCID of the volume group (the one the plan made, or the existing one)."""
    member_ids: list[pulumi.Input[str]]
    """OCIDs of the volumes the plan put in the group ([] for an existing group, whose members the plan does not
    know)."""
    policy_id: pulumi.Output[str] | None
    """OCID of the policy assigned to the group (created or existing); None without one."""
    assignment_id: pulumi.Output[str] | None
    """OCID of the group's policy assignment; None without a policy."""
    manual_backup_ids: dict[str, pulumi.Output[str]]
    """Volume group backup OCID per manual backup name: the current generation."""
    manual_backup_volume_ids: dict[str, pulumi.Output[list[str]]]
    """Per manual backup, the volume backups its current group backup holds (one per member volume)."""
    generations: dict[str, pulumi.Output[list[dict[str, Any]]]]
    """Per manual backup, the generations OCI holds of it (id, name, created_at), newest first, as the last `up` or
    refresh found them; empty without `region`."""
    compartment_id: pulumi.Input[str]
    """The plan's compartment."""
    connection: dict[str, Any] | None
    """How the plan reaches OCI Block Volume (region, auth, profile, endpoint); None without `region`."""
    consistency: str | None
    """`crash` or `application` as declared; None when undeclared (a group backup is crash-consistent across its
    volumes at best)."""
    quiesce_hook: str | None
    """The job or command that quiesces the application before each backup, as declared (never run by the stack);
    None unless consistency is `application`."""

    def __init__(
        self,
        resource_name: str,
        args: VolumeGroupBackupPlanArgs | VolumeGroupPlan | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"VolumeGroupBackupPlan '{resource_name}'"
        given = (
            args.fields() if isinstance(args, VolumeGroupPlan) and not isinstance(args, VolumeGroupPlanInputs) else args
        )
        plan = component_args(VolumeGroupPlanInputs, given, owner, name=resource_name)
        role: Role = "grouped-with-policy" if plan.policy is not None or plan.policy_id is not None else "grouped"
        members = [when_known(v.id, claimer(owner, f"volumes[{i}].id", role)) for i, v in enumerate(plan.volumes)]
        super().__init__(TYPE, resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.compartment_id = plan.compartment_id
        self.consistency = plan.consistency
        self.quiesce_hook = plan.quiesce_hook
        self.connection = connection_of(plan)
        self.member_ids = list(members)
        if plan.volume_group_id is not None:
            self.volume_group_id = pulumi.Output.from_input(plan.volume_group_id)
        else:
            self.volume_group_id = self._group(resource_name, plan, members, child)
        self.policy_id = backup_policy(
            self, resource_name, "VolumeGroupBackupPlan", plan.compartment_id, plan.policy_name, plan.policy,
            plan.policy_id, None,
        )  # fmt: skip
        self.assignment_id = None
        if self.policy_id is not None:
            self.assignment_id = oci.core.VolumeBackupPolicyAssignment(
                f"{resource_name}-assignment",
                asset_id=self.volume_group_id,
                policy_id=self.policy_id,
                xrc_kms_key_id=plan.xrc_kms_key_id,
                opts=child,
            ).id
        self.manual_backup_ids = {}
        self.manual_backup_volume_ids = {}
        self.generations = {}
        for backup in plan.manual_backups:
            made = self._manual_backup(resource_name, plan, backup, self.volume_group_id, child)
            self.manual_backup_ids[backup.name] = made.id
            self.manual_backup_volume_ids[backup.name] = made.volume_backup_ids.apply(lambda ids: list(ids or []))
            compartment = backup.compartment_id or plan.compartment_id
            held = manual_backup_generations(
                self, resource_name, plan.name, backup, "volume_group", made, self.volume_group_id, compartment, plan
            )
            if held is not None:
                self.generations[backup.name] = held
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping (what it registers and what the program exports)."""
        return {
            "volume_group_id": self.volume_group_id,
            "member_ids": self.member_ids,
            "policy_id": self.policy_id,
            "assignment_id": self.assignment_id,
            "manual_backup_ids": self.manual_backup_ids,
            "manual_backup_volume_ids": self.manual_backup_volume_ids,
            "generations": self.generations,
            "compartment_id": self.compartment_id,
            "connection": self.connection,
            "consistency": self.consistency,
            "quiesce_hook": self.quiesce_hook,
        }

    @staticmethod
    def _group(
        name: str, plan: VolumeGroupPlanInputs, members: list[Any], child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        # The members are the group's `volume_ids`, which OCI changes in place (UpdateVolumeGroup); `source_details`
        # only says what the group was made from, and a new value would replace the group: a replacement made before
        # the old group is deleted would find every volume still in it ("Each volume can only be in one volume
        # group"), so a change of members changes volume_ids alone.
        group = oci.core.VolumeGroup(
            f"{name}-group",
            availability_domain=plan.availability_domain,
            compartment_id=plan.compartment_id,
            display_name=plan.group_name,
            source_details=oci.core.VolumeGroupSourceDetailsArgs(type="volumeIds", volume_ids=members),
            volume_ids=members,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["sourceDetails"])),
        )
        return group.id

    @staticmethod
    def _manual_backup(
        name: str,
        plan: VolumeGroupPlanInputs,
        backup: GroupManualBackup,
        group_id: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> oci.core.VolumeGroupBackup:
        suffix = backup.resource_suffix()
        protection = backup.protection.to_oci() if backup.protection is not None else {}
        return oci.core.VolumeGroupBackup(
            f"{name}-{suffix}",
            volume_group_id=group_id,
            type=backup.type.upper(),
            compartment_id=backup.compartment_id or plan.compartment_id,
            display_name=backup.display_name or f"{plan.name}-{suffix}",
            freeform_tags=series_tags(backup.freeform_tags, plan.name, backup.name),
            defined_tags=backup.defined_tags or None,
            **protection,
            opts=backup_options(child, backup),
        )
