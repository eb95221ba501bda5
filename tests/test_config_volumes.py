"""Topology of OCI block volumes and volume groups: each mistake one line naming its field, nothing else refused."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import load_topology
from tests.conftest import COMPARTMENT, VOL_A, daily, topology_problems

BLOCK_A = "ocid1.volume.oc1.iad.abuwcljrtestblocka"
BLOCK_B = "ocid1.volume.oc1.iad.abuwcljrtestblockb"
GROUP = "ocid1.volumegroup.oc1.iad.abuwcljrtestgroup"
GROUP_BACKUP = "ocid1.volumegroupbackup.oc1.iad.abuwcljrtestgroupbackup"
PHX_KEY = "ocid1.key.oc1.phx.bbtestvault.abuwcljstestkey"


def volume_plan(**changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "name": "data",
        "compartment_id": COMPARTMENT,
        "policy": {"schedules": [daily()]},
        "block_volumes": [{"id": BLOCK_A, "name": "data-a"}],
    }
    plan.update(changes)
    return plan


def group_plan(**changes: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "name": "ledger",
        "compartment_id": COMPARTMENT,
        "volumes": [BLOCK_A, {"id": BLOCK_B, "name": "logs"}],
        "availability_domain": "Uocm:US-ASHBURN-AD-1",
        "policy": {"schedules": [daily()], "destination_region": "us-phoenix-1"},
        "xrc_kms_key_id": PHX_KEY,
    }
    plan.update(changes)
    return plan


def oci(**sections: Any) -> dict[str, Any]:
    return {"oci": {"region": "us-ashburn-1", **sections}}


def test_a_volume_plan_and_a_group_plan_load() -> None:
    topology = load_topology(
        oci(
            volume_plans=[
                volume_plan(manual_backups=[{"name": "n", "volume_id": BLOCK_A, "retention": {"keep_last": 3}}])
            ],
            volume_group_plans=[group_plan(volumes=[BLOCK_B, VOL_A], manual_backups=[{"name": "m", "trigger": "t1"}])],
        )
    )
    assert topology.oci is not None
    [plan] = topology.oci.volume_plans
    assert plan.block_volumes[0].id == BLOCK_A
    assert plan.manual_backups[0].kind == "volume"
    assert plan.manual_backups[0].retention is not None
    [group] = topology.oci.volume_group_plans
    assert [v.id for v in group.volumes] == [BLOCK_B, VOL_A]  # block and boot volumes alike
    assert group.group_name == "ledger"


def test_boot_volume_plans_take_block_volumes_too() -> None:
    raw = oci(boot_volume_plans=[volume_plan(boot_volumes=[VOL_A])])
    assert topology_problems(raw) == []


def test_an_oracle_policy_on_a_group_is_refused_with_the_reason() -> None:
    raw = oci(volume_group_plans=[group_plan(policy=None, xrc_kms_key_id=None, oracle_policy="gold")])
    [line] = topology_problems(raw)
    assert line.startswith("oci.volume_group_plans[0].oracle_policy: OCI does not take Oracle-defined policies for ")
    assert "Oracle defined backup policies are not supported for scheduled volume group backups" in line


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"availability_domain": None},
            "oci.volume_group_plans[0].availability_domain: required with volumes: the group is made in their domain",
        ),
        (
            {"volume_group_id": GROUP, "availability_domain": None},
            "oci.volume_group_plans[0].volumes: give exactly one of volumes (a group the plan makes) or "
            "volume_group_id",
        ),
        (
            {"volumes": [BLOCK_A, BLOCK_A]},
            "oci.volume_group_plans[0].volumes[1].id: volume already listed at volumes[0]",
        ),
        (
            {"volumes": ["ocid1.instance.oc1.iad.abc"]},
            "oci.volume_group_plans[0].volumes[0].id: is an instance OCID; expected a boot volume "
            "(ocid1.bootvolume.…) or block volume (ocid1.volume.…)",
        ),
        (
            {"policy": None, "xrc_kms_key_id": None},
            "oci.volume_group_plans[0].policy: the plan backs up nothing: give policy, policy_id or manual_backups",
        ),
        (
            {"xrc_kms_key_id": "ocid1.key.oc1.iad.bbtestvault.abuwcljstestkey"},
            "oci.volume_group_plans[0].xrc_kms_key_id: vault key is in us-ashburn-1; the key for cross-region "
            "copies must be in us-phoenix-1",
        ),
    ],
)
def test_group_mistakes_name_their_field(changes: dict[str, Any], expected: str) -> None:
    plan = {k: v for k, v in group_plan(**changes).items() if v is not None}
    assert topology_problems(oci(volume_group_plans=[plan])) == [expected]


def test_a_group_holds_at_most_32_volumes() -> None:
    volumes = [f"ocid1.volume.oc1.iad.abuwcljrtestvol{i:04d}" for i in range(33)]
    assert topology_problems(oci(volume_group_plans=[group_plan(volumes=volumes)])) == [
        "oci.volume_group_plans[0].volumes: takes at most 32 items (got 33)"
    ]


def test_an_existing_group_is_backed_up_without_being_made() -> None:
    plan = group_plan(volume_group_id=GROUP)
    del plan["volumes"], plan["availability_domain"]
    assert topology_problems(oci(volume_group_plans=[plan])) == []
    plan["display_name"] = "renamed"
    assert topology_problems(oci(volume_group_plans=[plan])) == [
        "oci.volume_group_plans[0].display_name: only for a group the plan makes (volumes), not volume_group_id"
    ]


def test_a_manual_backup_names_one_volume() -> None:
    both = {"name": "n", "volume_id": BLOCK_A, "boot_volume_id": VOL_A}
    neither = {"name": "m"}
    raw = oci(volume_plans=[volume_plan(manual_backups=[both, neither])])
    assert topology_problems(raw) == [
        "oci.volume_plans[0].manual_backups[0].boot_volume_id: give exactly one of boot_volume_id or volume_id",
        "oci.volume_plans[0].manual_backups[1].boot_volume_id: give exactly one of boot_volume_id or volume_id",
    ]


def test_a_block_volume_is_assigned_one_policy_across_the_plan_lists() -> None:
    raw = oci(
        boot_volume_plans=[volume_plan(name="first")],
        volume_plans=[volume_plan(name="second")],
    )
    assert topology_problems(raw) == [
        "oci.volume_plans[0].block_volumes[0].id: block volume is already assigned a policy at "
        "oci.boot_volume_plans[0].block_volumes[0].id; OCI keeps one backup policy per volume and would silently "
        "replace the one of oci.boot_volume_plans[0]"
    ]


def test_a_volume_of_a_group_with_a_policy_has_no_policy_of_its_own() -> None:
    raw = oci(volume_plans=[volume_plan()], volume_group_plans=[group_plan()])
    [line] = topology_problems(raw)
    assert line.startswith(
        "oci.volume_group_plans[0].volumes[0]: block volume is assigned a policy at "
        "oci.volume_plans[0].block_volumes[0].id, and its volume group has one: OCI has the group manage"
    )
    # a group with manual backups only takes no policy: the volume may keep its own
    manual_only = group_plan(policy=None, xrc_kms_key_id=None, manual_backups=[{"name": "m"}])
    assert topology_problems(oci(volume_plans=[volume_plan()], volume_group_plans=[manual_only])) == []


def test_a_volume_is_in_one_group_only() -> None:
    raw = oci(volume_group_plans=[group_plan(), group_plan(name="other", volumes=[BLOCK_B])])
    assert topology_problems(raw) == [
        "oci.volume_group_plans[1].volumes[0]: block volume is already in the volume group of "
        "oci.volume_group_plans[0]; OCI puts a volume in one group only"
    ]


def test_plan_names_are_unique_across_the_plan_lists() -> None:
    raw = oci(volume_plans=[volume_plan(name="db")], volume_group_plans=[group_plan(name="db", volumes=[BLOCK_B])])
    assert topology_problems(raw) == ["oci.volume_group_plans[0].name: 'db' is already the name of oci.volume_plans[0]"]


def test_volumes_of_another_region_are_refused() -> None:
    other = "ocid1.volume.oc1.phx.abuwcljrtestphoenix"
    raw = oci(volume_plans=[volume_plan(block_volumes=[other])], volume_group_plans=[group_plan(volumes=[other])])
    problems = topology_problems(raw)
    assert (
        "oci.volume_plans[0].block_volumes[0]: block volume is in us-phoenix-1, but oci.region is us-ashburn-1"
        in problems
    )
    assert (
        "oci.volume_group_plans[0].volumes[0]: block volume is in us-phoenix-1, but oci.region is us-ashburn-1"
        in problems
    )


def test_drills_and_copies_name_a_plan_and_backup_of_the_lists() -> None:
    raw = oci(
        volume_plans=[volume_plan(manual_backups=[{"name": "n", "volume_id": BLOCK_A}])],
        volume_group_plans=[group_plan(volumes=[BLOCK_B], manual_backups=[{"name": "m"}])],
    )
    raw["restore_drills"] = [
        {"name": "d1", "oci": {"plan": "data", "manual_backup": "n", "availability_domain": "AD-1"}, "trigger": "t"},
        {
            "name": "d2",
            "oci_volume_group": {"plan": "ledger", "manual_backup": "m", "availability_domain": "AD-1"},
            "trigger": "t",
        },
        {
            "name": "d3",
            "oci_volume_group": {"plan": "data", "manual_backup": "n", "availability_domain": "AD-1"},
            "trigger": "t",
        },
    ]
    raw["copies"] = [
        {
            "name": "c1",
            "oci": {"source": {"plan": "ledger", "manual_backup": "m"}, "destination_region": "us-phoenix-1"},
        },
        {
            "name": "c2",
            "oci": {"source": {"plan": "ledger", "manual_backup": "x"}, "destination_region": "us-phoenix-1"},
        },
        {"name": "c3", "oci": {"source_backup_id": GROUP_BACKUP, "destination_region": "us-phoenix-1"}},
    ]
    assert topology_problems(raw) == [
        "copies[1].oci.source.manual_backup: plan 'ledger' has no manual backup 'x' (known: m)",
        "restore_drills[2].oci_volume_group.plan: no entry 'data' in oci.volume_group_plans (known: ledger)",
    ]


def test_a_group_drill_by_backup_id_needs_a_compartment() -> None:
    raw = oci()
    raw["restore_drills"] = [
        {"name": "d", "oci_volume_group": {"backup_id": GROUP_BACKUP, "availability_domain": "AD-1"}, "trigger": "t"}
    ]
    assert topology_problems(raw) == [
        "restore_drills[0].oci_volume_group.compartment_id: required with backup_id (there is no plan to take it from)"
    ]
