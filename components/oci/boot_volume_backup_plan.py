"""BootVolumeBackupPlan: a volume backup policy, its assignments to boot volumes, and manual backups (OCI)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_oci as oci

from components.base import args_problem, component_args
from components.config import BootVolumePlan

BootVolumeBackupPlanArgs = BootVolumePlan
"""The component's args: the same validated model as a plan in the topology's `oci.boot_volume_plans`."""

TYPE = "backup-topology:index:BootVolumeBackupPlan"

# Boot volumes claimed by plans in the running program, per root stack: OCI keeps one policy per
# volume and silently replaces an earlier assignment, so a second claim in one stack is an error.
_CLAIMS: weakref.WeakKeyDictionary[pulumi.Resource, dict[str, str]] = weakref.WeakKeyDictionary()


class BootVolumeBackupPlan(pulumi.ComponentResource):
    """Scheduled backups (a policy assigned to boot volumes) and manual backups of OCI boot volumes."""

    policy_id: pulumi.Output[str] | None
    """OCID of the policy the volumes are assigned to (created, existing, or Oracle-defined); None without one."""
    assignment_ids: dict[str, pulumi.Output[str]]
    """Policy assignment OCID per boot volume OCID."""
    manual_backup_ids: dict[str, pulumi.Output[str]]
    """Boot volume backup OCID per manual backup name."""

    def __init__(
        self,
        resource_name: str,
        args: BootVolumeBackupPlanArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"BootVolumeBackupPlan '{resource_name}'"
        plan = component_args(BootVolumePlan, args, owner)
        _claim(owner, plan)
        super().__init__(TYPE, resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.policy_id = self._policy(resource_name, plan, child)
        self.assignment_ids = {
            volume.id: oci.core.VolumeBackupPolicyAssignment(
                f"{resource_name}-{volume.key}",
                asset_id=volume.id,
                policy_id=self.policy_id,
                xrc_kms_key_id=plan.xrc_kms_key_id,
                opts=child,
            ).id
            for volume in plan.boot_volumes
        }
        self.manual_backup_ids = {
            backup.name: oci.core.BootVolumeBackup(
                f"{resource_name}-{backup.name}",
                boot_volume_id=backup.boot_volume_id,
                type=backup.type.upper(),
                display_name=backup.display_name or f"{plan.name}-{backup.name}",
                freeform_tags=backup.freeform_tags or None,
                defined_tags=backup.defined_tags or None,
                opts=child,
            ).id
            for backup in plan.manual_backups
        }
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping (what it registers and what the program exports)."""
        return {
            "policy_id": self.policy_id,
            "assignment_ids": self.assignment_ids,
            "manual_backup_ids": self.manual_backup_ids,
        }

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


def _claim(owner: str, plan: BootVolumePlan) -> None:
    root = pulumi.runtime.get_root_resource()
    if root is None:
        return
    claims = _CLAIMS.setdefault(root, {})
    for i, volume in enumerate(plan.boot_volumes):
        holder = claims.get(volume.id)
        if holder is not None and holder != owner:
            raise args_problem(
                owner,
                f"boot_volumes[{i}].id",
                f"boot volume is already assigned a policy by {holder}; OCI keeps one backup policy per volume",
            )
    for volume in plan.boot_volumes:
        claims[volume.id] = owner
