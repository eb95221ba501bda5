"""Dynamic resources OciVaultBackup and OciKeyBackup: one backup of a vault or key, taken on create."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from components.clouds.calls import CloudError, Deadline
from components.clouds.oci_kms import (
    BUSY_STATES,
    KEY_BACKUP_STATES,
    VAULT_BACKUP_STATES,
    BucketLocation,
    Kms,
    Location,
    OciConnection,
    ParLocation,
)
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, progress, scrub, state_inputs

PAR_URI = "par_uri"
PAR_DIGEST = "par_uri_sha256"
_PAR_SHAPE = re.compile(r"^https://[^/\s]+/p/[^/\s]+/n/(?P<ns>[^/\s]+)/b/(?P<bucket>[^/\s]+)/o/(?P<object>[^\s]+)$")
_CHECK_SECONDS = 120.0  # reads done by check() before a create


class _Props(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ConnectionProps(_Props):
    """How the provider reaches OCI (no credentials: those come from the environment)."""

    region: str = Field(min_length=1)
    auth: str | None = None
    profile: str | None = None
    kms_endpoint: str | None = None
    objectstorage_endpoint: str | None = None

    def connection(self) -> OciConnection:
        return OciConnection(**self.model_dump())


class LocationProps(_Props):
    """A backup object in a bucket."""

    namespace: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    object_name: str = Field(min_length=1)


class VaultBackupProps(_Props):
    """Inputs of OciVaultBackup (the PAR URL, when used, is the secret input `par_uri`, outside the model)."""

    vault_id: str = Field(pattern=r"^ocid1\.vault\.")
    include_keys: bool = True
    location: LocationProps | None = None
    trigger: str = Field(min_length=1)
    connection: ConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class KeyBackupProps(_Props):
    """Inputs of OciKeyBackup."""

    key_id: str = Field(pattern=r"^ocid1\.key\.")
    vault_id: str = Field(pattern=r"^ocid1\.vault\.")
    location: LocationProps | None = None
    trigger: str = Field(min_length=1)
    connection: ConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


def retry_token(*parts: str) -> str:
    """A deterministic opc-retry-token: the same backup request always carries the same token."""
    return hashlib.sha256("\x1f".join(("backup-topology", *parts)).encode()).hexdigest()


def par_digest(uri: str) -> str:
    """What the state keeps of a PAR URL: its SHA-256, enough to notice a change, useless to anyone else."""
    return hashlib.sha256(uri.encode()).hexdigest()


class _BackupProvider(DynamicProvider):
    """Shared behaviour of vault and key backups: destination, checks, create-once, read, keep-on-delete."""

    secret_inputs: ClassVar[frozenset[str]] = frozenset({PAR_URI})
    immutable: ClassVar[frozenset[str]] = frozenset({"vault_id", "location", "trigger", PAR_URI})
    target: ClassVar[str]

    # --- what subclasses do ----------------------------------------------------------------------

    def _verify(self, kms: Kms, props: Any, *, creating: bool) -> list[tuple[str, str]]:
        """The service's rules against the live resource; `creating` when called by create() itself."""
        raise NotImplementedError

    def _take(self, kms: Kms, props: Any, location: Location) -> dict[str, Any]:
        raise NotImplementedError

    def _subject(self, props: Any) -> str:
        raise NotImplementedError

    # --- shared ----------------------------------------------------------------------------------

    def check_secrets(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        has_location = news.get("location") is not None
        uri = news.get(PAR_URI)
        if has_location == (uri is not None):
            return [("location", "give exactly one destination: location (bucket) or par_uri")]
        if isinstance(uri, str) and uri != pulumi.runtime.rpc.UNKNOWN and not _PAR_SHAPE.match(uri):
            return [
                (
                    PAR_URI,
                    "must be an Object Storage pre-authenticated request URL for one object "
                    "(https://…/p/<token>/n/<namespace>/b/<bucket>/o/<object>)",
                )
            ]
        return []

    def check_before_create(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        props: Any = self.props.model_validate(self.model_inputs(news))
        try:
            kms = Kms(props.connection.connection(), Deadline(_CHECK_SECONDS))
            return self._verify(kms, props, creating=False)
        except CloudError as exc:
            return [(self._subject_field(), f"cannot be checked before the backup: {exc}")]

    def _subject_field(self) -> str:
        return f"{self.target}_id"

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> set[str]:
        # The state keeps only a digest of a PAR URL: compare digests.
        before = {k: v for k, v in olds.items() if k != PAR_DIGEST}
        after = {k: v for k, v in news.items() if k != PAR_URI}
        found = super().changed(before, after)
        new_uri = news.get(PAR_URI)
        new_digest = par_digest(new_uri) if isinstance(new_uri, str) else None
        if new_uri == pulumi.runtime.rpc.UNKNOWN or new_digest != olds.get(PAR_DIGEST):
            found.add(PAR_URI)
        return found

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Verify the service's rules, ask for the backup once (idempotent token), and wait until it is done."""
        model: Any = self.props.model_validate(self.model_inputs(props))
        uri = props.get(PAR_URI)
        try:
            kms = Kms(model.connection.connection(), self.deadline(props, "create"), progress)
            problems = self._verify(kms, model, creating=True)
            if problems:
                raise CloudError("; ".join(f"{field}: {why}" for field, why in problems))
            location: Location = ParLocation(uri) if uri else BucketLocation(**model.location.model_dump())
            outs = self._take(kms, model, location)
        except CloudError as exc:
            raise type(exc)(scrub(str(exc), [uri])) from None
        return CreateResult(f"{self.target}backup.{self._token(model, uri)[:40]}", self._outputs(props, outs))

    def _token(self, model: Any, uri: str | None) -> str:
        where = (
            f"{model.location.namespace}/{model.location.bucket}/{model.location.object_name}"
            if model.location is not None
            else par_digest(uri or "")
        )
        return retry_token(self.target, self._subject(model), model.trigger, where)

    def _outputs(self, props: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        outs = state_inputs(props, without=[PAR_URI])
        uri = props.get(PAR_URI)
        if isinstance(uri, str):
            outs[PAR_DIGEST] = par_digest(uri)
            found = _PAR_SHAPE.match(uri)
            if found is not None:  # where the PAR writes is not secret; its token is
                outs["par_object"] = {
                    "namespace": found["ns"],
                    "bucket": found["bucket"],
                    "object_name": found["object"],
                }
        outs.update(extra)
        return outs

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only connection settings and timeouts change in place: no cloud call, the backup stays as it is."""
        kept = {k: v for k, v in olds.items() if k not in self.input_names() and k != PAR_DIGEST}
        return UpdateResult(self._outputs(news, kept))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the backup exists while its object is in the bucket; an empty id when it is gone."""
        model: Any = self.props.model_validate(self.model_inputs(props))
        where = model.location.model_dump() if model.location is not None else props.get("par_object")
        if not where:
            return ReadResult(id_, props)
        kms = Kms(model.connection.connection(), Deadline(_CHECK_SECONDS))
        if not kms.object_exists(BucketLocation(**where)):
            return ReadResult("", {})
        return ReadResult(id_, props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Backups are kept: removing the resource from the stack leaves the backup object in place."""
        progress(f"{self.target} backup {_id}: the backup object is kept in Object Storage")


class OciVaultBackupProvider(_BackupProvider):
    """Provider of OciVaultBackup: POST /vaults/{id}/actions/backup, then wait for ACTIVE."""

    props: ClassVar[type[BaseModel]] = VaultBackupProps
    immutable: ClassVar[frozenset[str]] = _BackupProvider.immutable | {"include_keys"}
    target: ClassVar[str] = "vault"

    def _subject(self, props: Any) -> str:
        return str(props.vault_id)

    def _verify(self, kms: Kms, props: Any, *, creating: bool) -> list[tuple[str, str]]:
        vault = kms.get_vault(props.vault_id)
        return vault_rules(vault.vault_type, vault.lifecycle_state, props.vault_id)

    def _take(self, kms: Kms, props: Any, location: Location) -> dict[str, Any]:
        token = self._token(props, location.uri if isinstance(location, ParLocation) else None)
        progress(f"backing up vault {props.vault_id} to {location.describe()}")
        kms.backup_vault(props.vault_id, location, include_keys=props.include_keys, retry_token=token)
        vault = kms.wait_vault_backed_up(props.vault_id)
        return {"vault_name": vault.display_name, "time_backed_up": _now()}


class OciKeyBackupProvider(_BackupProvider):
    """Provider of OciKeyBackup: POST /keys/{id}/actions/backup on the vault's management endpoint."""

    props: ClassVar[type[BaseModel]] = KeyBackupProps
    immutable: ClassVar[frozenset[str]] = _BackupProvider.immutable | {"key_id"}
    target: ClassVar[str] = "key"

    def _subject(self, props: Any) -> str:
        return str(props.key_id)

    def _verify(self, kms: Kms, props: Any, *, creating: bool) -> list[tuple[str, str]]:
        vault = kms.get_vault(props.vault_id)
        # A vault being backed up (typically by the VaultBackup this key backup is chained after) holds its
        # keys busy too, and they may stay busy a moment after it: create waits for them instead of failing.
        vault_busy = vault.lifecycle_state in BUSY_STATES
        problems = vault_rules(vault.vault_type, "ACTIVE" if vault_busy else vault.lifecycle_state, props.vault_id)
        if problems:
            return problems
        key = kms.get_key(vault.management_endpoint, props.key_id)
        rules = key_rules(key.protection_mode, key.lifecycle_state, key.vault_id, props.key_id, props.vault_id)
        waits = key.lifecycle_state in BUSY_STATES and (vault_busy or creating)
        return [] if waits and all("in progress" in why for _, why in rules) else rules

    def _take(self, kms: Kms, props: Any, location: Location) -> dict[str, Any]:
        vault = kms.get_vault(props.vault_id)
        if vault.lifecycle_state in BUSY_STATES:
            progress(f"key {props.key_id}: waiting for the backup of vault {props.vault_id} to finish first")
            vault = kms.wait_vault_backed_up(props.vault_id)
        if kms.get_key(vault.management_endpoint, props.key_id).lifecycle_state in BUSY_STATES:
            kms.wait_key_backed_up(vault.management_endpoint, props.key_id)  # released by that vault backup
        token = self._token(props, location.uri if isinstance(location, ParLocation) else None)
        progress(f"backing up key {props.key_id} to {location.describe()}")
        kms.backup_key(vault.management_endpoint, props.key_id, location, retry_token=token)
        key = kms.wait_key_backed_up(vault.management_endpoint, props.key_id)
        return {"key_name": key.display_name, "time_backed_up": _now()}


def vault_rules(vault_type: str, state: str, vault_id: str) -> list[tuple[str, str]]:
    """The service's rules for backing up a vault, as (input, reason)."""
    if vault_type != "VIRTUAL_PRIVATE":
        kind = vault_type.lower().replace("_", " ") or "unknown"
        return [("vault_id", f"vault {vault_id} is a {kind} vault; only virtual private vaults can be backed up")]
    if state in BUSY_STATES:
        return [
            (
                "vault_id",
                f"vault {vault_id} is {state}: a backup or restore is in progress and OCI runs one at a time; "
                "run again when it is ACTIVE",
            )
        ]
    if state not in VAULT_BACKUP_STATES:
        return [("vault_id", f"vault {vault_id} is {state}; only ACTIVE vaults can be backed up")]
    return []


def key_rules(protection: str, state: str, key_vault: str, key_id: str, vault_id: str) -> list[tuple[str, str]]:
    """The service's rules for backing up a key, as (input, reason)."""
    if key_vault and key_vault != vault_id:
        return [("key_id", f"key {key_id} belongs to vault {key_vault}, not {vault_id}")]
    if protection != "HSM":
        mode = protection.lower() or "unknown"
        return [("key_id", f"key {key_id} is {mode}-protected; only HSM-protected keys can be backed up")]
    if state in BUSY_STATES:
        return [
            (
                "key_id",
                f"key {key_id} is {state}: a backup or restore is in progress and OCI runs one at a time; "
                "run again when it is ENABLED or DISABLED",
            )
        ]
    if state not in KEY_BACKUP_STATES:
        return [("key_id", f"key {key_id} is {state}; only ENABLED or DISABLED keys can be backed up")]
    return []


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_OUTPUTS_VAULT = ("vault_name", "time_backed_up", PAR_DIGEST, "par_object")
_OUTPUTS_KEY = ("key_name", "time_backed_up", PAR_DIGEST, "par_object")


class OciVaultBackup(pulumi.dynamic.Resource, module=MODULE, name="OciVaultBackup"):
    """One backup of an OCI virtual private vault (with or without its keys), taken when created."""

    vault_name: pulumi.Output[str]
    time_backed_up: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OciVaultBackupProvider(), name, {**dict.fromkeys(_OUTPUTS_VAULT), **props}, opts)


class OciKeyBackup(pulumi.dynamic.Resource, module=MODULE, name="OciKeyBackup"):
    """One backup of an HSM-protected OCI key (all its enabled versions), taken when created."""

    key_name: pulumi.Output[str]
    time_backed_up: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OciKeyBackupProvider(), name, {**dict.fromkeys(_OUTPUTS_KEY), **props}, opts)
