"""OCI manual backups of block volumes and volume groups, their generations and group drills, through the provider
plugin as the engine drives it, on the Block Volume stub.

The native resources (pulumi-oci's part) are made in the stub's state by `StubNatives`, once per resource as the engine
keeps them: a new trigger is a new resource, an unchanged one is not made again, and nothing native is deleted (the
backups are retained on delete).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import MockResourceArgs

from components.oci.volume_backup_plan import VolumeBackupPlan
from components.oci.volume_group_backup_plan import VolumeGroupBackupPlan
from components.restore_drill import RestoreDrill
from components.retention import SERIES_KEY
from components.tooling.mock_runtime import TopologyMocks
from tests.conftest import COMPARTMENT
from tests.engine.conftest import plugin_log
from tests.engine.harness import Engine
from tests.fakes.oci_block_storage import BlockStorageCloud, BlockStorageStub

Cloud = tuple[BlockStorageCloud, dict[str, BlockStorageStub]]
REGION = "us-ashburn-1"
DRILLS = "ocid1.compartment.oc1..aaaaaaaadrillcompartment"
_BACKUPS = {
    "oci:Core/bootVolumeBackup:BootVolumeBackup": ("boot_volume", "bootVolumeId"),
    "oci:Core/volumeBackup:VolumeBackup": ("volume", "volumeId"),
    "oci:Core/volumeGroupBackup:VolumeGroupBackup": ("volume_group", "volumeGroupId"),
}
_GROUP = "oci:Core/volumeGroup:VolumeGroup"


class StubNatives(TopologyMocks):
    """pulumi-oci against the Block Volume stub: backups, copies and volume groups made as the API makes them."""

    def __init__(self, state: BlockStorageCloud, made: dict[tuple[str, ...], tuple[str, dict[str, Any]]]) -> None:
        super().__init__()
        self.state = state
        self.made = made
        """(type, name[, display name]) -> (id, outputs): what the engine's state holds of each native resource."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        key: tuple[str, ...] = (args.typ, args.name)
        if args.typ == _GROUP:  # a drill's group is replaced when its display name (its trigger) changes
            key = (*key, str(args.inputs.get("displayName")))
        if key in self.made:  # in the state already: the engine creates nothing (a change would update in place)
            resource_id, outputs = self.made[key]
            return resource_id, {**outputs, **args.inputs}
        if args.typ in _BACKUPS:
            made = self._backup(args.typ, args.inputs)
        elif args.typ == _GROUP:
            made = self._group(args.inputs)
        else:
            return super().new_resource(args)
        outputs = {
            **args.inputs,
            "state": made["lifecycleState"],
            "timeCreated": made["timeCreated"],
            **({"volumeBackupIds": made["volumeBackupIds"]} if "volumeBackupIds" in made else {}),
            **({"volumeIds": made["volumeIds"]} if "volumeIds" in made else {}),
        }
        self.made[key] = (made["id"], outputs)
        return made["id"], outputs

    def _backup(self, type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
        kind, source_field = _BACKUPS[type_]
        period = inputs.get("retentionPeriod") or {}
        days = period.get("retentionTimeAmount")
        if days is not None and period.get("retentionTimeUnit") == "YEARS":
            days = days * 365
        return self.state.create_backup(
            kind,
            inputs[source_field],
            compartment_id=inputs.get("compartmentId"),
            type_=inputs.get("type") or "FULL",
            display_name=inputs.get("displayName"),
            freeform_tags=inputs.get("freeformTags"),
            prevent_deletion=bool(inputs.get("isPreventDeletionEnabled")),
            retention_lock=bool(inputs.get("isRetentionLockEnabled")),
            indefinite_retention=bool(inputs.get("isIndefiniteRetentionEnabled")),
            retention_days=int(days) if days is not None else None,
        )

    def _group(self, inputs: dict[str, Any]) -> dict[str, Any]:
        source = inputs.get("sourceDetails") or {}
        if source.get("type") == "volumeGroupBackupId":
            return self.state.restore_group(
                source["volumeGroupBackupId"],
                compartment_id=inputs["compartmentId"],
                availability_domain=inputs["availabilityDomain"],
                display_name=inputs.get("displayName") or "restored",
                freeform_tags=inputs.get("freeformTags"),
            )
        group = self.state.add_group(REGION, inputs["compartmentId"], list(inputs["volumeIds"]))
        return self.state.groups[group]


@pytest.fixture
def stack(block_storage: Cloud, engine: Callable[..., Engine]) -> Callable[..., Engine]:
    """An engine whose native resources are made in the Block Volume stub (one state per stack name)."""
    state, _ = block_storage

    def start(**options: Any) -> Engine:
        made: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = {}
        return engine(mocks=lambda: StubNatives(state, made), **options)

    return start


def access(stubs: dict[str, BlockStorageStub]) -> dict[str, Any]:
    return {"region": REGION, "blockstorage_endpoint": stubs[REGION].url, "timeouts": {"create": "60s"}}


def volume_program(stubs: dict[str, BlockStorageStub], volume: str, trigger: str, **backup: Any) -> Callable[[], None]:
    def run() -> None:
        entry = {"name": "nightly", "volume_id": volume, "type": "incremental", "trigger": trigger, **backup}
        VolumeBackupPlan("data", {"compartment_id": COMPARTMENT, "manual_backups": [entry], **access(stubs)})

    return run


def generations(stack: Engine, name: str = "data-nightly-generations") -> dict[str, Any]:
    return next(s.outputs for urn, s in stack.state.items() if urn.endswith(f"::{name}"))


def held(state: BlockStorageCloud, kind: str = "volume") -> list[str]:
    """Display names of the live manual backups of `kind` (newest last)."""
    live = [b for b in state.live(kind) if b["sourceType"] == "MANUAL" and not b.get("_group_backup")]
    return [b["displayName"] for b in sorted(live, key=lambda b: b["timeCreated"])]


def test_a_new_trigger_keeps_the_previous_backup_and_keep_last_deletes_the_oldest_beyond_it(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volume = state.add_volume(REGION, COMPARTMENT)
    keep = {"retention": {"keep_last": 2}}
    engine = stack()
    engine.up(volume_program(stubs, volume, "t1", **keep))
    engine.up(volume_program(stubs, volume, "t2", **keep))
    assert held(state) == ["data-nightly-t1", "data-nightly-t2"]  # the new trigger kept the previous backup
    assert state.deleted() == []
    preview = engine.preview(volume_program(stubs, volume, "t3", **keep))
    assert preview.of("data-nightly-generations") == ["update"]
    assert state.deleted() == []  # a preview deletes nothing
    engine.up(volume_program(stubs, volume, "t3", **keep))
    assert held(state) == ["data-nightly-t2", "data-nightly-t3"]
    [deleted] = state.deleted()
    record = generations(engine)
    assert [g["name"] for g in record["generations"]] == ["data-nightly-t3", "data-nightly-t2"]
    assert deleted.path.endswith(next(b["id"] for b in state.backups.values() if b["displayName"] == "data-nightly-t1"))
    before = len(state.requests)
    assert engine.up(volume_program(stubs, volume, "t3", **keep)).changes() == []
    assert len(state.requests) == before  # an unchanged up sends nothing


def test_dropping_retention_and_the_region_it_needs_deletes_no_backup_the_program_still_declares(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volume = state.add_volume(REGION, COMPARTMENT)
    keep = {"retention": {"keep_last": 5}, "delete_on_removal": True}
    engine = stack()
    engine.up(volume_program(stubs, volume, "t1", **keep))
    engine.up(volume_program(stubs, volume, "t2", **keep))
    assert held(state) == ["data-nightly-t1", "data-nightly-t2"]

    def without_region() -> None:  # a Python user turning retention off drops the region it needed
        entry = {
            "name": "nightly",
            "volume_id": volume,
            "type": "incremental",
            "trigger": "t2",
            "delete_on_removal": True,
        }
        VolumeBackupPlan("data", {"compartment_id": COMPARTMENT, "manual_backups": [entry]})

    engine.up(without_region)
    assert held(state) == ["data-nightly-t1", "data-nightly-t2"]  # the record stays, and deletes nothing
    assert state.deleted() == []


@pytest.mark.parametrize(
    ("protection", "why"),
    [
        ({"retention_lock": True, "retention_period": {"amount": 30, "unit": "days"}}, "retention lock until"),
        ({"prevent_deletion": True, "retention_period": {"amount": 1, "unit": "years"}}, "deletion prevention until"),
        ({"indefinite_retention": True}, "legal hold"),
    ],
    ids=["retention-lock", "prevent-deletion", "legal-hold"],
)
def test_a_backup_under_oci_protection_is_never_deleted(
    block_storage: Cloud, stack: Callable[..., Engine], tmp_path: Path, protection: dict[str, Any], why: str
) -> None:
    state, stubs = block_storage
    volume = state.add_volume(REGION, COMPARTMENT)
    engine = stack()
    engine.up(volume_program(stubs, volume, "t1", retention={"keep_last": 1}, protection=protection))
    for trigger in ("t2", "t3"):
        engine.up(volume_program(stubs, volume, trigger, retention={"keep_last": 1}))
    assert held(state) == ["data-nightly-t1", "data-nightly-t3"]  # t1 is protected; t2 went
    assert len(state.deleted()) == 1
    assert not [r for r in state.requests if r.method == "DELETE" and r.status == 409]  # never even asked
    assert f"data-nightly-t1 ({state.live()[0]['id']}): kept, because it is under" in plugin_log(tmp_path)
    assert why in plugin_log(tmp_path)


def test_refresh_shows_the_generations_held_after_one_is_deleted_out_of_band(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volume = state.add_volume(REGION, COMPARTMENT)
    engine = stack()
    for trigger in ("t1", "t2"):
        engine.up(volume_program(stubs, volume, trigger))
    assert [g["name"] for g in generations(engine)["generations"]] == ["data-nightly-t2", "data-nightly-t1"]
    [first] = [b for b in state.backups.values() if b["displayName"] == "data-nightly-t1"]
    first["lifecycleState"] = "TERMINATED"  # deleted in the console
    engine.refresh()
    record = generations(engine)
    assert [g["name"] for g in record["generations"]] == ["data-nightly-t2"]
    assert record["count"] == 1


def test_max_age_is_applied_by_an_unchanged_up_and_a_preview_says_so(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volume = state.add_volume(REGION, COMPARTMENT)
    aged = {"retention": {"max_age_days": 7}}
    engine = stack()
    engine.up(volume_program(stubs, volume, "t1", **aged))
    engine.up(volume_program(stubs, volume, "t2", **aged))
    [first] = [b for b in state.backups.values() if b["displayName"] == "data-nightly-t1"]
    state.age(first["id"], 8)  # time passes: for the cloud, and for what the last up recorded of it
    [recorded] = [g for g in generations(engine)["generations"] if g["name"] == "data-nightly-t1"]
    recorded["created_at"] = first["timeCreated"]
    assert engine.preview(volume_program(stubs, volume, "t2", **aged)).changes() == [
        ("update", "data-nightly-generations")
    ]
    assert held(state) == ["data-nightly-t1", "data-nightly-t2"]
    engine.up(volume_program(stubs, volume, "t2", **aged))
    assert held(state) == ["data-nightly-t2"]


def test_faults_leave_no_duplicate_and_delete_nothing_but_what_retention_names(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    state.terminate_after = 3
    volume = state.add_volume(REGION, COMPARTMENT)
    # Backups of the same volume that are not this entry's: untagged, scheduled, and another stack's series.
    state.create_backup("volume", volume, display_name="by-hand")
    state.create_backup("volume", volume, display_name="scheduled", source_type="SCHEDULED")
    other = stack(stack="other")
    other.up(volume_program(stubs, volume, "o1"))
    engine = stack()
    keep = {"retention": {"keep_last": 1}}
    engine.up(volume_program(stubs, volume, "t1", **keep))
    engine.up(volume_program(stubs, volume, "t2", **keep))
    state.faults.fail_every = 3
    state.faults.drop_delete_responses = 1
    engine.up(volume_program(stubs, volume, "t3", **keep))
    state.faults.fail_every = 0
    assert {429, 503} <= {r.status for r in state.requests}
    names = sorted(b["displayName"] for b in state.live("volume"))
    assert names == ["by-hand", "data-nightly-o1", "data-nightly-t3", "scheduled"]  # one of each, none twice
    deleted = {r.path.rsplit("/", 1)[-1] for r in state.deleted()}
    assert deleted == {
        b["id"] for b in state.backups.values() if b["displayName"] in ("data-nightly-t1", "data-nightly-t2")
    }
    assert len(state.deleted()) == 2  # each deleted once, though an answer was lost
    series = {b["freeformTags"].get(SERIES_KEY) for b in state.live("volume")} - {None}
    assert series == {
        "organization/backup-topology/other/oci-manual-backup/data/nightly",
        "organization/backup-topology/engine/oci-manual-backup/data/nightly",
    }


# --- volume groups ----------------------------------------------------------------------------------------


def group_program(
    stubs: dict[str, BlockStorageStub], volumes: list[str], trigger: str, drill: str | None = None, **backup: Any
) -> Callable[[], None]:
    def run() -> None:
        entry = {"name": "pre-migration", "trigger": trigger, **backup}
        plan = VolumeGroupBackupPlan(
            "ledger",
            {
                "compartment_id": COMPARTMENT,
                "volumes": volumes,
                "availability_domain": "Uocm:US-ASHBURN-AD-1",
                "manual_backups": [entry],
                **access(stubs),
            },
        )
        if drill is not None:
            point = {"source": plan, "manual_backup": "pre-migration", "availability_domain": "Uocm:US-ASHBURN-AD-2"}
            RestoreDrill("ledger-drill", {"trigger": drill, "oci_volume_group": {**point, "compartment_id": DRILLS}})

    return run


def test_group_backups_beyond_keep_last_go_with_their_volume_backups(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volumes = [state.add_volume(REGION, COMPARTMENT) for _ in range(2)]
    engine = stack()
    engine.up(group_program(stubs, volumes, "t1", retention={"keep_last": 1}))
    [group] = state.groups.values()
    assert group["volumeIds"] == volumes
    [first] = state.live("volume_group")
    engine.up(group_program(stubs, volumes, "t2", retention={"keep_last": 1}))
    assert [b["displayName"] for b in state.live("volume_group")] == ["ledger-pre-migration-t2"]
    assert state.backups[first["id"]]["lifecycleState"] in ("TERMINATING", "TERMINATED")
    members = [state.backups[m]["lifecycleState"] for m in first["volumeBackupIds"]]
    assert set(members) <= {"TERMINATING", "TERMINATED"}  # deleted with their group backup
    assert len(state.deleted()) == 1
    record = generations(engine, "ledger-pre-migration-generations")
    assert [g["name"] for g in record["generations"]] == ["ledger-pre-migration-t2"]


def test_a_group_drill_restores_a_new_group_and_the_next_trigger_removes_it_with_its_volumes(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volumes = [state.add_volume(REGION, COMPARTMENT), state.add_volume(REGION, COMPARTMENT)]
    engine = stack()
    # a first preview: the group, its backup and the restored group are not known yet, and that is no error
    preview = engine.preview(group_program(stubs, volumes, "t1", drill="d1", retention={"keep_last": 2}))
    assert preview.of("ledger-pre-migration-generations") == ["create"]
    assert preview.of("ledger-drill-scratch") == ["create"]
    assert state.groups == {}
    up = engine.up(group_program(stubs, volumes, "t1", drill="d1"))
    [restored] = [g for g in state.groups.values() if g["displayName"] == "ledger-drill-d1"]
    assert len(restored["volumeIds"]) == 2
    assert restored["compartmentId"] == DRILLS
    assert up.simulation is not None
    [drill] = [r.outputs for r in up.simulation.resources if r.type == "backup-topology:index:RestoreDrill"]
    assert drill is not None
    assert drill["checks_passed"] is True, drill["error"]
    assert [c["detail"] for c in drill["checks"]][2] == "2 volumes restored, the backup holds 2"
    assert drill["scratch_volume_id"] == restored["id"]
    assert engine.up(group_program(stubs, volumes, "t1", drill="d1")).changes() == []
    engine.up(group_program(stubs, volumes, "t1", drill="d2"))
    assert state.groups[restored["id"]]["lifecycleState"] == "TERMINATED"
    assert {state.volumes[v]["lifecycleState"] for v in restored["volumeIds"]} == {"TERMINATED"}
    [current] = [g for g in state.groups.values() if g["displayName"] == "ledger-drill-d2"]
    assert current["lifecycleState"] == "AVAILABLE"
    assert {state.volumes[v]["lifecycleState"] for v in volumes} == {"AVAILABLE"}  # the source group's stay
    engine.destroy()
    assert state.groups[current["id"]]["lifecycleState"] == "TERMINATED"
    assert {state.volumes[v]["lifecycleState"] for v in current["volumeIds"]} == {"TERMINATED"}
    assert [b["displayName"] for b in state.live("volume_group")] == ["ledger-pre-migration-t1"]  # backups stay


def test_a_group_drill_whose_group_went_out_of_band_is_gone_on_refresh(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volumes = [state.add_volume(REGION, COMPARTMENT)]
    engine = stack()
    engine.up(group_program(stubs, volumes, "t1", drill="d1"))
    [restored] = [g for g in state.groups.values() if g["displayName"] == "ledger-drill-d1"]
    assert engine.refresh().of("ledger-drill-scratch") == ["unchanged"]
    restored["lifecycleState"] = "TERMINATED"
    for volume in restored["volumeIds"]:
        state.volumes[volume]["lifecycleState"] = "TERMINATED"
    assert engine.refresh().of("ledger-drill-scratch") == ["gone"]


def test_generations_of_a_backup_made_now_are_dated_by_the_cloud(
    block_storage: Cloud, stack: Callable[..., Engine]
) -> None:
    state, stubs = block_storage
    volume = state.add_volume(REGION, COMPARTMENT)
    engine = stack()
    engine.up(volume_program(stubs, volume, "t1"))
    [generation] = generations(engine)["generations"]
    created = datetime.datetime.fromisoformat(generation["created_at"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(datetime.UTC) - created).total_seconds()) < 120
    assert generation["id"] == state.live()[0]["id"]
