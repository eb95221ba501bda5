"""Guards of the generation providers, called directly: upgrades, and removals that keep what they should."""

from __future__ import annotations

from typing import Any

from components.dynamic.cinder import CinderBackupProvider
from components.dynamic.generations import GenerationsProvider
from components.dynamic.ibm_snapshot import IbmSnapshotProvider
from components.retention import ibm_series_tag

TAG = ibm_series_tag("organization/backup-topology/prod/ibm-snapshot/orders-db")


def snapshot(trigger: str, tags: list[str]) -> dict[str, Any]:
    return {
        "name": f"orders-db-{trigger}",
        "trigger": trigger,
        "source_volume_id": "vol-1",
        "user_tags": tags,
        "connection": {"region": "us-south", "endpoint": "https://127.0.0.1:9"},
    }


def test_a_new_trigger_on_a_snapshot_of_an_earlier_version_is_refused_with_the_way_out() -> None:
    result = IbmSnapshotProvider().check(snapshot("t1", ["env:prod"]), snapshot("t2", ["env:prod", TAG]))
    [failure] = result.failures
    assert failure.property == "trigger"
    assert "run `pulumi up` once with the same trigger" in failure.reason


def test_the_upgrade_up_with_the_same_trigger_and_later_triggers_pass() -> None:
    provider = IbmSnapshotProvider()
    assert provider.upgrade_problems(snapshot("t1", ["env:prod"]), snapshot("t1", ["env:prod", TAG])) == []
    assert provider.upgrade_problems(snapshot("t1", [TAG]), snapshot("t2", [TAG])) == []


def test_a_cinder_backup_of_an_earlier_version_keeps_its_trigger_until_marked() -> None:
    old = {"name": "db-t1", "trigger": "t1", "volume_id": "v", "snapshot_id": "s", "metadata": {}}
    new = {**old, "name": "db-t2", "trigger": "t2", "metadata": {"backup-topology-series": "x"}}
    [(field, _)] = CinderBackupProvider().upgrade_problems(old, new)
    assert field == "trigger"
    assert CinderBackupProvider().upgrade_problems({**old, "metadata": new["metadata"]}, new) == []


def test_removal_without_delete_on_removal_asks_the_cloud_nothing() -> None:
    props = {
        "kind": "ibm_snapshot",
        "series": "s",
        "current": ["snap-1"],
        "delete_on_removal": False,
        "ibm": {"region": "us-south", "endpoint": "https://127.0.0.1:9"},  # nothing listens there
    }
    GenerationsProvider().delete("s", props)  # returns without a call (a call would fail to connect)


def test_an_oci_record_without_a_region_is_refused_retention_and_delete_on_removal_and_acts_on_nothing() -> None:
    provider = GenerationsProvider()
    base = {
        "kind": "oci_volume_backups",
        "series": "organization/backup-topology/dev/oci-manual-backup/data/nightly",
        "current": ["ocid1.volumebackup.oc1.iad.one"],
        "backups_of": {"compartment_id": "ocid1.compartment.oc1..c", "source_id": "ocid1.volume.oc1.iad.v"},
    }
    for acting in ({"keep_last": 2}, {"max_age_days": 7}, {"delete_on_removal": True}):
        [failure] = provider.check({}, {**base, **acting}).failures
        assert (failure.property, failure.reason) == ("oci_block", "required with retention or delete_on_removal")
    assert provider.check({}, base).failures == []
    made = provider.create(base)  # no endpoint anywhere: a call to OCI would fail
    assert made.outs is not None
    assert (made.outs["made"], made.outs["generations"]) == (["ocid1.volumebackup.oc1.iad.one"], [])
    provider.delete(made.id, {**base, **made.outs})
