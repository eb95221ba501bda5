"""Validation of the `ibm` and `copies` sections: each rule, good and bad."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import topology_problems

VOLUME = "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa"
BACKUP = "ocid1.bootvolumebackup.oc1.iad.abuwcljrbackupexample"


def base(**ibm: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "region": "us-south",
        "snapshots": [{"name": "db", "volume_id": VOLUME, "clone_zones": ["us-south-1"], "trigger": "v1"}],
    }
    section.update(ibm)
    return {"ibm": section}


problems = topology_problems


def test_a_valid_ibm_section_passes() -> None:
    assert problems(base()) == []


def test_unknown_region_has_a_hint() -> None:
    assert problems(base(region="us-sooth")) == [
        "ibm.region: unknown IBM Cloud VPC region 'us-sooth' (did you mean 'us-south'?)"
    ]


def test_clone_zones_belong_to_the_region() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["clone_zones"] = ["eu-de-1"]
    assert problems(raw) == ["ibm.snapshots[0].clone_zones[0]: 'eu-de-1' is not a zone of us-south (us-south-1, ...)"]


def test_a_zone_listed_twice() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["clone_zones"] = ["us-south-1", "us-south-1"]
    assert problems(raw) == ["ibm.snapshots[0].clone_zones[1]: zone already listed at clone_zones[0]"]


@pytest.mark.parametrize("name", ["DB", "1db", "db-", "a" * 64])
def test_ibm_names_follow_the_vpc_rules(name: str) -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["name"] = name
    [problem] = problems(raw)
    assert problem.startswith("ibm.snapshots[0].name: must be lowercase letters, digits and '-'")


def test_trigger_must_fit_a_snapshot_name() -> None:
    raw = base()
    raw["ibm"]["snapshots"][0]["trigger"] = "Release_1"
    [problem] = problems(raw)
    assert problem.startswith("ibm.snapshots[0].trigger: must be 1-32 lowercase letters")
    raw["ibm"]["snapshots"][0]["name"] = "n" * 40
    raw["ibm"]["snapshots"][0]["trigger"] = "t" * 30
    [problem] = problems(raw)
    assert problem.startswith("ibm.snapshots[0].trigger: makes the snapshot name")


def test_snapshot_and_group_names_are_unique() -> None:
    raw = base(consistency_groups=[{"name": "db", "volume_ids": ["a", "b"], "trigger": "v1"}])
    assert problems(raw) == ["ibm.consistency_groups[0].name: 'db' is already the name of ibm.snapshots[0]"]


def test_a_consistency_group_needs_two_distinct_volumes() -> None:
    [problem] = problems(base(consistency_groups=[{"name": "g", "volume_ids": ["a"], "trigger": "v1"}]))
    assert problem.startswith("ibm.consistency_groups[0].volume_ids: needs at least 2 items")
    assert problems(base(consistency_groups=[{"name": "g", "volume_ids": ["a", "a"], "trigger": "v1"}])) == [
        "ibm.consistency_groups[0].volume_ids[1]: volume already listed at volume_ids[0]"
    ]


def test_endpoints_are_for_known_regions() -> None:
    assert problems(base(endpoints={"mars-1": "https://x"})) == ["ibm.endpoints.mars-1: unknown IBM Cloud VPC region"]


def test_a_copy_names_a_snapshot_of_the_stack() -> None:
    raw = base()
    raw["copies"] = [{"name": "dr", "ibm": {"snapshot": "nope", "destination_region": "us-east"}}]
    assert problems(raw) == ["copies[0].ibm.snapshot: no snapshot 'nope' in ibm.snapshots (known: db)"]


def test_a_copy_goes_to_another_region() -> None:
    raw = base()
    raw["copies"] = [{"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-south"}}]
    assert problems(raw) == ["copies[0].ibm.destination_region: is ibm.region itself; a copy goes to another region"]


def test_one_copy_per_source_and_region() -> None:
    raw = base()
    raw["copies"] = [
        {"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-east"}},
        {"name": "dr2", "ibm": {"snapshot": "db", "destination_region": "us-east"}},
    ]
    assert problems(raw) == ["copies[1]: copies[0] already copies db to us-east; one copy per source and region"]


def test_a_copy_is_ibm_or_oci() -> None:
    assert problems({"copies": [{"name": "dr"}]}) == ["copies[0].ibm: give exactly one of ibm or oci"]


def test_an_ibm_copy_needs_the_ibm_section() -> None:
    raw = {"copies": [{"name": "dr", "ibm": {"snapshot": "db", "destination_region": "us-east"}}]}
    assert problems(raw) == ["copies[0].ibm: needs the ibm section: the source snapshot is one of ibm.snapshots"]


def test_an_oci_copy_goes_elsewhere_with_a_key_of_its_destination() -> None:
    raw = {"copies": [{"name": "dr", "oci": {"source_backup_id": BACKUP, "destination_region": "us-ashburn-1"}}]}
    assert problems(raw) == [
        "copies[0].oci.destination_region: the backup is already in us-ashburn-1; copy it elsewhere"
    ]
    key = "ocid1.key.oc1.iad.bbvault.abuwcljskey"
    raw = {
        "copies": [
            {"name": "dr", "oci": {"source_backup_id": BACKUP, "destination_region": "us-phoenix-1", "kms_key_id": key}}
        ]
    }
    assert problems(raw) == ["copies[0].oci.kms_key_id: vault key is in us-ashburn-1; it must be in us-phoenix-1"]


def test_an_oci_copy_source_is_a_boot_volume_backup() -> None:
    raw = {
        "copies": [
            {
                "name": "dr",
                "oci": {"source_backup_id": "ocid1.bootvolume.oc1.iad.x", "destination_region": "us-phoenix-1"},
            }
        ]
    }
    [problem] = problems(raw)
    assert problem.startswith("copies[0].oci.source_backup_id: is a boot volume OCID; expected a boot volume backup")


def test_an_oci_copy_takes_no_retention() -> None:
    copy = {"source_backup_id": BACKUP, "destination_region": "us-phoenix-1"}
    raw = {"copies": [{"name": "dr", "oci": copy, "retention": {"keep_last": 2}}]}
    assert problems(raw) == [
        "copies[0].retention: applies to IBM copies; an OCI copy is one backup "
        "(delete_on_removal and OCI's protection apply)"
    ]
