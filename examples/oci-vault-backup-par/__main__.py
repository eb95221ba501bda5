"""A virtual private vault and an HSM key, backed up through a write-only PAR that this program creates."""

import pulumi
import pulumi_oci as oci

from components import VaultBackup

config = pulumi.Config()
compartment_id = config.require("compartmentId")
region = config.get("region") or "us-ashburn-1"
trigger = config.get("backupTrigger") or "2026-11-23"

vault = oci.kms.Vault("payments", compartment_id=compartment_id, display_name="payments", vault_type="VIRTUAL_PRIVATE")
key = oci.kms.Key(
    "signing",
    compartment_id=compartment_id,
    display_name="signing",
    key_shape=oci.kms.KeyKeyShapeArgs(algorithm="AES", length=32),
    management_endpoint=vault.management_endpoint,
    protection_mode="HSM",
)
namespace = oci.objectstorage.get_namespace_output(compartment_id=compartment_id).namespace
bucket = oci.objectstorage.Bucket(
    "vault-backups", compartment_id=compartment_id, namespace=namespace, name="vault-backups"
)

# A PAR writes one object: one for the key's backup, valid a week, write-only.
par = oci.objectstorage.Preauthrequest(
    "signing-key-backup",
    access_type="ObjectWrite",
    namespace=namespace,
    bucket=bucket.name,
    object_name=f"signing/{trigger}/key",
    name=f"signing-key-backup-{trigger}",
    time_expires=config.require("parExpires"),  # e.g. 2026-11-30T00:00:00Z
    opts=pulumi.ResourceOptions(additional_secret_outputs=["access_uri", "full_path"]),
)

backup = VaultBackup(
    "signing",
    {
        "vault_id": vault.id,
        "region": region,
        "backup_vault": False,
        "keys": [key.id],
        "destination": {"par_uri": {"uri": par.full_path}},  # kept a secret by the component
        "trigger": trigger,
    },
)

pulumi.export("key_backed_up_at", backup.time_backed_up)
