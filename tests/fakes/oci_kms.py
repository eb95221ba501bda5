"""A local stub of the OCI KMS endpoints the project uses, speaking the JSON the OCI SDK sends and expects.

Serves, on one loopback port, the vault endpoint (GET /20180608/vaults/{id} and ?compartmentId=, POST
.../actions/backup, .../actions/scheduleDeletion, /vaults/actions/restoreFromObjectStore and restoreFromFile), the
management endpoint of every vault (GET /20180608/keys/{id} and ?compartmentId=, POST .../actions/backup) and the
Object Storage HEAD, list and delete of backup objects. A backup object holds what was backed up (an opaque blob);
a restore reads it back: into the vault's own region it restores over the vault (same OCID, additive), into another
region (`region`) it makes a vault with a new OCID, its own management endpoint, and the keys the backup held.
Object Storage also takes PutObject and GetObject (a backup's metadata beside it). A bucket can be replicated to a
bucket of another region (`replicate`): written objects appear there after some reads of that region (replication
is asynchronous), deletions at once; that region's Object Storage is served under `/r/<region key>` and is
read-only, and a restore in that region (`region`) reads the bucket there.
Requests must carry a valid OCI request signature (RSA-SHA256 over the signed headers).
As eventual as the service: a backup request is answered with the vault or key as it was (ACTIVE), the backup
shows as BACKUP_IN_PROGRESS only after `start_lag` reads, and the object is written when the backup ends (its
ETag changes with every write). Fault injection: a share of requests failing with 429 + Retry-After or 503 (or
every request, for a while), a response dropped after the server acted, vaults or keys that never leave
BACKUP_IN_PROGRESS, and stalled requests.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from tests.fakes.http import LoopbackJsonServer, Reply


def signing_key(pem: Path) -> tuple[rsa.RSAPrivateKey, Path, str]:
    """A new RSA API signing key written to `pem` (owner-only), and its OCI fingerprint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    pem.chmod(0o600)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return key, pem, ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def oci_config_file(path: Path, user: str, tenancy: str, fingerprint: str, pem: Path) -> Path:
    """A standard OCI config file (profile DEFAULT, us-ashburn-1) naming the key in `pem`."""
    path.write_text(
        f"[DEFAULT]\nuser={user}\nfingerprint={fingerprint}\ntenancy={tenancy}\nregion=us-ashburn-1\nkey_file={pem}\n"
    )
    return path


API = "/20180608"
_VAULT = re.compile(rf"^{API}/vaults/(?P<id>[^/]+)(?P<action>/actions/backup)?$")
_VAULTS = re.compile(rf"^{API}/vaults/?$")
_RESTORE = re.compile(rf"^{API}/vaults/actions/(?P<how>restoreFromObjectStore|restoreFromFile)$")
_DELETION = re.compile(rf"^{API}/vaults/(?P<id>[^/]+)/actions/scheduleDeletion$")
_KEY = re.compile(rf"^(?:/v/(?P<vault>[^/]+))?{API}/keys/(?P<id>[^/]+)(?P<action>/actions/backup)?$")
_KEYS = re.compile(rf"^(?:/v/(?P<vault>[^/]+))?{API}/keys/?$")
_MAGIC = b"STUB-KMS-BACKUP-1\n"
_OBJECT = re.compile(r"^/n/(?P<ns>[^/]+)/b/(?P<bucket>[^/]+)/o/(?P<object>.+)$")
_OBJECTS = re.compile(r"^/n/(?P<ns>[^/]+)/b/(?P<bucket>[^/]+)/o/?$")
_REGIONAL = re.compile(r"^/r/(?P<region>[^/]+)(?P<rest>/n/.*)$")
_PAR = re.compile(r"/p/[^/]+/n/(?P<ns>[^/]+)/b/(?P<bucket>[^/]+)/o/(?P<object>.+)$")


@dataclass
class Action:
    """One backup the service really performed."""

    kind: str  # vault | key
    resource_id: str
    destination: str  # BUCKET | PRE_AUTHENTICATED_REQUEST_URI
    object: tuple[str, str, str]
    include_keys: bool | None
    retry_token: str | None


@dataclass
class Replica:
    """A bucket replicated to a bucket of another region, as an Object Storage replication policy does it."""

    region: str
    """Region key of the destination (e.g. `phx`): its Object Storage is served under `<url>/r/<region>`."""
    bucket: str
    lag: int = 0
    """Reads of the destination region before a written object appears there (replication is asynchronous)."""


@dataclass
class Faults:
    """What goes wrong, and how often."""

    fail_every: int = 0
    """Every n-th request (1-based count % n == 0) fails: alternately 429 with Retry-After and 503. 0 = never."""
    throttle_next: int = 0
    """The next n requests all fail with 429 (sustained throttling)."""
    retry_after: str = "0"
    """Retry-After value sent with 429."""
    drop_backup_responses: int = 0
    """The next n backup or restore POSTs are performed, then the connection is closed without a response."""
    stall: set[str] = field(default_factory=set)
    """IDs of vaults/keys that stay BACKUP_IN_PROGRESS forever once backed up."""
    refuse_puts: bool = False
    """PutObject is refused (403), as for credentials that may read a bucket but not write to it."""


@dataclass
class Seen:
    """One request as the stub received it."""

    method: str
    path: str
    at: float
    status: int
    retry_token: str | None


class KmsStub(LoopbackJsonServer):
    """The stub server; `url` is both the KMS vault endpoint and every vault's management endpoint."""

    def __init__(
        self, public_key: RSAPublicKey, key_id: str, busy_polls: int = 1, start_lag: int = 1, port: int = 0
    ) -> None:
        super().__init__(port)
        self.region: str | None = None
        """Region key (e.g. `phx`) restores land in; None: the backed-up vault's own region."""
        self.contents: dict[tuple[str, str, str], bytes] = {}
        """Object -> what it holds (written with the object)."""
        self.restores: list[tuple[str, str]] = []
        """Restores the service performed: (how, restored vault OCID)."""
        self._restoring: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self._blobs: dict[str, bytes] = {}
        """What each backup in progress writes."""
        """Vaults being restored: reads left before ACTIVE, and the keys that appear then."""
        self._serial = itertools.count(1)
        self.public_key = public_key
        self.key_id = key_id
        self.busy_polls = busy_polls
        self.start_lag = start_lag
        self.vaults: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.objects: dict[tuple[str, str, str], str] = {}
        """Object -> ETag."""
        self.object_times: dict[tuple[str, str, str], str] = {}
        """Object -> timeCreated (RFC 3339), written with the object."""
        self.clock_offset = datetime.timedelta()
        """Added to the time an object is written at: tests age what they make."""
        self.actions: list[Action] = []
        self.requests: list[Seen] = []
        self.faults = Faults()
        self._tokens: dict[str, dict[str, Any]] = {}
        self._busy: dict[str, int] = {}
        self._pending: dict[str, tuple[int, tuple[str, str, str]]] = {}
        """Backups accepted but not started yet: reads left before BACKUP_IN_PROGRESS, and their object."""
        self._writing: dict[str, tuple[str, str, str]] = {}
        """Backups in progress: the object each writes when it ends."""
        self._etags = itertools.count(1)
        self._lock = threading.Lock()
        self.replicas: dict[tuple[str, str], Replica] = {}
        """(namespace, bucket) -> where it is replicated."""
        self.regional: dict[str, dict[tuple[str, str, str], bytes]] = {}
        """Objects of the other regions (region key -> object -> content): replicas."""
        self._copying: list[tuple[int, str, tuple[str, str, str], bytes]] = []
        """Replications under way: reads of the region left, region, object there, content."""
        self.on_backup_start: Callable[[dict[str, Any]], None] | None = None
        """Called with the vault or key when a backup starts, before the service takes what it holds: a test
        changes a key's state there, as another operator would between the request and the backup."""

    # --- fixtures --------------------------------------------------------------------------------

    def add_vault(self, vault_id: str, *, vault_type: str = "VIRTUAL_PRIVATE", state: str = "ACTIVE") -> None:
        self.vaults[vault_id] = {
            "id": vault_id,
            "compartmentId": "ocid1.compartment.oc1..aaaaaaaastubcompartment",
            "displayName": f"vault-{vault_id[-6:]}",
            "vaultType": vault_type,
            "lifecycleState": state,
            "managementEndpoint": self.url,
            "cryptoEndpoint": self.url,
            "timeCreated": "2026-01-01T00:00:00.000Z",
        }

    def add_key(
        self,
        key_id: str,
        vault_id: str,
        *,
        protection: str = "HSM",
        state: str = "ENABLED",
        compartment: str = "ocid1.compartment.oc1..aaaaaaaastubcompartment",
    ) -> None:
        """A key of `vault_id`; OCI lets a key sit in another compartment than its vault (seed 003)."""
        self.keys[key_id] = {
            "id": key_id,
            "compartmentId": compartment,
            "displayName": f"key-{key_id[-6:]}",
            "vaultId": vault_id,
            "protectionMode": protection,
            "lifecycleState": state,
            "currentKeyVersion": f"{key_id}.v1",
            "keyShape": {"algorithm": "AES", "length": 32},
            "timeCreated": "2026-01-01T00:00:00.000Z",
        }

    def replicate(self, namespace: str, bucket: str, region: str, destination: str, lag: int = 0) -> None:
        """Replicate a bucket of this region to `destination` in `region` (a key like `phx`), from now on: objects
        written later appear there after `lag` reads of that region; deletions are copied at once."""
        self.replicas[(namespace, bucket)] = Replica(region, destination, lag)
        self.regional.setdefault(region, {})

    def regional_url(self, region: str) -> str:
        """The Object Storage endpoint of another region (e.g. `phx`)."""
        return f"{self.url}/r/{region}"

    def start_backup(self, resource_id: str, polls: int) -> None:
        """Put a vault or key in BACKUP_IN_PROGRESS, as a backup started elsewhere; it settles after `polls` reads."""
        resource = self.vaults.get(resource_id) or self.keys[resource_id]
        resource["lifecycleState"] = "BACKUP_IN_PROGRESS"
        self._busy[resource_id] = polls

    def backup_posts(self) -> list[Seen]:
        """Every backup POST received (retries included)."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/actions/backup")]

    def restore_posts(self) -> list[Seen]:
        """Every restore POST received (retries included)."""
        return [r for r in self.requests if r.method == "POST" and "/actions/restoreFrom" in r.path]

    def vaults_in(self, region: str) -> list[dict[str, Any]]:
        """The vaults of one region (by the region key in their OCID)."""
        return [v for v in self.vaults.values() if v["id"].split(".")[3] == region]

    # --- HTTP ------------------------------------------------------------------------------------

    def handle(self, req: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        token = req.headers.get("opc-retry-token")
        with self._lock:
            count = len(self.requests) + 1
            status, payload, headers, drop = self._route(req, method, path, body, token, count, query)
            self.requests.append(Seen(method, path, _now(), status, token))
        return Reply(status, payload, {"opc-request-id": f"stub-{count}", **headers}, drop)

    def _route(
        self,
        req: BaseHTTPRequestHandler,
        method: str,
        path: str,
        body: bytes,
        token: str | None,
        count: int,
        query: dict[str, str],
    ) -> tuple[int, Any, dict[str, str], bool]:
        if not self._signed(req, method):
            return (
                401,
                _error(
                    "NotAuthenticated",
                    "The required information to complete authentication was not provided or was incorrect.",
                ),
                {},
                False,
            )
        if self.faults.throttle_next > 0:
            self.faults.throttle_next -= 1
            return 429, _error("TooManyRequests", "Too many requests for the tenant."), {"retry-after": "0"}, False
        if self.faults.fail_every and count % self.faults.fail_every == 0:
            if (count // self.faults.fail_every) % 2:
                return (
                    429,
                    _error("TooManyRequests", "Too many requests for the tenant."),
                    {"retry-after": self.faults.retry_after},
                    False,
                )
            return 503, _error("ServiceUnavailable", "The service is temporarily unavailable."), {}, False
        if (m := _REGIONAL.match(path)) is not None:
            return self._regional(method, m["region"], m["rest"], query)
        if method == "POST" and (m := _RESTORE.match(path)) is not None:
            return self._restore(req, m["how"], query.get("compartmentId", ""), body, token)
        if method == "POST" and (m := _DELETION.match(path)) is not None:
            return self._schedule_deletion(unquote(m["id"]), body)
        if method == "GET" and _VAULTS.match(path) is not None:
            listed = [v for v in self.vaults.values() if v["compartmentId"] == query.get("compartmentId")]
            for vault in listed:
                self._progress(vault)
            return 200, [dict(v) for v in listed], {}, False
        if method == "GET" and (m := _KEYS.match(path)) is not None:
            keys = [k for k in self.keys.values() if k["compartmentId"] == query.get("compartmentId")]
            if m["vault"]:
                keys = [k for k in keys if k["vaultId"].endswith(m["vault"])]
            for key in keys:
                self._progress(key)
            # ListKeys pages (opc-next-page): two keys a page here, so a client must follow the pages.
            start = int(query.get("page") or 0)
            page = [_key_summary(k) for k in keys[start : start + 2]]
            more = {"opc-next-page": str(start + 2)} if start + 2 < len(keys) else {}
            return 200, page, more, False
        if (m := _VAULT.match(path)) is not None:
            return self._vault(method, unquote(m["id"]), bool(m["action"]), body, token)
        if (m := _KEY.match(path)) is not None:
            return self._key(method, unquote(m["id"]), bool(m["action"]), body, token)
        if method == "HEAD" and (m := _OBJECT.match(path)) is not None:
            etag = self.objects.get((unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"])))
            return (200, None, {"etag": etag}, False) if etag else (404, None, {}, False)
        if method == "PUT" and (m := _OBJECT.match(path)) is not None:
            found = (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"]))
            if self.faults.refuse_puts:
                why = "Either the bucket does not exist in the namespace or you are not authorized to access it"
                return 403, _error("BucketNotFound", why), {}, False
            self._write(found, body)
            return 200, None, {"etag": self.objects[found]}, False
        if method == "GET" and (m := _OBJECT.match(path)) is not None:
            found = (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"]))
            if found not in self.objects:
                return 404, _error("ObjectNotFound", f"The object '{found[2]}' does not exist"), {}, False
            return 200, self.contents.get(found, b""), {"etag": self.objects[found]}, False
        if method == "DELETE" and (m := _OBJECT.match(path)) is not None:
            found = (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"]))
            if self.objects.pop(found, None) is None:
                return 404, _error("ObjectNotFound", f"The object '{found[2]}' does not exist"), {}, False
            self.object_times.pop(found, None)
            self.contents.pop(found, None)
            replica = self.replicas.get(found[:2])
            if replica is not None:  # deletions are replicated too
                self.regional[replica.region].pop((found[0], replica.bucket, found[2]), None)
            return 204, None, {}, False
        if method == "GET" and (m := _OBJECTS.match(path)) is not None:
            return 200, self._list(unquote(m["ns"]), unquote(m["bucket"]), query), {}, False
        return 404, _error("NotFound", f"No route for {method} {path}"), {}, False

    def _vault(
        self, method: str, vault_id: str, action: bool, body: bytes, token: str | None
    ) -> tuple[int, Any, dict[str, str], bool]:
        vault = self.vaults.get(vault_id)
        if vault is None:
            return 404, _error("NotAuthorizedOrNotFound", f"Vault {vault_id} not found"), {}, False
        if method == "GET" and not action:
            self._progress(vault)
            return 200, dict(vault), {}, False
        if method == "POST" and action:
            return self._backup("vault", vault, body, token)
        return 405, _error("MethodNotAllowed", method), {}, False

    def _key(
        self, method: str, key_id: str, action: bool, body: bytes, token: str | None
    ) -> tuple[int, Any, dict[str, str], bool]:
        key = self.keys.get(key_id)
        if key is None:
            return 404, _error("NotAuthorizedOrNotFound", f"Key {key_id} not found"), {}, False
        if method == "GET" and not action:
            self._progress(key)
            return 200, dict(key), {}, False
        if method == "POST" and action:
            return self._backup("key", key, body, token)
        return 405, _error("MethodNotAllowed", method), {}, False

    def _backup(
        self, kind: str, resource: dict[str, Any], body: bytes, token: str | None
    ) -> tuple[int, Any, dict[str, str], bool]:
        if token is not None and token in self._tokens:
            return 200, self._tokens[token], {}, False  # the same request again: the same answer, no new backup
        ready = {"vault": {"ACTIVE"}, "key": {"ENABLED", "DISABLED"}}[kind]
        if resource["lifecycleState"] not in ready:
            return 409, _error("Conflict", f"The {kind} is in state {resource['lifecycleState']}"), {}, False
        if kind == "vault" and resource["vaultType"] != "VIRTUAL_PRIVATE":
            return 400, _error("InvalidParameter", "Only virtual private vaults can be backed up"), {}, False
        if kind == "key" and resource["protectionMode"] != "HSM":
            return 400, _error("InvalidParameter", "Only HSM keys can be backed up"), {}, False
        doc = json.loads(body or b"{}")
        location = doc.get("backupLocation") or {}
        obj = _object_of(location)
        if obj is None:
            return 400, _error("InvalidParameter", "backupLocation.uri is not a pre-authenticated request"), {}, False
        self.actions.append(
            Action(kind, resource["id"], location.get("destination", ""), obj, doc.get("isIncludeKeys"), token)
        )
        answer = dict(resource)  # as it is now: the backup has not started yet
        if self.start_lag > 0:
            self._pending[resource["id"]] = (self.start_lag, obj)
        else:
            self._begin(resource, obj)
        if token is not None:
            self._tokens[token] = answer
        drop = self.faults.drop_backup_responses > 0
        if drop:
            self.faults.drop_backup_responses -= 1
        return 200, answer, {}, drop

    def _blob(self, resource: dict[str, Any], obj: tuple[str, str, str]) -> bytes:
        """What a backup of `resource` to `obj` holds: the vault (or key with its vault) and the keys included."""
        action = next(a for a in reversed(self.actions) if a.resource_id == resource["id"] and a.object == obj)
        if action.kind == "vault":
            vault = dict(resource)
            keys = [
                dict(k)
                for k in self.keys.values()
                if action.include_keys
                and k["vaultId"] == vault["id"]
                and k["protectionMode"] == "HSM"
                and k["lifecycleState"] in {"ENABLED", "DISABLED"}
            ]
        else:
            vault, keys = dict(self.vaults[resource["vaultId"]]), [dict(resource)]
        vault["lifecycleState"] = "ACTIVE"  # as restored; keys keep the state they were backed up in
        doc = {"kind": action.kind, "vault": vault, "keys": keys}
        return _MAGIC + base64.b64encode(json.dumps(doc).encode())

    def _restore(
        self, req: BaseHTTPRequestHandler, how: str, compartment_id: str, body: bytes, token: str | None
    ) -> tuple[int, Any, dict[str, str], bool]:
        if token is not None and token in self._tokens:
            return 200, self._tokens[token], {}, False
        if how == "restoreFromFile":
            md5 = req.headers.get("content-md5")
            if md5 is not None and md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
                why = "The computed MD5 of the request body does not match the Content-MD5 header."
                return 400, _error("InvalidParameter", why), {}, False
            blob: bytes | None = body
        else:
            found = _object_of((json.loads(body or b"{}").get("backupLocation")) or {})
            if found is None:
                why = "backupLocation.uri is not a pre-authenticated request"
                return 400, _error("InvalidParameter", why), {}, False
            # A restore reads the bucket in its own region: a replica there, else (a bucket this fake holds only
            # in the vault's region) the vault region's bucket.
            there = self.regional.get(self.region or "", {})
            replicas = {(ns, b) for ns, b, _ in there} | {
                (ns, r.bucket) for (ns, _), r in self.replicas.items() if r.region == self.region
            }
            blob = there.get(found) if found[:2] in replicas else self.contents.get(found)
        if blob is None:
            return 404, _error("NotAuthorizedOrNotFound", "The backup object was not found."), {}, False
        try:
            if not blob.startswith(_MAGIC):
                raise ValueError(blob[:8])
            doc = json.loads(base64.b64decode(blob[len(_MAGIC) :], validate=True))
        except ValueError:
            return 400, _error("InvalidParameter", "The backup is not a vault backup or is corrupt."), {}, False
        if doc["kind"] != "vault":
            return 400, _error("InvalidParameter", "The backup is a key backup; restore it as a key."), {}, False
        source = doc["vault"]
        if compartment_id != source["compartmentId"]:
            why = "A vault is restored only to the compartment it was backed up from."
            return 400, _error("InvalidParameter", why), {}, False
        region = self.region or source["id"].split(".")[3]
        if region == source["id"].split(".")[3]:
            vault_id = source["id"]  # its own region: the same OCID, restored over the vault (additive)
            vault = self.vaults.setdefault(vault_id, dict(source))
            keys = [k for k in doc["keys"] if k["id"] not in self.keys]
        else:
            serial = next(self._serial)
            vault_id = f"ocid1.vault.oc1.{region}.restored{serial:04d}"
            vault = {
                **source,
                "id": vault_id,
                "managementEndpoint": f"{self.url}/v/restored{serial:04d}",
                "cryptoEndpoint": f"{self.url}/v/restored{serial:04d}",
                "timeCreated": _rfc3339(datetime.datetime.now(datetime.UTC)),
            }
            self.vaults[vault_id] = vault
            keys = [
                {**k, "id": f"ocid1.key.oc1.{region}.restored{serial:04d}k{i}", "vaultId": vault_id}
                for i, k in enumerate(doc["keys"])
            ]
        vault["lifecycleState"] = "RESTORING"
        self._restoring[vault_id] = (self.busy_polls + 1, keys)
        self.restores.append((how, vault_id))
        answer = dict(vault)
        if token is not None:
            self._tokens[token] = answer
        drop = self.faults.drop_backup_responses > 0
        if drop:
            self.faults.drop_backup_responses -= 1
        return 200, answer, {}, drop

    def _schedule_deletion(self, vault_id: str, body: bytes) -> tuple[int, Any, dict[str, str], bool]:
        vault = self.vaults.get(vault_id)
        if vault is None:
            return 404, _error("NotAuthorizedOrNotFound", f"Vault {vault_id} not found"), {}, False
        if vault["lifecycleState"] != "ACTIVE":
            return 409, _error("Conflict", f"The vault is in state {vault['lifecycleState']}"), {}, False
        when = datetime.datetime.fromisoformat(
            str(json.loads(body or b"{}").get("timeOfDeletion")).replace("Z", "+00:00")
        )
        days = (when - datetime.datetime.now(datetime.UTC)).total_seconds() / 86400
        if not 7 <= days <= 30:
            why = "timeOfDeletion must be between 7 and 30 days from now."
            return 400, _error("InvalidParameter", why), {}, False
        vault["lifecycleState"] = "PENDING_DELETION"
        vault["timeOfDeletion"] = _rfc3339(when)
        return 200, dict(vault), {}, False

    def _list(self, namespace: str, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        """ListObjects: names from `start`, with `prefix`, two to a page (so a client must follow nextStartWith)."""
        prefix, start = query.get("prefix", ""), query.get("start", "")
        names = sorted(o for ns, b, o in self.objects if (ns, b) == (namespace, bucket) and o.startswith(prefix))
        names = [n for n in names if n >= start]
        page, rest = names[:2], names[2:]
        objects = [{"name": n, "timeCreated": self.object_times.get((namespace, bucket, n))} for n in page]
        return {"objects": objects, "prefixes": [], "nextStartWith": rest[0] if rest else None}

    def _begin(self, resource: dict[str, Any], obj: tuple[str, str, str]) -> None:
        if self.on_backup_start is not None:
            self.on_backup_start(resource)
        self._blobs[resource["id"]] = self._blob(resource, obj)
        resource["lifecycleState"] = "BACKUP_IN_PROGRESS"
        self._busy[resource["id"]] = self.busy_polls
        self._writing[resource["id"]] = obj

    def _progress(self, resource: dict[str, Any]) -> None:
        rid = resource["id"]
        if rid in self._restoring:
            left, keys = self._restoring[rid]
            if left > 1:
                self._restoring[rid] = (left - 1, keys)
            else:
                del self._restoring[rid]
                self.keys.update({k["id"]: k for k in keys})
                resource["lifecycleState"] = "ACTIVE"
            return
        if rid in self._pending:
            lag, obj = self._pending[rid]
            if lag > 1:
                self._pending[rid] = (lag - 1, obj)
            else:
                del self._pending[rid]
                self._begin(resource, obj)
            return
        if rid not in self._busy or rid in self.faults.stall:
            return  # not a backup this stub started (a state set by a test stays as it is)
        left = self._busy.get(rid, 0)
        if left > 0:
            self._busy[rid] = left - 1
            return
        del self._busy[rid]
        written = self._writing.pop(rid, None)
        if written is not None:
            self._write(written, self._blobs.pop(rid, b""))
        resource["lifecycleState"] = "ACTIVE" if "vaultType" in resource else "ENABLED"

    def _regional(
        self, method: str, region: str, path: str, query: dict[str, str]
    ) -> tuple[int, Any, dict[str, str], bool]:
        """Object Storage of another region: reads of replicas (a replication destination bucket is read-only)."""
        self._replicate(region)
        store = self.regional.get(region, {})
        if (m := _OBJECT.match(path)) is not None:
            found = (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"]))
            if method not in ("GET", "HEAD"):
                why = "The bucket is the destination of a replication policy and is read-only."
                return 409, _error("ReplicationDestinationReadOnly", why), {}, False
            if found not in store:
                return 404, _error("ObjectNotFound", f"The object '{found[2]}' does not exist"), {}, False
            etag = f'"replica-{hashlib.sha256(store[found]).hexdigest()[:16]}"'
            return 200, store[found] if method == "GET" else None, {"etag": etag}, False
        if method == "GET" and (m := _OBJECTS.match(path)) is not None:
            namespace, bucket, prefix = unquote(m["ns"]), unquote(m["bucket"]), query.get("prefix", "")
            names = sorted(o for ns, b, o in store if (ns, b) == (namespace, bucket) and o.startswith(prefix))
            return 200, {"objects": [{"name": n} for n in names], "prefixes": [], "nextStartWith": None}, {}, False
        return 404, _error("NotFound", f"No route for {method} {path} in {region}"), {}, False

    def _replicate(self, region: str) -> None:
        """One read of `region`: replications to it move on, and those due appear."""
        pending = []
        for left, where, obj, content in self._copying:
            if where == region and left <= 1:
                self.regional.setdefault(region, {})[obj] = content
            else:
                pending.append((left - 1 if where == region else left, where, obj, content))
        self._copying = pending

    def _write(self, obj: tuple[str, str, str], content: bytes) -> None:
        """An object written whole: its content, a new ETag, its creation time (and, later, its replica)."""
        replica = self.replicas.get(obj[:2])
        if replica is not None:
            there = (obj[0], replica.bucket, obj[2])
            if replica.lag <= 0:
                self.regional[replica.region][there] = content
            else:
                self._copying.append((replica.lag, replica.region, there, content))
        self.contents[obj] = content
        self.objects[obj] = f'"etag-{next(self._etags)}"'
        now = datetime.datetime.now(datetime.UTC) + self.clock_offset
        self.object_times[obj] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def backup_held(self, obj: tuple[str, str, str]) -> dict[str, Any]:
        """What the backup object holds: its kind, the vault, and the keys it took (by the service's rules)."""
        blob = self.contents[obj]
        return dict(json.loads(base64.b64decode(blob[len(_MAGIC) :], validate=True)))

    def _signed(self, req: BaseHTTPRequestHandler, method: str) -> bool:
        return signed(req, method, self.public_key, self.key_id)


def signed(req: BaseHTTPRequestHandler, method: str, public_key: RSAPublicKey, key_id: str) -> bool:
    """Verify the OCI request signature (draft-cavage HTTP signatures, rsa-sha256) made with `key_id`'s key."""
    auth = req.headers.get("authorization") or ""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
    if not auth.startswith("Signature ") or fields.get("keyId") != key_id:
        return False
    lines = []
    for name in fields.get("headers", "").split():
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {req.path}")
        else:
            lines.append(f"{name}: {req.headers.get(name, '')}")
    try:
        public_key.verify(
            base64.b64decode(fields.get("signature", "")),
            "\n".join(lines).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _key_summary(key: dict[str, Any]) -> dict[str, Any]:
    """A key as ListKeys answers it (KeySummary): no key shape, no current version."""
    fields = ("id", "compartmentId", "displayName", "vaultId", "protectionMode", "lifecycleState", "timeCreated")
    return {f: key[f] for f in fields if f in key}


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _object_of(location: dict[str, Any]) -> tuple[str, str, str] | None:
    """The object a backupLocation names: a bucket object, or the object of a PAR URL (None: not a PAR URL)."""
    if location.get("destination") == "BUCKET":
        return (str(location.get("namespace")), str(location.get("bucketName")), str(location.get("objectName")))
    m = _PAR.search(location.get("uri") or "")
    return (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"])) if m is not None else None


def _rfc3339(when: datetime.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now() -> float:
    return datetime.datetime.now(datetime.UTC).timestamp()
