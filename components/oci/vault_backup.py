"""VaultBackup and VaultRestore: OCI Vault backups to a bucket or PAR URL, and restores from a bucket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_oci as oci

from components.base import args_problem, component_args
from components.config import VaultBackupSpec, VaultRestoreSpec, resource_key
from components.dynamic.expiry import ExpiryTime
from components.dynamic.oci_vault_backup import OciKeyBackup, OciVaultBackup

VAULT_BACKUP_TYPE = "backup-topology:index:VaultBackup"
VAULT_RESTORE_TYPE = "backup-topology:index:VaultRestore"


@dataclass
class VaultBackupArgs:
    """Args of VaultBackup."""

    spec: VaultBackupSpec | Mapping[str, Any]
    """What to back up and where: the model of one entry of the topology's `oci.vault_backups`."""
    region: str
    """Region of the vault (and of the bucket: OCI writes backups only to buckets of the vault's region)."""
    auth: str | None = None
    """OCI auth for the backup calls: api_key (default), instance_principal, resource_principal, security_token."""
    profile: str | None = None
    """Profile of the OCI config file."""
    kms_endpoint: str | None = None
    """KMS vault endpoint; default the region's public one."""
    objectstorage_endpoint: str | None = None
    """Object Storage endpoint (refresh checks that backup objects exist); default the region's."""
    par_uri: pulumi.Input[str] | None = None
    """The PAR URL when `spec.destination.par_uri` is used; pass it as a Pulumi secret."""


class VaultBackup(pulumi.ComponentResource):
    """Backups of an OCI virtual private vault and of chosen HSM keys, taken again when `trigger` changes."""

    vault_id: str
    """OCID of the backed-up vault."""
    backed_up_key_ids: list[str]
    """OCIDs of the keys backed up one by one (a vault backup with include_keys covers the vault's keys too)."""
    objects: dict[str, dict[str, str]]
    """Backup object per subject (`vault` or a key OCID): namespace, bucket, object_name (bucket and created PAR)."""
    par_uris: dict[str, pulumi.Output[str]]
    """PAR URL per subject, as secrets (created or given PARs)."""
    time_backed_up: dict[str, pulumi.Output[str]]
    """Time each backup finished (RFC 3339), per subject."""

    def __init__(self, resource_name: str, args: VaultBackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        owner = f"VaultBackup '{resource_name}'"
        spec = component_args(VaultBackupSpec, args.spec, owner)
        given = spec.destination.par_uri
        if given is not None and args.par_uri is None:
            raise args_problem(owner, "par_uri", f"required: the PAR URL (secret config key {given.uri_config_key})")
        super().__init__(VAULT_BACKUP_TYPE, resource_name, None, opts)

        connection = {
            "region": args.region,
            "auth": args.auth,
            "profile": args.profile,
            "kms_endpoint": args.kms_endpoint,
            "objectstorage_endpoint": args.objectstorage_endpoint,
        }
        common = {
            "trigger": spec.trigger,
            "connection": connection,
            "timeouts": {"create": spec.timeouts.create, "update": 300, "delete": 300},
        }
        self.vault_id = spec.vault_id
        self.backed_up_key_ids = list(spec.keys)
        self.objects = {}
        self.par_uris = {}
        self.time_backed_up = {}

        subjects: list[tuple[str, str, str]] = []  # (subject, resource suffix, object name)
        if spec.backup_vault:
            subjects.append(("vault", "vault", spec.vault_object()))
        subjects += [(key, f"key-{resource_key(key)}", spec.key_object(key)) for key in spec.keys]

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
        previous: pulumi.Resource | None = None  # OCI runs one backup of a vault or key at a time: chain them
        for subject, suffix, object_name in subjects:
            destination = self._destination(resource_name, spec, args, suffix, subject, object_name, expiry)
            after = pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous is not None else None)
            backup: OciVaultBackup | OciKeyBackup
            if subject == "vault":
                props = {"vault_id": spec.vault_id, "include_keys": spec.include_keys, **common, **destination}
                backup = OciVaultBackup(f"{resource_name}-{suffix}", props, after)
            else:
                props = {"key_id": subject, "vault_id": spec.vault_id, **common, **destination}
                backup = OciKeyBackup(f"{resource_name}-{suffix}", props, after)
            self.time_backed_up[subject] = backup.time_backed_up
            previous = backup
        self.register_outputs(self.outputs())

    def _destination(
        self,
        name: str,
        spec: VaultBackupSpec,
        args: VaultBackupArgs,
        suffix: str,
        subject: str,
        object_name: str,
        expiry: ExpiryTime | None,
    ) -> dict[str, Any]:
        where = spec.destination
        if where.bucket is not None:
            location = {"namespace": where.bucket.namespace, "bucket": where.bucket.bucket, "object_name": object_name}
            self.objects[subject] = location
            return {"location": location}
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
        else:
            assert args.par_uri is not None  # checked in __init__
            uri = pulumi.Output.secret(args.par_uri)
        self.par_uris[subject] = uri
        return {"par_uri": uri}

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping (what it registers and what the program exports)."""
        return {
            "vault_id": self.vault_id,
            "backed_up_key_ids": self.backed_up_key_ids,
            "objects": self.objects,
            "par_uris": self.par_uris,
            "time_backed_up": self.time_backed_up,
        }


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
        args: VaultRestoreSpec | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"VaultRestore '{resource_name}'"
        spec = component_args(VaultRestoreSpec, args, owner)
        super().__init__(VAULT_RESTORE_TYPE, resource_name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)

        vault: oci.kms.Vault | None = None
        if spec.vault is not None:
            source = spec.vault.source
            vault = oci.kms.Vault(
                f"{resource_name}-vault",
                compartment_id=spec.compartment_id,
                display_name=spec.vault.display_name,
                vault_type="VIRTUAL_PRIVATE",
                restore_from_object_store=oci.kms.VaultRestoreFromObjectStoreArgs(
                    destination="BUCKET", namespace=source.namespace, bucket=source.bucket, object=source.object_name
                ),
                opts=keep,
            )
        self.vault_id = vault.id if vault is not None else None
        self.management_endpoint = (
            vault.management_endpoint if vault is not None else pulumi.Output.from_input(spec.management_endpoint or "")
        )
        self.key_ids = {}
        for key in spec.keys:
            source = key.source
            restored = oci.kms.Key(
                f"{resource_name}-{key.name}",
                compartment_id=key.compartment_id or spec.compartment_id,
                display_name=key.display_name,
                key_shape=oci.kms.KeyKeyShapeArgs(
                    algorithm=key.key_shape.algorithm, length=key.key_shape.length, curve_id=key.key_shape.curve_id
                ),
                management_endpoint=self.management_endpoint,
                protection_mode="HSM",
                restore_from_object_store=oci.kms.KeyRestoreFromObjectStoreArgs(
                    destination="BUCKET", namespace=source.namespace, bucket=source.bucket, object=source.object_name
                ),
                opts=pulumi.ResourceOptions.merge(
                    keep, pulumi.ResourceOptions(depends_on=[vault] if vault is not None else None)
                ),
            )
            self.key_ids[key.name] = restored.id
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """The component's outputs as one mapping."""
        return {"vault_id": self.vault_id, "management_endpoint": self.management_endpoint, "key_ids": self.key_ids}
