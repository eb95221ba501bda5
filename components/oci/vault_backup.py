"""VaultBackup and VaultRestore: OCI Vault backups to a bucket or PAR URL, and restores from a bucket."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Required, TypedDict

import pulumi
import pulumi_oci as oci
from pydantic import Field, model_validator

from components.base import args_problem, component_args, literal, secret
from components.config import VaultBackupSpec, VaultRestoreSpec, resource_key
from components.config.base import HttpsUrl
from components.config.oci import OciAuth, OciRegion, parse_ocid, same_region_replica
from components.dynamic.expiry import ExpiryTime
from components.dynamic.oci_vault_backup import (
    OciBackupMetadata,
    OciKeyBackup,
    OciVaultBackup,
    metadata_name,
    par_digest,
)
from components.dynamic.restore_trigger import RestoreTrigger
from components.errors import FieldProblemError
from components.lifecycle import RetentionArgs, keep_generations, series_of

VAULT_BACKUP_TYPE = "backup-topology:index:VaultBackup"
VAULT_RESTORE_TYPE = "backup-topology:index:VaultRestore"


class BucketArgs(TypedDict, total=False):
    """Backups written as objects of an existing bucket in the vault's region."""

    namespace: Required[pulumi.Input[str]]
    """Object Storage namespace of the tenancy."""
    bucket: Required[pulumi.Input[str]]
    """The bucket, e.g. a `Bucket` resource's `name`."""
    object_prefix: str
    """Prefix of the object names; default `<name>/`."""


class CreatedParArgs(BucketArgs, total=False):
    """A write-only PAR the component creates on exactly each backup object."""

    expires_in_days: int
    """Days each PAR stays valid after it is created (1-365, default 1)."""


@secret("uri")
class GivenParArgs(TypedDict):
    """A PAR URL for one object, made elsewhere."""

    uri: pulumi.Input[str]
    """The URL; the component keeps it a secret."""


class ReplicationArgs(TypedDict, total=False):
    """The backup bucket replicated to another region."""

    region: Required[str]
    """Region of the destination bucket (not the vault's)."""
    bucket: str
    """The destination bucket in that region, which must exist; default the source bucket's name."""


class VaultBackupDestinationArgs(TypedDict, total=False):
    """Where the backups go: exactly one of bucket, par and par_uri; with bucket or par, optionally replicated."""

    bucket: BucketArgs
    par: CreatedParArgs
    par_uri: GivenParArgs
    replicate_to: str | ReplicationArgs
    """Declare the bucket's `oci.objectstorage.ReplicationPolicy` to this region (`<region>` or `{region, bucket}`)."""


class TimeoutsArgs(TypedDict, total=False):
    """Deadlines, as durations (`90s`, `30m`, `2h`) or seconds."""

    create: str | int
    """How long each backup (request and wait) may take; default 30m."""


class VaultBackupArgs(TypedDict, total=False):
    """Args of VaultBackup: an entry of the topology's `oci.vault_backups`, and how to reach OCI."""

    vault_id: Required[pulumi.Input[str]]
    """OCID of the virtual private vault, e.g. a `Vault` resource's `id`."""
    region: Required[str]
    """Region of the vault (and of the bucket: OCI writes backups only to buckets of the vault's region)."""
    destination: Required[VaultBackupDestinationArgs]
    """Bucket, created PAR, or given PAR URL."""
    trigger: Required[str]
    """A new backup is taken when it changes (e.g. today's date); an `up` with the same trigger takes none."""
    name: str
    """Prefix of the object names; default the resource name."""
    backup_vault: bool
    """Back up the vault itself (default true)."""
    include_keys: bool
    """The vault backup includes its keys (default true); false backs up the vault's metadata only."""
    keys: Sequence[pulumi.Input[str]]
    """HSM keys of the vault backed up one by one (each backup holds the key's enabled versions)."""
    key_compartments: Sequence[pulumi.Input[str]]
    """Compartments besides the vault's holding keys of the vault: the vault backup lists the keys it holds per
    compartment (ListKeys), so a key elsewhere is claimed only when its compartment is listed here."""
    timeouts: TimeoutsArgs
    """Deadlines."""
    retention: RetentionArgs
    """Earlier backups kept under the prefix (default all): the objects of triggers beyond it are deleted on
    every `up` (bucket and created-PAR destinations)."""
    delete_on_removal: bool
    """Removing the component (or `pulumi destroy`) deletes every backup object it wrote; by default they stay."""
    auth: Literal["api_key", "instance_principal", "resource_principal", "security_token"]
    """How the backup calls authenticate (default api_key: ~/.oci/config or OCI_CONFIG_FILE)."""
    profile: str
    """Profile of the OCI config file."""
    kms_endpoint: str
    """KMS vault endpoint; default the region's public one."""
    objectstorage_endpoint: str
    """Object Storage endpoint (refresh checks that backup objects exist); default the region's."""


class VaultBackupInputs(VaultBackupSpec):
    """A vault backup as the component takes it: the topology's entry and how to reach OCI."""

    region: OciRegion = Field(description="Region of the vault and the bucket.")
    auth: OciAuth | None = Field(None, description="Auth of the backup calls.")
    profile: str | None = Field(None, description="Profile of the OCI config file.")
    kms_endpoint: HttpsUrl | None = Field(None, description="KMS vault endpoint.")
    objectstorage_endpoint: HttpsUrl | None = Field(None, description="Object Storage endpoint.")

    @model_validator(mode="after")
    def _replica_elsewhere(self) -> VaultBackupInputs:
        replica = self.destination.replicate_to
        if replica is not None and replica.region == self.region:
            raise FieldProblemError([(("destination", "replicate_to", "region"), same_region_replica(self.region))])
        return self


@secret("par_uris")
class VaultBackup(pulumi.ComponentResource):
    """Backups of an OCI virtual private vault and of chosen HSM keys, taken again when `trigger` changes."""

    vault_id: pulumi.Input[str]
    """OCID of the backed-up vault."""
    backed_up_key_ids: pulumi.Output[list[str]]
    """OCIDs of the keys a backup of this component holds, as the cloud confirmed them: each key backed up one by
    one, and each key the vault backup holds (`keys_in_backup`); never a key no backup holds."""
    keys_in_backup: pulumi.Output[list[dict[str, Any]]] | None
    """The keys the vault backup holds, read through ListKeys when it ran (id, name, compartment_id, state); None
    without a vault backup."""
    keys_left_out: pulumi.Output[list[dict[str, Any]]] | None
    """The vault's keys its backup does not hold, or cannot be proven to (id, name, compartment_id, state,
    protection_mode, why); None without a vault backup."""
    compartments: pulumi.Output[dict[str, Any]]
    """Where OCI restores each subject: `vault` -> the vault's compartment, and per key backed up one by one (by
    OCID) its own compartment (a key may sit in another compartment than its vault)."""
    objects: dict[str, dict[str, pulumi.Input[str]]]
    """Backup object per subject (`vault`, a key OCID, or `keys[<position>]` for a key from another resource):
    namespace, bucket, object_name (bucket and created PAR destinations)."""
    par_uris: dict[str, pulumi.Output[str]]
    """PAR URL per subject, as secrets (created or given PARs)."""
    time_backed_up: dict[str, pulumi.Output[str]]
    """Time each backup finished (RFC 3339), per subject."""
    connection: dict[str, Any]
    """How the backups reach OCI: region, auth, profile, kms_endpoint, objectstorage_endpoint."""
    vault_object: dict[str, pulumi.Input[str]] | None
    """The current vault backup's object (namespace, bucket, object_name) where the stack knows it, else None."""
    generations: pulumi.Output[list[dict[str, Any]]] | None
    """The triggers whose objects the bucket holds under the prefix (id = `<prefix><trigger>/`, name = trigger,
    created_at), newest first; None for a PAR URL made elsewhere."""
    replica: dict[str, pulumi.Input[str]] | None
    """Where the bucket is replicated (region, namespace, bucket: the same object names there), or None."""

    def __init__(
        self,
        resource_name: str,
        args: VaultBackupArgs | VaultBackupInputs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        *,
        replicated_by: VaultBackup | None = None,
    ) -> None:
        """`replicated_by`: the VaultBackup whose `destination.replicate_to` replicates the bucket this one writes to
        (a bucket has one replication policy): the backups wait for its policy and are taken again when it is added,
        as that policy copies only the objects written after it exists."""
        owner = f"VaultBackup '{resource_name}'"
        spec = component_args(VaultBackupInputs, args, owner, name=resource_name)
        given = spec.destination.par_uri
        if given is not None and given.uri is None:
            raise args_problem(
                owner, "destination.par_uri.uri", "required: the PAR URL itself (a secret); config keys are the stack's"
            )
        keys = [_in_vault(owner, i, spec.vault_id, key) for i, key in enumerate(spec.keys)]
        super().__init__(VAULT_BACKUP_TYPE, resource_name, None, opts)

        self.connection = {
            "region": spec.region,
            "auth": spec.auth,
            "profile": spec.profile,
            "kms_endpoint": spec.kms_endpoint,
            "objectstorage_endpoint": spec.objectstorage_endpoint,
        }
        common = {
            "trigger": spec.trigger,
            "connection": self.connection,
            "timeouts": {"create": spec.timeouts.create, "update": 300, "delete": 300},
        }
        self.vault_id = spec.vault_id
        self.objects = {}
        self.par_uris = {}
        self.time_backed_up = {}

        # (subject, resource suffix, object name, key or None for the vault itself)
        subjects: list[tuple[str, str, pulumi.Input[str], pulumi.Input[str] | None]] = []
        if spec.backup_vault:
            subjects.append(("vault", "vault", spec.vault_object(), None))
        for i, key in enumerate(keys):
            ocid = literal(key)
            if ocid is not None:
                subjects.append((ocid, f"key-{resource_key(ocid)}", spec.key_object(ocid), key))
            else:  # a key from another resource: named by its position, its object by its OCID once known
                named = pulumi.Output.from_input(key).apply(spec.key_object)
                subjects.append((f"keys[{i}]", f"key-{i}", named, key))

        expiry = (
            ExpiryTime(
                f"{resource_name}-par-expiry",
                spec.destination.par.expires_in_days,
                spec.trigger,
                pulumi.ResourceOptions(parent=self),
            )
            if spec.destination.par is not None
            else None
        )
        # Object Storage replicates only objects written after the policy exists: the backups wait for it, and carry
        # the replica, so that a bucket replicated later has its current backups taken again (and so copied).
        previous: pulumi.Resource | None = self._replication(resource_name, spec, replicated_by)
        if self.replica is not None:
            common["replica"] = {"region": self.replica["region"], "bucket": self.replica["bucket"]}
        # OCI runs one backup of a vault or key at a time: each backup waits for the previous one.
        vault_backup: OciVaultBackup | None = None
        key_backups: list[OciKeyBackup] = []
        for subject, suffix, object_name, key_id in subjects:
            destination = self._destination(resource_name, spec, suffix, subject, object_name, expiry)
            after = pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous is not None else None)
            backup: OciVaultBackup | OciKeyBackup
            if key_id is None:
                props = {
                    "vault_id": spec.vault_id,
                    "include_keys": spec.include_keys,
                    "key_compartments": list(spec.key_compartments),
                    **common,
                    **destination,
                }
                backup = vault_backup = OciVaultBackup(f"{resource_name}-{suffix}", props, after)
            else:
                props = {"key_id": key_id, "vault_id": spec.vault_id, **common, **destination}
                backup = OciKeyBackup(f"{resource_name}-{suffix}", props, after)
                key_backups.append(backup)
            self.time_backed_up[subject] = backup.time_backed_up
            previous = backup
        self.keys_in_backup = vault_backup.keys_in_backup if vault_backup is not None else None
        self.keys_left_out = vault_backup.keys_left_out if vault_backup is not None else None
        self.backed_up_key_ids = pulumi.Output.all(self.keys_in_backup, *[k.key_id for k in key_backups]).apply(
            lambda found: _confirmed_keys(found[0], found[1:])
        )
        self.compartments = pulumi.Output.all(
            vault_backup.vault_compartment_id if vault_backup is not None else None,
            *[pulumi.Output.all(k.key_id, k.compartment_id) for k in key_backups],
        ).apply(lambda found: _compartments(found[0], found[1:]))
        self.vault_object = self.objects.get("vault")
        self.generations = self._generations(resource_name, spec, common, previous)
        self.register_outputs(self.outputs())

    def _replication(
        self, name: str, spec: VaultBackupInputs, replicated_by: VaultBackup | None
    ) -> pulumi.Resource | None:
        """The bucket's replication policy to `destination.replicate_to`, when asked (bucket and created PARs), or
        the policy of the VaultBackup that replicates the bucket this one writes to."""
        found = spec.destination.replica()
        self.replica = None
        self.replication_policy: pulumi.Resource | None = None
        self.replicated_bucket: tuple[Any, Any] = (None, None)
        owner = f"VaultBackup '{name}'"
        if replicated_by is not None:
            if found is not None:
                why = "given with replicated_by: a bucket has one replication policy, declared by that VaultBackup"
                raise args_problem(owner, "destination.replicate_to", why)
            if replicated_by.replica is None or replicated_by.replication_policy is None:
                why = "names a VaultBackup whose destination has no replicate_to"
                raise args_problem(owner, "replicated_by", why)
            where = spec.destination.bucket or spec.destination.par
            mine = None if where is None else (literal(where.namespace), literal(where.bucket))
            theirs = replicated_by.replicated_bucket
            if mine is None or (None not in mine and None not in theirs and mine != theirs):
                why = f"that VaultBackup replicates bucket {'/'.join(map(str, theirs))}, not the one this one writes to"
                raise args_problem(owner, "replicated_by", why)
            self.replica = dict(replicated_by.replica)
            self.replication_policy = replicated_by.replication_policy
            return self.replication_policy
        if found is None:
            return None
        region, namespace, destination = found
        where = spec.destination.bucket or spec.destination.par
        assert where is not None  # replica() is None without one
        self.replicated_bucket = (literal(where.namespace), literal(where.bucket))
        self.replica = {"region": region, "namespace": namespace, "bucket": destination}
        self.replication_policy = oci.objectstorage.ReplicationPolicy(
            f"{name}-replication",
            namespace=where.namespace,
            bucket=where.bucket,
            destination_region_name=region,
            destination_bucket_name=destination,
            name=f"{name}-to-{region}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return self.replication_policy

    def _generations(
        self, name: str, spec: VaultBackupInputs, common: Mapping[str, Any], last: pulumi.Resource | None
    ) -> pulumi.Output[list[dict[str, Any]]] | None:
        """The trigger directories under the prefix (bucket and created-PAR destinations: the stack's bucket)."""
        where = spec.destination.bucket or spec.destination.par
        if where is None:
            return None  # a PAR URL made elsewhere: the stack can only write its one object
        generations = keep_generations(
            f"{name}-generations",
            "oci_objects",
            series_of("oci-vault-backup", spec.name),
            [spec.generation_prefix()],
            spec,
            {
                "oci": common["connection"],
                "objects": {"namespace": where.namespace, "bucket": where.bucket, "prefix": spec.object_prefix},
            },
            common["timeouts"],
            pulumi.ResourceOptions(parent=self, depends_on=[last] if last is not None else None),
        )
        return generations.generations

    def _destination(
        self,
        name: str,
        spec: VaultBackupInputs,
        suffix: str,
        subject: str,
        object_name: pulumi.Input[str],
        expiry: ExpiryTime | None,
    ) -> dict[str, Any]:
        where = spec.destination
        # Beside each backup object the provider writes its metadata (`<object>.json`: compartments and keys), where
        # the stack's bucket is known; a PAR URL made elsewhere writes one object only.
        metadata_object = pulumi.Output.from_input(object_name).apply(metadata_name)
        if where.bucket is not None:
            location = {"namespace": where.bucket.namespace, "bucket": where.bucket.bucket, "object_name": object_name}
            self.objects[subject] = location
            return {"location": location, "metadata": {**location, "object_name": metadata_object}}
        if where.par is not None and expiry is not None:
            par = oci.objectstorage.Preauthrequest(
                f"{name}-{suffix}-par",
                access_type="ObjectWrite",
                namespace=where.par.namespace,
                bucket=where.par.bucket,
                object_name=object_name,
                name=f"{name}-{suffix}-{spec.trigger}",
                time_expires=expiry.expires_at,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["access_uri", "full_path"]),
            )
            self.objects[subject] = {
                "namespace": where.par.namespace,
                "bucket": where.par.bucket,
                "object_name": object_name,
            }
            uri: pulumi.Output[str] = pulumi.Output.secret(par.full_path)
            self.par_uris[subject] = uri
            return {"par_uri": uri, "metadata": {**self.objects[subject], "object_name": metadata_object}}
        given = where.par_uri.uri if where.par_uri is not None else None
        assert given is not None  # checked in __init__
        uri = pulumi.Output.secret(given)
        self.par_uris[subject] = uri
        return {"par_uri": uri}

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping (what it registers and what the program exports)."""
        return {
            "vault_id": self.vault_id,
            "backed_up_key_ids": self.backed_up_key_ids,
            "keys_in_backup": self.keys_in_backup,
            "keys_left_out": self.keys_left_out,
            "compartments": self.compartments,
            "objects": self.objects,
            "par_uris": self.par_uris,
            "time_backed_up": self.time_backed_up,
            "connection": self.connection,
            "vault_object": self.vault_object,
            "generations": self.generations,
            "replica": self.replica,
        }


def _confirmed_keys(in_vault_backup: Sequence[Mapping[str, Any]] | None, key_ids: Sequence[str | None]) -> list[str]:
    """Each key a backup holds, once: the keys backed up one by one (their create succeeded), then those the vault
    backup holds. None (not known yet, e.g. under mocks) counts for nothing."""
    found = [k for k in key_ids if k] + [str(k["id"]) for k in in_vault_backup or [] if k.get("id")]
    return list(dict.fromkeys(found))


def _compartments(vault: str | None, keys: Sequence[Sequence[str | None]]) -> dict[str, Any]:
    """`vault` -> its compartment, and each key backed up one by one -> its compartment, as the backups recorded."""
    found: dict[str, Any] = {"vault": vault} if vault else {}
    found.update({key: where for key, where in keys if key and where})
    return found


def _in_vault(owner: str, index: int, vault_id: pulumi.Input[str], key: pulumi.Input[str]) -> pulumi.Input[str]:
    """The key, checked (when both are known) to be in its vault's region: keys live in their vault."""
    if isinstance(vault_id, str) and isinstance(key, str):
        return key  # both literal: the model checked it
    return pulumi.Output.all(vault_id, key).apply(lambda pair: _same_region(owner, index, pair[0], pair[1]))


def _same_region(owner: str, index: int, vault_id: str, key: str) -> str:
    vault, parsed = parse_ocid(vault_id), parse_ocid(key)
    if vault and parsed and parsed.region_segment != vault.region_segment:
        raise args_problem(owner, f"keys[{index}]", "key is in another region than the vault; keys live in their vault")
    return key


class BackupObjectArgs(TypedDict, total=False):
    """Where a backup is restored from: exactly one of the object (namespace, bucket, object_name), par_uri or file."""

    namespace: pulumi.Input[str]
    """Object Storage namespace."""
    bucket: pulumi.Input[str]
    """Bucket holding the backup."""
    object_name: pulumi.Input[str]
    """Backup object name (as VaultBackup wrote it: `<prefix><trigger>/vault` or `/key-<end of key OCID>`)."""
    par_uri: GivenParArgs
    """A pre-authenticated request URL of the object that OCI may read: `{"uri": <secret>}`."""
    file: str
    """A backup file on this machine (downloaded from its bucket); its content is kept as a secret."""


class VaultToRestoreArgs(TypedDict):
    """The vault to restore."""

    display_name: str
    """Display name of the restored vault."""
    source: BackupObjectArgs
    """Its backup object."""


class KeyToRestoreArgs(TypedDict, total=False):
    """A key to restore into the restored (or an existing) vault."""

    name: Required[str]
    """Name unique in the restore (resource name `<restore>-<name>`)."""
    display_name: Required[str]
    """Display name of the restored key."""
    source: Required[BackupObjectArgs]
    """Its backup object."""
    compartment_id: pulumi.Input[str]
    """The key's original compartment; default the restore's."""
    key_shape: Mapping[str, Any]
    """`{algorithm, length, curve_id}` as the key was created; default AES, 32 bytes."""


class VaultRestoreArgs(TypedDict, total=False):
    """Args of VaultRestore: an entry of the topology's `oci.vault_restores`."""

    compartment_id: pulumi.Input[str]
    """The compartment the vault was backed up from (OCI restores only there); default the one the metadata beside
    the backup (`<object>.json`, or `<file>.json` beside a file) recorded."""
    region: str
    """Region whose Object Storage holds the backup objects (to read their metadata when compartments are not
    given)."""
    auth: Literal["api_key", "instance_principal", "resource_principal", "security_token"]
    """How the metadata is read (default api_key)."""
    profile: str
    """Profile of the OCI config file."""
    objectstorage_endpoint: str
    """Object Storage endpoint of `region`; default its public one."""
    name: str
    """Name of the restore; default the resource name."""
    vault: VaultToRestoreArgs
    """Restore the vault (before its keys)."""
    keys: Sequence[KeyToRestoreArgs]
    """Keys to restore."""
    management_endpoint: pulumi.Input[str]
    """Management endpoint of an existing vault to restore keys into, when no vault is restored here."""


class VaultRestoreInputs(VaultRestoreSpec):
    """A restore as the component takes it: the topology's entry and where the backups' metadata is read."""

    region: OciRegion | None = Field(None, description="Region of the backup objects.")
    auth: OciAuth | None = Field(None, description="Auth of the metadata reads.")
    profile: str | None = Field(None, description="Profile of the OCI config file.")
    objectstorage_endpoint: HttpsUrl | None = Field(None, description="Object Storage endpoint.")


class VaultRestore(pulumi.ComponentResource):
    """A vault and/or keys restored from backup objects with native `oci.kms` resources (vault before keys).

    Restored resources are retained when removed from the stack: a restore brings keys back, it never deletes them.
    """

    vault_id: pulumi.Output[str] | None
    """OCID of the restored vault (the original OCID when restored in its original region)."""
    management_endpoint: pulumi.Output[str]
    """Management endpoint the keys were restored through."""
    key_ids: dict[str, pulumi.Output[str]]
    """Restored key OCID per key name."""

    def __init__(
        self,
        resource_name: str,
        args: VaultRestoreArgs | VaultRestoreInputs | VaultRestoreSpec | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"VaultRestore '{resource_name}'"
        if isinstance(args, VaultRestoreSpec) and not isinstance(args, VaultRestoreInputs):
            args = args.fields()  # a topology entry without the reading settings
        spec = component_args(VaultRestoreInputs, args, owner, name=resource_name)
        super().__init__(VAULT_RESTORE_TYPE, resource_name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        recorded = _Recorded(self, owner, resource_name, spec)
        vault_compartment: pulumi.Input[str] | None = spec.compartment_id
        if vault_compartment is None and spec.vault is not None:
            vault_compartment = recorded.compartment(
                "vault", "compartment_id", spec.vault.source, "vault_compartment_id"
            )

        vault: oci.kms.Vault | None = None
        if spec.vault is not None:
            source = spec.vault.source
            restore, source_id = _restore_from(
                owner, "vault.source", source, oci.kms.VaultRestoreFromObjectStoreArgs, _vault_file
            )
            trigger = RestoreTrigger(f"{resource_name}-vault-source", source_id, pulumi.ResourceOptions(parent=self))
            vault = oci.kms.Vault(
                f"{resource_name}-vault",
                compartment_id=vault_compartment,
                display_name=spec.vault.display_name,
                vault_type="VIRTUAL_PRIVATE",
                restore_trigger=trigger.flip,
                **restore,
                opts=pulumi.ResourceOptions.merge(keep, _secret_source(source)),
            )
        self.vault_id = vault.id if vault is not None else None
        self.management_endpoint = (
            vault.management_endpoint if vault is not None else pulumi.Output.from_input(spec.management_endpoint or "")
        )
        self.key_ids = {}
        for i, key in enumerate(spec.keys):
            source = key.source
            restore, source_id = _restore_from(
                owner, f"keys[{i}].source", source, oci.kms.KeyRestoreFromObjectStoreArgs, _key_file
            )
            trigger = RestoreTrigger(
                f"{resource_name}-{key.name}-source", source_id, pulumi.ResourceOptions(parent=self)
            )
            compartment: pulumi.Input[str] | None = key.compartment_id or spec.compartment_id
            if compartment is None:
                compartment = recorded.compartment(key.name, f"keys[{i}].compartment_id", source, "compartment_id")
            restored = oci.kms.Key(
                f"{resource_name}-{key.name}",
                compartment_id=compartment,
                display_name=key.display_name,
                key_shape=oci.kms.KeyKeyShapeArgs(
                    algorithm=key.key_shape.algorithm, length=key.key_shape.length, curve_id=key.key_shape.curve_id
                ),
                management_endpoint=self.management_endpoint,
                protection_mode="HSM",
                restore_trigger=trigger.flip,
                **restore,
                opts=pulumi.ResourceOptions.merge(
                    pulumi.ResourceOptions.merge(keep, _secret_source(source)),
                    pulumi.ResourceOptions(depends_on=[vault] if vault is not None else None),
                ),
            )
            self.key_ids[key.name] = restored.id
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {"vault_id": self.vault_id, "management_endpoint": self.management_endpoint, "key_ids": self.key_ids}


class _Recorded:
    """The compartments a backup's metadata recorded: read beside a file now, or from the bucket by an
    OciBackupMetadata resource (a restore in a disaster does not depend on the live vault)."""

    def __init__(self, parent: pulumi.Resource, owner: str, name: str, spec: VaultRestoreInputs) -> None:
        self._parent, self._owner, self._name, self._spec = parent, owner, name, spec

    def compartment(self, subject: str, field: str, source: Any, recorded: str) -> pulumi.Input[str]:
        if source.file is not None:
            return self._beside_file(field, source.file, recorded)
        spec = self._spec
        if spec.region is None:
            why = "required: or give region (and objectstorage_endpoint) so the backup's metadata can be read"
            raise args_problem(self._owner, field, why)
        metadata = OciBackupMetadata(
            f"{self._name}-{subject}-metadata",
            {
                "location": {"namespace": source.namespace, "bucket": source.bucket, "object_name": source.object_name},
                "connection": {
                    "region": spec.region,
                    "auth": spec.auth,
                    "profile": spec.profile,
                    "objectstorage_endpoint": spec.objectstorage_endpoint,
                },
            },
            pulumi.ResourceOptions(parent=self._parent),
        )
        return metadata.vault_compartment_id if recorded == "vault_compartment_id" else metadata.compartment_id

    def _beside_file(self, field: str, file: str, recorded: str) -> str:
        path = Path(f"{file}.json")
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            why = f"required: no backup metadata {path} beside the file (download it with the backup, or give it)"
            raise args_problem(self._owner, field, why) from None
        found = document.get(recorded) if isinstance(document, dict) else None
        if not isinstance(found, str) or not found:
            raise args_problem(self._owner, field, f"required: the backup metadata {path} does not record it")
        return found


def _secret_source(source: Any) -> pulumi.ResourceOptions:
    """A PAR URL grants access to the backup, and a backup file is the backup: both stay secret in the state."""
    if source.par_uri is None and source.file is None:
        return pulumi.ResourceOptions()
    return pulumi.ResourceOptions(additional_secret_outputs=["restore_from_object_store", "restore_from_file"])


def _vault_file(content: pulumi.Input[str], length: str, md5: str) -> Any:
    return oci.kms.VaultRestoreFromFileArgs(
        restore_vault_from_file_details=content, content_length=length, content_md5=md5
    )


def _key_file(content: pulumi.Input[str], length: str, md5: str) -> Any:
    return oci.kms.KeyRestoreFromFileArgs(restore_key_from_file_details=content, content_length=length, content_md5=md5)


def _restore_from(
    owner: str,
    path: str,
    source: Any,
    object_store: Callable[..., Any],
    from_file: Callable[[pulumi.Input[str], str, str], Any],
) -> tuple[dict[str, Any], pulumi.Input[str]]:
    """The restore args of a native vault or key (from the object, its PAR URL (secret) or a file (secret)), and
    what identifies that source for its RestoreTrigger: the object's name, the file's SHA-256, the PAR URL's SHA-256
    (never the URL: it grants access)."""
    if source.file is not None:
        try:
            content = Path(source.file).read_bytes()
        except OSError as exc:
            raise args_problem(owner, f"{path}.file", f"cannot be read ({exc.strerror})") from None
        if not content:
            raise args_problem(owner, f"{path}.file", "is empty: not a backup")
        md5 = base64.b64encode(hashlib.md5(content).digest()).decode()  # OCI's Content-MD5
        # the provider decodes base64 before it sends the bytes (a backup is binary, state values are text)
        encoded = pulumi.Output.secret(base64.b64encode(content).decode())
        source_id = f"file:{hashlib.sha256(content).hexdigest()}"
        return {"restore_from_file": from_file(encoded, str(len(content)), md5)}, source_id
    if source.par_uri is not None:
        if source.par_uri.uri is None:
            why = "required: the PAR URL itself (a secret); config keys are the stack's"
            raise args_problem(owner, f"{path}.par_uri.uri", why)
        uri = pulumi.Output.secret(source.par_uri.uri)
        digest = pulumi.Output.unsecret(uri.apply(lambda u: f"par:{par_digest(u)}"))  # a digest grants nothing
        args = {"restore_from_object_store": object_store(destination="PRE_AUTHENTICATED_REQUEST_URI", uri=uri)}
        return args, digest
    named = pulumi.Output.all(source.namespace, source.bucket, source.object_name).apply(
        lambda parts: f"object:{parts[0]}/{parts[1]}/{parts[2]}"
    )
    args = {
        "restore_from_object_store": object_store(
            destination="BUCKET", namespace=source.namespace, bucket=source.bucket, object=source.object_name
        )
    }
    return args, named
