"""OCI Vault (KMS) adapter: the only code that calls `oci.key_management`; vault/key reads and backups."""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import oci
from oci.key_management import KmsManagementClient, KmsVaultClient
from oci.key_management import models as kms_models

from components.clouds.calls import Deadline, NotFoundError, wait_for
from components.clouds.oci_sdk import OciOperation

VAULT_BACKUP_STATES = frozenset({"ACTIVE"})
"""A vault can be backed up only when ACTIVE."""
KEY_BACKUP_STATES = frozenset({"ENABLED", "DISABLED"})
"""A key can be backed up only when ENABLED or DISABLED (not deleted, not in a transitional state)."""
BUSY_STATES = frozenset({"BACKUP_IN_PROGRESS", "RESTORING"})
"""States in which the service refuses another backup or restore of the same vault or key."""


@dataclass(frozen=True)
class OciConnection:
    """How to reach OCI, from the standard OCI configuration; holds no credentials itself."""

    region: str
    auth: str | None = None
    """api_key (default: ~/.oci/config, or the file named by OCI_CONFIG_FILE), instance_principal,
    resource_principal or security_token."""
    profile: str | None = None
    """Profile of the OCI config file (default DEFAULT)."""
    kms_endpoint: str | None = None
    """KMS vault service endpoint; default the region's public one."""
    objectstorage_endpoint: str | None = None
    """Object Storage endpoint; default the region's public one."""


@dataclass(frozen=True)
class BucketLocation:
    """A backup object in an Object Storage bucket (same region as the vault)."""

    namespace: str
    bucket: str
    object_name: str

    def describe(self) -> str:
        return f"bucket {self.namespace}/{self.bucket}/{self.object_name}"


@dataclass(frozen=True)
class ParLocation:
    """A backup written through a pre-authenticated request URL; the URL never appears in text."""

    uri: str = field(repr=False)

    def describe(self) -> str:
        return "a pre-authenticated request URL"


Location = BucketLocation | ParLocation


@dataclass(frozen=True)
class VaultInfo:
    """What the project needs to know of a vault."""

    id: str
    display_name: str
    vault_type: str
    lifecycle_state: str
    management_endpoint: str
    compartment_id: str
    time_created: str = ""


@dataclass(frozen=True)
class FileSource:
    """A vault backup file on this machine (downloaded from its bucket), to restore from."""

    name: str
    content: bytes = field(repr=False)

    def describe(self) -> str:
        return f"file {self.name}"


RestoreSource = BucketLocation | ParLocation | FileSource

RESTORE_STATES = frozenset({"RESTORING", "CREATING", "UPDATING"})
"""States of a vault while a restore runs."""
DELETION_DAYS = 7
"""OCI deletes a vault no sooner than 7 days (and no later than 30) after its deletion is scheduled."""


@dataclass(frozen=True)
class KeyInfo:
    """What the project needs to know of a master encryption key."""

    id: str
    display_name: str
    protection_mode: str
    lifecycle_state: str
    vault_id: str
    compartment_id: str


class Kms(OciOperation):
    """KMS calls for one operation, all bound to one deadline; build one per provider call."""

    def __init__(
        self,
        conn: OciConnection,
        deadline: Deadline,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(conn, deadline, progress)
        self._conn = conn
        self._vault_client: KmsVaultClient | None = None
        self._key_clients: dict[str, KmsManagementClient] = {}
        self._object_client: oci.object_storage.ObjectStorageClient | None = None

    def _vaults(self) -> KmsVaultClient:
        # one client per operation: not rebuilt for every retry and every poll of a wait
        if self._vault_client is None:
            self._vault_client = self._client(KmsVaultClient, self._conn.kms_endpoint)
        return self._vault_client

    def _keys(self, management_endpoint: str) -> KmsManagementClient:
        if management_endpoint not in self._key_clients:
            self._key_clients[management_endpoint] = self._client(KmsManagementClient, management_endpoint)
        return self._key_clients[management_endpoint]

    def _objects(self) -> oci.object_storage.ObjectStorageClient:
        if self._object_client is None:
            self._object_client = self._client(
                oci.object_storage.ObjectStorageClient, self._conn.objectstorage_endpoint
            )
        return self._object_client

    # --- reads -----------------------------------------------------------------------------------

    def get_vault(self, vault_id: str) -> VaultInfo:
        """The vault's type, state and management endpoint."""
        data = self._call(f"vault {vault_id}", lambda: self._vaults().get_vault(vault_id).data)
        return _vault(data)

    def get_key(self, management_endpoint: str, key_id: str) -> KeyInfo:
        """The key's protection mode and state (through its vault's management endpoint)."""
        data = self._call(f"key {key_id}", lambda: self._keys(management_endpoint).get_key(key_id).data)
        return _key(data)

    def object_version(self, location: BucketLocation) -> str | None:
        """The backup object's ETag (it changes with every write), or None when the object is not there."""
        client = self._objects()
        what = f"backup object {location.describe()}"
        try:
            response = self._call(
                what, lambda: client.head_object(location.namespace, location.bucket, location.object_name)
            )
        except NotFoundError:
            return None
        headers = response.headers or {}
        return str(headers.get("etag") or headers.get("last-modified") or "present")

    def list_objects(self, namespace: str, bucket: str, prefix: str) -> list[tuple[str, str]]:
        """(name, timeCreated) of every object of the bucket whose name starts with `prefix` (all pages)."""
        client = self._objects()
        found: list[tuple[str, str]] = []
        start: str | None = None
        while True:
            page = self._call(
                f"objects {prefix}* of bucket {namespace}/{bucket}",
                lambda start=start: (
                    client.list_objects(  # type: ignore[misc]
                        namespace, bucket, prefix=prefix, start=start, fields="name,timeCreated"
                    ).data
                ),
            )
            found += [(str(o.name), str(o.time_created)) for o in page.objects or []]
            start = page.next_start_with
            if not start:
                return found

    def delete_object(self, namespace: str, bucket: str, object_name: str) -> None:
        """Delete one object; one already gone is fine."""
        client = self._objects()
        try:
            self._call(
                f"object {namespace}/{bucket}/{object_name}",
                lambda: client.delete_object(namespace, bucket, object_name),
            )
        except NotFoundError:
            return

    def put_object(self, location: BucketLocation, body: bytes, content_type: str = "application/json") -> None:
        """Write one object (PutObject replaces it whole, so a repeat after a lost answer writes the same bytes)."""
        client = self._objects()
        self._call(
            f"object {location.describe()}",
            lambda: client.put_object(
                location.namespace, location.bucket, location.object_name, body, content_type=content_type
            ),
        )

    def get_object(self, location: BucketLocation) -> bytes | None:
        """The bytes of one object, or None when it is not there."""
        client = self._objects()
        try:
            response = self._call(
                f"object {location.describe()}",
                lambda: client.get_object(location.namespace, location.bucket, location.object_name),
            )
        except NotFoundError:
            return None
        return bytes(response.data.content)

    def object_exists(self, location: BucketLocation) -> bool:
        """Whether the backup object is in its bucket (HEAD on the object)."""
        return self.object_version(location) is not None

    # --- backups ---------------------------------------------------------------------------------

    def backup_vault(self, vault_id: str, location: Location, *, include_keys: bool, retry_token: str) -> VaultInfo:
        """Ask the service to back up the vault (optionally with its keys) to `location`.

        `retry_token` makes the request idempotent: a repeat with the same token does not take a second backup.
        """
        details = kms_models.BackupVaultDetails(backup_location=_location(location), is_include_keys=include_keys)
        data = self._call(
            f"backup of vault {vault_id} to {location.describe()}",
            lambda: (
                self._vaults().backup_vault(vault_id, backup_vault_details=details, opc_retry_token=retry_token).data
            ),
        )
        return _vault(data)

    def backup_key(self, management_endpoint: str, key_id: str, location: Location, *, retry_token: str) -> KeyInfo:
        """Ask the service to back up the key (all its enabled versions, with vault metadata) to `location`."""
        details = kms_models.BackupKeyDetails(backup_location=_location(location))
        data = self._call(
            f"backup of key {key_id} to {location.describe()}",
            lambda: (
                self._keys(management_endpoint)
                .backup_key(key_id, backup_key_details=details, opc_retry_token=retry_token)
                .data
            ),
        )
        return _key(data)

    # --- restores -------------------------------------------------------------------------------

    def restore_vault(self, compartment_id: str, source: RestoreSource, *, retry_token: str) -> VaultInfo:
        """Ask the service to restore a vault (and the keys its backup holds) from a backup object or file.

        The vault endpoint of this connection decides the region: in the vault's own region the restore goes over
        the vault (same OCID, additive), in another region of the realm it makes a vault with a new OCID.
        `retry_token` makes the request idempotent.
        """
        what = f"restore of a vault from {source.describe()}"
        if isinstance(source, FileSource):
            md5 = base64.b64encode(hashlib.md5(source.content).digest()).decode()
            return _vault(
                self._call(
                    what,
                    lambda: (
                        self._vaults()
                        .restore_vault_from_file(
                            compartment_id,
                            source.content,
                            content_length=len(source.content),
                            content_md5=md5,
                            opc_retry_token=retry_token,
                        )
                        .data
                    ),
                )
            )
        details = kms_models.RestoreVaultFromObjectStoreDetails(backup_location=_location(source))
        return _vault(
            self._call(
                what,
                lambda: (
                    self._vaults()
                    .restore_vault_from_object_store(
                        compartment_id, restore_vault_from_object_store_details=details, opc_retry_token=retry_token
                    )
                    .data
                ),
            )
        )

    def wait_vault_restored(self, vault_id: str) -> VaultInfo:
        """Wait until a restored vault is ACTIVE (its keys are restored with it)."""
        return wait_for(
            lambda: self.get_vault(vault_id),
            what=f"restored vault {vault_id}",
            done=lambda v: v.lifecycle_state == "ACTIVE",
            failed=lambda v: None if v.lifecycle_state in RESTORE_STATES else f"became {v.lifecycle_state}",
            describe=lambda v: v.lifecycle_state,
            deadline=self._deadline,
            progress=self._progress,
        )

    def vaults_in(self, compartment_id: str) -> list[VaultInfo]:
        """The vaults of a compartment in this connection's region."""
        data = self._call(
            f"vaults of compartment {compartment_id}", lambda: self._vaults().list_vaults(compartment_id).data
        )
        return [_vault(v) for v in data or []]

    def keys_in(self, management_endpoint: str, compartment_id: str) -> list[KeyInfo]:
        """The keys of the vault behind `management_endpoint` in a compartment (every page of ListKeys)."""
        client = self._keys(management_endpoint)
        found: list[KeyInfo] = []
        page: str | None = None
        while True:
            response = self._call(
                f"keys of compartment {compartment_id} in the vault at {management_endpoint}",
                lambda page=page: client.list_keys(compartment_id, page=page),  # type: ignore[misc]
            )
            found += [_key(k) for k in response.data or []]
            page = (response.headers or {}).get("opc-next-page")
            if not page:
                return found

    def keys_of_vault(self, vault: VaultInfo, compartments: Sequence[str]) -> list[KeyInfo]:
        """The keys of `vault` in its own compartment and in `compartments` (ListKeys answers per compartment, and a
        key may sit in another compartment than its vault), each once, with its protection mode and state."""
        seen: dict[str, KeyInfo] = {}
        for compartment in dict.fromkeys([vault.compartment_id, *compartments]):
            for key in self.keys_in(vault.management_endpoint, compartment):
                if key.vault_id in ("", vault.id):
                    seen.setdefault(key.id, key)
        return list(seen.values())

    def schedule_vault_deletion(self, vault_id: str, days: int = DELETION_DAYS) -> VaultInfo | None:
        """Schedule the vault's deletion in `days` (OCI's least is 7); one gone or already scheduled is fine."""
        try:
            vault = self.get_vault(vault_id)
        except NotFoundError:
            return None
        if vault.lifecycle_state in {"PENDING_DELETION", "DELETING", "DELETED"}:
            return vault
        # an hour's margin: OCI measures the 7 days from its own clock, when the request arrives
        when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days, hours=1)
        details = kms_models.ScheduleVaultDeletionDetails(time_of_deletion=when)
        try:
            data = self._call(
                f"deletion of vault {vault_id}",
                lambda: self._vaults().schedule_vault_deletion(vault_id, details).data,
            )
        except NotFoundError:
            return None
        return _vault(data)

    def wait_vault_idle(self, vault_id: str) -> VaultInfo:
        """Wait until the vault is ACTIVE: no backup or restore of it is running."""
        return wait_for(
            lambda: self.get_vault(vault_id),
            what=f"vault {vault_id}",
            done=lambda v: v.lifecycle_state in VAULT_BACKUP_STATES,
            failed=lambda v: None if v.lifecycle_state in BUSY_STATES | {"UPDATING"} else _gone(v),
            describe=lambda v: v.lifecycle_state,
            deadline=self._deadline,
            progress=self._progress,
        )

    def wait_key_idle(self, management_endpoint: str, key_id: str) -> KeyInfo:
        """Wait until the key is ENABLED or DISABLED: no backup or restore of it is running."""
        return wait_for(
            lambda: self.get_key(management_endpoint, key_id),
            what=f"key {key_id}",
            done=lambda k: k.lifecycle_state in KEY_BACKUP_STATES,
            failed=lambda k: None if k.lifecycle_state in BUSY_STATES | _KEY_TRANSITIONS else _gone(k),
            describe=lambda k: k.lifecycle_state,
            deadline=self._deadline,
            progress=self._progress,
        )

    def wait_written(self, what: str, fetch: Callable[[], VaultInfo | KeyInfo], written: BackupEvidence) -> None:
        """Wait until the backup is proven done: the vault or key is idle again and the object was written.

        A state alone proves nothing: right after the request OCI may still show the vault ACTIVE, before the
        backup has even started. Written means: the object's version differs from the one before the request,
        or (where the object cannot be read, as behind a PAR) the vault or key was seen busy and is idle again.
        """
        idle = VAULT_BACKUP_STATES | KEY_BACKUP_STATES

        def probe() -> tuple[str, bool]:
            state = fetch().lifecycle_state
            if state in BUSY_STATES:
                written.seen_busy = True
            if state not in idle:
                return state, False
            return state, written.proven(self)

        wait_for(
            probe,
            what=what,
            done=lambda found: found[1],
            failed=lambda found: (
                None if found[0] in idle | BUSY_STATES | _KEY_TRANSITIONS | {"UPDATING"} else f"became {found[0]}"
            ),
            describe=lambda found: f"{found[0]}, {written.describe()}",
            deadline=self._deadline,
            progress=self._progress,
        )


@dataclass
class BackupEvidence:
    """What proves that one backup request has been carried out."""

    location: BucketLocation | None
    """Where the object is read from (None: it cannot be read, e.g. a PAR URL whose bucket is unknown)."""
    readable: bool
    """Whether a missing object is proof of a missing backup (a bucket the stack reads) or says nothing (a PAR)."""
    before: str | None = None
    """The object's version before the request (None: it did not exist)."""
    seen_busy: bool = False
    """The vault or key was seen BACKUP_IN_PROGRESS after the request."""
    _version: str | None = field(default=None, repr=False)

    def proven(self, kms: Kms) -> bool:
        self._version = kms.object_version(self.location) if self.location is not None else None
        if self._version is not None and self._version != self.before:
            return True
        return self.seen_busy and (self._version is not None or not self.readable)

    def describe(self) -> str:
        if self.location is None:
            return "backup " + ("seen in progress" if self.seen_busy else "not seen in progress yet")
        written = self._version is not None and self._version != self.before
        return f"object {'written' if written else 'not written yet'} ({self.location.describe()})"


_KEY_TRANSITIONS = frozenset({"ENABLING", "DISABLING", "UPDATING"})


def _gone(resource: VaultInfo | KeyInfo) -> str:
    return f"became {resource.lifecycle_state} while being backed up"


def _location(location: Location) -> kms_models.BackupLocation:
    if isinstance(location, BucketLocation):
        return kms_models.BackupLocationBucket(
            destination="BUCKET",
            namespace=location.namespace,
            bucket_name=location.bucket,
            object_name=location.object_name,
        )
    return kms_models.BackupLocationURI(destination="PRE_AUTHENTICATED_REQUEST_URI", uri=location.uri)


def _vault(data: Any) -> VaultInfo:
    return VaultInfo(
        id=data.id,
        display_name=data.display_name or "",
        vault_type=data.vault_type or "",
        lifecycle_state=data.lifecycle_state or "",
        management_endpoint=data.management_endpoint or "",
        compartment_id=data.compartment_id or "",
        time_created=str(data.time_created or ""),
    )


def _key(data: Any) -> KeyInfo:
    return KeyInfo(
        id=data.id,
        display_name=data.display_name or "",
        protection_mode=data.protection_mode or "",
        lifecycle_state=data.lifecycle_state or "",
        vault_id=data.vault_id or "",
        compartment_id=data.compartment_id or "",
    )
