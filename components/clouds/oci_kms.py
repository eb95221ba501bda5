"""OCI Vault (KMS) adapter: the only code that calls `oci.key_management`; vault/key reads and backups."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import oci
from oci.key_management import KmsManagementClient, KmsVaultClient
from oci.key_management import models as kms_models

from components.clouds.calls import (
    CloudError,
    Deadline,
    NotFoundError,
    Transient,
    call,
    parse_retry_after,
    wait_for,
)

T = TypeVar("T")

VAULT_BACKUP_STATES = frozenset({"ACTIVE"})
"""A vault can be backed up only when ACTIVE."""
KEY_BACKUP_STATES = frozenset({"ENABLED", "DISABLED"})
"""A key can be backed up only when ENABLED or DISABLED (not deleted, not in a transitional state)."""
BUSY_STATES = frozenset({"BACKUP_IN_PROGRESS", "RESTORING"})
"""States in which the service refuses another backup or restore of the same vault or key."""

_NO_SDK_RETRIES = oci.retry.NoneRetryStrategy()  # retries are ours: deadline-bound and honouring Retry-After
_TIMEOUT = (10.0, 60.0)  # connect, read seconds


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


@dataclass(frozen=True)
class KeyInfo:
    """What the project needs to know of a master encryption key."""

    id: str
    display_name: str
    protection_mode: str
    lifecycle_state: str
    vault_id: str
    compartment_id: str


def _transient(exc: Exception) -> Transient | None:
    if isinstance(exc, oci.exceptions.ServiceError):
        if exc.status == 429 or exc.status >= 500 or exc.status == -1:
            headers = exc.headers or {}
            return Transient(f"HTTP {exc.status} {exc.code}", parse_retry_after(headers.get("retry-after")))
        return None
    if isinstance(exc, (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout)):
        return Transient(f"connection failed ({type(exc).__name__})")
    return None


def _sdk_config(conn: OciConnection) -> tuple[dict[str, Any], Any]:
    """The SDK config and signer for `conn`, read now from the environment and config files."""
    base: dict[str, Any] = {"region": conn.region}
    try:
        if conn.auth == "instance_principal":
            return base, oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
        if conn.auth == "resource_principal":
            return base, oci.auth.signers.get_resource_principals_signer()
        location = os.environ.get("OCI_CONFIG_FILE", oci.config.DEFAULT_LOCATION)
        profile = conn.profile or os.environ.get("OCI_CLI_PROFILE", oci.config.DEFAULT_PROFILE)
        config = oci.config.from_file(file_location=location, profile_name=profile)
        config["region"] = conn.region
        if conn.auth == "security_token":
            with open(os.path.expanduser(config["security_token_file"]), encoding="utf-8") as handle:
                token = handle.read().strip()
            key = oci.signer.load_private_key_from_file(config["key_file"], config.get("pass_phrase"))
            return config, oci.auth.signers.SecurityTokenSigner(token, key)
        return config, None
    except (oci.exceptions.ClientError, OSError, KeyError, ValueError) as exc:
        # The SDK's messages name files and fields, never key material.
        msg = f"OCI configuration ({conn.auth or 'api_key'}): {type(exc).__name__}: {exc}"
        raise CloudError(msg) from None


class Kms:
    """KMS calls for one operation, all bound to one deadline; build one per provider call."""

    def __init__(
        self,
        conn: OciConnection,
        deadline: Deadline,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._conn = conn
        self._deadline = deadline
        self._progress = progress
        self._config, self._signer = _sdk_config(conn)
        self._vault_client: KmsVaultClient | None = None
        self._key_clients: dict[str, KmsManagementClient] = {}

    def _kwargs(self, endpoint: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"retry_strategy": _NO_SDK_RETRIES, "timeout": _TIMEOUT}
        if self._signer is not None:
            kwargs["signer"] = self._signer
        if endpoint:
            kwargs["service_endpoint"] = endpoint
        return kwargs

    def _vaults(self) -> KmsVaultClient:
        # one client per operation: not rebuilt for every retry and every poll of a wait
        if self._vault_client is None:
            self._vault_client = KmsVaultClient(self._config, **self._kwargs(self._conn.kms_endpoint))
        return self._vault_client

    def _keys(self, management_endpoint: str) -> KmsManagementClient:
        if management_endpoint not in self._key_clients:
            self._key_clients[management_endpoint] = KmsManagementClient(
                self._config, **self._kwargs(management_endpoint)
            )
        return self._key_clients[management_endpoint]

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return call(fn, what=what, deadline=self._deadline, transient=_transient)
        except oci.exceptions.ServiceError as exc:
            raise _translate(what, exc) from None

    # --- reads -----------------------------------------------------------------------------------

    def get_vault(self, vault_id: str) -> VaultInfo:
        """The vault's type, state and management endpoint."""
        data = self._call(f"vault {vault_id}", lambda: self._vaults().get_vault(vault_id).data)
        return _vault(data)

    def get_key(self, management_endpoint: str, key_id: str) -> KeyInfo:
        """The key's protection mode and state (through its vault's management endpoint)."""
        data = self._call(f"key {key_id}", lambda: self._keys(management_endpoint).get_key(key_id).data)
        return _key(data)

    def object_exists(self, location: BucketLocation) -> bool:
        """Whether the backup object is in its bucket (HEAD on the object)."""
        client = oci.object_storage.ObjectStorageClient(self._config, **self._kwargs(self._conn.objectstorage_endpoint))
        what = f"backup object {location.describe()}"
        try:
            self._call(what, lambda: client.head_object(location.namespace, location.bucket, location.object_name))
        except NotFoundError:
            return False
        return True

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

    def wait_vault_backed_up(self, vault_id: str) -> VaultInfo:
        """Wait until the vault leaves BACKUP_IN_PROGRESS and is ACTIVE again."""
        return wait_for(
            lambda: self.get_vault(vault_id),
            what=f"backup of vault {vault_id}",
            done=lambda v: v.lifecycle_state == "ACTIVE",
            failed=lambda v: None if v.lifecycle_state in BUSY_STATES | {"ACTIVE", "UPDATING"} else _gone(v),
            describe=lambda v: v.lifecycle_state,
            deadline=self._deadline,
            progress=self._progress,
        )

    def wait_key_backed_up(self, management_endpoint: str, key_id: str) -> KeyInfo:
        """Wait until the key leaves BACKUP_IN_PROGRESS and is ENABLED or DISABLED again."""
        return wait_for(
            lambda: self.get_key(management_endpoint, key_id),
            what=f"backup of key {key_id}",
            done=lambda k: k.lifecycle_state in KEY_BACKUP_STATES,
            failed=lambda k: (
                None if k.lifecycle_state in BUSY_STATES | {"ENABLING", "DISABLING", "UPDATING"} else _gone(k)
            ),
            describe=lambda k: k.lifecycle_state,
            deadline=self._deadline,
            progress=self._progress,
        )


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


def _translate(what: str, exc: oci.exceptions.ServiceError) -> CloudError:
    """The project's error for a service error, naming the resource (the service message never holds a PAR)."""
    detail = f"HTTP {exc.status} {exc.code}: {exc.message}"
    if exc.status == 404:
        return NotFoundError(f"{what}: not found or not authorized ({detail})")
    if exc.status == 409:
        return CloudError(f"{what}: conflict, another operation is in progress on it ({detail})")
    if exc.status in (401, 403):
        return CloudError(f"{what}: not authorized; check the OCI credentials and IAM policies ({detail})")
    return CloudError(f"{what}: {detail}")
