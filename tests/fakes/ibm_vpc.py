"""A local stub of the IBM Cloud VPC endpoints the project uses, returning the shapes of the VPC API docs.

One `VpcCloud` holds every region's state; `VpcStub` serves one region on a loopback port (so a copy made through
the destination region's endpoint can find its source by CRN). Requests need `Authorization: Bearer <token>` and the
`version` and `generation=2` query parameters. Lifecycles: snapshots `pending` -> `stable`, clones unavailable ->
available, each after a number of reads. As strict as the API: a request body field the API does not take is a 400; a
snapshot's `size` is the data written (not its volume's capacity, which is its `minimum_capacity`); PATCHes need the
current ETag in If-Match. Fault injection: a share of requests failing (429 + Retry-After, 503), the response of a
create dropped after the server made the resource, snapshots stuck in `pending`, requests that stall.
"""

from __future__ import annotations

import datetime
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.http import LoopbackJsonServer, Reply

ACCOUNT = "a/a1234567"
_ids = itertools.count(1)

# The fields each request body may hold (the VPC API answers 400 to any other).
SNAPSHOT_PROTOTYPE = frozenset(
    {"name", "source_volume", "source_snapshot", "clones", "user_tags", "resource_group", "encryption_key"}
)
SNAPSHOT_PATCH = frozenset({"name", "user_tags"})
GROUP_PROTOTYPE = frozenset({"name", "snapshots", "delete_snapshots_on_delete", "resource_group"})
GROUP_SNAPSHOT_PROTOTYPE = frozenset({"name", "source_volume", "user_tags"})
GROUP_PATCH = frozenset({"name", "delete_snapshots_on_delete"})
VOLUME_PROTOTYPE = frozenset({"name", "profile", "zone", "source_snapshot", "capacity", "resource_group", "user_tags"})


@dataclass
class Faults:
    fail_every: int = 0
    """Every n-th request fails, alternately 429 (with Retry-After) and 503. 0 = never."""
    retry_after: str = "0"
    drop_create_responses: int = 0
    """The next n POSTs that create something are carried out, then the connection is closed unanswered."""
    stall: set[str] = field(default_factory=set)
    """Names of snapshots that stay `pending` forever."""


@dataclass
class Seen:
    region: str
    method: str
    path: str
    status: int
    at: float


class VpcCloud:
    """The state of every region, shared by the per-region stubs."""

    def __init__(self, token: str, ready_after: int = 1, ready_after_seconds: float = 0.0) -> None:
        self.token = token
        self.ready_after = ready_after
        """Reads of a snapshot before it is `stable` (and its clones available)."""
        self.ready_after_seconds = ready_after_seconds
        self.volume_ready_after: int | None = None
        """Reads of a restored volume before it is `available` (None: as ready_after)."""
        """Seconds a snapshot takes before it can be `stable`, however often it is read."""
        self.max_pending = 0
        """The most snapshots seen `pending` at once (creates under way together)."""
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.volumes: dict[str, dict[str, Any]] = {}
        self.zones: dict[str, list[str]] = {}
        self.requests: list[Seen] = []
        self.faults = Faults()
        self.lock = threading.Lock()
        self._reads: dict[str, int] = {}
        self._etags = itertools.count(1)
        self.clock_offset = datetime.timedelta()
        """Added to the time a snapshot or group is created at (`created_at`): tests age what they make."""

    def created_at(self) -> str:
        """Now (plus clock_offset), as the API writes times."""
        now = datetime.datetime.now(datetime.UTC) + self.clock_offset
        return now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def add_region(self, region: str, zones: int = 3) -> None:
        self.zones[region] = [f"{region}-{i}" for i in range(1, zones + 1)]

    def add_volume(
        self,
        volume_id: str,
        region: str,
        *,
        profile: str = "general-purpose",
        size: int = 100,
        used: int | None = None,
        encryption: str = "provider_managed",
    ) -> None:
        self.volumes[volume_id] = {
            "id": volume_id,
            "crn": f"crn:v1:bluemix:public:is:{region}-1:{ACCOUNT}::volume:{volume_id}",
            "name": f"vol-{volume_id[-4:]}",
            "capacity": size,
            "_used": used if used is not None else max(1, size // 20),
            "encryption": encryption,
            "profile": {"name": profile},
            "zone": {"name": f"{region}-1"},
            "status": "available",
            "_region": region,
        }

    def mutating(self, region: str | None = None) -> list[Seen]:
        """Requests that change something (POST, PUT, PATCH, DELETE)."""
        return [
            r for r in self.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"} and region in (None, r.region)
        ]

    def in_region(self, region: str) -> list[dict[str, Any]]:
        return [s for s in self.snapshots.values() if s["_region"] == region]


class VpcStub(LoopbackJsonServer):
    """Serves one region of a VpcCloud."""

    base_path = "/v1"

    def __init__(self, cloud: VpcCloud, region: str, port: int = 0) -> None:
        super().__init__(port)
        self.cloud = cloud
        self.region = region

    def handle(self, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        document = json.loads(body or b"{}")
        cloud = self.cloud
        with cloud.lock:
            count = len(cloud.requests) + 1
            status, payload, headers, drop = self._route(req, method, path, query, document, count)
            cloud.requests.append(Seen(self.region, method, path, status, time.time()))
        return Reply(status, payload, headers, drop)

    def _route(
        self, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], body: Any, count: int
    ) -> tuple[int, Any, dict[str, str], bool]:
        cloud = self.cloud
        if req.headers.get("authorization") != f"Bearer {cloud.token}":
            return 401, _errors("not_authorized", "Authorization header missing or invalid"), {}, False
        if "version" not in query or query.get("generation") != "2":
            return 400, _errors("missing_version", "version and generation=2 are required"), {}, False
        if cloud.faults.fail_every and count % cloud.faults.fail_every == 0:
            if (count // cloud.faults.fail_every) % 2:
                return (
                    429,
                    _errors("too_many_requests", "Too many requests"),
                    {"Retry-After": cloud.faults.retry_after},
                    False,
                )
            return 503, _errors("service_unavailable", "Service unavailable"), {}, False
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        match parts:
            case ["regions", region, "zones"] if method == "GET":
                zones = cloud.zones.get(region)
                if zones is None:
                    return 404, _errors("not_found", f"region {region} not found"), {}, False
                return (
                    200,
                    {"zones": [{"name": z, "status": "available", "region": {"name": region}} for z in zones]},
                    {},
                    False,
                )
            case ["volumes"] if method == "GET":
                found = [
                    _public(v)
                    for v in cloud.volumes.values()
                    if v["_region"] == self.region and query.get("name") in (None, v["name"])
                ]
                return 200, {"volumes": found, "limit": 50}, {}, False
            case ["volumes"] if method == "POST":
                return self._restore_volume(body)
            case ["volumes", volume_id] if method in ("GET", "DELETE"):
                volume = cloud.volumes.get(volume_id)
                if volume is None or volume["_region"] != self.region:
                    return 404, _errors("volume_not_found", f"Volume {volume_id} not found"), {}, False
                if method == "DELETE":
                    del cloud.volumes[volume_id]
                    return 204, None, {}, False
                if volume["status"] == "pending":
                    volume["_reads"] += 1
                    wanted = cloud.ready_after if cloud.volume_ready_after is None else cloud.volume_ready_after
                    if volume["_reads"] > wanted:
                        volume["status"] = "available"
                return 200, _public(volume), {}, False
            case ["snapshots"]:
                return self._snapshots(method, query, body)
            case ["snapshots", snapshot_id]:
                return self._snapshot(method, snapshot_id, body, req)
            case ["snapshots", snapshot_id, "clones", zone]:
                return self._clone(method, snapshot_id, zone)
            case ["snapshot_consistency_groups"]:
                return self._groups(method, query, body)
            case ["snapshot_consistency_groups", group_id]:
                return self._group(method, group_id, body, req)
        return 404, _errors("not_found", f"No route {method} {path}"), {}, False

    # --- snapshots -------------------------------------------------------------------------------

    def _snapshots(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str], bool]:
        cloud = self.cloud
        if method == "GET":
            found = [
                s
                for s in cloud.in_region(self.region)
                if query.get("name") in (None, s["name"]) and query.get("tag") in (None, *s.get("user_tags", []))
            ]
            for s in found:
                self._advance(s)
            return 200, {"snapshots": [_public(s) for s in found], "limit": 50}, {}, False
        if method != "POST":
            return 405, _errors("method_not_allowed", method), {}, False
        unknown = _unknown_fields(body, SNAPSHOT_PROTOTYPE)
        if unknown:
            return 400, unknown, {}, False
        name = body.get("name")
        if any(s["name"] == name for s in cloud.in_region(self.region)):
            return 409, _errors("snapshot_name_duplicate", f"The snapshot name {name} is already in use"), {}, False
        if "source_snapshot" in body:
            source = next((s for s in cloud.snapshots.values() if s["crn"] == body["source_snapshot"].get("crn")), None)
            if source is None:
                return 404, _errors("snapshot_not_found", "source snapshot not found"), {}, False
            if source["lifecycle_state"] != "stable":
                return 409, _errors("snapshot_not_stable", "The source snapshot must be stable"), {}, False
            if source["encryption"] == "user_managed" and "encryption_key" not in body:
                return 400, _errors("encryption_key_required", "encryption_key is required"), {}, False
            snapshot = self._new_snapshot(
                name,
                size=source["size"],
                capacity=source["minimum_capacity"],
                encryption=source["encryption"],
                clones=[],
            )
            snapshot["source_snapshot"] = {"crn": source["crn"], "id": source["id"], "name": source["name"]}
            if "encryption_key" in body:
                snapshot["encryption_key"] = body["encryption_key"]
        else:
            volume = cloud.volumes.get((body.get("source_volume") or {}).get("id", ""))
            if volume is None or volume["_region"] != self.region:
                return 404, _errors("volume_not_found", "source volume not found"), {}, False
            zones = [c["zone"]["name"] for c in body.get("clones", [])]
            if any(z not in cloud.zones[self.region] for z in zones):
                return 400, _errors("invalid_zone", "clone zone not in region"), {}, False
            snapshot = self._new_snapshot(
                name, size=volume["_used"], capacity=volume["capacity"], encryption=volume["encryption"], clones=zones
            )
            snapshot["source_volume"] = {"id": volume["id"], "crn": volume["crn"], "name": volume["name"]}
        snapshot["user_tags"] = list(body.get("user_tags", []))
        snapshot["resource_group"] = _resource_group(body)
        return 201, _public(snapshot), {}, self._drop()

    def _restore_volume(self, body: Any) -> tuple[int, Any, dict[str, str], bool]:
        """POST /volumes from a snapshot (a restore): `pending`, then `available`, its data the snapshot's."""
        unknown = _unknown_fields(body, VOLUME_PROTOTYPE)
        if unknown:
            return 400, unknown, {}, False
        cloud = self.cloud
        source = cloud.snapshots.get((body.get("source_snapshot") or {}).get("id", ""))
        if source is None or source["_region"] != self.region:
            return 404, _errors("snapshot_not_found", "source snapshot not found"), {}, False
        if source["lifecycle_state"] != "stable":
            return 409, _errors("snapshot_not_stable", "The source snapshot must be stable"), {}, False
        zone = (body.get("zone") or {}).get("name")
        if zone not in cloud.zones.get(self.region, []):
            return 400, _errors("invalid_zone", f"zone {zone} is not a zone of {self.region}"), {}, False
        capacity = body.get("capacity", source["minimum_capacity"])
        if capacity < source["minimum_capacity"]:
            return 400, _errors("volume_capacity_too_small", "capacity is below the snapshot's"), {}, False
        volume_id = f"r0{next(_ids):02d}-{self.region}-volume"
        fast = any(c["zone"]["name"] == zone and c["available"] for c in source["clones"])
        cloud.volumes[volume_id] = {
            "id": volume_id,
            "crn": f"crn:v1:bluemix:public:is:{zone}:{ACCOUNT}::volume:{volume_id}",
            "name": body.get("name"),
            "capacity": capacity,
            "encryption": source["encryption"],
            "profile": body.get("profile") or {"name": "general-purpose"},
            "zone": {"name": zone},
            "status": "pending",
            "source_snapshot": {"id": source["id"], "crn": source["crn"], "name": source["name"]},
            "health_state": "ok",
            "_used": source["size"],
            "_region": self.region,
            "_reads": 0,
            "_fast_restore": fast,
        }
        return 201, _public(cloud.volumes[volume_id]), {}, self._drop()

    def _new_snapshot(
        self, name: str, *, size: int, capacity: int, encryption: str, clones: list[str]
    ) -> dict[str, Any]:
        snapshot_id = f"r0{next(_ids):02d}-{self.region}-snap"
        snapshot = {
            "id": snapshot_id,
            "crn": f"crn:v1:bluemix:public:is:{self.region}:{ACCOUNT}::snapshot:{snapshot_id}",
            "name": name,
            "lifecycle_state": "pending",
            "size": size,
            "minimum_capacity": capacity,
            "encryption": encryption,
            "clones": [{"zone": {"name": z}, "available": False, "created_at": "2026-11-23T00:00:00Z"} for z in clones],
            "resource_type": "snapshot",
            "created_at": self.cloud.created_at(),
            "_region": self.region,
            "_etag": f'W/"{next(self.cloud._etags)}"',
            "_created": time.monotonic(),
        }
        self.cloud.snapshots[snapshot_id] = snapshot
        self.cloud._reads[snapshot_id] = 0
        pending = sum(1 for s in self.cloud.snapshots.values() if s["lifecycle_state"] == "pending")
        self.cloud.max_pending = max(self.cloud.max_pending, pending)
        return snapshot

    def _drop(self) -> bool:
        if self.cloud.faults.drop_create_responses > 0:
            self.cloud.faults.drop_create_responses -= 1
            return True
        return False

    def _snapshot(
        self, method: str, snapshot_id: str, body: Any, req: BaseHTTPRequestHandler
    ) -> tuple[int, Any, dict[str, str], bool]:
        snapshot = self.cloud.snapshots.get(snapshot_id)
        if snapshot is None or snapshot["_region"] != self.region:
            return 404, _errors("snapshot_not_found", f"Snapshot {snapshot_id} not found"), {}, False
        if method == "GET":
            self._advance(snapshot)
            return 200, _public(snapshot), {"ETag": snapshot["_etag"]}, False
        if method == "DELETE":
            del self.cloud.snapshots[snapshot_id]
            return 204, None, {}, False
        if method == "PATCH":
            unknown = _unknown_fields(body, SNAPSHOT_PATCH)
            if unknown:
                return 400, unknown, {}, False
            if req.headers.get("if-match") not in (None, snapshot["_etag"]):
                return 412, _errors("precondition_failed", "ETag mismatch"), {}, False
            name = body.get("name")
            taken = any(s["name"] == name and s is not snapshot for s in self.cloud.in_region(self.region))
            if name is not None and taken:
                return 409, _errors("snapshot_name_duplicate", f"The snapshot name {name} is already in use"), {}, False
            if name is not None:
                snapshot["name"] = name
            if "user_tags" in body:
                snapshot["user_tags"] = list(body["user_tags"])
            snapshot["_etag"] = f'W/"{next(self.cloud._etags)}"'
            return 200, _public(snapshot), {"ETag": snapshot["_etag"]}, False
        return 405, _errors("method_not_allowed", method), {}, False

    def _clone(self, method: str, snapshot_id: str, zone: str) -> tuple[int, Any, dict[str, str], bool]:
        snapshot = self.cloud.snapshots.get(snapshot_id)
        if snapshot is None or snapshot["_region"] != self.region:
            return 404, _errors("snapshot_not_found", f"Snapshot {snapshot_id} not found"), {}, False
        if zone not in self.cloud.zones[self.region]:
            return 404, _errors("zone_not_found", f"Zone {zone} not found"), {}, False
        clones = snapshot["clones"]
        existing = next((c for c in clones if c["zone"]["name"] == zone), None)
        if method == "PUT":
            if existing is None:
                existing = {"zone": {"name": zone}, "available": False, "created_at": "2026-11-23T00:00:00Z"}
                clones.append(existing)
                self.cloud._reads[snapshot_id] = 0
            return 202, existing, {}, False
        if method == "DELETE":
            if existing is None:
                return 404, _errors("snapshot_clone_not_found", "clone not found"), {}, False
            clones.remove(existing)
            return 202, None, {}, False
        if method == "GET":
            if existing is None:
                return 404, _errors("snapshot_clone_not_found", "clone not found"), {}, False
            return 200, existing, {}, False
        return 405, _errors("method_not_allowed", method), {}, False

    def _advance(self, snapshot: dict[str, Any]) -> None:
        cloud = self.cloud
        if snapshot["name"] in cloud.faults.stall:
            return
        reads = cloud._reads.get(snapshot["id"], 0) + 1
        cloud._reads[snapshot["id"]] = reads
        old_enough = time.monotonic() - snapshot["_created"] >= cloud.ready_after_seconds
        if reads > cloud.ready_after and old_enough:
            if snapshot["lifecycle_state"] == "pending":  # a failed or suspended one stays so
                snapshot["lifecycle_state"] = "stable"
            for clone in snapshot["clones"]:
                clone["available"] = True

    # --- consistency groups ---------------------------------------------------------------------

    def _groups(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str], bool]:
        cloud = self.cloud
        if method == "GET":
            found = [
                g
                for g in cloud.groups.values()
                if g["_region"] == self.region and query.get("name") in (None, g["name"])
            ]
            return 200, {"snapshot_consistency_groups": [_public(g) for g in found], "limit": 50}, {}, False
        if method != "POST":
            return 405, _errors("method_not_allowed", method), {}, False
        unknown = _unknown_fields(body, GROUP_PROTOTYPE) or next(
            (u for u in (_unknown_fields(i, GROUP_SNAPSHOT_PROTOTYPE) for i in body.get("snapshots", [])) if u), None
        )
        if unknown:
            return 400, unknown, {}, False
        snapshots = []
        for item in body.get("snapshots", []):
            volume = cloud.volumes.get(item["source_volume"]["id"])
            if volume is None:
                return 404, _errors("volume_not_found", "source volume not found"), {}, False
            if volume["profile"]["name"] == "sdp":
                return (
                    400,
                    _errors("not_supported", "consistency groups do not support second-generation volumes"),
                    {},
                    False,
                )
            snapshot = self._new_snapshot(
                item["name"],
                size=volume["_used"],
                capacity=volume["capacity"],
                encryption=volume["encryption"],
                clones=[],
            )
            snapshot["source_volume"] = {"id": volume["id"], "crn": volume["crn"], "name": volume["name"]}
            snapshot["user_tags"] = list(item.get("user_tags", []))
            snapshot["resource_group"] = _resource_group(body)
            snapshots.append(snapshot)
        group_id = f"r0{next(_ids):02d}-{self.region}-group"
        group = {
            "id": group_id,
            "crn": f"crn:v1:bluemix:public:is:{self.region}:{ACCOUNT}::snapshot-consistency-group:{group_id}",
            "name": body.get("name"),
            "delete_snapshots_on_delete": body.get("delete_snapshots_on_delete", True),
            "lifecycle_state": "pending",
            "created_at": self.cloud.created_at(),
            "resource_group": _resource_group(body),
            "snapshots": [
                {"id": s["id"], "name": s["name"], "crn": s["crn"], "resource_type": "snapshot"} for s in snapshots
            ],
            "_region": self.region,
            "_etag": f'W/"{next(self.cloud._etags)}"',
        }
        cloud.groups[group_id] = group
        for snapshot in snapshots:
            snapshot["snapshot_consistency_group"] = {"id": group_id, "crn": group["crn"], "name": group["name"]}
        return 201, _public(group), {}, self._drop()

    def _group(
        self, method: str, group_id: str, body: Any, req: BaseHTTPRequestHandler
    ) -> tuple[int, Any, dict[str, str], bool]:
        group = self.cloud.groups.get(group_id)
        if group is None or group["_region"] != self.region:
            return 404, _errors("snapshot_consistency_group_not_found", f"{group_id} not found"), {}, False
        if method == "GET":
            members = [self.cloud.snapshots[s["id"]] for s in group["snapshots"] if s["id"] in self.cloud.snapshots]
            for member in members:
                self._advance(member)
            if all(m["lifecycle_state"] == "stable" for m in members):
                group["lifecycle_state"] = "stable"
            return 200, _public(group), {"ETag": group["_etag"]}, False
        if method == "PATCH":
            unknown = _unknown_fields(body, GROUP_PATCH)
            if unknown:
                return 400, unknown, {}, False
            if req.headers.get("if-match") not in (None, group["_etag"]):
                return 412, _errors("precondition_failed", "ETag mismatch"), {}, False
            for field_name in GROUP_PATCH & set(body):
                group[field_name] = body[field_name]
            group["_etag"] = f'W/"{next(self.cloud._etags)}"'
            return 200, _public(group), {"ETag": group["_etag"]}, False
        if method == "DELETE":
            del self.cloud.groups[group_id]
            for member in group["snapshots"]:
                if group["delete_snapshots_on_delete"]:
                    self.cloud.snapshots.pop(member["id"], None)
                elif member["id"] in self.cloud.snapshots:
                    self.cloud.snapshots[member["id"]].pop("snapshot_consistency_group", None)
            return 202, None, {}, False
        return 405, _errors("method_not_allowed", method), {}, False


def _unknown_fields(body: Any, allowed: frozenset[str]) -> dict[str, Any] | None:
    """The API's 400 answer to a body field it does not take, or None."""
    extra = sorted(set(body) - allowed) if isinstance(body, dict) else []
    if not extra:
        return None
    return _errors("invalid_request_field", f"unknown field(s) {', '.join(extra)}; the API takes {sorted(allowed)}")


def _resource_group(body: Any) -> dict[str, str]:
    given = (body.get("resource_group") or {}).get("id") if isinstance(body, dict) else None
    return {"id": given or "default-resource-group", "name": "defaults" if not given else "given"}


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}], "trace": "stub"}
