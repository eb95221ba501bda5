"""OciScratchVolumeGroup: the volume group a drill restored, and its volumes, removed when the drill moves on.

A volume group restored from a backup (the native `oci.core.VolumeGroup` of a drill) holds new volumes; deleting the
group deletes none of them ("When you delete a volume group, the individual volumes in the group aren't deleted",
Working with Volume Groups), and a volume of a group cannot be deleted while the group holds it. The drill's native
group is kept by the engine (retained on delete); this record of it deletes the group, then each of its volumes,
when a new trigger replaces the drill or the drill is removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from components.clouds.calls import Deadline, NotFoundError
from components.clouds.oci_block_storage import BlockStorage
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, progress, state_inputs
from components.dynamic.generations import BlockStorageProps

_READ_SECONDS = 120.0


class ScratchGroupProps(BaseModel):
    """Inputs of OciScratchVolumeGroup."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    volume_group_id: str = Field(pattern=r"^ocid1\.volumegroup\.")
    volume_ids: list[str] = Field(default_factory=list, description="The volumes the restore made.")
    connection: BlockStorageProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class OciScratchVolumeGroupProvider(DynamicProvider):
    """Records a restored volume group; deletes it and then its volumes when the record goes."""

    props: ClassVar[type[BaseModel]] = ScratchGroupProps
    immutable: ClassVar[frozenset[str]] = frozenset({"volume_group_id"})
    """Another group (a new trigger's restore) is another record: the old one goes, and its group with it."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Nothing to make: the native group exists; its record is kept."""
        model = ScratchGroupProps.model_validate(self.model_inputs(props))
        return CreateResult(f"scratch-{model.volume_group_id}", state_inputs(props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The same group with other settings (deadlines, connection): the record changes, nothing in OCI."""
        return UpdateResult(state_inputs(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the record goes only when the group and every one of its volumes are gone (what is left of
        them, the record's delete removes)."""
        model = ScratchGroupProps.model_validate(self.model_inputs(props))
        storage = BlockStorage(model.connection.connection(), Deadline(_READ_SECONDS), progress)
        try:
            if storage.get_volume_group(model.volume_group_id).lifecycle_state != "TERMINATED":
                return ReadResult(id_, state_inputs(props))
        except NotFoundError:
            pass
        if any(storage.volume_exists(volume_id) for volume_id in model.volume_ids):
            return ReadResult(id_, state_inputs(props))
        return ReadResult("", {})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """The group first (a volume of a group cannot be deleted), then each volume the restore made."""
        model = ScratchGroupProps.model_validate(self.model_inputs(props))
        storage = BlockStorage(model.connection.connection(), self.deadline(props, "delete"), progress)
        progress(f"drill: removing volume group {model.volume_group_id} and its {len(model.volume_ids)} volumes")
        storage.delete_volume_group(model.volume_group_id)
        for volume_id in model.volume_ids:
            storage.delete_volume(volume_id)


class OciScratchVolumeGroup(pulumi.dynamic.Resource, module=MODULE, name="OciScratchVolumeGroup"):
    """A volume group a drill restored, removed with its volumes when the record goes."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OciScratchVolumeGroupProvider(), name, dict(props), opts)
