"""Dynamic resources on OpenStack Cinder: CinderSnapshot and CinderBackup (a backup made from a snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from components.clouds.calls import CloudError, Deadline, NotFoundError
from components.clouds.openstack_block_storage import MARKER, BlockStorage, OpenStackConnection
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, progress, state_inputs
from components.retention import SERIES_KEY

_READ_SECONDS = 120.0


class _Props(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OpenStackConnectionProps(_Props):
    """Which cloud (clouds.yaml entry, or OS_CLOUD / OS_* variables when empty) and region."""

    cloud: str | None = None
    region_name: str | None = None

    def connection(self) -> OpenStackConnection:
        return OpenStackConnection(cloud=self.cloud, region_name=self.region_name)


class SnapshotProps(_Props):
    """Inputs of CinderSnapshot."""

    name: str = Field(min_length=1, max_length=255)
    trigger: str | None = Field(None, min_length=1, description="A new trigger takes a new snapshot.")
    volume_id: str = Field(min_length=1)
    description: str | None = Field(None, max_length=255)
    force: bool = False
    metadata: dict[str, str] = Field(default_factory=dict)
    connection: OpenStackConnectionProps = Field(default_factory=OpenStackConnectionProps)
    timeouts: Timeouts = Field(default_factory=Timeouts)


class BackupProps(_Props):
    """Inputs of CinderBackup."""

    name: str = Field(min_length=1, max_length=255)
    trigger: str | None = Field(None, min_length=1, description="A new trigger takes a new backup.")
    volume_id: str = Field(min_length=1)
    snapshot_id: str = Field(min_length=1)
    description: str | None = Field(None, max_length=255)
    container: str | None = None
    incremental: bool = False
    force: bool = False
    metadata: dict[str, str] = Field(default_factory=dict)
    connection: OpenStackConnectionProps = Field(default_factory=OpenStackConnectionProps)
    timeouts: Timeouts = Field(default_factory=Timeouts)


def _storage(model: Any, deadline: Deadline) -> BlockStorage:
    return BlockStorage(model.connection.connection(), deadline, progress)


def _owner(model: Any) -> str:
    """The marker value of this resource's snapshot or backup: its name as the program gives it."""
    return str(model.name)


def _user_metadata(item: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in (item.get("metadata") or {}).items() if k != MARKER}


def _description(given: str | None, found: Mapping[str, Any]) -> str | None:
    """The cloud's description, as the input would say it (no description given and none in the cloud agree)."""
    cloud = found.get("description") or None
    return given if cloud == (given or None) else cloud


def _cloud_inputs(props: Mapping[str, Any], found: Mapping[str, Any], model: Any) -> dict[str, Any]:
    """The inputs as the cloud has them now, for refresh: a drift shows, and the next `up` repairs it."""
    return {
        **state_inputs(props),
        "name": found.get("name") or model.name,
        "volume_id": found.get("volume_id") or model.volume_id,
        "description": _description(model.description, found),
        "metadata": _user_metadata(found),
    }


class CinderSnapshotProvider(DynamicProvider):
    """A volume snapshot; adoptable by name and marker metadata; name, description and metadata change in place."""

    props: ClassVar[type[BaseModel]] = SnapshotProps
    immutable: ClassVar[frozenset[str]] = frozenset({"trigger", "volume_id"})
    renamed_by_trigger: ClassVar[bool] = True

    def identity(self, props: Mapping[str, Any]) -> Any:
        return (props.get("volume_id"), props.get("name"))

    def check_before_create(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The volume exists, and an attached volume is snapshotted only with `force`."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(news))
        try:
            volume = _storage(model, Deadline(_READ_SECONDS)).get_volume(model.volume_id)
        except CloudError as exc:
            return [("volume_id", f"cannot be checked before the snapshot: {exc}")]
        if volume.get("status") == "in-use" and not model.force:
            return [
                (
                    "volume_id",
                    f"volume {model.volume_id} is in-use (attached); Cinder snapshots an attached volume only "
                    "with force (snapshot.force: true)",
                )
            ]
        return []

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt this resource's snapshot if an earlier attempt made it; else create it; wait until available."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(props))
        storage = _storage(model, self.deadline(props, "create"))
        owner = _owner(model)
        found = storage.find_snapshot(model.name, model.volume_id, owner)
        if found is None:
            found = storage.create_snapshot(
                {
                    "name": model.name,
                    "volume_id": model.volume_id,
                    "description": model.description,
                    "force": model.force,
                    "metadata": dict(model.metadata),
                },
                owner,
            )
        else:
            progress(f"snapshot {model.name}: adopting {found['id']}, made by an earlier attempt")
        snapshot_id = str(found["id"])
        try:
            ready = storage.wait_snapshot(snapshot_id)
        except CloudError as exc:
            fate = _remove_failed(storage.get_snapshot, storage.delete_snapshot, f"snapshot {snapshot_id}", snapshot_id)
            msg = f"{exc} (snapshot {snapshot_id} of volume {model.volume_id}){fate}"
            raise CloudError(msg) from None
        return CreateResult(str(ready["id"]), {**state_inputs(props), **_snapshot_outputs(ready)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Name, description and metadata are set to the inputs' values."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(news))
        storage = _storage(model, self.deadline(news, "update"))
        storage.update_snapshot(id_, model.name, model.description, dict(model.metadata), _owner(model))
        return UpdateResult({**state_inputs(news), **_snapshot_outputs(storage.get_snapshot(id_))})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the snapshot as Cinder has it (name, description, metadata); an empty id when it is gone."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(props))
        try:
            found = _storage(model, Deadline(_READ_SECONDS)).get_snapshot(id_)
        except NotFoundError:
            return ReadResult("", {})
        return ReadResult(id_, {**_cloud_inputs(props, found, model), **_snapshot_outputs(found)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        model: Any = SnapshotProps.model_validate(self.model_inputs(props))
        _storage(model, self.deadline(props, "delete")).delete_snapshot(id_)


def _remove_failed(get: Callable[[str], dict[str, Any]], delete: Callable[..., None], what: str, item_id: str) -> str:
    """A snapshot or backup in `error` is useless: ask Cinder to delete it, so nothing half-made stays.

    Returns what became of it, for the error message. One still `creating` cannot be deleted: it is named.
    """
    try:
        status = get(item_id).get("status")
        if status != "error":
            return f"; {what} is left {status}: check it in Cinder"
        delete(item_id, wait=False)
    except CloudError as exc:
        return f"; {what} could not be removed ({exc})"
    return f"; {what} was removed"


def _snapshot_outputs(found: Mapping[str, Any]) -> dict[str, Any]:
    return {"snapshot_id": found.get("id"), "status": found.get("status"), "size_gb": found.get("size")}


class CinderBackupProvider(DynamicProvider):
    """A backup made from a snapshot; the first backup of a volume is full; a failed one is removed, not kept."""

    props: ClassVar[type[BaseModel]] = BackupProps
    # The snapshot a backup was made from is history once the backup exists: a snapshot made again (after it was
    # deleted out of band) is recorded, it does not call for a new backup.
    immutable: ClassVar[frozenset[str]] = frozenset({"trigger", "volume_id", "container", "incremental"})
    renamed_by_trigger: ClassVar[bool] = True

    def unmarked(self, olds: Mapping[str, Any]) -> bool:
        return SERIES_KEY not in (olds.get("metadata") or {})

    def identity(self, props: Mapping[str, Any]) -> Any:
        return (props.get("volume_id"), props.get("name"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt or create the backup, wait until available; on `error`, delete it and report Cinder's fail_reason."""
        model: Any = BackupProps.model_validate(self.model_inputs(props))
        storage = _storage(model, self.deadline(props, "create"))
        owner = _owner(model)
        found = storage.find_backup(model.name, model.volume_id, owner)
        if found is None:
            incremental = model.incremental
            if incremental and not any(b.get("status") == "available" for b in storage.volume_backups(model.volume_id)):
                progress(f"backup {model.name}: volume {model.volume_id} has no backup yet, so this first one is full")
                incremental = False
            attrs: dict[str, Any] = {
                "name": model.name,
                "volume_id": model.volume_id,
                "snapshot_id": model.snapshot_id,
                "description": model.description,
                "is_incremental": incremental,
                "metadata": dict(model.metadata),
            }
            if model.force:
                attrs["force"] = True
            if model.container:
                attrs["container"] = model.container
            found = storage.create_backup(attrs, owner)
        else:
            progress(f"backup {model.name}: adopting {found['id']}, made by an earlier attempt")
        backup_id = str(found["id"])
        try:
            ready = storage.wait_backup(backup_id)
        except CloudError as exc:
            fate = _remove_failed(storage.get_backup, storage.delete_backup, f"backup {backup_id}", backup_id)
            msg = f"{exc} (backup {backup_id} of volume {model.volume_id} from snapshot {model.snapshot_id}){fate}"
            raise CloudError(msg) from None
        return CreateResult(backup_id, {**state_inputs(props), **_backup_outputs(ready)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Name, description and metadata are set to the inputs' values."""
        model: Any = BackupProps.model_validate(self.model_inputs(news))
        storage = _storage(model, self.deadline(news, "update"))
        storage.update_backup(id_, model.name, model.description, dict(model.metadata), _owner(model))
        return UpdateResult({**state_inputs(news), **_backup_outputs(storage.get_backup(id_))})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the backup as Cinder has it; an empty id when it was deleted out of band.

        A container left to Cinder's default stays unset: only a container the inputs name can drift.
        """
        model: Any = BackupProps.model_validate(self.model_inputs(props))
        try:
            found = _storage(model, Deadline(_READ_SECONDS)).get_backup(id_)
        except NotFoundError:
            return ReadResult("", {})
        cloud = _cloud_inputs(props, found, model)
        if model.container is not None:
            cloud["container"] = found.get("container")
        return ReadResult(id_, {**cloud, **_backup_outputs(found)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the backup, unless incremental backups depend on it: then it is kept, and that is said."""
        model: Any = BackupProps.model_validate(self.model_inputs(props))
        storage = _storage(model, self.deadline(props, "delete"))
        try:
            found = storage.get_backup(id_)
        except NotFoundError:
            return
        if found.get("has_dependent_backups"):
            progress(f"backup {id_}: kept, because incremental backups depend on it")
            return
        storage.delete_backup(id_)


def _backup_outputs(found: Mapping[str, Any]) -> dict[str, Any]:
    """What the state keeps of a backup; the container Cinder chose is `backup_container`, never the input."""
    return {
        "backup_id": found.get("id"),
        "status": found.get("status"),
        "size_gb": found.get("size"),
        "is_incremental": found.get("is_incremental"),
        "backup_container": found.get("container"),
    }


class CinderSnapshot(pulumi.dynamic.Resource, module=MODULE, name="CinderSnapshot"):
    """A Cinder volume snapshot."""

    snapshot_id: pulumi.Output[str]
    status: pulumi.Output[str]
    size_gb: pulumi.Output[int]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = dict.fromkeys(("snapshot_id", "status", "size_gb"))
        super().__init__(CinderSnapshotProvider(), name, {**outputs, **props}, opts)


class CinderBackup(pulumi.dynamic.Resource, module=MODULE, name="CinderBackup"):
    """A Cinder backup made from a snapshot."""

    backup_id: pulumi.Output[str]
    status: pulumi.Output[str]
    size_gb: pulumi.Output[int]
    is_incremental: pulumi.Output[bool]
    backup_container: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = dict.fromkeys(("backup_id", "status", "size_gb", "is_incremental", "backup_container"))
        super().__init__(CinderBackupProvider(), name, {**outputs, **props}, opts)
