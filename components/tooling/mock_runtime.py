"""Runs a Pulumi program under Pulumi's mock runtime and records what it would register (no engine, no cloud)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi import Output
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, get_config, rpc, set_all_config, set_mocks
from pulumi.runtime.mocks import MockMonitor, _ensure_event_loop
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import SETTINGS, get_root_resource, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.oci.oracle_policies import ORACLE_POLICIES

SECRET = "[secret]"
"""What a secret value is shown as, wherever the offline tools print or store it."""

OFFLINE_NOW = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
"""The mocks' clock: every time they make up counts from it (an ExpiryTime's `expires_at`, a restored boot volume's
`timeCreated`), never from the machine's clock, so two runs on the same stack are byte-identical. A date no cloud
answers, so a made-up time is never taken for a real one."""

_PAR_TYPE = "oci:ObjectStorage/preauthrequest:Preauthrequest"
_VAULT_TYPE = "oci:Kms/vault:Vault"
_EXPIRY_TYPE = "pulumi-python:dynamic/backup-topology:ExpiryTime"
_CINDER_SNAPSHOT_TYPE = "pulumi-python:dynamic/backup-topology:CinderSnapshot"
_CINDER_BACKUP_TYPE = "pulumi-python:dynamic/backup-topology:CinderBackup"
_IBM_SNAPSHOT_TYPE = "pulumi-python:dynamic/backup-topology:IbmSnapshot"
_IBM_COPY_TYPE = "pulumi-python:dynamic/backup-topology:IbmSnapshotCopy"
_IBM_GROUP_TYPE = "pulumi-python:dynamic/backup-topology:IbmSnapshotConsistencyGroup"
_IBM_POLICY_TYPE = "pulumi-python:dynamic/backup-topology:IbmBackupPolicy"
_ORACLE_POLICIES_TOKEN = "oci:Core/getVolumeBackupPolicies:getVolumeBackupPolicies"
_NAMESPACE_TOKEN = "oci:ObjectStorage/getNamespace:getNamespace"
_OCI_PROVIDER_TYPE = "pulumi:providers:oci"
_INSTANCE_TYPE = "oci:Core/instance:Instance"
_BOOT_VOLUME_TYPE = "oci:Core/bootVolume:BootVolume"
_VOLUME_TYPE = "oci:Core/volume:Volume"
_VOLUME_GROUP_TYPE = "oci:Core/volumeGroup:VolumeGroup"
_VOLUME_GROUP_BACKUP_TYPE = "oci:Core/volumeGroupBackup:VolumeGroupBackup"
_STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
_REGIONAL = frozenset(
    {"bootvolume", "bootvolumebackup", "instance", "volume", "volumebackup", "volumegroup", "volumegroupbackup"}
)
"""Kinds of OCI resources whose OCIDs name their region."""


@dataclass(frozen=True)
class Registered:
    """One resource the program registered: where it sits in the tree and its inputs (secrets masked)."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    """URNs this resource explicitly depends on (depends_on and input dependencies)."""
    retain_on_delete: bool = False
    outputs: dict[str, Any] | None = None
    """A component's registered outputs (secrets masked); None until it registers them, and for custom resources."""


@dataclass
class Simulation:
    """What a program run under mocks declared: resources in registration order, and the stack's exports."""

    stack_urn: str = ""
    resources: list[Registered] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    preview: bool = False
    """Run as `pulumi preview`: what is not made yet has unknown outputs."""

    def of_type(self, type_: str) -> list[Registered]:
        """The registered resources of one type token."""
        return [r for r in self.resources if r.type == type_]

    def children(self, urn: str) -> list[Registered]:
        """Direct children of a resource (or of the stack), sorted by type and name for stable output."""
        return sorted((r for r in self.resources if r.parent == urn), key=lambda r: (r.type, r.name))

    def in_tree_order(self) -> list[Registered]:
        """Every resource in an order that depends only on what was declared: the tree depth first, each resource's
        children by type and name (as `children`), then any whose parent is not in the tree, by URN.

        Registrations reach the monitor from the runtime's threads in any order, so `resources` differs between two
        runs of one program; this order does not.
        """
        ordered: list[Registered] = []

        def walk(urn: str) -> None:
            for kid in self.children(urn):
                ordered.append(kid)
                walk(kid.urn)

        walk(self.stack_urn)
        seen = {r.urn for r in ordered}
        return ordered + sorted((r for r in self.resources if r.urn not in seen), key=lambda r: r.urn)


def mask_secrets(value: Any) -> Any:
    """Replace every secret inside a deserialized property value by SECRET."""
    if isinstance(value, Mapping):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_secrets(v) for v in value]
    return value


class TopologyMocks(Mocks):
    """Mocks that answer like the clouds would: deterministic fake IDs, and the Oracle-defined policies.

    OCIDs of regional OCI resources made through a provider carry its region; `stack_outputs` are the outputs of
    the stacks a program references (`pulumi.StackReference`), by stack name: those of a stack not given are unknown,
    which only a preview can carry. Times are made up from `now` (default OFFLINE_NOW).
    """

    def __init__(
        self, stack_outputs: Mapping[str, Mapping[str, Any]] | None = None, now: datetime.datetime = OFFLINE_NOW
    ) -> None:
        super().__init__()
        self._stack_outputs = dict(stack_outputs or {})
        self._now = now
        self._provider_regions: dict[str, str] = {}
        self._group_members: dict[str, list[str]] = {}
        """Volume group OCID -> its volumes; a group backup holds a volume backup of each, a restore one volume."""

    def _ocid(self, kind: str, digest: str, provider: str | None) -> str:
        region = ""
        if kind in _REGIONAL:  # the explicit provider's region, else the default provider's (`oci:region`)
            default = str(get_config("oci:region") or "")
            region = self._provider_regions.get((provider or "").rsplit("::", 1)[-1], default)
        return f"ocid1.{kind}.oc1.{region}.mock{digest}"

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        kind = args.typ.rsplit(":", 1)[-1].lower()
        digest = hashlib.sha256(f"{args.typ}::{args.name}".encode()).hexdigest()[:24]
        resource_id = self._ocid(kind, digest, args.provider) if args.typ.startswith("oci:") else f"mock-{digest}"
        outputs = dict(args.inputs)
        created = self._now.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # what OCI reports made
        if args.typ == _OCI_PROVIDER_TYPE and outputs.get("region"):
            self._provider_regions[resource_id] = str(outputs["region"])
        elif args.typ == _INSTANCE_TYPE:
            outputs["bootVolumeId"] = self._ocid("bootvolume", digest, args.provider)
        elif args.typ == _STACK_REFERENCE_TYPE:
            referenced = self._stack_outputs.get(str(outputs.get("name")))
            # a stack whose outputs are not given: not known here (a preview shows them unknown), never empty
            outputs.update(outputs=dict(referenced) if referenced is not None else rpc.UNKNOWN, secretOutputNames=[])
            resource_id = str(outputs.get("name"))
        elif args.typ == _PAR_TYPE:
            path = "/p/mock{}/n/{}/b/{}/o/{}".format(
                digest, outputs.get("namespace"), outputs.get("bucket"), outputs.get("objectName")
            )
            outputs.update(accessUri=path, fullPath=f"https://objectstorage.mock.oraclecloud.com{path}")
        elif args.typ == _VAULT_TYPE:
            outputs.update(managementEndpoint=f"https://mock{digest}-management.kms.mock.oraclecloud.com")
        elif args.typ in (_BOOT_VOLUME_TYPE, _VOLUME_TYPE):  # the provider returns a volume once it is AVAILABLE
            outputs.update(state="AVAILABLE", timeCreated=created)
        elif args.typ == _VOLUME_GROUP_TYPE:
            outputs.update(self._volume_group(resource_id, digest, args.provider, outputs))
        elif args.typ == _VOLUME_GROUP_BACKUP_TYPE:
            source = (outputs.get("sourceDetails") or {}).get("volumeGroupBackupId")
            members = self._group_members.get(str(outputs.get("volumeGroupId")), [])
            if source:  # a copy holds as many volume backups as its source
                members = self._group_members.get(str(source), [])
            backups = [self._ocid("volumebackup", f"{digest}{i}", args.provider) for i, _ in enumerate(members)]
            self._group_members[resource_id] = backups
            outputs.update(volumeBackupIds=backups, state="AVAILABLE", timeCreated=created)
        elif args.typ in (_IBM_SNAPSHOT_TYPE, _IBM_COPY_TYPE):
            region = (outputs.get("destination") or outputs.get("connection") or {}).get("region", "mock")
            snapshot_id = f"r0-mock{digest}"
            outputs.update(
                snapshot_id=snapshot_id,
                crn=f"crn:v1:bluemix:public:is:{region}:a/mock::snapshot:{snapshot_id}",
                lifecycle_state="stable",
                clones={zone: {"available": True} for zone in outputs.get("clone_zones") or ()},
            )
            resource_id = snapshot_id
        elif args.typ == _IBM_GROUP_TYPE:
            region = (outputs.get("connection") or {}).get("region", "mock")
            resource_id = f"r0-mock{digest}"
            outputs.update(
                group_id=resource_id,
                crn=f"crn:v1:bluemix:public:is:{region}:a/mock::snapshot-consistency-group:{resource_id}",
                lifecycle_state="stable",
                snapshot_ids=[f"r0-mock{digest}-{i}" for i, _ in enumerate(outputs.get("source_volume_ids") or ())],
            )
        elif args.typ == _IBM_POLICY_TYPE:
            region = (outputs.get("connection") or {}).get("region", "mock")
            resource_id = f"r0-mock{digest}"
            outputs.update(
                policy_id=resource_id,
                crn=f"crn:v1:bluemix:public:is:{region}:a/mock::backup-policy:{resource_id}",
                lifecycle_state="stable",
                health_state="ok",
                plan_ids={
                    str(plan.get("name")): f"r0-mock{digest}-{i}" for i, plan in enumerate(outputs.get("plans") or ())
                },
            )
        elif args.typ == _CINDER_SNAPSHOT_TYPE:
            resource_id = f"mock-snapshot-{digest}"
            outputs.update(snapshot_id=resource_id, status="available")
        elif args.typ == _CINDER_BACKUP_TYPE:
            resource_id = f"mock-backup-{digest}"
            outputs.update(backup_id=resource_id, status="available", is_incremental=bool(outputs.get("incremental")))
        elif args.typ == _EXPIRY_TYPE:
            days = int(outputs.get("days") or 0)
            expires = self._now.replace(microsecond=0) + datetime.timedelta(days=days)
            outputs["expires_at"] = expires.isoformat().replace("+00:00", "Z")
        return resource_id, outputs

    def _volume_group(
        self, group_id: str, digest: str, provider: str | None, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A group made of volumes holds them; one restored from a backup holds a new volume per volume backup."""
        source = inputs.get("sourceDetails") or {}
        if source.get("type") == "volumeGroupBackupId":
            count = len(self._group_members.get(str(source.get("volumeGroupBackupId")), []))
            volumes = [self._ocid("volume", f"{digest}{i}", provider) for i in range(count)]
        else:
            volumes = list(inputs.get("volumeIds") or source.get("volumeIds") or [])
        self._group_members[group_id] = volumes
        created = self._now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"volumeIds": volumes, "state": "AVAILABLE", "timeCreated": created}

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]  # a bare dict: no failures
        if args.token == _ORACLE_POLICIES_TOKEN:
            wanted = _filter_values(args.args.get("filters"), "display_name")
            policies = [
                {"id": f"ocid1.volumebackuppolicy.oc1..oracle{name}", "displayName": name, "schedules": []}
                for name in ORACLE_POLICIES
                if wanted is None or name in wanted
            ]
            return {"id": "oracle-defined", "volumeBackupPolicies": policies}
        if args.token == _NAMESPACE_TOKEN:
            return {"id": "mocknamespace", "namespace": "mocknamespace"}
        return {}


def _filter_values(filters: Any, name: str) -> set[str] | None:
    for item in filters or ():
        if isinstance(item, Mapping) and item.get("name") == name:
            return set(item.get("values") or ())
    return None


class RecordingMonitor(MockMonitor):
    """The mock monitor, also noting each registration's parent so the resource tree can be rebuilt."""

    def __init__(self, mocks: Mocks, simulation: Simulation) -> None:
        super().__init__(mocks)
        self._simulation = simulation
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = self.register(request)
        if request.type == "pulumi:pulumi:Stack":
            self._simulation.stack_urn = response.urn
            return response
        registration = self.resources[response.urn]
        record = Registered(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            id=registration.id if request.custom else None,
            inputs=mask_secrets(_mark_secret(registration.state, request.additionalSecretOutputs)),
            dependencies=tuple(request.dependencies),
            retain_on_delete=bool(request.retainOnDelete),
        )
        with self._lock:
            self._simulation.resources.append(record)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Note a component's outputs: the engine keeps them as its state, which stack policies read as its props."""
        _ensure_event_loop()  # deserializing a resource reference needs a loop, and this runs in an executor thread
        outputs = mask_secrets(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        with self._lock:
            for i, record in enumerate(self._simulation.resources):
                if record.urn == request.urn:
                    self._simulation.resources[i] = dataclasses.replace(record, outputs=outputs)
        return super().RegisterResourceOutputs(request)

    def register(self, request: Any) -> Any:
        """Answer one registration: the mocks' outputs; in a preview, as the engine does for a resource to create,
        its inputs only (every other output unknown, no ID). A monitor standing in for more of the engine overrides it.
        """
        if self._simulation.preview and request.custom:
            urn = self.make_urn(request.parent, request.type, request.name)
            state = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, "", state)
            return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=request.object)
        return super().RegisterResource(request)


def _mark_secret(state: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The state with outputs the program declared secret (additional_secret_outputs) masked, as the engine would."""
    secret = set(names)
    return {k: SECRET if k in secret and v is not None else v for k, v in state.items()}


def config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """Stack config values as the runtime holds them: strings, with objects and lists as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def simulate(
    program: Callable[[], Any],
    *,
    config: Mapping[str, Any] | None = None,
    secret_keys: Iterable[str] = (),
    project: str = "backup-topology",
    stack: str = "dev",
    mocks: Mocks | None = None,
    preview: bool = False,
    monitor: Callable[[Mocks, Simulation], RecordingMonitor] | None = None,
) -> Simulation:
    """Run `program` under the mock runtime with `config` as the stack config; return what it registered.

    `preview` runs it as `pulumi preview` does (outputs not known yet are unknown); `monitor` makes the monitor
    that answers registrations (default: the mocks). Exceptions raised by the program (for example
    `pulumi.RunError` for an invalid topology) propagate.
    """
    simulation = Simulation(preview=preview)
    set_all_config(config_strings(config or {}), list(secret_keys))
    set_root_resource(None)  # type: ignore[arg-type]  # a fresh Stack for every run
    make = monitor or RecordingMonitor
    recorder = make(mocks or TopologyMocks(), simulation)
    set_mocks(recorder.mocks, project=project, stack=stack, preview=preview, monitor=recorder)
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()

    def body() -> None:
        program()
        root = get_root_resource()
        exports = dict(getattr(root, "outputs", {}) or {})
        simulation.exports = {key: _sync_await(_resolve(value)) for key, value in exports.items()}

    loop = asyncio.get_event_loop()
    loop.set_exception_handler(_quiet_about_run_errors)
    _sync_await(run_pulumi_func(body))
    return simulation


def _quiet_about_run_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A program's RunError (an invalid arg) fails every output waiting on it; it is reported once, when raised."""
    if isinstance(context.get("exception"), pulumi.RunError):
        return
    loop.default_exception_handler(context)


async def _resolve(value: Any) -> Any:
    output = Output.from_input(value)
    if await output.is_secret():
        return SECRET
    return await output.future()
