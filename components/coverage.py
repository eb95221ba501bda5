"""Coverage of the topology: per protected asset, its schedules, effective RPO, retention and copies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from components.config import BootVolumePlan, Schedule, Topology, VaultBackupSpec, resource_key
from components.oci.oracle_policies import ORACLE_POLICIES


@dataclass
class CoverageRow:
    """How one asset is protected. None means the plan cannot know (e.g. an existing policy by OCID)."""

    asset_id: str
    asset_name: str | None
    asset_kind: str
    cloud: str
    region: str
    protected_by: str
    policy: str
    schedules_known: bool = True
    schedules: list[str] = field(default_factory=list)
    rpo_hours: int | None = None
    retention_days: int | None = None
    cross_region: str | None = None
    manual_backups: list[str] = field(default_factory=list)
    destination: str | None = None
    """Where on-demand backups are written (vault backups), when the plan knows."""

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready data."""
        return asdict(self)


def effective_rpo_hours(schedules: tuple[Schedule, ...] | list[Schedule]) -> int | None:
    """Hours between backups in the worst case: the most frequent schedule's period."""
    return min((s.rpo_hours for s in schedules), default=None)


def longest_retention_days(schedules: tuple[Schedule, ...] | list[Schedule]) -> int | None:
    """Days the longest-kept backup of any schedule is retained."""
    return max((s.retention_days for s in schedules), default=None)


def _plan_policy(plan: BootVolumePlan) -> tuple[str, list[Schedule] | None, str | None]:
    """(policy label, its schedules when known, cross-region destination)."""
    if plan.policy is not None:
        return f"custom: {plan.display_name}", list(plan.policy.schedules), plan.policy.destination_region
    if plan.oracle_policy is not None:
        return f"oracle-defined: {plan.oracle_policy}", list(ORACLE_POLICIES[plan.oracle_policy]), None
    if plan.policy_id is not None:
        return f"existing: {plan.policy_id}", None, None
    return "none", [], None


def coverage(topology: Topology) -> list[CoverageRow]:
    """One row per protected asset, in the order the topology declares them."""
    rows: dict[str, CoverageRow] = {}
    if topology.oci is None:
        return []
    region = topology.oci.region
    for plan in topology.oci.boot_volume_plans:
        label, schedules, destination = _plan_policy(plan)
        owner = f"BootVolumeBackupPlan {plan.name}"
        for volume in plan.boot_volumes:
            rows[volume.id] = CoverageRow(
                asset_id=volume.id,
                asset_name=volume.name,
                asset_kind="boot volume",
                cloud="oci",
                region=region,
                protected_by=owner,
                policy=label,
                schedules_known=schedules is not None,
                schedules=[s.describe() for s in schedules or ()],
                rpo_hours=effective_rpo_hours(schedules) if schedules is not None else None,
                retention_days=longest_retention_days(schedules) if schedules is not None else None,
                cross_region=destination,
            )
    for plan in topology.oci.boot_volume_plans:
        for backup in plan.manual_backups:
            row = rows.get(backup.boot_volume_id)
            if row is None:
                row = rows[backup.boot_volume_id] = CoverageRow(
                    asset_id=backup.boot_volume_id,
                    asset_name=None,
                    asset_kind="boot volume",
                    cloud="oci",
                    region=region,
                    protected_by=f"BootVolumeBackupPlan {plan.name}",
                    policy="none",
                )
            row.manual_backups.append(f"{plan.name}/{backup.name} ({backup.type})")
    for spec in topology.oci.vault_backups:
        for row in _vault_rows(spec, region):
            rows.setdefault(row.asset_id, row)
    return list(rows.values())


def _destination(spec: VaultBackupSpec, object_name: str) -> str:
    where = spec.destination
    if where.bucket is not None:
        return f"bucket {where.bucket.namespace}/{where.bucket.bucket}/{object_name}"
    if where.par is not None:
        days = where.par.expires_in_days
        return f"PAR (created, {days}d) {where.par.namespace}/{where.par.bucket}/{object_name}"
    return "PAR URL (given, secret)"


def _vault_rows(spec: VaultBackupSpec, region: str) -> list[CoverageRow]:
    owner = f"VaultBackup {spec.name}"
    policy = f"on demand (trigger {spec.trigger})"
    rows = []
    if spec.backup_vault:
        what = "vault with its keys" if spec.include_keys else "vault metadata only"
        where = _destination(spec, spec.vault_object())
        rows.append(
            CoverageRow(
                asset_id=spec.vault_id,
                asset_name=spec.name,
                asset_kind="vault",
                cloud="oci",
                region=region,
                protected_by=owner,
                policy=policy,
                schedules=[f"{what}, to {where}"],
                destination=where,
            )
        )
    for key in spec.keys:
        where = _destination(spec, spec.key_object(key))
        rows.append(
            CoverageRow(
                asset_id=key,
                asset_name=f"{spec.name}/key-{resource_key(key)}",
                asset_kind="vault key",
                cloud="oci",
                region=region,
                protected_by=owner,
                policy=policy,
                schedules=[f"key with its enabled versions, to {where}"],
                destination=where,
            )
        )
    return rows
