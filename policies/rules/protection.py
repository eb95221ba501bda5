"""Rules on how well assets are protected: retention and RPO, cross-region copies, one policy per volume."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.config.ibm import kept_days
from components.cron import CronError, parse_cron
from components.oci.oracle_policies import ORACLE_POLICIES
from policies.rules.base import (
    BOOT_VOLUME_PLAN,
    CINDER_BACKUP,
    IBM_COPY,
    IBM_GROUP,
    IBM_POLICY,
    IBM_SNAPSHOT,
    OCI_KEY_BACKUP,
    OCI_VAULT_BACKUP,
    PAR,
    PLANS,
    POLICY_ASSIGNMENT,
    REPLICATION_POLICY,
    VOLUME_BACKUP_POLICY,
    VOLUME_GROUP,
    VOLUME_PLAN,
    VOLUME_PLANS,
    Res,
    Rule,
    Violation,
    asset_kind,
    is_drill,
    is_prod,
    name_in,
    of_type,
    of_types,
    peek,
)

_PERIOD_HOURS = {"hour": 1, "day": 24, "week": 168, "month": 744, "year": 8760}
"""Hours between two backups of a schedule; a month counts as its longest (31 days)."""
_OCI_PERIODS = {f"ONE_{period.upper()}": period for period in _PERIOD_HOURS}
_EVERY = {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}
_PROD_STACKS = {"type": "array", "items": {"type": "string"}, "description": "Stacks held to the prod thresholds."}
_WAIVERS = {
    "type": "object",
    "description": "Resource name, or the name of the component that made it -> why it needs no copy elsewhere.",
    "additionalProperties": {"type": "string", "minLength": 1},
}
_STACK_TYPE = "::pulumi:pulumi:Stack::"

RETENTION_DEFINITION = (
    "Only schedules whose period is at most max_rpo_hours count. The RPO is met when there is such a schedule; "
    "the retention is the longest retention among those schedules and must be at least min_retention_days. "
    "Schedules of longer periods add older restore points but leave gaps longer than the RPO, so they never count."
)


# --- backup-retention-and-rpo ------------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """One schedule as the retention rule weighs it."""

    period: str
    """The OCI period (`day`, ...), or the cron spec of an IBM plan."""
    hours: int | None
    """Hours between two backups; None for a period the rule does not know (it never counts)."""
    retention_days: int
    backup_type: str
    plan: str | None = None
    """The IBM backup plan's name (its schedule is the cron spec `period`)."""

    def __str__(self) -> str:
        if self.plan is not None:
            return f"plan {self.plan} (cron {self.period}, up to {self.hours} h apart) kept {self.retention_days} d"
        return f"{_EVERY.get(self.period, self.period)} {self.backup_type} backups kept {self.retention_days} d"

    def which(self) -> str:
        """The backups of this schedule, as a fix names them."""
        if self.plan is not None:
            return f"the backups of plan {self.plan}"
        return f"the {_EVERY.get(self.period, self.period)} backups"


def _policy_schedules(policy: Res) -> list[_Schedule]:
    found = []
    for schedule in policy.props.get("schedules") or []:
        if not isinstance(schedule, Mapping):
            continue
        raw = str(schedule.get("period"))
        period = _OCI_PERIODS.get(raw, raw)
        found.append(
            _Schedule(
                period=period,
                hours=_PERIOD_HOURS.get(period),
                retention_days=int(schedule.get("retentionSeconds") or 0) // 86400,
                backup_type=str(schedule.get("backupType") or "backup").lower(),
            )
        )
    return found


def _oracle_schedules(name: str) -> list[_Schedule]:
    return [
        _Schedule(s.period, _PERIOD_HOURS[s.period], s.retention_days, s.backup_type) for s in ORACLE_POLICIES[name]
    ]


def _ibm_schedules(policy: Res) -> list[_Schedule]:
    """The active plans of an IBM backup policy, each as a schedule: hours between runs from its cron spec, the
    days its backups are kept from its deletion trigger (fewer when it keeps fewer backups than that)."""
    found = []
    for plan in policy.props.get("plans") or []:
        if not isinstance(plan, Mapping) or plan.get("active") is False:
            continue
        try:
            cron = parse_cron(str(plan.get("cron_spec")))
        except CronError:
            continue  # the provider's check refuses it before IBM sees it
        trigger = plan.get("deletion_trigger")
        trigger = trigger if isinstance(trigger, Mapping) else {}
        count = trigger.get("delete_over_count")
        days = kept_days(cron, int(trigger.get("delete_after") or 30), int(count) if count is not None else None)
        found.append(_Schedule(cron.spec, cron.rpo_hours, days, "snapshot", plan=str(plan.get("name"))))
    return found


_ADD_SCHEDULE = "add a schedule of period at most {ceiling} h kept at least {floor} d"
_ADD_PLAN = "add a plan running at least every {ceiling} h with backups kept at least {floor} d"


def _shortfall(
    schedules: Sequence[_Schedule], env: str, floor: int, ceiling: int, fix: str = _ADD_SCHEDULE
) -> tuple[str, str] | None:
    """What the schedules lack against the thresholds (RETENTION_DEFINITION) and what a custom policy would change;
    None when they meet them."""
    if not schedules:
        return None  # a policy without schedules takes no backups to judge
    need = f"{env} stacks need restore points at most {ceiling} h apart, kept at least {floor} d"
    add = fix.format(ceiling=ceiling, floor=floor)
    frequent = [s for s in schedules if s.hours is not None and s.hours <= ceiling]
    if not frequent:
        known = [s for s in schedules if s.hours is not None]
        if not known:
            return f"no schedule has a period this rule knows; {need}", add
        best = min(known, key=lambda s: s.hours or 0)
        return f"its most frequent schedule takes {best}, every {best.hours} h; {need}", add
    kept = max(frequent, key=lambda s: s.retention_days)
    if kept.retention_days >= floor:
        return None
    why = f"restore points at most {ceiling} h apart are kept only {kept.retention_days} d ({kept})"
    slow = [s for s in schedules if all(s is not f for f in frequent)]
    if slow:
        *rest, last = [str(s) for s in slow]
        listed = f"{', '.join(rest)} and {last}" if rest else last
        why += f"; {listed} do not count, being more than {ceiling} h apart"
    return f"{why}; {need}", f"keep {kept.which()} at least {floor} d, or {add}"


def _retention_and_rpo(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    env = "prod" if is_prod(stack, config) else "non-prod"
    floor = int(config["prod_min_retention_days" if env == "prod" else "other_min_retention_days"])
    ceiling = int(config["prod_max_rpo_hours" if env == "prod" else "other_max_rpo_hours"])
    found = []
    for policy in of_type(resources, VOLUME_BACKUP_POLICY):
        gap = _shortfall(_policy_schedules(policy), env, floor, ceiling)
        if gap is not None:
            found.append(Violation(f"backup policy {policy.name}: {gap[0]}: {gap[1]}", policy.urn))
    for policy in of_type(resources, IBM_POLICY):
        gap = _shortfall(_ibm_schedules(policy), env, floor, ceiling, _ADD_PLAN)
        if gap is not None:
            subject = f"IBM backup policy {policy.props.get('name')} ({policy.name})"
            found.append(Violation(f"{subject}: {gap[0]}: {gap[1]}", policy.urn))
    for plan, oracle in _oracle_plans(resources):
        gap = _shortfall(_oracle_schedules(oracle), env, floor, ceiling)
        if gap is not None:
            found.append(
                Violation(
                    f"boot volume plan {plan.name} uses the Oracle-defined policy {oracle}: {gap[0]}: Oracle-defined "
                    "policies cannot be changed, so use a custom policy (`policy:`) with a schedule of period at "
                    f"most {ceiling} h kept at least {floor} d",
                    plan.urn,
                )
            )
    return found


# --- which policy an assignment assigns ----------------------------------------------------------


def _oracle_plans(resources: Sequence[Res]) -> list[tuple[Res, str]]:
    """Volume plans (BootVolumeBackupPlan, VolumeBackupPlan) on an Oracle-defined policy (their registered output
    `oracle_policy`; a volume group takes no Oracle-defined policy)."""
    plans = []
    for plan in of_types(resources, VOLUME_PLANS):
        oracle = plan.props.get("oracle_policy")
        if isinstance(oracle, str) and oracle in ORACLE_POLICIES:
            plans.append((plan, oracle))
    return plans


def _assigned_policy(assignment: Res, resources: Sequence[Res]) -> Res | str | None:
    """The policy an assignment assigns: a VolumeBackupPolicy of the stack, the name of an Oracle-defined policy,
    or None for a policy made outside the stack (given by OCID)."""
    policies = of_type(resources, VOLUME_BACKUP_POLICY)
    for policy in policies:
        if policy.urn in assignment.dependencies:
            return policy
    plan = next((p for p in of_types(resources, PLANS) if p.urn == assignment.parent), None)
    if plan is None:
        return None
    # A plan's policy sits next to its assignments, even where the engine recorded no dependency.
    for policy in policies:
        if policy.parent == plan.urn:
            return policy
    oracle = plan.props.get("oracle_policy")
    return oracle if isinstance(oracle, str) and oracle in ORACLE_POLICIES else None


def _external_policies(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    by_owner: dict[tuple[str | None, str], list[Res]] = {}
    for assignment in of_type(resources, POLICY_ASSIGNMENT):
        if _assigned_policy(assignment, resources) is None:
            key = (assignment.parent, str(assignment.props.get("policyId")))
            by_owner.setdefault(key, []).append(assignment)
    plans = {p.urn: p for p in of_types(resources, PLANS)}
    found = []
    for (parent, policy_id), assignments in by_owner.items():
        plan = plans.get(parent or "")
        owner = f"{_plan_kind(plan)} {plan.name}" if plan is not None else f"assignment {assignments[0].name}"
        volumes = ", ".join(str(a.props.get("assetId")) for a in assignments)
        found.append(
            Violation(
                f"{owner} assigns policy {policy_id}, which is not made in this stack, to {volumes}: its RPO and "
                "retention cannot be judged offline (backup-retention-and-rpo does not see its schedules); check "
                "its schedules in OCI, or declare the policy in the stack (`policy:`) or use an Oracle-defined one "
                "(`oracle_policy:`)",
                plan.urn if plan is not None else assignments[0].urn,
            )
        )
    return found


def _plan_kind(plan: Res) -> str:
    return {BOOT_VOLUME_PLAN: "boot volume plan", VOLUME_PLAN: "volume plan"}.get(plan.type, "volume group plan")


# --- prod-cross-region-copy ----------------------------------------------------------------------


def _waiver_key(res: Res) -> str:
    """The name a waiver is best given under: the component that made the resource, else the resource."""
    if res.parent and _STACK_TYPE not in res.parent:
        return name_in(res.parent)
    return res.name


def _waived(res: Res, config: Mapping[str, Any]) -> bool:
    """Whether `waivers` gives a reason for the resource, by its name or by the name of its component."""
    waivers = config.get("waivers") or {}
    if not isinstance(waivers, Mapping):
        return False
    for key in {res.name, _waiver_key(res)}:
        reason = waivers.get(key)
        if isinstance(reason, str) and reason.strip():
            return True
    return False


def _or_waive(res: Res) -> str:
    return f', or waive it with the reason (waivers: {{"{_waiver_key(res)}": "<why>"}})'


def _boot_volume_copies(resources: Sequence[Res]) -> list[tuple[Res, str]]:
    found = []
    for assignment in of_type(resources, POLICY_ASSIGNMENT):
        policy = _assigned_policy(assignment, resources)
        subject = f"{asset_kind(assignment, resources)} {peek(assignment.props, 'assetId')} ({assignment.name})"
        if isinstance(policy, Res):
            if policy.props.get("destinationRegion"):
                continue
            why = f"has no cross-region copy: its policy {policy.name} has no destination_region; set one"
        elif isinstance(policy, str):
            why = (
                f"has no cross-region copy: the Oracle-defined policy {policy} copies to no other region; "
                "use a custom policy (`policy:`) with destination_region"
            )
        else:
            why = (
                f"may have no cross-region copy: its policy {assignment.props.get('policyId')} is not made in this "
                "stack, so its destination region cannot be checked; use a policy of the stack with destination_region"
            )
        found.append((assignment, f"{subject} {why}"))
    return found


def _ibm_copies(resources: Sequence[Res]) -> list[tuple[Res, str]]:
    copies = of_type(resources, IBM_COPY)

    def made_from(urn: str) -> int:
        # A copy depends on the resource its source snapshot ID comes from, whatever generation it copies.
        return sum(1 for copy in copies if urn in copy.dependencies)

    found = []
    for snapshot in of_type(resources, IBM_SNAPSHOT):
        if not made_from(snapshot.urn):
            found.append(
                (
                    snapshot,
                    f"IBM snapshot {snapshot.props.get('name')} of volume {snapshot.props.get('source_volume_id')} "
                    "has no cross-region copy: add one under copies",
                )
            )
    for group in of_type(resources, IBM_GROUP):
        members = len(group.props.get("source_volume_ids") or [])
        made = made_from(group.urn)
        if made < max(members, 1):
            found.append(
                (
                    group,
                    f"IBM consistency group {group.props.get('name')} ({group.name}) has copies in another region of "
                    f"{made} of its {members} snapshots: copy every member (a copies entry with "
                    f"consistency_group: {_waiver_key(group)}, i.e. a CrossRegionCopy with the group as source)",
                )
            )
    return found


def _ibm_policy_copies(resources: Sequence[Res]) -> list[tuple[Res, str]]:
    found = []
    for policy in of_type(resources, IBM_POLICY):
        plans = [p for p in policy.props.get("plans") or [] if isinstance(p, Mapping) and p.get("active") is not False]
        if any(p.get("remote_region_policies") for p in plans):
            continue
        found.append(
            (
                policy,
                f"IBM backup policy {policy.props.get('name')} ({policy.name}) copies no backup to another region: "
                "add remote_region_policies to one of its plans",
            )
        )
    return found


def _backup_bucket(backup: Res, pars: Mapping[str, Res]) -> tuple[str | None, str] | None:
    """(namespace, bucket) a vault or key backup is written to, or None when only a PAR URL made elsewhere says."""
    location = backup.props.get("location")
    if isinstance(location, Mapping) and location.get("bucket"):
        return location.get("namespace"), str(location.get("bucket"))
    for dep in backup.dependencies:  # a PAR the stack makes for the backup
        par = pars.get(dep)
        if par is not None and par.props.get("bucket"):
            return par.props.get("namespace"), str(par.props.get("bucket"))
    return None


def _replicated(where: tuple[str | None, str], region: str | None, replications: Sequence[Res]) -> bool:
    namespace, bucket = where
    for replication in replications:
        if replication.props.get("bucket") != bucket:
            continue
        if namespace and replication.props.get("namespace") not in (None, namespace):
            continue
        if region and replication.props.get("destinationRegionName") == region:
            continue  # a replica in the vault's own region is lost with it
        return True
    return False


def _vault_copies(resources: Sequence[Res]) -> list[tuple[Res, str]]:
    pars = {p.urn: p for p in of_type(resources, PAR)}
    replications = of_type(resources, REPLICATION_POLICY)
    found = []
    for backup in [*of_type(resources, OCI_VAULT_BACKUP), *of_type(resources, OCI_KEY_BACKUP)]:
        connection = backup.props.get("connection")
        region = connection.get("region") if isinstance(connection, Mapping) else None
        of = f"key {backup.props.get('key_id')}" if backup.type == OCI_KEY_BACKUP else backup.props.get("vault_id")
        subject = f"OCI {'key' if backup.type == OCI_KEY_BACKUP else 'vault'} backup {backup.name} of {of}"
        where = _backup_bucket(backup, pars)
        if where is None:
            found.append(
                (
                    backup,
                    f"{subject} is written through a PAR URL made outside this stack, so whether its bucket is "
                    "copied to another region cannot be seen: replicate that bucket to another region",
                )
            )
        elif not _replicated(where, region, replications):
            bucket = "/".join(part for part in where if part)
            found.append(
                (
                    backup,
                    f"{subject} is written to bucket {bucket} in {region or 'the vault region'} only: add an "
                    "oci.objectstorage.ReplicationPolicy from that bucket to another region",
                )
            )
    return found


def _cross_region(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    if not is_prod(stack, config):
        return []
    gaps = [
        *_boot_volume_copies(resources),
        *_ibm_copies(resources),
        *_ibm_policy_copies(resources),
        *_vault_copies(resources),
    ]
    return [Violation(message + _or_waive(res), res.urn) for res, message in gaps if not _waived(res, config)]


def _cinder_in_region(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    if not is_prod(stack, config):
        return []
    found = []
    for backup in of_type(resources, CINDER_BACKUP):
        if _waived(backup, config):
            continue
        connection = backup.props.get("connection")
        region = connection.get("region_name") if isinstance(connection, Mapping) else None
        found.append(
            Violation(
                f"Cinder backup {backup.props.get('name')} of volume {backup.props.get('volume_id')} ({backup.name}) "
                f"stays in {region or 'its cloud region'}: Cinder cannot copy a backup to another region; replicate "
                "its backup container to another region and import the backup's record there (`openstack volume "
                "backup record export` / `import`)" + _or_waive(backup),
                backup.urn,
            )
        )
    return found


# --- one-policy-per-boot-volume ------------------------------------------------------------------


def _one_policy_per_volume(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    seen: dict[str, Res] = {}
    found = []
    assignments = of_type(resources, POLICY_ASSIGNMENT)
    for assignment in assignments:
        asset = assignment.props.get("assetId")
        if not isinstance(asset, str):
            continue
        if asset in seen:
            found.append(
                Violation(
                    f"{asset_kind(assignment, resources)} {asset} is assigned by {seen[asset].name} and "
                    f"{assignment.name}; OCI keeps only the last one",
                    assignment.urn,
                )
            )
        seen.setdefault(asset, assignment)
    # A volume of a group with a policy has its assignment managed by the group ("Managing Backup Policy Assignments
    # to Volumes", Policy-Based Backups): its own assignment is not the policy OCI applies.
    for group in of_type(resources, VOLUME_GROUP):
        managed = next((a for a in assignments if group.urn in a.dependencies), None)  # its asset is the group
        if is_drill(group) or managed is None:
            continue
        for volume in peek(group.props, "volumeIds") or []:
            own = seen.get(volume) if isinstance(volume, str) else None
            if own is not None:
                found.append(
                    Violation(
                        f"volume {volume} is in volume group {group.name}, whose policy ({managed.name}) OCI applies "
                        f"to it, and {own.name} assigns it another: leave it out of one of them",
                        own.urn,
                    )
                )
    return found


RULES = [
    Rule(
        name="backup-retention-and-rpo",
        description=(
            "Backup policies (custom ones by their schedules, Oracle-defined gold/silver/bronze by Oracle's, IBM "
            "backup policies by their active plans: the longest gap between runs of the cron spec, and the days the "
            "deletion trigger keeps backups) keep restore points at most max_rpo_hours apart for at least "
            "min_retention_days. " + RETENTION_DEFINITION
        ),
        level="mandatory",
        scope="stack",
        check=_retention_and_rpo,
        defaults={
            "prod_stacks": ["prod", "production"],
            "prod_min_retention_days": 30,
            "prod_max_rpo_hours": 24,
            "other_min_retention_days": 7,
            "other_max_rpo_hours": 744,
        },
        schema={
            "prod_stacks": _PROD_STACKS,
            "prod_min_retention_days": {"type": "integer", "minimum": 1},
            "prod_max_rpo_hours": {"type": "integer", "minimum": 1},
            "other_min_retention_days": {"type": "integer", "minimum": 1},
            "other_max_rpo_hours": {"type": "integer", "minimum": 1},
        },
    ),
    Rule(
        name="external-backup-policy",
        description=(
            "A boot volume assigned a backup policy not made in the stack (by OCID): its RPO and retention cannot "
            "be judged offline."
        ),
        level="advisory",
        scope="stack",
        check=_external_policies,
    ),
    Rule(
        name="prod-cross-region-copy",
        description=(
            "In prod stacks every OCI boot volume's, block volume's and volume group's policy copies to another "
            "region, every IBM snapshot and every "
            "member of a consistency group has a copy in another region, every IBM backup policy copies its "
            "backups to another region (remote_region_policies of an active plan), and every vault or key backup's "
            "bucket is replicated to another region - unless `waivers` gives the reason."
        ),
        level="mandatory",
        scope="stack",
        check=_cross_region,
        defaults={"prod_stacks": ["prod", "production"], "waivers": {}},
        schema={"prod_stacks": _PROD_STACKS, "waivers": _WAIVERS},
    ),
    Rule(
        name="prod-cinder-backup-single-region",
        description="In prod stacks a Cinder backup stays in its region (Cinder has no cross-region copy).",
        level="advisory",
        scope="stack",
        check=_cinder_in_region,
        defaults={"prod_stacks": ["prod", "production"], "waivers": {}},
        schema={"prod_stacks": _PROD_STACKS, "waivers": _WAIVERS},
    ),
    Rule(
        name="one-policy-per-boot-volume",
        description=(
            "A boot or block volume, or a volume group, is assigned one backup policy (OCI silently keeps only the "
            "last), and a volume of a group with a policy has none of its own."
        ),
        level="mandatory",
        scope="stack",
        check=_one_policy_per_volume,
    ),
]
