"""OpenStack Block Storage (Cinder) adapter: the only code that calls openstacksdk; snapshots and backups."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import openstack
from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as os_exceptions

from components.clouds.calls import (
    Backoff,
    CloudError,
    Deadline,
    NotFoundError,
    Transient,
    bound_requests,
    call,
    environment_fingerprint,
    post_once,
    wait_for,
    wait_gone,
)
from components.retention import SERIES_KEY

T = TypeVar("T")

POLL = Backoff(first=0.5, factor=2.0, cap=2.0)
"""Cinder status reads are cheap and snapshots/backups take seconds: poll often, so a wait ends soon after Cinder."""

VOLUME_POLL = Backoff(first=0.25, factor=2.0, cap=0.5)
"""A restore drill times the restore: its waits poll twice a second, so the time measured is the restore's."""

MARKER = "backup-topology"
"""Metadata key naming the resource that made a snapshot or backup; a retried create finds its own by it."""

SERIES = SERIES_KEY
"""Metadata key naming the series a snapshot or backup belongs to; retention finds them by it."""


@dataclass(frozen=True)
class OpenStackConnection:
    """Which cloud to use: a clouds.yaml entry (or OS_CLOUD / OS_* variables when None), and a region."""

    cloud: str | None = None
    region_name: str | None = None


def _transient(exc: Exception) -> Transient | None:
    if isinstance(exc, os_exceptions.HttpException) and exc.status_code is not None:
        if exc.status_code == 429 or exc.status_code >= 500:
            headers = exc.response.headers if exc.response is not None else {}
            retry_after = headers.get("Retry-After")
            return Transient(
                f"HTTP {exc.status_code}", float(retry_after) if retry_after and retry_after.isdigit() else None
            )
        return None
    if isinstance(
        exc, (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout, ks_exceptions.RetriableConnectionFailure)
    ):
        return Transient(f"connection failed ({type(exc).__name__})")
    return None


_CONNECTIONS: dict[tuple[str | None, str | None, str], Any] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _connection(conn: OpenStackConnection) -> Any:
    """One authenticated connection per cloud, region and settings for the whole provider process.

    The provider process runs every operation of a `pulumi up`: sharing the connection shares one Keystone token
    and its discovered endpoints instead of authenticating (a password hash on Keystone's side) for every call.
    """
    key = (conn.cloud, conn.region_name, environment_fingerprint("OS_"))  # openstacksdk's OS_* settings
    with _CONNECTIONS_LOCK:
        found = _CONNECTIONS.get(key)
        if found is None:
            try:
                found = openstack.connect(cloud=conn.cloud, region_name=conn.region_name)
            except (os_exceptions.ConfigException, ks_exceptions.ClientException) as exc:
                msg = f"OpenStack configuration (clouds.yaml / OS_CLOUD / OS_* variables): {exc}"
                raise CloudError(msg) from None
            bound_requests(found.session.session)
            _CONNECTIONS[key] = found
    return found


class BlockStorage:
    """Cinder calls of one operation, bound to one deadline; build one per provider call."""

    def __init__(
        self, conn: OpenStackConnection, deadline: Deadline, progress: Callable[[str], None] | None = None
    ) -> None:
        self._deadline = deadline
        self._progress = progress
        self._conn = _connection(conn)
        # The proxy authenticates and discovers Cinder's endpoint the first time: within the deadline, as a call.
        self._bs: Any = self._call("the Cinder endpoint", lambda: self._conn.block_storage)  # the v3 proxy

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return call(fn, what=what, deadline=self._deadline, transient=_transient)
        except os_exceptions.NotFoundException as exc:
            msg = f"{what}: not found ({exc.details or exc})"
            raise NotFoundError(msg) from None
        except os_exceptions.HttpException as exc:
            msg = f"{what}: HTTP {exc.status_code}: {exc.details or exc}"
            raise CloudError(msg) from None
        except (os_exceptions.SDKException, ks_exceptions.ClientException) as exc:
            msg = f"{what}: {type(exc).__name__}: {exc}"
            raise CloudError(msg) from None

    # --- volumes ---------------------------------------------------------------------------------

    def get_volume(self, volume_id: str) -> dict[str, Any]:
        return _plain(self._call(f"volume {volume_id}", lambda: self._bs.get_volume(volume_id)))

    def volume_named(self, name: str) -> str | None:
        """The ID of the volume named `name`, if there is one."""
        found = self._call(f"volumes named {name}", lambda: list(self._bs.volumes(details=False, name=name)))
        return str(found[0].id) if found else None

    def find_volume(self, name: str, owner: str) -> dict[str, Any] | None:
        """The volume named `name` marked as `owner`'s, if an earlier attempt made it."""
        found = self._call(f"volumes named {name}", lambda: list(self._bs.volumes(details=True, name=name)))
        return _owned(found, owner)

    def volume_from_snapshot(self, attrs: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """POST a volume made from a snapshot, marked as `owner`'s; a retry adopts the one a lost answer hid."""
        name = str(attrs["name"])
        metadata = {**dict(attrs.get("metadata") or {}), MARKER: owner}
        return self._create(
            f"volume {name}",
            lambda: self._bs.create_volume(**{**attrs, "metadata": metadata}),
            lambda: self.find_volume(name, owner),
        )

    def restore_backup(self, backup_id: str, name: str) -> str:
        """Restore a backup into a new volume named `name` (unique: a retry finds the volume a lost answer hid)."""

        def restore() -> str:
            restored = self._bs.restore_backup(backup_id, name=name)
            return str(getattr(restored, "volume_id", None) or "")

        def made() -> str | None:
            found = list(self._bs.volumes(details=True, name=name))
            return str(found[0].id) if found else None

        volume_id = self._call(f"restore of backup {backup_id}", post_once(restore, made))
        if not volume_id:
            msg = f"restore of backup {backup_id}: Cinder named no volume"
            raise CloudError(msg)
        return volume_id

    def wait_volume(self, volume_id: str) -> dict[str, Any]:
        """Wait until `available` (a restore ends so); `error` and `error_restoring` are failures."""
        return self._wait_available(f"volume {volume_id}", lambda: self.get_volume(volume_id), VOLUME_POLL)

    def delete_volume(self, volume_id: str) -> None:
        """Delete a volume and wait until gone; already gone is fine."""
        self._call(f"volume {volume_id}", lambda: self._bs.delete_volume(volume_id, ignore_missing=True))
        self._wait_gone(f"deletion of volume {volume_id}", lambda: self.get_volume(volume_id), VOLUME_POLL)

    def connection_info(self, volume_id: str, connector: Mapping[str, Any]) -> dict[str, Any]:
        """How a host reaches the volume's data (os-initialize_connection): the driver type and its details."""
        return dict(
            self._call(
                f"connection to volume {volume_id}",
                lambda: self._bs.init_volume_attachment(volume_id, dict(connector)),
            )
        )

    def release_connection(self, volume_id: str, connector: Mapping[str, Any]) -> None:
        """End what connection_info began (os-terminate_connection)."""
        self._call(
            f"connection to volume {volume_id}",
            lambda: self._bs.terminate_volume_attachment(volume_id, dict(connector)),
        )

    # --- snapshots -------------------------------------------------------------------------------

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        return _plain(self._call(f"snapshot {snapshot_id}", lambda: self._bs.get_snapshot(snapshot_id)))

    def find_snapshot(self, name: str, volume_id: str, owner: str) -> dict[str, Any] | None:
        """This resource's snapshot (by name, volume and marker metadata), if an earlier attempt made it."""
        found = self._call(
            f"snapshots named {name}", lambda: list(self._bs.snapshots(details=True, name=name, volume_id=volume_id))
        )
        return _owned(found, owner)

    def create_snapshot(self, attrs: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """POST a snapshot marked as `owner`'s; a retry first looks for the one a lost answer hid."""
        name, volume_id = str(attrs["name"]), str(attrs["volume_id"])
        metadata = {**dict(attrs.get("metadata") or {}), MARKER: owner}
        return self._create(
            f"snapshot {name}",
            lambda: self._bs.create_snapshot(**{**attrs, "metadata": metadata}),
            lambda: self.find_snapshot(name, volume_id, owner),
        )

    def update_snapshot(
        self, snapshot_id: str, name: str, description: str | None, metadata: Mapping[str, str], owner: str
    ) -> None:
        """Name, description and metadata, in place (metadata keys no longer wanted are removed)."""
        what = f"snapshot {snapshot_id}"
        current = self.get_snapshot(snapshot_id)
        self._call(what, lambda: self._bs.update_snapshot(snapshot_id, name=name, description=description or ""))
        wanted = {**metadata, MARKER: owner}
        stale = [k for k in (current.get("metadata") or {}) if k not in wanted]
        self._call(what, lambda: self._bs.set_snapshot_metadata(snapshot_id, **wanted))
        if stale:
            self._call(what, lambda: self._bs.delete_snapshot_metadata(snapshot_id, keys=stale))

    def delete_snapshot(self, snapshot_id: str, *, wait: bool = True) -> None:
        """Delete and (unless told not to) wait until gone; already gone is fine."""
        self._call(f"snapshot {snapshot_id}", lambda: self._bs.delete_snapshot(snapshot_id, ignore_missing=True))
        if wait:
            self._wait_gone(f"deletion of snapshot {snapshot_id}", lambda: self.get_snapshot(snapshot_id))

    def wait_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        """Wait until `available`; `error` is a failure."""
        return self._wait_available(f"snapshot {snapshot_id}", lambda: self.get_snapshot(snapshot_id))

    # --- backups ---------------------------------------------------------------------------------

    def get_backup(self, backup_id: str) -> dict[str, Any]:
        return _plain(self._call(f"backup {backup_id}", lambda: self._bs.get_backup(backup_id)))

    def volume_backups(self, volume_id: str) -> list[dict[str, Any]]:
        found = self._call(
            f"backups of volume {volume_id}", lambda: list(self._bs.backups(details=True, volume_id=volume_id))
        )
        return [_plain(b) for b in found]

    def series_backups(self, volume_id: str, series: str) -> list[dict[str, Any]]:
        """The backups of a volume that carry the series marker `series`."""
        return [b for b in self.volume_backups(volume_id) if (b.get("metadata") or {}).get(SERIES) == series]

    def series_snapshots(self, volume_id: str, series: str) -> list[dict[str, Any]]:
        """The snapshots of a volume that carry the series marker `series`."""
        found = self._call(
            f"snapshots of volume {volume_id}", lambda: list(self._bs.snapshots(details=True, volume_id=volume_id))
        )
        return [p for p in map(_plain, found) if (p.get("metadata") or {}).get(SERIES) == series]

    def find_backup(self, name: str, volume_id: str, owner: str) -> dict[str, Any] | None:
        found = self._call(
            f"backups named {name}", lambda: list(self._bs.backups(details=True, name=name, volume_id=volume_id))
        )
        return _owned(found, owner)

    def create_backup(self, attrs: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """POST a backup marked as `owner`'s; a retry first looks for the one a lost answer hid."""
        name, volume_id = str(attrs["name"]), str(attrs["volume_id"])
        metadata = {**dict(attrs.get("metadata") or {}), MARKER: owner}
        return self._create(
            f"backup {name}",
            lambda: self._bs.create_backup(**{**attrs, "metadata": metadata}),
            lambda: self.find_backup(name, volume_id, owner),
        )

    def update_backup(
        self, backup_id: str, name: str, description: str | None, metadata: Mapping[str, str], owner: str
    ) -> None:
        """Name, description and metadata, in place (PUT /backups/{id}; metadata needs microversion 3.43+)."""
        wanted = {**metadata, MARKER: owner}
        self._call(
            f"backup {backup_id}",
            lambda: self._bs.update_backup(backup_id, name=name, description=description or "", metadata=wanted),
        )

    def delete_backup(self, backup_id: str, *, wait: bool = True) -> None:
        """Delete and (unless told not to) wait until gone; already gone is fine."""
        self._call(f"backup {backup_id}", lambda: self._bs.delete_backup(backup_id, ignore_missing=True))
        if wait:
            self._wait_gone(f"deletion of backup {backup_id}", lambda: self.get_backup(backup_id))

    def wait_backup(self, backup_id: str) -> dict[str, Any]:
        """Wait until `available`; `error` is a failure carrying Cinder's fail_reason."""
        return self._wait_available(f"backup {backup_id}", lambda: self.get_backup(backup_id))

    # --- helpers ---------------------------------------------------------------------------------

    def _create(self, what: str, post: Callable[[], Any], find: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        """POST once; a retry adopts what a lost answer hid (found by name and marker metadata)."""
        return self._call(what, post_once(lambda: _plain(post()), find))

    def _wait_available(
        self, what: str, fetch: Callable[[], dict[str, Any]], backoff: Backoff = POLL
    ) -> dict[str, Any]:
        def failed(item: dict[str, Any]) -> str | None:
            if item.get("status") in ("error", "error_deleting", "error_restoring"):
                reason = item.get("fail_reason")
                return f"is {item.get('status')}" + (f": {reason}" if reason else "")
            return None

        return wait_for(
            fetch,
            what=what,
            done=lambda item: item.get("status") == "available",
            failed=failed,
            describe=lambda item: str(item.get("status")),
            deadline=self._deadline,
            progress=self._progress,
            backoff=backoff,
        )

    def _wait_gone(self, what: str, fetch: Callable[[], dict[str, Any]], backoff: Backoff = POLL) -> None:
        wait_gone(
            fetch,
            what=what,
            state=lambda item: str(item.get("status")),
            failed_states=frozenset({"error_deleting"}),
            gone_states=frozenset({"deleted"}),
            deadline=self._deadline,
            progress=self._progress,
            backoff=backoff,
        )


def _plain(resource: Any) -> dict[str, Any]:
    data = resource.to_dict(computed=False) if hasattr(resource, "to_dict") else dict(resource)
    return {k: v for k, v in data.items() if k != "location"}


def _owned(found: list[Any], owner: str) -> dict[str, Any] | None:
    for item in found:
        plain = _plain(item)
        if (plain.get("metadata") or {}).get(MARKER) == owner and plain.get("status") not in ("deleting", "error"):
            return plain
    return None
