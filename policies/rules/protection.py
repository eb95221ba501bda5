"""Rules on how well assets are protected: retention and RPO, cross-region copies, one policy per volume."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.rules.base import (
    IBM_COPY,
    IBM_SNAPSHOT,
    POLICY_ASSIGNMENT,
    VOLUME_BACKUP_POLICY,
    Res,
    Rule,
    Violation,
    is_prod,
    of_type,
)

_PERIOD_HOURS = {"ONE_HOUR": 1, "ONE_DAY": 24, "ONE_WEEK": 168, "ONE_MONTH": 744, "ONE_YEAR": 8760}
_PROD_STACKS = {"type": "array", "items": {"type": "string"}, "description": "Stacks held to the prod thresholds."}


def _retention_and_rpo(res: Res, config: Mapping[str, Any], stack: str) -> list[Violation]:
    if res.type != VOLUME_BACKUP_POLICY:
        return []
    env = "prod" if is_prod(stack, config) else "other"
    floor = int(config[f"{env}_min_retention_days"])
    ceiling = int(config[f"{env}_max_rpo_hours"])
    schedules = [s for s in res.props.get("schedules") or [] if isinstance(s, Mapping)]
    if not schedules:
        return []
    rpo = min(_PERIOD_HOURS.get(str(s.get("period")), 10**6) for s in schedules)
    retention_days = max(int(s.get("retentionSeconds") or 0) // 86400 for s in schedules)
    found = []
    if rpo > ceiling:
        found.append(
            Violation(f"{res.name}: a backup every {rpo} h; {env} stacks need one at least every {ceiling} h", res.urn)
        )
    if retention_days < floor:
        found.append(
            Violation(
                f"{res.name}: backups kept at most {retention_days} d; {env} stacks keep one at least {floor} d",
                res.urn,
            )
        )
    return found


def _cross_region(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    if not is_prod(stack, config):
        return []
    found = []
    policies_by_parent = {p.parent: p for p in of_type(resources, VOLUME_BACKUP_POLICY)}
    for assignment in of_type(resources, POLICY_ASSIGNMENT):
        policy = policies_by_parent.get(assignment.parent)
        if policy is None or not policy.props.get("destinationRegion"):
            found.append(
                Violation(
                    f"boot volume {assignment.props.get('assetId')} ({assignment.name}) has no cross-region copy: "
                    "use a policy with destination_region",
                    assignment.urn,
                )
            )
    copied = {dep for copy in of_type(resources, IBM_COPY) for dep in copy.dependencies}
    for snapshot in of_type(resources, IBM_SNAPSHOT):
        if snapshot.urn not in copied:
            found.append(
                Violation(
                    f"IBM snapshot {snapshot.props.get('name')} of volume {snapshot.props.get('source_volume_id')} "
                    "has no cross-region copy: add one under copies",
                    snapshot.urn,
                )
            )
    return found


def _one_policy_per_volume(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    seen: dict[str, Res] = {}
    found = []
    for assignment in of_type(resources, POLICY_ASSIGNMENT):
        asset = assignment.props.get("assetId")
        if not isinstance(asset, str):
            continue
        if asset in seen:
            found.append(
                Violation(
                    f"boot volume {asset} is assigned by {seen[asset].name} and {assignment.name}; "
                    "OCI keeps only the last one",
                    assignment.urn,
                )
            )
        seen.setdefault(asset, assignment)
    return found


RULES = [
    Rule(
        name="backup-retention-and-rpo",
        description="Backup policies back up often enough and keep backups long enough for the stack's environment.",
        level="mandatory",
        scope="resource",
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
        name="prod-cross-region-copy",
        description="In prod stacks every boot volume and IBM snapshot has a copy in another region.",
        level="mandatory",
        scope="stack",
        check=_cross_region,
        defaults={"prod_stacks": ["prod", "production"]},
        schema={"prod_stacks": _PROD_STACKS},
    ),
    Rule(
        name="one-policy-per-boot-volume",
        description="A boot volume is assigned one backup policy (OCI silently keeps only the last).",
        level="mandatory",
        scope="stack",
        check=_one_policy_per_volume,
    ),
]
