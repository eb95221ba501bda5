"""Consistency of backups of volumes in use: declared per entry, recorded by the components, shown in coverage, and
flagged in prod when undeclared."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components.config import CONFIG_KEY, load_topology
from components.tooling.coverage import coverage
from components.tooling.plan import consistency_cell, render_coverage, run_plan
from policies.rules import Res, evaluate
from policies.rules.base import BOOT_VOLUME_PLAN, POLICY_ASSIGNMENT
from tests.conftest import COMPARTMENT, ROOT, VOL_A, run_program, topology_problems

CINDER_VOLUME = "6b3f2a4e-5b1d-4f59-9a7e-1f1c2d3e4f50"
IBM_VOLUME = "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa"
IBM_VOLUME2 = "r006-26fce2ff-8177-47ce-8182-49d8aed33063"
HOOK = "job orders-quiesce: FLUSH TABLES WITH READ LOCK, then sync (runbook ORD-3)"
RULE = "in-use-volume-consistency"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""What the engine sends for a value not known in a preview."""


def topology(**declared: Any) -> dict[str, Any]:
    """One entry of every kind that backs up a volume that may be in use; `declared` is merged into each."""
    raw = _every_kind()
    for entry in _entries(raw):
        entry.update(declared)
    return raw


def _every_kind() -> dict[str, Any]:
    return {
        "oci": {
            "region": "us-ashburn-1",
            "boot_volume_plans": [
                {"name": "web", "compartment_id": COMPARTMENT, "oracle_policy": "gold", "boot_volumes": [VOL_A]},
            ],
        },
        "ibm": {
            "region": "us-south",
            "snapshots": [{"name": "orders-db", "volume_id": IBM_VOLUME, "trigger": "v1"}],
            "consistency_groups": [{"name": "orders-app", "volume_ids": [IBM_VOLUME2, "r006-b"], "trigger": "v1"}],
            "backup_policies": [
                {
                    "name": "daily",
                    "match_user_tags": ["backup:daily"],
                    "covers": [IBM_VOLUME],
                    "plans": [{"name": "daily", "cron_spec": "0 2 * * *"}],
                }
            ],
        },
        "openstack": {
            "snapshot_backups": [
                {"name": "build", "volume_id": CINDER_VOLUME, "snapshot": {"force": True}, "trigger": "v1"}
            ],
        },
    }


def _entries(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *raw["oci"]["boot_volume_plans"],
        *raw["ibm"]["snapshots"],
        *raw["ibm"]["consistency_groups"],
        *raw["ibm"]["backup_policies"],
        *raw["openstack"]["snapshot_backups"],
    ]


ENTRY_PATHS = [
    "oci.boot_volume_plans[0]",
    "ibm.snapshots[0]",
    "ibm.consistency_groups[0]",
    "ibm.backup_policies[0]",
    "openstack.snapshot_backups[0]",
]


# --- the topology ------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "path"), list(enumerate(ENTRY_PATHS)))
def test_application_needs_its_quiesce_hook(index: int, path: str) -> None:
    raw = topology()
    _entries(raw)[index]["consistency"] = "application"
    assert topology_problems(raw) == [
        f"{path}.quiesce_hook: required with consistency: application: the job or command that quiesces the "
        "application before each backup (the stack records it and never runs it)"
    ]


@pytest.mark.parametrize(("index", "path"), list(enumerate(ENTRY_PATHS)))
def test_a_hook_without_application_is_refused(index: int, path: str) -> None:
    raw = topology()
    _entries(raw)[index].update(consistency="crash", quiesce_hook=HOOK)
    assert topology_problems(raw) == [
        f"{path}.quiesce_hook: only with consistency: application (nothing is quiesced for a crash-consistent backup)"
    ]


def test_an_unknown_consistency_names_the_field() -> None:
    raw = topology()
    raw["ibm"]["snapshots"][0]["consistency"] = "filesystem"
    assert topology_problems(raw) == [
        "ibm.snapshots[0].consistency: must be 'crash' or 'application' (got 'filesystem')"
    ]


def test_a_hook_carrying_a_credential_is_refused_it_would_be_in_clear_in_the_state() -> None:
    raw = topology()
    raw["openstack"]["snapshot_backups"][0].update(consistency="application", quiesce_hook="mysql --password=hunter2")
    [problem] = topology_problems(raw)
    assert problem.startswith("openstack.snapshot_backups[0].quiesce_hook: looks like it carries confidential data")
    assert "hunter2" not in problem


def test_declared_consistency_is_valid_on_every_kind_of_entry() -> None:
    assert topology_problems(topology(consistency="application", quiesce_hook=HOOK)) == []
    assert topology_problems(topology(consistency="crash")) == []


# --- the components record it -------------------------------------------------------------------


def test_each_component_exports_what_its_entry_declares() -> None:
    exports = run_program(topology(consistency="application", quiesce_hook=HOOK)).exports
    recorded = [
        exports["oci_boot_volume_plans"]["web"],
        exports["ibm_snapshots"]["orders-db"],
        exports["ibm_consistency_groups"]["orders-app"],
        exports["ibm_backup_policies"]["daily"],
        exports["openstack_snapshot_backups"]["build"],
    ]
    assert [(r["consistency"], r["quiesce_hook"]) for r in recorded] == [("application", HOOK)] * 5


def test_undeclared_is_none_in_the_outputs() -> None:
    exports = run_program(topology()).exports
    assert exports["ibm_snapshots"]["orders-db"]["consistency"] is None
    assert exports["oci_boot_volume_plans"]["web"]["quiesce_hook"] is None


# --- coverage ----------------------------------------------------------------------------------


def rows(raw: dict[str, Any]) -> dict[str, Any]:
    return {row.asset_id: row for row in coverage(load_topology(copy.deepcopy(raw)))}


def test_in_use_volumes_without_a_declaration_are_undeclared_in_coverage() -> None:
    found = rows(topology())
    for volume in (VOL_A, IBM_VOLUME, IBM_VOLUME2, CINDER_VOLUME):
        assert (found[volume].in_use, found[volume].consistency) == (True, None)
        assert consistency_cell(found[volume]) == "undeclared"


def test_a_cinder_volume_without_force_is_not_in_use() -> None:
    raw = topology()
    raw["openstack"]["snapshot_backups"][0]["snapshot"] = {}
    row = rows(raw)[CINDER_VOLUME]
    assert (row.in_use, row.consistency, consistency_cell(row)) == (False, None, "-")


def test_backup_force_alone_means_in_use() -> None:
    raw = topology()
    raw["openstack"]["snapshot_backups"][0].update(snapshot={}, backup={"force": True}, consistency="crash")
    row = rows(raw)[CINDER_VOLUME]
    assert (row.in_use, row.consistency) == (True, "crash")


def test_the_weakest_declaration_of_an_asset_counts_and_each_hook_names_its_protection() -> None:
    raw = topology()
    raw["ibm"]["backup_policies"][0]["consistency"] = "crash"
    raw["ibm"]["snapshots"][0].update(consistency="application", quiesce_hook=HOOK)
    row = rows(raw)[IBM_VOLUME]  # the policy covers the volume the snapshot is of
    assert row.consistency == "crash"
    assert row.quiesce_hooks == [{"protected_by": "SnapshotWithClones orders-db", "hook": HOOK}]
    raw["ibm"]["backup_policies"][0]["consistency"] = "application"
    raw["ibm"]["backup_policies"][0]["quiesce_hook"] = "job volumes-quiesce"
    assert rows(raw)[IBM_VOLUME].consistency == "application"
    del raw["ibm"]["backup_policies"][0]["consistency"], raw["ibm"]["backup_policies"][0]["quiesce_hook"]
    assert rows(raw)[IBM_VOLUME].consistency is None  # one protection undeclared: the asset is undeclared


def test_a_vault_is_not_a_volume_in_use() -> None:
    raw = {
        "oci": {
            "region": "us-ashburn-1",
            "vault_backups": [
                {
                    "name": "payments",
                    "vault_id": "ocid1.vault.oc1.iad.bbprodpaymentsexample.abuwcljsprodpaymentsvaultexample",
                    "destination": {"bucket": {"namespace": "acme", "bucket": "vault-backups"}},
                    "trigger": "v1",
                }
            ],
        }
    }
    [row] = coverage(load_topology(raw))
    assert (row.in_use, consistency_cell(row)) == (False, "-")


def test_the_wide_coverage_table_has_a_consistency_column_and_both_print_the_hooks() -> None:
    raw = topology()
    raw["oci"]["boot_volume_plans"][0].update(consistency="application", quiesce_hook=HOOK)
    narrow = " ".join(" ".join(render_coverage(coverage(load_topology(raw)))).split())  # long lines are wrapped
    assert "the application is quiesced before each backup by" in narrow
    lines = render_coverage(coverage(load_topology(raw)), wide=True)
    column = lines[0].index("CONSISTENCY")  # the table's columns are aligned under their headers
    cells = {line.split()[0]: line[column:].split("  ")[0] for line in lines[1:6]}
    assert cells == {
        VOL_A: "application",
        "orders-db": "undeclared",
        IBM_VOLUME2: "undeclared",
        "r006-b": "undeclared",
        "build": "undeclared",
    }
    text = " ".join(" ".join(lines).split())
    assert f"{VOL_A}: " in text
    assert (
        f"BootVolumeBackupPlan web: the application is quiesced before each backup by {HOOK} (recorded; the stack "
        "never runs it)" in text
    )


def test_the_json_rows_carry_consistency() -> None:
    raw = topology()
    raw["openstack"]["snapshot_backups"][0].update(consistency="application", quiesce_hook=HOOK)
    doc = run_plan({CONFIG_KEY: raw}, stack="dev").to_json()
    [row] = [r for r in doc["coverage"] if r["asset_id"] == CINDER_VOLUME]
    assert (row["in_use"], row["consistency"]) == (True, "application")
    assert row["quiesce_hooks"] == [{"protected_by": "SnapshotBackup build", "hook": HOOK}]


# --- the rule ----------------------------------------------------------------------------------


def consistency_findings(raw: dict[str, Any], stack: str = "prod") -> list[dict[str, Any]]:
    return [f for f in run_plan({CONFIG_KEY: raw}, stack=stack).findings if f["policy"] == RULE]


def test_prod_flags_every_in_use_backup_without_a_declared_consistency() -> None:
    found = consistency_findings(topology())
    assert {f["level"] for f in found} == {"advisory"}
    assert sorted(f["resource"].rsplit("::", 1)[-1] for f in found) == [
        "build",
        "daily",
        "orders-app",
        "orders-db",
        "web",
    ]
    [web] = [f for f in found if f["resource"].endswith("BootVolumeBackupPlan::web")]
    assert web["message"] == (
        "BootVolumeBackupPlan web backs up boot volumes, in use by their running instances: its backups are "
        "crash-consistent at best (what a power cut would leave on disk), and the topology does not say whether that "
        "is enough: declare consistency: crash (crash-consistent restore points are enough) or consistency: "
        "application with the quiesce_hook that quiesces the application before each backup"
    )


@pytest.mark.parametrize("declared", [{"consistency": "crash"}, {"consistency": "application", "quiesce_hook": HOOK}])
def test_a_declared_consistency_satisfies_the_rule(declared: dict[str, Any]) -> None:
    assert consistency_findings(topology(**declared)) == []


def test_a_cinder_backup_without_force_is_not_flagged() -> None:
    raw = topology(consistency="crash")
    entry = raw["openstack"]["snapshot_backups"][0]
    entry.pop("consistency")
    entry["snapshot"] = {}
    assert consistency_findings(raw) == []
    entry["backup"] = {"force": True}
    assert [f["resource"].rsplit("::", 1)[-1] for f in consistency_findings(raw)] == ["build"]


def test_outside_prod_nothing_is_flagged() -> None:
    assert consistency_findings(topology(), stack="dev") == []


def test_the_prod_example_declares_every_in_use_volume() -> None:
    found = rows(_prod())
    in_use = [r for r in found.values() if r.in_use]
    assert in_use
    assert all(r.consistency in ("crash", "application") for r in in_use)
    assert {r.consistency for r in in_use} == {"crash", "application"}


def _prod() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]


def test_a_consistency_not_known_yet_is_not_judged() -> None:
    """In a preview a component's output may still be the engine's unknown marker: nothing is concluded from it."""
    urn = "urn:pulumi:prod::backup-topology::backup-topology:index:BootVolumeBackupPlan::web"
    assignment = Res(type=POLICY_ASSIGNMENT, name="web-1", urn=f"{urn}$assignment::web-1", props={}, parent=urn)
    for props, expected in (({"consistency": UNKNOWN}, []), ({}, [urn]), ({"consistency": "crash"}, [])):
        plan = Res(type=BOOT_VOLUME_PLAN, name="web", urn=urn, props=props)
        assert [f.resource for f in evaluate([plan, assignment], "prod") if f.policy == RULE] == expected


def test_block_volume_and_volume_group_backups_are_in_use_and_flagged_when_undeclared() -> None:
    raw: dict[str, Any] = {
        "oci": {
            "region": "us-ashburn-1",
            "volume_plans": [
                {
                    "name": "data",
                    "compartment_id": COMPARTMENT,
                    "oracle_policy": "gold",
                    "block_volumes": ["ocid1.volume.oc1.iad.abuwcljrtestblocka"],
                }
            ],
            "volume_group_plans": [
                {
                    "name": "ledger",
                    "compartment_id": COMPARTMENT,
                    "volumes": ["ocid1.volume.oc1.iad.abuwcljrtestblockb"],
                    "availability_domain": "AD-1",
                    "manual_backups": [{"name": "m"}],
                }
            ],
        }
    }
    messages = {f["resource"].rsplit("::", 1)[-1]: f["message"] for f in consistency_findings(raw)}
    assert set(messages) == {"data", "ledger"}
    assert messages["data"].startswith("VolumeBackupPlan data backs up block volumes that may be attached to running ")
    assert messages["ledger"].startswith(
        "VolumeGroupBackupPlan ledger backs up a volume group whose volumes may be in "
    )
    assert {r.in_use for r in rows(raw).values()} == {True}
    for entry in (*raw["oci"]["volume_plans"], *raw["oci"]["volume_group_plans"]):
        entry["consistency"] = "crash"
    assert consistency_findings(raw) == []
