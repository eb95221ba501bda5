"""OCI Block Volume adapter: the only code that calls `oci.core.BlockstorageClient`; backups, volume groups, volumes.

Read-only listings of the backups of a boot volume, a block volume or a volume group (with their creation time, type,
source, lifecycle state, OCI's own deletion guards, and their copies in another region), and the deletions retention
and restore drills need. Every list follows every page; every call is bound to one deadline, with our own retries
(honouring Retry-After), no SDK retries and no circuit breaker, as in the KMS adapter.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

from oci.core import BlockstorageClient

from components.clouds.calls import CloudError, Deadline, NotFoundError, wait_gone
from components.clouds.oci_sdk import OciOperation
from components.retention import parse_time

T = TypeVar("T")

BackupKind = Literal["boot_volume", "volume", "volume_group"]
"""What a backup is of: a boot volume (BootVolumeBackup), a block volume (VolumeBackup), a volume group
(VolumeGroupBackup)."""

LIVE_STATES = frozenset({"REQUEST_RECEIVED", "CREATING", "COMMITTED", "AVAILABLE"})
"""Lifecycle states of a backup that is, or is becoming, a restore point. The API's states of BootVolumeBackup and
VolumeBackup are REQUEST_RECEIVED, CREATING, AVAILABLE, TERMINATING, TERMINATED, FAULTY; a VolumeGroupBackup also
has COMMITTED. FAULTY, TERMINATING and TERMINATED backups restore nothing."""
_GONE_STATES = frozenset({"TERMINATED"})
_LEAVING_STATES = frozenset({"TERMINATING", "TERMINATED"})


@dataclass(frozen=True)
class _Kind:
    """How the Block Volume API names one kind of backup."""

    label: str
    list_method: str
    get_method: str
    delete_method: str
    source_field: str
    """Attribute (and list filter) naming the volume or group backed up."""
    copied_from_field: str
    """Attribute naming the backup this one was copied from (a copy in another region)."""
    copy_filter: bool
    """Whether the list call filters by `copied_from_field` (ListVolumeGroupBackups does not)."""


_KINDS: dict[str, _Kind] = {
    "boot_volume": _Kind(
        "boot volume backup",
        "list_boot_volume_backups",
        "get_boot_volume_backup",
        "delete_boot_volume_backup",
        "boot_volume_id",
        "source_boot_volume_backup_id",
        copy_filter=True,
    ),
    "volume": _Kind(
        "volume backup",
        "list_volume_backups",
        "get_volume_backup",
        "delete_volume_backup",
        "volume_id",
        "source_volume_backup_id",
        copy_filter=True,
    ),
    "volume_group": _Kind(
        "volume group backup",
        "list_volume_group_backups",
        "get_volume_group_backup",
        "delete_volume_group_backup",
        "volume_group_id",
        "source_volume_group_backup_id",
        copy_filter=False,
    ),
}


def backup_kind_of(ocid: str) -> BackupKind | None:
    """The kind of a backup by its OCID (`ocid1.bootvolumebackup.…`, `volumebackup`, `volumegroupbackup`)."""
    found: dict[str, BackupKind] = {
        "bootvolumebackup": "boot_volume",
        "volumebackup": "volume",
        "volumegroupbackup": "volume_group",
    }
    return found.get(ocid.split(".", 2)[1] if ocid.count(".") >= 2 else "")


@dataclass(frozen=True)
class BlockStorageConnection:
    """How to reach the Block Volume service of one region, from the standard OCI configuration (no credentials)."""

    region: str
    auth: str | None = None
    """api_key (default), instance_principal, resource_principal or security_token."""
    profile: str | None = None
    """Profile of the OCI config file (default DEFAULT)."""
    endpoint: str | None = None
    """Core Services (iaas) endpoint of the region; default its public one."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup as the Block Volume API describes it, in one region."""

    kind: BackupKind
    id: str
    display_name: str
    compartment_id: str
    source_id: str
    """The boot volume, block volume or volume group backed up (of a copy: the source's)."""
    region: str
    """Region the backup is held in (where it was listed)."""
    type: str
    """FULL or INCREMENTAL."""
    source_type: str
    """MANUAL or SCHEDULED (by a backup policy)."""
    lifecycle_state: str
    time_created: str
    freeform_tags: Mapping[str, str] = field(default_factory=dict)
    copied_from: str | None = None
    """The backup this one is a copy of (a copy in another region), else None."""
    expiration_time: str | None = None
    """When a scheduled backup expires (None: a manual backup, kept until deleted)."""
    prevent_deletion: bool = False
    retention_lock: bool = False
    indefinite_retention: bool = False
    retention_expires_at: str | None = None
    """When the period of the retention lock and deletion prevention ends."""
    member_backup_ids: tuple[str, ...] = ()
    """A volume group backup's volume backups (one per member volume)."""

    @property
    def live(self) -> bool:
        """Whether the backup is, or is becoming, a restore point."""
        return self.lifecycle_state in LIVE_STATES

    def deletion_refused(self, now: datetime.datetime | None = None) -> str | None:
        """Why OCI holds the backup from deletion now, or None when it may be deleted.

        A legal hold (`is_indefinite_retention_enabled`) holds it until lifted; deletion prevention and the retention
        lock hold it until `time_retention_expires_at` ("BootVolumeBackup" in the Core Services API: prevent deletion
        "prevents backups from being deleted during the configured retention period"; the retention lock "prevents
        deletion or alteration of backup data for a specified period"). A guard whose end is not known holds it.
        """
        if self.indefinite_retention:
            return "it is under a legal hold (indefinite retention)"
        held = (("retention lock", self.retention_lock), ("deletion prevention", self.prevent_deletion))
        guards = [guard for guard, on in held if on]
        if not guards:
            return None
        ends = parse_time(self.retention_expires_at) if self.retention_expires_at else None
        moment = now or datetime.datetime.now(datetime.UTC)
        if ends is not None and ends <= moment:
            return None
        until = f"until {self.retention_expires_at}" if ends is not None else "for a period OCI does not state"
        return f"it is under OCI's {' and '.join(guards)} {until}"

    def summary(self) -> dict[str, Any]:
        """The backup as plain data (what a posture report or a record shows)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "display_name": self.display_name,
            "source_id": self.source_id,
            "region": self.region,
            "type": self.type,
            "source_type": self.source_type,
            "lifecycle_state": self.lifecycle_state,
            "time_created": self.time_created,
            "copied_from": self.copied_from,
        }


@dataclass(frozen=True)
class VolumeGroupInfo:
    """What the project needs of a volume group."""

    id: str
    display_name: str
    lifecycle_state: str
    compartment_id: str
    availability_domain: str
    volume_ids: tuple[str, ...]
    source_backup_id: str | None
    """The volume group backup it was restored from, if it was."""


class BlockStorage(OciOperation):
    """Block Volume calls for one operation, all bound to one deadline; build one per provider call."""

    conflict: ClassVar[str] = "refused in its current state"

    def __init__(
        self, conn: BlockStorageConnection, deadline: Deadline, progress: Callable[[str], None] | None = None
    ) -> None:
        super().__init__(conn, deadline, progress)
        self._conn = conn
        self._client_of_operation: BlockstorageClient | None = None

    @property
    def region(self) -> str:
        return self._conn.region

    def _blockstorage(self) -> BlockstorageClient:
        if self._client_of_operation is None:  # one client per operation: not rebuilt for every retry and every poll
            self._client_of_operation = self._client(BlockstorageClient, self._conn.endpoint)
        return self._client_of_operation

    # --- backups: reads --------------------------------------------------------------------------

    def backups(
        self,
        kind: BackupKind,
        compartment_id: str,
        *,
        source_id: str | None = None,
        copied_from: str | None = None,
    ) -> list[BackupInfo]:
        """Every backup of `kind` in a compartment of this region (every page), optionally only those of one volume
        or group (`source_id`), or only the copies of one backup made in this region (`copied_from`)."""
        spec = _KINDS[kind]
        client = self._blockstorage()
        filters: dict[str, str] = {}
        if source_id is not None:
            filters[spec.source_field] = source_id
        if copied_from is not None and spec.copy_filter:
            filters[spec.copied_from_field] = copied_from
        what = f"{spec.label}s of {source_id or copied_from or 'compartment ' + compartment_id} in {self.region}"
        found: list[BackupInfo] = []
        page: str | None = None
        while True:
            response = self._call(
                what,
                lambda page=page: getattr(client, spec.list_method)(compartment_id, page=page, **filters),  # type: ignore[misc]
            )
            found += [_backup(kind, item, self.region) for item in response.data or []]
            page = (response.headers or {}).get("opc-next-page")
            if not page:
                break
        if copied_from is not None:  # ListVolumeGroupBackups takes no filter by source backup
            found = [b for b in found if b.copied_from == copied_from]
        return found

    def boot_volume_backups(self, compartment_id: str, boot_volume_id: str) -> list[BackupInfo]:
        """The backups of one boot volume held in this region's compartment (manual and scheduled)."""
        return self.backups("boot_volume", compartment_id, source_id=boot_volume_id)

    def volume_backups(self, compartment_id: str, volume_id: str) -> list[BackupInfo]:
        """The backups of one block volume held in this region's compartment (manual and scheduled)."""
        return self.backups("volume", compartment_id, source_id=volume_id)

    def volume_group_backups(self, compartment_id: str, volume_group_id: str) -> list[BackupInfo]:
        """The backups of one volume group held in this region's compartment (manual and scheduled)."""
        return self.backups("volume_group", compartment_id, source_id=volume_group_id)

    def copies_of(self, kind: BackupKind, compartment_id: str, backup_id: str) -> list[BackupInfo]:
        """The copies of a backup made in this connection's region (a connection of the destination region)."""
        return self.backups(kind, compartment_id, copied_from=backup_id)

    def get_backup(self, kind: BackupKind, backup_id: str) -> BackupInfo:
        """One backup, as it is now."""
        spec = _KINDS[kind]
        client = self._blockstorage()
        data = self._call(f"{spec.label} {backup_id}", lambda: getattr(client, spec.get_method)(backup_id).data)
        return _backup(kind, data, self.region)

    # --- backups: deletion -----------------------------------------------------------------------

    def delete_backup(self, kind: BackupKind, backup_id: str) -> None:
        """Delete one backup and wait until it is gone; one gone already is fine.

        OCI refuses to delete a backup under its deletion guards: callers check `deletion_refused` first (a refusal is
        an error here). Deleting a volume group backup deletes its volume backups too ("Working with Volume Groups").
        """
        spec = _KINDS[kind]
        client = self._blockstorage()
        what = f"{spec.label} {backup_id}"
        try:
            self._call(what, lambda: getattr(client, spec.delete_method)(backup_id))
        except NotFoundError:
            return
        except CloudError:
            # An earlier attempt whose answer was lost may have started the deletion: that one is not an error.
            if self._state_or_gone(lambda: self.get_backup(kind, backup_id).lifecycle_state) not in _LEAVING_STATES:
                raise
        self._wait_gone(what, lambda: self.get_backup(kind, backup_id).lifecycle_state)

    # --- volume groups and volumes (restore drills) ----------------------------------------------

    def get_volume_group(self, volume_group_id: str) -> VolumeGroupInfo:
        """A volume group, as it is now."""
        client = self._blockstorage()
        data = self._call(f"volume group {volume_group_id}", lambda: client.get_volume_group(volume_group_id).data)
        source = data.source_details
        return VolumeGroupInfo(
            id=str(data.id),
            display_name=str(data.display_name or ""),
            lifecycle_state=str(data.lifecycle_state or ""),
            compartment_id=str(data.compartment_id or ""),
            availability_domain=str(data.availability_domain or ""),
            volume_ids=tuple(str(v) for v in data.volume_ids or ()),
            source_backup_id=getattr(source, "volume_group_backup_id", None),
        )

    def delete_volume_group(self, volume_group_id: str) -> None:
        """Delete a volume group (not its volumes: OCI keeps them) and wait until it is gone; gone already is fine."""
        client = self._blockstorage()
        what = f"volume group {volume_group_id}"
        self._delete(what, lambda: client.delete_volume_group(volume_group_id))
        self._wait_gone(what, lambda: self.get_volume_group(volume_group_id).lifecycle_state)

    def volume_exists(self, volume_id: str) -> bool:
        """Whether a block or boot volume (by its OCID's kind) is there and not TERMINATED."""
        try:
            return str(self._volume_state(volume_id)) not in _GONE_STATES
        except NotFoundError:
            return False

    def delete_volume(self, volume_id: str) -> None:
        """Delete a block or boot volume (by its OCID's kind) and wait until it is gone; gone already is fine."""
        client = self._blockstorage()
        boot = volume_id.startswith("ocid1.bootvolume.")
        what = f"{'boot' if boot else 'block'} volume {volume_id}"
        self._delete(what, lambda: client.delete_boot_volume(volume_id) if boot else client.delete_volume(volume_id))
        self._wait_gone(what, lambda: self._volume_state(volume_id))

    def _volume_state(self, volume_id: str) -> Any:
        client = self._blockstorage()
        boot = volume_id.startswith("ocid1.bootvolume.")
        what = f"{'boot' if boot else 'block'} volume {volume_id}"
        return self._call(
            what,
            lambda: (client.get_boot_volume(volume_id) if boot else client.get_volume(volume_id)).data.lifecycle_state,
        )

    # --- helpers -----------------------------------------------------------------------------------

    def _delete(self, what: str, request: Callable[[], Any]) -> None:
        try:
            self._call(what, request)
        except NotFoundError:
            return

    def _state_or_gone(self, state: Callable[[], str]) -> str:
        try:
            return state()
        except NotFoundError:
            return "TERMINATED"

    def _wait_gone(self, what: str, state: Callable[[], Any]) -> None:
        """Poll `state` (a read through `_call`) until the resource is TERMINATED or not found."""
        wait_gone(
            state,
            what=what,
            state=str,
            failed_states=frozenset({"FAULTY"}),
            gone_states=_GONE_STATES,
            deadline=self._deadline,
            progress=self._progress,
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _backup(kind: BackupKind, data: Any, region: str) -> BackupInfo:
    spec = _KINDS[kind]
    return BackupInfo(
        kind=kind,
        id=str(data.id),
        display_name=str(data.display_name or ""),
        compartment_id=str(data.compartment_id or ""),
        source_id=str(getattr(data, spec.source_field, None) or ""),
        region=region,
        type=str(data.type or ""),
        source_type=str(data.source_type or ""),
        lifecycle_state=str(data.lifecycle_state or ""),
        time_created=_text(data.time_created) or "",
        freeform_tags=dict(data.freeform_tags or {}),
        copied_from=getattr(data, spec.copied_from_field, None),
        expiration_time=_text(getattr(data, "expiration_time", None)),
        prevent_deletion=bool(getattr(data, "is_prevent_deletion_enabled", False)),
        retention_lock=bool(getattr(data, "is_retention_lock_enabled", False)),
        indefinite_retention=bool(getattr(data, "is_indefinite_retention_enabled", False)),
        retention_expires_at=_text(getattr(data, "time_retention_expires_at", None)),
        member_backup_ids=tuple(str(v) for v in getattr(data, "volume_backup_ids", None) or ()),
    )
