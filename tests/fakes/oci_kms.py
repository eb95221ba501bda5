"""A local stub of the OCI KMS endpoints the project uses, speaking the JSON the OCI SDK sends and expects.

Serves, on one loopback port, the vault endpoint (GET /20180608/vaults/{id}, POST .../actions/backup), the
management endpoint of every vault (GET /20180608/keys/{id}, POST .../actions/backup) and the Object Storage
HEAD of backup objects. Requests must carry a valid OCI request signature (RSA-SHA256 over the signed headers).
As eventual as the service: a backup request is answered with the vault or key as it was (ACTIVE), the backup
shows as BACKUP_IN_PROGRESS only after `start_lag` reads, and the object is written when the backup ends (its
ETag changes with every write). Fault injection: a share of requests failing with 429 + Retry-After or 503 (or
every request, for a while), a response dropped after the server acted, vaults or keys that never leave
BACKUP_IN_PROGRESS, and stalled requests.
"""

from __future__ import annotations

import base64
import datetime
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from tests.fakes.http import LoopbackJsonServer, Reply

API = "/20180608"
_VAULT = re.compile(rf"^{API}/vaults/(?P<id>[^/]+)(?P<action>/actions/backup)?$")
_KEY = re.compile(rf"^{API}/keys/(?P<id>[^/]+)(?P<action>/actions/backup)?$")
_OBJECT = re.compile(r"^/n/(?P<ns>[^/]+)/b/(?P<bucket>[^/]+)/o/(?P<object>.+)$")
_OBJECTS = re.compile(r"^/n/(?P<ns>[^/]+)/b/(?P<bucket>[^/]+)/o/?$")
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
class Faults:
    """What goes wrong, and how often."""

    fail_every: int = 0
    """Every n-th request (1-based count % n == 0) fails: alternately 429 with Retry-After and 503. 0 = never."""
    throttle_next: int = 0
    """The next n requests all fail with 429 (sustained throttling)."""
    retry_after: str = "0"
    """Retry-After value sent with 429."""
    drop_backup_responses: int = 0
    """The next n backup POSTs are performed, then the connection is closed without a response."""
    stall: set[str] = field(default_factory=set)
    """IDs of vaults/keys that stay BACKUP_IN_PROGRESS forever once backed up."""


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

    def __init__(self, public_key: RSAPublicKey, key_id: str, busy_polls: int = 1, start_lag: int = 1) -> None:
        super().__init__()
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

    def add_key(self, key_id: str, vault_id: str, *, protection: str = "HSM", state: str = "ENABLED") -> None:
        self.keys[key_id] = {
            "id": key_id,
            "compartmentId": "ocid1.compartment.oc1..aaaaaaaastubcompartment",
            "displayName": f"key-{key_id[-6:]}",
            "vaultId": vault_id,
            "protectionMode": protection,
            "lifecycleState": state,
            "currentKeyVersion": f"{key_id}.v1",
            "keyShape": {"algorithm": "AES", "length": 32},
            "timeCreated": "2026-01-01T00:00:00.000Z",
        }

    def start_backup(self, resource_id: str, polls: int) -> None:
        """Put a vault or key in BACKUP_IN_PROGRESS, as a backup started elsewhere; it settles after `polls` reads."""
        resource = self.vaults.get(resource_id) or self.keys[resource_id]
        resource["lifecycleState"] = "BACKUP_IN_PROGRESS"
        self._busy[resource_id] = polls

    def backup_posts(self) -> list[Seen]:
        """Every backup POST received (retries included)."""
        return [r for r in self.requests if r.method == "POST"]

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
        if (m := _VAULT.match(path)) is not None:
            return self._vault(method, unquote(m["id"]), bool(m["action"]), body, token)
        if (m := _KEY.match(path)) is not None:
            return self._key(method, unquote(m["id"]), bool(m["action"]), body, token)
        if method == "HEAD" and (m := _OBJECT.match(path)) is not None:
            etag = self.objects.get((unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"])))
            return (200, None, {"etag": etag}, False) if etag else (404, None, {}, False)
        if method == "DELETE" and (m := _OBJECT.match(path)) is not None:
            found = (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"]))
            if self.objects.pop(found, None) is None:
                return 404, _error("ObjectNotFound", f"The object '{found[2]}' does not exist"), {}, False
            self.object_times.pop(found, None)
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
        if location.get("destination") == "BUCKET":
            obj = (location["namespace"], location["bucketName"], location["objectName"])
        else:
            m = _PAR.search(location.get("uri") or "")
            if m is None:
                return (
                    400,
                    _error("InvalidParameter", "backupLocation.uri is not a pre-authenticated request"),
                    {},
                    False,
                )
            obj = (unquote(m["ns"]), unquote(m["bucket"]), unquote(m["object"]))
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

    def _list(self, namespace: str, bucket: str, query: dict[str, str]) -> dict[str, Any]:
        """ListObjects: names from `start`, with `prefix`, two to a page (so a client must follow nextStartWith)."""
        prefix, start = query.get("prefix", ""), query.get("start", "")
        names = sorted(o for ns, b, o in self.objects if (ns, b) == (namespace, bucket) and o.startswith(prefix))
        names = [n for n in names if n >= start]
        page, rest = names[:2], names[2:]
        objects = [{"name": n, "timeCreated": self.object_times.get((namespace, bucket, n))} for n in page]
        return {"objects": objects, "prefixes": [], "nextStartWith": rest[0] if rest else None}

    def _begin(self, resource: dict[str, Any], obj: tuple[str, str, str]) -> None:
        resource["lifecycleState"] = "BACKUP_IN_PROGRESS"
        self._busy[resource["id"]] = self.busy_polls
        self._writing[resource["id"]] = obj

    def _progress(self, resource: dict[str, Any]) -> None:
        rid = resource["id"]
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
            self.objects[written] = f'"etag-{next(self._etags)}"'
            now = datetime.datetime.now(datetime.UTC) + self.clock_offset
            self.object_times[written] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        resource["lifecycleState"] = "ACTIVE" if "vaultType" in resource else "ENABLED"

    def _signed(self, req: BaseHTTPRequestHandler, method: str) -> bool:
        """Verify the OCI request signature (draft-cavage HTTP signatures, rsa-sha256)."""
        auth = req.headers.get("authorization") or ""
        fields = dict(re.findall(r'(\w+)="([^"]*)"', auth))
        if not auth.startswith("Signature ") or fields.get("keyId") != self.key_id:
            return False
        lines = []
        for name in fields.get("headers", "").split():
            if name == "(request-target)":
                lines.append(f"(request-target): {method.lower()} {req.path}")
            else:
                lines.append(f"{name}: {req.headers.get(name, '')}")
        try:
            self.public_key.verify(
                base64.b64decode(fields.get("signature", "")),
                "\n".join(lines).encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _now() -> float:
    return datetime.datetime.now(datetime.UTC).timestamp()
