"""Restore drills: a restore point restored into a scratch volume, checked, timed, and the scratch volume removed.

A drill is a record: its outputs say which restore point was used, when the restore started and finished, how long
it took (the RTO the stack can show), which checks passed, and why it failed. A failed check is recorded, not
raised: the record is the point of a drill (the policy pack's `restore-drill-passed` turns it into a finding).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import pulumi
from pulumi.dynamic import CreateResult, ReadResult
from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.clouds.calls import CloudError, Deadline, NotFoundError, wait_for
from components.clouds.ibm_vpc import Vpc
from components.clouds.oci_kms import (
    DELETION_DAYS,
    BucketLocation,
    FileSource,
    Kms,
    OciConnection,
    ParLocation,
    RestoreSource,
    VaultInfo,
)
from components.clouds.oci_regions import region_of_ocid_segment
from components.clouds.openstack_block_storage import BlockStorage
from components.clouds.volume_data import connector, digest, volume_file
from components.config.oci import PAR_URL
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, is_unknown, progress, scrub, state_inputs
from components.dynamic.cinder import OpenStackConnectionProps
from components.dynamic.ibm_snapshot import IbmConnectionProps
from components.dynamic.oci_vault_backup import (
    PAR_DIGEST,
    PAR_URI,
    ConnectionProps,
    LocationProps,
    par_aware,
    par_digest,
    read_metadata,
    retry_token,
)
from components.errors import FieldProblemError
from components.oci.ocid import parse_ocid

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


class _VolumeCloud(Protocol):
    """What a drill needs of a cloud adapter: a volume's state, a wait until it is usable, its deletion."""

    def get_volume(self, volume_id: str) -> dict[str, Any]: ...
    def volume_named(self, name: str) -> str | None: ...
    def wait_volume(self, volume_id: str) -> dict[str, Any]: ...
    def delete_volume(self, volume_id: str) -> None: ...


class _DrillProvider(DynamicProvider):
    """A drill run: restore into a scratch volume, check, time, remove the scratch volume (unless kept), record.

    Subclasses say how their cloud restores (`_restore`) and what it can check (`_checks`). Every input reruns it.
    """

    def replaces(self, olds: Mapping[str, Any], news: Mapping[str, Any], changed: set[str]) -> set[str]:
        return set(changed)  # a drill is a record of one run: anything new is a new run

    def _cloud(self, model: Any, deadline: Deadline) -> _VolumeCloud:
        raise NotImplementedError

    def _restore(self, cloud: Any, model: Any, scratch: str, props: Mapping[str, Any]) -> str:
        """Start the restore into a volume named `scratch`; its ID (`props`: the inputs, secret ones included)."""
        raise NotImplementedError

    def _restore_point(self, model: Any, _props: Mapping[str, Any]) -> str:
        """What the record names as the restore point."""
        return str(model.restore_point_id)

    def _notes(self, model: Any, props: Mapping[str, Any]) -> dict[str, Any]:
        """Facts of the run a kind of drill records besides the shared ones."""
        return {}

    def _checks(
        self,
        cloud: Any,
        model: Any,
        volume_id: str,
        ready: Mapping[str, Any],
        deadline: Deadline,
        result: dict[str, Any],
    ) -> list[dict[str, Any]]:
        raise NotImplementedError

    @staticmethod
    def _what(model: Any) -> str:
        return f"{getattr(model, 'restore_point', 'snapshot')} {model.restore_point_id}"

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Run the drill: restore, check, time, remove the scratch volume (unless kept); record the result."""
        model: Any = self.props.model_validate(self.model_inputs(props))
        deadline = self.deadline(props, "create")
        cloud = self._cloud(model, deadline)
        scratch = f"{model.name}-{uuid.uuid4().hex[:8]}"  # unique: a retried restore finds its own volume
        result: dict[str, Any] = {
            "restore_point_id": self._restore_point(model, props),
            "scratch_volume_id": None,
            "started_at": _now(),
            "finished_at": None,
            "restore_seconds": None,
            "checks": [],
            "checks_passed": False,
            "sha256": None,
            "error": None,
            **self._notes(model, props),
        }
        volume_id: str | None = None
        started = time.monotonic()
        try:
            volume_id = self._restore(cloud, model, scratch, props)
            ready = cloud.wait_volume(volume_id)
            result["restore_seconds"] = round(time.monotonic() - started, 3)
            result["finished_at"] = _now()
            progress(f"drill {model.name}: {self._what(model)} restored as {volume_id}")
            result["checks"] = self._checks(cloud, model, volume_id, ready, deadline, result)
            result["checks_passed"] = all(c["passed"] for c in result["checks"])
            if not result["checks_passed"]:
                failed = [f"{c['name']}: {c['detail']}" for c in result["checks"] if not c["passed"]]
                result["error"] = "; ".join(failed)
        except CloudError as exc:
            result["error"] = f"restore of {self._what(model)} into volume {scratch} failed: {exc}"
        if result["error"]:
            progress(f"drill {model.name}: FAILED: {result['error']}")
        if volume_id is not None and model.keep_scratch:
            result["scratch_volume_id"] = volume_id
            return CreateResult(f"drill-{scratch}", {**self._recorded(props), **result})
        # The removal has a deadline of its own: a restore that used up the drill's must not leave its volume behind.
        cleanup = self._cloud(model, self.deadline(props, "delete"))
        if volume_id is None:  # the cloud may have made it although its answer was lost
            try:
                volume_id = cleanup.volume_named(scratch)
            except CloudError as exc:
                note = f"whether volume {scratch} was made could not be checked: {exc}"
                result["error"] = f"{result['error']}; {note}"
        if volume_id is not None:
            _remove(cleanup, volume_id, result)
        return CreateResult(f"drill-{scratch}", {**self._recorded(props), **result})

    def _recorded(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs the state keeps (all but secret ones)."""
        return state_inputs(props, without=self.secret_inputs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: a kept scratch volume deleted out of band is no longer named; the record stays."""
        model: Any = self.props.model_validate(self.model_inputs(props))
        kept = props.get("scratch_volume_id")
        if kept:
            try:
                self._cloud(model, Deadline(_READ_SECONDS)).get_volume(str(kept))
            except NotFoundError:
                return ReadResult(id_, {**self._recorded(props), "scratch_volume_id": None})
        return ReadResult(id_, self._recorded(props))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """The drill's record goes; a scratch volume it kept goes with it."""
        model: Any = self.props.model_validate(self.model_inputs(props))
        kept = props.get("scratch_volume_id")
        if kept:
            self._cloud(model, self.deadline(props, "delete")).delete_volume(str(kept))


def _available(ready: Mapping[str, Any]) -> dict[str, Any]:
    """The first check of every drill: the restored volume is usable."""
    return {"name": "available", "passed": ready.get("status") == "available", "detail": str(ready.get("status"))}


def _remove(cloud: _VolumeCloud, volume_id: str, result: dict[str, Any]) -> None:
    """The scratch volume goes whatever the checks said; if it cannot, the record says so."""
    try:
        cloud.delete_volume(volume_id)
    except CloudError as exc:
        result["scratch_volume_id"] = volume_id
        note = f"scratch volume {volume_id} could not be removed: {exc}"
        result["error"] = f"{result['error']}; {note}" if result["error"] else note
        progress(f"drill: {note}")


class CinderRestoreDrillProvider(_DrillProvider):
    """Restores a Cinder backup (or snapshot) into a scratch volume and proves it by status, size and content."""

    props: ClassVar[type[BaseModel]] = CinderDrillProps

    def _cloud(self, model: Any, deadline: Deadline) -> BlockStorage:
        return BlockStorage(model.connection.connection(), deadline, progress)

    def _restore(self, cloud: Any, model: Any, scratch: str, props: Mapping[str, Any]) -> str:
        storage: BlockStorage = cloud
        if model.restore_point == "backup":
            return storage.restore_backup(model.restore_point_id, scratch)
        snapshot = storage.get_snapshot(model.restore_point_id)
        attrs: dict[str, Any] = {"name": scratch, "snapshot_id": model.restore_point_id, "size": snapshot.get("size")}
        if model.availability_zone:
            attrs["availability_zone"] = model.availability_zone
        if model.volume_type:
            attrs["volume_type"] = model.volume_type
        return str(storage.volume_from_snapshot(attrs, scratch)["id"])

    def _checks(
        self,
        cloud: Any,
        model: Any,
        volume_id: str,
        ready: Mapping[str, Any],
        deadline: Deadline,
        result: dict[str, Any],
    ) -> list[dict[str, Any]]:
        storage: BlockStorage = cloud
        source = (
            storage.get_backup(model.restore_point_id)
            if model.restore_point == "backup"
            else storage.get_snapshot(model.restore_point_id)
        )
        size, wanted = ready.get("size"), source.get("size")
        checks = [
            _available(ready),
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


class IbmDrillProps(BaseModel):
    """Inputs of IbmRestoreDrill: a VPC snapshot restored as a volume in a zone."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(pattern=r"^[a-z]([a-z0-9-]{0,49}[a-z0-9])?$", description="Base name of the scratch volume.")
    trigger: str | None = Field(None, min_length=1, description="A new trigger runs the drill again.")
    restore_point_id: str = Field(min_length=1, description="The snapshot restored.")
    zone: str = Field(min_length=1, description="Zone of the scratch volume.")
    profile: str = "general-purpose"
    resource_group_id: str | None = None
    keep_scratch: bool = False
    connection: IbmConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)


class IbmRestoreDrillProvider(_DrillProvider):
    """Restores an IBM VPC snapshot as a volume in a zone (`POST /volumes` with `source_snapshot`) and checks it.

    The VPC API has no data path: the content of a volume is read by an instance it is attached to. The drill checks
    that the volume is available, holds the snapshot's capacity, and was made from the snapshot drilled; it notes
    whether the zone has a fast-restore clone (a restore there is immediate).
    """

    props: ClassVar[type[BaseModel]] = IbmDrillProps

    def _cloud(self, model: Any, deadline: Deadline) -> Vpc:
        return Vpc(model.connection.connection(), deadline, progress)

    def _restore(self, cloud: Any, model: Any, scratch: str, props: Mapping[str, Any]) -> str:
        vpc: Vpc = cloud
        prototype: dict[str, Any] = {
            "name": scratch,
            "profile": {"name": model.profile},
            "zone": {"name": model.zone},
            "source_snapshot": {"id": model.restore_point_id},
        }
        if model.resource_group_id:
            prototype["resource_group"] = {"id": model.resource_group_id}
        return str(vpc.restore_volume(prototype)["id"])

    def _checks(
        self,
        cloud: Any,
        model: Any,
        volume_id: str,
        ready: Mapping[str, Any],
        deadline: Deadline,
        result: dict[str, Any],
    ) -> list[dict[str, Any]]:
        vpc: Vpc = cloud
        snapshot = vpc.get_snapshot(model.restore_point_id)
        capacity, wanted = ready.get("capacity"), snapshot.get("minimum_capacity")
        made_from = (ready.get("source_snapshot") or {}).get("id")
        fast = any(c["zone"]["name"] == model.zone and c.get("available") for c in snapshot.get("clones") or [])
        return [
            _available(ready),
            {
                "name": "capacity",
                "passed": isinstance(capacity, int) and isinstance(wanted, int) and capacity >= wanted,
                "detail": f"{capacity} GB restored, snapshot of a {wanted} GB volume",
            },
            {
                "name": "source",
                "passed": made_from == model.restore_point_id,
                "detail": f"made from snapshot {made_from}"
                + (
                    f" with the fast-restore clone in {model.zone}"
                    if fast
                    else f"; no fast-restore clone in {model.zone}"
                ),
            },
        ]


class VaultFileProps(BaseModel):
    """A vault backup file on the machine that runs the stack, and the SHA-256 it had when the program read it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class VaultDrillProps(BaseModel):
    """Inputs of OciVaultRestoreDrill (a PAR URL, when used, is the secret input `par_uri`, outside the model)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200, description="Name of the drill (its retry tokens derive from it).")
    trigger: str | None = Field(None, min_length=1, description="A new trigger runs the drill again.")
    vault_id: str = Field(pattern=r"^ocid1\.vault\.", description="The vault that was backed up.")
    compartment_id: str | None = Field(
        None, pattern=r"^ocid1\.(compartment|tenancy)\.", description="Its compartment; default read from the vault."
    )
    location: LocationProps | None = Field(None, description="The backup object in its bucket.")
    file: VaultFileProps | None = Field(None, description="A backup file on this machine.")
    region: str = Field(min_length=1, description="Region the vault is restored in (not the vault's own).")
    kms_endpoint: str | None = Field(None, description="KMS vault endpoint of `region`; default its public one.")
    replica: bool = Field(
        False,
        description="`location` is the replica of the backup in `region` (the bucket's replication): the drill "
        "waits for it there, and restores from it.",
    )
    objectstorage_endpoint: str | None = Field(
        None, description="Object Storage endpoint of `region` (where the replica is read); default its public one."
    )
    expect_keys: int | None = Field(None, ge=0, description="Keys the restored vault must hold at least.")
    keep_scratch: bool = False
    connection: ConnectionProps = Field(description="How the vault's own region is reached.")
    timeouts: Timeouts = Field(default_factory=Timeouts)

    @model_validator(mode="after")
    def _elsewhere(self) -> VaultDrillProps:
        parsed = parse_ocid(self.vault_id)
        home = region_of_ocid_segment(parsed.region_segment) if parsed is not None else None
        if home is not None and home == self.region:
            why = (
                f"{home} is the vault's own region: a restore there goes over the live vault (same OCID); "
                "a drill restores into another region of the realm"
            )
            raise FieldProblemError([(("region",), why)])
        return self


class _VaultScratch:
    """The drill's view of a restored vault as its scratch: read, wait until ACTIVE, schedule its deletion."""

    def __init__(self, model: VaultDrillProps, deadline: Deadline) -> None:
        self.model = model
        conn = model.connection
        self.kms = Kms(
            OciConnection(region=model.region, auth=conn.auth, profile=conn.profile, kms_endpoint=model.kms_endpoint),
            deadline,
            progress,
        )
        self.home = Kms(model.connection.connection(), deadline, progress)
        self.here = Kms(
            OciConnection(
                region=model.region,
                auth=conn.auth,
                profile=conn.profile,
                objectstorage_endpoint=model.objectstorage_endpoint,
            ),
            deadline,
            progress,
        )
        """Object Storage of the drill's region, where a replica is read."""
        self.deadline = deadline
        self.compartment_from = "-"
        """Where the restore's compartment came from (the record says it)."""

    def get_volume(self, volume_id: str) -> dict[str, Any]:
        vault = self.kms.get_vault(volume_id)
        if vault.lifecycle_state in {"PENDING_DELETION", "DELETING", "DELETED"}:
            msg = f"restored vault {volume_id}: {vault.lifecycle_state}"
            raise NotFoundError(msg)
        return _vault_record(vault)

    def volume_named(self, _name: str) -> str | None:
        # A restored vault keeps the backed-up vault's name: nothing tells this drill's restore from another's, so
        # the drill never guesses (and never schedules the deletion of a vault it cannot prove it made).
        msg = f"look in {self.model.region} for a vault restored from the backup of {self.model.vault_id}"
        raise CloudError(msg)

    def wait_volume(self, volume_id: str) -> dict[str, Any]:
        return _vault_record(self.kms.wait_vault_restored(volume_id))

    def delete_volume(self, volume_id: str) -> None:
        if volume_id == self.model.vault_id:  # the model refuses the vault's own region; never the live vault
            msg = f"vault {volume_id} is the vault that was backed up: its deletion is not scheduled"
            raise CloudError(msg)
        self.kms.schedule_vault_deletion(volume_id)
        progress(f"restored vault {volume_id}: deletion scheduled in {DELETION_DAYS} days (OCI's least)")


def _vault_record(vault: VaultInfo) -> dict[str, Any]:
    return {
        "id": vault.id,
        "status": "available" if vault.lifecycle_state == "ACTIVE" else vault.lifecycle_state.lower(),
        "lifecycle_state": vault.lifecycle_state,
        "vault_type": vault.vault_type,
        "management_endpoint": vault.management_endpoint,
        "compartment_id": vault.compartment_id,
    }


class OciVaultRestoreDrillProvider(_DrillProvider):
    """Restores a vault backup (object, PAR URL or file) into another region, checks the vault and its keys, and
    schedules the restored vault's deletion (OCI deletes a vault 7 days after it is scheduled, at the earliest).

    In the vault's own region a restore would go over the live vault (same OCID): the drill refuses that region.
    """

    props: ClassVar[type[BaseModel]] = VaultDrillProps
    secret_inputs: ClassVar[frozenset[str]] = frozenset({PAR_URI})

    def check_secrets(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        given = [k for k in ("location", PAR_URI, "file") if news.get(k) is not None]
        if len(given) != 1:
            return [("location", "give exactly one restore point: location (bucket object), par_uri or file")]
        uri = news.get(PAR_URI)
        if isinstance(uri, str) and not is_unknown(uri) and not PAR_URL.match(uri):
            why = "must be an Object Storage pre-authenticated request URL for one object (…/p/<token>/n/…/b/…/o/…)"
            return [(PAR_URI, why)]
        return []

    def changed(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> set[str]:
        return par_aware(super().changed, olds, news)

    def _recorded(self, props: Mapping[str, Any]) -> dict[str, Any]:
        recorded = super()._recorded(props)
        uri = props.get(PAR_URI)
        if isinstance(uri, str):
            recorded[PAR_DIGEST] = par_digest(uri)
        return recorded

    def _cloud(self, model: Any, deadline: Deadline) -> _VaultScratch:
        return _VaultScratch(model, deadline)

    def _restore_point(self, model: Any, props: Mapping[str, Any]) -> str:
        if model.location is not None:
            where = model.location
            return f"{where.namespace}/{where.bucket}/{where.object_name}"
        if model.file is not None:
            return f"file {model.file.path} (sha256 {model.file.sha256})"
        return f"the object of a pre-authenticated request (URL sha256 {par_digest(str(props.get(PAR_URI)))[:16]})"

    @staticmethod
    def _what(model: Any) -> str:
        return f"the backup of vault {model.vault_id}"

    def _notes(self, model: Any, props: Mapping[str, Any]) -> dict[str, Any]:
        """What the restore proves about losing the vault's region: only a copy held outside it does."""
        home = _home_region(model)
        if model.location is not None and model.replica:
            where = f"{model.location.namespace}/{model.location.bucket}/{model.location.object_name}"
            return {
                "restored_from": f"the replica in {model.region} ({where})",
                "proves_region_loss": True,
            }
        if model.location is not None:
            return {
                "restored_from": f"the bucket in the vault's own region {home or '-'}: this does not prove a restore "
                f"after the loss of that region (replicate the bucket to {model.region}: destination.replicate_to)",
                "proves_region_loss": False,
            }
        if model.file is not None:
            return {"restored_from": "a backup file held outside OCI", "proves_region_loss": True}
        region = _par_region(str(props.get(PAR_URI) or ""))
        elsewhere = region is not None and home is not None and region != home
        where = region or "a region the URL does not name"
        return {
            "restored_from": f"a pre-authenticated request URL of an object in {where}",
            "proves_region_loss": elsewhere,
        }

    def _restore(self, cloud: Any, model: Any, scratch: str, props: Mapping[str, Any]) -> str:
        scratch_vault: _VaultScratch = cloud
        source: RestoreSource
        if model.location is not None and model.replica:
            source = BucketLocation(**model.location.model_dump())
            _wait_replicated(scratch_vault, source)
        elif model.location is not None:
            source = BucketLocation(**model.location.model_dump())
        elif model.file is not None:
            source = FileSource(model.file.path, _read_backup(model.file))
        else:
            source = ParLocation(str(props[PAR_URI]))
        compartment = self._compartment(scratch_vault, model)
        vault = scratch_vault.kms.restore_vault(compartment, source, retry_token=retry_token("drill", scratch))
        return vault.id

    @staticmethod
    def _compartment(scratch_vault: _VaultScratch, model: Any) -> str:
        """The compartment OCI restores the vault into (the one it was backed up from): as given, else from the
        backup's metadata object beside it, else (a backup without one) read from the live vault, which a disaster
        may have taken: the record says which."""
        if model.compartment_id:
            scratch_vault.compartment_from = "the drill's inputs"
            return str(model.compartment_id)
        if model.location is not None:
            objects = scratch_vault.here if model.replica else scratch_vault.home
            document = read_metadata(objects, BucketLocation(**model.location.model_dump()))
            if document is not None and document.get("vault_compartment_id"):
                scratch_vault.compartment_from = "the backup's metadata"
                return str(document["vault_compartment_id"])
        scratch_vault.compartment_from = "the live vault (the backup has no metadata beside it)"
        return scratch_vault.home.get_vault(model.vault_id).compartment_id

    def _checks(
        self,
        cloud: Any,
        model: Any,
        volume_id: str,
        ready: Mapping[str, Any],
        deadline: Deadline,
        result: dict[str, Any],
    ) -> list[dict[str, Any]]:
        scratch_vault: _VaultScratch = cloud
        keys = scratch_vault.kms.keys_in(str(ready["management_endpoint"]), str(ready["compartment_id"]))
        held = [k for k in keys if k.lifecycle_state in {"ENABLED", "DISABLED"}]
        wanted = model.expect_keys
        return [
            _available(ready),
            {
                "name": "vault",
                "passed": volume_id != model.vault_id and ready.get("vault_type") == "VIRTUAL_PRIVATE",
                "detail": f"{ready.get('vault_type')} vault {volume_id} in {model.region}, compartment "
                f"{ready.get('compartment_id')} (from {scratch_vault.compartment_from})",
            },
            {
                "name": "keys",
                "passed": wanted is None or len(held) >= wanted,
                "detail": f"{len(held)} keys restored" + ("" if wanted is None else f", at least {wanted} expected"),
            },
        ]

    def create(self, props: dict[str, Any]) -> CreateResult:
        uri = props.get(PAR_URI)
        try:
            return super().create(props)
        except CloudError as exc:
            raise type(exc)(scrub(str(exc), [uri])) from None
        except Exception as exc:  # noqa: BLE001 - whatever the SDK raises, the PAR URL must not reach the log
            msg = f"vault drill: {type(exc).__name__}: {scrub(str(exc), [uri])}"
            raise CloudError(msg) from None


def _wait_replicated(scratch_vault: _VaultScratch, replica: BucketLocation) -> None:
    """Wait, under the drill's deadline, until the replica of the backup is in the drill's region: Object Storage
    replicates asynchronously, objects appear in the destination bucket some time after they are written."""
    wait_for(
        lambda: scratch_vault.here.object_exists(replica),
        what=f"replica {replica.describe()} in {scratch_vault.model.region}",
        done=bool,
        failed=lambda _found: None,
        describe=lambda found: "replicated" if found else "not replicated yet",
        deadline=scratch_vault.deadline,
        progress=progress,
    )


def _home_region(model: Any) -> str | None:
    parsed = parse_ocid(model.vault_id)
    return region_of_ocid_segment(parsed.region_segment) if parsed is not None else None


def _par_region(uri: str) -> str | None:
    """The region whose Object Storage a PAR URL points at (`https://objectstorage.<region>.oraclecloud.com/p/…`)."""
    found = _PAR_HOST.match(uri)
    return found["region"] if found is not None else None


_PAR_HOST = re.compile(
    r"^https://(?:[^/.]+\.)?objectstorage\.(?P<region>[a-z0-9-]+)\.(?:oraclecloud\.com|oci\.customer-oci\.com)/"
)


def _read_backup(file: VaultFileProps) -> bytes:
    """The backup file's bytes, as they were when the program read them (a changed file is not restored)."""
    try:
        content = Path(file.path).read_bytes()
    except OSError as exc:
        msg = f"vault backup file {file.path}: cannot be read ({exc.strerror})"
        raise CloudError(msg) from None
    if hashlib.sha256(content).hexdigest() != file.sha256:
        msg = f"vault backup file {file.path}: changed since the program read it; run the update again"
        raise CloudError(msg)
    return content


class _DrillRecord(pulumi.dynamic.Resource):
    """What every drill resource outputs: the record of its run."""

    restore_point_id: pulumi.Output[str]
    scratch_volume_id: pulumi.Output[str]
    started_at: pulumi.Output[str]
    finished_at: pulumi.Output[str]
    restore_seconds: pulumi.Output[float]
    checks: pulumi.Output[list[dict[str, Any]]]
    checks_passed: pulumi.Output[bool]
    sha256: pulumi.Output[str]
    error: pulumi.Output[str]

    _OUTPUTS: tuple[str, ...] = (
        "restore_point_id",
        "scratch_volume_id",
        "started_at",
        "finished_at",
        "restore_seconds",
        "checks",
        "checks_passed",
        "sha256",
        "error",
    )

    def __init__(
        self, provider: _DrillProvider, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(provider, name, {**dict.fromkeys(self._OUTPUTS), **props}, opts)


class CinderRestoreDrill(_DrillRecord, module=MODULE, name="CinderRestoreDrill"):
    """A restore drill of a Cinder backup or snapshot."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(CinderRestoreDrillProvider(), name, props, opts)


class IbmRestoreDrill(_DrillRecord, module=MODULE, name="IbmRestoreDrill"):
    """A restore drill of an IBM VPC snapshot."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(IbmRestoreDrillProvider(), name, props, opts)


class OciVaultRestoreDrill(_DrillRecord, module=MODULE, name="OciVaultRestoreDrill"):
    """A restore drill of an OCI vault backup."""

    restored_from: pulumi.Output[str]
    """Which copy was restored: the replica in the drill's region, the vault region's bucket, a file, a PAR URL."""
    proves_region_loss: pulumi.Output[bool]
    """Whether the restore used a copy held outside the vault's region (so it would work after that region's loss)."""

    _OUTPUTS = (*_DrillRecord._OUTPUTS, "restored_from", "proves_region_loss")

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=[PAR_URI]))
        super().__init__(OciVaultRestoreDrillProvider(), name, props, opts)
