"""IbmBackupPolicy (and the on-demand tag of IBM snapshots) under the mock runtime, through the program."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_openstack as openstack
import pytest
from pulumi.output import Unknown

from components.ibm.backup_policy import IbmBackupPolicy
from components.tooling.mock_runtime import simulate
from tests.conftest import run_program

POLICY = "pulumi-python:dynamic/backup-topology:IbmBackupPolicy"
SNAPSHOT = "pulumi-python:dynamic/backup-topology:IbmSnapshot"
GROUP = "pulumi-python:dynamic/backup-topology:IbmSnapshotConsistencyGroup"
VOLUME = "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa"
VOLUME2 = "r006-26fce2ff-8177-47ce-8182-49d8aed33063"
KEY = "crn:v1:bluemix:public:kms:us-east:a/a1234567:0cb88b98-instance:key:0cb88b98-key"


def policy(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "volumes-daily",
        "match_user_tags": ["backup:daily"],
        "covers": [VOLUME, VOLUME2],
        "plans": [
            {
                "name": "daily",
                "cron_spec": "0 2 * * *",
                "deletion_trigger": {"delete_after": 14},
                "clone_policy": {"zones": ["us-south-1", "us-south-2"], "max_snapshots": 2},
                "remote_region_policies": [{"region": "us-east", "encryption_key_crn": KEY}],
            },
            {"name": "weekly", "cron_spec": "0 4 * * 0", "deletion_trigger": {"delete_after": 90}},
        ],
    }
    spec.update(changes)
    return spec


def topology(**ibm: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "region": "us-south",
        "resource_group_id": "rg-default",
        "clone_zone_hourly_rate": 0.25,
        "backup_policies": [policy()],
    }
    section.update(copy.deepcopy(ibm))
    return {"ibm": section}


def test_a_policy_is_one_dynamic_resource_carrying_its_plans() -> None:
    sim = run_program(topology())
    [component] = sim.of_type("backup-topology:index:IbmBackupPolicy")
    [resource] = sim.of_type(POLICY)
    assert resource.parent == component.urn
    assert resource.inputs["name"] == "volumes-daily"
    assert resource.inputs["match_user_tags"] == ["backup:daily"]
    assert resource.inputs["match_resource_type"] == "volume"
    assert resource.inputs["resource_group_id"] == "rg-default"  # the section's default
    assert resource.inputs["covers"] == [VOLUME, VOLUME2]
    assert resource.inputs["connection"] == {"region": "us-south"}
    daily, weekly = resource.inputs["plans"]
    assert daily == {
        "name": "daily",
        "cron_spec": "0 2 * * *",
        "active": True,
        "attach_user_tags": [],
        "copy_user_tags": True,
        "deletion_trigger": {"delete_after": 14},
        "clone_policy": {"zones": ["us-south-1", "us-south-2"], "max_snapshots": 2},
        # IBM's default count of remote copies, sent explicitly: not only the latest copy.
        "remote_region_policies": [{"region": "us-east", "encryption_key_crn": KEY, "delete_over_count": 5}],
    }
    assert weekly["deletion_trigger"] == {"delete_after": 90}
    assert "clone_policy" not in weekly  # none: nothing is sent


def test_the_policy_exports_numeric_rpo_retention_and_the_clone_cost() -> None:
    exported = run_program(topology()).exports["ibm_backup_policies"]["volumes-daily"]
    assert exported["rpo_hours"] == 24
    assert exported["retention_days"] == 14
    assert exported["oldest_restore_point_days"] == 90
    assert exported["remote_regions"] == ["us-east"]
    assert exported["clone_zones"] == ["us-south-1", "us-south-2"]
    assert exported["clone_zone_hours_per_month"] == 2 * 2 * 730 * 2  # max_snapshots x zones x hours x volumes
    assert exported["monthly_clone_cost"] == 1460.0  # at 0.25 a clone-zone-hour
    assert exported["plan_ids"] == {"daily": exported["plan_ids"]["daily"], "weekly": exported["plan_ids"]["weekly"]}


def test_an_inactive_plan_takes_no_backups_and_counts_for_nothing() -> None:
    plans = policy()["plans"]
    plans[1]["active"] = False
    exported = run_program(topology(backup_policies=[policy(plans=plans)])).exports["ibm_backup_policies"]
    assert exported["volumes-daily"]["oldest_restore_point_days"] == 14


def test_a_maximum_count_shortens_the_retention() -> None:
    plans = policy()["plans"]
    plans[0]["deletion_trigger"] = {"delete_after": 30, "delete_over_count": 7}
    exported = run_program(topology(backup_policies=[policy(plans=plans)])).exports["ibm_backup_policies"]
    assert exported["volumes-daily"]["retention_days"] == 7


def test_component_args_errors_name_the_component_and_the_field() -> None:
    plans = policy()["plans"]
    plans[0]["clone_policy"] = {"zones": ["eu-de-1"]}

    def program() -> None:
        IbmBackupPolicy("bad", {**policy(plans=plans), "region": "us-south"})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    assert str(info.value).splitlines() == [
        "IbmBackupPolicy 'bad': invalid args",
        "plans[0].clone_policy.zones[0]: 'eu-de-1' is not a zone of us-south (us-south-1, ...)",
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_tags_and_keys_from_other_resources(preview: bool) -> None:
    def program() -> None:
        volume = openstack.blockstorage.Volume("data", size=1)  # stands for any resource
        plans = policy()["plans"]
        plans[0]["remote_region_policies"] = [{"region": "us-east", "encryption_key_crn": volume.id.apply(_key)}]
        IbmBackupPolicy("p", {**policy(plans=plans), "match_user_tags": volume.name.apply(_tags), "region": "us-south"})

    sim = simulate(program, preview=preview)
    [resource] = sim.of_type(POLICY)
    [volume] = sim.of_type("openstack:blockstorage/volume:Volume")
    assert volume.urn in resource.dependencies
    key = resource.inputs["plans"][0]["remote_region_policies"][0]["encryption_key_crn"]
    if preview:
        assert isinstance(resource.inputs["match_user_tags"], Unknown)
        assert isinstance(key, Unknown)
    else:
        assert resource.inputs["match_user_tags"] == ["backup:data"]
        assert key.startswith("crn:v1:bluemix:public:kms:us-east:")


def _key(volume_id: str) -> str:
    return f"crn:v1:bluemix:public:kms:us-east:a/a1234567:instance:key:{volume_id}"


def _tags(name: str | None) -> list[str]:
    return [f"backup:{name or 'data'}"]


def test_a_key_from_another_resource_that_is_no_crn_fails_with_the_literal_message() -> None:
    def program() -> None:
        plans = policy()["plans"]
        plans[0]["remote_region_policies"] = [
            {"region": "us-east", "encryption_key_crn": pulumi.Output.from_input("key-1")}
        ]
        IbmBackupPolicy("p", {**policy(plans=plans), "region": "us-south"})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    [heading, problem] = str(info.value).splitlines()
    assert heading == "IbmBackupPolicy 'p': invalid args"
    assert problem.startswith("plans[0].remote_region_policies[0].encryption_key_crn: must be the CRN of a Key")


# --- on-demand snapshots told apart from a policy's -------------------------------------------------------


def test_on_demand_snapshots_carry_the_on_demand_tag_when_the_section_names_one() -> None:
    snapshots = [{"name": "db", "volume_id": VOLUME, "trigger": "t1", "user_tags": ["env:prod"]}]
    groups = [{"name": "app", "volume_ids": [VOLUME, VOLUME2], "trigger": "t1"}]
    sim = run_program(topology(snapshots=snapshots, consistency_groups=groups, on_demand_tag="backup:on-demand"))
    [snapshot] = sim.of_type(SNAPSHOT)
    [group] = sim.of_type(GROUP)
    assert snapshot.inputs["user_tags"][0] == "env:prod"
    assert snapshot.inputs["user_tags"][-1] == "backup:on-demand"
    assert group.inputs["user_tags"][-1] == "backup:on-demand"


def test_without_an_on_demand_tag_the_snapshots_tags_are_as_before() -> None:
    snapshots = [{"name": "db", "volume_id": VOLUME, "trigger": "t1", "user_tags": ["env:prod"]}]
    groups = [{"name": "app", "volume_ids": [VOLUME, VOLUME2], "trigger": "t1"}]
    sim = run_program(topology(snapshots=snapshots, consistency_groups=groups))
    [snapshot] = sim.of_type(SNAPSHOT)
    [group] = sim.of_type(GROUP)
    assert len(snapshot.inputs["user_tags"]) == 2  # the user's tag and the series marker
    assert [t.split(":", 1)[0] for t in group.inputs["user_tags"]] == ["backup-topology-series"]
