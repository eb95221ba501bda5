"""Fixtures of the live posture check: a stack of an OCI boot volume and an IBM volume, both copied to another
region, served by the OCI Block Volume fake and the IBM VPC fake, with restore points of chosen ages."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CONFIG_KEY
from components.posture.__main__ import main
from tests.conftest import COMPARTMENT, PHX_KEY, VOL_A, VOLUME, daily
from tests.fakes.ibm_vpc import VpcCloud, VpcStub
from tests.fakes.oci_block_storage import BlockStorageCloud, BlockStorageStub

HOUR = datetime.timedelta(hours=1)
POLICY = "posture-daily"
"""The IBM backup policy of the stack (and of the fake)."""


@dataclass
class Run:
    """One run of `python -m components.posture check`."""

    code: int
    out: str
    err: str


@dataclass
class PostureClouds:
    """The fakes behind the stack, its stack file, and a way to run the check on it."""

    oci: BlockStorageCloud
    oci_stubs: dict[str, BlockStorageStub]
    ibm: VpcCloud
    ibm_stubs: dict[str, VpcStub]
    stack_file: Path
    topology: dict[str, Any]
    policy: dict[str, Any]
    check: Callable[..., Run]

    def oci_backup(self, age_hours: float, state: str = "AVAILABLE", *, copy_to: str | None = None) -> str:
        """A scheduled backup of the OCI boot volume taken `age_hours` ago (copied to `copy_to`, if given)."""
        backup = self.oci.create_backup("boot_volume", VOL_A, source_type="SCHEDULED", state=state)
        self.oci.age(backup["id"], age_hours / 24)
        if copy_to is not None:
            copy = self.oci.copy_backup(backup["id"], copy_to)
            self.oci.age(copy["id"], age_hours / 24)
        return str(backup["id"])

    def ibm_snapshot(self, age_hours: float, state: str = "stable", *, copy_to: str | None = None) -> str:
        """A snapshot of the IBM volume the backup policy took `age_hours` ago (copied to `copy_to`, if given)."""
        plan = next(p for p in self.ibm.plans.values() if p["_policy"] == self.policy["id"])
        snapshot = self.ibm.add_snapshot(VOLUME, age=age_hours * HOUR, state=state, plan=plan)
        if copy_to is not None:
            self.ibm.add_snapshot(VOLUME, age=age_hours * HOUR, region=copy_to, copy_of=snapshot["id"])
        return str(snapshot["id"])


def now_text() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def posture(
    block_storage: tuple[BlockStorageCloud, dict[str, BlockStorageStub]],
    cloud: tuple[VpcCloud, dict[str, VpcStub]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> PostureClouds:
    """The stack `posture`: the OCI boot volume web-1 on a daily policy copied to us-phoenix-1, and the IBM volume
    under a daily backup policy copied to us-east; no restore point yet."""
    oci, oci_stubs = block_storage
    ibm, ibm_stubs = cloud
    oci.add_volume("us-ashburn-1", COMPARTMENT, boot=True, volume_id=VOL_A)
    policy = ibm.add_policy(POLICY, "us-south", ["backup:daily"])
    topology = {
        "oci": {
            "region": "us-ashburn-1",
            "blockstorage_endpoint": oci_stubs["us-ashburn-1"].url,
            "copy_blockstorage_endpoints": {"us-phoenix-1": oci_stubs["us-phoenix-1"].url},
            "boot_volume_plans": [
                {
                    "name": "web",
                    "compartment_id": COMPARTMENT,
                    "policy": {"schedules": [daily(hour_of_day=2)], "destination_region": "us-phoenix-1"},
                    "xrc_kms_key_id": PHX_KEY,
                    "boot_volumes": [{"id": VOL_A, "name": "web-1"}],
                }
            ],
        },
        "ibm": {
            "region": "us-south",
            "endpoints": {region: stub.url for region, stub in ibm_stubs.items()},
            "backup_policies": [
                {
                    "name": POLICY,
                    "match_user_tags": ["backup:daily"],
                    "covers": [VOLUME],
                    "plans": [
                        {
                            "name": "daily",
                            "cron_spec": "0 3 * * *",
                            "deletion_trigger": {"delete_after": 7},
                            "remote_region_policies": [{"region": "us-east"}],
                        }
                    ],
                }
            ],
        },
    }
    stack_file = tmp_path / "Pulumi.posture.yaml"
    stack_file.write_text(yaml.safe_dump({"config": {CONFIG_KEY: topology}}))

    def check(*args: str, at: str | None = None) -> Run:
        code = main(["check", "--config", str(stack_file), "--at", at or now_text(), "--timeout", "5", *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return PostureClouds(oci, oci_stubs, ibm, ibm_stubs, stack_file, topology, policy, check)
