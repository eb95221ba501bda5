"""Generations: the restore points of one backup spec that a stack holds, found by their series marker, and retention.

Every on-demand backup keeps its earlier generations when a new trigger comes (its resources are retained on delete).
One Generations resource per spec lists them (refresh shows them), deletes those beyond the spec's retention on every
`up` (a preview says when some are due), and, with `delete_on_removal`, deletes them all when the spec is removed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.clouds.calls import CloudError, Deadline, NotFoundError
from components.clouds.ibm_vpc import Vpc
from components.clouds.oci_block_storage import BackupKind, BlockStorageConnection
from components.clouds.oci_block_storage import BlockStorage as OciBlockStorage
from components.clouds.oci_kms import Kms
from components.clouds.openstack_block_storage import BlockStorage
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, is_unknown, progress, state_inputs
from components.dynamic.cinder import OpenStackConnectionProps
from components.dynamic.ibm_snapshot import IbmConnectionProps
from components.dynamic.oci_vault_backup import ConnectionProps as OciConnectionProps
from components.errors import FieldProblemError
from components.retention import (
    SERIES_KEY,
    Generation,
    expired,
    expired_chains,
    ibm_series_tag,
    newest_first,
    oci_series_tag,
    parse_time,
)

_LIST_SECONDS = 120.0
_IBM_LIVE = frozenset({"stable", "pending"})
"""IBM snapshots and groups that are restore points (a `failed` or `suspended` one is not, nor one `deleting`)."""
Kind = Literal[
    "ibm_snapshot",
    "ibm_group",
    "cinder",
    "oci_objects",
    "oci_boot_volume_backups",
    "oci_volume_backups",
    "oci_volume_group_backups",
]
OCI_BACKUP_KINDS: dict[str, BackupKind] = {
    "oci_boot_volume_backups": "boot_volume",
    "oci_volume_backups": "volume",
    "oci_volume_group_backups": "volume_group",
}
"""The Generations kinds of OCI manual backups, and the kind of backup each lists."""
CHAINED = frozenset({"cinder"})
"""Kinds whose generations depend on older ones (Cinder incremental backups): they age out as whole chains."""


class ObjectsProps(BaseModel):
    """Where a vault backup's objects are: `<prefix><trigger>/vault` and `<prefix><trigger>/key-<key>`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    namespace: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    prefix: str


class BlockStorageProps(BaseModel):
    """How the provider reaches OCI Block Volume (no credentials: those come from the environment)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    region: str = Field(min_length=1)
    auth: str | None = None
    profile: str | None = None
    endpoint: str | None = None

    def connection(self) -> BlockStorageConnection:
        return BlockStorageConnection(**self.model_dump())


class BackupsOfProps(BaseModel):
    """Whose OCI backups a series is: the volume or volume group backed up, and the compartment they are held in."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    compartment_id: str = Field(min_length=1)
    source_id: str = Field(min_length=1)


class GenerationsProps(BaseModel):
    """Inputs of Generations."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Kind
    series: str = Field(min_length=1)
    current: list[str] = Field(default_factory=list, description="IDs of the generation the stack holds now.")
    keep_last: int | None = Field(None, ge=1)
    max_age_days: int | None = Field(None, ge=1)
    delete_on_removal: bool = False
    ibm: IbmConnectionProps | None = None
    openstack: OpenStackConnectionProps | None = None
    volume_id: str | None = Field(None, min_length=1, description="The Cinder volume of a cinder series.")
    oci: OciConnectionProps | None = None
    objects: ObjectsProps | None = None
    oci_block: BlockStorageProps | None = None
    backups_of: BackupsOfProps | None = None
    timeouts: Timeouts = Field(default_factory=Timeouts)

    @model_validator(mode="after")
    def _cloud(self) -> GenerationsProps:
        # Each missing input is named, so that one not known yet (a preview drops it) is not judged.
        needs = {
            "cinder": ("openstack", "volume_id"),
            "oci_objects": ("oci", "objects"),
            "ibm_snapshot": ("ibm",),
            "ibm_group": ("ibm",),
            # Without oci_block (a plan with no region) the record holds the series' place and acts on nothing.
            **dict.fromkeys(OCI_BACKUP_KINDS, ("backups_of",)),
        }[self.kind]
        missing = [((field,), f"required by a {self.kind} series") for field in needs if getattr(self, field) is None]
        if self.kind in OCI_BACKUP_KINDS and self.oci_block is None and self._acts():
            missing.append((("oci_block",), "required with retention or delete_on_removal"))
        if missing:
            raise FieldProblemError(missing)
        return self

    def _acts(self) -> bool:
        """Whether the record deletes anything: retention, or deleting everything on removal."""
        return self.keep_last is not None or self.max_age_days is not None or self.delete_on_removal


def _generation(kind: str, id_: str, name: str, created: Any, incremental: bool = False) -> Generation | None:
    """A generation, or None (said in the log) when the cloud gives no usable creation time: it is kept, unjudged."""
    at = parse_time(created)
    if at is None:
        progress(f"{kind} {name} ({id_}): no creation time ({created!r}); kept, and not counted by retention")
        return None
    return Generation(id_, name, at, incremental)


class _Shelf:
    """The generations of one series in one cloud: list them, delete one, tidy the ones kept."""

    def generations(self) -> list[Generation]:
        raise NotImplementedError

    def delete(self, generation: Generation) -> bool:
        """Delete one generation (and wait until it is gone); False when it has to stay."""
        raise NotImplementedError

    def tidy(self, kept: Sequence[Generation], current: Sequence[str]) -> None:
        """Whatever only the current generation needs is removed from the others."""

    def leftovers(self) -> list[str]:
        """What else of the series goes when every generation goes (descriptions, after deleting it)."""
        return []


class _Unreachable(_Shelf):
    """A series the stack cannot reach (an OCI plan without a region): nothing listed, nothing deleted."""

    def generations(self) -> list[Generation]:
        return []

    def delete(self, generation: Generation) -> bool:
        return False


class _IbmSnapshots(_Shelf):
    """Snapshots (or copies) of a region carrying the series tag."""

    def __init__(self, model: GenerationsProps, deadline: Deadline) -> None:
        assert model.ibm is not None
        self._vpc = Vpc(model.ibm.connection(), deadline, progress)
        self._tag = ibm_series_tag(model.series)

    def generations(self) -> list[Generation]:
        found = (
            _generation("snapshot", str(s["id"]), str(s.get("name")), s.get("created_at"))
            for s in self._vpc.tagged_snapshots(self._tag)
            if s.get("lifecycle_state") in _IBM_LIVE
        )
        return [g for g in found if g is not None]

    def delete(self, generation: Generation) -> bool:
        self._vpc.delete_snapshot(generation.id)
        return True

    def tidy(self, kept: Sequence[Generation], current: Sequence[str]) -> None:
        # Fast-restore clones are billed by the hour: only the current generation keeps them.
        for generation in kept:
            if generation.id in current:
                continue
            snapshot = self._vpc.get_snapshot(generation.id)
            for clone in snapshot.get("clones") or []:
                zone = clone["zone"]["name"]
                progress(f"snapshot {generation.name}: fast-restore clone in {zone} removed (not the current one)")
                self._vpc.remove_clone(generation.id, zone)


class _IbmGroups(_Shelf):
    """Consistency groups whose snapshots carry the series tag."""

    def __init__(self, model: GenerationsProps, deadline: Deadline) -> None:
        assert model.ibm is not None
        self._vpc = Vpc(model.ibm.connection(), deadline, progress)
        self._tag = ibm_series_tag(model.series)
        self._members: dict[str, list[str]] = {}

    def generations(self) -> list[Generation]:
        self._members = {}
        for snapshot in self._vpc.tagged_snapshots(self._tag):
            group = (snapshot.get("snapshot_consistency_group") or {}).get("id")
            if group:
                self._members.setdefault(str(group), []).append(str(snapshot["id"]))
        found = []
        for group_id in self._members:
            try:
                group = self._vpc.get_consistency_group(group_id)
            except NotFoundError:
                continue
            if group.get("lifecycle_state") in _IBM_LIVE:
                generation = _generation("consistency group", group_id, str(group.get("name")), group.get("created_at"))
                if generation is not None:
                    found.append(generation)
        return found

    def delete(self, generation: Generation) -> bool:
        group = self._vpc.get_consistency_group(generation.id)
        self._vpc.delete_consistency_group(generation.id)
        if not group.get("delete_snapshots_on_delete", True):  # the group went, its snapshots stayed: they go too
            for snapshot_id in self._members.get(generation.id, []):
                self._vpc.delete_snapshot(snapshot_id)
        return True


class _CinderBackups(_Shelf):
    """Backups of a volume carrying the series metadata; incremental ones chain to the backups before them."""

    def __init__(self, model: GenerationsProps, deadline: Deadline) -> None:
        assert model.openstack is not None
        assert model.volume_id is not None
        self._storage = BlockStorage(model.openstack.connection(), deadline, progress)
        self._volume_id = model.volume_id
        self._series = model.series

    def generations(self) -> list[Generation]:
        found = (
            _generation("backup", str(b["id"]), str(b.get("name")), b.get("created_at"), bool(b.get("is_incremental")))
            for b in self._storage.series_backups(self._volume_id, self._series)
            if b.get("status") not in ("deleting", "error")
        )
        return [g for g in found if g is not None]

    def delete(self, generation: Generation) -> bool:
        try:
            found = self._storage.get_backup(generation.id)
        except NotFoundError:
            return True
        if found.get("has_dependent_backups"):  # a backup outside the series depends on it
            progress(f"backup {generation.name}: kept, because incremental backups depend on it")
            return False
        self._storage.delete_backup(generation.id)
        return True

    def leftovers(self) -> list[str]:
        gone = []
        for snapshot in self._storage.series_snapshots(self._volume_id, self._series):
            self._storage.delete_snapshot(str(snapshot["id"]))
            gone.append(f"snapshot {snapshot.get('name')}")
        return gone


class _VaultObjects(_Shelf):
    """Vault and key backup objects: a generation is the objects one trigger wrote under the spec's prefix.

    The objects are written by OCI's backup service, which sets no marker: a generation counts only when this resource
    recorded its trigger as current (`made`), so objects another stack or entry wrote under the prefix are never its.
    """

    def __init__(self, model: GenerationsProps, deadline: Deadline, made: Collection[str]) -> None:
        assert model.oci is not None
        assert model.objects is not None
        self._kms = Kms(model.oci.connection(), deadline, progress)
        self._where = model.objects
        # Only names the vault backup provider writes count (the backups, and each one's `.json` metadata beside
        # it): anything else under the prefix is not the stack's.
        self._ours = re.compile(rf"^(?P<generation>{re.escape(model.objects.prefix)}[^/]+/)(vault(\.json)?|key-[^/]+)$")
        self._objects: dict[str, list[str]] = {}
        self._made = frozenset(made)

    def generations(self) -> list[Generation]:
        self._objects = {}
        created: dict[str, datetime.datetime] = {}
        where = self._where
        for name, time_created in self._kms.list_objects(where.namespace, where.bucket, where.prefix):
            found = self._ours.match(name)
            if found is None or found["generation"] not in self._made:
                continue
            generation = found["generation"]
            self._objects.setdefault(generation, []).append(name)
            at = parse_time(time_created)
            if at is not None:
                created[generation] = min(at, created.get(generation, at))
        held = (
            _generation("backup objects", g, g.removeprefix(where.prefix).rstrip("/"), created.get(g))
            for g in sorted(self._objects)
        )
        return [g for g in held if g is not None]

    def delete(self, generation: Generation) -> bool:
        for name in self._objects.get(generation.id, []):
            self._kms.delete_object(self._where.namespace, self._where.bucket, name)
        return True


class _OciBackups(_Shelf):
    """Manual backups of one boot volume, block volume or volume group carrying the series' freeform tag.

    Only MANUAL backups count (a policy's scheduled backups expire by their schedule), and only those of the entry's
    own volume or group: a backup restored to a volume passes its tags on to that volume and to its later backups,
    which are of another volume. Incremental backups are not chained here: OCI restores each on its own
    ("Incremental backups are functionally the same as full backups for data recovery purposes", Policy-Based
    Backups), and the service keeps what a later incremental needs when an earlier backup is deleted.
    """

    def __init__(self, model: GenerationsProps, deadline: Deadline) -> None:
        assert model.oci_block is not None
        assert model.backups_of is not None
        self._storage = OciBlockStorage(model.oci_block.connection(), deadline, progress)
        self._kind = OCI_BACKUP_KINDS[model.kind]
        self._of = model.backups_of
        self._tag = oci_series_tag(model.series)

    def generations(self) -> list[Generation]:
        backups = self._storage.backups(self._kind, self._of.compartment_id, source_id=self._of.source_id)
        found = (
            _generation("backup", b.id, b.display_name, b.time_created, b.type == "INCREMENTAL")
            for b in backups
            if b.live and b.source_type == "MANUAL" and b.freeform_tags.get(SERIES_KEY) == self._tag
        )
        return [g for g in found if g is not None]

    def delete(self, generation: Generation) -> bool:
        try:
            backup = self._storage.get_backup(self._kind, generation.id)
        except NotFoundError:
            return True
        refused = backup.deletion_refused()  # read now: a lock or a hold may have come since the listing
        if refused is not None:
            progress(f"backup {generation.name} ({generation.id}): kept, because {refused}")
            return False
        self._storage.delete_backup(self._kind, generation.id)
        return True


def _shelf(model: GenerationsProps, deadline: Deadline, made: Collection[str] = ()) -> _Shelf:
    if model.kind == "ibm_snapshot":
        return _IbmSnapshots(model, deadline)
    if model.kind == "ibm_group":
        return _IbmGroups(model, deadline)
    if model.kind == "oci_objects":
        return _VaultObjects(model, deadline, {*made, *model.current})
    if model.kind in OCI_BACKUP_KINDS:
        return _OciBackups(model, deadline) if model.oci_block is not None else _Unreachable()
    return _CinderBackups(model, deadline)


def _due(model: GenerationsProps, held: Sequence[Generation]) -> list[Generation]:
    """The generations retention deletes now, newest first."""
    if model.keep_last is None and model.max_age_days is None:
        return []
    now = datetime.datetime.now(datetime.UTC)
    rule = expired_chains if model.kind in CHAINED else expired
    return rule(held, model.current, model.keep_last, model.max_age_days, now)


def _recorded(olds: Mapping[str, Any]) -> list[Generation] | None:
    """The generations the state recorded (`generations` output), or None when it holds no record."""
    record = olds.get("generations")
    if not isinstance(record, list):
        return None
    found = (
        _generation("generation", str(g.get("id")), str(g.get("name")), g.get("created_at"), bool(g.get("incremental")))
        for g in record
        if isinstance(g, Mapping)
    )
    return [g for g in found if g is not None]


def _made(olds: Mapping[str, Any], model: GenerationsProps) -> list[str]:
    """The generations this resource has held as current: the last record, and the current one."""
    return sorted({*(olds.get("made") or []), *model.current})


def _outputs(held: Sequence[Generation], made: Sequence[str]) -> dict[str, Any]:
    ordered = newest_first(held)
    return {
        "made": list(made),
        "generations": [g.summary() for g in ordered],
        "count": len(ordered),
        "oldest_created_at": ordered[-1].summary()["created_at"] if ordered else None,
    }


class GenerationsProvider(DynamicProvider):
    """Lists a series' generations, deletes those beyond retention, and all of them on removal when asked."""

    props: ClassVar[type[BaseModel]] = GenerationsProps

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """An input changed, or (with max_age_days) generations have aged past retention since the last run.

        Which generations the series holds, and when each was made, is what the last `up` or `refresh` recorded
        (`generations` in the state): time passing is all that can make one due with unchanged inputs, so a preview
        or an unchanged `up` of a large stack sends no listing per series. The update lists the cloud again.
        """
        result = super().diff(id_, olds, news)
        if result.changes or is_unknown(news):
            return result
        model = GenerationsProps.model_validate(self.model_inputs(news))
        if model.max_age_days is None:  # a count-only retention changes when the stack makes a generation
            return result
        held = _recorded(olds)
        if held is None:  # a state from before the record: the cloud says
            try:
                held = _shelf(model, Deadline(_LIST_SECONDS), _made(olds, model)).generations()
            except CloudError as exc:  # a listing that fails now must not stop a preview: retention waits a run
                progress(f"generations of {model.series}: not listed ({exc}); retention applies at the next run")
                return result
        due = _due(model, held)
        if not due:
            return result
        progress(f"generations of {model.series}: {', '.join(g.name for g in due)} beyond retention, to be deleted")
        return DiffResult(changes=True, replaces=[], stables=[], delete_before_replace=False)

    def _apply(self, props: Mapping[str, Any], olds: Mapping[str, Any], operation: str) -> dict[str, Any]:
        model = GenerationsProps.model_validate(self.model_inputs(props))
        made = _made(olds, model)
        shelf = _shelf(model, self.deadline(props, operation), made)
        held = shelf.generations()
        gone = set()
        for generation in _due(model, held):
            progress(f"generations of {model.series}: deleting {generation.name} ({generation.id}), beyond retention")
            if shelf.delete(generation):
                gone.add(generation.id)
        kept = [g for g in held if g.id not in gone]
        shelf.tidy(kept, model.current)
        # The record keeps what is still held (and the current one): it does not grow with every trigger ever taken.
        still = {g.id for g in kept} | set(model.current)
        return _outputs(kept, [m for m in made if m in still])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Apply retention to what the cloud holds of the series."""
        return CreateResult(str(props["series"]), {**state_inputs(props), **self._apply(props, {}, "create")})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Apply retention (a new current generation, new limits, or generations that aged past them)."""
        return UpdateResult({**state_inputs(news), **self._apply(news, olds, "update")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the generations the cloud holds of the series now."""
        model = GenerationsProps.model_validate(self.model_inputs(props))
        made = _made(props, model)
        held = _shelf(model, Deadline(_LIST_SECONDS), made).generations()
        return ReadResult(id_, {**state_inputs(props), **_outputs(held, made)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """With delete_on_removal, every generation this resource recorded goes (newest first); else all stay.

        Only recorded ones: a generation made meanwhile by another resource of the same series (a component renamed
        without an alias) is not this resource's to delete.
        """
        model = GenerationsProps.model_validate(self.model_inputs(props))
        if not model.delete_on_removal:
            progress(f"generations of {model.series}: kept in the cloud (delete_on_removal is off)")
            return
        made = _made(props, model)
        recorded = {str(g.get("id")) for g in props.get("generations") or [] if isinstance(g, Mapping)} | set(made)
        shelf = _shelf(model, self.deadline(props, "delete"), made)
        try:
            held = [g for g in shelf.generations() if g.id in recorded]
        except NotFoundError:
            return  # the bucket (or volume) is gone, and its generations with it
        for generation in newest_first(held):
            progress(f"generations of {model.series}: deleting {generation.name} ({generation.id})")
            shelf.delete(generation)
        for what in shelf.leftovers():
            progress(f"generations of {model.series}: deleted {what}")


class Generations(pulumi.dynamic.Resource, module=MODULE, name="Generations"):
    """The restore points of one backup spec: listed, pruned by retention, deleted on removal when asked."""

    made: pulumi.Output[list[str]]
    generations: pulumi.Output[list[dict[str, Any]]]
    count: pulumi.Output[int]
    oldest_created_at: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = dict.fromkeys(("made", "generations", "count", "oldest_created_at"))
        super().__init__(GenerationsProvider(), name, {**outputs, **props}, opts)
