"""The first `pulumi preview` of the prod example stack, through the provider plugin, against clouds holding its IDs."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from typing import Any

from components.config import CONFIG_KEY
from components.config.loader import PLAN_LISTS
from components.tooling.plan import read_stack_config, stack_file
from tests.conftest import ROOT
from tests.engine.harness import DYNAMIC, Engine
from tests.fakes.ibm_vpc import VpcCloud
from tests.fakes.oci_kms import KmsStub


def main() -> None:
    runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")


def example(stack: str) -> tuple[dict[str, Any], list[str]]:
    config, secrets = read_stack_config(stack_file(stack))
    return copy.deepcopy(config), secrets


def test_the_first_preview_of_the_prod_stack_is_clean(
    cloud: tuple[VpcCloud, dict[str, Any]], stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    state, stubs = cloud
    config, secrets = example("prod")
    topology = config[CONFIG_KEY]
    # The clouds hold what the example names; the stack reaches them through its own endpoint settings.
    topology["ibm"]["endpoints"] = {region: stubs[region].url for region in ("us-south", "us-east")}
    topology["oci"]["kms_endpoint"] = stub.url
    topology["oci"]["objectstorage_endpoint"] = stub.url
    for snapshot in topology["ibm"]["snapshots"]:
        state.add_volume(snapshot["volume_id"], "us-south")
    for group in topology["ibm"]["consistency_groups"]:
        for volume in group["volume_ids"]:
            state.add_volume(volume, "us-south")
    for policy in topology["ibm"]["backup_policies"]:  # the volumes a policy covers carry its tag
        for volume in policy["covers"]:
            state.volumes[volume]["user_tags"] = [policy["match_user_tags"][0]]
    for backup in topology["oci"]["vault_backups"]:
        stub.add_vault(backup["vault_id"])
        for key in backup["keys"]:
            stub.add_key(key, backup["vault_id"])
    stack = engine(stack="prod", config=config)
    stack.secret_keys = secrets
    preview = stack.preview(main)
    assert preview.simulation is not None
    dynamic = [r.name for r in preview.simulation.resources if r.type.startswith(DYNAMIC)]
    assert sorted(dynamic) == sorted(name for _, name in preview.steps)
    assert {step for step, _ in preview.steps} == {"create"}
    made = sorted(r.type.rsplit(":", 1)[-1] for r in preview.simulation.resources if r.type.startswith(DYNAMIC))
    groups = {g["name"]: len(g["volume_ids"]) for g in topology["ibm"]["consistency_groups"]}
    copies = sum(groups.get(c["ibm"].get("consistency_group"), 1) for c in topology["copies"] if "ibm" in c)
    oci = topology["oci"]
    manual = sum(len(p.get("manual_backups", [])) for key in PLAN_LISTS for p in oci.get(key, []))
    assert manual == 2  # web-tier's golden image and the ledger group's pre-migration backup
    assert made == sorted(
        ["OciVaultBackup", "OciKeyBackup", "IbmSnapshot", "IbmSnapshotConsistencyGroup", "IbmRestoreDrill"]
        + ["OciVaultRestoreDrill", "IbmBackupPolicy", "OciScratchVolumeGroup"]
        + ["IbmSnapshotCopy"] * copies
        + ["Generations"] * (3 + copies + manual)  # per snapshot, group, vault backup, copy and OCI manual backup
    )
    assert [r.method for r in state.requests if r.method != "GET"] == []
    assert stub.backup_posts() == []
