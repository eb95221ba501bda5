"""An engine stand-in: the project's dynamic provider plugin, started and driven over gRPC as the Pulumi engine does.

The plugin is started as the CLI starts it (the `pulumi-python` plugin that `Pulumi.yaml` names, else the SDK's own
`python -u -m pulumi.dynamic` from the project's virtualenv; the engine's address as argument, the runtime options
as PULUMI_RUNTIME_* variables, the project directory as working directory) and configured as the engine configures
it. Programs run under the SDK's mock runtime with a monitor that plays the engine's step generator for every dynamic
resource, so the requests are exactly the SDK's own serialization (the pickled `__provider`, secrets, every number a
float, unknowns as the SDK sends them in a preview), and the calls follow the engine's rules:

- preview/up: Check(old *inputs*, new inputs); for a resource in the state, Diff(old *outputs*, checked inputs);
  a replacement is checked again without old inputs, created before the old one is deleted (at the end), or after it
  with `delete_before_replace`; a resource with `retain_on_delete` is dropped from the state, never deleted; a preview
  calls Create/Update only when the plugin says it supports previews (with `preview` set), and otherwise hands the
  inputs back as outputs; secrets are stripped from everything sent (the plugin does not accept secrets);
- refresh: Read(id, old outputs, old inputs), then Diff(new outputs, old inputs) to tell whether it changed;
- destroy: Delete in reverse order of creation.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import Mocks, rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc, resource_pb2

from components.dynamic.base import is_unknown
from components.tooling.mock_runtime import RecordingMonitor, Simulation, TopologyMocks, simulate

ROOT = Path(__file__).resolve().parents[2]
DYNAMIC = "pulumi-python:dynamic/"
SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
UNKNOWN = rpc.UNKNOWN
_CALL_SECONDS = 900.0


class ProviderError(pulumi.RunError):
    """The plugin answered a call with an error (what the engine would print as the resource's error)."""


class CheckFailedError(pulumi.RunError):
    """Check returned failures: the engine stops the operation and prints them."""

    def __init__(self, urn: str, failures: list[tuple[str, str]]) -> None:
        self.urn = urn
        self.failures = failures
        super().__init__(f"{urn}: " + "; ".join(f"{p}: {r}" for p, r in failures))


def plugin_command(project_dir: Path = ROOT) -> list[str]:
    """The command the CLI runs for the `pulumi-python` resource plugin of this project."""
    doc = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    for plugin in (doc.get("plugins") or {}).get("providers") or []:
        if plugin.get("name") == "pulumi-python" and plugin.get("path"):
            return [str((project_dir / plugin["path"] / "pulumi-resource-pulumi-python").resolve())]
    return stock_plugin_command(project_dir)


def stock_plugin_command(project_dir: Path = ROOT) -> list[str]:
    """What the CLI's bundled `pulumi-resource-pulumi-python` runs: the SDK's server in the project's virtualenv."""
    return [str(project_dir / _runtime_options(project_dir).get("virtualenv", "venv") / "bin" / "python"),
            "-u", "-m", "pulumi.dynamic"]  # fmt: skip


def _runtime_options(project_dir: Path) -> dict[str, Any]:
    doc = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    runtime = doc.get("runtime")
    return dict(runtime.get("options") or {}) if isinstance(runtime, Mapping) else {}


def plugin_env(project_dir: Path = ROOT, config: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The plugin's environment as the CLI makes it: ours, plus runtime options, project name and config."""
    env = dict(os.environ)
    for key, value in _runtime_options(project_dir).items():
        env[f"PULUMI_RUNTIME_{key.upper()}"] = str(value)
    env["PULUMI_PROJECT"] = str(yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"])
    env["PULUMI_CONFIG"] = json.dumps(dict(config or {}))
    return env


class ProviderPlugin:
    """One running plugin process and its gRPC client."""

    def __init__(self, command: list[str] | None = None, env: Mapping[str, str] | None = None, log: Path | None = None):
        self.command = command or plugin_command()
        self.env = dict(env or plugin_env())
        self.log = log
        self.calls: list[str] = []
        self.supports_preview = False
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._lock = threading.Lock()

    def start(self) -> ProviderPlugin:
        stderr = self.log.open("ab") if self.log is not None else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [*self.command, "127.0.0.1:0"],  # the engine's address (the Python server does not use it)
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        assert self._process.stdout is not None
        port = self._process.stdout.readline().decode().strip()
        if not port.isdigit():
            msg = f"the plugin did not print its port (got {port!r}); see {self.log}"
            raise ProviderError(msg)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        self.call("GetPluginInfo", empty_pb2.Empty())
        configured = self.call(
            "Configure",
            provider_pb2.ConfigureRequest(
                args=struct_pb2.Struct(),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
            ),
        )
        self.supports_preview = bool(configured.supportsPreview)
        return self

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=30)

    def call(self, method: str, request: Any, timeout: float = _CALL_SECONDS) -> Any:
        with self._lock:
            self.calls.append(method)
        try:
            return getattr(self._stub, method)(request, timeout=timeout)
        except grpc.RpcError as exc:
            msg = f"{method}: {exc.details()}"
            raise ProviderError(msg) from None


@contextmanager
def running_plugin(
    command: list[str] | None = None, env: Mapping[str, str] | None = None, log: Path | None = None
) -> Iterator[ProviderPlugin]:
    plugin = ProviderPlugin(command, env, log).start()
    try:
        yield plugin
    finally:
        plugin.stop()


# --- property maps ---------------------------------------------------------------------------------------


def plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as Python values (numbers are floats, as on the wire)."""
    return dict(json_format.MessageToDict(struct))


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in values.items() if v is not None})
    return struct


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG


def unsecret(value: Any) -> Any:
    """The value with every secret wrapper removed: what the engine sends a plugin that does not accept secrets."""
    if is_secret(value):
        return unsecret(value.get("value"))
    if isinstance(value, Mapping):
        return {k: unsecret(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [unsecret(v) for v in value]
    return value


# --- the engine ------------------------------------------------------------------------------------------


@dataclass
class State:
    """One resource of the stack's state."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_keys: frozenset[str] = frozenset()
    retain_on_delete: bool = False


@dataclass
class Operation:
    """What one preview/up/refresh/destroy did."""

    kind: str
    steps: list[tuple[str, str]] = field(default_factory=list)
    """(step, resource name): create, update, replace, delete, same; refresh: changed, unchanged, gone."""
    exports: dict[str, Any] = field(default_factory=dict)
    simulation: Simulation | None = None

    def of(self, name: str) -> list[str]:
        """The steps of the resource named `name` (the last part of its URN)."""
        return [step for step, who in self.steps if who == name]

    def changes(self) -> list[tuple[str, str]]:
        """Every step but `same` / `unchanged`: what `--expect-no-changes` would reject."""
        return [(s, n) for s, n in self.steps if s not in ("same", "unchanged")]


class Engine:
    """The stack state and the steps the engine takes for dynamic resources, against one running plugin."""

    def __init__(
        self,
        plugin: ProviderPlugin,
        *,
        stack: str = "engine",
        config: Mapping[str, Any] | None = None,
        mocks: Callable[[], Mocks] | None = None,
    ):
        self.plugin = plugin
        self.stack = stack
        self.config = dict(config or {})
        self.mocks = mocks or TopologyMocks
        """Makes the mocks that answer the program's native resources (a cloud's provider plugin's part)."""
        self.secret_keys: list[str] = []
        self.state: dict[str, State] = {}
        self._lock = threading.Lock()

    # --- operations ------------------------------------------------------------------------------

    def preview(self, program: Callable[[], Any]) -> Operation:
        return self._run(program, preview=True)

    def up(self, program: Callable[[], Any]) -> Operation:
        return self._run(program, preview=False)

    def refresh(self) -> Operation:
        operation = Operation("refresh")
        for urn, old in list(self.state.items()):
            read = self.plugin.call(
                "Read",
                provider_pb2.ReadRequest(
                    id=old.id,
                    urn=urn,
                    name=_name(urn),
                    type=old.type,
                    properties=to_struct(unsecret(old.outputs)),
                    inputs=to_struct(unsecret(old.inputs)),
                ),
            )
            if not read.id:
                del self.state[urn]
                operation.steps.append(("gone", _name(urn)))
                continue
            outputs = plain(read.properties)
            inputs = plain(read.inputs) if read.HasField("inputs") else old.inputs
            diff = self._diff(urn, old.type, read.id, outputs, old.inputs, inputs)
            self.state[urn] = State(urn, old.type, read.id, inputs, outputs, old.secret_keys, old.retain_on_delete)
            changed = diff.changes == provider_pb2.DiffResponse.DIFF_SOME
            operation.steps.append(("changed" if changed else "unchanged", _name(urn)))
        return operation

    def destroy(self) -> Operation:
        operation = Operation("destroy")
        for urn in reversed(list(self.state)):
            self._delete(self.state.pop(urn))
            operation.steps.append(("delete", _name(urn)))
        return operation

    # --- a program run ---------------------------------------------------------------------------

    def _run(self, program: Callable[[], Any], *, preview: bool) -> Operation:
        operation = Operation("preview" if preview else "up")
        registered: set[str] = set()
        replaced: list[State] = []
        engine = self

        class EngineMonitor(RecordingMonitor):
            def register(self, request: Any) -> Any:
                if request.custom and request.type.startswith(DYNAMIC):
                    urn = self.make_urn(request.parent, request.type, request.name)
                    registered.add(urn)
                    found = engine._step(urn, request, preview, operation, replaced)
                    self.resources[urn] = RecordingMonitor.ResourceRegistration(urn, found.id, plain(found.object))
                    return found
                return super().register(request)  # in a preview, a native resource's outputs are unknown

        def monitor(mocks: Mocks, simulation: Simulation) -> RecordingMonitor:
            return EngineMonitor(mocks, simulation)

        simulation = simulate(
            program,
            config=self.config,
            secret_keys=self.secret_keys,
            stack=self.stack,
            mocks=self.mocks(),
            preview=preview,
            monitor=monitor,
        )
        operation.simulation = simulation
        operation.exports = simulation.exports
        gone = [s for urn, s in self.state.items() if urn not in registered]
        for old in [*reversed(replaced), *reversed(gone)]:  # dependents before what they depend on
            operation.steps.append(("delete", _name(old.urn)) if old in gone else ("delete-replaced", _name(old.urn)))
            if not preview:
                self._delete(old)
                if old in gone:
                    del self.state[old.urn]
        return operation

    def _step(
        self, urn: str, request: Any, preview: bool, operation: Operation, replaced: list[State]
    ) -> resource_pb2.RegisterResourceResponse:
        news = plain(request.object)
        secrets = frozenset(k for k, v in news.items() if is_secret(v)) | frozenset(request.additionalSecretOutputs)
        sent = unsecret(news)
        if not preview and is_unknown(sent):
            msg = f"{urn}: an unknown input outside a preview"
            raise AssertionError(msg)
        with self._lock:
            old = self.state.get(urn)
        if old is None:
            checked = self._check(urn, request.type, {}, sent)
            state = self._create(urn, request.type, checked, preview, secrets)
            operation.steps.append(("create", _name(urn)))
        else:
            checked = self._check(urn, request.type, old.inputs, sent)
            diff = self._diff(urn, request.type, old.id, old.outputs, checked, old.inputs)
            if diff.changes != provider_pb2.DiffResponse.DIFF_SOME:
                state = old
                operation.steps.append(("same", _name(urn)))
            elif diff.replaces:
                checked = self._check(urn, request.type, {}, sent)  # a replacement is checked as a new resource
                if request.deleteBeforeReplace or diff.deleteBeforeReplace:
                    operation.steps.append(("delete-replaced", _name(urn)))
                    if not preview:
                        self._delete(old)
                else:
                    replaced.append(old)
                state = self._create(urn, request.type, checked, preview, secrets)
                operation.steps.append(("replace", _name(urn)))
            else:
                state = self._update(old, checked, preview, secrets)
                operation.steps.append(("update", _name(urn)))
        state.retain_on_delete = request.retainOnDelete
        if not preview:
            with self._lock:
                self.state[urn] = state
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=state.id, object=to_struct(_mark_secrets(state.outputs, secrets))
        )

    # --- provider calls --------------------------------------------------------------------------

    def _check(self, urn: str, type_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        response = self.plugin.call(
            "Check",
            provider_pb2.CheckRequest(
                urn=urn, name=_name(urn), type=type_, olds=to_struct(unsecret(olds)), news=to_struct(news)
            ),
        )
        if response.failures:
            raise CheckFailedError(urn, [(f.property, f.reason) for f in response.failures])
        return plain(response.inputs)

    def _diff(
        self,
        urn: str,
        type_: str,
        id_: str,
        old_outputs: Mapping[str, Any],
        news: Mapping[str, Any],
        old_inputs: Mapping[str, Any],
    ) -> Any:
        return self.plugin.call(
            "Diff",
            provider_pb2.DiffRequest(
                id=id_,
                urn=urn,
                name=_name(urn),
                type=type_,
                olds=to_struct(unsecret(old_outputs)),
                news=to_struct(unsecret(news)),
                old_inputs=to_struct(unsecret(old_inputs)),
            ),
        )

    def _create(self, urn: str, type_: str, checked: dict[str, Any], preview: bool, secrets: frozenset[str]) -> State:
        if preview and not self.plugin.supports_preview:
            return State(urn, type_, "", checked, checked, secrets)
        response = self.plugin.call(
            "Create",
            provider_pb2.CreateRequest(
                urn=urn, name=_name(urn), type=type_, properties=to_struct(checked), preview=preview
            ),
        )
        if not preview and not response.id:
            msg = f"Create of {urn} returned no id"
            raise ProviderError(msg)
        return State(urn, type_, response.id, checked, plain(response.properties), secrets)

    def _update(self, old: State, checked: dict[str, Any], preview: bool, secrets: frozenset[str]) -> State:
        if preview and not self.plugin.supports_preview:
            return State(old.urn, old.type, old.id, checked, checked, secrets)
        response = self.plugin.call(
            "Update",
            provider_pb2.UpdateRequest(
                id=old.id,
                urn=old.urn,
                name=_name(old.urn),
                type=old.type,
                olds=to_struct(unsecret(old.outputs)),
                news=to_struct(checked),
                old_inputs=to_struct(unsecret(old.inputs)),
                preview=preview,
            ),
        )
        return State(old.urn, old.type, old.id, checked, plain(response.properties), secrets)

    def _delete(self, old: State) -> None:
        if old.retain_on_delete:
            return
        self.plugin.call(
            "Delete",
            provider_pb2.DeleteRequest(
                id=old.id,
                urn=old.urn,
                name=_name(old.urn),
                type=old.type,
                properties=to_struct(unsecret(old.outputs)),
                old_inputs=to_struct(unsecret(old.inputs)),
            ),
        )


@dataclass(frozen=True)
class Registration:
    """One dynamic resource as the SDK registers it: what the engine receives, secrets stripped."""

    urn: str
    type: str
    inputs: dict[str, Any]

    def check(self, plugin: ProviderPlugin) -> Any:
        """Check as for a new resource (no old inputs)."""
        return plugin.call(
            "Check",
            provider_pb2.CheckRequest(
                urn=self.urn,
                name=_name(self.urn),
                type=self.type,
                olds=struct_pb2.Struct(),
                news=to_struct(self.inputs),
            ),
        )

    def create(self, plugin: ProviderPlugin) -> Any:
        """Check, then Create with the checked inputs, as the engine does for a new resource in an `up`."""
        checked = self.check(plugin)
        if checked.failures:
            raise CheckFailedError(self.urn, [(f.property, f.reason) for f in checked.failures])
        return plugin.call(
            "Create",
            provider_pb2.CreateRequest(urn=self.urn, name=_name(self.urn), type=self.type, properties=checked.inputs),
        )


def registrations(program: Callable[[], Any], *, preview: bool = False) -> list[Registration]:
    """The dynamic resources `program` registers, serialized by the SDK, without any provider call."""
    found: list[Registration] = []

    class Capture(RecordingMonitor):
        def register(self, request: Any) -> Any:
            if request.custom and request.type.startswith(DYNAMIC):
                urn = self.make_urn(request.parent, request.type, request.name)
                found.append(Registration(urn, request.type, unsecret(plain(request.object))))
            return super().register(request)

    simulate(program, mocks=TopologyMocks(), preview=preview, monitor=lambda mocks, sim: Capture(mocks, sim))
    return found


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _mark_secrets(outputs: Mapping[str, Any], secret_keys: frozenset[str]) -> dict[str, Any]:
    """Outputs as the engine returns them to the program: what was secret (input or declared) stays secret."""
    return {
        k: ({SIG_KEY: SECRET_SIG, "value": v} if k in secret_keys and not is_secret(v) else v)
        for k, v in outputs.items()
    }


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll `condition` until it holds or `seconds` pass."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
