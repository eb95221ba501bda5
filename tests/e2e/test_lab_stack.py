"""The lab stack through its whole life with the real Pulumi CLI: the real Cinder, and the IBM VPC and OCI KMS fakes."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import PASSPHRASE, Cli, Run
from tests.fakes.lab import KEYS, PAR_VAULT, POLICY_TAG, VAULT, VOLUMES, LabClouds

PAR_TOKEN = "LabS3cretT0kenDoNotLeak"
PAR = f"https://objectstorage.us-ashburn-1.oraclecloud.com/p/{PAR_TOKEN}/n/lab/b/vault-backups/o/lab/par-vault"
TOPOLOGY = "backup-topology:topology"
VIOLATED = {"prod-cross-region-copy": {"prod_stacks": ["lab"]}}


def start_lab_stack(cli: Cli, lab: LabClouds, cinder: dict[str, str], volume_id: str) -> None:
    cli.env.update({**cinder, **lab.environment()})
    cli("stack", "init", "lab", "--secrets-provider", "passphrase")
    cli("config", "set", "--path", f"{TOPOLOGY}.openstack.snapshot_backups[0].volume_id", volume_id)
    cli("config", "set", "--secret", "lab-par-uri", PAR)


def mutating(lab: LabClouds) -> list[str]:
    """Every request that changed something in the fakes, in order."""
    ibm = [f"{r.method} {r.path}" for r in lab.vpc.mutating()]
    kms = [f"{r.method} {r.path}" for r in lab.kms.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"}]
    return ibm + kms


def cinder_items(conn: Any, volume_id: str) -> tuple[list[Any], list[Any]]:
    bs = conn.block_storage
    return list(bs.snapshots(details=True, volume_id=volume_id)), list(bs.backups(details=True, volume_id=volume_id))


def changed(run: Run) -> dict[str, list[str]]:
    """The resources an update or refresh reported as anything but unchanged, with their operations."""
    return {name: ops for name, ops in run.steps().items() if ops != ["same"]}


def by_name(snapshots: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any]:
    [found] = [s for s in snapshots.values() if s["name"].startswith(prefix) and s["_region"] == "us-south"]
    return found


def test_the_lab_stack_through_its_whole_life(
    cli: Cli, lab: LabClouds, cinder: dict[str, str], conn: Any, volume: Any
) -> None:
    start_lab_stack(cli, lab, cinder, volume.id)

    # preview: everything to create, nothing sent that changes a cloud
    preview = cli("preview", "--json").preview()
    assert preview["changeSummary"] == {"create": preview["changeSummary"]["create"]}
    creates = {s["urn"].rsplit("::", 1)[-1] for s in preview["steps"] if s["op"] == "create"}
    assert {
        "lab-db-snapshot",
        "lab-app-group",
        "lab-volume-snapshot",
        "lab-volume-backup",
        "lab-vault-vault",
        "lab-volumes-daily-policy",
    } <= creates
    assert mutating(lab) == []
    assert cinder_items(conn, volume.id) == ([], [])

    # up: the snapshot with its clones, the group, the copy, the backup policy, the vault and key backups, the
    # Cinder snapshot + backup
    up = cli("up", "--yes", "--skip-preview", "--json")
    assert up.summary() == {"create": len(creates)}
    snapshot = by_name(lab.vpc.snapshots, "lab-db-t1")
    assert {c["zone"]["name"] for c in snapshot["clones"]} == {"us-south-2", "us-south-3"}
    assert {"env:lab", "app:db", "backup:on-demand"} <= set(snapshot["user_tags"])
    [group] = lab.vpc.groups.values()
    members = [lab.vpc.snapshots[s["id"]] for s in group["snapshots"]]
    assert sorted(m["source_volume"]["id"] for m in members) == sorted(VOLUMES[1:])
    assert all("backup:on-demand" in m["user_tags"] for m in members)
    policy = lab.vpc.policy_named("lab-volumes-daily")
    assert policy["match_user_tags"] == [POLICY_TAG]
    [daily] = lab.vpc.plans_of(policy["id"]).values()
    assert (daily["cron_spec"], daily["deletion_trigger"]["delete_after"]) == ("0 3 * * *", 7)
    assert [r["region"]["name"] for r in daily["remote_region_policies"]] == ["us-east"]
    assert [m for m in mutating(lab) if "backup_policies" in m] == ["POST /v1/backup_policies"]
    [copy] = [s for s in lab.vpc.snapshots.values() if s["_region"] == "us-east"]
    assert copy["source_snapshot"]["id"] == snapshot["id"]
    assert sorted((a.kind, a.resource_id) for a in lab.kms.actions) == sorted(
        [("vault", VAULT), ("key", KEYS[0]), ("vault", PAR_VAULT)]
    )
    [cinder_snapshot], [cinder_backup] = cinder_items(conn, volume.id)
    assert (cinder_snapshot.status, cinder_backup.status) == ("available", "available")

    # an unchanged up and a refresh change nothing, and send nothing that changes a cloud
    sent = mutating(lab)
    cli("up", "--yes", "--expect-no-changes")
    cli("refresh", "--yes", "--expect-no-changes")
    assert mutating(lab) == sent

    # out of band: a tag and a clone taken off the snapshot, the policy's plan shortened and its copy dropped, the
    # Cinder backup deleted
    snapshot["user_tags"] = [t for t in snapshot["user_tags"] if t != "app:db"]
    snapshot["clones"] = [c for c in snapshot["clones"] if c["zone"]["name"] != "us-south-3"]
    daily["deletion_trigger"] = {"delete_after": 2}
    daily["remote_region_policies"] = []
    conn.block_storage.delete_backup(cinder_backup)
    conn.block_storage.wait_for_delete(cinder_backup, interval=1, wait=120)
    refresh = cli("refresh", "--yes", "--skip-preview", "--json")
    assert changed(refresh) == {
        "lab-db-snapshot": ["update"],
        "lab-volumes-daily-policy": ["update"],
        "lab-volume-backup": ["delete"],
    }
    # the snapshot still differs from the program until up repairs it: refresh keeps saying so
    drift = cli("refresh", "--yes", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    since = len(lab.vpc.mutating())
    repair = cli("up", "--yes", "--skip-preview", "--json")
    assert changed(repair) == {
        "lab-db-snapshot": ["update"],  # repaired in place: the restore point stays
        "lab-volumes-daily-policy": ["update"],  # the plan patched in place: the policy and its plan stay
        "lab-volume-backup": ["create"],  # made again
        "lab-volume-generations": ["update"],  # which now holds the new backup
    }
    assert by_name(lab.vpc.snapshots, "lab-db-t1")["id"] == snapshot["id"]
    assert {c["zone"]["name"] for c in snapshot["clones"]} == {"us-south-2", "us-south-3"}
    assert "app:db" in snapshot["user_tags"]
    assert [f"{r.method} {r.path}" for r in lab.vpc.mutating()[since:] if "backup_policies" in r.path] == [
        f"PATCH /v1/backup_policies/{policy['id']}/plans/{daily['id']}"
    ]
    assert daily["deletion_trigger"]["delete_after"] == 7
    assert [r["region"]["name"] for r in daily["remote_region_policies"]] == ["us-east"]
    [_], [again] = cinder_items(conn, volume.id)
    assert again.status == "available"
    assert again.id != cinder_backup.id
    cli("up", "--yes", "--expect-no-changes")

    # the policy pack: passes with its defaults, fails naming the rule with a config the lab violates
    cli("preview", "--policy-pack", "policies")
    (cli.project / "violated.json").write_text(json.dumps(VIOLATED))
    judged = cli("preview", "--policy-pack", "policies", "--policy-pack-config", "violated.json", check=False)
    assert judged.returncode != 0
    assert "prod-cross-region-copy" in judged.output
    assert "mandatory" in judged.output

    # the state holds the PAR URL only as ciphertext
    exported = cli("stack", "export").stdout
    assert PAR_TOKEN not in exported
    assert PASSPHRASE not in exported
    assert '"ciphertext"' in exported

    # destroy: nothing left in Cinder or the IBM fake, and of the vault backups only what went through the PAR URL
    destroy = cli("destroy", "--yes", "--skip-preview", "--json")
    assert destroy.summary() == {"delete": up.summary()["create"]}
    assert lab.vpc.snapshots == {}
    assert lab.vpc.groups == {}
    assert (lab.vpc.policies, lab.vpc.plans) == ({}, {})
    assert cinder_items(conn, volume.id) == ([], [])
    assert list(lab.kms.objects) == [("lab", "vault-backups", "lab/par-vault")]


def test_a_config_mistake_stops_preview_with_the_topologys_own_lines(cli: Cli, lab: LabClouds, tmp_path: Any) -> None:
    cli.env.update(lab.environment())
    cli("stack", "init", "lab", "--secrets-provider", "passphrase")
    cli("config", "set", "--path", f"{TOPOLOGY}.ibm.snapshots[0].clone_zones[0]", "eu-de-1")
    cli("config", "set", "--path", f"{TOPOLOGY}.openstack.snapshot_backups[0].trigger", "")
    preview = cli("preview", check=False)
    assert preview.returncode != 0
    assert "ibm.snapshots[0].clone_zones" in preview.output
    assert "openstack.snapshot_backups[0].trigger" in preview.output
    assert "Traceback" not in preview.output
    assert mutating(lab) == []
