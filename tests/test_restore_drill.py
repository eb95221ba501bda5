"""RestoreDrill in the topology and under mocks: what it restores, and the mistakes it names."""

from __future__ import annotations

import copy
from typing import Any

from components.config import load_topology
from components.tooling.coverage import coverage
from tests.conftest import run_program, topology_problems

SHA = "a" * 64


def topology(**drill: Any) -> dict[str, Any]:
    return {
        "openstack": {
            "snapshot_backups": [{"name": "db", "volume_id": "vol-1", "trigger": "t1"}],
        },
        "restore_drills": [{"name": "db-drill", "openstack": {"snapshot_backup": "db"}, "trigger": "d1", **drill}],
    }


def test_a_drill_restores_the_current_backup_after_it_is_made() -> None:
    sim = run_program(topology(expect={"sha256": SHA, "length_bytes": 4096}))
    [backup] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderBackup")
    [drill] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderRestoreDrill")
    assert drill.inputs["restore_point"] == "backup"
    assert drill.inputs["restore_point_id"] == backup.inputs["backup_id"]
    assert drill.inputs["expect"] == {"sha256": SHA, "length_bytes": 4096}
    assert drill.inputs["name"] == "db-drill-d1"
    assert "restore_drills" in sim.exports


def test_a_snapshot_drill_restores_the_current_snapshot() -> None:
    raw = topology()
    raw["restore_drills"][0]["openstack"]["restore_point"] = "snapshot"
    sim = run_program(raw)
    [snapshot] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderSnapshot")
    [drill] = sim.of_type("pulumi-python:dynamic/backup-topology:CinderRestoreDrill")
    assert drill.inputs["restore_point_id"] == snapshot.inputs["snapshot_id"]


def test_a_drill_of_an_unknown_entry_and_a_duplicate_name_are_named() -> None:
    raw = topology()
    raw["restore_drills"].append(copy.deepcopy(raw["restore_drills"][0]))
    raw["restore_drills"][1]["openstack"]["snapshot_backup"] = "web"
    assert topology_problems(raw) == [
        "restore_drills[1].name: 'db-drill' is already the name of restore_drills[0]",
        "restore_drills[1].openstack.snapshot_backup: no entry 'web' in openstack.snapshot_backups (known: db)",
    ]


def test_an_expected_digest_must_be_a_sha256() -> None:
    [problem] = topology_problems(topology(expect={"sha256": "ABC"}))
    assert problem.startswith("restore_drills[0].expect.sha256: ")


def test_a_drill_names_its_restore_point() -> None:
    raw = topology()
    del raw["restore_drills"][0]["openstack"]
    assert topology_problems(raw) == [
        "restore_drills[0].openstack: give the restore point to drill: exactly one of openstack, ibm, oci, "
        "oci_volume_group, oci_vault"
    ]


def ibm_topology(**ibm: Any) -> dict[str, Any]:
    return {
        "ibm": {"region": "us-south", "snapshots": [{"name": "orders-db", "volume_id": "vol-1", "trigger": "t1"}]},
        "restore_drills": [
            {"name": "orders-drill", "ibm": {"snapshot": "orders-db", "zone": "us-south-2", **ibm}, "trigger": "d1"}
        ],
    }


def test_an_ibm_drill_restores_the_current_snapshot_in_its_zone() -> None:
    sim = run_program(ibm_topology())
    [snapshot] = sim.of_type("pulumi-python:dynamic/backup-topology:IbmSnapshot")
    [drill] = sim.of_type("pulumi-python:dynamic/backup-topology:IbmRestoreDrill")
    assert drill.inputs["restore_point_id"] == snapshot.inputs["snapshot_id"]
    assert (drill.inputs["zone"], drill.inputs["profile"]) == ("us-south-2", "general-purpose")
    assert drill.inputs["connection"]["region"] == "us-south"


def test_an_ibm_drill_names_a_wrong_zone_or_snapshot_and_takes_no_expect() -> None:
    raw = ibm_topology(zone="eu-de-1", snapshot="other")
    assert topology_problems(raw) == [
        "restore_drills[0].ibm.snapshot: no entry 'other' in ibm.snapshots (known: orders-db)",
        "restore_drills[0].ibm.zone: 'eu-de-1' is not a zone of us-south (us-south-1, ...)",
    ]
    raw = ibm_topology()
    raw["restore_drills"][0]["expect"] = {"sha256": SHA}
    [problem] = topology_problems(raw)
    assert problem.startswith("restore_drills[0].expect: only a Cinder drill reads the restored data")


def test_placement_is_for_a_volume_made_from_a_snapshot() -> None:
    raw = topology()
    raw["restore_drills"][0]["openstack"]["availability_zone"] = "az2"
    assert topology_problems(raw) == [
        "restore_drills[0].openstack.availability_zone: only for restore_point: snapshot (a backup is restored "
        "where Cinder's backup service places it)"
    ]
    raw["restore_drills"][0]["openstack"]["restore_point"] = "snapshot"
    assert topology_problems(raw) == []


# --- OCI: a boot volume from a boot volume backup, and a vault backup restored elsewhere -------------------

OCI_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaplancompartment"
DRILL_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaadrillcompartment"
BOOT_VOLUME = "ocid1.bootvolume.oc1.iad.abuwcljrdrillsourcevolume"
OCI_VAULT = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljspaymentsvaultexample"


def oci_topology(drill: dict[str, Any]) -> dict[str, Any]:
    return {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [
                {
                    "name": "web",
                    "compartment_id": OCI_COMPARTMENT,
                    "oracle_policy": "silver",
                    "boot_volumes": [BOOT_VOLUME],
                    "manual_backups": [{"name": "pre-upgrade", "boot_volume_id": BOOT_VOLUME, "trigger": "t1"}],
                }
            ],
            "vault_backups": [
                {
                    "name": "payments",
                    "vault_id": OCI_VAULT,
                    "destination": {"bucket": {"namespace": "acme", "bucket": "vault-backups"}},
                    "trigger": "t1",
                }
            ],
        },
        "restore_drills": [{"name": "oci-drill", "trigger": "d1", **drill}],
    }


def test_an_oci_drill_restores_the_manual_backup_as_a_boot_volume_in_the_drill_compartment() -> None:
    drill = {"plan": "web", "manual_backup": "pre-upgrade", "availability_domain": "Uocm:US-ASHBURN-AD-1"}
    sim = run_program(oci_topology({"oci": {**drill, "compartment_id": DRILL_COMPARTMENT}}))
    [backup] = sim.of_type("oci:Core/bootVolumeBackup:BootVolumeBackup")
    [volume] = sim.of_type("oci:Core/bootVolume:BootVolume")
    assert volume.inputs["sourceDetails"] == {"type": "bootVolumeBackup", "id": backup.id}
    assert volume.inputs["compartmentId"] == DRILL_COMPARTMENT
    assert volume.inputs["availabilityDomain"] == "Uocm:US-ASHBURN-AD-1"
    assert volume.inputs["displayName"] == "oci-drill-d1"
    assert backup.urn in volume.dependencies or any(backup.urn.startswith(d) for d in volume.dependencies)
    record = sim.exports["restore_drills"]["oci-drill"]
    assert record["restore_point_id"] == backup.id
    assert record["checks_passed"] is True
    assert [c["name"] for c in record["checks"]] == ["available", "source"]
    assert record["scratch_volume_id"] == volume.id
    # without a drill compartment, the plan's
    sim = run_program(oci_topology({"oci": drill}))
    assert sim.of_type("oci:Core/bootVolume:BootVolume")[0].inputs["compartmentId"] == OCI_COMPARTMENT


def test_an_oci_drill_names_an_unknown_plan_or_manual_backup() -> None:
    drill = {"plan": "web", "manual_backup": "weekly", "availability_domain": "AD-1"}
    assert topology_problems(oci_topology({"oci": drill})) == [
        "restore_drills[0].oci.manual_backup: no manual backup 'weekly' in plan 'web' (known: pre-upgrade)"
    ]
    drill = {"backup_id": "ocid1.bootvolumebackup.oc1.iad.abuwcljrsomebackup", "availability_domain": "AD-1"}
    assert topology_problems(oci_topology({"oci": drill})) == [
        "restore_drills[0].oci.compartment_id: required with backup_id (there is no plan to take it from)"
    ]


def test_a_vault_drill_restores_the_current_vault_object_into_another_region() -> None:
    drill = {"vault_backup": "payments", "region": "us-phoenix-1", "expect_keys": 2}
    sim = run_program(oci_topology({"oci_vault": drill}))
    [backup] = sim.of_type("pulumi-python:dynamic/backup-topology:OciVaultBackup")
    [restore] = sim.of_type("pulumi-python:dynamic/backup-topology:OciVaultRestoreDrill")
    assert restore.inputs["location"] == backup.inputs["location"]
    assert restore.inputs["region"] == "us-phoenix-1"
    assert restore.inputs["vault_id"] == OCI_VAULT
    assert restore.inputs["connection"]["region"] == "us-ashburn-1"
    assert restore.inputs["expect_keys"] == 2
    assert restore.inputs.get("replica") is not True  # the bucket is not replicated: the vault region's object
    [row] = [r for r in coverage(load_topology(oci_topology({"oci_vault": drill}))) if r.asset_kind == "vault"]
    assert row.drills == [
        "oci-drill (vault backup into us-phoenix-1 from the vault region's bucket: proves no region loss, trigger d1)"
    ]


def test_a_vault_drill_in_the_region_of_the_buckets_replica_restores_from_the_replica() -> None:
    raw = oci_topology({"oci_vault": {"vault_backup": "payments", "region": "us-phoenix-1"}})
    destination = raw["oci"]["vault_backups"][0]["destination"]
    destination["replicate_to"] = {"region": "us-phoenix-1", "bucket": "vault-backups-phx"}
    sim = run_program(raw)
    [restore] = sim.of_type("pulumi-python:dynamic/backup-topology:OciVaultRestoreDrill")
    assert restore.inputs["replica"] is True
    assert restore.inputs["location"] == {
        "namespace": "acme",
        "bucket": "vault-backups-phx",
        "object_name": "payments/t1/vault",
    }
    [row] = [r for r in coverage(load_topology(raw)) if r.asset_kind == "vault"]
    assert row.drills == ["oci-drill (vault backup into us-phoenix-1 from the replica there, trigger d1)"]
    assert row.cross_region == "us-phoenix-1"
    # a drill in a third region restores from the vault region's bucket, and says so
    raw["restore_drills"][0]["oci_vault"]["region"] = "us-sanjose-1"
    [restore] = run_program(raw).of_type("pulumi-python:dynamic/backup-topology:OciVaultRestoreDrill")
    assert restore.inputs.get("replica") is not True
    assert restore.inputs["location"]["bucket"] == "vault-backups"


def test_a_vault_drill_in_the_vaults_region_or_of_a_backup_without_its_vault_is_refused() -> None:
    raw = oci_topology({"oci_vault": {"vault_backup": "payments", "region": "us-ashburn-1"}})
    raw["oci"]["vault_backups"][0].update(
        backup_vault=False, keys=["ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey1example"]
    )
    assert topology_problems(raw) == [
        "restore_drills[0].oci_vault.vault_backup: oci.vault_backups 'payments' backs up no vault (backup_vault: "
        "false): there is no vault backup to drill",
        "restore_drills[0].oci_vault.region: us-ashburn-1 is the vault's own region: a restore there goes over the "
        "live vault (same OCID); drill into another region of the realm",
    ]
    raw = oci_topology({"oci_vault": {"vault_backup": "ledger", "region": "us-phoenix-1"}})
    assert topology_problems(raw) == [
        "restore_drills[0].oci_vault.vault_backup: no entry 'ledger' in oci.vault_backups (known: payments)"
    ]


def test_only_a_cinder_drill_takes_expect() -> None:
    drill = {"oci_vault": {"vault_backup": "payments", "region": "us-phoenix-1"}, "expect": {"sha256": SHA}}
    [problem] = topology_problems(oci_topology(drill))
    assert problem.startswith("restore_drills[0].expect: only a Cinder drill reads the restored data")
