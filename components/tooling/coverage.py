"""Coverage of the topology: per protected asset, its schedules, effective RPO, retention and copies."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from components.config import (
    HOURS_PER_MONTH,
    IbmBackupPlanSpec,
    IbmBackupPolicySpec,
    IbmSection,
    ManualBackup,
    OpenStackSection,
    Schedule,
    Topology,
    VaultBackupSpec,
    VolumeGroupPlan,
    VolumePlan,
    resource_key,
)
from components.config.base import Consistent, Lifecycle, Retention, given
from components.config.ibm import (
    clone_zone_hours_per_source,
    plans_oldest_days,
    plans_remote_copies,
    plans_retention_days,
    plans_rpo_hours,
)
from components.config.oci import GroupManualBackup, Protection
from components.oci.ocid import KIND_LABELS
from components.oci.oracle_policies import ORACLE_POLICIES

_EVERY = {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}

_IBM_IN_USE = True
"""An IBM snapshot (on demand, of a consistency group, or a policy's) may be of a volume in use: a first-generation
volume is snapshotted only while attached to a running instance (IBM Cloud docs, "Creating Block Storage snapshots",
the introduction; consistency groups are of attached first-generation volumes). Whether a volume is second
generation is not known offline, so every IBM volume counts as in use."""


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
    """Days the restore points `rpo_hours` apart are kept (the most frequent schedules' longest retention)."""
    oldest_restore_point_days: int | None = None
    """Age of the oldest restore point the schedules keep (the longest retention of any schedule)."""
    retention_count: int | None = None
    """IBM backup policies: how many recent backups the plans at the RPO keep at most (None: no maximum)."""
    generations: str | None = None
    """On-demand backups: which generations the stack keeps (`all kept`, `last 7, 30d`, ...)."""
    generations_by_backup: dict[str, dict[str, Any]] = field(default_factory=dict)
    """OCI manual backups: per `<plan>/<name>`, the generations the stack keeps (`kept_record`): keep_last and
    max_age_days (None: no such limit) and delete_on_removal."""
    generations_held: int | None = None
    """Generations the cloud holds: known after an `up` (the output `generations`), None in the offline plan."""
    oldest_generation: str | None = None
    """Creation time of the oldest generation held: known after an `up`, like generations_held."""
    cross_region: str | None = None
    drills: list[str] = field(default_factory=list)
    """Restore drills of the asset's backups (name and trigger)."""
    last_drill: str | None = None
    """When the last drill finished and whether it passed: known after an `up` (the drill's outputs)."""
    measured_rto_seconds: float | None = None
    """How long the last drill's restore took: known after an `up` (output `restore_seconds`)."""
    manual_backups: list[str] = field(default_factory=list)
    backup_locks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """OCI's own guards on the asset's backups (`protection`), per schedule (`daily incremental backups`) or manual
    backup (`manual backup <plan>/<name>`): prevent_deletion, retention_lock and legal_hold (true or false), and
    held_days, the days OCI holds the backups under them (0: no period)."""
    destination: str | None = None
    """Where on-demand backups are written (vault backups), when the plan knows."""
    clone_zones: list[str] = field(default_factory=list)
    """Zones with a fast-restore clone (IBM)."""
    copies: list[str] = field(default_factory=list)
    """Regions holding a copy made by CrossRegionCopy."""
    copy_retention: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per region of `copies`: the copies kept there (`kept_record` of the copies entry; the entries copying the
    asset to one region together: their keep_last added, the longest max_age_days, delete_on_removal when all do)."""
    policy_copies: list[str] = field(default_factory=list)
    """Regions a backup policy copies each backup to (IBM remote_region_policies, an OCI policy's
    destination_region)."""
    policy_copy_retention: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per region of policy_copies: `copies`, the most recent copies of the asset kept there (the plans'
    delete_over_count together), and `hours`, how far back they reach at the plan's most frequent runs."""
    clone_zone_hours_per_month: int | None = None
    monthly_clone_cost: float | None = None
    currency: str | None = None
    in_use: bool = False
    """Backups are taken while the volume may be written to (a running instance's boot volume, an attached IBM
    volume, a Cinder volume snapshotted with `force`): crash-consistent at best unless the application is quiesced."""
    consistency: str | None = None
    """`crash` or `application` as the topology declares it for every in-use protection of the asset (the weakest
    counts); None when one of them declares nothing."""
    quiesce_hooks: list[dict[str, str]] = field(default_factory=list)
    """Per protection with consistency `application`: {protected_by, hook}, the hook that quiesces the application
    before its backups, as recorded (the stack never runs it)."""
    volume_group: str | None = None
    """The OCI volume group (plan) whose backups hold this volume together with the group's other members, at one
    point in time (a consistency group); None outside a group."""
    backed_up_with: list[str] = field(default_factory=list)
    """The other volumes of that group, backed up together with this one."""

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready data."""
        return asdict(self)


def effective_rpo_hours(schedules: tuple[Schedule, ...] | list[Schedule]) -> int | None:
    """Hours between backups in the worst case: the most frequent schedule's period."""
    return min((s.rpo_hours for s in schedules), default=None)


def longest_retention_days(schedules: tuple[Schedule, ...] | list[Schedule]) -> int | None:
    """Days the longest-kept backup of any schedule is retained: the age of the oldest restore point."""
    return max((s.retention_days for s in schedules), default=None)


def retention_at_rpo_days(schedules: tuple[Schedule, ...] | list[Schedule]) -> int | None:
    """Days restore points are kept at the effective RPO: the longest retention of the most frequent schedules.

    Less frequent schedules keep older restore points, with gaps wider than the RPO between them.
    """
    rpo = effective_rpo_hours(schedules)
    return max((s.retention_days for s in schedules if s.rpo_hours == rpo), default=None)


def kept(spec: Lifecycle) -> str:
    """Which generations of an on-demand backup are kept, and what removing it does."""
    text = spec.retention.describe() if spec.retention is not None else "all kept"
    return f"{text}; deleted on removal" if spec.delete_on_removal else text


def kept_record(retention: Retention | None, delete_on_removal: bool, *, replaced: bool = False) -> dict[str, Any]:
    """Which generations of an on-demand backup (or copy) the stack keeps, as data a diff can compare: keep_last and
    max_age_days (None: no such limit), delete_on_removal. `replaced`: a backup whose next trigger replaces the
    resource (an OCI manual backup or copy) and that says delete_on_removal without retention keeps only the
    current generation (keep_last 1)."""
    if retention is None and replaced and delete_on_removal:
        return {"keep_last": 1, "max_age_days": None, "delete_on_removal": True}
    return {
        "keep_last": retention.keep_last if retention is not None else None,
        "max_age_days": retention.max_age_days if retention is not None else None,
        "delete_on_removal": delete_on_removal,
    }


def kept_text(record: dict[str, Any]) -> str:
    """A `kept_record` in words, e.g. `last 5, 35d; deleted on removal`, `all kept`."""
    last, days = record.get("keep_last"), record.get("max_age_days")
    parts = ([f"last {last}"] if last is not None else []) + ([f"{days}d"] if days is not None else [])
    return (", ".join(parts) or "all kept") + ("; deleted on removal" if record.get("delete_on_removal") else "")


def _together(kept: dict[str, Any] | None, more: dict[str, Any]) -> dict[str, Any]:
    """Two series of copies in one region: the copies both keep (a limit only when both have one)."""
    if kept is None:
        return more
    last, days = (kept["keep_last"], more["keep_last"]), (kept["max_age_days"], more["max_age_days"])
    return {
        "keep_last": None if None in last else sum(n for n in last if n is not None),
        "max_age_days": None if None in days else max(n for n in days if n is not None),
        "delete_on_removal": kept["delete_on_removal"] and more["delete_on_removal"],
    }


def declare_consistency(row: CoverageRow, entry: Consistent, owner: str, in_use: bool) -> None:
    """Join one protection of the row's asset: what its entry declares counts only if the volume may be in use, and
    the weakest declaration of the asset's in-use protections is the row's (undeclared < crash < application)."""
    if not in_use:
        return
    declared = entry.consistency
    if row.in_use:
        if row.consistency is None or declared is None:
            declared = None
        elif "crash" in (row.consistency, declared):
            declared = "crash"
    row.in_use = True
    row.consistency = declared
    hook = {"protected_by": owner, "hook": entry.quiesce_hook} if entry.quiesce_hook is not None else None
    if hook is not None and hook not in row.quiesce_hooks:
        row.quiesce_hooks.append(hook)


def _lock(protection: Protection) -> dict[str, Any]:
    period = protection.retention_period
    days = 0 if period is None else period.amount * (365 if period.unit == "years" else 1)
    return {
        "prevent_deletion": protection.prevent_deletion,
        "retention_lock": protection.retention_lock,
        "legal_hold": protection.indefinite_retention,
        "held_days": days,
    }


def schedule_locks(schedules: list[Schedule] | None) -> dict[str, dict[str, Any]]:
    """The `backup_locks` of a policy's schedules: each one with a `protection`, named by period and type (a
    retention change keeps its name, so a diff sees the same lock)."""
    locks: dict[str, dict[str, Any]] = {}
    for schedule in schedules or ():
        if schedule.protection is None:
            continue
        name = f"{_EVERY[schedule.period]} {schedule.backup_type} backups"
        count = sum(1 for key in locks if key == name or key.startswith(f"{name} #"))
        locks[name if not count else f"{name} #{count + 1}"] = _lock(schedule.protection)
    return locks


def manual_lock(plan: str, backup: ManualBackup | GroupManualBackup) -> dict[str, dict[str, Any]]:
    """The `backup_locks` entry of a manual backup with a `protection`."""
    if backup.protection is None:
        return {}
    return {f"manual backup {plan}/{backup.name}": _lock(backup.protection)}


def _plan_policy(plan: VolumePlan) -> tuple[str, list[Schedule] | None, str | None]:
    """(policy label, its schedules when known, cross-region destination)."""
    if plan.policy is not None:
        return f"custom: {plan.display_name}", list(plan.policy.schedules), plan.policy.destination_region
    if plan.oracle_policy is not None:
        return f"oracle-defined: {plan.oracle_policy}", list(ORACLE_POLICIES[plan.oracle_policy]), None
    if plan.policy_id is not None:
        return f"existing: {plan.policy_id}", None, None
    return "none", [], None


def _group_policy(plan: VolumeGroupPlan) -> tuple[str, list[Schedule] | None, str | None]:
    """(policy label, its schedules when known, cross-region destination) of a volume group's policy."""
    if plan.policy is not None:
        return f"custom: {plan.policy_name}", list(plan.policy.schedules), plan.policy.destination_region
    if plan.policy_id is not None:
        return f"existing: {plan.policy_id}", None, None
    return "none", [], None


def manual_kept(backup: ManualBackup | GroupManualBackup) -> str:
    """Which generations of an OCI manual backup stay, and what removing it does."""
    if backup.retention is not None:
        text = backup.retention.describe()
        return f"{text}; deleted on removal" if backup.delete_on_removal else text
    # without retention, delete_on_removal deletes each generation as the next trigger replaces it
    return "deleted on removal" if backup.delete_on_removal else "kept until deleted"


def _oci_manual_sources(topology: Topology) -> dict[tuple[str, str], list[str]]:
    """The assets each OCI manual backup (plan, backup) holds: its volume, or the members of its group (the group
    itself when they are not known)."""
    oci = topology.oci
    if oci is None:
        return {}
    found = {(plan.name, b.name): [given(b.volume)] for _, plan in oci.volume_plans_all() for b in plan.manual_backups}
    for group in oci.volume_group_plans:
        for backup in group.manual_backups:
            found[(group.name, backup.name)] = _group_assets(group)
    return found


def _group_assets(group: VolumeGroupPlan) -> list[str]:
    """The rows of a group: one per member volume, or the group itself when the plan does not list its members."""
    if group.volumes:
        return [given(v.id) for v in group.volumes]
    return [str(given(group.volume_group_id))]


def coverage(topology: Topology) -> list[CoverageRow]:
    """One row per protected asset, in the order the topology declares them."""
    rows: dict[str, CoverageRow] = {}
    if topology.oci is not None:
        _oci_rows(topology, rows)
    if topology.ibm is not None:
        _ibm_rows(topology.ibm, rows)
    if topology.openstack is not None:
        _openstack_rows(topology.openstack, rows)
    _copy_rows(topology, rows)
    _drill_rows(topology, rows)
    return list(rows.values())


def _drill_rows(topology: Topology, rows: dict[str, CoverageRow]) -> None:
    cinder = {s.name: given(s.volume_id) for s in (topology.openstack.snapshot_backups if topology.openstack else [])}
    ibm = {s.name: given(s.volume_id) for s in (topology.ibm.snapshots if topology.ibm else [])}
    oci = topology.oci
    manual = _oci_manual_sources(topology)
    vaults = {b.name: given(b.vault_id) for b in (oci.vault_backups if oci else [])}
    replicated = {b.name: b.destination.replica() for b in (oci.vault_backups if oci else [])}
    for drill in topology.restore_drills:
        what: str
        if drill.openstack is not None:
            volume, what = cinder.get(drill.openstack.snapshot_backup, ""), drill.openstack.restore_point
        elif drill.ibm is not None:
            volume, what = ibm.get(drill.ibm.snapshot, ""), f"snapshot in {drill.ibm.zone}"
        elif drill.oci is not None:
            point = (drill.oci.plan or "", drill.oci.manual_backup or "")
            volume = next(iter(manual.get(point, [])), "")
            kind = "boot volume" if volume.startswith("ocid1.bootvolume.") else "block volume"
            if drill.oci.backup_id is not None:
                kind = (
                    "block volume"
                    if str(given(drill.oci.backup_id)).startswith("ocid1.volumebackup.")
                    else "boot volume"
                )
            what = f"{kind} backup in {drill.oci.availability_domain}"
        elif drill.oci_volume_group is not None:
            point = (drill.oci_volume_group.plan or "", drill.oci_volume_group.manual_backup or "")
            what = f"volume group backup into a new group in {drill.oci_volume_group.availability_domain}"
            for member in manual.get(point, []):
                member_row = rows.get(member)
                if member_row is not None:
                    member_row.drills.append(f"{drill.name} ({what}, trigger {drill.trigger})")
            continue
        elif drill.oci_vault is not None:
            vault_point = drill.oci_vault
            volume = vaults.get(vault_point.vault_backup, "")
            replica = replicated.get(vault_point.vault_backup)
            if vault_point.file:
                what = f"vault backup file into {vault_point.region}"
            elif replica is not None and replica[0] == vault_point.region:
                what = f"vault backup into {vault_point.region} from the replica there"
            else:
                what = f"vault backup into {vault_point.region} from the vault region's bucket: proves no region loss"
        else:
            continue
        row = rows.get(volume)
        if row is not None:
            row.drills.append(f"{drill.name} ({what}, trigger {drill.trigger})")


def describe_plan(plan: IbmBackupPlanSpec) -> str:
    """e.g. `plan daily: cron 0 2 * * * (UTC), at most 24 h between runs, kept 14 d, last 20, clones in
    us-south-1 (latest 2), copied to us-east (last 5)`."""
    trigger = plan.deletion_trigger
    parts = [f"plan {plan.name}{'' if plan.active else ' (inactive)'}: {plan.cron.describe()}"]
    parts.append(f"kept {trigger.delete_after} d")
    if trigger.delete_over_count is not None:
        parts.append(f"last {trigger.delete_over_count}")
    if plan.clone_policy is not None:
        parts.append(f"clones in {', '.join(plan.clone_policy.zones)} (latest {plan.clone_policy.max_snapshots})")
    if plan.remote_region_policies:
        copies = ", ".join(f"{r.region} (last {r.delete_over_count})" for r in plan.remote_region_policies)
        parts.append(f"copied to {copies}")
    return ", ".join(parts)


def _retention_count(plans: list[IbmBackupPlanSpec]) -> int | None:
    """The most backups the active plans at the RPO keep (None when one of them keeps any number)."""
    rpo = plans_rpo_hours(plans)
    counts = [p.deletion_trigger.delete_over_count for p in plans if p.active and p.cron.rpo_hours == rpo]
    if not counts or any(c is None for c in counts):
        return None
    return max(c for c in counts if c is not None)


def _policy_rows(ibm: IbmSection, rows: dict[str, CoverageRow]) -> None:
    """One row per asset a backup policy covers: its plans' RPO and retention, clones and remote copies."""
    covering: dict[str, list[IbmBackupPolicySpec]] = {}
    for policy in ibm.backup_policies:
        for asset in map(given, policy.covers):
            covering.setdefault(asset, []).append(policy)
    rate = ibm.clone_zone_hourly_rate
    for asset, policies in covering.items():
        plans = [plan for policy in policies for plan in policy.plans]
        active = [plan for plan in plans if plan.active]
        hours = clone_zone_hours_per_source(plans)
        regions = list(dict.fromkeys(r.region for plan in active for r in plan.remote_region_policies))
        rows[asset] = CoverageRow(
            asset_id=asset,
            asset_name=None,
            asset_kind="block volume" if policies[0].match_resource_type == "volume" else "instance",
            cloud="ibm",
            region=ibm.region,
            protected_by=", ".join(f"IbmBackupPolicy {p.name}" for p in policies),
            policy=", ".join(f"backup policy {p.name}" for p in policies),
            schedules=[describe_plan(plan) for plan in plans],
            rpo_hours=plans_rpo_hours(plans),
            retention_days=plans_retention_days(plans),
            oldest_restore_point_days=plans_oldest_days(plans),
            retention_count=_retention_count(plans),
            cross_region=", ".join(regions) or None,
            policy_copies=regions,
            policy_copy_retention=plans_remote_copies(plans),
            clone_zones=list(dict.fromkeys(z for plan in active if plan.clone_policy for z in plan.clone_policy.zones)),
            clone_zone_hours_per_month=hours,
            monthly_clone_cost=round(hours * rate, 2) if rate is not None else None,
            currency=ibm.currency if rate is not None else None,
        )
        for policy in policies:  # a policy backs up volumes attached to their instances
            declare_consistency(rows[asset], policy, f"IbmBackupPolicy {policy.name}", _IBM_IN_USE)


def _covered_by_policy(row: CoverageRow) -> bool:
    return row.cloud == "ibm" and row.protected_by.startswith("IbmBackupPolicy ")


def _on_demand(row: CoverageRow, owner: str, policy: str, schedule: str, generations: str) -> None:
    """An on-demand backup of an asset a backup policy covers: the row says both."""
    row.protected_by += f", {owner}"
    row.policy += f"; {policy}"
    row.schedules.append(schedule)
    row.generations = generations


def _ibm_rows(ibm: IbmSection, rows: dict[str, CoverageRow]) -> None:
    _policy_rows(ibm, rows)
    rate = ibm.clone_zone_hourly_rate
    for spec in ibm.snapshots:
        hours = len(spec.clone_zones) * HOURS_PER_MONTH
        volume = given(spec.volume_id)
        owner, policy = f"SnapshotWithClones {spec.name}", f"on demand (trigger {spec.trigger})"
        row = rows.get(volume)
        if row is not None and _covered_by_policy(row):
            _on_demand(row, owner, policy, f"snapshot {spec.snapshot_name}", kept(spec))
            row.asset_name = row.asset_name or spec.name
            row.clone_zones = list(dict.fromkeys([*row.clone_zones, *spec.clone_zones]))
            row.clone_zone_hours_per_month = (row.clone_zone_hours_per_month or 0) + hours
            if rate is not None:
                row.monthly_clone_cost = round(row.clone_zone_hours_per_month * rate, 2)
            declare_consistency(row, spec, owner, _IBM_IN_USE)
            continue
        row = rows.setdefault(
            volume,
            CoverageRow(
                asset_id=volume,
                asset_name=spec.name,
                asset_kind="block volume",
                cloud="ibm",
                region=ibm.region,
                protected_by=owner,
                policy=policy,
                schedules=[f"snapshot {spec.snapshot_name}"],
                generations=kept(spec),
                clone_zones=list(spec.clone_zones),
                clone_zone_hours_per_month=hours,
                monthly_clone_cost=round(hours * rate, 2) if rate is not None else None,
                currency=ibm.currency if rate is not None else None,
            ),
        )
        declare_consistency(row, spec, owner, _IBM_IN_USE)
    for group in ibm.consistency_groups:
        owner, policy = f"SnapshotConsistencyGroup {group.name}", f"on demand (trigger {group.trigger})"
        for volume in map(given, group.volume_ids):
            row = rows.get(volume)
            if row is not None and _covered_by_policy(row):
                _on_demand(row, owner, policy, f"consistency group {group.group_name}", kept(group))
                declare_consistency(row, group, owner, _IBM_IN_USE)
                continue
            row = rows.setdefault(
                volume,
                CoverageRow(
                    asset_id=volume,
                    asset_name=None,
                    asset_kind="block volume",
                    cloud="ibm",
                    region=ibm.region,
                    protected_by=owner,
                    policy=policy,
                    schedules=[f"consistency group {group.group_name}"],
                    generations=kept(group),
                ),
            )
            declare_consistency(row, group, owner, _IBM_IN_USE)


def _openstack_rows(section: OpenStackSection, rows: dict[str, CoverageRow]) -> None:
    for spec in section.snapshot_backups:
        kind = "an incremental" if spec.backup.incremental else "a full"
        volume = given(spec.volume_id)
        row = rows.setdefault(
            volume,
            CoverageRow(
                asset_id=volume,
                asset_name=spec.name,
                asset_kind="volume",
                cloud="openstack",
                region=section.region_name or section.cloud or "-",
                protected_by=f"SnapshotBackup {spec.name}",
                policy=f"on demand (trigger {spec.trigger})",
                schedules=[f"snapshot {spec.resource_name}, then {kind} backup from it"],
                generations=kept(spec),
                destination=f"backup container {spec.backup.container}" if spec.backup.container else None,
            ),
        )
        # Without force the stack refuses an attached volume (the provider checks it): only force means in use.
        declare_consistency(row, spec, f"SnapshotBackup {spec.name}", spec.snapshot.force or spec.backup.force)


def _copy_rows(topology: Topology, rows: dict[str, CoverageRow]) -> None:
    ibm, oci = topology.ibm, topology.oci
    volumes: dict[str, list[str]] = {}
    if ibm is not None:
        volumes.update({s.name: [given(s.volume_id)] for s in ibm.snapshots})
        volumes.update({g.name: [given(v) for v in g.volume_ids] for g in ibm.consistency_groups})
    manual = _oci_manual_sources(topology)
    for copy in topology.copies:
        if copy.ibm is not None:
            kept = kept_record(copy.retention, copy.delete_on_removal)
            for volume in volumes.get(copy.ibm.source, []):
                _add_copy(rows.get(volume), copy.ibm.destination_region, kept)
        elif copy.oci is not None and copy.oci.source is not None:
            kept = kept_record(None, copy.delete_on_removal, replaced=True)
            for asset in manual.get((copy.oci.source.plan, copy.oci.source.manual_backup), []):
                _add_copy(rows.get(asset), copy.oci.destination_region, kept)
        elif copy.oci is not None:
            source = given(copy.oci.source_backup_id) or ""
            kind = KIND_LABELS.get(source.split(".")[1] if source.count(".") > 1 else "", "backup")
            row = rows.setdefault(
                source,
                CoverageRow(
                    asset_id=source,
                    asset_name=copy.name,
                    asset_kind=kind,
                    cloud="oci",
                    region=oci.region if oci is not None else "-",
                    protected_by=f"CrossRegionCopy {copy.name}",
                    policy="copy",
                ),
            )
            _add_copy(row, copy.oci.destination_region, kept_record(None, copy.delete_on_removal, replaced=True))


def _add_copy(row: CoverageRow | None, region: str, kept: dict[str, Any]) -> None:
    if row is not None:
        row.copies.append(region)
        row.copy_retention[region] = _together(row.copy_retention.get(region), kept)
        row.cross_region = ", ".join(dict.fromkeys([*row.policy_copies, *row.copies]))


def _oci_rows(topology: Topology, rows: dict[str, CoverageRow]) -> None:
    assert topology.oci is not None
    region = topology.oci.region
    for section, plan in topology.oci.volume_plans_all():
        owner = f"{_PLAN_COMPONENTS[section]} {plan.name}"
        label, schedules, destination = _plan_policy(plan)
        listed: list[tuple[str, str | None, str]] = [(given(v.id), v.name, "boot volume") for v in plan.boot_volumes]
        listed += [(given(v.id), v.name, "block volume") for v in plan.block_volumes]
        for asset, name, kind in listed:
            scheduled = rows[asset] = _scheduled_row(asset, name, kind, region, owner, label, schedules, destination)
            # the volume of a running instance is in use whenever it is backed up
            declare_consistency(scheduled, plan, owner, in_use=True)
    for group in topology.oci.volume_group_plans:
        _group_rows(group, region, rows)
    for section, plan in topology.oci.volume_plans_all():
        owner = f"{_PLAN_COMPONENTS[section]} {plan.name}"
        for backup in plan.manual_backups:
            backed_up = given(backup.volume)
            row = rows.get(backed_up)
            if row is None:
                kind = "boot volume" if backup.kind == "boot_volume" else "block volume"
                row = rows[backed_up] = CoverageRow(
                    asset_id=backed_up,
                    asset_name=None,
                    asset_kind=kind,
                    cloud="oci",
                    region=region,
                    protected_by=owner,
                    policy="none",
                )
            elif owner not in row.protected_by:
                row.protected_by += f", {owner}"
            _manual(row, plan.name, backup)
            declare_consistency(row, plan, owner, in_use=True)
    # A bucket has one replication policy, and it copies every backup written to the bucket, whichever entry
    # declared it: a vault or key backup is copied to another region when its bucket is replicated.
    replicas: dict[tuple[str, str], tuple[str, str]] = {}
    for spec in topology.oci.vault_backups:
        bucket, replica = spec.destination.stack_bucket(), spec.destination.replica()
        if bucket is not None and replica is not None:
            replicas[bucket] = (replica[0], given(replica[2]))
    for spec in topology.oci.vault_backups:
        for row in _vault_rows(spec, region, replicas):
            rows.setdefault(row.asset_id, row)


_PLAN_COMPONENTS = {"boot_volume_plans": "BootVolumeBackupPlan", "volume_plans": "VolumeBackupPlan"}


def _scheduled_row(
    asset: str,
    name: str | None,
    kind: str,
    region: str,
    owner: str,
    label: str,
    schedules: list[Schedule] | None,
    destination: str | None,
) -> CoverageRow:
    return CoverageRow(
        asset_id=asset,
        asset_name=name,
        asset_kind=kind,
        cloud="oci",
        region=region,
        protected_by=owner,
        policy=label,
        schedules_known=schedules is not None,
        schedules=[s.describe() for s in schedules or ()],
        rpo_hours=effective_rpo_hours(schedules) if schedules is not None else None,
        retention_days=retention_at_rpo_days(schedules) if schedules is not None else None,
        oldest_restore_point_days=longest_retention_days(schedules) if schedules is not None else None,
        cross_region=destination,
        policy_copies=[destination] if destination else [],
        backup_locks=schedule_locks(schedules),
    )


def _manual(row: CoverageRow, plan: str, backup: ManualBackup | GroupManualBackup) -> None:
    """An OCI manual backup joins the row of what it backs up: its line, and the generations it keeps."""
    fate = manual_kept(backup)
    row.manual_backups.append(f"{plan}/{backup.name} ({backup.type}, {fate})")
    row.generations_by_backup[f"{plan}/{backup.name}"] = kept_record(
        backup.retention, backup.delete_on_removal, replaced=True
    )
    kept_text = f"{backup.name}: {fate}"
    row.generations = f"{row.generations}; {kept_text}" if row.generations else kept_text
    row.backup_locks.update(manual_lock(plan, backup))


def _group_rows(group: VolumeGroupPlan, region: str, rows: dict[str, CoverageRow]) -> None:
    """One row per member of the group (or one for an existing group, whose members the plan does not list), each
    marked as backed up together with the others: a group backup holds every member at one point in time."""
    owner = f"VolumeGroupBackupPlan {group.name}"
    label, schedules, destination = _group_policy(group)
    members: list[tuple[str, str | None]] = [(given(v.id), v.name) for v in group.volumes]
    if not members:
        members = [(str(given(group.volume_group_id)), group.name)]
    for asset, name in members:
        if not group.volumes:
            kind = "volume group"
        else:
            kind = "boot volume" if asset.startswith("ocid1.bootvolume.") else "block volume"
        row = rows.get(asset)
        if row is None:
            row = rows[asset] = _scheduled_row(asset, name, kind, region, owner, label, schedules, destination)
        elif group.policy is None and group.policy_id is None:  # the group only takes manual backups
            row.protected_by += f", {owner}"  # whatever schedules the volume has elsewhere still run
        else:  # a manual backup of its own elsewhere: the group's policy still makes its scheduled backups
            row.protected_by += f", {owner}"
            row.policy = label
            fresh = _scheduled_row(asset, name, kind, region, owner, label, schedules, destination)
            for attr in ("schedules_known", "schedules", "rpo_hours", "retention_days", "oldest_restore_point_days"):
                setattr(row, attr, getattr(fresh, attr))
            row.backup_locks.update(fresh.backup_locks)
            row.policy_copies = fresh.policy_copies
            row.cross_region = ", ".join(dict.fromkeys([*row.policy_copies, *row.copies])) or None
        row.volume_group = group.group_name if group.volumes else group.name
        row.backed_up_with = [other_name or other for other, other_name in members if other != asset]
        for backup in group.manual_backups:
            _manual(row, group.name, backup)
        # the volumes of a group belong to running instances: in use whenever the group is backed up
        declare_consistency(row, group, owner, in_use=True)


def _destination(spec: VaultBackupSpec, object_name: str) -> str:
    where = spec.destination
    if where.bucket is not None:
        return f"bucket {where.bucket.namespace}/{where.bucket.bucket}/{object_name}"
    if where.par is not None:
        days = where.par.expires_in_days
        return f"PAR (created, {days}d) {where.par.namespace}/{where.par.bucket}/{object_name}"
    return "PAR URL (given, secret)"


def _replicated(replica: tuple[str, str] | None) -> str:
    return f", replicated to bucket {replica[1]} in {replica[0]}" if replica is not None else ""


def _vault_rows(
    spec: VaultBackupSpec, region: str, replicas: dict[tuple[str, str], tuple[str, str]]
) -> list[CoverageRow]:
    owner = f"VaultBackup {spec.name}"
    policy = f"on demand (trigger {spec.trigger})"
    bucket = spec.destination.stack_bucket()
    replica = replicas.get(bucket) if bucket is not None else None
    copied = replica[0] if replica is not None else None
    rows = []
    if spec.backup_vault:
        # Which keys a vault backup holds is known only once it ran (its output keys_in_backup): the plan names
        # none of them covered; a key the stack backs up one by one has a row of its own.
        what = (
            "vault with the keys it holds when it runs (output keys_in_backup after an up)"
            if spec.include_keys
            else "vault metadata only"
        )
        where = _destination(spec, spec.vault_object())
        rows.append(
            CoverageRow(
                asset_id=given(spec.vault_id),
                asset_name=spec.name,
                asset_kind="vault",
                cloud="oci",
                region=region,
                protected_by=owner,
                policy=policy,
                schedules=[f"{what}, to {where}" + _replicated(replica)],
                generations=kept(spec),
                destination=where,
                cross_region=copied,
            )
        )
    for key in map(given, spec.keys):
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
                schedules=[f"key with its enabled versions, to {where}" + _replicated(replica)],
                generations=kept(spec),
                destination=where,
                cross_region=copied,
            )
        )
    return rows


def summary(rows: list[CoverageRow]) -> dict[str, Any]:
    """The stack at a glance: assets covered, those without a copy in another region, fast-restore clone spend."""
    # Every kind of asset counts: boot and block volumes, IBM instances under a backup policy, Cinder volumes,
    # vaults and keys, copied boot volume backups. A row's copy in another region is its `cross_region`.
    costs = [r for r in rows if r.monthly_clone_cost is not None]
    return {
        "assets": len(rows),
        "without_cross_region_copy": [r.asset_name or r.asset_id for r in rows if not r.cross_region],
        "clone_zone_hours_per_month": sum(r.clone_zone_hours_per_month or 0 for r in rows),
        "monthly_clone_cost": round(sum(r.monthly_clone_cost or 0 for r in costs), 2) if costs else None,
        "currency": costs[0].currency if costs else None,
    }
