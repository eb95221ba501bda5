"""Dynamic resources OciVaultBackup and OciKeyBackup: one backup of a vault or key, taken on create."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from components.clouds.calls import CloudError, Deadline
from components.clouds.oci_kms import (
    BUSY_STATES,
    KEY_BACKUP_STATES,
    VAULT_BACKUP_STATES,
    BackupEvidence,
    BucketLocation,
    KeyInfo,
    Kms,
    Location,
    OciConnection,
    ParLocation,
    VaultInfo,
)
from components.config.oci import PAR_URL
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, is_unknown, progress, scrub, state_inputs

PAR_URI = "par_uri"
PAR_DIGEST = "par_uri_sha256"
METADATA_FORMAT = "backup-topology/oci-backup-metadata/1"
"""What a backup's metadata object says it is (`<object>.json`: compartments and keys, for a restore)."""
_CHECK_SECONDS = 120.0  # reads done by check() before a create
_Info = TypeVar("_Info", VaultInfo, KeyInfo)


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


class ReplicaProps(_Props):
    """Where the bucket the backup is written to is replicated: Object Storage copies only the objects written after
    the bucket's replication policy exists, so a backup is taken again when its bucket becomes replicated."""

    region: str = Field(min_length=1)
    bucket: str = Field(min_length=1)


class VaultBackupProps(_Props):
    """Inputs of OciVaultBackup (the PAR URL, when used, is the secret input `par_uri`, outside the model)."""

    vault_id: str = Field(pattern=r"^ocid1\.vault\.")
    include_keys: bool = True
    key_compartments: list[str] = Field(default_factory=list)
    """Compartments besides the vault's whose keys of the vault are listed (ListKeys answers per compartment)."""
    location: LocationProps | None = None
    metadata: LocationProps | None = None
    """Where the backup's metadata (compartments, keys) is written once the backup is proven written."""
    replica: ReplicaProps | None = None
    trigger: str = Field(min_length=1)
    connection: ConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class KeyBackupProps(_Props):
    """Inputs of OciKeyBackup."""

    key_id: str = Field(pattern=r"^ocid1\.key\.")
    vault_id: str = Field(pattern=r"^ocid1\.vault\.")
    location: LocationProps | None = None
    metadata: LocationProps | None = None
    replica: ReplicaProps | None = None
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
    immutable: ClassVar[frozenset[str]] = frozenset({"vault_id", "location", "trigger", "replica", PAR_URI})
    target: ClassVar[str]

    # --- what subclasses do ----------------------------------------------------------------------

    def _verify(self, kms: Kms, props: Any) -> list[tuple[str, str]]:
        """The service's rules against the live vault or key; a backup or restore in progress is not a problem."""
        raise NotImplementedError

    def _take(self, kms: Kms, props: Any, location: Location, token: str) -> dict[str, Any]:
        """Wait until the vault or key is free, ask for the backup once, wait until it is proven written."""
        raise NotImplementedError

    def _subject(self, props: Any) -> str:
        raise NotImplementedError

    def _request(self, props: Any) -> tuple[str, ...]:
        """What the backup request carries besides its destination (a new request body needs a new token); a
        replica names the backup apart from the one written before its bucket was replicated."""
        replica = () if props.replica is None else (f"replica={props.replica.region}/{props.replica.bucket}",)
        return (self._subject(props), props.trigger, *replica)

    # --- shared ----------------------------------------------------------------------------------

    def check_secrets(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        has_location = news.get("location") is not None
        uri = news.get(PAR_URI)
        if has_location == (uri is not None):
            return [("location", "give exactly one destination: location (bucket) or par_uri")]
        if isinstance(uri, str) and not is_unknown(uri) and not PAR_URL.match(uri):
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
            return self._verify(kms, props)
        except CloudError as exc:
            return [(self._subject_field(), f"cannot be checked before the backup: {exc}")]

    def _subject_field(self) -> str:
        return f"{self.target}_id"

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> set[str]:
        return par_aware(super().changed, olds, news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Verify the service's rules, ask for the backup once, and wait until it is proven written.

        Every failure is reported as a CloudError naming the vault or key, with any PAR URL scrubbed from it.
        """
        model: Any = self.props.model_validate(self.model_inputs(props))
        uri = props.get(PAR_URI)
        # One token per create: the SDK call's retries reuse it (a lost answer never takes a second backup); a
        # later create (a new `up` after the object was removed) is a new request, which OCI must not replay.
        token = retry_token(self.target, *self._request(model), _where(model, uri), uuid.uuid4().hex)
        try:
            kms = Kms(model.connection.connection(), self.deadline(props, "create"), progress)
            problems = self._verify(kms, model)
            if problems:
                raise CloudError("; ".join(f"{field}: {why}" for field, why in problems))
            location: Location = ParLocation(uri) if uri else BucketLocation(**model.location.model_dump())
            outs = self._take(kms, model, location, token)
            outs.update(self._write_metadata(kms, model, outs, _written_object(model, uri)))
        except CloudError as exc:
            raise type(exc)(scrub(str(exc), [uri])) from None
        except Exception as exc:  # noqa: BLE001 - whatever the SDK raises, the PAR URL must not reach the log
            msg = f"{self.target} backup of {self._subject(model)}: {type(exc).__name__}: {scrub(str(exc), [uri])}"
            raise CloudError(msg) from None
        name = retry_token(self.target, *self._request(model), _where(model, uri))
        return CreateResult(f"{self.target}backup.{name[:40]}", self._outputs(props, outs))

    def _write_metadata(
        self, kms: Kms, model: Any, outs: Mapping[str, Any], written: dict[str, str] | None
    ) -> dict[str, Any]:
        """Write the backup's metadata next to it (`<object>.json`), once the backup is proven written.

        OCI writes the backup object itself and Object Storage has no call that adds metadata to an existing object
        (user metadata `opc-meta-*` is set only by the PutObject that writes it), so the compartments OCI restores
        into and the keys the backup holds go into an object of their own: a restore in a disaster reads them from
        the bucket (or its replica) instead of the live vault. A failed write fails nothing: the backup is taken, and
        the outputs say the metadata is missing and why.
        """
        if model.metadata is None:
            return {"metadata_object": None, "metadata_error": None}
        where = BucketLocation(**model.metadata.model_dump())
        document = {
            "format": METADATA_FORMAT,
            "kind": self.target,
            "backup_object": written,
            "vault_id": model.vault_id,
            **{k: outs.get(k) for k in self._metadata_fields},
        }
        if self.target == "key":
            document["key_id"] = model.key_id
        try:
            kms.put_object(where, json.dumps(document, indent=2, sort_keys=True).encode())
        except CloudError as exc:
            progress(f"{self.target} backup of {self._subject(model)}: its metadata was not written: {exc}")
            return {"metadata_object": None, "metadata_error": str(exc)}
        return {"metadata_object": dataclasses.asdict(where), "metadata_error": None}

    _metadata_fields: ClassVar[tuple[str, ...]] = ()

    def _back_up(
        self, kms: Kms, location: Location, subject: str, ask: Callable[[], _Info], fetch: Callable[[], _Info]
    ) -> _Info:
        """Ask for the backup once (`ask`) and wait until it is proven written; the vault or key as it is then."""
        evidence = self._evidence(kms, location)
        progress(f"backing up {subject} to {location.describe()}")
        evidence.seen_busy = ask().lifecycle_state in BUSY_STATES
        kms.wait_written(f"backup of {subject}", fetch, evidence)
        return fetch()

    def _evidence(self, kms: Kms, location: Location) -> BackupEvidence:
        """How this backup will be proven written; reads the object's version before the request."""
        if isinstance(location, BucketLocation):
            evidence = BackupEvidence(location, readable=True)
        else:
            parsed = _par_object(location.uri)
            evidence = BackupEvidence(BucketLocation(**parsed) if parsed else None, readable=False)
        if evidence.location is not None:
            evidence.before = kms.object_version(evidence.location)
        return evidence

    def _outputs(self, props: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        outs = state_inputs(props, without=[PAR_URI])
        uri = props.get(PAR_URI)
        if isinstance(uri, str):
            outs[PAR_DIGEST] = par_digest(uri)
            found = _par_object(uri)
            if found is not None:  # where the PAR writes is not secret; its token is
                outs["par_object"] = found
        outs.update(extra)
        return outs

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only connection settings and timeouts change in place: no cloud call, the backup stays as it is."""
        kept = {k: v for k, v in olds.items() if k not in self.input_names() and k != PAR_DIGEST}
        return UpdateResult(self._outputs(news, kept))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: a backup to a bucket exists while its object is there; an empty id when it is gone.

        Behind a PAR URL the object may be in a bucket the stack cannot read (OCI answers "not authorized or not
        found" alike): such a backup is kept in the state as it is.
        """
        model: Any = self.props.model_validate(self.model_inputs(props))
        if model.location is None:
            return ReadResult(id_, props)
        kms = Kms(model.connection.connection(), Deadline(_CHECK_SECONDS))
        if not kms.object_exists(BucketLocation(**model.location.model_dump())):
            return ReadResult("", {})
        return ReadResult(id_, props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Backups are kept: removing the resource from the stack leaves the backup object in place."""
        progress(f"{self.target} backup {_id}: the backup object is kept in Object Storage")


def par_aware(
    changed: Callable[[Mapping[str, Any], Mapping[str, Any]], set[str]],
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
) -> set[str]:
    """`changed`, comparing PAR URLs by digest: Diff's old outputs keep only the digest, Check's old inputs the URL."""
    before = {k: v for k, v in olds.items() if k not in (PAR_DIGEST, PAR_URI)}
    after = {k: v for k, v in news.items() if k != PAR_URI}
    found = changed(before, after)
    if is_unknown(news.get(PAR_URI)) or _digest_of(news) != _digest_of(olds):
        found.add(PAR_URI)
    return found


def _par_object(uri: str) -> dict[str, str] | None:
    found = PAR_URL.match(uri)
    if found is None:
        return None
    return {"namespace": found["ns"], "bucket": found["bucket"], "object_name": found["object"]}


def _digest_of(props: Mapping[str, Any]) -> str | None:
    """The PAR digest of old outputs (kept as such) or of inputs (computed from the URL); None without a PAR."""
    if props.get(PAR_DIGEST) is not None:
        return str(props[PAR_DIGEST])
    uri = props.get(PAR_URI)
    return par_digest(uri) if isinstance(uri, str) else None


def _written_object(model: Any, uri: str | None) -> dict[str, str] | None:
    """The backup object, where it is known (a bucket location, or the object a PAR URL names)."""
    if model.location is not None:
        return dict(model.location.model_dump())
    return _par_object(uri) if uri else None


def read_metadata(kms: Kms, location: BucketLocation) -> dict[str, Any] | None:
    """The metadata a backup wrote next to its object (`<object>.json`), or None when there is none."""
    sidecar = BucketLocation(location.namespace, location.bucket, metadata_name(location.object_name))
    content = kms.get_object(sidecar)
    if content is None:
        return None
    try:
        document = json.loads(content)
    except ValueError:
        return None
    return document if isinstance(document, dict) and document.get("format") == METADATA_FORMAT else None


def metadata_name(object_name: str) -> str:
    """The name of a backup's metadata object: `<object>.json`, beside it (and in the same generation)."""
    return f"{object_name}.json"


def _where(model: Any, uri: str | None) -> str:
    if model.location is not None:
        return f"{model.location.namespace}/{model.location.bucket}/{model.location.object_name}"
    return par_digest(uri or "")


class OciVaultBackupProvider(_BackupProvider):
    """Provider of OciVaultBackup: POST /vaults/{id}/actions/backup, then wait until the backup is written."""

    props: ClassVar[type[BaseModel]] = VaultBackupProps
    immutable: ClassVar[frozenset[str]] = _BackupProvider.immutable | {"include_keys"}
    target: ClassVar[str] = "vault"
    _metadata_fields: ClassVar[tuple[str, ...]] = (
        "vault_compartment_id",
        "keys_in_backup",
        "keys_left_out",
        "time_backed_up",
    )

    def _subject(self, props: Any) -> str:
        return str(props.vault_id)

    def _request(self, props: Any) -> tuple[str, ...]:
        return (*super()._request(props), f"include_keys={bool(props.include_keys)}")

    def _verify(self, kms: Kms, props: Any) -> list[tuple[str, str]]:
        vault = kms.get_vault(props.vault_id)
        return vault_rules(vault.vault_type, _settled(vault.lifecycle_state, "ACTIVE"), props.vault_id)

    def _take(self, kms: Kms, props: Any, location: Location, token: str) -> dict[str, Any]:
        vault = kms.get_vault(props.vault_id)
        if vault.lifecycle_state in BUSY_STATES:
            progress(f"vault {props.vault_id}: another backup or restore is running; waiting for it to finish")
            vault = kms.wait_vault_idle(props.vault_id)
        # The BackupVault answer is the vault, not a list of keys: which keys the backup holds is read here, through
        # ListKeys, just before the request and again once the backup is proven written. OCI refuses other
        # operations on a vault while it is backed up (seed 003), so a key judged alike both times was in that state
        # when the backup ran; a key that changed in between is not claimed.
        before = kms.keys_of_vault(vault, props.key_compartments) if props.include_keys else []
        vault = self._back_up(
            kms,
            location,
            f"vault {props.vault_id}",
            lambda: kms.backup_vault(props.vault_id, location, include_keys=props.include_keys, retry_token=token),
            lambda: kms.get_vault(props.vault_id),
        )
        after = kms.keys_of_vault(vault, props.key_compartments) if props.include_keys else []
        held, left_out = keys_in_backup(before, after)
        for key in left_out:
            progress(f"vault {props.vault_id}: key {key['id']} is not in the backup: {key['why']}")
        return {
            "vault_name": vault.display_name,
            "time_backed_up": _now(),
            "vault_compartment_id": vault.compartment_id,
            "keys_in_backup": held,
            "keys_left_out": left_out,
        }


class OciKeyBackupProvider(_BackupProvider):
    """Provider of OciKeyBackup: POST /keys/{id}/actions/backup on the vault's management endpoint."""

    props: ClassVar[type[BaseModel]] = KeyBackupProps
    immutable: ClassVar[frozenset[str]] = _BackupProvider.immutable | {"key_id"}
    target: ClassVar[str] = "key"
    _metadata_fields: ClassVar[tuple[str, ...]] = (
        "compartment_id",
        "key_state",
        "vault_compartment_id",
        "time_backed_up",
    )

    def _subject(self, props: Any) -> str:
        return str(props.key_id)

    def _verify(self, kms: Kms, props: Any) -> list[tuple[str, str]]:
        vault = kms.get_vault(props.vault_id)
        problems = vault_rules(vault.vault_type, _settled(vault.lifecycle_state, "ACTIVE"), props.vault_id)
        if problems:
            return problems
        key = kms.get_key(vault.management_endpoint, props.key_id)
        state = _settled(key.lifecycle_state, "ENABLED")
        return key_rules(key.protection_mode, state, key.vault_id, props.key_id, props.vault_id)

    def _take(self, kms: Kms, props: Any, location: Location, token: str) -> dict[str, Any]:
        vault = kms.get_vault(props.vault_id)
        if vault.lifecycle_state in BUSY_STATES:
            progress(f"key {props.key_id}: waiting for the backup or restore of vault {props.vault_id} to finish")
            vault = kms.wait_vault_idle(props.vault_id)
        endpoint = vault.management_endpoint
        if kms.get_key(endpoint, props.key_id).lifecycle_state in BUSY_STATES:
            progress(f"key {props.key_id}: another backup or restore holds it; waiting for it to finish")
            kms.wait_key_idle(endpoint, props.key_id)
        state = kms.get_key(endpoint, props.key_id).lifecycle_state  # what the backup finds: ENABLED or DISABLED
        key = self._back_up(
            kms,
            location,
            f"key {props.key_id}",
            lambda: kms.backup_key(endpoint, props.key_id, location, retry_token=token),
            lambda: kms.get_key(endpoint, props.key_id),
        )
        return {
            "key_name": key.display_name,
            "time_backed_up": _now(),
            "key_state": state if state in KEY_BACKUP_STATES else key.lifecycle_state,
            "compartment_id": key.compartment_id,
            "vault_compartment_id": vault.compartment_id,
        }


def keys_in_backup(before: list[KeyInfo], after: list[KeyInfo]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(keys the vault backup holds, keys it leaves out with why), from the vault's keys read before the backup
    request and after the backup was proven written.

    Seed 003: a vault backup includes only HSM-protected keys in a supported state (ENABLED or DISABLED; deleted
    and transitional states are excluded). A key is claimed only when both reads show it so; one seen in an
    unsupported state or protection mode is left out with that state; one whose state changed between the reads, or
    seen only once, is left out too: whether the backup took it cannot be proven.
    """
    first = {k.id: k for k in before}
    last = {k.id: k for k in after}
    held: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    for key_id in dict.fromkeys([*first, *last]):
        old, new = first.get(key_id), last.get(key_id)
        key = new or old
        assert key is not None
        record = {"id": key.id, "name": key.display_name, "compartment_id": key.compartment_id}
        if key.protection_mode != "HSM":
            mode = key.protection_mode or "unknown"
            why = f"{mode.lower()}-protected: only HSM-protected keys can be backed up"
        elif old is None:
            why = f"appeared while the backup ran ({key.lifecycle_state} after it): not known to be in the backup"
        elif new is None:
            why = f"{old.lifecycle_state} before the backup, gone after it: not known to be in the backup"
        elif old.lifecycle_state != new.lifecycle_state:
            why = (
                f"{old.lifecycle_state} before the backup, {new.lifecycle_state} after it: "
                "not known to be in the backup"
            )
        elif key.lifecycle_state not in KEY_BACKUP_STATES:
            why = f"{key.lifecycle_state}: only ENABLED or DISABLED keys are included in a vault backup"
        else:
            held.append({**record, "state": key.lifecycle_state})
            continue
        left_out.append({**record, "state": key.lifecycle_state, "protection_mode": key.protection_mode, "why": why})
    return held, left_out


def _settled(state: str, idle: str) -> str:
    """A vault or key busy with another backup or restore is judged as it will be when that ends: create waits."""
    return idle if state in BUSY_STATES else state


def vault_rules(vault_type: str, state: str, vault_id: str) -> list[tuple[str, str]]:
    """The service's rules for backing up a vault, as (input, reason); a busy vault is waited for, not judged."""
    if vault_type != "VIRTUAL_PRIVATE":
        kind = vault_type.lower().replace("_", " ") or "unknown"
        return [("vault_id", f"vault {vault_id} is a {kind} vault; only virtual private vaults can be backed up")]
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
    if state not in KEY_BACKUP_STATES:
        return [("key_id", f"key {key_id} is {state}; only ENABLED or DISABLED keys can be backed up")]
    return []


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


_OUTPUTS_VAULT = (
    "vault_name",
    "time_backed_up",
    "vault_compartment_id",
    "keys_in_backup",
    "keys_left_out",
    "metadata_object",
    "metadata_error",
    PAR_DIGEST,
    "par_object",
)
_OUTPUTS_KEY = (
    "key_name",
    "time_backed_up",
    "key_state",
    "compartment_id",
    "vault_compartment_id",
    "metadata_object",
    "metadata_error",
    PAR_DIGEST,
    "par_object",
)


class OciVaultBackup(pulumi.dynamic.Resource, module=MODULE, name="OciVaultBackup"):
    """One backup of an OCI virtual private vault (with or without its keys), taken when created."""

    vault_name: pulumi.Output[str]
    time_backed_up: pulumi.Output[str]
    vault_compartment_id: pulumi.Output[str]
    keys_in_backup: pulumi.Output[list[dict[str, Any]]]
    """The keys the backup holds, as read through ListKeys when it ran: id, name, compartment_id, state."""
    keys_left_out: pulumi.Output[list[dict[str, Any]]]
    """The vault's keys the backup does not hold (or cannot be proven to): id, name, compartment_id, state,
    protection_mode, why."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OciVaultBackupProvider(), name, {**dict.fromkeys(_OUTPUTS_VAULT), **props}, opts)


class OciKeyBackup(pulumi.dynamic.Resource, module=MODULE, name="OciKeyBackup"):
    """One backup of an HSM-protected OCI key (all its enabled versions), taken when created."""

    key_id: pulumi.Output[str]
    key_name: pulumi.Output[str]
    time_backed_up: pulumi.Output[str]
    key_state: pulumi.Output[str]
    """ENABLED or DISABLED: the key's state when it was backed up."""
    compartment_id: pulumi.Output[str]
    """The key's compartment (OCI restores a key only there)."""
    vault_compartment_id: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OciKeyBackupProvider(), name, {**dict.fromkeys(_OUTPUTS_KEY), **props}, opts)


class MetadataProps(_Props):
    """Inputs of OciBackupMetadata."""

    location: LocationProps
    """The backup object; its metadata is `<object_name>.json` beside it."""
    connection: ConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class OciBackupMetadataProvider(DynamicProvider):
    """Reads the metadata a backup wrote beside it: the compartments OCI restores its vault and key into."""

    props: ClassVar[type[BaseModel]] = MetadataProps
    immutable: ClassVar[frozenset[str]] = frozenset({"location"})

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Read `<object>.json`; a backup without one is an error naming the object and the input to give."""
        model = MetadataProps.model_validate(self.model_inputs(props))
        where = BucketLocation(**model.location.model_dump())
        kms = Kms(model.connection.connection(), self.deadline(props, "create"), progress)
        document = read_metadata(kms, where)
        if document is None:
            msg = (
                f"{where.describe()}: no backup metadata beside it ({metadata_name(where.object_name)}; backups "
                "taken before the stack wrote it, or through a PAR URL made elsewhere, have none): give compartment_id"
            )
            raise CloudError(msg)
        found = {k: document.get(k) for k in ("kind", "vault_id", "vault_compartment_id", "key_id", "compartment_id")}
        return CreateResult(f"backupmetadata.{retry_token(*dataclasses.astuple(where))[:32]}", {**props, **found})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """What was read stays the record of the restore it served."""
        return ReadResult(id_, props)


class OciBackupMetadata(pulumi.dynamic.Resource, module=MODULE, name="OciBackupMetadata"):
    """The metadata beside a vault or key backup object, read when created: where OCI restores it."""

    vault_compartment_id: pulumi.Output[str]
    """The compartment of the backed-up vault."""
    compartment_id: pulumi.Output[str]
    """A key backup's key's own compartment (None for a vault backup)."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = dict.fromkeys(("kind", "vault_id", "vault_compartment_id", "key_id", "compartment_id"))
        super().__init__(OciBackupMetadataProvider(), name, {**outputs, **props}, opts)
