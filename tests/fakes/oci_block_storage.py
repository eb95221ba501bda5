"""A local stub of the OCI Block Volume endpoints the project uses, speaking the JSON the OCI SDK sends and expects.

One `BlockStorageCloud` holds every region's state; `BlockStorageStub` serves one region (its Core Services endpoint,
`/20160918`) on a loopback port, so a copy listed in the destination region names its source in another. Served:
ListBootVolumeBackups, ListVolumeBackups, ListVolumeGroupBackups (every filter the SDK sends: compartmentId, the
volume or group, the source backup of a copy, lifecycleState, displayName; two items a page, so a client must follow
opc-next-page), their Get and Delete, and Get and Delete of volume groups, block volumes and boot volumes.
Requests must carry a valid OCI request signature (RSA-SHA256 over the signed headers), checked as the KMS stub does.

What pulumi-oci does through the API (create a backup, copy one to another region, restore a group backup into a new
volume group) the tests do through `create_backup`, `copy_backup` and `restore_group`, as a mock of the native
resources. As the service: a backup takes its volume's freeform tags, then its own ("Overview of Block Volume
Backups", Tags); a copy keeps its source's tags; a volume group backup holds a volume backup per member; deleting it
deletes them ("Working with Volume Groups"); a backup under deletion prevention, a retention lock (until its
retention period ends) or a legal hold is refused deletion; a deleted resource is TERMINATING for a number of reads,
then TERMINATED (still listed); a volume in a group is refused deletion until the group is gone (the same page).
Fault injection: a share of requests failing with 429 + Retry-After or 503, sustained throttling, the answer of a
DELETE dropped after the server acted, and stalled requests (`stall`).
"""

from __future__ import annotations

import datetime
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from components.clouds.oci_regions import region_key
from tests.fakes.http import LoopbackJsonServer, Reply
from tests.fakes.oci_kms import signed

API = "/20160918"
PAGE = 2
"""Items per page when the client asks for no smaller limit."""

# kind -> (collection path, OCID kind, field naming the volume or group, field naming the source of a copy)
_BACKUPS = {
    "boot_volume": ("bootVolumeBackups", "bootvolumebackup", "bootVolumeId", "sourceBootVolumeBackupId"),
    "volume": ("volumeBackups", "volumebackup", "volumeId", "sourceVolumeBackupId"),
    "volume_group": ("volumeGroupBackups", "volumegroupbackup", "volumeGroupId", "sourceVolumeGroupBackupId"),
}
_BY_PATH = {path: kind for kind, (path, *_rest) in _BACKUPS.items()}
_VOLUMES = {"volumes": "volume", "bootVolumes": "boot_volume", "volumeGroups": "volume_group"}
_ITEM = re.compile(rf"^{API}/(?P<collection>[A-Za-z]+)/(?P<id>[^/]+)$")
_LIST = re.compile(rf"^{API}/(?P<collection>[A-Za-z]+)/?$")
_ids = itertools.count(1)


@dataclass
class Faults:
    """What goes wrong, and how often."""

    fail_every: int = 0
    """Every n-th request (1-based count % n == 0) fails: alternately 429 with Retry-After and 503. 0 = never."""
    throttle_next: int = 0
    """The next n requests all fail with 429 (sustained throttling)."""
    retry_after: str = "0"
    drop_delete_responses: int = 0
    """The next n DELETEs are carried out, then the connection is closed without an answer."""


@dataclass
class Seen:
    """One request as the stub received it."""

    region: str
    method: str
    path: str
    query: dict[str, str]
    status: int
    applied: bool = False
    """A DELETE the cloud carried out (whatever it answered)."""
    at: float = field(default_factory=time.time)


def _rfc3339(when: datetime.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


class BlockStorageCloud:
    """The Block Volume state of every region, shared by the per-region stubs."""

    def __init__(self, public_key: RSAPublicKey, key_id: str, terminate_after: int = 1) -> None:
        self.public_key = public_key
        self.key_id = key_id
        self.terminate_after = terminate_after
        """Reads of a deleted resource before it is TERMINATED."""
        self.backups: dict[str, dict[str, Any]] = {}
        self.volumes: dict[str, dict[str, Any]] = {}
        """Block and boot volumes by OCID."""
        self.groups: dict[str, dict[str, Any]] = {}
        self.requests: list[Seen] = []
        self.faults = Faults()
        self.clock_offset = datetime.timedelta()
        """Added to the creation time of what is made: tests age backups."""
        self.lock = threading.Lock()
        self._terminating: dict[str, int] = {}

    # --- fixtures and what pulumi-oci would do -----------------------------------------------------

    def _ocid(self, kind: str, region: str) -> str:
        return f"ocid1.{kind}.oc1.{region_key(region) or region}.abuwcljrstub{next(_ids):06d}"

    def _now(self) -> str:
        return _rfc3339(datetime.datetime.now(datetime.UTC) + self.clock_offset)

    def add_volume(
        self,
        region: str,
        compartment_id: str,
        *,
        boot: bool = False,
        availability_domain: str = "Uocm:US-ASHBURN-AD-1",
        size_in_gbs: int = 50,
        freeform_tags: dict[str, str] | None = None,
        volume_id: str | None = None,
    ) -> str:
        """A block (or boot) volume, AVAILABLE; its OCID."""
        ocid = volume_id or self._ocid("bootvolume" if boot else "volume", region)
        self.volumes[ocid] = {
            "id": ocid,
            "compartmentId": compartment_id,
            "availabilityDomain": availability_domain,
            "displayName": f"volume-{ocid[-6:]}",
            "lifecycleState": "AVAILABLE",
            "sizeInGBs": size_in_gbs,
            "sizeInMBs": size_in_gbs * 1024,
            "timeCreated": self._now(),
            "freeformTags": dict(freeform_tags or {}),
            "definedTags": {},
            "volumeGroupId": None,
            "_region": region,
            "_kind": "boot_volume" if boot else "volume",
        }
        return ocid

    def add_group(
        self,
        region: str,
        compartment_id: str,
        volume_ids: list[str],
        *,
        display_name: str = "group",
        group_id: str | None = None,
        source_backup_id: str | None = None,
    ) -> str:
        """A volume group of existing volumes, AVAILABLE; its OCID (a volume may be in one group only)."""
        for volume in volume_ids:
            if self.volumes[volume]["volumeGroupId"] is not None:
                msg = f"volume {volume} is already in volume group {self.volumes[volume]['volumeGroupId']}"
                raise ValueError(msg)
        ocid = group_id or self._ocid("volumegroup", region)
        domain = self.volumes[volume_ids[0]]["availabilityDomain"] if volume_ids else "Uocm:US-ASHBURN-AD-1"
        source = (
            {"type": "volumeGroupBackupId", "volumeGroupBackupId": source_backup_id}
            if source_backup_id
            else {"type": "volumeIds", "volumeIds": list(volume_ids)}
        )
        self.groups[ocid] = {
            "id": ocid,
            "compartmentId": compartment_id,
            "availabilityDomain": domain,
            "displayName": display_name,
            "lifecycleState": "AVAILABLE",
            "volumeIds": list(volume_ids),
            "sourceDetails": source,
            "sizeInGBs": sum(self.volumes[v]["sizeInGBs"] for v in volume_ids),
            "timeCreated": self._now(),
            "freeformTags": {},
            "definedTags": {},
            "isHydrated": True,
            "_region": region,
        }
        for volume in volume_ids:
            self.volumes[volume]["volumeGroupId"] = ocid
        return ocid

    def create_backup(
        self,
        kind: str,
        source_id: str,
        *,
        compartment_id: str | None = None,
        type_: str = "FULL",
        display_name: str | None = None,
        freeform_tags: dict[str, str] | None = None,
        source_type: str = "MANUAL",
        prevent_deletion: bool = False,
        retention_lock: bool = False,
        indefinite_retention: bool = False,
        retention_days: int | None = None,
        state: str = "AVAILABLE",
        group_backup_id: str | None = None,
    ) -> dict[str, Any]:
        """A backup of a volume or group, as CreateBootVolumeBackup, CreateVolumeBackup or CreateVolumeGroupBackup
        make it (AVAILABLE, as pulumi-oci waits for); a group backup makes a volume backup of each member."""
        _path, ocid_kind, source_field, copy_field = _BACKUPS[kind]
        source = self.groups[source_id] if kind == "volume_group" else self.volumes[source_id]
        region = source["_region"]
        ocid = self._ocid(ocid_kind, region)
        created = datetime.datetime.now(datetime.UTC) + self.clock_offset
        expires = created + datetime.timedelta(days=retention_days) if retention_days else None
        backup: dict[str, Any] = {
            "id": ocid,
            "compartmentId": compartment_id or source["compartmentId"],
            "displayName": display_name or f"backup-{ocid[-6:]}",
            source_field: source_id,
            copy_field: None,
            "type": type_,
            "sourceType": source_type,
            "lifecycleState": state,
            "timeCreated": _rfc3339(created),
            "timeRequestReceived": _rfc3339(created),
            "freeformTags": {**source.get("freeformTags", {}), **(freeform_tags or {})},
            "definedTags": {},
            "systemTags": {},
            "sizeInGBs": source.get("sizeInGBs", 50),
            "uniqueSizeInGBs": source.get("sizeInGBs", 50),
            "expirationTime": None,
            "isPreventDeletionEnabled": prevent_deletion or None,
            "isRetentionLockEnabled": retention_lock or None,
            "isIndefiniteRetentionEnabled": indefinite_retention or None,
            "timeRetentionExpiresAt": _rfc3339(expires) if expires else None,
            "_kind": kind,
            "_region": region,
            "_group_backup": group_backup_id,
        }
        if kind == "volume_group":
            members = [
                self.create_backup(
                    self.volumes[v]["_kind"],
                    v,
                    compartment_id=backup["compartmentId"],
                    type_=type_,
                    source_type=source_type,
                    group_backup_id=ocid,
                )["id"]
                for v in source["volumeIds"]
            ]
            backup["volumeBackupIds"] = members
        self.backups[ocid] = backup
        return backup

    def copy_backup(self, backup_id: str, region: str, *, display_name: str | None = None) -> dict[str, Any]:
        """A copy of a backup in another region (CopyBootVolumeBackup and the like): tags copied, the source named."""
        source = self.backups[backup_id]
        kind = source["_kind"]
        _path, ocid_kind, _source_field, copy_field = _BACKUPS[kind]
        ocid = self._ocid(ocid_kind, region)
        copy = {
            **{k: v for k, v in source.items() if not k.startswith("_")},
            "id": ocid,
            "displayName": display_name or f"copy-{ocid[-6:]}",
            copy_field: backup_id,
            "timeCreated": self._now(),
            "lifecycleState": "AVAILABLE",
            "_kind": kind,
            "_region": region,
            "_group_backup": None,
        }
        if kind == "volume_group":  # a group backup's copy holds a copy of each of its volume backups
            copy["volumeBackupIds"] = [self.copy_backup(m, region)["id"] for m in source["volumeBackupIds"]]
        self.backups[ocid] = copy
        return copy

    def restore_group(
        self,
        backup_id: str,
        *,
        compartment_id: str,
        availability_domain: str,
        display_name: str,
        freeform_tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A new volume group restored from a volume group backup: a new volume per member backup."""
        backup = self.backups[backup_id]
        region = backup["_region"]
        volumes = [
            self.add_volume(
                region,
                compartment_id,
                boot=self.backups[member]["_kind"] == "boot_volume",
                availability_domain=availability_domain,
                size_in_gbs=self.backups[member]["sizeInGBs"],
            )
            for member in backup["volumeBackupIds"]
        ]
        group = self.add_group(region, compartment_id, volumes, display_name=display_name, source_backup_id=backup_id)
        self.groups[group]["freeformTags"] = dict(freeform_tags or {})
        self.groups[group]["availabilityDomain"] = availability_domain
        return self.groups[group]

    def age(self, backup_id: str, days: float) -> None:
        """Make a backup older by `days` (time passes)."""
        backup = self.backups[backup_id]
        when = datetime.datetime.fromisoformat(backup["timeCreated"].replace("Z", "+00:00"))
        backup["timeCreated"] = _rfc3339(when - datetime.timedelta(days=days))

    def live(self, kind: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
        """Backups not deleted (nor being deleted), optionally of one kind and region."""
        return [
            b
            for b in self.backups.values()
            if b["lifecycleState"] not in ("TERMINATING", "TERMINATED")
            and kind in (None, b["_kind"])
            and region in (None, b["_region"])
        ]

    def deleted(self) -> list[Seen]:
        """DELETE requests the cloud carried out."""
        return [r for r in self.requests if r.method == "DELETE" and r.applied]

    # --- the API -----------------------------------------------------------------------------------

    def handle(self, region: str, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str]) -> Reply:
        with self.lock:
            count = len(self.requests) + 1
            status, payload, headers, drop, applied = self._route(region, req, method, path, query, count)
            self.requests.append(Seen(region, method, path, dict(query), status, applied))
        return Reply(status, payload, {"opc-request-id": f"stub-{count}", **headers}, drop)

    def _route(
        self, region: str, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], count: int
    ) -> tuple[int, Any, dict[str, str], bool, bool]:
        if not signed(req, method, self.public_key, self.key_id):
            why = "The required information to complete authentication was not provided or was incorrect."
            return 401, _error("NotAuthenticated", why), {}, False, False
        if self.faults.throttle_next > 0:
            self.faults.throttle_next -= 1
            return (
                429,
                _error("TooManyRequests", "Too many requests for the tenant."),
                {"retry-after": "0"},
                False,
                False,
            )
        if self.faults.fail_every and count % self.faults.fail_every == 0:
            if (count // self.faults.fail_every) % 2:
                headers = {"retry-after": self.faults.retry_after}
                return 429, _error("TooManyRequests", "Too many requests for the tenant."), headers, False, False
            return 503, _error("ServiceUnavailable", "The service is temporarily unavailable."), {}, False, False
        if method == "GET" and (m := _LIST.match(path)) is not None and m["collection"] in _BY_PATH:
            return (*self._list(region, _BY_PATH[m["collection"]], query), False, False)
        m = _ITEM.match(path)
        if m is None:
            return 404, _error("NotAuthorizedOrNotFound", f"No route for {method} {path}"), {}, False, False
        collection, ocid = m["collection"], unquote(m["id"])
        if collection in _BY_PATH:
            store, what = self.backups, "backup"
        elif collection in _VOLUMES:
            store, what = (self.groups, "volume group") if collection == "volumeGroups" else (self.volumes, "volume")
        else:
            return 404, _error("NotAuthorizedOrNotFound", f"No route for {method} {path}"), {}, False, False
        found = store.get(ocid)
        kind = _BY_PATH.get(collection) or _VOLUMES[collection]
        if found is None or found["_region"] != region or (what != "volume group" and found["_kind"] != kind):
            why = f"Authorization failed or requested resource not found: {ocid}"
            return 404, _error("NotAuthorizedOrNotFound", why), {}, False, False
        self._progress(found)
        if method == "GET":
            return 200, _public(found), {"etag": f'"{found["lifecycleState"]}"'}, False, False
        if method == "DELETE":
            status, payload = self._delete(found, what)
            drop = status == 204 and self.faults.drop_delete_responses > 0
            if drop:
                self.faults.drop_delete_responses -= 1
            return status, payload, {}, drop, status == 204
        return 405, _error("MethodNotAllowed", f"{method} {path}"), {}, False, False

    def _list(self, region: str, kind: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        compartment = query.get("compartmentId")
        if not compartment:
            return 400, _error("MissingParameter", "compartmentId is required"), {}
        _path, _ocid_kind, source_field, copy_field = _BACKUPS[kind]
        wanted = {
            key: query[key]
            for key in (source_field, copy_field, "lifecycleState", "displayName")
            if query.get(key) is not None
        }
        found = []
        for backup in self.backups.values():
            if backup["_kind"] != kind or backup["_region"] != region or backup["compartmentId"] != compartment:
                continue
            self._progress(backup)
            if all(backup.get(key) == value for key, value in wanted.items()):
                found.append(backup)
        found.sort(key=lambda b: (b["timeCreated"], b["id"]), reverse=True)  # TIMECREATED, DESC: the API's default
        start = int(query.get("page") or 0)
        size = min(PAGE, int(query.get("limit") or PAGE))
        page = found[start : start + size]
        headers = {"opc-next-page": str(start + size)} if start + size < len(found) else {}
        return 200, [_public(b) for b in page], headers

    def _delete(self, found: dict[str, Any], what: str) -> tuple[int, Any]:
        state = found["lifecycleState"]
        if state == "TERMINATED":
            return 404, _error("NotAuthorizedOrNotFound", f"{found['id']} is terminated")
        if state == "TERMINATING":
            return 409, _error("IncorrectState", f"The {what} {found['id']} is already being deleted.")
        if what == "backup":
            refused = _refused(found, datetime.datetime.now(datetime.UTC))
            if refused is not None:
                return 409, _error("IncorrectState", f"The backup {found['id']} cannot be deleted: {refused}.")
        if what == "volume" and found.get("volumeGroupId") in self.groups:
            group = self.groups[found["volumeGroupId"]]
            if group["lifecycleState"] != "TERMINATED":
                why = f"The volume {found['id']} is in volume group {group['id']}: remove it from the group first."
                return 409, _error("IncorrectState", why)
        self._terminate(found)
        if what == "backup" and found["_kind"] == "volume_group":
            for member in found.get("volumeBackupIds") or []:
                if member in self.backups:
                    self._terminate(self.backups[member])
        if what == "volume group":
            for volume in found["volumeIds"]:
                if volume in self.volumes:
                    self.volumes[volume]["volumeGroupId"] = None
        return 204, None

    def _terminate(self, resource: dict[str, Any]) -> None:
        resource["lifecycleState"] = "TERMINATING"
        self._terminating[resource["id"]] = self.terminate_after

    def _progress(self, resource: dict[str, Any]) -> None:
        left = self._terminating.get(resource["id"])
        if left is None:
            return
        if left > 1:
            self._terminating[resource["id"]] = left - 1
            return
        del self._terminating[resource["id"]]
        resource["lifecycleState"] = "TERMINATED"


def _refused(backup: dict[str, Any], now: datetime.datetime) -> str | None:
    if backup.get("isIndefiniteRetentionEnabled"):
        return "it is under a legal hold"
    if not (backup.get("isPreventDeletionEnabled") or backup.get("isRetentionLockEnabled")):
        return None
    ends = backup.get("timeRetentionExpiresAt")
    if ends and datetime.datetime.fromisoformat(ends.replace("Z", "+00:00")) <= now:
        return None
    return "its retention period has not ended"


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if not k.startswith("_") and v is not None}


class BlockStorageStub(LoopbackJsonServer):
    """One region's Core Services endpoint over the shared state; `url` is the endpoint to give the SDK."""

    def __init__(self, cloud: BlockStorageCloud, region: str, port: int = 0) -> None:
        super().__init__(port)
        self.cloud = cloud
        self.region = region

    def handle(self, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        return self.cloud.handle(self.region, req, method, path, query)
