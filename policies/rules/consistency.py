"""Rule on backups of volumes in use: in prod, the topology says whether crash-consistent restore points are enough."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.rules.base import (
    BOOT_VOLUME_BACKUP,
    POLICY_ASSIGNMENT,
    VOLUME_BACKUP,
    VOLUME_GROUP_BACKUP,
    VOLUME_GROUP_PLAN,
    VOLUME_PLANS,
    Res,
    Rule,
    Violation,
    asset_kind,
    is_prod,
    of_type,
    unknown,
)

SNAPSHOT_BACKUP = "backup-topology:index:SnapshotBackup"
SNAPSHOT_WITH_CLONES = "backup-topology:index:SnapshotWithClones"
CONSISTENCY_GROUP = "backup-topology:index:SnapshotConsistencyGroup"
IBM_BACKUP_POLICY = "backup-topology:index:IbmBackupPolicy"
_CINDER_PARTS = (
    "pulumi-python:dynamic/backup-topology:CinderSnapshot",
    "pulumi-python:dynamic/backup-topology:CinderBackup",
)
_PROD_STACKS = {"type": "array", "items": {"type": "string"}, "description": "Stacks held to the prod thresholds."}
_FIX = (
    "declare consistency: crash (crash-consistent restore points are enough) or consistency: application with the "
    "quiesce_hook that quiesces the application before each backup"
)


def _in_use(component: Res, resources: Sequence[Res]) -> str | None:
    """Why the component's backups are taken of a volume that may be in use; None when they are not."""
    children = [r for r in resources if r.parent == component.urn]
    if component.type in VOLUME_PLANS:
        # A boot volume is the disk of its running instance: in use whenever it is backed up. A block volume may be
        # attached to a running instance (OCI backs it up attached or detached: "Overview of Block Volume Backups").
        assigned = {asset_kind(c, resources) for c in children if c.type == POLICY_ASSIGNMENT}
        if "boot volume" in assigned or any(c.type == BOOT_VOLUME_BACKUP for c in children):
            return "backs up boot volumes, in use by their running instances"
        if assigned or any(c.type == VOLUME_BACKUP for c in children):
            return "backs up block volumes that may be attached to running instances"
        return None
    if component.type == VOLUME_GROUP_PLAN:
        if any(c.type in (POLICY_ASSIGNMENT, VOLUME_GROUP_BACKUP) for c in children):
            return "backs up a volume group whose volumes may be in use by running instances"
        return None
    if component.type == SNAPSHOT_BACKUP:
        # Without force the provider refuses an attached volume, so only force takes an in-use one.
        if any(c.type in _CINDER_PARTS and c.props.get("force") is True for c in children):
            return "snapshots its Cinder volume in use (force)"
        return None
    # IBM Cloud snapshots a first-generation volume only while it is attached to a running instance, and consistency
    # groups are of such volumes (IBM Cloud docs, "Creating Block Storage snapshots", the introduction); a volume's
    # generation is not known offline.
    return {
        SNAPSHOT_WITH_CLONES: "snapshots an IBM volume that may be attached to a running instance",
        CONSISTENCY_GROUP: "snapshots IBM volumes attached to a running instance",
        IBM_BACKUP_POLICY: "backs up IBM volumes that may be attached to running instances",
    }.get(component.type)


def _undeclared(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    if not is_prod(stack, config):
        return []
    found = []
    for type_ in (
        *VOLUME_PLANS,
        VOLUME_GROUP_PLAN,
        SNAPSHOT_BACKUP,
        SNAPSHOT_WITH_CLONES,
        CONSISTENCY_GROUP,
        IBM_BACKUP_POLICY,
    ):
        for component in of_type(resources, type_):
            declared = component.props.get("consistency")
            if declared in ("crash", "application") or (declared is not None and unknown(declared)):
                continue
            why = _in_use(component, resources)
            if why is None:
                continue
            kind = type_.rsplit(":", 1)[-1]
            found.append(
                Violation(
                    f"{kind} {component.name} {why}: its backups are crash-consistent at best (what a power cut "
                    f"would leave on disk), and the topology does not say whether that is enough: {_FIX}",
                    component.urn,
                )
            )
    return found


RULES = [
    Rule(
        name="in-use-volume-consistency",
        description=(
            "In prod stacks every backup of a volume that may be in use (an OCI boot or block volume or volume group, "
            "an IBM volume, a Cinder volume snapshotted with force) declares its consistency: crash, or application "
            "with the quiesce hook."
        ),
        level="advisory",
        scope="stack",
        check=_undeclared,
        defaults={"prod_stacks": ["prod", "production"]},
        schema={"prod_stacks": _PROD_STACKS},
    ),
]
