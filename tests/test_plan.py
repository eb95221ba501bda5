"""The offline plan as users run it: `python -m components.plan` (its entry point in process, and in a subprocess
where what the interpreter does around it matters), and its pieces."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CONFIG_KEY
from components.tooling.plan import main, read_stack_config
from tests.conftest import COMPARTMENT, ROOT, VOL_A, VOL_B


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m components.plan ARGS` in a subprocess, from the project's directory."""
    return subprocess.run(
        [sys.executable, "-m", "components.plan", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command's entry point in this process, from the project's directory: its exit code and what it printed.

    An exception escaping it fails the test, as a traceback would fail the subprocess's check.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["python", "-m", "components.plan", *args], code, out.getvalue(), err.getvalue())


PROD_POLICY_CONFIG = ROOT / "policies" / "config" / "prod.json"
"""The prod example's policy config: the key that must stay recoverable (its signing key, backed up on its own)."""


DRILL_GAPS = "restore-drill-every-asset-class"


def run_prod(*args: str) -> subprocess.CompletedProcess[str]:
    """The plan of a prod stack with the prod example's policy config."""
    return run_cli(*args, "--policy-config", str(PROD_POLICY_CONFIG))


def write_stack(tmp_path: Path, topology: Any, name: str = "Pulumi.bad.yaml", **extra: Any) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"config": {CONFIG_KEY: topology, **extra}}))
    return path


def test_prod_json_lists_policies_schedules_assignments_and_coverage() -> None:
    done = run_prod("--stack", "prod", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["stack"] == "prod"
    assert doc["findings"] == []

    prod = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]
    plans = prod["oci"]["boot_volume_plans"]
    groups = prod["oci"]["volume_group_plans"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in doc["resources"]:
        by_type.setdefault(resource["type"], []).append(resource)

    policies = {p["name"]: p["inputs"] for p in by_type["oci:Core/volumeBackupPolicy:VolumeBackupPolicy"]}
    assert set(policies) == {f"{p['name']}-policy" for p in [*plans, *groups]}
    for plan in [*plans, *groups]:
        sent = policies[f"{plan['name']}-policy"]
        assert sent["destinationRegion"] == "us-phoenix-1"
        assert [(s["backupType"], s["period"], s["retentionSeconds"]) for s in sent["schedules"]] == [
            (s["backup_type"].upper(), f"ONE_{s['period'].upper()}", s["retention_days"] * 86400)
            for s in plan["policy"]["schedules"]
        ]

    volumes = {v["id"]: v["name"] for p in plans for v in p["boot_volumes"]}
    assignments = by_type["oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"]
    assets = sorted(a["inputs"]["assetId"] for a in assignments)
    # the group has one assignment, its own: its volumes have none
    assert [a["name"] for a in assignments if a["inputs"]["assetId"].startswith("ocid1.volumegroup.")] == [
        "ledger-db-volumes-assignment"
    ]
    assert sorted(a for a in assets if not a.startswith("ocid1.volumegroup.")) == sorted(volumes)
    assert all(a["inputs"]["xrcKmsKeyId"].startswith("ocid1.key.oc1.phx.") for a in assignments)

    rows = {row["asset_id"]: row for row in doc["coverage"] if row["asset_kind"] == "boot volume"}
    assert set(rows) == set(volumes)
    assert rows[plans[1]["boot_volumes"][0]["id"]]["rpo_hours"] == 1
    web = rows[plans[0]["boot_volumes"][0]["id"]]
    assert (web["retention_days"], web["oldest_restore_point_days"]) == (30, 365)  # daily kept 30 d, monthly 365 d
    assert {row["cross_region"] for row in rows.values()} == {"us-phoenix-1"}


def test_prod_json_drills_every_asset_class() -> None:
    done = run_prod("--stack", "prod", "--json")
    doc = json.loads(done.stdout)
    assert [f for f in doc["findings"] if f["policy"] == DRILL_GAPS] == []
    drilled = {row["asset_id"]: row["drills"] for row in doc["coverage"] if row["drills"]}
    assert drilled["ocid1.bootvolume.oc1.iad.abuwcljrprodweb1example"] == [
        "web-golden-drill (boot volume backup in Uocm:US-ASHBURN-AD-1, trigger 2026-11-23)"
    ]
    assert drilled["ocid1.vault.oc1.iad.bbprodpaymentsexample.abuwcljsprodpaymentsvaultexample"] == [
        "payments-vault-drill (vault backup into us-phoenix-1 from the replica there, trigger 2026-11-23)"
    ]


def test_prod_json_says_which_generations_each_on_demand_backup_keeps() -> None:
    done = run_prod("--stack", "prod", "--json")
    rows = {row["asset_name"] or row["asset_id"]: row for row in json.loads(done.stdout)["coverage"]}
    assert rows["orders-db"]["generations"] == "35d"
    assert rows["payments-vault"]["generations"] == "last 30"
    assert rows["orders-db"]["generations_held"] is None  # known after an up, from the output `generations`
    assert rows["web-2"]["generations"] is None  # scheduled backups: OCI's retention, per schedule
    assert rows["web-1"]["generations"] == "golden-image: kept until deleted"  # its manual backup's generations


def test_the_prod_plan_shows_the_ledger_groups_members_backed_up_together_and_its_resources() -> None:
    done = run_prod("--stack", "prod", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    rows = {row["asset_name"] or row["asset_id"]: row for row in doc["coverage"]}
    for member, other in (("ledger-db-data", "ledger-db-logs"), ("ledger-db-logs", "ledger-db-data")):
        row = rows[member]
        assert (row["asset_kind"], row["volume_group"], row["backed_up_with"]) == (
            "block volume",
            "ledger-db-volumes",
            [other],
        )
        assert (row["rpo_hours"], row["retention_days"]) == (24, 30)
        assert row["cross_region"] == "us-phoenix-1"
        assert row["generations"] == "pre-migration: last 5"
        assert row["drills"][0].startswith("ledger-db-group-drill (volume group backup into a new group")
    types = {(r["type"], r["name"]) for r in doc["resources"]}
    assert {
        ("backup-topology:index:VolumeGroupBackupPlan", "ledger-db-volumes"),
        ("oci:Core/volumeGroup:VolumeGroup", "ledger-db-volumes-group"),
        ("oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment", "ledger-db-volumes-assignment"),
        ("oci:Core/volumeGroupBackup:VolumeGroupBackup", "ledger-db-volumes-pre-migration-2026-11-23"),
        ("pulumi-python:dynamic/backup-topology:Generations", "ledger-db-volumes-pre-migration-generations"),
        ("oci:Core/volumeGroupBackup:VolumeGroupBackup", "ledger-db-pre-migration-dr-copy"),
        ("oci:Core/volumeGroup:VolumeGroup", "ledger-db-group-drill-volume-group"),
        ("pulumi-python:dynamic/backup-topology:OciScratchVolumeGroup", "ledger-db-group-drill-scratch"),
    } <= types


def test_an_oracle_defined_policy_on_a_volume_group_stops_the_plan_with_the_reason(tmp_path: Path) -> None:
    group = {
        "name": "ledger",
        "compartment_id": COMPARTMENT,
        "volumes": ["ocid1.volume.oc1.iad.abuwcljrtestblocka"],
        "availability_domain": "AD-1",
        "oracle_policy": "silver",
    }
    path = write_stack(tmp_path, {"oci": {"region": "us-ashburn-1", "volume_group_plans": [group]}})
    done = run_cli("--config", str(path))
    assert done.returncode == 2
    assert "oci.volume_group_plans[0].oracle_policy: OCI does not take Oracle-defined policies for volume groups" in (
        done.stderr
    )


def test_the_dev_plan_shows_the_block_volume_with_its_nightly_generations() -> None:
    done = run_cli("--stack", "dev", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["asset_name"] or row["asset_id"]: row for row in json.loads(done.stdout)["coverage"]}
    cache = rows["build-cache"]
    assert (cache["asset_kind"], cache["protected_by"], cache["generations"]) == (
        "block volume",
        "VolumeBackupPlan dev-data",
        "nightly: last 7",
    )


def test_dev_text_plan_prints_tree_coverage_and_findings() -> None:
    done = run_process("--stack", "dev")  # as a user runs it
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for heading in ("RESOURCES", "COVERAGE", "FINDINGS"):
        assert heading in out
    assert "backup-topology:index:BootVolumeBackupPlan" in out
    assert "pulumi:providers:oci" in out


def test_stack_file_with_mistakes_exits_2_with_one_line_per_mistake(tmp_path: Path) -> None:
    schedule = {"backup_type": "full", "period": "week", "retention_days": 3, "day_of_week": "monday"}
    topology = {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [
                {
                    "name": "one",
                    "compartment_id": VOL_A,  # a boot volume where a compartment belongs
                    "policy": {"schedules": [schedule], "colour": "blue"},
                    "boot_volumes": [VOL_A],
                },
                {"name": "two", "compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [VOL_A]},
            ],
        }
    }
    path = write_stack(tmp_path, topology)
    done = run_cli("--config", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    heading, *problems = done.stderr.strip().splitlines()
    assert heading == f"{path}: invalid topology (4 problems):"
    assert len(problems) == 4, done.stderr
    assert all(line.startswith(f"{path}: oci.boot_volume_plans[") for line in problems)  # each names its file
    text = "\n".join(problems)
    assert "oci.boot_volume_plans[0].compartment_id: is a boot volume OCID; expected a compartment" in text
    assert "oci.boot_volume_plans[0].policy.schedules[0].retention_days: must be at least the period (7 days)" in text
    assert "oci.boot_volume_plans[0].policy.colour: unknown field" in text
    assert "oci.boot_volume_plans[1].boot_volumes[0]: boot volume is already assigned a policy at" in text


def test_a_mistake_found_while_the_program_runs_exits_2_with_its_line_alone() -> None:
    # The lab stack names a secret config key that its file does not hold (it is set with `pulumi config set`).
    # The program stops on it, under the mock runtime: the event loops that runtime made are closed before the
    # interpreter's teardown, where they used to print a traceback.
    for _ in range(2):
        done = run_process("--stack", "lab")
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            "stacks/Pulumi.lab.yaml: oci.vault_backups[1].destination.par_uri.uri_config_key: the stack config has "
            "no key backup-topology:lab-par-uri (set it with `pulumi config set --secret lab-par-uri <url>`)"
        ]


def test_an_unknown_stack_exits_2_naming_the_stacks_that_exist() -> None:
    done = run_cli("--stack", "staging")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "stacks/Pulumi.staging.yaml: stack file not found; stacks that exist: dev, lab, prod"
    ]


def test_the_prod_example_plans_clean_with_its_policy_config_found_by_convention() -> None:
    done = run_cli("--stack", "prod")
    assert done.returncode == 0, done.stdout[-2000:]
    lines = done.stdout.splitlines()
    assert lines[1] == "Policy config: policies/config/prod.json"
    assert lines[-1].startswith("0 mandatory findings")
    assert lines[-1].endswith(": exit 0")


def test_without_a_policy_config_of_its_own_a_stack_runs_the_rules_defaults_and_says_so(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())
    path = tmp_path / "Pulumi.prod-eu.yaml"  # no policies/config/prod-eu.json
    path.write_text(yaml.safe_dump(config))
    done = run_cli("--config", str(path))
    assert "Policy config: none (every rule with its defaults)" in done.stdout
    verdict = re.fullmatch(r"(\d+) mandatory findings?(, \d+ advisory)?: exit (\d)", done.stdout.splitlines()[-1])
    assert verdict is not None
    assert int(verdict[3]) == done.returncode == (1 if int(verdict[1]) else 0)


def test_missing_stack_file_exits_2(tmp_path: Path) -> None:
    done = run_cli("--config", str(tmp_path / "Pulumi.nope.yaml"))
    assert done.returncode == 2
    assert "stack file not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_yaml_exits_2_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text("config:\n  backup-topology:topology: [unclosed\n")
    done = run_cli("--config", str(path))
    assert done.returncode == 2
    assert "not valid YAML at line" in done.stderr
    assert "Traceback" not in done.stderr


def test_stack_without_topology_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.empty.yaml"
    path.write_text("config: {}\n")
    done = run_cli("--config", str(path))
    assert done.returncode == 2
    assert CONFIG_KEY in done.stderr
    assert "Traceback" not in done.stderr


def test_config_path_names_the_stack_after_the_file(tmp_path: Path) -> None:
    topology = {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [
                {"name": "p", "compartment_id": COMPARTMENT, "oracle_policy": "silver", "boot_volumes": [VOL_B]}
            ],
        }
    }
    done = run_cli("--config", str(write_stack(tmp_path, topology, name="Pulumi.staging.yaml")), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["stack"] == "staging"
    [row] = doc["coverage"]
    assert row["policy"] == "oracle-defined: silver"
    assert row["rpo_hours"] == 168


def test_secure_values_are_never_decrypted_or_printed(tmp_path: Path) -> None:
    path = write_stack(
        tmp_path,
        {"oci": {"region": "us-ashburn-1", "boot_volume_plans": []}},
        name="Pulumi.sec.yaml",
        **{"backup-topology:token": {"secure": "v1:AAAAciphertextDoNotPrint"}},
    )
    config, secrets = read_stack_config(path)
    assert config["backup-topology:token"] != {"secure": "v1:AAAAciphertextDoNotPrint"}
    assert secrets == ["backup-topology:token"]
    done = run_cli("--config", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert "ciphertextDoNotPrint" not in done.stdout + done.stderr


def test_stack_and_config_are_mutually_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--stack", "dev", "--config", "x.yaml"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_prod_json_lists_vault_backups_and_their_coverage() -> None:
    done = run_prod("--stack", "prod", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    prod = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]
    [spec] = prod["oci"]["vault_backups"]
    types = [r["type"] for r in doc["resources"]]
    assert types.count("backup-topology:index:VaultBackup") == 1
    assert types.count("pulumi-python:dynamic/backup-topology:OciVaultBackup") == 1
    assert types.count("pulumi-python:dynamic/backup-topology:OciKeyBackup") == len(spec["keys"])
    vault_rows = [row for row in doc["coverage"] if row["asset_kind"] in ("vault", "vault key")]
    assert {row["asset_id"] for row in vault_rows} == {spec["vault_id"], *spec["keys"]}
    for row in vault_rows:
        assert row["protected_by"] == f"VaultBackup {spec['name']}"
        assert row["destination"].startswith("bucket acmeprod/vault-backups/payments/2026-11-23/")


def test_dev_plan_never_prints_a_par_url() -> None:
    done = run_cli("--stack", "dev", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [par] = [r for r in doc["resources"] if r["type"] == "oci:ObjectStorage/preauthrequest:Preauthrequest"]
    assert par["inputs"]["fullPath"] == "[secret]"
    assert par["inputs"]["accessUri"] == "[secret]"
    assert "/p/" not in done.stdout


def test_prod_json_covers_ibm_snapshots_clones_copies_and_clone_cost() -> None:
    done = run_prod("--stack", "prod", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    prod = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]
    [snapshot] = prod["ibm"]["snapshots"]
    [row] = [r for r in doc["coverage"] if r["asset_id"] == snapshot["volume_id"]]
    assert row["cloud"] == "ibm"
    assert row["clone_zones"] == snapshot["clone_zones"]
    assert row["copies"] == ["us-east"]
    assert row["clone_zone_hours_per_month"] == 730 * len(snapshot["clone_zones"])
    assert row["monthly_clone_cost"] == round(
        730 * len(snapshot["clone_zones"]) * prod["ibm"]["clone_zone_hourly_rate"], 2
    )
    types = [r["type"] for r in doc["resources"]]
    assert "pulumi-python:dynamic/backup-topology:IbmSnapshot" in types
    assert "pulumi-python:dynamic/backup-topology:IbmSnapshotCopy" in types
    assert "pulumi-python:dynamic/backup-topology:IbmSnapshotConsistencyGroup" in types
    text = run_cli("--stack", "prod").stdout
    assert "fast-restore clones: 1460 clone-zone-hours a month, about 365.00 USD a month" in text


def test_prod_json_shows_ibm_rows_with_numeric_rpo_and_retention_from_the_backup_policy() -> None:
    done = run_prod("--stack", "prod", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [policy] = _prod()["ibm"]["backup_policies"]
    rows = {row["asset_id"]: row for row in doc["coverage"] if row["cloud"] == "ibm"}
    assert set(rows) == set(policy["covers"])  # every IBM volume of the stack is covered by the policy
    for row in rows.values():
        assert row["protected_by"].startswith(f"IbmBackupPolicy {policy['name']}")
        assert (row["rpo_hours"], row["retention_days"], row["oldest_restore_point_days"]) == (24, 30, 30)
        assert isinstance(row["rpo_hours"], int)
        assert isinstance(row["retention_days"], int)
        assert row["policy_copies"] == ["us-east"]
        assert row["cross_region"] == "us-east"
        assert row["policy_copy_retention"] == {"us-east": {"copies": 5, "hours": 5 * 24}}
    [made] = [r for r in doc["resources"] if r["type"] == "pulumi-python:dynamic/backup-topology:IbmBackupPolicy"]
    assert [p["name"] for p in made["inputs"]["plans"]] == ["daily"]
    text = run_prod("--stack", "prod").stdout
    [orders] = [line for line in text.splitlines() if line.startswith("orders-db ")]
    assert "  24h  30d  " in orders
    assert "  us-east (last 5, 5d)  " in orders  # the daily plan's copies: IBM keeps the latest 5 there


def test_backup_policy_mistakes_exit_2_with_one_line_per_mistake_naming_the_field(tmp_path: Path) -> None:
    prod = _prod()
    [policy] = prod["ibm"]["backup_policies"]
    policy["plans"][0]["cron_spec"] = "*/15 2 * * *"
    policy["plans"][0]["deletion_trigger"] = {"delete_after": 5000}
    policy["plans"][0]["remote_region_policies"] = [{"region": "us-east", "encryption_key_crn": "my-key"}]
    path = write_stack(tmp_path, prod)
    done = run_cli("--config", str(path))
    assert done.returncode == 2
    at = f"{path}: ibm.backup_policies[0].plans[0]"
    assert done.stderr.splitlines() == [
        f"{path}: invalid topology (3 problems):",
        f"{at}.cron_spec: runs 4 times an hour (minute field */15); IBM takes a backup at most once an hour: give "
        "one minute",
        f"{at}.deletion_trigger.delete_after: must be less than or equal to 3650 (got 5000)",
        f"{at}.remote_region_policies[0].encryption_key_crn: must be the CRN of a Key Protect or Hyper Protect "
        "Crypto Services root key (crn:v1:bluemix:public:kms:<region>:a/<account>:<instance>:key:<key id>)",
    ]
    assert "Traceback" not in done.stderr


def _prod() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]


def test_the_prod_example_passes_every_mandatory_rule() -> None:
    done = run_prod("--stack", "prod", "--json")
    assert done.returncode == 0, done.stdout[-2000:]
    mandatory = [f for f in json.loads(done.stdout)["findings"] if f["level"] == "mandatory"]
    assert mandatory == []


def test_the_prod_example_vault_backups_are_copied_by_their_buckets_replication_without_a_waiver() -> None:
    done = run_cli("--stack", "prod", "--json")  # its policy config waives nothing
    assert done.returncode == 0, done.stdout[-2000:]
    doc = json.loads(done.stdout)
    assert [f for f in doc["findings"] if f["policy"] == "prod-cross-region-copy"] == []
    [replication] = [
        r for r in doc["resources"] if r["type"] == "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"
    ]
    assert replication["inputs"]["bucket"] == "vault-backups"
    assert replication["inputs"]["destinationRegionName"] == "us-phoenix-1"
    assert replication["inputs"]["destinationBucketName"] == "vault-backups"
    vault_rows = [row for row in doc["coverage"] if row["asset_kind"] in ("vault", "vault key")]
    assert {row["cross_region"] for row in vault_rows} == {"us-phoenix-1"}
    assert not {row["asset_name"] for row in vault_rows} & set(doc["summary"]["without_cross_region_copy"])


def test_the_summary_line_of_the_text_plan_names_what_the_json_summary_does(tmp_path: Path) -> None:
    prod = _prod()
    del prod["oci"]["vault_backups"][0]["destination"]["replicate_to"]
    path = write_stack(tmp_path, prod, name="Pulumi.prod-unreplicated.yaml")
    text = run_cli("--config", str(path)).stdout
    doc = json.loads(run_cli("--config", str(path), "--json").stdout)
    missing = doc["summary"]["without_cross_region_copy"]
    assert "payments-vault" in missing  # the vault row (its name), and its key's row below
    assert "payments-vault/key-igningkeyexample" in missing
    line = next(x for x in text.splitlines() if "without a copy in another region:" in x)
    assert line.endswith(f"without a copy in another region: {', '.join(missing)}")


def test_a_prod_stack_without_a_dr_copy_exits_1_naming_the_rule(tmp_path: Path) -> None:
    prod = _prod()
    del prod["oci"]["boot_volume_plans"][0]["policy"]["destination_region"]
    del prod["oci"]["boot_volume_plans"][0]["xrc_kms_key_id"]
    done = run_prod("--config", str(write_stack(tmp_path, prod, name="Pulumi.prod.yaml")), "--json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert {f["policy"] for f in findings} == {"prod-cross-region-copy"}
    assert len(findings) == 3  # web-1, web-2, web-3
    assert all(f["level"] == "mandatory" and f["resource"] for f in findings)
    text = run_prod("--config", str(tmp_path / "Pulumi.prod.yaml"))
    assert text.returncode == 1
    assert (
        "[mandatory] prod-cross-region-copy: boot volume ocid1.bootvolume.oc1.iad.abuwcljrprodweb1example"
        in text.stdout
    )


def test_a_prod_stack_with_a_par_valid_for_a_year_exits_1(tmp_path: Path) -> None:
    prod = _prod()
    prod["oci"]["vault_backups"][0]["destination"] = {
        "par": {"namespace": "acmeprod", "bucket": "vault-backups", "expires_in_days": 365},
        "replicate_to": "us-phoenix-1",  # as the example's bucket: only the PAR's lifetime is at fault
    }
    done = run_prod("--config", str(write_stack(tmp_path, prod, name="Pulumi.prod.yaml")), "--json")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert {f["policy"] for f in findings} == {"par-write-only-short-lived"}


@pytest.mark.parametrize("args", [("--stack", "dev", "--json"), ("--stack", "prod", "--json"), ("--stack", "dev")])
def test_two_plans_of_one_stack_are_byte_identical(args: tuple[str, ...]) -> None:
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_the_plan_makes_times_up_from_its_fixed_clock_and_judges_them_against_it(tmp_path: Path) -> None:
    topology = _prod()["oci"]
    topology["vault_backups"][0]["destination"] = {
        "par": {"namespace": "acmeprod", "bucket": "vault-backups", "expires_in_days": 7}
    }
    stack = {"oci": {k: topology[k] for k in ("region", "vault_backups")}}
    done = run_cli("--config", str(write_stack(tmp_path, stack, name="Pulumi.dev.yaml")), "--json")
    doc = json.loads(done.stdout)
    pars = [r for r in doc["resources"] if r["type"] == "oci:ObjectStorage/preauthrequest:Preauthrequest"]
    assert pars
    # 2000-01-01, the plan's clock, + 7 days
    assert {par["inputs"]["timeExpires"] for par in pars} == {"2000-01-08T00:00:00Z"}
    assert [f for f in doc["findings"] if f["policy"] == "par-write-only-short-lived"] == []

    stack["oci"]["vault_backups"][0]["destination"]["par"]["expires_in_days"] = 8
    done = run_cli("--config", str(write_stack(tmp_path, stack, name="Pulumi.dev.yaml")), "--json")
    findings = [f for f in json.loads(done.stdout)["findings"] if f["policy"] == "par-write-only-short-lived"]
    assert len(findings) == len(pars)
    assert all("valid 8 more days; a backup PAR expires within 7" in f["message"] for f in findings)


def test_policy_settings_come_from_a_policy_config_file(tmp_path: Path) -> None:
    settings = tmp_path / "policy.json"
    example = json.loads(PROD_POLICY_CONFIG.read_text())
    settings.write_text(json.dumps({**example, "backup-retention-and-rpo": {"prod_min_retention_days": 3000}}))
    done = run_cli("--stack", "prod", "--json", "--policy-config", str(settings))
    assert done.returncode == 1
    findings = json.loads(done.stdout)["findings"]
    # web-tier, database and the ledger volume group keep their daily backups 30 d, and so does the IBM policy
    assert len(findings) == 4
    for finding in findings:
        assert finding["policy"] == "backup-retention-and-rpo"
        assert "kept at least 3000 d" in finding["message"]
    assert any(f["message"].startswith("IBM backup policy prod-volumes-daily ") for f in findings)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    done = run_cli("--stack", "prod", "--policy-config", str(bad))
    assert done.returncode == 2
    assert "maps each rule's name to an object of settings" in done.stderr


def test_a_rule_made_advisory_in_the_policy_config_does_not_fail_the_plan(tmp_path: Path) -> None:
    settings = tmp_path / "policy.json"
    example = json.loads(PROD_POLICY_CONFIG.read_text())
    retention = {"prod_min_retention_days": 3000, "enforcementLevel": "advisory"}
    settings.write_text(json.dumps({**example, "backup-retention-and-rpo": retention}))
    done = run_cli("--stack", "prod", "--json", "--policy-config", str(settings))
    assert done.returncode == 0
    assert {f["level"] for f in json.loads(done.stdout)["findings"]} == {"advisory"}


def test_the_text_plan_of_the_examples_fits_120_columns_and_wide_shows_every_column() -> None:
    for stack in ("dev", "prod"):
        out = run_cli("--stack", stack).stdout
        coverage = out[out.index("COVERAGE") : out.index("FINDINGS")].splitlines()
        assert max(len(line) for line in coverage) <= 120, stack
        assert max(len(line) for line in out[out.index("FINDINGS") :].splitlines()) <= 120, stack
    narrow = run_cli("--stack", "prod").stdout.splitlines()
    wide = run_cli("--stack", "prod", "--wide").stdout.splitlines()
    [narrow_header] = [line for line in narrow if line.startswith("ASSET ")]
    [wide_header] = [line for line in wide if line.startswith("ASSET ")]
    assert narrow_header.split() == ["ASSET", "CLOUD", "PROTECTED", "BY", "RPO", "RETENTION", "CROSS-REGION", "DRILL"]
    for column in ("POLICY", "OLDEST", "GENERATIONS", "CLONES", "MANUAL", "RTO"):
        assert column in wide_header.split()
    [vault] = [line for line in wide if line.startswith("payments-vault ")]
    assert "VaultBackup payments-vault" in vault  # whole in --wide; the narrow table cuts it
    [narrow_vault] = [line for line in narrow if line.startswith("payments-vault ")]
    assert "vault backup payments-v…" in narrow_vault
    # the copies an orders-db-dr entry keeps in us-east, beside those of the backup policy: in --wide only
    [orders_db] = [line for line in wide if line.startswith("orders-db ")]
    assert "us-east (last 5, 5d; copies: last 5)" in orders_db
    [narrow_orders_db] = [line for line in narrow if line.startswith("orders-db ")]
    assert "copies:" not in narrow_orders_db


def test_the_tree_shows_whole_numbers_as_integers_and_nested_inputs_spelled_out() -> None:
    out = run_cli("--stack", "dev").stdout
    [expiry] = [line for line in out.splitlines() if "ExpiryTime" in line]
    assert " days=1 " in expiry
    [vault] = [line for line in out.splitlines() if ":OciVaultBackup " in line]
    assert "timeouts={update=300, create=1800, delete=300}" in vault
    assert "connection={region=us-ashburn-1}" in vault
    assert not re.search(r"=\d+\.0\b", out)
