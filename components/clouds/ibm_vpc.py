"""IBM Cloud VPC adapter: the only code that calls `ibm_vpc`; snapshots, clones, consistency groups, backup policies."""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_cloud_sdk_core.get_authenticator import get_authenticator_from_environment
from ibm_vpc import VpcV1

from components.clouds.calls import (
    Backoff,
    CloudError,
    Deadline,
    NotFoundError,
    Transient,
    bound_requests,
    call,
    environment_fingerprint,
    parse_retry_after,
    post_once,
    wait_for,
    wait_gone,
)

T = TypeVar("T")

VOLUME_POLL = Backoff(first=0.25, factor=2.0, cap=0.5)
"""A restore drill times the restore: a restored volume's wait polls twice a second."""

API_VERSION = "2025-02-18"
TEN_TB_GB = 10_000
"""10 TB as IBM Cloud counts a volume's `capacity`. The docs write capacities in GB and convert them to TB with 1000
as the multiplier ("When you want to order a 4-TB volume, you enter 4,000 GB"; the storage behind a GB is a GiB),
so a 10 TB volume has capacity 10,000: IBM Cloud docs, "FAQ for Block Storage for VPC", "Is storage capacity
measured in GB or GiB?" (#faq-storage-units)."""
COPY_SIZE_LIMIT_GB = TEN_TB_GB
"""Snapshots of source volumes over 10 TB cannot be copied to another region, but by accounts with special access
(seed 004 / IBM Cloud docs "Creating Block Storage snapshots", console table: "not supported for snapshots with source
volumes larger than 10 TB"; "About Backup for VPC", Limitations)."""
GEN1_SNAPSHOT_LIMIT_GB = TEN_TB_GB
"""IBM Cloud does not snapshot a first-generation volume over 10 TB ("About Block Storage for VPC snapshots",
Limitations: "Taking a snapshot of a Generation 1 volume that exceeds 10 TB is not supported")."""
SECOND_GENERATION_PROFILES = frozenset({"sdp"})
"""Volume profiles of second-generation block storage (no consistency group snapshots)."""
UNATTACHED_SNAPSHOT_REGIONS = frozenset(
    {"us-south", "eu-de", "eu-gb", "eu-es", "jp-osa", "br-sao", "au-syd", "jp-tok", "ca-tor", "us-east"}
)
"""Where IBM Cloud snapshots a second-generation volume that is not attached to a running instance (seed 004 /
"Creating Block Storage snapshots"; the page spells Osaka `js-osa`, the region is `jp-osa`). Elsewhere, and for every
first-generation volume, the volume must be attached to a running instance."""


def is_second_generation(volume: Mapping[str, Any]) -> bool:
    """Whether a volume (as the API reads it) is second-generation block storage: `storage_generation` 2, or an
    `sdp` profile where the API does not say the generation."""
    generation = volume.get("storage_generation")
    if generation is not None:
        return bool(generation == 2)
    return (volume.get("profile") or {}).get("name") in SECOND_GENERATION_PROFILES


@dataclass(frozen=True)
class IbmConnection:
    """How to reach one region's VPC API; credentials come from the environment, never from here."""

    region: str
    endpoint: str | None = None
    """VPC API URL (e.g. https://us-south.iaas.cloud.ibm.com/v1); default the region's public one."""


def _authenticator() -> Any:
    """The standard IBM Cloud SDK configuration (VPC_AUTH_TYPE, VPC_APIKEY, ...), or IBMCLOUD_API_KEY."""
    try:
        found = get_authenticator_from_environment("vpc")
    except ValueError as exc:
        msg = f"IBM Cloud credentials: {exc}"
        raise CloudError(msg) from None
    if found is not None:
        return found
    api_key = os.environ.get("IBMCLOUD_API_KEY")
    if api_key:
        return IAMAuthenticator(api_key)
    msg = "IBM Cloud credentials: set IBMCLOUD_API_KEY, or VPC_AUTH_TYPE with its settings (e.g. VPC_APIKEY)"
    raise CloudError(msg)


_CLIENTS: dict[tuple[str, str], VpcV1] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(conn: IbmConnection) -> VpcV1:
    """One VPC client per endpoint and credentials for the whole provider process.

    The provider process runs every operation of a `pulumi up`; sharing the client shares its IAM token and its
    connections instead of fetching a token and opening a connection for every operation.
    """
    url = conn.endpoint or VpcV1.get_service_url_for_region(conn.region)
    key = (url, environment_fingerprint("VPC_", "IBMCLOUD_", "IBM_CREDENTIALS"))  # where the SDK reads credentials
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = VpcV1(version=API_VERSION, authenticator=_authenticator())
            client.set_service_url(url)
            client.set_http_config({"timeout": 60})
            bound_requests(client.http_client)
            _CLIENTS[key] = client
    return client


def _transient(exc: Exception) -> Transient | None:
    if isinstance(exc, ApiException):
        if exc.status_code == 429 or exc.status_code >= 500:
            headers = exc.http_response.headers if exc.http_response is not None else {}
            return Transient(f"HTTP {exc.status_code}", parse_retry_after(headers.get("Retry-After")))
        return None
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return Transient(f"connection failed ({type(exc).__name__})")
    return None


def _transient_or_stale(exc: Exception) -> Transient | None:
    """As `_transient`, and a 412: the resource changed between the read of its ETag and the PATCH (another writer),
    so the attempt reads it again and decides afresh."""
    if isinstance(exc, ApiException) and exc.status_code == 412:
        return Transient("HTTP 412: it changed after its ETag was read (another writer)")
    return _transient(exc)


def patch_held(resource: Mapping[str, Any], patch: Mapping[str, Any]) -> bool:
    """Whether `resource` (as the API reads it) already holds every value of a merge `patch`: then the PATCH would
    change nothing (an earlier attempt, whose answer was lost, took effect).

    Objects hold the patch's keys (null: the key is absent); lists hold the same items in any order (the API's
    order of zones, tags or regions is its own), an object item holding the patch's item (the API adds `href`s).
    """
    return all(_held(value, resource.get(key)) for key, value in patch.items())


def _held(want: Any, have: Any) -> bool:
    if want is None:
        return have is None
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and patch_held(have, want)
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return False
        left = list(have)
        for item in want:
            match = next((i for i, found in enumerate(left) if _held(item, found)), None)
            if match is None:
                return False
            left.pop(match)
        return True
    if isinstance(want, bool) or isinstance(have, bool):
        return type(want) is type(have) and want == have
    return bool(want == have)


def _translate(what: str, exc: ApiException) -> CloudError:
    detail = f"HTTP {exc.status_code}: {exc.message}"
    if exc.status_code == 404:
        return NotFoundError(f"{what}: not found ({detail})")
    if exc.status_code in (401, 403):
        return CloudError(f"{what}: not authorized; check the IBM Cloud credentials and IAM access ({detail})")
    if exc.status_code == 409:
        return CloudError(f"{what}: conflict ({detail})")
    return CloudError(f"{what}: {detail}")


class Vpc:
    """VPC calls of one operation in one region, bound to one deadline; build one per provider call."""

    def __init__(self, conn: IbmConnection, deadline: Deadline, progress: Callable[[str], None] | None = None) -> None:
        self.region = conn.region
        self._deadline = deadline
        self._progress = progress
        self._client = _client(conn)

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return call(fn, what=what, deadline=self._deadline, transient=_transient)
        except ApiException as exc:
            raise _translate(what, exc) from None

    def _result(self, what: str, fn: Callable[[], Any]) -> Any:
        return self._call(what, fn).get_result()

    def _patch(
        self, what: str, read: Callable[[], Any], send: Callable[[str | None], Any], patch: dict[str, Any]
    ) -> dict[str, Any]:
        """PATCH `patch` with If-Match on the ETag read just before each attempt; send nothing when the resource
        already holds it.

        A retry after a lost answer (a 5xx or a dropped connection once the change took effect) reads the resource
        and its new ETag again and finds the change made: with the first ETag it would get a 412. A 412 (another
        writer changed the resource between the read and the PATCH) is read again and retried too; all within the
        operation's deadline, after which the error names the resource.
        """
        label = f"update of {what} ({', '.join(sorted(patch))})"

        def attempt() -> dict[str, Any]:
            current = read()
            found = dict(current.get_result())
            if patch_held(found, patch):
                return found
            return dict(send(current.get_headers().get("ETag")).get_result())

        try:
            return call(attempt, what=label, deadline=self._deadline, transient=_transient_or_stale)
        except ApiException as exc:
            raise _translate(label, exc) from None

    # --- reads -----------------------------------------------------------------------------------

    def zones(self) -> list[str]:
        """Names of the zones of this region."""
        found = self._result(f"zones of {self.region}", lambda: self._client.list_region_zones(self.region))
        return sorted(z["name"] for z in found.get("zones", []))

    def get_volume(self, volume_id: str) -> dict[str, Any]:
        """A block volume (profile, zone, capacity, encryption)."""
        return dict(self._result(f"volume {volume_id}", lambda: self._client.get_volume(volume_id)))

    def find_volume(self, name: str) -> dict[str, Any] | None:
        """The volume of this region named `name` (names are unique per region), or None."""
        found = self._result(f"volume named {name}", lambda: self._client.list_volumes(name=name))
        volumes = found.get("volumes", [])
        return dict(volumes[0]) if volumes else None

    def volume_named(self, name: str) -> str | None:
        """The ID of the volume of this region named `name`, if there is one."""
        found = self.find_volume(name)
        return str(found["id"]) if found is not None else None

    def get_instance(self, instance_id: str) -> dict[str, Any]:
        """A virtual server instance (status, boot volume attachment, every volume attachment)."""
        return dict(self._result(f"instance {instance_id}", lambda: self._client.get_instance(instance_id)))

    def find_instance(self, name: str) -> dict[str, Any] | None:
        """The instance of this region named `name` (names are unique per region), or None."""
        found = self._result(f"instance named {name}", lambda: self._client.list_instances(name=name))
        instances = found.get("instances", [])
        return dict(instances[0]) if instances else None

    def restore_volume(self, prototype: dict[str, Any]) -> dict[str, Any]:
        """POST /volumes from a snapshot (`source_snapshot`), adopting on retry like create_snapshot."""
        name = str(prototype.get("name"))
        return self._create(
            f"volume {name}", lambda: self._client.create_volume(prototype), lambda: self.find_volume(name)
        )

    def wait_volume(self, volume_id: str) -> dict[str, Any]:
        """Wait for a restored volume to be `available`."""
        return wait_for(
            lambda: self.get_volume(volume_id),
            what=f"volume {volume_id}",
            done=lambda v: v.get("status") == "available",
            failed=lambda v: f"is {v.get('status')}" if v.get("status") in ("failed", "unusable") else None,
            describe=lambda v: str(v.get("status")),
            deadline=self._deadline,
            progress=self._progress,
            backoff=VOLUME_POLL,
        )

    def delete_volume(self, volume_id: str) -> None:
        """DELETE /volumes/{id} and wait until it is gone; already gone is fine."""
        try:
            self._call(f"volume {volume_id}", lambda: self._client.delete_volume(volume_id))
        except NotFoundError:
            return
        self._wait_gone(f"deletion of volume {volume_id}", lambda: self.get_volume(volume_id))

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        """A snapshot, with its clones."""
        return dict(self._result(f"snapshot {snapshot_id}", lambda: self._client.get_snapshot(snapshot_id)))

    def find_snapshot(self, name: str) -> dict[str, Any] | None:
        """The snapshot of this region with `name` (names are unique per region), or None."""
        found = self._result(f"snapshot named {name}", lambda: self._client.list_snapshots(name=name))
        snapshots = found.get("snapshots", [])
        return dict(snapshots[0]) if snapshots else None

    def tagged_snapshots(self, tag: str) -> list[dict[str, Any]]:
        """Every snapshot of this region carrying the user tag `tag` (all pages)."""
        found: list[dict[str, Any]] = []
        start: str | None = None
        while True:
            page = self._result(
                f"snapshots tagged {tag}",
                lambda start=start: self._client.list_snapshots(tag=tag, start=start, limit=100),  # type: ignore[misc]
            )
            found += [dict(s) for s in page.get("snapshots", [])]
            start = _start_of((page.get("next") or {}).get("href"))
            if start is None:
                return found

    def volume_snapshots(self, volume_id: str) -> list[dict[str, Any]]:
        """Every snapshot of this region whose source volume is `volume_id` (all pages): those taken here, on demand,
        in a consistency group or by a backup policy, and in another region, the copies of them made here (a copy
        names its source's volume, with `remote.region`)."""
        found: list[dict[str, Any]] = []
        start: str | None = None
        while True:
            page = self._result(
                f"snapshots of volume {volume_id} in {self.region}",
                lambda start=start: self._client.list_snapshots(  # type: ignore[misc]
                    source_volume_id=volume_id, start=start, limit=100
                ),
            )
            found += [dict(s) for s in page.get("snapshots", [])]
            start = _start_of((page.get("next") or {}).get("href"))
            if start is None:
                return found

    def backup_policy_jobs(self, policy_id: str, source_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent jobs of a backup policy for one source (volume or instance), newest first: each run of a
        plan, with its status (`running`, `succeeded`, `failed`) and the reasons for it."""
        what = f"jobs of backup policy {policy_id} for {source_id}"
        found = self._result(
            what,
            lambda: self._client.list_backup_policy_jobs(
                policy_id, source_id=source_id, sort="-created_at", limit=limit
            ),
        )
        return [dict(j) for j in found.get("jobs", [])]

    def get_consistency_group(self, group_id: str) -> dict[str, Any]:
        what = f"snapshot consistency group {group_id}"
        return dict(self._result(what, lambda: self._client.get_snapshot_consistency_group(group_id)))

    def find_consistency_group(self, name: str) -> dict[str, Any] | None:
        what = f"snapshot consistency group named {name}"
        found = self._result(what, lambda: self._client.list_snapshot_consistency_groups(name=name))
        groups = found.get("snapshot_consistency_groups", [])
        return dict(groups[0]) if groups else None

    # --- changes ---------------------------------------------------------------------------------

    def _create(self, what: str, post: Callable[[], Any], find: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        """POST once; a retry adopts what a lost answer hid (names are unique per region)."""
        return dict(self._call(what, post_once(lambda: dict(post().get_result()), find)))

    def create_snapshot(self, prototype: dict[str, Any]) -> dict[str, Any]:
        """POST /snapshots (a snapshot of a volume with clones, or a copy of another region's snapshot)."""
        name = str(prototype.get("name"))
        return self._create(
            f"snapshot {name}", lambda: self._client.create_snapshot(prototype), lambda: self.find_snapshot(name)
        )

    def add_clone(self, snapshot_id: str, zone: str) -> None:
        """PUT /snapshots/{id}/clones/{zone}."""
        self._call(
            f"clone of snapshot {snapshot_id} in {zone}", lambda: self._client.create_snapshot_clone(snapshot_id, zone)
        )

    def remove_clone(self, snapshot_id: str, zone: str) -> None:
        """DELETE /snapshots/{id}/clones/{zone}; a clone already gone is fine."""
        try:
            self._call(
                f"clone of snapshot {snapshot_id} in {zone}",
                lambda: self._client.delete_snapshot_clone(snapshot_id, zone),
            )
        except NotFoundError:
            return

    def update_snapshot(self, snapshot_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /snapshots/{id} (name, user_tags), If-Match on the snapshot's current ETag (see `_patch`)."""
        return self._patch(
            f"snapshot {snapshot_id}",
            lambda: self._client.get_snapshot(snapshot_id),
            lambda etag: self._client.update_snapshot(snapshot_id, patch, if_match=etag),
            patch,
        )

    def delete_snapshot(self, snapshot_id: str) -> None:
        """DELETE /snapshots/{id} and wait until it is gone; a snapshot already gone is fine."""
        try:
            self._call(f"snapshot {snapshot_id}", lambda: self._client.delete_snapshot(snapshot_id))
        except NotFoundError:
            return
        self._wait_gone(f"deletion of snapshot {snapshot_id}", lambda: self.get_snapshot(snapshot_id))

    def create_consistency_group(self, prototype: dict[str, Any]) -> dict[str, Any]:
        """POST /snapshot_consistency_groups, adopting on retry like create_snapshot."""
        name = str(prototype.get("name"))
        return self._create(
            f"snapshot consistency group {name}",
            lambda: self._client.create_snapshot_consistency_group(prototype),
            lambda: self.find_consistency_group(name),
        )

    def update_consistency_group(self, group_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /snapshot_consistency_groups/{id} (name, delete_snapshots_on_delete), If-Match on its current ETag
        (see `_patch`)."""
        return self._patch(
            f"snapshot consistency group {group_id}",
            lambda: self._client.get_snapshot_consistency_group(group_id),
            lambda etag: self._client.update_snapshot_consistency_group(group_id, patch, if_match=etag),
            patch,
        )

    def delete_consistency_group(self, group_id: str) -> None:
        """DELETE /snapshot_consistency_groups/{id} and wait until it is gone; already gone is fine."""
        what = f"snapshot consistency group {group_id}"
        try:
            self._call(what, lambda: self._client.delete_snapshot_consistency_group(group_id))
        except NotFoundError:
            return
        self._wait_gone(f"deletion of {what}", lambda: self.get_consistency_group(group_id))

    # --- backup policies and their plans ----------------------------------------------------------

    def get_backup_policy(self, policy_id: str) -> dict[str, Any]:
        """A backup policy (its plans are references: `backup_policy_plans` reads them)."""
        return dict(self._result(f"backup policy {policy_id}", lambda: self._client.get_backup_policy(policy_id)))

    def find_backup_policy(self, name: str) -> dict[str, Any] | None:
        """The backup policy of this region named `name` (names are unique per region), or None."""
        found = self._result(f"backup policy named {name}", lambda: self._client.list_backup_policies(name=name))
        policies = found.get("backup_policies", [])
        return dict(policies[0]) if policies else None

    def get_backup_policy_plan(self, policy_id: str, plan_id: str) -> dict[str, Any]:
        """One plan of a backup policy."""
        what = f"plan {plan_id} of backup policy {policy_id}"
        return dict(self._result(what, lambda: self._client.get_backup_policy_plan(policy_id, plan_id)))

    def backup_policy_plans(self, policy_id: str, name: str | None = None) -> list[dict[str, Any]]:
        """The plans of a backup policy (the one named `name`, if given)."""
        what = f"plans of backup policy {policy_id}"
        found = self._result(what, lambda: self._client.list_backup_policy_plans(policy_id, name=name))
        return [dict(p) for p in found.get("plans", [])]

    def create_backup_policy(self, prototype: dict[str, Any]) -> dict[str, Any]:
        """POST /backup_policies with its plans in one request, adopting on retry like create_snapshot."""
        name = str(prototype.get("name"))
        return self._create(
            f"backup policy {name}",
            lambda: self._client.create_backup_policy(prototype),
            lambda: self.find_backup_policy(name),
        )

    def update_backup_policy(self, policy_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /backup_policies/{id} (name, match_user_tags, included_content), If-Match on its current ETag
        (see `_patch`)."""
        return self._patch(
            f"backup policy {policy_id}",
            lambda: self._client.get_backup_policy(policy_id),
            lambda etag: self._client.update_backup_policy(policy_id, patch, if_match=etag),
            patch,
        )

    def delete_backup_policy(self, policy_id: str) -> None:
        """DELETE /backup_policies/{id} (IBM deletes its plans with it; their backups stay) and wait until it is
        gone; already gone is fine."""
        what = f"backup policy {policy_id}"
        try:
            self._call(what, lambda: self._client.delete_backup_policy(policy_id))
        except NotFoundError:
            return
        self._wait_gone(f"deletion of {what}", lambda: self.get_backup_policy(policy_id))

    def create_backup_policy_plan(self, policy_id: str, prototype: dict[str, Any]) -> dict[str, Any]:
        """POST /backup_policies/{id}/plans; a retry adopts the plan of that name a lost answer hid."""
        name = str(prototype.get("name"))

        def find() -> dict[str, Any] | None:
            found = self.backup_policy_plans(policy_id, name)
            return found[0] if found else None

        return self._create(
            f"plan {name} of backup policy {policy_id}",
            lambda: self._client.create_backup_policy_plan(policy_id, **prototype),
            find,
        )

    def update_backup_policy_plan(self, policy_id: str, plan_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """PATCH /backup_policies/{id}/plans/{plan_id}: one request, If-Match on the plan's current ETag (see
        `_patch`)."""
        return self._patch(
            f"plan {plan_id} of backup policy {policy_id}",
            lambda: self._client.get_backup_policy_plan(policy_id, plan_id),
            lambda etag: self._client.update_backup_policy_plan(policy_id, plan_id, patch, if_match=etag),
            patch,
        )

    def delete_backup_policy_plan(self, policy_id: str, plan_id: str) -> None:
        """DELETE /backup_policies/{id}/plans/{plan_id} (its backups stay) and wait until it is gone."""
        what = f"plan {plan_id} of backup policy {policy_id}"
        try:
            self._call(what, lambda: self._client.delete_backup_policy_plan(policy_id, plan_id))
        except NotFoundError:
            return
        self._wait_gone(f"deletion of {what}", lambda: self.get_backup_policy_plan(policy_id, plan_id))

    def wait_backup_policy_ready(self, policy_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Wait for the policy and every plan of it to be `stable`; `failed`/`suspended` are errors naming the id."""

        def fetch() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            return self.get_backup_policy(policy_id), self.backup_policy_plans(policy_id)

        def failed(found: tuple[dict[str, Any], list[dict[str, Any]]]) -> str | None:
            policy, plans = found
            reasons = [_bad_state(policy)] + [
                f"plan {plan.get('name')} {why}" for plan in plans if (why := _bad_state(plan)) is not None
            ]
            return next((r for r in reasons if r is not None), None)

        def describe(found: tuple[dict[str, Any], list[dict[str, Any]]]) -> str:
            policy, plans = found
            states = ", ".join(f"{p.get('name')}:{p.get('lifecycle_state')}" for p in plans)
            return f"{policy.get('lifecycle_state')}" + (f" (plans {states})" if states else "")

        return wait_for(
            fetch,
            what=f"backup policy {policy_id}",
            done=lambda f: (
                f[0].get("lifecycle_state") == "stable" and all(p.get("lifecycle_state") == "stable" for p in f[1])
            ),
            failed=failed,
            describe=describe,
            deadline=self._deadline,
            progress=self._progress,
        )

    # --- waits -----------------------------------------------------------------------------------

    def wait_snapshot_ready(self, snapshot_id: str, zones: list[str]) -> dict[str, Any]:
        """Wait for `stable` and every clone in `zones` available; `failed`/`suspended` are errors."""
        wanted = set(zones)

        def ready(s: dict[str, Any]) -> bool:
            available = {c["zone"]["name"] for c in s.get("clones", []) if c.get("available")}
            return s.get("lifecycle_state") == "stable" and wanted <= available

        return wait_for(
            lambda: self.get_snapshot(snapshot_id),
            what=f"snapshot {snapshot_id}",
            done=ready,
            failed=_bad_state,
            describe=_describe,
            deadline=self._deadline,
            progress=self._progress,
        )

    def wait_group_ready(self, group_id: str) -> dict[str, Any]:
        """Wait for the consistency group to be `stable`."""
        return wait_for(
            lambda: self.get_consistency_group(group_id),
            what=f"snapshot consistency group {group_id}",
            done=lambda g: g.get("lifecycle_state") == "stable",
            failed=_bad_state,
            describe=lambda g: str(g.get("lifecycle_state")),
            deadline=self._deadline,
            progress=self._progress,
        )

    def _wait_gone(self, what: str, fetch: Callable[[], dict[str, Any]]) -> None:
        wait_gone(
            fetch,
            what=what,
            state=lambda item: str(item.get("lifecycle_state")),
            failed_states=frozenset({"failed"}),
            deadline=self._deadline,
            progress=self._progress,
        )


def _start_of(href: str | None) -> str | None:
    """The `start` token of a collection's `next` link (None on the last page)."""
    if not href:
        return None
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query).get("start")
    return values[0] if values else None


def _bad_state(resource: dict[str, Any]) -> str | None:
    state = resource.get("lifecycle_state")
    if state == "failed":
        return f"is failed (id {resource.get('id')})"
    if state == "suspended":
        return f"is suspended (id {resource.get('id')}); IBM Cloud suspended it, see the resource in the console"
    return None


def _describe(snapshot: dict[str, Any]) -> str:
    clones = ", ".join(
        f"{c['zone']['name']}:{'available' if c.get('available') else 'not yet'}" for c in snapshot.get("clones", [])
    )
    return f"{snapshot.get('lifecycle_state')}" + (f" (clones {clones})" if clones else "")
