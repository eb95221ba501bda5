"""A local stub of the IBM Cloud VPC endpoints the project uses, returning the shapes of the VPC API docs.

One `VpcCloud` holds every region's state; `VpcStub` serves one region on a loopback port (so a copy made through
the destination region's endpoint can find its source by CRN). Requests need `Authorization: Bearer <token>` and the
`version` and `generation=2` query parameters. Lifecycles: snapshots `pending` -> `stable`, clones unavailable ->
available, each after a number of reads. As strict as the API: a request body field the API does not take is a 400; a
snapshot's `size` is the data written (not its volume's capacity, which is its `minimum_capacity`); PATCHes need the
current ETag in If-Match. Volumes are attached to instances (each volume to its zone's running instance unless a test
says otherwise) and show it as the API does (`volume_attachments`, `attachment_state`, `active`, `busy`,
`storage_generation`); a snapshot or consistency group is refused as IBM documents: a first-generation volume not
attached to a running instance or over 10 TB, a volume not `available`, busy or degraded, a clone in the volume's own
zone, a group's volumes on different instances or of the second generation. Backup policies and their plans: made
`pending`, `stable` after a number of reads; a PATCH makes them `updating`, a DELETE `deleting` (a policy's plans with
it), gone after a number of reads; the VPC API's limits (4 plans, cron pattern, retention ranges, clone zones of the
region, one remote region, not the policy's own, keeping 1 to 100 copies, 5 by default). Lists of snapshots filter
by `name`, `tag` and `source_volume.id` and are paged (`limit`, `start`, `next.href`); a copy names its source's volume
(with `remote.region`) and keeps its `captured_at`; a policy's jobs (`GET /backup_policies/{id}/jobs`, by `source.id`,
`status`, newest first). Tests seed snapshots of chosen ages and states, stable policies and jobs (`add_snapshot`,
`add_policy`, `add_job`), as a backup policy's runs leave them.
Fault injection: a share of requests failing (429 + Retry-After, 503), the response of a create dropped after the
server made the resource, a PATCH answered 503 after it took effect, a PATCH preceded by another writer's change
(412), snapshots and policies stuck in `pending`, requests that stall. Each request is logged with whether the
cloud carried it out.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from ibm_vpc import VpcV1

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
POLICY_PROTOTYPE = frozenset(
    {"name", "match_user_tags", "match_resource_type", "included_content", "plans", "resource_group", "scope"}
)
POLICY_PATCH = frozenset({"name", "match_user_tags", "included_content"})
PLAN_FIELDS = frozenset(
    {
        "name",
        "cron_spec",
        "active",
        "attach_user_tags",
        "copy_user_tags",
        "deletion_trigger",
        "clone_policy",
        "remote_region_policies",
    }
)
DELETION_TRIGGER = frozenset({"delete_after", "delete_over_count"})
CLONE_POLICY = frozenset({"zones", "max_snapshots"})
REMOTE_REGION_POLICY = frozenset({"region", "encryption_key", "delete_over_count"})
CRON_SPEC = re.compile(r"^((((\d+,)+\d+|([\d\*]+(\/|-)\d+)|\d+|\*) ?){5,7})$")
"""The VPC API's pattern of a plan's cron_spec (9 to 63 characters)."""
MAX_PLANS = 4
DEFAULT_INSTANCE = "default"
"""add_volume attaches a volume to its zone's running instance unless told otherwise."""
SECOND_GENERATION = frozenset({"sdp"})
"""Profiles of second-generation volumes (`storage_generation` 2)."""
SDP_UNATTACHED_SNAPSHOT_REGIONS = frozenset(
    {"us-south", "eu-de", "eu-gb", "eu-es", "jp-osa", "br-sao", "au-syd", "jp-tok", "ca-tor", "us-east"}
)
"""Where IBM snapshots a second-generation volume that is not attached to a running instance."""
GEN1_SNAPSHOT_LIMIT_GB = 10_000
"""IBM does not snapshot a first-generation volume over 10 TB (10,000 GB as the API counts capacity)."""
REMOTE_COPIES_DEFAULT = 5
REMOTE_COPIES_MAX = 100
"""BackupPolicyPlanRemoteRegionPolicyPrototype.delete_over_count: 1 to 100, 5 when not given (IBM VPC API)."""


@dataclass
class Faults:
    fail_every: int = 0
    """Every n-th request fails, alternately 429 (with Retry-After) and 503. 0 = never."""
    retry_after: str = "0"
    drop_create_responses: int = 0
    """The next n POSTs that create something are carried out, then the connection is closed unanswered."""
    stall: set[str] = field(default_factory=set)
    """Names of snapshots that stay `pending` forever."""
    lost_patch_answers: int = 0
    """The next n PATCHes are carried out, then answered 503: the answer of a change that took effect is lost."""
    concurrent_patches: int = 0
    """The next n PATCHes find their resource changed by another writer just before they arrive (a new ETag), so
    the If-Match of the one who read it before is stale: 412."""


@dataclass
class Seen:
    region: str
    method: str
    path: str
    status: int
    at: float
    if_match: str | None = None
    """The request's If-Match header."""
    applied: bool = False
    """A POST, PUT, PATCH or DELETE the cloud carried out (whatever it answered)."""


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
        self.policies: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        """Backup policy plans by id; each names its policy in `_policy`."""
        self.instances: dict[str, dict[str, Any]] = {}
        """Virtual server instances by id (the volumes hold their attachments)."""
        self.jobs: dict[str, dict[str, Any]] = {}
        """Backup policy jobs by id; each names its policy in `_policy`."""
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
        user_tags: list[str] | None = None,
        zone: str | None = None,
        attached_to: str | None = DEFAULT_INSTANCE,
        attachment_type: str = "data",
    ) -> None:
        """A volume in `zone` (default `<region>-1`), attached to `attached_to`: by default the zone's running
        instance (made on first use), as a volume IBM Cloud snapshots is; None leaves it unattached."""
        zone = zone or f"{region}-1"
        self.volumes[volume_id] = {
            "id": volume_id,
            "crn": f"crn:v1:bluemix:public:is:{zone}:{ACCOUNT}::volume:{volume_id}",
            "name": f"vol-{volume_id}",  # names are unique per region
            "capacity": size,
            "_used": used if used is not None else max(1, size // 20),
            "encryption": encryption,
            "profile": {"name": profile},
            "zone": {"name": zone},
            "status": "available",
            "busy": False,
            "health_state": "ok",
            "user_tags": list(user_tags or []),
            "_region": region,
            "_attachments": [],
        }
        if attached_to == DEFAULT_INSTANCE:
            attached_to = f"0717-{zone}-instance"
            if attached_to not in self.instances:
                self.add_instance(attached_to, region, zone=zone)
        if attached_to is not None:
            self.attach(volume_id, attached_to, attachment_type)

    def add_instance(self, instance_id: str, region: str, *, zone: str | None = None, status: str = "running") -> None:
        """A virtual server instance (`running`, `stopped`, ...) with no volume yet."""
        zone = zone or f"{region}-1"
        self.instances[instance_id] = {
            "id": instance_id,
            "crn": f"crn:v1:bluemix:public:is:{zone}:{ACCOUNT}::instance:{instance_id}",
            "name": f"vsi-{instance_id[-12:]}",
            "status": status,
            "zone": {"name": zone},
            "resource_type": "instance",
            "_region": region,
        }

    def attach(self, volume_id: str, instance_id: str, kind: str = "data") -> None:
        """Attach a volume to an instance as its `boot` or a `data` volume."""
        self.volumes[volume_id]["_attachments"].append((instance_id, kind))

    def detach(self, volume_id: str) -> None:
        self.volumes[volume_id]["_attachments"] = []

    def volume_out(self, volume: dict[str, Any]) -> dict[str, Any]:
        """A volume as the API shows it: with its attachments and what follows from them (Volume in the VPC API)."""
        attachments = [
            {
                "id": f"{volume['id']}-attachment-{k}",
                "name": f"attachment-{k}",
                "type": kind,
                "delete_volume_on_instance_delete": kind == "boot",
                "instance": {key: self.instances[instance_id][key] for key in ("id", "crn", "name")},
            }
            for k, (instance_id, kind) in enumerate(volume.get("_attachments") or [])
        ]
        running = [a for a in attachments if self.instances[a["instance"]["id"]]["status"] == "running"]
        return _public(volume) | {
            "volume_attachments": attachments,
            "attachment_state": "attached" if attachments else "unattached",
            "active": bool(running),
            "storage_generation": 2 if volume["profile"]["name"] in SECOND_GENERATION else 1,
        }

    def instance_out(self, instance: dict[str, Any]) -> dict[str, Any]:
        """An instance as the API shows it: its boot volume attachment, and every attachment (the boot one too)."""
        attachments = [
            (kind, {"id": f"{v['id']}-attachment", "name": f"{kind}-{v['name']}", "volume": _reference(v)})
            for v in self.volumes.values()
            for instance_id, kind in v.get("_attachments") or []
            if instance_id == instance["id"]
        ]
        boot = next((a for kind, a in attachments if kind == "boot"), None)
        return _public(instance) | {
            "volume_attachments": [a for _, a in attachments],
            **({"boot_volume_attachment": boot} if boot is not None else {}),
        }

    def add_snapshot(
        self,
        volume_id: str,
        *,
        age: datetime.timedelta,
        region: str | None = None,
        state: str = "stable",
        name: str | None = None,
        plan: dict[str, Any] | None = None,
        copy_of: str | None = None,
    ) -> dict[str, Any]:
        """A snapshot of a volume captured `age` ago, as a backup policy's run (`plan`) or an on-demand request
        leaves it, in `state` (`stable`, `pending`, `failed`...); with `copy_of`, a copy of that snapshot in `region`
        (same capture time, naming the source's volume with `remote.region`)."""
        volume = self.volumes[volume_id]
        source = self.snapshots[copy_of] if copy_of is not None else None
        region = region or volume["_region"]
        snapshot_id = f"r0{next(_ids):02d}-{region}-snap"
        captured = datetime.datetime.now(datetime.UTC) + self.clock_offset - age
        when = captured.isoformat(timespec="microseconds").replace("+00:00", "Z")
        reference = {"id": volume["id"], "crn": volume["crn"], "name": volume["name"]}
        if region != volume["_region"]:
            reference["remote"] = {"region": {"name": volume["_region"]}}
        snapshot: dict[str, Any] = {
            "id": snapshot_id,
            "crn": f"crn:v1:bluemix:public:is:{region}:{ACCOUNT}::snapshot:{snapshot_id}",
            "name": name or f"snap-{snapshot_id}",
            "lifecycle_state": state,
            "size": volume["_used"],
            "minimum_capacity": volume["capacity"],
            "encryption": volume["encryption"],
            "clones": [],
            "resource_type": "snapshot",
            "captured_at": source["captured_at"] if source is not None else when,
            "created_at": when,
            "source_volume": reference,
            "user_tags": [],
            "_region": region,
            "_etag": f'W/"{next(self._etags)}"',
            "_created": time.monotonic(),
            "_fixed": True,  # seeded in its state: reads do not move it on
        }
        if plan is not None:
            snapshot["backup_policy_plan"] = {
                "id": plan["id"],
                "name": plan["name"],
                "resource_type": "backup_policy_plan",
            }
        if source is not None:
            snapshot["source_snapshot"] = {"crn": source["crn"], "id": source["id"], "name": source["name"]}
        self.snapshots[snapshot_id] = snapshot
        return snapshot

    def add_policy(self, name: str, region: str, tags: list[str], plan: str = "daily") -> dict[str, Any]:
        """A stable backup policy of volumes with one active plan, as IBM holds one some runs after its creation."""
        policy_id = f"r0{next(_ids):02d}-{region}-policy"
        href = f"https://{region}.iaas.cloud.ibm.com/v1/backup_policies/{policy_id}"
        self.policies[policy_id] = {
            "id": policy_id,
            "crn": f"crn:v1:bluemix:public:is:{region}:{ACCOUNT}::backup-policy:{policy_id}",
            "href": href,
            "name": name,
            "match_resource_type": "volume",
            "match_user_tags": list(tags),
            "resource_group": {"id": "default-resource-group", "name": "defaults"},
            "lifecycle_state": "stable",
            "health_state": "ok",
            "health_reasons": [],
            "created_at": self.created_at(),
            "resource_type": "backup_policy",
            "_region": region,
            "_etag": f'W/"{next(self._etags)}"',
            "_reads": 0,
        }
        plan_id = f"r0{next(_ids):02d}-{region}-plan"
        record = _plan_record(plan_id, f"{href}/plans/{plan_id}", plan, "0 3 * * *", self.created_at(), policy_id)
        record |= {"active": True, "deletion_trigger": {"delete_after": 7}, "lifecycle_state": "stable"}
        record |= {"_etag": f'W/"{next(self._etags)}"', "_reads": 0}
        self.plans[plan_id] = record
        return self.policies[policy_id]

    def add_job(
        self,
        policy_id: str,
        source_id: str,
        *,
        status: str,
        age: datetime.timedelta,
        reasons: Sequence[tuple[str, str]] = (),
        snapshots: Sequence[dict[str, Any]] = (),
    ) -> dict[str, Any]:
        """A creation job of a backup policy's plan for one source (BackupPolicyJob in the VPC API)."""
        policy = self.policies[policy_id]
        plan = next(p for p in self.plans.values() if p["_policy"] == policy_id)
        job_id = f"r0{next(_ids):02d}-job"
        created = datetime.datetime.now(datetime.UTC) + self.clock_offset - age
        when = created.isoformat(timespec="microseconds").replace("+00:00", "Z")
        source = self.volumes.get(source_id) or self.instances.get(source_id) or {"id": source_id}
        job = {
            "id": job_id,
            "href": f"https://{policy['_region']}.iaas.cloud.ibm.com/v1/backup_policies/{policy_id}/jobs/{job_id}",
            "auto_delete": True,
            "auto_delete_after": 90,
            "backup_policy_plan": {"id": plan["id"], "name": plan["name"], "resource_type": "backup_policy_plan"},
            "created_at": when,
            "job_type": "creation",
            "resource_type": "backup_policy_job",
            "source": {k: source[k] for k in ("id", "crn", "name") if k in source} | {"resource_type": "volume"},
            "status": status,
            "status_reasons": [{"code": code, "message": message} for code, message in reasons],
            "target_snapshots": [{"id": s["id"], "crn": s["crn"], "name": s["name"]} for s in snapshots],
            "_policy": policy_id,
        }
        if status != "running":
            job["completed_at"] = when
        self.jobs[job_id] = job
        return job

    def policy_named(self, name: str) -> dict[str, Any]:
        """The one backup policy of that name."""
        [policy] = [p for p in self.policies.values() if p["name"] == name]
        return policy

    def plans_of(self, policy_id: str) -> dict[str, dict[str, Any]]:
        """A policy's plans by name."""
        return {p["name"]: p for p in self.plans.values() if p["_policy"] == policy_id}

    def carried_out(self, method: str) -> list[Seen]:
        """Requests of `method` that changed something, whether their answer reached the client or not."""
        return [r for r in self.requests if r.method == method and r.applied]

    def mutating(self, region: str | None = None) -> list[Seen]:
        """Requests that change something (POST, PUT, PATCH, DELETE)."""
        return [
            r for r in self.requests if r.method in {"POST", "PUT", "PATCH", "DELETE"} and region in (None, r.region)
        ]

    def in_region(self, region: str) -> list[dict[str, Any]]:
        return [s for s in self.snapshots.values() if s["_region"] == region]


class _PolicyRoutes:
    """Backup policies and their plans, as a mixin of VpcStub."""

    cloud: VpcCloud
    region: str

    def _drop(self) -> bool:
        raise NotImplementedError

    # --- policies --------------------------------------------------------------------------------

    def _policies(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str], bool]:
        cloud = self.cloud
        if method == "GET":
            found = [
                self._policy_out(p)
                for p in list(cloud.policies.values())
                if p["_region"] == self.region and query.get("name") in (None, p["name"])
            ]
            page = {"backup_policies": found, "limit": 50, "total_count": len(found)}
            return 200, page | {"first": {"href": f"{self._href('backup_policies')}?limit=50"}}, {}, False
        if method != "POST":
            return 405, _errors("method_not_allowed", method), {}, False
        problem = _unknown_fields(body, POLICY_PROTOTYPE)
        if problem:
            return 400, problem, {}, False
        kind = body.get("match_resource_type")
        if kind not in ("volume", "instance", "share"):
            return 400, _errors("invalid_match_resource_type", f"match_resource_type {kind!r}"), {}, False
        tags = body.get("match_user_tags")
        if not isinstance(tags, list) or not tags:
            return 400, _errors("missing_match_user_tags", "match_user_tags must hold at least one tag"), {}, False
        if "included_content" in body and kind != "instance":
            return 400, _errors("invalid_included_content", "included_content is for instance policies"), {}, False
        name = body.get("name")
        if any(p["name"] == name and p["_region"] == self.region for p in cloud.policies.values()):
            return 409, _errors("backup_policy_name_duplicate", f"The name {name} is already in use"), {}, False
        plans = body.get("plans") or []
        if len(plans) > MAX_PLANS:
            return 400, _errors("backup_policy_plans_limit", f"at most {MAX_PLANS} plans per policy"), {}, False
        names = [plan.get("name") for plan in plans]
        if len(set(names)) != len(names):
            return 400, _errors("backup_policy_plan_name_duplicate", "plan names must be unique"), {}, False
        for plan in plans:
            problem = self._plan_problem(plan, prototype=True)
            if problem:
                return 400, problem, {}, False
        policy_id = f"r0{next(_ids):02d}-{self.region}-policy"
        policy = {
            "id": policy_id,
            "crn": f"crn:v1:bluemix:public:is:{self.region}:{ACCOUNT}::backup-policy:{policy_id}",
            "href": self._href(f"backup_policies/{policy_id}"),
            "name": name,
            "match_resource_type": kind,
            "match_user_tags": list(tags),
            "resource_group": _resource_group(body),
            "lifecycle_state": "pending",
            "health_state": "inapplicable",
            "health_reasons": [],
            "created_at": cloud.created_at(),
            "resource_type": "backup_policy",
            "scope": {"crn": f"crn:v1:bluemix:public:is::{ACCOUNT}::", "id": "a1234567", "resource_type": "account"},
            "_region": self.region,
        }
        if kind == "instance":
            policy["included_content"] = list(body.get("included_content") or ["boot_volume", "data_volumes"])
        self._renew(policy)
        cloud.policies[policy_id] = policy
        for plan in plans:
            self._new_plan(policy_id, plan)
        return 201, self._policy_out(policy), {}, self._drop()

    def _policy(
        self, method: str, policy_id: str, body: Any, req: BaseHTTPRequestHandler
    ) -> tuple[int, Any, dict[str, str], bool]:
        policy = self._live_policy(policy_id, advance=method == "GET")
        if policy is None:
            return 404, _errors("backup_policy_not_found", f"Backup policy {policy_id} not found"), {}, False
        if method == "GET":
            return 200, self._policy_out(policy), {"ETag": policy["_etag"]}, False
        if method == "PATCH":
            unknown = _unknown_fields(body, POLICY_PATCH)
            if unknown:
                return 400, unknown, {}, False
            refused = _precondition(body, req, policy)
            if refused:
                return refused
            if "included_content" in body and policy["match_resource_type"] != "instance":
                return 400, _errors("invalid_included_content", "included_content is for instance policies"), {}, False
            name = body.get("name")
            taken = any(
                p["name"] == name and p is not policy and p["_region"] == self.region
                for p in self.cloud.policies.values()
            )
            if name is not None and taken:
                return 409, _errors("backup_policy_name_duplicate", f"The name {name} is already in use"), {}, False
            for key in POLICY_PATCH & set(body):
                policy[key] = body[key]
            self._renew(policy, "updating")
            return 200, self._policy_out(policy), {"ETag": policy["_etag"]}, False
        if method == "DELETE":
            self._renew(policy, "deleting")
            for plan in self.cloud.plans.values():
                if plan["_policy"] == policy_id:
                    self._renew(plan, "deleting")
            return 202, self._policy_out(policy), {}, False
        return 405, _errors("method_not_allowed", method), {}, False

    def _live_policy(self, policy_id: str, *, advance: bool) -> dict[str, Any] | None:
        """The policy, moved on by a read; None once it is gone (its plans go with it)."""
        policy = self.cloud.policies.get(policy_id)
        if policy is None or policy["_region"] != self.region:
            return None
        if advance and self._move_on(policy):
            del self.cloud.policies[policy_id]
            for plan_id in [k for k, p in self.cloud.plans.items() if p["_policy"] == policy_id]:
                del self.cloud.plans[plan_id]
            return None
        return policy

    def _policy_out(self, policy: dict[str, Any]) -> dict[str, Any]:
        plans = [p for p in self.cloud.plans.values() if p["_policy"] == policy["id"]]
        refs = [
            {"id": p["id"], "name": p["name"], "href": p["href"], "resource_type": p["resource_type"]} for p in plans
        ]
        return _public(policy) | {"plans": refs}

    # --- plans -----------------------------------------------------------------------------------

    def _plans(
        self, method: str, policy_id: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str], bool]:
        policy = self._live_policy(policy_id, advance=False)
        if policy is None:
            return 404, _errors("backup_policy_not_found", f"Backup policy {policy_id} not found"), {}, False
        plans = [p for p in self.cloud.plans.values() if p["_policy"] == policy_id]
        if method == "GET":
            found = []
            for plan in plans:
                if self._move_on(plan):
                    del self.cloud.plans[plan["id"]]
                elif query.get("name") in (None, plan["name"]):
                    found.append(_public(plan))
            first = {"href": f"{self._href(f'backup_policies/{policy_id}/plans')}?limit=50"}
            return 200, {"plans": found, "limit": 50, "total_count": len(found), "first": first}, {}, False
        if method != "POST":
            return 405, _errors("method_not_allowed", method), {}, False
        if policy["lifecycle_state"] == "deleting":
            return 409, _errors("backup_policy_deleting", f"Backup policy {policy_id} is being deleted"), {}, False
        problem = self._plan_problem(body, prototype=True)
        if problem:
            return 400, problem, {}, False
        if len(plans) >= MAX_PLANS:
            return 400, _errors("backup_policy_plans_limit", f"at most {MAX_PLANS} plans per policy"), {}, False
        name = body.get("name")
        if any(p["name"] == name for p in plans):
            return 409, _errors("backup_policy_plan_name_duplicate", f"The plan name {name} is in use"), {}, False
        plan = self._new_plan(policy_id, body)
        return 201, _public(plan), {}, self._drop()

    def _plan(
        self, method: str, policy_id: str, plan_id: str, body: Any, req: BaseHTTPRequestHandler
    ) -> tuple[int, Any, dict[str, str], bool]:
        plan = self.cloud.plans.get(plan_id)
        if plan is None or plan["_policy"] != policy_id or self._live_policy(policy_id, advance=False) is None:
            return 404, _errors("backup_policy_plan_not_found", f"Plan {plan_id} not found"), {}, False
        if method == "GET":
            if self._move_on(plan):
                del self.cloud.plans[plan_id]
                return 404, _errors("backup_policy_plan_not_found", f"Plan {plan_id} not found"), {}, False
            return 200, _public(plan), {"ETag": plan["_etag"]}, False
        if method == "PATCH":
            refused = _precondition(body, req, plan)
            if refused:
                return refused
            bad = self._plan_problem(body, prototype=False)
            if bad:
                return 400, bad, {}, False
            name = body.get("name")
            taken = any(
                p["name"] == name and p is not plan and p["_policy"] == policy_id for p in self.cloud.plans.values()
            )
            if name is not None and taken:
                return 409, _errors("backup_policy_plan_name_duplicate", f"The plan name {name} is in use"), {}, False
            self._apply_plan(plan, body)
            self._renew(plan, "updating")
            return 200, _public(plan), {"ETag": plan["_etag"]}, False
        if method == "DELETE":
            self._renew(plan, "deleting")
            return 202, _public(plan), {}, False
        return 405, _errors("method_not_allowed", method), {}, False

    def _new_plan(self, policy_id: str, body: dict[str, Any]) -> dict[str, Any]:
        plan_id = f"r0{next(_ids):02d}-{self.region}-plan"
        plan = _plan_record(
            plan_id,
            self._href(f"backup_policies/{policy_id}/plans/{plan_id}"),
            body.get("name") or f"plan-{plan_id}",
            body["cron_spec"],
            self.cloud.created_at(),
            policy_id,
        )
        self._apply_plan(plan, body)
        self._renew(plan, "pending")
        self.cloud.plans[plan_id] = plan
        return plan

    def _apply_plan(self, plan: dict[str, Any], body: dict[str, Any]) -> None:
        """A prototype or a merge patch: nested objects merge, lists replace, null removes."""
        for key in ("name", "cron_spec", "active", "attach_user_tags", "copy_user_tags"):
            if key in body:
                plan[key] = body[key]
        if "deletion_trigger" in body:
            trigger = {**plan["deletion_trigger"], **body["deletion_trigger"]}
            plan["deletion_trigger"] = {k: v for k, v in trigger.items() if v is not None}
        if "clone_policy" in body:
            clones = body["clone_policy"]
            zones = (
                [
                    {"name": z["name"], "href": self._href(f"regions/{self.region}/zones/{z['name']}")}
                    for z in clones.get("zones", [])
                ]
                if "zones" in clones
                else plan["clone_policy"]["zones"]
            )
            kept = clones.get("max_snapshots", plan["clone_policy"]["max_snapshots"])
            plan["clone_policy"] = {"max_snapshots": kept, "zones": zones}
        if "remote_region_policies" in body:
            plan["remote_region_policies"] = [
                {
                    "region": {"name": r["region"]["name"], "href": self._href(f"regions/{r['region']['name']}")},
                    "delete_over_count": r.get("delete_over_count", REMOTE_COPIES_DEFAULT),
                    **({"encryption_key": {"crn": r["encryption_key"]["crn"]}} if r.get("encryption_key") else {}),
                }
                for r in body["remote_region_policies"]
            ]

    def _plan_problem(self, body: Any, *, prototype: bool) -> dict[str, Any] | None:
        """The API's 400 answer to a plan prototype or patch it refuses, or None."""
        problem = _unknown_fields(body, PLAN_FIELDS)
        if problem:
            return problem
        cron = body.get("cron_spec")
        if (prototype or cron is not None) and not (
            isinstance(cron, str) and 9 <= len(cron) <= 63 and CRON_SPEC.fullmatch(cron)
        ):
            return _errors("invalid_cron_spec", f"cron_spec {cron!r} does not match the pattern")
        trigger = body.get("deletion_trigger") or {}
        problem = _unknown_fields(trigger, DELETION_TRIGGER)
        if problem:
            return problem
        if "delete_after" in trigger and not 1 <= trigger["delete_after"] <= 3650:
            return _errors("invalid_delete_after", "delete_after must be 1 to 3650")
        count = trigger.get("delete_over_count")
        if count is not None and not 0 <= count <= 750:
            return _errors("invalid_delete_over_count", "delete_over_count must be 0 to 750")
        clones = body.get("clone_policy") or {}
        problem = _unknown_fields(clones, CLONE_POLICY)
        if problem:
            return problem
        if "max_snapshots" in clones and not 1 <= clones["max_snapshots"] <= 10:
            return _errors("invalid_max_snapshots", "max_snapshots must be 1 to 10")
        if any(z.get("name") not in self.cloud.zones.get(self.region, []) for z in clones.get("zones", [])):
            return _errors("invalid_zone", f"clone zones must be zones of {self.region}")
        remotes = body.get("remote_region_policies") or []
        if len(remotes) > 1:
            return _errors("remote_region_policies_limit", "at most one remote region policy")
        for remote in remotes:
            problem = _unknown_fields(remote, REMOTE_REGION_POLICY)
            if problem:
                return problem
            region = (remote.get("region") or {}).get("name")
            if region not in VpcV1.REGIONAL_ENDPOINTS or region == self.region:
                return _errors("invalid_remote_region", f"region {region!r} is not another region")
            count = remote.get("delete_over_count", REMOTE_COPIES_DEFAULT)
            if not isinstance(count, int) or not 1 <= count <= REMOTE_COPIES_MAX:
                why = f"remote_region_policies delete_over_count must be 1 to {REMOTE_COPIES_MAX}"
                return _errors("invalid_delete_over_count", why)
            key = (remote.get("encryption_key") or {}).get("crn", "crn:")
            if not str(key).startswith("crn:"):
                return _errors("invalid_encryption_key", "encryption_key must be a CRN")
        return None

    # --- jobs ------------------------------------------------------------------------------------

    def _jobs(self, policy_id: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str], bool]:
        """GET /backup_policies/{id}/jobs: filters source.id, status, backup_policy_plan.id; sort by created_at."""
        if self._live_policy(policy_id, advance=False) is None:
            return 404, _errors("backup_policy_not_found", f"Backup policy {policy_id} not found"), {}, False
        found = [
            j
            for j in self.cloud.jobs.values()
            if j["_policy"] == policy_id
            and query.get("source.id") in (None, j["source"]["id"])
            and query.get("status") in (None, j["status"])
            and query.get("backup_policy_plan.id") in (None, j["backup_policy_plan"]["id"])
        ]
        sort = query.get("sort", "-created_at")
        if sort.lstrip("-") != "created_at":
            return 400, _errors("invalid_sort", f"sort {sort!r}: created_at or -created_at"), {}, False
        found.sort(key=lambda j: (j["created_at"], j["id"]), reverse=sort.startswith("-"))
        return 200, self._page(f"backup_policies/{policy_id}/jobs", [_public(j) for j in found], query), {}, False

    def _page(self, collection: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        """One page of a collection as the VPC API pages it: `limit` items from `start`, `next.href` to the rest."""
        limit = int(query.get("limit") or 50)
        start = int(query.get("start") or 0)
        key = collection.rsplit("/", 1)[-1]
        page: dict[str, Any] = {
            key: items[start : start + limit],
            "limit": limit,
            "total_count": len(items),
            "first": {"href": f"{self._href(collection)}?limit={limit}"},
        }
        if start + limit < len(items):
            page["next"] = {"href": f"{self._href(collection)}?limit={limit}&start={start + limit}"}
        return page

    # --- lifecycles --------------------------------------------------------------------------------

    def _renew(self, resource: dict[str, Any], state: str = "pending") -> None:
        """A new ETag, and a lifecycle state that moves on after `ready_after` reads."""
        resource["lifecycle_state"] = state
        resource["_etag"] = f'W/"{next(self.cloud._etags)}"'
        resource["_reads"] = 0

    def _move_on(self, resource: dict[str, Any]) -> bool:
        """One read of a policy or plan: pending/updating become stable, deleting becomes gone (True)."""
        if resource["name"] in self.cloud.faults.stall:
            return False
        resource["_reads"] += 1
        if resource["_reads"] <= self.cloud.ready_after:
            return False
        if resource["lifecycle_state"] == "deleting":
            return True
        if resource["lifecycle_state"] in ("pending", "updating"):
            resource["lifecycle_state"] = "stable"
            if resource.get("resource_type") == "backup_policy":
                resource["health_state"] = "ok"
        return False

    def _href(self, path: str) -> str:
        return f"https://{self.region}.iaas.cloud.ibm.com/v1/{path}"


def _precondition(
    body: Any, req: BaseHTTPRequestHandler, resource: dict[str, Any]
) -> tuple[int, Any, dict[str, str], bool] | None:
    """A PATCH holding a list needs the resource's current ETag in If-Match (428 without it, 412 on another)."""
    given = req.headers.get("if-match")
    holds_list = isinstance(body, dict) and any(
        isinstance(v, list) or (isinstance(v, dict) and any(isinstance(x, list) for x in v.values()))
        for v in body.values()
    )
    if given is None and holds_list:
        return 428, _errors("precondition_required", "If-Match is required for a patch with an array"), {}, False
    if given is not None and given != resource["_etag"]:
        return 412, _errors("precondition_failed", "ETag mismatch"), {}, False
    return None


class VpcStub(_PolicyRoutes, LoopbackJsonServer):
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
            if method == "PATCH" and cloud.faults.concurrent_patches > 0:
                cloud.faults.concurrent_patches -= 1
                self._changed_by_another_writer(path)
            status, payload, headers, drop = self._route(req, method, path, query, document, count)
            applied = method in {"POST", "PUT", "PATCH", "DELETE"} and status < 300
            if applied and method == "PATCH" and cloud.faults.lost_patch_answers > 0:
                cloud.faults.lost_patch_answers -= 1
                status, payload, headers = 503, _errors("service_unavailable", "Service unavailable"), {}
            seen = Seen(self.region, method, path, status, time.time(), req.headers.get("if-match"), applied)
            cloud.requests.append(seen)
        return Reply(status, payload, headers, drop)

    def _changed_by_another_writer(self, path: str) -> None:
        """The resource a PATCH names gets a new ETag, as when someone else changed it a moment before."""
        parts = [p for p in path.split("/") if p][1:]
        cloud = self.cloud
        match parts:
            case ["snapshots", snapshot_id]:
                found = cloud.snapshots.get(snapshot_id)
            case ["snapshot_consistency_groups", group_id]:
                found = cloud.groups.get(group_id)
            case ["backup_policies", policy_id]:
                found = cloud.policies.get(policy_id)
            case ["backup_policies", _, "plans", plan_id]:
                found = cloud.plans.get(plan_id)
            case _:
                found = None
        if found is not None:
            found["_etag"] = f'W/"{next(cloud._etags)}"'

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
                    cloud.volume_out(v)
                    for v in cloud.volumes.values()
                    if v["_region"] == self.region and query.get("name") in (None, v["name"])
                ]
                return 200, {"volumes": found, "limit": 50}, {}, False
            case ["instances"] if method == "GET":
                instances = [
                    cloud.instance_out(i)
                    for i in cloud.instances.values()
                    if i["_region"] == self.region and query.get("name") in (None, i["name"])
                ]
                return 200, {"instances": instances, "limit": 50}, {}, False
            case ["instances", instance_id] if method == "GET":
                instance = cloud.instances.get(instance_id)
                if instance is None or instance["_region"] != self.region:
                    return 404, _errors("instance_not_found", f"Instance {instance_id} not found"), {}, False
                return 200, cloud.instance_out(instance), {}, False
            case ["volumes"] if method == "POST":
                return self._restore_volume(body)
            case ["volumes", volume_id] if method in ("GET", "DELETE"):
                volume = cloud.volumes.get(volume_id)
                if volume is None or volume["_region"] != self.region:
                    return 404, _errors("volume_not_found", f"Volume {volume_id} not found"), {}, False
                if method == "DELETE":
                    del cloud.volumes[volume_id]
                    return 204, None, {}, False
                if volume["status"] == "pending" and "_reads" in volume:  # a restored volume on its way
                    volume["_reads"] += 1
                    wanted = cloud.ready_after if cloud.volume_ready_after is None else cloud.volume_ready_after
                    if volume["_reads"] > wanted:
                        volume["status"] = "available"
                return 200, cloud.volume_out(volume), {}, False
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
            case ["backup_policies"]:
                return self._policies(method, query, body)
            case ["backup_policies", policy_id]:
                return self._policy(method, policy_id, body, req)
            case ["backup_policies", policy_id, "plans"]:
                return self._plans(method, policy_id, query, body)
            case ["backup_policies", policy_id, "jobs"] if method == "GET":
                return self._jobs(policy_id, query)
            case ["backup_policies", policy_id, "plans", plan_id]:
                return self._plan(method, policy_id, plan_id, body, req)
        return 404, _errors("not_found", f"No route {method} {path}"), {}, False

    # --- snapshots -------------------------------------------------------------------------------

    def _snapshots(self, method: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str], bool]:
        cloud = self.cloud
        if method == "GET":
            found = [
                s
                for s in cloud.in_region(self.region)
                if query.get("name") in (None, s["name"])
                and query.get("tag") in (None, *s.get("user_tags", []))
                and query.get("source_volume.id") in (None, (s.get("source_volume") or {}).get("id"))
            ]
            for s in found:
                self._advance(s)
            return 200, self._page("snapshots", [_public(s) for s in found], query), {}, False
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
            # A copy holds the source's data as it was captured, and names the source's volume in the source's
            # region (seed 004, the response of a cross-regional copy: `captured_at`, `source_volume.remote`).
            snapshot["captured_at"] = source.get("captured_at", source["created_at"])
            if source.get("source_volume"):
                remote = {"region": {"name": source["_region"]}} if source["_region"] != self.region else None
                snapshot["source_volume"] = {**source["source_volume"], **({"remote": remote} if remote else {})}
            if "encryption_key" in body:
                snapshot["encryption_key"] = body["encryption_key"]
        else:
            volume = cloud.volumes.get((body.get("source_volume") or {}).get("id", ""))
            if volume is None or volume["_region"] != self.region:
                return 404, _errors("volume_not_found", "source volume not found"), {}, False
            zones = [c["zone"]["name"] for c in body.get("clones", [])]
            if any(z not in cloud.zones[self.region] for z in zones):
                return 400, _errors("invalid_zone", "clone zone not in region"), {}, False
            if volume["zone"]["name"] in zones:
                return 400, _errors("invalid_zone", "a clone goes to another zone than the volume's"), {}, False
            refused = self._unsnapshottable(volume)
            if refused:
                return refused
            snapshot = self._new_snapshot(
                name, size=volume["_used"], capacity=volume["capacity"], encryption=volume["encryption"], clones=zones
            )
            snapshot["source_volume"] = {"id": volume["id"], "crn": volume["crn"], "name": volume["name"]}
        snapshot["user_tags"] = list(body.get("user_tags", []))
        snapshot["resource_group"] = _resource_group(body)
        return 201, _public(snapshot), {}, self._drop()

    def _unsnapshottable(self, volume: dict[str, Any]) -> tuple[int, Any, dict[str, str], bool] | None:
        """IBM's refusal of a snapshot of `volume` (bs_snapshots_about.md, Limitations; the CLI's "available, attached
        to an instance and not busy"), or None. The error codes are the fake's own."""
        shown = self.cloud.volume_out(volume)
        if shown["status"] != "available" or shown["busy"]:
            return 409, _errors("volume_not_available", "the volume must be available and not busy"), {}, False
        if shown["health_state"] == "degraded":
            return 409, _errors("volume_degraded", "a degraded volume cannot be snapshot"), {}, False
        if shown["storage_generation"] == 1:
            if not shown["active"]:
                why = "a first-generation volume must be attached to a running virtual server instance"
                return 409, _errors("volume_not_attached", why), {}, False
            if volume["capacity"] > GEN1_SNAPSHOT_LIMIT_GB:
                return 400, _errors("volume_too_large", "first-generation volumes over 10 TB"), {}, False
        elif not shown["active"] and self.region not in SDP_UNATTACHED_SNAPSHOT_REGIONS:
            why = f"second-generation volumes are snapshot unattached only in {sorted(SDP_UNATTACHED_SNAPSHOT_REGIONS)}"
            return 409, _errors("volume_not_attached", why), {}, False
        return None

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
            "busy": False,
            "_attachments": [],
        }
        return 201, cloud.volume_out(cloud.volumes[volume_id]), {}, self._drop()

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
        snapshot["captured_at"] = snapshot["created_at"]
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
        if snapshot["name"] in cloud.faults.stall or snapshot.get("_fixed"):
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
        hosts = {
            tuple(sorted(i for i, _ in cloud.volumes[v]["_attachments"]))
            for v in (item["source_volume"]["id"] for item in body.get("snapshots", []))
            if v in cloud.volumes
        }
        if len(hosts) > 1:
            why = "the volumes of a consistency group are attached to the same instance"
            return 400, _errors("volumes_not_attached_to_same_instance", why), {}, False
        for item in body.get("snapshots", []):
            volume = cloud.volumes.get(item["source_volume"]["id"])
            if volume is None:
                return 404, _errors("volume_not_found", "source volume not found"), {}, False
            if volume["profile"]["name"] in SECOND_GENERATION:
                return (
                    400,
                    _errors("not_supported", "consistency groups do not support second-generation volumes"),
                    {},
                    False,
                )
            refused = self._unsnapshottable(volume)
            if refused:
                return refused
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


def _plan_record(plan_id: str, href: str, name: str, cron_spec: str, created_at: str, policy: str) -> dict[str, Any]:
    """A backup policy plan with the API's defaults (inactive, kept 30 days, no clones, no remote copies)."""
    return {
        "id": plan_id,
        "href": href,
        "name": name,
        "cron_spec": cron_spec,
        "active": False,
        "attach_user_tags": [],
        "copy_user_tags": True,
        "deletion_trigger": {"delete_after": 30},
        "clone_policy": {"max_snapshots": 5, "zones": []},
        "remote_region_policies": [],
        "created_at": created_at,
        "resource_type": "backup_policy_plan",
        "_policy": policy,
    }


def _unknown_fields(body: Any, allowed: frozenset[str]) -> dict[str, Any] | None:
    """The API's 400 answer to a body field it does not take, or None."""
    extra = sorted(set(body) - allowed) if isinstance(body, dict) else []
    if not extra:
        return None
    return _errors("invalid_request_field", f"unknown field(s) {', '.join(extra)}; the API takes {sorted(allowed)}")


def _resource_group(body: Any) -> dict[str, str]:
    given = (body.get("resource_group") or {}).get("id") if isinstance(body, dict) else None
    return {"id": given or "default-resource-group", "name": "defaults" if not given else "given"}


def _reference(resource: dict[str, Any]) -> dict[str, Any]:
    return {"id": resource["id"], "crn": resource["crn"], "name": resource["name"]}


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if not k.startswith("_")}


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}], "trace": "stub"}
