"""Dynamic resources on IBM Cloud VPC: IbmSnapshot (with clones), IbmSnapshotConsistencyGroup, IbmSnapshotCopy."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from components.clouds.calls import CloudError, Deadline, NotFoundError
from components.clouds.ibm_vpc import (
    COPY_SIZE_LIMIT_GB,
    GEN1_SNAPSHOT_LIMIT_GB,
    UNATTACHED_SNAPSHOT_REGIONS,
    IbmConnection,
    Vpc,
    is_second_generation,
)
from components.config.ibm import KeyCrn
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, progress, state_inputs
from components.retention import IBM_SERIES_TAG

_CHECK_SECONDS = 120.0
_IBM_NAME = r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"


class _Props(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class IbmConnectionProps(_Props):
    """Which region's VPC API to call (credentials come from the environment)."""

    region: str = Field(min_length=1)
    endpoint: str | None = None

    def connection(self) -> IbmConnection:
        return IbmConnection(region=self.region, endpoint=self.endpoint)


class SnapshotProps(_Props):
    """Inputs of IbmSnapshot."""

    name: str = Field(pattern=_IBM_NAME)
    trigger: str | None = Field(None, min_length=1, description="A new trigger takes a new snapshot.")
    source_volume_id: str = Field(min_length=1)
    resource_group_id: str | None = None
    user_tags: list[str] = Field(default_factory=list)
    clone_zones: list[str] = Field(default_factory=list)
    connection: IbmConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class GroupProps(_Props):
    """Inputs of IbmSnapshotConsistencyGroup."""

    name: str = Field(pattern=_IBM_NAME)
    trigger: str | None = Field(None, min_length=1, description="A new trigger takes new snapshots.")
    source_volume_ids: list[str] = Field(min_length=1)
    resource_group_id: str | None = None
    delete_snapshots_on_delete: bool = True
    user_tags: list[str] = Field(default_factory=list, description="User tags of every snapshot of the group.")
    connection: IbmConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class CopyProps(_Props):
    """Inputs of IbmSnapshotCopy: a copy, in the destination region, of another region's snapshot."""

    name: str = Field(pattern=_IBM_NAME)
    trigger: str | None = Field(None, min_length=1, description="The source's trigger: a new source, a new copy.")
    source_snapshot_id: str = Field(min_length=1)
    source: IbmConnectionProps
    destination: IbmConnectionProps
    encryption_key_crn: KeyCrn | None = None
    resource_group_id: str | None = None
    allow_source_over_10tb: bool = False
    user_tags: list[str] = Field(default_factory=list)
    timeouts: Timeouts = Field(default_factory=Timeouts)


def snapshot_outputs(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """What the state keeps of a snapshot."""
    return {
        "snapshot_id": snapshot.get("id"),
        "crn": snapshot.get("crn"),
        "lifecycle_state": snapshot.get("lifecycle_state"),
        "size_gb": snapshot.get("size"),
        "minimum_capacity_gb": snapshot.get("minimum_capacity"),
        "encryption": snapshot.get("encryption"),
        "clones": {zone: {"available": available} for zone, available in _clones(snapshot).items()},
    }


def _clones(snapshot: Mapping[str, Any]) -> dict[str, bool]:
    """Zone -> available, for the snapshot's fast-restore clones."""
    return {c["zone"]["name"]: bool(c.get("available")) for c in snapshot.get("clones", []) or []}


def _ordered(found: Iterable[str], given: list[str]) -> list[str]:
    """The cloud's list in the order the inputs give (the cloud's own order is not the user's); extras last."""
    have = list(dict.fromkeys(found))
    return [v for v in given if v in have] + sorted(v for v in have if v not in given)


def _group_id(resource: Mapping[str, Any]) -> str | None:
    return (resource.get("resource_group") or {}).get("id")


def _untagged(olds: Mapping[str, Any]) -> bool:
    """The old inputs carry no series tag: the snapshot (or group, or copy) was made by an earlier version."""
    return not any(str(t).startswith(IBM_SERIES_TAG) for t in olds.get("user_tags") or [])


def _vpc(props: Any, operation: str, provider: DynamicProvider, raw: Mapping[str, Any]) -> Vpc:
    return Vpc(props.connection.connection(), provider.deadline(raw, operation), progress)


def _patch_differences(
    vpc_update: Any, resource_id: str, name: str, found: Mapping[str, Any], extra: dict[str, Any]
) -> None:
    """PATCH what differs from the cloud (the name, and `extra`): nothing is sent when nothing differs."""
    patch = {k: v for k, v in {"name": name, **extra}.items() if found.get(k) != v}
    if patch:
        vpc_update(resource_id, patch)


class IbmSnapshotProvider(DynamicProvider):
    """One snapshot with its fast-restore clones: created in one POST; clones, tags and name changed in place."""

    props: ClassVar[type[BaseModel]] = SnapshotProps
    immutable: ClassVar[frozenset[str]] = frozenset({"trigger", "source_volume_id", "resource_group_id"})
    renamed_by_trigger: ClassVar[bool] = True

    def unmarked(self, olds: Mapping[str, Any]) -> bool:
        return _untagged(olds)

    def identity(self, props: Mapping[str, Any]) -> Any:
        return ((props.get("connection") or {}).get("region"), props.get("name"))

    def check_before_create(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The volume as IBM Cloud takes a snapshot of it (available, not busy, attached to a running instance
        where IBM requires it, not over 10 TB); clone zones are zones of the region, not the volume's own."""
        props: Any = SnapshotProps.model_validate(self.model_inputs(news))
        try:
            vpc = Vpc(props.connection.connection(), Deadline(_CHECK_SECONDS))
            volume = vpc.get_volume(props.source_volume_id)
            zones = vpc.zones()
        except CloudError as exc:
            return [("source_volume_id", f"cannot be checked before the snapshot: {exc}")]
        problems = [("source_volume_id", why) for why in volume_problems(volume, props.connection.region)]
        wrong = [z for z in props.clone_zones if z not in zones]
        if wrong:
            why = f"{', '.join(wrong)} not zones of {props.connection.region} ({', '.join(zones)})"
            problems.append(("clone_zones", why))
        home = (volume.get("zone") or {}).get("name")
        if home in props.clone_zones:
            # Seed 004 / "Creating Block Storage snapshots" (snapshots-vpc-create-snapshot-clone-api): "Indicate a
            # different zone or zones in your region from the zone in which you're creating the snapshot."
            why = (
                f"{home} is the zone of volume {props.source_volume_id}: a fast-restore clone is made in another "
                "zone of the region"
            )
            problems.append((f"clone_zones[{list(props.clone_zones).index(home)}]", why))
        return problems

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the snapshot of that name if it exists (a retried or re-run create), else POST it with its clones."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(props))
        vpc = _vpc(model, "create", self, props)
        snapshot = vpc.find_snapshot(model.name)
        if snapshot is not None:
            if (snapshot.get("source_volume") or {}).get("id") != model.source_volume_id:
                msg = (
                    f"snapshot name {model.name} is taken in {model.connection.region} by snapshot "
                    f"{snapshot.get('id')} of another volume; names are unique per region"
                )
                raise CloudError(msg)
            progress(f"snapshot {model.name}: adopting {snapshot.get('id')}, made by an earlier attempt")
            self._converge(vpc, str(snapshot["id"]), model, snapshot)
        else:
            prototype: dict[str, Any] = {
                "name": model.name,
                "source_volume": {"id": model.source_volume_id},
                "clones": [{"zone": {"name": z}} for z in model.clone_zones],
            }
            if model.user_tags:
                prototype["user_tags"] = list(model.user_tags)
            if model.resource_group_id:
                prototype["resource_group"] = {"id": model.resource_group_id}
            snapshot = vpc.create_snapshot(prototype)
        ready = vpc.wait_snapshot_ready(str(snapshot["id"]), list(model.clone_zones))
        return CreateResult(str(ready["id"]), {**state_inputs(props), **snapshot_outputs(ready)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Clones added or removed (PUT/DELETE per zone), name and tags patched: the cloud is made to match."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(news))
        vpc = _vpc(model, "update", self, news)
        self._converge(vpc, id_, model, vpc.get_snapshot(id_))
        ready = vpc.wait_snapshot_ready(id_, list(model.clone_zones))
        return UpdateResult({**state_inputs(news), **snapshot_outputs(ready)})

    @staticmethod
    def _converge(vpc: Vpc, id_: str, model: Any, found: Mapping[str, Any]) -> None:
        """Make the snapshot's clones, name and tags what the inputs say, from what the cloud has now."""
        have = set(_clones(found))
        for zone in sorted(have - set(model.clone_zones)):
            vpc.remove_clone(id_, zone)
        for zone in model.clone_zones:
            if zone not in have:
                vpc.add_clone(id_, zone)
        tags = {} if set(found.get("user_tags") or []) == set(model.user_tags) else {"user_tags": list(model.user_tags)}
        _patch_differences(vpc.update_snapshot, id_, model.name, found, tags)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: name, volume, resource group, tags and clone zones as IBM Cloud has them; empty id when gone."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(props))
        try:
            snapshot = Vpc(model.connection.connection(), Deadline(_CHECK_SECONDS)).get_snapshot(id_)
        except NotFoundError:
            return ReadResult("", {})
        cloud = {
            "name": snapshot.get("name"),
            "source_volume_id": (snapshot.get("source_volume") or {}).get("id"),
            "user_tags": _ordered(snapshot.get("user_tags") or [], list(model.user_tags)),
            "clone_zones": _ordered(_clones(snapshot), list(model.clone_zones)),
        }
        if model.resource_group_id is not None:  # none given: the account's default, whatever it is
            cloud["resource_group_id"] = _group_id(snapshot)
        return ReadResult(id_, {**state_inputs(props), **cloud, **snapshot_outputs(snapshot)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the snapshot (and with it its clones); already gone is fine."""
        model: Any = SnapshotProps.model_validate(self.model_inputs(props))
        _vpc(model, "delete", self, props).delete_snapshot(id_)


class IbmSnapshotConsistencyGroupProvider(DynamicProvider):
    """Snapshots of several first-generation volumes taken together; name and deletion rule changed in place."""

    props: ClassVar[type[BaseModel]] = GroupProps
    immutable: ClassVar[frozenset[str]] = frozenset({"trigger", "source_volume_ids", "resource_group_id"})
    renamed_by_trigger: ClassVar[bool] = True

    def unmarked(self, olds: Mapping[str, Any]) -> bool:
        return _untagged(olds)

    def identity(self, props: Mapping[str, Any]) -> Any:
        return ((props.get("connection") or {}).get("region"), props.get("name"))

    def check_before_create(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Each volume as IBM Cloud snapshots it (see `volume_problems`) and of the first generation; all attached
        to one instance."""
        props: Any = GroupProps.model_validate(self.model_inputs(news))
        problems: list[tuple[str, str]] = []
        try:
            vpc = Vpc(props.connection.connection(), Deadline(_CHECK_SECONDS))
            volumes = [vpc.get_volume(volume_id) for volume_id in props.source_volume_ids]
        except CloudError as exc:
            return [("source_volume_ids", f"cannot be checked before the snapshots: {exc}")]
        for i, volume in enumerate(volumes):
            at = f"source_volume_ids[{i}]"
            if is_second_generation(volume):
                # "About Block Storage for VPC snapshots" (#multi-volume-snapshots): "Multi-volume snapshots of a
                # consistency group are not yet supported for second-generation block storage."
                profile = (volume.get("profile") or {}).get("name")
                why = (
                    f"volume {volume.get('id')} is a second-generation volume (profile {profile}); "
                    "consistency group snapshots are not supported for them"
                )
                problems.append((at, why))
                continue
            problems += [(at, why) for why in volume_problems(volume, props.connection.region)]
        problems += _one_instance(volumes)
        return problems

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the group of that name if it covers these volumes, else POST /snapshot_consistency_groups."""
        model: Any = GroupProps.model_validate(self.model_inputs(props))
        vpc = _vpc(model, "create", self, props)
        group = vpc.find_consistency_group(model.name)
        if group is not None:
            covered = _volumes_of(_members(vpc, group))
            if sorted(covered) != sorted(model.source_volume_ids):
                msg = (
                    f"snapshot consistency group name {model.name} is taken in {model.connection.region} by group "
                    f"{group.get('id')} of volumes {', '.join(sorted(covered)) or 'none'}, not "
                    f"{', '.join(sorted(model.source_volume_ids))}; names are unique per region"
                )
                raise CloudError(msg)
            progress(f"consistency group {model.name}: adopting {group.get('id')}, made by an earlier attempt")
            _patch_differences(
                vpc.update_consistency_group,
                str(group["id"]),
                model.name,
                group,
                {"delete_snapshots_on_delete": model.delete_snapshots_on_delete},
            )
        else:
            prototype: dict[str, Any] = {
                "name": model.name,
                "delete_snapshots_on_delete": model.delete_snapshots_on_delete,
                "snapshots": [
                    {"name": f"{model.name}-{i}", "source_volume": {"id": v}}
                    | ({"user_tags": list(model.user_tags)} if model.user_tags else {})
                    for i, v in enumerate(model.source_volume_ids)
                ],
            }
            if model.resource_group_id:
                prototype["resource_group"] = {"id": model.resource_group_id}
            group = vpc.create_consistency_group(prototype)
        ready = vpc.wait_group_ready(str(group["id"]))
        return CreateResult(str(ready["id"]), {**state_inputs(props), **_group_outputs(ready)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Name and `delete_snapshots_on_delete` are patched (If-Match) when IBM Cloud has other values; so are
        the user tags of each member snapshot."""
        model: Any = GroupProps.model_validate(self.model_inputs(news))
        vpc = _vpc(model, "update", self, news)
        found = vpc.get_consistency_group(id_)
        _patch_differences(
            vpc.update_consistency_group,
            id_,
            model.name,
            found,
            {"delete_snapshots_on_delete": model.delete_snapshots_on_delete},
        )
        for snapshot in _members(vpc, found):
            if set(snapshot.get("user_tags") or []) != set(model.user_tags):
                vpc.update_snapshot(str(snapshot["id"]), {"user_tags": list(model.user_tags)})
        return UpdateResult({**state_inputs(news), **_group_outputs(vpc.get_consistency_group(id_))})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: name, deletion rule, member volumes, their snapshots' user tags and resource group as IBM Cloud
        has them."""
        model: Any = GroupProps.model_validate(self.model_inputs(props))
        vpc = Vpc(model.connection.connection(), Deadline(_CHECK_SECONDS))
        try:
            group = vpc.get_consistency_group(id_)
        except NotFoundError:
            return ReadResult("", {})
        members = _members(vpc, group)
        cloud: dict[str, Any] = {
            "name": group.get("name"),
            "delete_snapshots_on_delete": bool(group.get("delete_snapshots_on_delete")),
            "source_volume_ids": _ordered(_volumes_of(members), list(model.source_volume_ids)),
            "user_tags": _ordered(_members_tags(members, list(model.user_tags)), list(model.user_tags)),
        }
        if model.resource_group_id is not None:
            cloud["resource_group_id"] = _group_id(group)
        return ReadResult(id_, {**state_inputs(props), **cloud, **_group_outputs(group)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        model: Any = GroupProps.model_validate(self.model_inputs(props))
        _vpc(model, "delete", self, props).delete_consistency_group(id_)


def volume_problems(volume: Mapping[str, Any], region: str) -> list[str]:
    """Why IBM Cloud would not take a snapshot of `volume` (as the API reads it) now; none when it would.

    From seed 004 / IBM Cloud docs "Creating Block Storage snapshots" (a first-generation volume, boot or data, must
    be attached to a running virtual server instance; a second-generation one need not be, in the regions listed;
    the CLI section: "available, attached to an instance and not busy") and "About Block Storage for VPC snapshots",
    Limitations (#snapshots-vpc-limitations: not a degraded volume; not a first-generation volume over 10 TB).
    """
    name = volume.get("id")
    problems: list[str] = []
    status = volume.get("status")
    if status != "available":
        problems.append(f"volume {name} is {status}; IBM Cloud takes a snapshot of an available volume only")
    if volume.get("busy"):
        problems.append(
            f"volume {name} is busy with another operation (its `busy` flag); IBM Cloud takes no snapshot of it "
            "until that ends: retry when it is done"
        )
    if volume.get("health_state") == "degraded":
        problems.append(f"volume {name} is degraded; IBM Cloud takes no snapshot of a degraded volume")
    second = is_second_generation(volume)
    if not volume.get("active") and (not second or region not in UNATTACHED_SNAPSHOT_REGIONS):
        instances = [a.get("instance") or {} for a in volume.get("volume_attachments") or []]
        where = (
            "is attached to instance "
            + ", ".join(f"{i.get('name')} ({i.get('id')})" for i in instances)
            + ", which is not running"
            if instances
            else "is not attached to any virtual server instance"
        )
        rule = (
            f"in {region} IBM Cloud snapshots a second-generation volume"
            if second
            else "IBM Cloud snapshots a first-generation volume (boot or data)"
        )
        problems.append(f"volume {name} {where}; {rule} only while it is attached to a running instance")
    capacity = int(volume.get("capacity") or 0)
    if not second and capacity > GEN1_SNAPSHOT_LIMIT_GB:
        problems.append(
            f"volume {name} is a first-generation volume of {capacity} GB; IBM Cloud takes no snapshot of one over "
            f"10 TB ({GEN1_SNAPSHOT_LIMIT_GB} GB)"
        )
    return problems


def _one_instance(volumes: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The volumes of a consistency group are attached to the same instance ("About Block Storage for VPC
    snapshots", #multi-volume-snapshots): a problem for each volume attached elsewhere than the first one."""
    hosts = [{(a.get("instance") or {}).get("id") for a in v.get("volume_attachments") or []} for v in volumes]
    first = next((i for i, h in enumerate(hosts) if h), None)
    if first is None:
        return []  # none attached: each volume's own problem says so
    problems = []
    for i, host in enumerate(hosts):
        if host and not host & hosts[first]:
            why = (
                f"volume {volumes[i].get('id')} is attached to instance {', '.join(sorted(map(str, host)))}, "
                f"volume {volumes[first].get('id')} (source_volume_ids[{first}]) to "
                f"{', '.join(sorted(map(str, hosts[first])))}: a consistency group's volumes are attached to one "
                "instance"
            )
            problems.append((f"source_volume_ids[{i}]", why))
    return problems


def _members(vpc: Vpc, group: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A group's snapshots as IBM Cloud has them (a group lists only their IDs); one deleted out of band is left out:
    it covers nothing any more."""
    snapshots = []
    for member in group.get("snapshots", []) or []:
        try:
            snapshots.append(vpc.get_snapshot(str(member.get("id"))))
        except NotFoundError:
            continue
    return snapshots


def _volumes_of(snapshots: Iterable[Mapping[str, Any]]) -> list[str]:
    """The source volumes of snapshots."""
    volumes = ((s.get("source_volume") or {}).get("id") for s in snapshots)
    return [str(v) for v in volumes if v]


def _members_tags(snapshots: Sequence[Mapping[str, Any]], given: list[str]) -> list[str]:
    """The user tags of a group's snapshots, one list for all as the inputs give them: the tags every snapshot has
    when they all agree, else those of the first snapshot that differs from the inputs (so that drift shows)."""
    tag_sets = [set(s.get("user_tags") or []) for s in snapshots]
    differing = [tags for tags in tag_sets if tags != set(given)]
    return sorted(differing[0]) if differing else list(given)


def _group_outputs(group: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "group_id": group.get("id"),
        "crn": group.get("crn"),
        "lifecycle_state": group.get("lifecycle_state"),
        "snapshot_ids": [s.get("id") for s in _in_volume_order(group.get("snapshots", []) or [])],
    }


def _in_volume_order(members: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A group's snapshots in the order of its volumes: the create names them `<group>-<n>`, n the volume's place.

    The API's own order is not promised; when a name does not end in its number (renamed), that order is kept.
    """
    places = [re.search(r"-(\d+)$", str(m.get("name") or "")) for m in members]
    if not all(places):
        return list(members)
    return [m for _, m in sorted(zip((int(p[1]) for p in places if p), members, strict=True), key=lambda pm: pm[0])]


class IbmSnapshotCopyProvider(DynamicProvider):
    """A cross-region copy of a snapshot, made through the destination region's API from the source's CRN."""

    props: ClassVar[type[BaseModel]] = CopyProps
    # The source (its ID and how it is reached) is history once the copy exists: a source made again is recorded,
    # not copied again. The copy's region is the destination's.
    immutable: ClassVar[frozenset[str]] = frozenset({"trigger", "encryption_key_crn", "resource_group_id"})
    renamed_by_trigger: ClassVar[bool] = True

    def unmarked(self, olds: Mapping[str, Any]) -> bool:
        return _untagged(olds)

    def identity(self, props: Mapping[str, Any]) -> Any:
        return ((props.get("destination") or {}).get("region"), props.get("name"))

    def replaces(self, olds: Mapping[str, Any], news: Mapping[str, Any], changed: set[str]) -> set[str]:
        found = super().replaces(olds, news, changed)
        if "destination" in changed and self.identity(olds)[0] != self.identity(news)[0]:
            found.add("destination")
        return found

    def check_before_create(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        props: Any = CopyProps.model_validate(self.model_inputs(news))
        try:
            source = Vpc(props.source.connection(), Deadline(_CHECK_SECONDS)).get_snapshot(props.source_snapshot_id)
        except CloudError as exc:
            return [("source_snapshot_id", f"cannot be checked before the copy: {exc}")]
        return copy_rules(source, props)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Refuse what the service would; adopt a copy of that name; else POST /snapshots in the destination."""
        model: Any = CopyProps.model_validate(self.model_inputs(props))
        deadline = self.deadline(props, "create")
        source = Vpc(model.source.connection(), deadline, progress).get_snapshot(model.source_snapshot_id)
        problems = copy_rules(source, model)
        if problems:
            raise CloudError("; ".join(f"{field}: {why}" for field, why in problems))
        vpc = Vpc(model.destination.connection(), deadline, progress)
        copy = vpc.find_snapshot(model.name)
        if copy is not None:
            if (copy.get("source_snapshot") or {}).get("crn") != source.get("crn"):
                msg = (
                    f"snapshot name {model.name} is taken in {model.destination.region} by snapshot {copy.get('id')}, "
                    "which is not a copy of the source; names are unique per region"
                )
                raise CloudError(msg)
            progress(f"copy {model.name}: adopting {copy.get('id')}, made by an earlier attempt")
        else:
            prototype: dict[str, Any] = {"name": model.name, "source_snapshot": {"crn": source.get("crn")}}
            if model.user_tags:
                prototype["user_tags"] = list(model.user_tags)
            if model.encryption_key_crn:
                prototype["encryption_key"] = {"crn": model.encryption_key_crn}
            if model.resource_group_id:
                prototype["resource_group"] = {"id": model.resource_group_id}
            copy = vpc.create_snapshot(prototype)
        ready = vpc.wait_snapshot_ready(str(copy["id"]), [])
        return CreateResult(str(ready["id"]), {**state_inputs(props), **snapshot_outputs(ready)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Name and tags are patched when IBM Cloud has others; the other inputs only matter when the copy is made."""
        model: Any = CopyProps.model_validate(self.model_inputs(news))
        vpc = Vpc(model.destination.connection(), self.deadline(news, "update"), progress)
        found = vpc.get_snapshot(id_)
        tags = {} if set(found.get("user_tags") or []) == set(model.user_tags) else {"user_tags": list(model.user_tags)}
        _patch_differences(vpc.update_snapshot, id_, model.name, found, tags)
        return UpdateResult({**state_inputs(news), **snapshot_outputs(vpc.get_snapshot(id_))})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the copy's name, key and resource group as IBM Cloud has them; empty id when gone."""
        model: Any = CopyProps.model_validate(self.model_inputs(props))
        try:
            copy = Vpc(model.destination.connection(), Deadline(_CHECK_SECONDS)).get_snapshot(id_)
        except NotFoundError:
            return ReadResult("", {})
        cloud: dict[str, Any] = {
            "name": copy.get("name"),
            "encryption_key_crn": (copy.get("encryption_key") or {}).get("crn") if model.encryption_key_crn else None,
            "user_tags": _ordered(copy.get("user_tags") or [], list(model.user_tags)),
        }
        if model.resource_group_id is not None:
            cloud["resource_group_id"] = _group_id(copy)
        return ReadResult(id_, {**state_inputs(props), **cloud, **snapshot_outputs(copy)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        model: Any = CopyProps.model_validate(self.model_inputs(props))
        Vpc(model.destination.connection(), self.deadline(props, "delete"), progress).delete_snapshot(id_)


def copy_rules(source: Mapping[str, Any], model: Any) -> list[tuple[str, str]]:
    """The service's rules for a cross-region copy of `source`, as (input, reason)."""
    source_id = model.source_snapshot_id
    state = source.get("lifecycle_state")
    if state != "stable":
        return [("source_snapshot_id", f"snapshot {source_id} is {state}; only a stable snapshot can be copied")]
    # The limit is on the source volume (the snapshot's minimum_capacity), not on the data written (its size).
    capacity = int(source.get("minimum_capacity") or 0)
    if capacity > COPY_SIZE_LIMIT_GB and not model.allow_source_over_10tb:
        return [
            (
                "source_snapshot_id",
                f"snapshot {source_id} is of a {capacity} GB volume; snapshots of volumes over 10 TB "
                f"({COPY_SIZE_LIMIT_GB} GB) cannot be copied to another region (accounts with special access: set "
                "allow_source_over_10tb)",
            )
        ]
    user_managed = source.get("encryption") == "user_managed"
    if user_managed and not model.encryption_key_crn:
        return [
            (
                "encryption_key_crn",
                f"required: snapshot {source_id} is encrypted with a customer-managed key; "
                "name the key (CRN) that encrypts the copy in the destination region",
            )
        ]
    if not user_managed and model.encryption_key_crn:
        return [
            (
                "encryption_key_crn",
                f"not allowed: snapshot {source_id} uses provider-managed encryption, and so does its copy",
            )
        ]
    return []


_SNAPSHOT_OUTPUTS = ("snapshot_id", "crn", "lifecycle_state", "size_gb", "minimum_capacity_gb", "encryption", "clones")


class IbmSnapshot(pulumi.dynamic.Resource, module=MODULE, name="IbmSnapshot"):
    """A snapshot of an IBM Cloud VPC block volume with fast-restore clones in zones."""

    snapshot_id: pulumi.Output[str]
    crn: pulumi.Output[str]
    lifecycle_state: pulumi.Output[str]
    size_gb: pulumi.Output[int]
    minimum_capacity_gb: pulumi.Output[int]
    encryption: pulumi.Output[str]
    clones: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(IbmSnapshotProvider(), name, {**dict.fromkeys(_SNAPSHOT_OUTPUTS), **props}, opts)


class IbmSnapshotConsistencyGroup(pulumi.dynamic.Resource, module=MODULE, name="IbmSnapshotConsistencyGroup"):
    """Snapshots of several volumes taken together."""

    group_id: pulumi.Output[str]
    crn: pulumi.Output[str]
    lifecycle_state: pulumi.Output[str]
    snapshot_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = dict.fromkeys(("group_id", "crn", "lifecycle_state", "snapshot_ids"))
        super().__init__(IbmSnapshotConsistencyGroupProvider(), name, {**outputs, **props}, opts)


class IbmSnapshotCopy(pulumi.dynamic.Resource, module=MODULE, name="IbmSnapshotCopy"):
    """A copy of a snapshot in another region."""

    snapshot_id: pulumi.Output[str]
    crn: pulumi.Output[str]
    lifecycle_state: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(IbmSnapshotCopyProvider(), name, {**dict.fromkeys(_SNAPSHOT_OUTPUTS), **props}, opts)
