"""Restore drills: a restore point restored into a scratch volume, checked, timed, and the scratch volume removed.

A drill is a record: its outputs say which restore point was used, when the restore started and finished, how long
it took (the RTO the stack can show), which checks passed, and why it failed. A failed check is recorded, not
raised: the record is the point of a drill (the policy pack's `restore-drill-passed` turns it into a finding).
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CreateResult, ReadResult
from pydantic import BaseModel, ConfigDict, Field

from components.clouds.calls import CloudError, Deadline, NotFoundError
from components.clouds.openstack_block_storage import BlockStorage
from components.clouds.volume_data import connector, digest, volume_file
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, progress, state_inputs
from components.dynamic.cinder import OpenStackConnectionProps

_READ_SECONDS = 120.0


class ExpectProps(BaseModel):
    """What the restored data must be: the SHA-256 of its first `length_bytes` (of all of it without)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    length_bytes: int | None = Field(None, ge=1)


class CinderDrillProps(BaseModel):
    """Inputs of CinderRestoreDrill."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200, description="Base name of the scratch volume.")
    trigger: str | None = Field(None, min_length=1, description="A new trigger runs the drill again.")
    restore_point: Literal["backup", "snapshot"] = "backup"
    restore_point_id: str = Field(min_length=1, description="The backup or snapshot restored.")
    expect: ExpectProps | None = None
    keep_scratch: bool = False
    availability_zone: str | None = None
    volume_type: str | None = None
    connection: OpenStackConnectionProps = Field(default_factory=OpenStackConnectionProps)
    timeouts: Timeouts = Field(default_factory=Timeouts)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CinderRestoreDrillProvider(DynamicProvider):
    """Restores a Cinder backup (or snapshot) into a scratch volume, checks and times it; every input reruns it."""

    props: ClassVar[type[BaseModel]] = CinderDrillProps

    def replaces(self, olds: Mapping[str, Any], news: Mapping[str, Any], changed: set[str]) -> set[str]:
        return set(changed)  # a drill is a record of one run: anything new is a new run

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Run the drill: restore, check, time, remove the scratch volume (unless kept); record the result."""
        model = CinderDrillProps.model_validate(self.model_inputs(props))
        deadline = self.deadline(props, "create")
        storage = BlockStorage(model.connection.connection(), deadline, progress)
        scratch = f"{model.name}-{uuid.uuid4().hex[:8]}"  # unique: a retried restore finds its own volume
        result: dict[str, Any] = {
            "restore_point_id": model.restore_point_id,
            "scratch_volume_id": None,
            "started_at": _now(),
            "finished_at": None,
            "restore_seconds": None,
            "checks": [],
            "checks_passed": False,
            "sha256": None,
            "error": None,
        }
        volume_id: str | None = None
        started = time.monotonic()
        try:
            volume_id = self._restore(storage, model, scratch)
            ready = storage.wait_volume(volume_id)
            result["restore_seconds"] = round(time.monotonic() - started, 3)
            result["finished_at"] = _now()
            progress(f"drill {model.name}: {model.restore_point} {model.restore_point_id} restored as {volume_id}")
            result["checks"] = self._checks(storage, model, volume_id, ready, deadline, result)
            result["checks_passed"] = all(c["passed"] for c in result["checks"])
            if not result["checks_passed"]:
                failed = [f"{c['name']}: {c['detail']}" for c in result["checks"] if not c["passed"]]
                result["error"] = "; ".join(failed)
        except CloudError as exc:
            result["error"] = f"restore of {model.restore_point} {model.restore_point_id} failed: {exc}"
        if result["error"]:
            progress(f"drill {model.name}: FAILED: {result['error']}")
        if volume_id is not None and model.keep_scratch:
            result["scratch_volume_id"] = volume_id
        elif volume_id is not None:
            self._remove(storage, volume_id, result)
        return CreateResult(f"drill-{scratch}", {**state_inputs(props), **result})

    @staticmethod
    def _restore(storage: BlockStorage, model: CinderDrillProps, scratch: str) -> str:
        if model.restore_point == "backup":
            return storage.restore_backup(model.restore_point_id, scratch)
        snapshot = storage.get_snapshot(model.restore_point_id)
        attrs: dict[str, Any] = {"name": scratch, "snapshot_id": model.restore_point_id, "size": snapshot.get("size")}
        if model.availability_zone:
            attrs["availability_zone"] = model.availability_zone
        if model.volume_type:
            attrs["volume_type"] = model.volume_type
        return str(storage.volume_from_snapshot(attrs, scratch)["id"])

    @staticmethod
    def _checks(
        storage: BlockStorage,
        model: CinderDrillProps,
        volume_id: str,
        ready: Mapping[str, Any],
        deadline: Deadline,
        result: dict[str, Any],
    ) -> list[dict[str, Any]]:
        source = (
            storage.get_backup(model.restore_point_id)
            if model.restore_point == "backup"
            else storage.get_snapshot(model.restore_point_id)
        )
        size, wanted = ready.get("size"), source.get("size")
        checks = [
            {"name": "available", "passed": ready.get("status") == "available", "detail": str(ready.get("status"))},
            {
                "name": "size",
                "passed": isinstance(size, int) and isinstance(wanted, int) and size >= wanted,
                "detail": f"{size} GiB restored, restore point of {wanted} GiB",
            },
        ]
        if model.expect is None:
            return checks
        link = connector()
        try:
            path = volume_file(storage.connection_info(volume_id, link))
            found, read = digest(path, model.expect.length_bytes, deadline)
        except CloudError as exc:
            checks.append({"name": "content", "passed": False, "detail": f"not readable: {exc}"})
            return checks
        finally:
            try:
                storage.release_connection(volume_id, link)
            except CloudError as exc:
                progress(f"drill {model.name}: connection to {volume_id} not released ({exc})")
        result["sha256"] = found
        short = model.expect.length_bytes is not None and read < model.expect.length_bytes
        passed = found == model.expect.sha256 and not short
        detail = f"sha256 of {read} bytes is {found}" + ("" if passed else f", expected {model.expect.sha256}")
        checks.append({"name": "content", "passed": passed, "detail": detail})
        return checks

    @staticmethod
    def _remove(storage: BlockStorage, volume_id: str, result: dict[str, Any]) -> None:
        """The scratch volume goes whatever the checks said; if it cannot, the record says so."""
        try:
            storage.delete_volume(volume_id)
        except CloudError as exc:
            result["scratch_volume_id"] = volume_id
            note = f"scratch volume {volume_id} could not be removed: {exc}"
            result["error"] = f"{result['error']}; {note}" if result["error"] else note
            progress(f"drill: {note}")

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: a kept scratch volume deleted out of band is no longer named; the record stays."""
        model = CinderDrillProps.model_validate(self.model_inputs(props))
        kept = props.get("scratch_volume_id")
        if kept:
            try:
                BlockStorage(model.connection.connection(), Deadline(_READ_SECONDS)).get_volume(str(kept))
            except NotFoundError:
                return ReadResult(id_, {**state_inputs(props), "scratch_volume_id": None})
        return ReadResult(id_, state_inputs(props))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """The drill's record goes; a scratch volume it kept goes with it."""
        model = CinderDrillProps.model_validate(self.model_inputs(props))
        kept = props.get("scratch_volume_id")
        if kept:
            BlockStorage(model.connection.connection(), self.deadline(props, "delete"), progress).delete_volume(
                str(kept)
            )


class CinderRestoreDrill(pulumi.dynamic.Resource, module=MODULE, name="CinderRestoreDrill"):
    """A restore drill of a Cinder backup or snapshot."""

    restore_point_id: pulumi.Output[str]
    scratch_volume_id: pulumi.Output[str]
    started_at: pulumi.Output[str]
    finished_at: pulumi.Output[str]
    restore_seconds: pulumi.Output[float]
    checks: pulumi.Output[list[dict[str, Any]]]
    checks_passed: pulumi.Output[bool]
    sha256: pulumi.Output[str]
    error: pulumi.Output[str]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = dict.fromkeys(
            (
                "scratch_volume_id",
                "started_at",
                "finished_at",
                "restore_seconds",
                "checks",
                "checks_passed",
                "sha256",
                "error",
            )
        )
        super().__init__(CinderRestoreDrillProvider(), name, {**outputs, **props}, opts)
