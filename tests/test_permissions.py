"""`python -m components.plan --permissions`: the least-privilege permissions of a stack, per cloud."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from components.config import load_topology
from components.tooling.mock_runtime import Registered
from components.tooling.permissions import permissions
from components.tooling.plan import main
from policies.rules.base import REPLICATION_POLICY
from tests.conftest import COMPARTMENT, VOL_A
from tests.test_plan import run_cli, write_stack

G = "group <group>"
PROD_WEB = "ocid1.compartment.oc1..aaaaaaaaprodwebexample"
PROD_DB = "ocid1.compartment.oc1..aaaaaaaaproddbexample"
PROD_DRILL = "ocid1.compartment.oc1..aaaaaaaaproddrillexample"
WEB_KEY = "ocid1.key.oc1.phx.bbprodvaultexample.abuwcljsprodwebkeyexample"
DB_KEY = "ocid1.key.oc1.phx.bbprodvaultexample.abuwcljsproddbkeyexample"
VAULT = "ocid1.vault.oc1.iad.bbprodpaymentsexample.abuwcljsprodpaymentsvaultexample"
SIGNING_KEY = "ocid1.key.oc1.iad.bbprodpaymentsexample.abuwcljsprodsigningkeyexample"
GOLDEN = "ocid1.bootvolumebackup.oc1.iad.abuwcljrprodgoldenexample"
RG = "6edefe513d934fdd872e78ee6a8e73ef"

PROD_STATEMENTS = {
    # OCI, for the principal that runs the stack
    f"Allow {G} to manage backup-policies in compartment id {PROD_WEB}",
    f"Allow {G} to manage backup-policy-assignments in compartment <compartment of the boot volumes of plan web-tier>",
    f"Allow {G} to inspect volumes in compartment <compartment of the boot volumes of plan web-tier>",
    f"Allow {G} to use key-delegate in tenancy where target.key.id='{WEB_KEY}'",
    f"Allow {G} to manage boot-volume-backups in compartment id {PROD_WEB} where any "
    "{request.permission='BOOT_VOLUME_BACKUP_CREATE', request.permission='BOOT_VOLUME_BACKUP_INSPECT', "
    "request.permission='BOOT_VOLUME_BACKUP_UPDATE'}",
    f"Allow {G} to use volumes in compartment <compartment of the boot volumes of plan web-tier>",
    f"Allow {G} to manage backup-policies in compartment id {PROD_DB}",
    f"Allow {G} to use tag-namespaces in tenancy where target.tag-namespace.name='Operations'",
    f"Allow {G} to manage backup-policy-assignments in compartment <compartment of the boot volumes of plan database>",
    f"Allow {G} to inspect volumes in compartment <compartment of the boot volumes of plan database>",
    f"Allow {G} to use key-delegate in tenancy where target.key.id='{DB_KEY}'",
    f"Allow {G} to read vaults in tenancy where target.vault.id='{VAULT}'",
    f"Allow {G} to manage vaults in tenancy where all {{target.vault.id='{VAULT}', request.permission='VAULT_BACKUP'}}",
    # the keys the vault backup holds (include_keys), listed in the vault's compartment
    f"Allow {G} to inspect keys in compartment <compartment of {VAULT}>",
    f"Allow {G} to read keys in tenancy where target.key.id='{SIGNING_KEY}'",
    f"Allow {G} to manage keys in tenancy where all {{target.key.id='{SIGNING_KEY}', request.permission='KEY_BACKUP'}}",
    f"Allow {G} to read buckets in tenancy where target.bucket.name='vault-backups'",
    # the backups and their metadata; reads and restores too, which replicating the bucket asks of its creator
    f"Allow {G} to manage objects in tenancy where all {{target.bucket.name='vault-backups', any "
    "{request.permission='OBJECT_CREATE', request.permission='OBJECT_DELETE', request.permission='OBJECT_INSPECT', "
    "request.permission='OBJECT_OVERWRITE', request.permission='OBJECT_READ', request.permission='OBJECT_RESTORE'}}",
    f"Allow {G} to manage buckets in tenancy where all {{target.bucket.name='vault-backups', any "
    "{request.permission='BUCKET_READ', request.permission='BUCKET_UPDATE'}}",
    f"Allow {G} to manage boot-volume-backups in compartment <compartment of {GOLDEN}> where any "
    "{request.permission='BOOT_VOLUME_BACKUP_COPY', request.permission='BOOT_VOLUME_BACKUP_CREATE', "
    "request.permission='BOOT_VOLUME_BACKUP_INSPECT'}",
    f"Allow {G} to inspect volumes in compartment <compartment of {GOLDEN}>",
    # the boot volume drill and the volume group drill share the drill compartment: one statement for both
    f"Allow {G} to manage volumes in compartment id {PROD_DRILL} where any {{request.permission='VOLUME_CREATE', "
    "request.permission='VOLUME_DELETE', request.permission='VOLUME_INSPECT', request.permission='VOLUME_UPDATE', "
    "request.permission='VOLUME_WRITE'}",
    # the ledger database's volume group: the group, its policy assignment, its manual backups (deleted beyond
    # keep_last, with their volume backups), their copy to Phoenix, and the drill restoring one into a new group
    f"Allow {G} to manage volume-groups in compartment id {PROD_DB} where any "
    "{request.permission='VOLUME_GROUP_CREATE', request.permission='VOLUME_GROUP_DELETE', "
    "request.permission='VOLUME_GROUP_INSPECT', request.permission='VOLUME_GROUP_UPDATE'}",
    f"Allow {G} to inspect volumes in compartment <compartment of the volumes of plan ledger-db-volumes>",
    f"Allow {G} to manage backup-policy-assignments in compartment id {PROD_DB}",
    f"Allow {G} to manage volume-group-backups in compartment id {PROD_DB} where any "
    "{request.permission='VOLUME_GROUP_BACKUP_CREATE', request.permission='VOLUME_GROUP_BACKUP_DELETE', "
    "request.permission='VOLUME_GROUP_BACKUP_INSPECT', request.permission='VOLUME_GROUP_BACKUP_UPDATE'}",
    f"Allow {G} to inspect volume-groups in compartment id {PROD_DB}",
    f"Allow {G} to use volumes in compartment <compartment of the volumes of plan ledger-db-volumes>",
    f"Allow {G} to manage volume-backups in compartment id {PROD_DB} where any "
    "{request.permission='VOLUME_BACKUP_COPY', request.permission='VOLUME_BACKUP_CREATE', "
    "request.permission='VOLUME_BACKUP_DELETE', request.permission='VOLUME_BACKUP_INSPECT'}",
    f"Allow {G} to manage boot-volume-backups in compartment id {PROD_DB} where any "
    "{request.permission='BOOT_VOLUME_BACKUP_COPY', request.permission='BOOT_VOLUME_BACKUP_CREATE', "
    "request.permission='BOOT_VOLUME_BACKUP_DELETE', request.permission='BOOT_VOLUME_BACKUP_INSPECT'}",
    f"Allow {G} to inspect volumes in compartment id {PROD_DB}",
    f"Allow {G} to manage volume-groups in compartment id {PROD_DRILL} where any "
    "{request.permission='VOLUME_GROUP_CREATE', request.permission='VOLUME_GROUP_DELETE', "
    "request.permission='VOLUME_GROUP_INSPECT'}",
    f"Allow {G} to inspect volume-group-backups in compartment id {PROD_DB}",
    f"Allow {G} to read volume-backups in compartment id {PROD_DB}",
    f"Allow {G} to read boot-volume-backups in compartment id {PROD_DB}",
    f"Allow {G} to read boot-volume-backups in compartment id {PROD_WEB}",
    f"Allow {G} to manage vaults in compartment <compartment of {VAULT}> where all {{request.region='phx', any "
    "{request.permission='VAULT_DELETE', request.permission='VAULT_READ', request.permission='VAULT_RESTORE'}}",
    f"Allow {G} to inspect keys in compartment <compartment of {VAULT}> where request.region='phx'",
    f"Allow {G} to read objects in tenancy where target.bucket.name='vault-backups'",
    # OCI, for OCI services
    f"Allow service blockstorage to use keys in tenancy where target.key.id='{WEB_KEY}'",
    f"Allow service blockstorage to use keys in tenancy where target.key.id='{DB_KEY}'",
    "Allow service objectstorage-us-ashburn-1 to manage object-family in tenancy where all "
    "{target.bucket.name='vault-backups', any {request.permission='BUCKET_READ', request.permission='BUCKET_UPDATE', "
    "request.permission='OBJECT_CREATE', request.permission='OBJECT_DELETE', request.permission='OBJECT_INSPECT', "
    "request.permission='OBJECT_OVERWRITE', request.permission='OBJECT_READ', request.permission='OBJECT_RESTORE'}}",
    # IBM Cloud access policies
    f"Editor on serviceName=is snapshotId=* resourceGroupId={RG}",
    "Operator on serviceName=is volumeId=r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa",
    f"Editor on serviceName=is snapshotConsistencyGroupId=* resourceGroupId={RG}",
    "Operator on serviceName=is volumeId=r006-26fce2ff-8177-47ce-8182-49d8aed33063",
    "Operator on serviceName=is volumeId=r006-7d3c1a52-7f4f-4bb4-9a22-1f7a0c5e2b11",
    f"Editor on serviceName=is backupPolicyId=* resourceGroupId={RG}",
    f"Editor on serviceName=is volumeId=* resourceGroupId={RG}",
    # IBM Cloud authorizations
    "is backup-policy -> is instance: Operator",
    "is backup-policy -> is volume: Operator",
    "is backup-policy -> is snapshot: Editor",
    "is backup-policy -> is snapshot-consistency-group: Editor",
}


def printed_grants(text: str) -> list[str]:
    """The grant lines of the text output: each unindented line followed by the reasons (`    - ...`) for it."""
    lines = text.splitlines()
    return [
        line
        for line, after in zip(lines, [*lines[1:], ""], strict=True)
        if line and not line.startswith(" ") and after.startswith("    - ")
    ]


def test_the_prod_example_prints_exactly_the_expected_statements() -> None:
    done = run_cli("--stack", "prod", "--permissions")
    assert done.returncode == 0, done.stderr
    grants = printed_grants(done.stdout)
    assert len(grants) == len(set(grants))
    assert set(grants) == PROD_STATEMENTS
    assert "\nNOTES\n<group>: the group that runs the stack" in done.stdout
    assert f"<compartment of {GOLDEN}>: the topology gives its resources' OCIDs only: name the compartment" in (
        done.stdout
    )


def test_every_grant_says_which_components_need_it() -> None:
    done = run_cli("--stack", "prod", "--permissions", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["stack"] == "prod"
    sections = {s["key"]: s for s in doc["permissions"]["sections"]}
    assert list(sections) == ["oci", "oci_services", "ibm", "ibm_authorizations"]
    grants = [g for s in sections.values() for g in s["grants"]]
    assert {g["grant"] for g in grants} == PROD_STATEMENTS
    assert all(g["needed_by"] for g in grants)
    [vault_read] = [
        g for g in grants if g["grant"] == f"Allow {G} to read vaults in tenancy where target.vault.id='{VAULT}'"
    ]
    assert vault_read["needed_by"] == [
        "VaultBackup payments-vault: read its vault's state (GetVault)",
        "RestoreDrill payments-vault-drill: read the backed-up vault",
    ]


def test_the_oci_subject_is_the_one_given(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "prod", "--permissions", "--oci-subject", "dynamic-group deployers"]) == 0
    out = capsys.readouterr().out
    grants = printed_grants(out)
    assert f"Allow dynamic-group deployers to manage backup-policies in compartment id {PROD_WEB}" in grants
    assert not [g for g in grants if "<group>" in g]
    assert "<group>:" not in out
    assert f"Allow service blockstorage to use keys in tenancy where target.key.id='{WEB_KEY}'" in grants


def test_an_invalid_stack_exits_2_without_permissions(tmp_path: Path) -> None:
    path = write_stack(tmp_path, {"oci": {"region": "us-ashburn-9"}})
    done = run_cli("--config", str(path), "--permissions")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "oci.region" in done.stderr


# --- what each entry needs ------------------------------------------------------------------------


def statements(raw: dict[str, Any], resources: list[Registered] | None = None) -> list[str]:
    return permissions(load_topology(copy.deepcopy(raw)), resources or []).statements()


def plan(**extra: Any) -> dict[str, Any]:
    return {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [{"name": "web", "compartment_id": COMPARTMENT, **extra}],
        }
    }


def test_a_manual_backup_deleted_on_removal_may_delete_and_one_kept_may_not() -> None:
    kept = statements(plan(manual_backups=[{"name": "golden", "boot_volume_id": VOL_A}]))
    [backups] = [s for s in kept if "boot-volume-backups" in s]
    assert "BOOT_VOLUME_BACKUP_DELETE" not in backups
    deleted = statements(plan(manual_backups=[{"name": "golden", "boot_volume_id": VOL_A, "delete_on_removal": True}]))
    [backups] = [s for s in deleted if "boot-volume-backups" in s]
    assert "request.permission='BOOT_VOLUME_BACKUP_DELETE'" in backups


def test_retention_of_manual_backups_may_delete_what_it_lists() -> None:
    boot = statements(plan(manual_backups=[{"name": "golden", "boot_volume_id": VOL_A, "retention": {"keep_last": 3}}]))
    [backups] = [s for s in boot if "boot-volume-backups" in s]
    assert "BOOT_VOLUME_BACKUP_DELETE" in backups
    assert "BOOT_VOLUME_BACKUP_INSPECT" in backups  # the listing of its generations
    block = "ocid1.volume.oc1.iad.abuwcljrtestblocka"
    raw = {
        "oci": {
            "region": "us-ashburn-1",
            "volume_plans": [
                {
                    "name": "data",
                    "compartment_id": COMPARTMENT,
                    "manual_backups": [{"name": "n", "volume_id": block, "retention": {"max_age_days": 9}}],
                }
            ],
        }
    }
    found = statements(raw)
    assert (
        f"Allow {G} to manage volume-backups in compartment id {COMPARTMENT} where any "
        "{request.permission='VOLUME_BACKUP_CREATE', request.permission='VOLUME_BACKUP_DELETE', "
        "request.permission='VOLUME_BACKUP_INSPECT', request.permission='VOLUME_BACKUP_UPDATE'}"
    ) in found
    assert f"Allow {G} to use volumes in compartment <compartment of the block volumes of plan data>" in found
    assert not [s for s in found if "boot-volume-backups" in s]


def test_an_existing_volume_group_is_inspected_where_it_is_and_never_made() -> None:
    group = "ocid1.volumegroup.oc1.iad.abuwcljrexistinggroup"
    raw = {
        "oci": {
            "region": "us-ashburn-1",
            "volume_group_plans": [
                {
                    "name": "ledger",
                    "compartment_id": COMPARTMENT,
                    "volume_group_id": group,
                    "policy_id": "ocid1.volumebackuppolicy.oc1.iad.aaaashared",
                }
            ],
        }
    }
    found = statements(raw)
    assert f"Allow {G} to inspect volume-groups in compartment <compartment of {group}>" in found
    assert f"Allow {G} to manage backup-policy-assignments in compartment <compartment of {group}>" in found
    assert not [s for s in found if "manage volume-groups" in s or "volume-group-backups" in s]


def test_a_plan_in_the_tenancy_is_granted_in_tenancy() -> None:
    raw = plan(
        policy={"schedules": [{"backup_type": "full", "period": "day", "retention_days": 7}]}, boot_volumes=[VOL_A]
    )
    raw["oci"]["boot_volume_plans"][0]["compartment_id"] = "ocid1.tenancy.oc1..aaaaaaaatenancyexample"
    assert f"Allow {G} to manage backup-policies in tenancy" in statements(raw)


def test_an_oracle_defined_policy_is_read_in_the_root_compartment() -> None:
    found = statements(plan(oracle_policy="gold", boot_volumes=[VOL_A]))
    assert f"Allow {G} to inspect backup-policies in tenancy" in found
    assert not [s for s in found if "manage backup-policies" in s]


def vault_backup(**destination: Any) -> dict[str, Any]:
    return {
        "oci": {
            "region": "us-ashburn-1",
            "vault_backups": [
                {
                    "name": "payments",
                    "vault_id": VAULT,
                    "backup_vault": True,
                    "trigger": "v1",
                    "destination": destination,
                }
            ],
        }
    }


def test_a_par_destination_may_create_pars_on_its_bucket_only() -> None:
    found = statements(vault_backup(par={"namespace": "acme", "bucket": "vault-backups"}))
    assert (
        f"Allow {G} to manage buckets in tenancy where all {{target.bucket.name='vault-backups', "
        "request.permission='PAR_MANAGE'}"
    ) in found
    [objects] = [s for s in found if "manage objects" in s]
    assert "OBJECT_DELETE" not in objects  # no retention, nothing deleted on removal


def test_a_vault_backup_with_its_keys_may_list_keys_in_the_vaults_compartment_and_each_key_compartment() -> None:
    other = "ocid1.compartment.oc1..aaaaaaaakeysexample"
    raw = vault_backup(bucket={"namespace": "acme", "bucket": "vault-backups"})
    raw["oci"]["vault_backups"][0].update(include_keys=True, key_compartments=[other])
    found = statements(raw)
    assert f"Allow {G} to inspect keys in compartment <compartment of {VAULT}>" in found
    assert f"Allow {G} to inspect keys in compartment id {other}" in found
    raw["oci"]["vault_backups"][0].update(include_keys=False, key_compartments=[])
    assert not [s for s in statements(raw) if "inspect keys" in s]  # vault metadata only: no ListKeys


def test_a_par_url_made_elsewhere_needs_nothing_on_objects() -> None:
    raw = vault_backup(par_uri={"uri_config_key": "vaultParUri"})
    found = statements(raw)
    assert not [s for s in found if "objects" in s or "buckets" in s]
    assert (
        f"Allow {G} to manage vaults in tenancy where all {{target.vault.id='{VAULT}', "
        "request.permission='VAULT_BACKUP'}"
    ) in found


def test_a_replicated_bucket_authorizes_the_object_storage_service_of_its_region() -> None:
    raw = vault_backup(bucket={"namespace": "acme", "bucket": "vault-backups"})
    assert not [s for s in statements(raw) if s.startswith("Allow service objectstorage")]
    replication = Registered(
        urn="urn:pulumi:prod::backup-topology::oci:ObjectStorage/replicationPolicy:ReplicationPolicy::payments-dr",
        type=REPLICATION_POLICY,
        name="payments-dr",
        parent=None,
        custom=True,
        id=None,
        inputs={
            "namespace": "acme",
            "bucket": "vault-backups",
            "destinationRegionName": "us-phoenix-1",
            "destinationBucketName": "vault-backups-phx",
        },
    )
    found = statements(raw, [replication])
    asked = ["BUCKET_READ", "BUCKET_UPDATE", "OBJECT_CREATE", "OBJECT_DELETE", "OBJECT_INSPECT", "OBJECT_OVERWRITE"]
    asked += ["OBJECT_READ", "OBJECT_RESTORE"]
    wanted = "any {" + ", ".join(f"request.permission='{p}'" for p in asked) + "}"
    for bucket in ("vault-backups", "vault-backups-phx"):
        assert (
            f"Allow service objectstorage-us-ashburn-1 to manage object-family in tenancy where all "
            f"{{target.bucket.name='{bucket}', {wanted}}}"
        ) in found
        assert (
            f"Allow {G} to manage buckets in tenancy where all {{target.bucket.name='{bucket}', "
            "any {request.permission='BUCKET_READ', request.permission='BUCKET_UPDATE'}}"
        ) in found


def ibm(**extra: Any) -> dict[str, Any]:
    return {"ibm": {"region": "us-south", **extra}}


def test_ibm_resources_without_a_resource_group_name_the_default_one() -> None:
    raw = ibm(snapshots=[{"name": "db", "volume_id": "r006-a", "trigger": "v1"}])
    found = permissions(load_topology(raw))
    assert "Editor on serviceName=is snapshotId=* resourceGroupId=<the account's default resource group>" in (
        found.statements()
    )
    assert any(note.startswith("<the account's default resource group>:") for note in found.notes)


def test_an_encrypted_ibm_copy_authorizes_block_storage_on_the_key_instance() -> None:
    crn = "crn:v1:bluemix:public:hs-crypto:us-east:a/acct:inst-1234:key:key-5678"
    raw = ibm(snapshots=[{"name": "db", "volume_id": "r006-a", "trigger": "v1", "resource_group_id": "rg-1"}])
    raw["copies"] = [
        {"name": "db-dr", "ibm": {"snapshot": "db", "destination_region": "us-east", "encryption_key_crn": crn}}
    ]
    found = statements(raw)
    assert "server-protect -> hs-crypto serviceInstance=inst-1234: Reader" in found
    assert "Editor on serviceName=is snapshotId=* resourceGroupId=rg-1" in found  # the copy takes its source's group


def test_the_strongest_ibm_role_on_the_same_resources_is_kept() -> None:
    raw = ibm(
        snapshots=[{"name": "db", "volume_id": "r006-a", "trigger": "v1"}],
        backup_policies=[
            {
                "name": "daily",
                "match_user_tags": ["backup:daily"],
                "covers": ["r006-a", "r006-b", "orders-volume"],
                "plans": [{"name": "daily", "cron_spec": "0 2 * * *"}],
            }
        ],
    )
    found = statements(raw)
    assert "Operator on serviceName=is volumeId=r006-a" in found  # snapshotted: Operator holds the tag check's Viewer
    assert "Viewer on serviceName=is volumeId=r006-b" in found
    assert "Viewer on serviceName=is volumeId=*" in found  # a volume named, not by ID: IAM names volumes by ID
    assert not [s for s in found if s.startswith("Viewer on serviceName=is volumeId=r006-a")]


def test_openstack_needs_the_member_role_on_the_project_of_its_cloud() -> None:
    raw = {
        "openstack": {
            "cloud": "prod",
            "snapshot_backups": [{"name": "db", "volume_id": "v-1", "trigger": "v1", "snapshot": {"force": True}}],
        },
        "restore_drills": [{"name": "db-drill", "openstack": {"snapshot_backup": "db"}, "trigger": "v1"}],
    }
    found = permissions(load_topology(raw))
    [section] = found.sections
    assert section.key == "openstack"
    [grant] = section.grants
    assert grant.text == "member on the project of cloud prod"
    assert [w.split(":")[0] for w in grant.needed_by] == ["SnapshotBackup db", "RestoreDrill db-drill"]


def test_a_stack_file_topology_and_the_plan_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = plan(oracle_policy="silver", boot_volumes=[VOL_A])
    path = write_stack(tmp_path, raw, name="Pulumi.dev.yaml")
    assert main(["--config", str(path), "--permissions", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    printed = [g["grant"] for s in doc["permissions"]["sections"] for g in s["grants"]]
    assert printed == statements(raw)
