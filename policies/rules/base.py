"""What every rule works on: resources as plain data, findings, and the rule's own description and defaults.

The rules here know nothing of the Pulumi engine: the CrossGuard pack (policies/pack.py) and the offline plan
(components/tooling/plan.py) both turn their resources into `Res` and call the same functions.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["mandatory", "advisory"]

DYNAMIC = "pulumi-python:dynamic/backup-topology:"
VOLUME_BACKUP_POLICY = "oci:Core/volumeBackupPolicy:VolumeBackupPolicy"
POLICY_ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
BOOT_VOLUME_BACKUP = "oci:Core/bootVolumeBackup:BootVolumeBackup"
VOLUME_BACKUP = "oci:Core/volumeBackup:VolumeBackup"
VOLUME_GROUP_BACKUP = "oci:Core/volumeGroupBackup:VolumeGroupBackup"
VOLUME_GROUP = "oci:Core/volumeGroup:VolumeGroup"
PAR = "oci:ObjectStorage/preauthrequest:Preauthrequest"
IBM_SNAPSHOT = DYNAMIC + "IbmSnapshot"
IBM_COPY = DYNAMIC + "IbmSnapshotCopy"
IBM_GROUP = DYNAMIC + "IbmSnapshotConsistencyGroup"
IBM_POLICY = DYNAMIC + "IbmBackupPolicy"
OCI_VAULT_BACKUP = DYNAMIC + "OciVaultBackup"
OCI_KEY_BACKUP = DYNAMIC + "OciKeyBackup"
CINDER_BACKUP = DYNAMIC + "CinderBackup"
CINDER_DRILL = DYNAMIC + "CinderRestoreDrill"
IBM_DRILL = DYNAMIC + "IbmRestoreDrill"
OCI_VAULT_DRILL = DYNAMIC + "OciVaultRestoreDrill"
OCI_BOOT_VOLUME_DRILL = "oci:Core/bootVolume:BootVolume"
"""A boot volume restored by a RestoreDrill (it carries the freeform tag DRILL_TAG)."""
OCI_VOLUME_DRILL = "oci:Core/volume:Volume"
"""A block volume restored by a RestoreDrill (it carries the freeform tag DRILL_TAG)."""
OCI_VOLUME_GROUP_DRILL = VOLUME_GROUP
"""A volume group restored by a RestoreDrill (it carries the freeform tag DRILL_TAG; a group a plan makes does not)."""
DRILL_TAG = "backup-topology-drill"
RESTORE_DRILL = "backup-topology:index:RestoreDrill"
"""The drill component: its registered outputs (`checks_passed`, `error`) judge the OCI volume and group drills."""
REPLICATION_POLICY = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"
BOOT_VOLUME_PLAN = "backup-topology:index:BootVolumeBackupPlan"
"""The component whose registered outputs (`oracle_policy`) stack rules read as its props."""
VOLUME_PLAN = "backup-topology:index:VolumeBackupPlan"
VOLUME_GROUP_PLAN = "backup-topology:index:VolumeGroupBackupPlan"
VOLUME_PLANS = (BOOT_VOLUME_PLAN, VOLUME_PLAN)
"""The components that assign a policy to boot and block volumes (the same component under two type tokens)."""
PLANS = (*VOLUME_PLANS, VOLUME_GROUP_PLAN)
"""Every component that assigns an OCI backup policy."""


@dataclass(frozen=True)
class Res:
    """One resource as a rule sees it: type, name, URN, inputs, parent and explicit dependencies (URNs)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    """A rule broken by a resource (or by the stack when urn is None)."""

    message: str
    urn: str | None = None
    pending: bool = False
    """The rule cannot judge this yet: it needs an output known only once the resource ran (a preview, the offline
    plan). Reported as advisory, never as the rule's mandatory finding, and never dropped."""


@dataclass(frozen=True)
class Rule:
    """A rule: name, description, level, its configuration defaults and JSON schema, and its check."""

    name: str
    description: str
    level: Level
    scope: Literal["resource", "stack"]
    check: Callable[..., list[Violation]]
    """resource scope: check(res, config, stack) ; stack scope: check(resources, config, stack)."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON schema of each configuration property (CrossGuard's PolicyConfigSchema)."""

    def config(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The defaults overlaid with the given configuration."""
        return {**self.defaults, **{k: v for k, v in (given or {}).items() if k != "enforcementLevel"}}


_REFERENCE_TIME: ContextVar[datetime.datetime | None] = ContextVar("reference_time", default=None)


def now() -> datetime.datetime:
    """The time a rule judges expiry times against: the machine's clock, or the time `judged_at` set.

    The offline plan makes its times up from a fixed clock (components.tooling.mock_runtime.OFFLINE_NOW), so its
    rules judge them against that clock: a PAR made to expire in 30 days is judged valid 30 more days, on any day.
    """
    return _REFERENCE_TIME.get() or datetime.datetime.now(datetime.UTC)


@contextmanager
def judged_at(when: datetime.datetime | None) -> Iterator[None]:
    """Within the block, `now()` is `when` (None: the machine's clock)."""
    token = _REFERENCE_TIME.set(when)
    try:
        yield
    finally:
        _REFERENCE_TIME.reset(token)


def stack_of(urn: str) -> str:
    """The stack name inside a URN (urn:pulumi:<stack>::<project>::...)."""
    parts = urn.split(":", 3)
    return parts[2] if len(parts) > 2 else ""


def is_prod(stack: str, config: Mapping[str, Any]) -> bool:
    """Whether the stack is a production one (config `prod_stacks`, default prod and production)."""
    return stack in set(config.get("prod_stacks") or ()) or stack.startswith("prod")


UNKNOWN_MARKERS = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # a string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # an array
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # an object
    }
)
"""How the engine marks a value it does not know yet."""


def unknown(value: Any) -> bool:
    """A value not known yet (preview): None, or one of the engine's unknown markers."""
    return value is None or (isinstance(value, str) and value in UNKNOWN_MARKERS)


def peek(props: Mapping[str, Any], key: str) -> Any:
    """`props[key]`, or None when it is not known yet.

    CrossGuard hands rules properties that raise when a value the engine does not know yet is read (pulumi_policy's
    UnknownValueError, which skips the whole rule with a note); a rule that can say which of its judgements wait for
    that value reads it with `peek` instead. The offline plan has None there already.
    """
    try:
        return props.get(key)
    except Exception as exc:
        if type(exc).__name__ == "UnknownValueError":
            return None
        raise


def of_type(resources: Sequence[Res], type_: str) -> list[Res]:
    """The resources of one type token."""
    return [r for r in resources if r.type == type_]


def of_types(resources: Sequence[Res], types: Sequence[str]) -> list[Res]:
    """The resources of any of the type tokens, in the stack's order."""
    return [r for r in resources if r.type in types]


_ASSET_KINDS = {"bootvolume": "boot volume", "volume": "block volume", "volumegroup": "volume group"}


def asset_kind(assignment: Res, resources: Sequence[Res]) -> str:
    """What a policy assignment assigns its policy to: `boot volume`, `block volume` or `volume group`, by the asset's
    OCID; while it is not known (a preview), by the component that made it (a volume group plan assigns its group)."""
    asset = peek(assignment.props, "assetId")
    if isinstance(asset, str) and not unknown(asset) and asset.startswith("ocid1."):
        return _ASSET_KINDS.get(asset.split(".")[1], "volume")
    parent = next((r for r in resources if r.urn == assignment.parent), None)
    if parent is not None and parent.type == VOLUME_GROUP_PLAN:
        return "volume group"
    return "volume"


def is_drill(resource: Res) -> bool:
    """Whether a native volume or volume group was restored by a RestoreDrill (it carries DRILL_TAG)."""
    return DRILL_TAG in (peek(resource.props, "freeformTags") or {})


def name_in(urn: str | None) -> str:
    """The resource name at the end of a URN ("" for None)."""
    return (urn or "").rsplit("::", 1)[-1]
