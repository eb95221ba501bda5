"""The live posture check against the real Cinder lab, and its HTML page rendered by headless Chromium."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CONFIG_KEY
from tests.conftest import COMPARTMENT, ROOT, VOL_A, VOLUME
from tests.fakes.ibm_vpc import VpcCloud, VpcStub
from tests.fakes.oci_block_storage import BlockStorageCloud, BlockStorageStub

pytestmark = pytest.mark.usefixtures("cinder")


def fresh_backup(conn: Any, volume: Any) -> Any:
    """A full backup of the volume, made now and waited for until `available`."""
    bs = conn.block_storage
    backup = bs.create_backup(volume_id=volume.id, name=f"posture-{uuid.uuid4().hex[:8]}")
    return bs.wait_for_status(backup, "available", ["error"], 2, 600)


def cinder_topology(volume: Any) -> dict[str, Any]:
    return {
        "openstack": {
            "region_name": os.environ.get("OS_REGION_NAME", "RegionOne"),
            "snapshot_backups": [{"name": "lab-volume", "volume_id": volume.id, "trigger": "t1"}],
        }
    }


def stack_file(tmp_path: Path, topology: dict[str, Any]) -> Path:
    path = tmp_path / "Pulumi.posture-lab.yaml"
    path.write_text(yaml.safe_dump({"config": {CONFIG_KEY: topology}}))
    return path


def check(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m components.posture check` as a pipeline runs it."""
    return subprocess.run(
        [sys.executable, "-m", "components.posture", "check", "--config", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def iso(moment: datetime.datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def test_a_volume_with_a_fresh_backup_is_within_its_rpo(conn: Any, volume: Any, tmp_path: Path) -> None:
    backup = fresh_backup(conn, volume)
    path = stack_file(tmp_path, cinder_topology(volume))
    done = check(path, "--on-demand-rpo", "24h", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    [asset] = json.loads(done.stdout)["assets"]
    assert (asset["asset_id"], asset["status"], asset["rpo_hours"]) == (volume.id, "ok", 24.0)
    assert asset["newest"]["id"] == backup.id
    assert asset["newest"]["age_hours"] < 1
    assert asset["restore_points"]["held"] == 1


def test_an_rpo_shorter_than_the_backups_age_exits_1_naming_the_volume(conn: Any, volume: Any, tmp_path: Path) -> None:
    fresh_backup(conn, volume)
    path = stack_file(tmp_path, cinder_topology(volume))
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=30)
    done = check(path, "--on-demand-rpo", "24h", "--at", iso(later))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"stale: lab-volume (openstack/RegionOne, {volume.id})" in done.stdout
    assert re.search(r"newest restore point 30h old \(\S+\), RPO 24h", done.stdout)
    assert done.stdout.rstrip().endswith("1 asset: 1 stale: exit 1")


def test_a_backup_in_error_is_no_restore_point(conn: Any, volume: Any, tmp_path: Path) -> None:
    backup = fresh_backup(conn, volume)
    conn.block_storage.reset_backup_status(backup, status="error")  # as Cinder leaves a backup that failed
    path = stack_file(tmp_path, cinder_topology(volume))
    done = check(path, "--on-demand-rpo", "24h")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no restore point (not counted, not restorable: 1 error)" in done.stdout


# --- the HTML page in a browser --------------------------------------------------------------------------


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("headless Chromium must render the posture page in CI: apt-get install chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return found


def test_the_html_page_rendered_by_chromium_shows_every_asset(
    conn: Any,
    volume: Any,
    tmp_path: Path,
    block_storage: tuple[BlockStorageCloud, dict[str, BlockStorageStub]],
    cloud: tuple[VpcCloud, dict[str, VpcStub]],
) -> None:
    oci, oci_stubs = block_storage
    ibm, ibm_stubs = cloud
    oci.add_volume("us-ashburn-1", COMPARTMENT, boot=True, volume_id=VOL_A)
    for days in (10, 9, 8):  # the weekly backups of the silver policy stopped a week ago
        oci.age(oci.create_backup("boot_volume", VOL_A, source_type="SCHEDULED")["id"], days)
    ibm.add_snapshot(VOLUME, age=datetime.timedelta(hours=5))
    fresh_backup(conn, volume)
    topology = {
        **cinder_topology(volume),
        "oci": {
            "region": "us-ashburn-1",
            "blockstorage_endpoint": oci_stubs["us-ashburn-1"].url,
            "boot_volume_plans": [
                {
                    "name": "web",
                    "compartment_id": COMPARTMENT,
                    "oracle_policy": "silver",
                    "boot_volumes": [{"id": VOL_A, "name": "web-1"}],
                }
            ],
        },
        "ibm": {
            "region": "us-south",
            "endpoints": {region: stub.url for region, stub in ibm_stubs.items()},
            "snapshots": [{"name": "db", "volume_id": VOLUME, "trigger": "t1"}],
        },
    }
    page = tmp_path / "posture.html"
    done = check(stack_file(tmp_path, topology), "--on-demand-rpo", "24h", "--html", str(page))
    assert done.returncode == 1, done.stdout + done.stderr  # web-1 is stale
    browser = chromium()
    profile = tmp_path / "profile"
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    rows = re.findall(r"<tr><td><span class=\"badge (\w+)\"[^>]*>\w+</span></td><td><a [^>]*>([^<]+)</a>", dom)
    assert sorted(rows) == sorted([("ok", "lab-volume"), ("ok", "db"), ("stale", "web-1")])
    for name in ("lab-volume", "db", "web-1"):
        assert re.search(rf"<h3><span class=\"badge \w+\"[^>]*>\w+</span> {name}</h3>", dom)
    assert dom.count("<svg") == 3
    shot = tmp_path / "posture.png"
    subprocess.run(
        [*common, "--hide-scrollbars", "--window-size=1100,900", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a page drawn, not a blank one
