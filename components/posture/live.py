"""Live reads of each protected asset's restore points through the cloud adapters: list and get calls only."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from components.clouds.calls import CloudError, Deadline, NotFoundError
from components.clouds.ibm_vpc import IbmConnection, Vpc
from components.clouds.oci_block_storage import BackupInfo, BackupKind, BlockStorageConnection, backup_kind_of
from components.clouds.oci_block_storage import BlockStorage as OciBlockStorage
from components.clouds.openstack_block_storage import BlockStorage as CinderBlockStorage
from components.clouds.openstack_block_storage import OpenStackConnection
from components.config import Topology
from components.config.base import given
from components.retention import parse_time
from components.tooling.coverage import CoverageRow

USABLE_STATES = {"oci": frozenset({"AVAILABLE"}), "ibm": frozenset({"stable"}), "openstack": frozenset({"available"})}
"""The states in which a backup or snapshot restores: OCI `AVAILABLE` (not REQUEST_RECEIVED, CREATING, COMMITTED,
FAULTY, TERMINATING), IBM `stable` (not pending, failed, suspended, deleting, updating, waiting), Cinder `available`
(seed 001: "the status field on the backup will change from creating to available when done"). Nothing else is a
restore point."""

CLOUD_NAMES = {"oci": "Oracle Cloud (OCI Block Volume)", "ibm": "IBM Cloud VPC", "openstack": "OpenStack Cinder"}

_OCI_KINDS: dict[str, BackupKind] = {
    "boot volume": "boot_volume",
    "block volume": "volume",
    "volume group": "volume_group",
}


@dataclass(frozen=True)
class RestorePoint:
    """One backup or snapshot of an asset, in one region, in whatever state the cloud says."""

    id: str
    name: str
    taken_at: datetime.datetime
    """When its data was captured: OCI `timeCreated` (a copy: its source's, when listed), IBM `captured_at`, Cinder
    `data_timestamp` (a backup made from a snapshot holds the snapshot's data)."""
    region: str
    state: str
    usable: bool
    """In a state that restores (USABLE_STATES)."""
    copy: bool = False
    """A copy held in another region than the asset's (a DR copy)."""
    made_by: str = ""
    """What made it, as the cloud says: OCI SCHEDULED or MANUAL, an IBM backup policy plan, ..."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "taken_at": iso(self.taken_at),
            "region": self.region,
            "state": self.state,
            "usable": self.usable,
            "copy": self.copy,
            "made_by": self.made_by,
        }


@dataclass
class Reading:
    """What the clouds hold of one asset: its restore points, its copies per region, and what else they said."""

    points: list[RestorePoint] = field(default_factory=list)
    copies: dict[str, list[RestorePoint]] = field(default_factory=dict)
    """Per region a copy is expected in (the row's cross_region): the copies held there."""
    notes: list[str] = field(default_factory=list)
    """What else the cloud said: the last job of a backup policy, which volume of an instance was judged, ..."""
    last_job: dict[str, Any] | None = None
    """IBM: the newest job of the asset's backup policies (status, plan, created_at, reasons)."""
    unchecked: str | None = None
    """Why this asset's restore points are not read at all (None: they are)."""


class CloudUnreadableError(Exception):
    """A cloud (in one region) cannot be read: credentials, connection, or failures past the deadline."""

    def __init__(self, cloud: str, region: str, reason: str) -> None:
        self.cloud, self.region, self.reason = cloud, region, reason
        super().__init__(f"{CLOUD_NAMES.get(cloud, cloud)} ({region}) cannot be read: {reason}")


def iso(moment: datetime.datetime) -> str:
    """A UTC time as the report writes it: 2026-12-06T04:17:00Z."""
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _time(value: Any, what: str) -> datetime.datetime:
    found = parse_time(value) if value else None
    if found is None:
        msg = f"{what}: the cloud gave no readable time ({value!r})"
        raise CloudError(msg)
    return found


class LiveReader:
    """Reads the restore points of a topology's assets; one per check. Each read of a cloud and region is bound to
    a deadline of `timeout` seconds; once one fails, that cloud and region is not asked again (CloudUnreadableError)."""

    def __init__(self, topology: Topology, timeout: float) -> None:
        self.topology = topology
        self.timeout = timeout
        self.failed: dict[tuple[str, str], CloudUnreadableError] = {}

    def read(self, row: CoverageRow) -> Reading:
        """The asset's restore points; raises CloudUnreadableError when its cloud cannot be read."""
        readers: dict[str, Callable[[CoverageRow], Reading]] = {
            "oci": self._oci,
            "ibm": self._ibm,
            "openstack": self._openstack,
        }
        reader = readers.get(row.cloud)
        if reader is None:
            return Reading(unchecked=f"the check reads no {row.cloud} assets")
        return reader(row)

    def _guarded(self, cloud: str, region: str, fn: Callable[[], Any]) -> Any:
        """Run reads of one cloud and region; a CloudError makes it unreadable for the rest of the check."""
        key = (cloud, region)
        if key in self.failed:
            raise self.failed[key]
        try:
            return fn()
        except CloudError as exc:
            self.failed[key] = CloudUnreadableError(cloud, region, str(exc))
            raise self.failed[key] from None

    def _deadline(self) -> Deadline:
        return Deadline(self.timeout)

    # --- OCI -------------------------------------------------------------------------------------

    def _oci(self, row: CoverageRow) -> Reading:
        section = self.topology.oci
        assert section is not None  # an oci row comes from the oci section
        if row.asset_kind in ("vault", "vault key"):
            return Reading(
                unchecked="vault and key backups are objects in Object Storage; the check reads Block Volume "
                "backups only"
            )
        kind = _OCI_KINDS.get(row.asset_kind) or backup_kind_of(row.asset_id)
        if kind is None:
            return Reading(unchecked=f"no Block Volume backups of a {row.asset_kind}")

        def connection(region: str) -> BlockStorageConnection:
            return BlockStorageConnection(
                region=region,
                auth=section.auth,
                profile=section.config_file_profile,
                endpoint=section.blockstorage_endpoint_of(region),
            )

        reading = Reading()
        compartments = _oci_compartments(self.topology).get(row.asset_id, [])
        given_backup = row.asset_kind not in _OCI_KINDS  # a backup given by OCID (CrossRegionCopy): itself

        def first(storage: OciBlockStorage) -> list[BackupInfo]:
            if given_backup:
                return [storage.get_backup(kind, row.asset_id)]
            return [b for comp in compartments for b in storage.backups(kind, comp, source_id=row.asset_id)]

        def copies_in(storage: OciBlockStorage) -> list[BackupInfo]:
            if given_backup:
                return [c for comp in compartments for c in storage.copies_of(kind, comp, row.asset_id)]
            return [b for comp in compartments for b in storage.backups(kind, comp, source_id=row.asset_id)]

        found = self._guarded("oci", section.region, partial(self._oci_read, first, connection(section.region)))
        if given_backup:
            compartments = list(dict.fromkeys(b.compartment_id for b in found))
        reading.points = _oci_points(_unique(found), copy=False)
        taken = {p.id: p.taken_at for p in reading.points}
        for region in _regions(row):
            held = self._guarded("oci", region, partial(self._oci_read, copies_in, connection(region)))
            copies = _oci_points(_unique(held), copy=True)
            # A copy holds its source's data: its point in time is the source's, when the source is listed.
            sources = {b.id: b.copied_from for b in held}
            reading.copies[region] = [
                _earlier(p, taken.get(sources.get(p.id) or "")) for p in copies if p.region == region
            ]
        return reading

    def _oci_read(
        self, reads: Callable[[OciBlockStorage], list[BackupInfo]], conn: BlockStorageConnection
    ) -> list[BackupInfo]:
        return reads(OciBlockStorage(conn, self._deadline()))

    # --- IBM Cloud VPC ---------------------------------------------------------------------------

    def _snapshots(self, region: str, volume_id: str) -> list[dict[str, Any]]:
        return self._vpc(region).volume_snapshots(volume_id)

    def _policy(self, region: str, name: str) -> dict[str, Any] | None:
        return self._vpc(region).find_backup_policy(name)

    def _jobs(self, region: str, policy_id: str, source_id: str) -> list[dict[str, Any]]:
        return self._vpc(region).backup_policy_jobs(policy_id, source_id)

    def _vpc(self, region: str) -> Vpc:
        ibm = self.topology.ibm
        assert ibm is not None
        return Vpc(IbmConnection(region=region, endpoint=ibm.endpoint(region)), self._deadline())

    def _ibm(self, row: CoverageRow) -> Reading:
        ibm = self.topology.ibm
        assert ibm is not None
        region = ibm.region
        reading = Reading()

        def resolve() -> tuple[str, list[str]]:
            """The asset's ID and the volumes whose snapshots are its restore points."""
            vpc = self._vpc(region)
            if row.asset_kind == "instance":
                instance = vpc.find_instance(row.asset_id) or _get(vpc.get_instance, row.asset_id)
                if instance is None:
                    return "", []
                boot = ((instance.get("boot_volume_attachment") or {}).get("volume") or {}).get("id")
                attached = [(a.get("volume") or {}).get("id") for a in instance.get("volume_attachments") or []]
                return str(instance["id"]), [str(v) for v in dict.fromkeys([boot, *attached]) if v]
            volume = vpc.find_volume(row.asset_id) or _get(vpc.get_volume, row.asset_id)
            return ("", []) if volume is None else (str(volume["id"]), [str(volume["id"])])

        asset_id, volumes = self._guarded("ibm", region, resolve)
        if not asset_id:
            reading.notes.append(f"no {row.asset_kind} {row.asset_id} in {region} (by ID or name)")
            return reading
        if not volumes:
            reading.notes.append(f"instance {row.asset_id} has no volumes attached")
            return reading
        per_volume = {
            v: _ibm_points(self._guarded("ibm", region, partial(self._snapshots, region, v)), region) for v in volumes
        }
        # An instance restores whole only from every volume's snapshots: it is as fresh as its stalest volume.
        judged = min(volumes, key=lambda v: _newest_usable_key(per_volume[v]))
        if len(volumes) > 1:
            reading.notes.append(f"restore points of volume {judged}, the stalest of the instance's {len(volumes)}")
        reading.points = [p for p in per_volume[judged] if p.region == region]
        for remote in _regions(row):
            held = self._guarded("ibm", remote, partial(self._snapshots, remote, judged))
            reading.copies[remote] = [p for p in _ibm_points(held, remote, copy=True) if p.region == remote]
        policies = [p for p in ibm.backup_policies if row.asset_id in map(given, p.covers)]
        jobs: list[dict[str, Any]] = []
        for policy in policies:
            found = self._guarded("ibm", region, partial(self._policy, region, policy.name))
            if found is None:
                reading.notes.append(f"backup policy {policy.name} is not in {region}")
                continue
            jobs += self._guarded("ibm", region, partial(self._jobs, region, str(found["id"]), asset_id))
        if jobs:
            job = max(jobs, key=lambda j: str(j.get("created_at") or ""))
            reasons = [str(r.get("message") or r.get("code")) for r in job.get("status_reasons") or []]
            plan = (job.get("backup_policy_plan") or {}).get("name")
            created = parse_time(job.get("created_at"))
            when = iso(created) if created is not None else str(job.get("created_at"))
            reading.last_job = {"status": job.get("status"), "plan": plan, "created_at": when, "reasons": reasons}
            why = f": {'; '.join(reasons)}" if reasons else ""
            reading.notes.append(f"the last backup policy job (plan {plan}, {when}) {job.get('status')}{why}")
        return reading

    # --- OpenStack Cinder ------------------------------------------------------------------------

    def _openstack(self, row: CoverageRow) -> Reading:
        section = self.topology.openstack
        assert section is not None
        conn = OpenStackConnection(cloud=section.cloud, region_name=section.region_name)
        found = self._guarded(
            "openstack",
            row.region,
            lambda: CinderBlockStorage(conn, self._deadline()).volume_backups(row.asset_id),
        )
        points = []
        for backup in found:
            state = str(backup.get("status") or "")
            taken = backup.get("data_timestamp") or backup.get("created_at")
            points.append(
                RestorePoint(
                    id=str(backup.get("id")),
                    name=str(backup.get("name") or ""),
                    taken_at=_time(taken, f"backup {backup.get('id')}"),
                    region=row.region,
                    state=state,
                    usable=state in USABLE_STATES["openstack"],
                    made_by="incremental backup" if backup.get("is_incremental") else "full backup",
                )
            )
        return Reading(points=_ordered(points))


def _get(get: Callable[[str], dict[str, Any]], asset: str) -> dict[str, Any] | None:
    try:
        return get(asset)
    except NotFoundError:
        return None


def _regions(row: CoverageRow) -> list[str]:
    return [r.strip() for r in (row.cross_region or "").split(",") if r.strip()]


def _unique(backups: Iterable[BackupInfo]) -> list[BackupInfo]:
    return list({b.id: b for b in backups}.values())


def _ordered(points: Iterable[RestorePoint]) -> list[RestorePoint]:
    """Newest first (ties by ID): the same order for the same cloud answers."""
    return sorted(points, key=lambda p: (p.taken_at, p.id), reverse=True)


def _earlier(point: RestorePoint, source_time: datetime.datetime | None) -> RestorePoint:
    if source_time is None or source_time >= point.taken_at:
        return point
    return RestorePoint(**{**point.__dict__, "taken_at": source_time})


def _newest_usable_key(points: list[RestorePoint]) -> datetime.datetime:
    usable = [p.taken_at for p in points if p.usable]
    return max(usable) if usable else datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _oci_points(backups: Iterable[BackupInfo], *, copy: bool) -> list[RestorePoint]:
    return _ordered(
        RestorePoint(
            id=b.id,
            name=b.display_name,
            taken_at=_time(b.time_created, f"backup {b.id}"),
            region=b.region,
            state=b.lifecycle_state,
            usable=b.lifecycle_state in USABLE_STATES["oci"],
            copy=copy,
            made_by=f"{b.source_type} {b.type}".strip(),
        )
        for b in backups
    )


def _ibm_points(snapshots: Iterable[dict[str, Any]], region: str, *, copy: bool = False) -> list[RestorePoint]:
    points = []
    for s in snapshots:
        plan = (s.get("backup_policy_plan") or {}).get("name")
        state = str(s.get("lifecycle_state") or "")
        points.append(
            RestorePoint(
                id=str(s.get("id")),
                name=str(s.get("name") or ""),
                taken_at=_time(s.get("captured_at") or s.get("created_at"), f"snapshot {s.get('id')}"),
                region=region,
                state=state,
                usable=state in USABLE_STATES["ibm"],
                copy=copy,
                made_by=f"backup policy plan {plan}" if plan else "on demand",
            )
        )
    return _ordered(points)


def _oci_compartments(topology: Topology) -> dict[str, list[str]]:
    """The compartments each OCI asset's backups are listed in: its plans', and its manual backups' own."""
    oci = topology.oci
    found: dict[str, list[str]] = {}

    def add(asset: str, compartment: Any) -> None:
        if compartment is not None:
            found.setdefault(asset, [])
            if given(compartment) not in found[asset]:
                found[asset].append(given(compartment))

    if oci is None:
        return found
    for _section, plan in oci.volume_plans_all():
        for boot in plan.boot_volumes:
            add(given(boot.id), plan.compartment_id)
        for block in plan.block_volumes:
            add(given(block.id), plan.compartment_id)
        for backup in plan.manual_backups:
            add(given(backup.volume), backup.compartment_id or plan.compartment_id)
    for group in oci.volume_group_plans:
        members = [given(v.id) for v in group.volumes] or [str(given(group.volume_group_id))]
        for member in members:
            add(member, group.compartment_id)
            for group_backup in group.manual_backups:
                add(member, group_backup.compartment_id or group.compartment_id)
    return found
