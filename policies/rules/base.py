"""What every rule works on: resources as plain data, findings, and the rule's own description and defaults.

The rules here know nothing of the Pulumi engine: the CrossGuard pack (policies/pack.py) and the offline plan
(components/tooling/plan.py) both turn their resources into `Res` and call the same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["mandatory", "advisory"]

DYNAMIC = "pulumi-python:dynamic/backup-topology:"
VOLUME_BACKUP_POLICY = "oci:Core/volumeBackupPolicy:VolumeBackupPolicy"
POLICY_ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"
BOOT_VOLUME_BACKUP = "oci:Core/bootVolumeBackup:BootVolumeBackup"
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
DRILL_TAG = "backup-topology-drill"
REPLICATION_POLICY = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"
BOOT_VOLUME_PLAN = "backup-topology:index:BootVolumeBackupPlan"
"""The component whose registered outputs (`oracle_policy`) stack rules read as its props."""


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


def stack_of(urn: str) -> str:
    """The stack name inside a URN (urn:pulumi:<stack>::<project>::...)."""
    parts = urn.split(":", 3)
    return parts[2] if len(parts) > 2 else ""


def is_prod(stack: str, config: Mapping[str, Any]) -> bool:
    """Whether the stack is a production one (config `prod_stacks`, default prod and production)."""
    return stack in set(config.get("prod_stacks") or ()) or stack.startswith("prod")


def unknown(value: Any) -> bool:
    """A value not known yet (preview): None, or the engine's unknown marker."""
    return value is None or value == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def of_type(resources: Sequence[Res], type_: str) -> list[Res]:
    """The resources of one type token."""
    return [r for r in resources if r.type == type_]


def name_in(urn: str | None) -> str:
    """The resource name at the end of a URN ("" for None)."""
    return (urn or "").rsplit("::", 1)[-1]
