"""The live posture check against the OCI Block Volume fake and the IBM VPC fake: restore points of chosen ages
judged against each asset's RPO, what does not restore left uncounted, clouds that cannot be read, bad input, the
JSON and the HTML report, and never a request that changes anything."""

from __future__ import annotations

import datetime
import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CONFIG_KEY
from components.posture.__main__ import main
from tests.conftest import COMPARTMENT, VOL_A, VOLUME, VOLUME2, daily
from tests.posture.conftest import HOUR, PostureClouds, now_text


def healthy(posture: PostureClouds) -> None:
    """Daily restore points of both assets, the newest a few hours old, each copied to the DR region."""
    for age in (50, 26, 2):
        posture.oci_backup(age, copy_to="us-phoenix-1")
    for age in (51, 27, 3):
        posture.ibm_snapshot(age, copy_to="us-east")


def assets(run_out: str) -> dict[str, dict[str, Any]]:
    doc = json.loads(run_out)
    return {a["asset_id"]: a for a in doc["assets"]}


def test_a_healthy_stack_exits_0_with_each_asset_within_its_rpo(posture: PostureClouds) -> None:
    healthy(posture)
    run = posture.check()
    assert run.code == 0, run.out + run.err
    assert re.search(r"^ok\s+web-1\s+oci/us-ashburn-1\s+\S+\s+2h\s.*24h\s+3/7\s+us-phoenix-1 2h", run.out, re.M)
    assert re.search(rf"^ok\s+{VOLUME}\s+ibm/us-south\s+\S+\s+3h\s.*24h\s+3/7\s+us-east 3h", run.out, re.M)
    assert run.out.rstrip().endswith("2 assets: 2 within the RPO: exit 0")
    assert run.err == ""


def test_a_stale_asset_exits_1_naming_it_with_its_age_and_rpo(posture: PostureClouds) -> None:
    healthy(posture)
    posture.ibm.snapshots.clear()
    posture.ibm_snapshot(74, copy_to="us-east")  # the nightly stopped three days ago
    run = posture.check()
    assert run.code == 1, run.out
    assert f"stale: {VOLUME} (ibm/us-south, {VOLUME})" in run.out
    assert re.search(r"newest restore point 3d 2h old \(\S+\), RPO 24h", run.out)
    assert "newest copy in us-east 3d 2h old, RPO 24h" in run.out
    assert re.search(r"^ok\s+web-1", run.out, re.M)  # the other asset is still judged on its own
    assert run.out.rstrip().endswith("2 assets: 1 within the RPO, 1 stale: exit 1")


def test_at_fixes_now_a_fresh_backup_is_stale_two_days_later(posture: PostureClouds) -> None:
    healthy(posture)
    later = (datetime.datetime.now(datetime.UTC) + 2 * 24 * HOUR).replace(microsecond=0)
    run = posture.check(at=later.isoformat())
    assert run.code == 1
    assert f"Posture of stack posture at {later.isoformat().replace('+00:00', 'Z')}" in run.out
    assert "stale: web-1" in run.out
    assert f"stale: {VOLUME}" in run.out


def test_a_failed_or_creating_backup_is_not_a_restore_point(posture: PostureClouds) -> None:
    healthy(posture)
    for backup in list(posture.oci.backups.values()):
        backup["lifecycleState"] = "TERMINATED"  # every restore point of web-1 gone ...
    posture.oci_backup(3, "FAULTY")  # ... but a failed backup and one still being made, both recent
    posture.oci_backup(1, "CREATING")
    posture.ibm_snapshot(1, "failed")
    posture.ibm_snapshot(0.5, "pending")
    run = posture.check("--json")
    assert run.code == 1
    found = assets(run.out)
    web = found[VOL_A]
    assert web["status"] == "missing"
    assert web["newest"] is None
    assert web["restore_points"]["held"] == 0
    assert web["restore_points"]["not_counted"] == {"CREATING": 1, "FAULTY": 1, "TERMINATED": 3}
    assert web["problems"][0] == "no restore point (not counted, not restorable: 1 CREATING, 1 FAULTY, 3 TERMINATED)"
    ibm = found[VOLUME]
    assert ibm["status"] == "ok"  # its stable snapshot of 3 h ago stands; the newer ones do not count
    assert ibm["newest"]["age_hours"] == pytest.approx(3, abs=0.05)
    assert ibm["notes"] == ["not counted, not restorable: 1 failed, 1 pending"]


def test_a_missing_dr_copy_makes_the_asset_stale(posture: PostureClouds) -> None:
    healthy(posture)
    for copy in [b for b in posture.oci.backups.values() if b["_region"] == "us-phoenix-1"]:
        copy["lifecycleState"] = "FAULTY"
    run = posture.check()
    assert run.code == 1
    assert "stale: web-1 (oci/us-ashburn-1" in run.out
    assert "  no copy in us-phoenix-1" in run.out


def test_an_ibm_policy_job_that_failed_is_reported_with_its_reason(posture: PostureClouds) -> None:
    healthy(posture)
    reason = ("snapshot_quota_exceeded", "The snapshot quota of the account is reached")
    posture.ibm.add_job(posture.policy["id"], VOLUME, status="succeeded", age=27 * HOUR)
    posture.ibm.add_job(posture.policy["id"], VOLUME, status="failed", age=2 * HOUR, reasons=[reason])
    run = posture.check("--json")
    ibm = assets(run.out)[VOLUME]
    assert ibm["last_job"]["status"] == "failed"
    assert ibm["last_job"]["reasons"] == [reason[1]]
    assert any("the last backup policy job (plan daily" in n and reason[1] in n for n in ibm["notes"])


def test_the_check_sends_no_request_that_changes_anything(posture: PostureClouds) -> None:
    healthy(posture)
    posture.ibm.add_job(posture.policy["id"], VOLUME, status="succeeded", age=3 * HOUR)
    run = posture.check()
    assert run.code == 0
    assert {r.method for r in posture.oci.requests} == {"GET"}
    assert {r.region for r in posture.oci.requests} == {"us-ashburn-1", "us-phoenix-1"}
    assert posture.ibm.mutating() == []
    read = {r.path for r in posture.ibm.requests}
    assert {"/v1/snapshots", f"/v1/backup_policies/{posture.policy['id']}/jobs"} <= read


# --- clouds that cannot be read --------------------------------------------------------------------------


def test_an_ibm_region_answering_only_5xx_exits_2_naming_the_cloud(posture: PostureClouds) -> None:
    healthy(posture)
    posture.ibm.faults.fail_every = 1  # every request: 429, 503, 429, ... until the deadline
    run = posture.check("--timeout", "1")
    assert run.code == 2
    [line] = run.err.splitlines()
    assert line.startswith(f"cannot read IBM Cloud VPC (us-south): volume named {VOLUME}: gave up at the deadline")
    assert "Traceback" not in run.out + run.err
    assert re.search(r"^ok\s+web-1", run.out, re.M)  # nothing else hidden: OCI is still read and judged
    assert re.search(rf"^unread\s+{VOLUME}", run.out, re.M)
    assert run.out.rstrip().endswith("2 assets: 1 within the RPO, 1 cloud not read: exit 2")


def test_an_oci_region_refusing_connections_exits_2_naming_it(posture: PostureClouds) -> None:
    healthy(posture)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    posture.topology["oci"]["copy_blockstorage_endpoints"]["us-phoenix-1"] = closed
    posture.stack_file.write_text(yaml.safe_dump({"config": {CONFIG_KEY: posture.topology}}))
    run = posture.check("--json", "--timeout", "1")
    assert run.code == 2
    [line] = run.err.splitlines()
    assert line.startswith("cannot read Oracle Cloud (OCI Block Volume) (us-phoenix-1): boot volume backups of")
    assert "connection failed" in line
    doc = json.loads(run.out)
    assert [(u["cloud"], u["region"]) for u in doc["clouds_unread"]] == [("oci", "us-phoenix-1")]
    assert assets(run.out)[VOL_A]["status"] == "unread"


def test_oci_credentials_that_cannot_be_used_exit_2_without_a_secret_or_traceback(
    posture: PostureClouds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy(posture)
    monkeypatch.setenv("OCI_CONFIG_FILE", str(tmp_path / "no-such-config"))
    run = posture.check()
    assert run.code == 2
    [line] = run.err.splitlines()
    assert line.startswith("cannot read Oracle Cloud (OCI Block Volume) (us-ashburn-1): OCI configuration")
    assert "Traceback" not in run.err


# --- drills --------------------------------------------------------------------------------------------


def with_drill(posture: PostureClouds) -> None:
    posture.topology["copies"] = []
    posture.topology["restore_drills"] = []
    posture.topology["oci"]["boot_volume_plans"][0]["manual_backups"] = [
        {"name": "before-upgrade", "boot_volume_id": VOL_A}
    ]
    posture.topology["restore_drills"] = [
        {
            "name": "web-drill",
            "oci": {"plan": "web", "manual_backup": "before-upgrade", "availability_domain": "Uocm:US-ASHBURN-AD-1"},
            "trigger": "t1",
        }
    ]
    posture.stack_file.write_text(yaml.safe_dump({"config": {CONFIG_KEY: posture.topology}}))


def test_a_drill_is_not_read_without_the_state(posture: PostureClouds) -> None:
    healthy(posture)
    with_drill(posture)
    run = posture.check()
    assert run.code == 0
    assert "drill web-drill: not read (its result is in the stack's state: give --state)" in run.out


def test_the_last_drill_and_its_rto_come_from_the_stack_state(posture: PostureClouds, tmp_path: Path) -> None:
    healthy(posture)
    with_drill(posture)
    state = tmp_path / "state.json"
    drill = {
        "urn": "urn:pulumi:posture::backup-topology::backup-topology:index:RestoreDrill::web-drill",
        "type": "backup-topology:index:RestoreDrill",
        "outputs": {"checks_passed": True, "finished_at": "2026-12-01T03:00:05Z", "restore_seconds": 42.5},
    }
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": [drill]}}))
    run = posture.check("--state", str(state))
    assert "drill web-drill: passed 2026-12-01T03:00:05Z, RTO 42.5 s" in run.out
    drill["outputs"] = {"checks_passed": False, "error": "content: sha256 differs", "finished_at": None}
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": [drill]}}))
    run = posture.check("--state", str(state), "--json")
    [record] = assets(run.out)[VOL_A]["drills"]
    assert record == {
        "name": "web-drill",
        "read": True,
        "why_not": None,
        "passed": False,
        "finished_at": None,
        "rto_seconds": None,
        "error": "content: sha256 differs",
    }


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--stack", "nope"], "stack nope: stacks/Pulumi.nope.yaml not found; stacks that exist: dev, lab, prod"),
        (["--config", "missing.yaml"], "missing.yaml: stack file not found"),
        (["--stack", "dev", "--at", "yesterday"], "--at 'yesterday': not an ISO 8601 time like 2026-12-06T04:17:00Z"),
        (["--stack", "dev", "--on-demand-rpo", "1 week"], "--on-demand-rpo '1 week': a positive duration like 90m"),
        (["--stack", "dev", "--state", "nope.json"], "--state nope.json: not found"),
        (["--stack", "dev", "--timeout", "0"], "--timeout 0: must be more than 0 seconds"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(
    args: list[str], line: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    assert main(["check", *args]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(line)
    assert "Traceback" not in err


def test_an_invalid_stack_file_names_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump({"config": {CONFIG_KEY: {"oci": {"region": "us-nowhere-1"}}}}))
    assert main(["check", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.bad.yaml: oci.region: unknown OCI region 'us-nowhere-1'" in err.splitlines()


def test_a_state_that_is_no_stack_export_is_refused(posture: PostureClouds, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"resources": []}))
    run = posture.check("--state", str(state))
    assert run.code == 2
    assert "not a `pulumi stack export` document (no deployment.resources)" in run.err


# --- JSON and HTML -------------------------------------------------------------------------------------


def test_the_json_holds_each_asset_with_its_restore_points_copies_and_verdict(posture: PostureClouds) -> None:
    healthy(posture)
    at = now_text()
    run = posture.check("--json", at=at)
    doc = json.loads(run.out)
    assert list(doc) == ["stack", "at", "on_demand_rpo_hours", "exit_code", "summary", "clouds_unread", "assets"]
    assert (doc["stack"], doc["at"], doc["exit_code"]) == ("posture", at, 0)
    assert doc["summary"] == {"ok": 2, "stale": 0, "missing": 0, "unjudged": 0, "unchecked": 0, "unread": 0}
    web = assets(run.out)[VOL_A]
    assert set(web) == {
        "cloud", "region", "asset_id", "asset_name", "asset_kind", "protected_by", "status", "problems",
        "rpo_hours", "rpo_from", "newest", "restore_points", "dr_copies", "drills", "last_job", "notes",
        "not_read", "points",
    }  # fmt: skip
    assert (web["asset_name"], web["rpo_hours"], web["rpo_from"]) == ("web-1", 24.0, "schedules")
    assert web["restore_points"]["held"] == 3
    assert web["restore_points"]["expected_at_most"] == 7
    [copies] = web["dr_copies"]
    assert copies["region"] == "us-phoenix-1"
    assert copies["held"] == 3
    assert copies["newest"]["age_hours"] == pytest.approx(2, abs=0.05)
    assert sum(1 for p in web["points"] if p["copy"]) == 3


def test_the_html_page_shows_every_asset_self_contained_and_the_same_twice(
    posture: PostureClouds, tmp_path: Path
) -> None:
    healthy(posture)
    posture.ibm_snapshot(0.5, "failed")
    at = now_text()
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    assert posture.check("--html", str(first), at=at).code == 0
    assert posture.check("--html", str(second), at=at).code == 0
    page = first.read_text()
    assert page == second.read_text()
    assert page.startswith("<!DOCTYPE html>")
    sections = page.split('<div class="asset"')[1:]
    for name in ("web-1", VOLUME):
        assert f">{name}</a>" in page  # in the table
        [section] = [s for s in sections if f"</span> {name}</h3>" in s]
        assert "<svg" in section  # and its timeline
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # no external asset
    assert page.count("<svg") == 2
    assert "failed" in page  # the failed snapshot is drawn, as not restorable


def test_the_timeline_marks_the_stretch_without_a_restore_point_within_the_rpo(
    posture: PostureClouds, tmp_path: Path
) -> None:
    for age in (6 * 24 + 3, 5 * 24 + 3, 4 * 24 + 3):  # daily, then the nightly stopped four days ago
        posture.oci_backup(age, copy_to="us-phoenix-1")
    healthy_ibm = (3, 27)
    for age in healthy_ibm:
        posture.ibm_snapshot(age, copy_to="us-east")
    at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    page = tmp_path / "p.html"
    assert posture.check("--html", str(page), at=at.isoformat()).code == 1
    text = page.read_text()
    stopped = at - (4 * 24 + 3) * HOUR + 24 * HOUR  # the last backup plus the RPO
    iso = stopped.isoformat().replace("+00:00", "Z")
    assert f"no restore point within the RPO from {iso} to {at.isoformat().replace('+00:00', 'Z')}" in text


# --- other kinds of assets -----------------------------------------------------------------------------


def write(posture: PostureClouds) -> None:
    posture.stack_file.write_text(yaml.safe_dump({"config": {CONFIG_KEY: posture.topology}}))


def test_an_on_demand_asset_is_unjudged_without_an_rpo_and_judged_with_on_demand_rpo(posture: PostureClouds) -> None:
    healthy(posture)
    posture.topology["ibm"]["snapshots"] = [{"name": "db", "volume_id": VOLUME2, "trigger": "t1"}]
    write(posture)
    posture.ibm.add_snapshot(VOLUME2, age=30 * HOUR)
    run = posture.check("--json")
    assert run.code == 0
    db = assets(run.out)[VOLUME2]
    assert (db["status"], db["rpo_hours"], db["rpo_from"]) == ("unjudged", None, None)
    run = posture.check("--on-demand-rpo", "24h")
    assert run.code == 1
    assert re.search(r"^stale: db \(ibm/us-south, r006-0002-volume\)\n  newest restore point 30h old", run.out, re.M)
    assert posture.check("--on-demand-rpo", "2d").code == 0


def test_an_instance_is_as_fresh_as_its_stalest_volume(posture: PostureClouds) -> None:
    healthy(posture)
    instance = "0717-posture-instance"
    posture.ibm.add_instance(instance, "us-south")
    posture.ibm.add_volume("r006-boot", "us-south", attached_to=instance, attachment_type="boot")
    posture.ibm.add_volume("r006-data", "us-south", attached_to=instance)
    posture.ibm.add_snapshot("r006-boot", age=2 * HOUR)
    posture.ibm.add_snapshot("r006-data", age=2 * HOUR, state="failed")  # the data volume's last run failed
    posture.ibm.add_snapshot("r006-data", age=26 * HOUR)
    posture.topology["ibm"]["backup_policies"].append(
        {
            "name": "instances",
            "match_resource_type": "instance",
            "match_user_tags": ["backup:vsi"],
            "covers": [instance],
            "plans": [{"name": "daily", "cron_spec": "0 4 * * *", "deletion_trigger": {"delete_after": 7}}],
        }
    )
    write(posture)
    run = posture.check("--json")
    assert run.code == 1
    vsi = assets(run.out)[instance]
    assert vsi["status"] == "stale"
    assert vsi["notes"][0] == "restore points of volume r006-data, the stalest of the instance's 2"
    assert vsi["newest"]["age_hours"] == pytest.approx(26, abs=0.05)


def test_an_existing_oci_volume_group_is_read_from_its_group_backups(posture: PostureClouds) -> None:
    healthy(posture)
    member = posture.oci.add_volume("us-ashburn-1", COMPARTMENT)
    group = posture.oci.add_group("us-ashburn-1", COMPARTMENT, [member])
    for age in (3, 1.5):  # days: the nightly group backup stopped a day and a half ago
        posture.oci.age(posture.oci.create_backup("volume_group", group, source_type="SCHEDULED")["id"], age)
    posture.topology["oci"]["volume_group_plans"] = [
        {
            "name": "db-group",
            "compartment_id": COMPARTMENT,
            "volume_group_id": group,
            "policy": {"schedules": [daily(retention_days=14, hour_of_day=1)]},
        }
    ]
    write(posture)
    run = posture.check("--json")
    found = assets(run.out)[group]
    assert found["asset_kind"] == "volume group"
    assert found["status"] == "stale"
    assert found["restore_points"]["held"] == 2
    assert found["problems"][0].startswith("newest restore point 36h old")


def test_a_restore_point_taken_after_at_is_not_counted(posture: PostureClouds) -> None:
    healthy(posture)
    earlier = (datetime.datetime.now(datetime.UTC) - 10 * HOUR).replace(microsecond=0)
    run = posture.check("--json", at=earlier.isoformat())
    web = assets(run.out)[VOL_A]
    assert web["newest"]["age_hours"] == pytest.approx(16, abs=0.05)  # the backup of 26 h ago, as at `earlier`
    assert web["restore_points"]["held"] == 2
    assert web["dr_copies"][0]["held"] == 2
    assert "2 restore points taken after" in web["notes"][0]
