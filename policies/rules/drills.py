"""Rules on restore drills: every kind of asset of a prod stack is drilled, and a failed drill is a finding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.rules.base import (
    BOOT_VOLUME_BACKUP,
    CINDER_BACKUP,
    CINDER_DRILL,
    IBM_DRILL,
    IBM_GROUP,
    IBM_POLICY,
    IBM_SNAPSHOT,
    OCI_BOOT_VOLUME_DRILL,
    OCI_KEY_BACKUP,
    OCI_VAULT_BACKUP,
    OCI_VAULT_DRILL,
    OCI_VOLUME_DRILL,
    OCI_VOLUME_GROUP_DRILL,
    POLICY_ASSIGNMENT,
    RESTORE_DRILL,
    VOLUME_BACKUP,
    VOLUME_GROUP_BACKUP,
    Res,
    Rule,
    Violation,
    asset_kind,
    is_drill,
    is_prod,
    of_type,
)

# Asset classes by the resources that back them up, and the drills that restore them. A policy assignment backs up
# the class of its asset: a boot volume, a block volume or a volume group.
_CLASSES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {
    "Cinder volumes": ((CINDER_BACKUP,), (CINDER_DRILL,), None),
    "IBM block volumes": ((IBM_SNAPSHOT, IBM_GROUP, IBM_POLICY), (IBM_DRILL,), None),
    "OCI boot volumes": ((POLICY_ASSIGNMENT, BOOT_VOLUME_BACKUP), (OCI_BOOT_VOLUME_DRILL,), "boot volume"),
    "OCI block volumes": ((POLICY_ASSIGNMENT, VOLUME_BACKUP), (OCI_VOLUME_DRILL,), "block volume"),
    "OCI volume groups": ((POLICY_ASSIGNMENT, VOLUME_GROUP_BACKUP), (OCI_VOLUME_GROUP_DRILL,), "volume group"),
    "OCI vaults and keys": ((OCI_VAULT_BACKUP, OCI_KEY_BACKUP), (OCI_VAULT_DRILL,), None),
}
_NATIVE_DRILLS = frozenset({OCI_BOOT_VOLUME_DRILL, OCI_VOLUME_DRILL, OCI_VOLUME_GROUP_DRILL})
_KIND = {OCI_VAULT_DRILL: "vault backup"}
"""What a drill restores, where its record does not say (Cinder records `restore_point`)."""
_PROD_STACKS = {"type": "array", "items": {"type": "string"}, "description": "Stacks held to the prod thresholds."}


def _drills(resources: Sequence[Res], type_: str) -> list[Res]:
    """The drills of one type (a native volume or volume group is a drill's only when it carries the drill tag)."""
    found = of_type(resources, type_)
    if type_ in _NATIVE_DRILLS:
        found = [r for r in found if is_drill(r)]
    return found


def _backed_up(resources: Sequence[Res], types: tuple[str, ...], asset: str | None) -> list[Res]:
    """The resources of `types` that back up the class; an assignment only when its asset is of the class."""
    found = [r for t in types for r in of_type(resources, t)]
    if asset is None:
        return found
    return [r for r in found if r.type != POLICY_ASSIGNMENT or asset_kind(r, resources) == asset]


def _every_class_drilled(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    if not is_prod(stack, config):
        return []
    found = []
    for label, (backed_up_by, drilled_by, asset) in _CLASSES.items():
        backed = _backed_up(resources, backed_up_by, asset)
        if not backed or any(_drills(resources, t) for t in drilled_by):
            continue
        how = "add a restore_drills entry for one of them"
        count = f"{len(backed)} resource{'s' if len(backed) != 1 else ''}"
        found.append(Violation(f"{label} are backed up ({count}) but never restore-drilled: {how}"))
    return found


def _drills_passed(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    records = [*of_type(resources, CINDER_DRILL), *of_type(resources, IBM_DRILL), *of_type(resources, OCI_VAULT_DRILL)]
    # An OCI volume, boot volume or volume group drill has no record of its own: its checks are the RestoreDrill
    # component's registered outputs (what OCI reports of the restored volume or group).
    recorded = {r.parent for r in records}
    components = [c for c in of_type(resources, RESTORE_DRILL) if c.urn not in recorded]
    found = []
    for drill in [*records, *components]:
        if drill.props.get("checks_passed") is not False:  # passed, or not run yet (a preview)
            continue
        kind = drill.props.get("restore_point") or _KIND.get(drill.type, _restored(drill, resources))
        found.append(
            Violation(
                f"restore drill {drill.name} of {kind} "
                f"{drill.props.get('restore_point_id')} failed at {drill.props.get('finished_at') or '-'}: "
                f"{drill.props.get('error')}; fix the backup, then change the drill's trigger to run it again",
                drill.urn,
            )
        )
    return found


def _restored(drill: Res, resources: Sequence[Res]) -> str:
    """What a drill restored, from the restored resource among its children (a snapshot for IBM records)."""
    children = {r.type for r in resources if r.parent == drill.urn}
    for type_, what in (
        (OCI_VOLUME_GROUP_DRILL, "volume group backup"),
        (OCI_VOLUME_DRILL, "block volume backup"),
        (OCI_BOOT_VOLUME_DRILL, "boot volume backup"),
    ):
        if type_ in children:
            return what
    return "backup" if drill.type == RESTORE_DRILL else "snapshot"


RULES = [
    Rule(
        name="restore-drill-every-asset-class",
        description=(
            "In prod stacks every kind of asset backed up (Cinder, IBM, OCI boot volumes, block volumes, volume "
            "groups, vaults) is drilled."
        ),
        level="advisory",
        scope="stack",
        check=_every_class_drilled,
        defaults={"prod_stacks": ["prod", "production"]},
        schema={"prod_stacks": _PROD_STACKS},
    ),
    Rule(
        name="restore-drill-passed",
        description="The last run of every restore drill passed its checks.",
        level="mandatory",
        scope="stack",
        check=_drills_passed,
    ),
]
