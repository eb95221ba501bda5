"""The Block Volume adapter against the Block Volume stub: paged listings, copies, deletions, OCI's guards, faults."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest

from components.clouds.calls import CloudError, Deadline, DeadlineError, NotFoundError
from components.clouds.oci_block_storage import BackupInfo, BlockStorage, BlockStorageConnection, backup_kind_of
from tests.conftest import COMPARTMENT
from tests.fakes.oci_block_storage import BlockStorageCloud, BlockStorageStub

Cloud = tuple[BlockStorageCloud, dict[str, BlockStorageStub]]


def storage(stubs: dict[str, BlockStorageStub], region: str = "us-ashburn-1", seconds: float = 20) -> BlockStorage:
    return BlockStorage(BlockStorageConnection(region=region, endpoint=stubs[region].url), Deadline(seconds))


def test_a_volumes_backups_are_listed_over_every_page_with_what_a_posture_check_needs(block_storage: Cloud) -> None:
    state, stubs = block_storage
    volume = state.add_volume("us-ashburn-1", COMPARTMENT)
    other = state.add_volume("us-ashburn-1", COMPARTMENT)
    made = [state.create_backup("volume", volume, type_="INCREMENTAL")["id"] for _ in range(5)]
    state.create_backup("volume", other)
    state.create_backup("volume", volume, source_type="SCHEDULED")
    found = storage(stubs).volume_backups(COMPARTMENT, volume)
    assert len(found) == 6  # three pages of two: every page followed
    assert set(made) <= {b.id for b in found}
    lists = [r for r in state.requests if r.method == "GET" and r.path.endswith("/volumeBackups")]
    assert [r.query.get("page") for r in lists] == [None, "2", "4"]
    assert {r.query["volumeId"] for r in lists} == {volume}
    [manual] = [b for b in found if b.id == made[0]]
    assert (manual.kind, manual.source_id, manual.type, manual.source_type) == (
        "volume",
        volume,
        "INCREMENTAL",
        "MANUAL",
    )
    assert manual.lifecycle_state == "AVAILABLE"
    assert manual.region == "us-ashburn-1"
    assert manual.time_created.endswith("Z")
    assert {b.source_type for b in found} == {"MANUAL", "SCHEDULED"}


def test_boot_volume_and_group_backups_are_listed_by_their_source(block_storage: Cloud) -> None:
    state, stubs = block_storage
    boot = state.add_volume("us-ashburn-1", COMPARTMENT, boot=True)
    data = state.add_volume("us-ashburn-1", COMPARTMENT)
    group = state.add_group("us-ashburn-1", COMPARTMENT, [boot, data])
    boot_backup = state.create_backup("boot_volume", boot)
    group_backup = state.create_backup("volume_group", group)
    adapter = storage(stubs)
    boot_backups = adapter.boot_volume_backups(COMPARTMENT, boot)
    # the group backup's member backup of the boot volume is a boot volume backup of it too
    assert boot_backup["id"] in {b.id for b in boot_backups}
    [listed] = adapter.volume_group_backups(COMPARTMENT, group)
    assert listed.id == group_backup["id"]
    assert listed.kind == "volume_group"
    assert len(listed.member_backup_ids) == 2


def test_copies_in_another_region_are_found_by_their_source(block_storage: Cloud) -> None:
    state, stubs = block_storage
    volume = state.add_volume("us-ashburn-1", COMPARTMENT)
    group = state.add_group("us-ashburn-1", COMPARTMENT, [volume])
    backup = state.create_backup("volume", volume)
    group_backup = state.create_backup("volume_group", group)
    copy = state.copy_backup(backup["id"], "us-phoenix-1")
    group_copy = state.copy_backup(group_backup["id"], "us-phoenix-1")
    there = storage(stubs, "us-phoenix-1")
    [found] = there.copies_of("volume", COMPARTMENT, backup["id"])
    assert (found.id, found.copied_from, found.region) == (copy["id"], backup["id"], "us-phoenix-1")
    assert found.id.startswith("ocid1.volumebackup.oc1.phx.")
    [group_found] = there.copies_of("volume_group", COMPARTMENT, group_backup["id"])
    assert group_found.id == group_copy["id"]
    assert storage(stubs).copies_of("volume", COMPARTMENT, backup["id"]) == []  # none in the source region


def test_deleting_a_backup_waits_until_it_is_terminated(block_storage: Cloud) -> None:
    state, stubs = block_storage
    state.terminate_after = 3
    volume = state.add_volume("us-ashburn-1", COMPARTMENT)
    backup = state.create_backup("volume", volume)
    storage(stubs).delete_backup("volume", backup["id"])
    assert state.backups[backup["id"]]["lifecycleState"] == "TERMINATED"
    assert len(state.deleted()) == 1
    storage(stubs).delete_backup("volume", backup["id"])  # gone already: fine, nothing sent but a DELETE answered 404
    assert len(state.deleted()) == 1


def test_deleting_a_group_backup_deletes_its_volume_backups(block_storage: Cloud) -> None:
    state, stubs = block_storage
    volumes = [state.add_volume("us-ashburn-1", COMPARTMENT) for _ in range(2)]
    group = state.add_group("us-ashburn-1", COMPARTMENT, volumes)
    backup = state.create_backup("volume_group", group)
    storage(stubs).delete_backup("volume_group", backup["id"])
    members = {state.backups[m]["lifecycleState"] for m in backup["volumeBackupIds"]}
    assert members <= {"TERMINATING", "TERMINATED"}  # going with their group backup, without a request of ours
    assert len(state.deleted()) == 1


@pytest.mark.parametrize(
    ("guards", "refused"),
    [
        ({"prevent_deletion": True, "retention_days": 30}, "deletion prevention until"),
        ({"retention_lock": True, "retention_days": 30}, "retention lock until"),
        ({"indefinite_retention": True}, "legal hold"),
    ],
)
def test_oci_guards_are_read_and_a_guarded_backup_is_refused(
    block_storage: Cloud, guards: dict[str, Any], refused: str
) -> None:
    state, stubs = block_storage
    volume = state.add_volume("us-ashburn-1", COMPARTMENT)
    backup = state.create_backup("volume", volume, **guards)
    adapter = storage(stubs)
    found = adapter.get_backup("volume", backup["id"])
    assert refused in str(found.deletion_refused())
    with pytest.raises(CloudError, match="refused in its current state"):
        adapter.delete_backup("volume", backup["id"])
    assert state.backups[backup["id"]]["lifecycleState"] == "AVAILABLE"


def test_a_guard_whose_period_has_ended_no_longer_holds() -> None:
    ended = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).isoformat()
    backup = BackupInfo(
        "volume", "ocid1.volumebackup.oc1.iad.x", "b", COMPARTMENT, "v", "us-ashburn-1", "FULL", "MANUAL",
        "AVAILABLE", "2026-01-01T00:00:00Z", retention_lock=True, retention_expires_at=ended,
    )  # fmt: skip
    assert backup.deletion_refused() is None
    unknown_end = BackupInfo(**{**backup.__dict__, "retention_expires_at": None})
    assert unknown_end.deletion_refused() == "it is under OCI's retention lock for a period OCI does not state"


def test_a_delete_whose_answer_was_lost_is_not_sent_twice_as_an_error(block_storage: Cloud) -> None:
    state, stubs = block_storage
    state.terminate_after = 5
    volume = state.add_volume("us-ashburn-1", COMPARTMENT)
    backup = state.create_backup("volume", volume)
    state.faults.drop_delete_responses = 1
    storage(stubs).delete_backup("volume", backup["id"])
    assert len(state.deleted()) == 1  # the retry found it TERMINATING: the deletion it asked for is under way
    assert state.backups[backup["id"]]["lifecycleState"] == "TERMINATED"


def test_throttling_and_server_errors_are_retried(block_storage: Cloud) -> None:
    state, stubs = block_storage
    volume = state.add_volume("us-ashburn-1", COMPARTMENT)
    for _ in range(5):
        state.create_backup("volume", volume)
    state.faults.fail_every = 2
    assert len(storage(stubs).volume_backups(COMPARTMENT, volume)) == 5
    assert {429, 503} <= {r.status for r in state.requests}


def test_sustained_throttling_ends_at_the_deadline_naming_the_listing(block_storage: Cloud) -> None:
    state, stubs = block_storage
    state.faults.throttle_next = 10**6
    with pytest.raises(DeadlineError, match=r"volume backups of ocid1\.volume\.oc1\.iad\.x in us-ashburn-1: gave up"):
        storage(stubs, seconds=2).volume_backups(COMPARTMENT, "ocid1.volume.oc1.iad.x")


def test_a_stalled_answer_ends_by_the_deadline(block_storage: Cloud) -> None:
    _, stubs = block_storage
    stubs["us-ashburn-1"].stall(1, 10)
    started = time.monotonic()
    with pytest.raises(CloudError):
        storage(stubs, seconds=1.5).volume_backups(COMPARTMENT, "ocid1.volume.oc1.iad.x")
    assert time.monotonic() - started < 6


def test_an_unsigned_request_is_refused_and_not_retried(block_storage: Cloud) -> None:
    state, stubs = block_storage
    state.key_id = "someone-else"  # the stub expects another key: our signature does not verify
    with pytest.raises(CloudError, match="not authorized"):
        storage(stubs).volume_backups(COMPARTMENT, "ocid1.volume.oc1.iad.x")
    assert [r.status for r in state.requests] == [401]


def test_a_restored_group_and_its_volumes_are_deleted(block_storage: Cloud) -> None:
    state, stubs = block_storage
    volumes = [state.add_volume("us-ashburn-1", COMPARTMENT), state.add_volume("us-ashburn-1", COMPARTMENT, boot=True)]
    group = state.add_group("us-ashburn-1", COMPARTMENT, volumes)
    backup = state.create_backup("volume_group", group)
    restored = state.restore_group(
        backup["id"], compartment_id=COMPARTMENT, availability_domain="Uocm:US-ASHBURN-AD-2", display_name="drill"
    )
    adapter = storage(stubs)
    info = adapter.get_volume_group(restored["id"])
    assert (info.source_backup_id, len(info.volume_ids)) == (backup["id"], 2)
    with pytest.raises(CloudError, match="remove it from the group first"):
        adapter.delete_volume(info.volume_ids[0])  # a volume of a group is refused while the group holds it
    adapter.delete_volume_group(info.id)
    for volume in info.volume_ids:
        adapter.delete_volume(volume)
    assert {state.volumes[v]["lifecycleState"] for v in info.volume_ids} == {"TERMINATED"}
    assert state.groups[info.id]["lifecycleState"] == "TERMINATED"
    assert {state.volumes[v]["lifecycleState"] for v in volumes} == {"AVAILABLE"}  # the source stays


def test_the_kind_of_a_backup_is_read_from_its_ocid() -> None:
    assert backup_kind_of("ocid1.volumegroupbackup.oc1.iad.abc") == "volume_group"
    assert backup_kind_of("ocid1.bootvolumebackup.oc1.iad.abc") == "boot_volume"
    assert backup_kind_of("ocid1.vault.oc1.iad.abc") is None


def test_get_of_an_unknown_backup_is_not_found(block_storage: Cloud) -> None:
    _, stubs = block_storage
    with pytest.raises(NotFoundError):
        storage(stubs).get_backup("boot_volume", "ocid1.bootvolumebackup.oc1.iad.nothere")
