"""Pydantic models of the backup topology (stack config `backup-topology:topology`) and its loader."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from components.clouds.ibm_regions import IBM_REGIONS
from components.clouds.oci_regions import closest_region, is_known_region
from components.confidential import check_not_confidential
from components.errors import FieldProblemError, Problem, TopologyError, dotted
from components.oci.ocid import check_ocid, parse_ocid

CONFIG_KEY = "backup-topology:topology"
_NAME = re.compile(r"[a-z][a-z0-9-]{0,47}")


class Model(BaseModel):
    """Base of every topology model: immutable, and unknown fields are mistakes."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- scalar types ------------------------------------------------------------------------------


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value) or value.endswith("-"):
        msg = (
            "must start with a lowercase letter, hold only lowercase letters, digits and '-', "
            "not end in '-', and be at most 48 characters"
        )
        raise ValueError(msg)
    return value


def _region(value: str) -> str:
    if not is_known_region(value):
        near = closest_region(value)
        hint = f" (did you mean '{near}'?)" if near else ""
        msg = f"unknown OCI region '{value}'{hint}"
        raise ValueError(msg)
    return value


def _defined_tag_key(value: str) -> str:
    namespace, dot, key = value.partition(".")
    if not dot or not namespace or not key:
        msg = "defined tag keys take the form Namespace.Key"
        raise ValueError(msg)
    return value


def _ocid(*kinds: str) -> AfterValidator:
    return AfterValidator(lambda v: check_ocid(v, *kinds))


Name = Annotated[str, AfterValidator(_name)]
DisplayName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(check_not_confidential)]
OciRegion = Annotated[str, AfterValidator(_region)]
CompartmentId = Annotated[str, _ocid("compartment", "tenancy")]
BootVolumeId = Annotated[str, _ocid("bootvolume")]
KeyId = Annotated[str, _ocid("key")]
PolicyId = Annotated[str, _ocid("volumebackuppolicy")]
FreeformTags = dict[str, str]
DefinedTags = dict[Annotated[str, AfterValidator(_defined_tag_key)], str]

BackupType = Annotated[Literal["full", "incremental"], BeforeValidator(_lower)]
Period = Annotated[Literal["hour", "day", "week", "month", "year"], BeforeValidator(_lower)]
Weekday = Annotated[
    Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], BeforeValidator(_lower)
]
MonthName = Annotated[
    Literal[
        "january", "february", "march", "april", "may", "june",
        "july", "august", "september", "october", "november", "december",
    ],
    BeforeValidator(_lower),
]  # fmt: skip
TimeZone = Annotated[Literal["utc", "regional"], BeforeValidator(_lower)]
OraclePolicy = Annotated[Literal["gold", "silver", "bronze"], BeforeValidator(_lower)]
OciAuth = Annotated[
    Literal["api_key", "instance_principal", "resource_principal", "security_token"], BeforeValidator(_lower)
]


# --- schedules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpec:
    """What a schedule period means: OCI's name, its longest gap between backups, the fields it takes."""

    oci: str
    days: int
    takes: tuple[str, ...]

    @property
    def hours(self) -> int:
        """Longest time between two backups of this period (the period's RPO)."""
        return 1 if self.oci == "ONE_HOUR" else self.days * 24


# A month counts as its longest (31 days) and a year as 365 days: a retention shorter than that
# leaves a stretch with no backup from the schedule, which is what the retention rule guards against.
PERIODS: dict[str, PeriodSpec] = {
    "hour": PeriodSpec("ONE_HOUR", 1, ()),
    "day": PeriodSpec("ONE_DAY", 1, ("hour_of_day",)),
    "week": PeriodSpec("ONE_WEEK", 7, ("hour_of_day", "day_of_week")),
    "month": PeriodSpec("ONE_MONTH", 31, ("hour_of_day", "day_of_month")),
    "year": PeriodSpec("ONE_YEAR", 365, ("hour_of_day", "day_of_month", "month")),
}
_TIMING_FIELDS = ("hour_of_day", "day_of_week", "day_of_month", "month")
_TIMING_DEFAULTS: dict[str, Any] = {"hour_of_day": 0, "day_of_week": "monday", "day_of_month": 1, "month": "january"}


class Schedule(Model):
    """One backup schedule of a policy: what kind of backup, how often, when, and for how long it is kept."""

    backup_type: BackupType = Field(description="`full` or `incremental`.")
    period: Period = Field(description="`hour`, `day`, `week`, `month` or `year`.")
    retention_days: int = Field(ge=1, description="Days each backup is kept; at least the period.")
    hour_of_day: int | None = Field(None, ge=0, le=23, description="Hour the backup starts (day/week/month/year).")
    day_of_week: Weekday | None = Field(None, description="Weekday of a weekly backup.")
    day_of_month: int | None = Field(
        None, ge=1, le=28, description="Day of a monthly/yearly backup (1-28, so it occurs in every month)."
    )
    month: MonthName | None = Field(None, description="Month of a yearly backup.")
    time_zone: TimeZone = Field("utc", description="`utc` or `regional` (the region's data-center time).")

    @model_validator(mode="after")
    def _fits_period(self) -> Schedule:
        spec = PERIODS[self.period]
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for field in _TIMING_FIELDS:
            if getattr(self, field) is not None and field not in spec.takes:
                takes = ", ".join(spec.takes) if spec.takes else "no timing fields"
                problems.append(((field,), f"period '{self.period}' does not take {field} (it takes {takes})"))
        if self.retention_days < spec.days:
            unit = "day" if spec.days == 1 else "days"
            problems.append((("retention_days",), f"must be at least the period ({spec.days} {unit})"))
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def rpo_hours(self) -> int:
        """Longest time between two backups of this schedule."""
        return PERIODS[self.period].hours

    def timing(self) -> dict[str, Any]:
        """The timing fields this period takes, with their defaults filled in."""
        return {
            f: (getattr(self, f) if getattr(self, f) is not None else _TIMING_DEFAULTS[f])
            for f in PERIODS[self.period].takes
        }

    def to_oci(self) -> dict[str, Any]:
        """Keyword arguments of `pulumi_oci.core.VolumeBackupPolicyScheduleArgs`."""
        args: dict[str, Any] = {
            "backup_type": self.backup_type.upper(),
            "period": PERIODS[self.period].oci,
            "retention_seconds": self.retention_days * 86400,
            "offset_type": "STRUCTURED",
            "time_zone": "UTC" if self.time_zone == "utc" else "REGIONAL_DATA_CENTER_TIME",
        }
        for field, value in self.timing().items():
            args[field] = value.upper() if isinstance(value, str) else value
        return args

    def describe(self) -> str:
        """A short human sentence, e.g. `incremental daily at 02:00 UTC, kept 7d`."""
        t = self.timing()
        at = ""
        if "hour_of_day" in t:
            at = f" at {t['hour_of_day']:02d}:00 {'UTC' if self.time_zone == 'utc' else 'regional time'}"
        when = {
            "hour": "hourly",
            "day": "daily",
            "week": f"weekly on {str(t.get('day_of_week', '')).capitalize()}",
            "month": f"monthly on day {t.get('day_of_month')}",
            "year": f"yearly on {str(t.get('month', '')).capitalize()} {t.get('day_of_month')}",
        }[self.period]
        return f"{self.backup_type} {when}{at}, kept {self.retention_days}d"


# --- OCI boot volume plans ---------------------------------------------------------------------


class CustomPolicy(Model):
    """A user-defined volume backup policy created by the plan."""

    display_name: DisplayName | None = Field(None, description="Policy name in OCI; defaults to the plan name.")
    schedules: list[Schedule] = Field(min_length=1, description="One or more schedules.")
    destination_region: OciRegion | None = Field(
        None, description="Region each scheduled backup is copied to (cross-region copy)."
    )
    freeform_tags: FreeformTags = Field(default_factory=dict, description="Free-form tags.")
    defined_tags: DefinedTags = Field(default_factory=dict, description="Defined tags, keys `Namespace.Key`.")


def _volume_shorthand(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


class BootVolumeRef(Model):
    """A boot volume the plan assigns its policy to; a bare OCID string is accepted as shorthand."""

    id: BootVolumeId = Field(description="Boot volume OCID.")
    name: str | None = Field(None, max_length=255, description="Label shown in the coverage report.")

    @property
    def key(self) -> str:
        """Stable short key for resource names: the tail of the OCID's unique part."""
        return resource_key(self.id)


def resource_key(ocid: str) -> str:
    """Stable short key of an OCID for resource and object names: the last 16 characters of its unique part."""
    parsed = parse_ocid(ocid)
    return (parsed.unique if parsed else ocid)[-16:]


VolumeRef = Annotated[BootVolumeRef, BeforeValidator(_volume_shorthand)]


class ManualBackup(Model):
    """A one-off boot volume backup ("Create Manual Backup"), full or incremental."""

    name: Name = Field(description="Key of the backup within the plan (resource name).")
    boot_volume_id: BootVolumeId = Field(description="Boot volume OCID to back up.")
    type: BackupType = Field("full", description="`full` (default) or `incremental`.")
    display_name: DisplayName | None = Field(None, description="Backup name in OCI; defaults to `<plan>-<name>`.")
    freeform_tags: FreeformTags = Field(default_factory=dict, description="Free-form tags.")
    defined_tags: DefinedTags = Field(default_factory=dict, description="Defined tags, keys `Namespace.Key`.")


class BootVolumePlan(Model):
    """Scheduled and manual backups of OCI boot volumes: one policy, its assignments, optional manual backups."""

    name: Name = Field(description="Plan name, unique in the stack; prefixes every resource name.")
    compartment_id: CompartmentId = Field(description="Compartment (or tenancy) OCID for the policy and backups.")
    policy: CustomPolicy | None = Field(None, description="A policy created by the plan.")
    policy_id: PolicyId | None = Field(None, description="An existing policy, by OCID.")
    oracle_policy: OraclePolicy | None = Field(None, description="An Oracle-defined policy: gold, silver or bronze.")
    boot_volumes: list[VolumeRef] = Field(default_factory=list, description="Boot volumes the policy is assigned to.")
    xrc_kms_key_id: KeyId | None = Field(
        None, description="Vault key in the destination region that encrypts cross-region copies."
    )
    manual_backups: list[ManualBackup] = Field(default_factory=list, description="One-off backups.")

    @model_validator(mode="after")
    def _coherent(self) -> BootVolumePlan:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        sources = [f for f in ("policy", "policy_id", "oracle_policy") if getattr(self, f) is not None]
        if len(sources) > 1:
            problems.append(((sources[1],), f"give only one of policy, policy_id, oracle_policy (also {sources[0]})"))
        if self.boot_volumes and not sources:
            problems.append(
                (("policy",), "boot_volumes need a backup policy: give one of policy, policy_id or oracle_policy")
            )
        if not sources and not self.manual_backups and not self.boot_volumes:
            problems.append((("boot_volumes",), "the plan protects nothing: give boot_volumes or manual_backups"))
        if self.xrc_kms_key_id is not None:
            if self.oracle_policy is not None:
                problems.append((("xrc_kms_key_id",), "Oracle-defined policies make no cross-region copies"))
            elif self.policy is not None and self.policy.destination_region is None:
                problems.append(
                    (("xrc_kms_key_id",), "only used for cross-region copies: set policy.destination_region")
                )
        problems += _duplicates([v.id for v in self.boot_volumes], "boot_volumes", "id", "boot volume")
        by_key: dict[str, str] = {}
        for i, volume in enumerate(self.boot_volumes):
            if by_key.setdefault(volume.key, volume.id) != volume.id:
                problems.append(
                    (("boot_volumes", i, "id"), f"ends like {by_key[volume.key]}; their resource names would clash")
                )
        problems += _duplicates([b.name for b in self.manual_backups], "manual_backups", "name", "name")
        if problems:
            raise FieldProblemError(dict.fromkeys(problems))  # same place and reason once
        return self

    @property
    def display_name(self) -> str:
        """Policy display name in OCI."""
        return (self.policy.display_name if self.policy else None) or self.name


def _duplicates(values: list[str], field: str, sub: str | None, what: str) -> list[tuple[tuple[str | int, ...], str]]:
    """A problem for each value listed again in `field`, at `field[i].sub` (or `field[i]` when sub is None)."""
    first: dict[str, int] = {}
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, value in enumerate(values):
        if value in first:
            loc: tuple[str | int, ...] = (field, i, sub) if sub is not None else (field, i)
            out.append((loc, f"{what} already listed at {field}[{first[value]}]"))
        else:
            first[value] = i
    return out


# --- OCI vault backups and restores ------------------------------------------------------------

_TRIGGER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_DURATION = re.compile(r"(?P<n>\d+)(?P<unit>[smh])")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def _trigger(value: str) -> str:
    if not _TRIGGER.fullmatch(value):
        msg = (
            "must be 1-64 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit "
            "(it becomes part of the backup object names)"
        )
        raise ValueError(msg)
    return value


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        m = _DURATION.fullmatch(value.strip())
        if m is None:
            msg = f"must be a duration like 90s, 30m or 2h (got {value!r})"
            raise ValueError(msg)
        return int(m["n"]) * _SECONDS[m["unit"]]
    return value


def _no_secret(value: str) -> str:
    parsed = parse_ocid(value)
    if parsed is not None and parsed.kind == "vaultsecret":
        msg = "secrets cannot be backed up (OCI Vault backs up only virtual private vaults and HSM-protected keys)"
        raise ValueError(msg)
    return value


Trigger = Annotated[str, AfterValidator(_trigger)]
Duration = Annotated[int, BeforeValidator(_duration), Field(ge=1, le=86400)]
VaultId = Annotated[str, _ocid("vault")]
BackupKeyId = Annotated[str, AfterValidator(_no_secret), _ocid("key")]
ObjectPrefix = Annotated[str, Field(max_length=512, pattern=r"^[^\s]*$")]
HttpsUrl = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2048)]
ConfigKeyName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]*$", max_length=128)]


class OperationTimeouts(Model):
    """Deadlines of a dynamic resource's operations, as durations (90s, 30m, 2h)."""

    create: Duration = Field(1800, description="How long a backup (request and wait) may take; default 30m.")


class BucketDestination(Model):
    """Backups are written as objects of an existing bucket (the recommended destination)."""

    namespace: str = Field(min_length=1, description="Object Storage namespace of the tenancy.")
    bucket: str = Field(min_length=1, max_length=256, description="Existing bucket in the vault's region.")
    object_prefix: ObjectPrefix | None = Field(
        None, description="Prefix of the backup object names; default `<name>/`."
    )


class CreatedPar(Model):
    """A write-only pre-authenticated request the stack creates per backup object."""

    namespace: str = Field(min_length=1, description="Object Storage namespace of the tenancy.")
    bucket: str = Field(min_length=1, max_length=256, description="Existing bucket the PARs write into.")
    object_prefix: ObjectPrefix | None = Field(
        None, description="Prefix of the backup object names; default `<name>/`."
    )
    expires_in_days: int = Field(1, ge=1, le=365, description="Days each PAR stays valid after it is created.")


class GivenPar(Model):
    """A pre-authenticated request URL for one object, kept as a secret in the stack config."""

    uri_config_key: ConfigKeyName = Field(
        description="Name of the secret stack config key holding the URL (`pulumi config set --secret <key> <url>`)."
    )


class VaultBackupDestination(Model):
    """Where backups go: exactly one of bucket, par (created here) or par_uri (given)."""

    bucket: BucketDestination | None = None
    par: CreatedPar | None = None
    par_uri: GivenPar | None = None

    @model_validator(mode="after")
    def _one(self) -> VaultBackupDestination:
        given = [f for f in ("bucket", "par", "par_uri") if getattr(self, f) is not None]
        if len(given) != 1:
            also = f" (got {', '.join(given)})" if given else ""
            raise FieldProblemError([((), f"give exactly one of bucket, par or par_uri{also}")])
        return self


class VaultBackupSpec(Model):
    """A backup of an OCI virtual private vault and/or its HSM keys, taken when `trigger` changes."""

    name: Name = Field(description="Name unique in the stack; prefixes resource and object names.")
    vault_id: VaultId = Field(description="OCID of the virtual private vault.")
    backup_vault: bool = Field(True, description="Back up the vault itself.")
    include_keys: bool = Field(True, description="The vault backup includes its keys; false = vault metadata only.")
    keys: list[BackupKeyId] = Field(default_factory=list, description="HSM keys of the vault backed up one by one.")
    destination: VaultBackupDestination = Field(description="Bucket, created PAR or given PAR URL.")
    trigger: Trigger = Field(description="Change it (e.g. to today's date) to take a new backup.")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> VaultBackupSpec:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if not self.backup_vault and not self.keys:
            problems.append((("keys",), "nothing to back up: set backup_vault or list keys"))
        if not self.backup_vault and not self.include_keys:
            problems.append((("include_keys",), "only applies to a vault backup (backup_vault is false)"))
        problems += _duplicates(list(self.keys), "keys", None, "key")
        if self.destination.par_uri is not None and self.backup_vault + len(self.keys) > 1:
            problems.append(
                (
                    ("destination", "par_uri"),
                    "a PAR URL writes one object: back up either the vault or one key with it (or use bucket or par)",
                )
            )
        vault = parse_ocid(self.vault_id)
        for i, key in enumerate(self.keys):
            parsed = parse_ocid(key)
            if vault and parsed and parsed.region_segment != vault.region_segment:
                problems.append((("keys", i), "key is in another region than the vault; keys live in their vault"))
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def object_prefix(self) -> str:
        """Prefix of this backup's object names."""
        where = self.destination.bucket or self.destination.par
        prefix = where.object_prefix if where is not None else None
        return prefix if prefix is not None else f"{self.name}/"

    def vault_object(self) -> str:
        """Object name of the vault backup for the current trigger."""
        return f"{self.object_prefix}{self.trigger}/vault"

    def key_object(self, key_id: str) -> str:
        """Object name of one key's backup for the current trigger."""
        return f"{self.object_prefix}{self.trigger}/key-{resource_key(key_id)}"


class KeyShape(Model):
    """The cryptographic shape of a key being restored (as it was created)."""

    algorithm: Literal["AES", "RSA", "ECDSA"] = Field("AES", description="Key algorithm.")
    length: int = Field(32, ge=16, le=512, description="Key length in bytes.")
    curve_id: Literal["NIST_P256", "NIST_P384", "NIST_P521"] | None = Field(None, description="ECDSA curve.")


class BackupObject(Model):
    """A backup object in a bucket, to restore from."""

    namespace: str = Field(min_length=1, description="Object Storage namespace.")
    bucket: str = Field(min_length=1, max_length=256, description="Bucket holding the backup.")
    object_name: str = Field(min_length=1, max_length=1024, description="Backup object name.")


class VaultToRestore(Model):
    """A vault restored from a backup object."""

    display_name: DisplayName = Field(description="Display name of the restored vault.")
    source: BackupObject = Field(description="The vault backup object.")


class KeyToRestore(Model):
    """A key restored from a backup object into the restored (or an existing) vault."""

    name: Name = Field(description="Name unique in the restore (resource name).")
    display_name: DisplayName = Field(description="Display name of the restored key.")
    compartment_id: CompartmentId | None = Field(
        None, description="The key's original compartment; default the restore's compartment."
    )
    key_shape: KeyShape = Field(default_factory=KeyShape, description="The key's shape.")
    source: BackupObject = Field(description="The key backup object.")


class VaultRestoreSpec(Model):
    """A restore of a vault and/or keys from backup objects (same tenancy and compartment as backed up)."""

    name: Name = Field(description="Name unique in the stack.")
    compartment_id: CompartmentId = Field(description="The compartment the vault was backed up from.")
    vault: VaultToRestore | None = Field(None, description="Restore the vault (before its keys).")
    keys: list[KeyToRestore] = Field(default_factory=list, description="Keys to restore.")
    management_endpoint: str | None = Field(
        None, pattern=r"^https://", description="Management endpoint of an existing vault, when no vault is restored."
    )

    @model_validator(mode="after")
    def _coherent(self) -> VaultRestoreSpec:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.vault is None and not self.keys:
            problems.append((("vault",), "nothing to restore: give vault and/or keys"))
        if self.keys and self.vault is None and self.management_endpoint is None:
            problems.append(
                (
                    ("management_endpoint",),
                    "keys are restored into a vault: restore the vault too, or give its endpoint",
                )
            )
        if self.vault is not None and self.management_endpoint is not None:
            problems.append((("management_endpoint",), "not used: keys go into the vault restored here"))
        problems += _duplicates([k.name for k in self.keys], "keys", "name", "name")
        if problems:
            raise FieldProblemError(problems)
        return self


class OciSection(Model):
    """Everything on Oracle Cloud, in one region."""

    region: OciRegion = Field(description="Region of the protected resources, e.g. `us-ashburn-1`.")
    auth: OciAuth | None = Field(None, description="Provider auth: api_key (default), instance_principal, ...")
    config_file_profile: str | None = Field(None, description="Profile of ~/.oci/config to use.")
    boot_volume_plans: list[BootVolumePlan] = Field(default_factory=list, description="Boot volume backup plans.")
    vault_backups: list[VaultBackupSpec] = Field(default_factory=list, description="Vault and key backups.")
    vault_restores: list[VaultRestoreSpec] = Field(default_factory=list, description="Vault and key restores.")
    kms_endpoint: HttpsUrl | None = Field(None, description="KMS vault endpoint; default the region's public one.")
    objectstorage_endpoint: HttpsUrl | None = Field(
        None, description="Object Storage endpoint; default the region's public one."
    )


# --- IBM Cloud VPC ------------------------------------------------------------------------------

_IBM_NAME = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
_IBM_TRIGGER = re.compile(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?")
HOURS_PER_MONTH = 730
"""Average hours in a month, as cloud price lists count them."""


def _ibm_region(value: str) -> str:
    if value not in IBM_REGIONS:
        near = difflib.get_close_matches(value, sorted(IBM_REGIONS), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        msg = f"unknown IBM Cloud VPC region '{value}'{hint}"
        raise ValueError(msg)
    return value


def _ibm_name(value: str) -> str:
    if not _IBM_NAME.fullmatch(value):
        msg = "must be lowercase letters, digits and '-', start with a letter, not end with '-', at most 63 characters"
        raise ValueError(msg)
    return value


def _ibm_trigger(value: str) -> str:
    if not _IBM_TRIGGER.fullmatch(value):
        msg = "must be 1-32 lowercase letters, digits and '-' (it becomes part of the snapshot name), e.g. 2026-11-23"
        raise ValueError(msg)
    return value


IbmRegion = Annotated[str, AfterValidator(_ibm_region)]
IbmName = Annotated[str, AfterValidator(_ibm_name)]
IbmTrigger = Annotated[str, AfterValidator(_ibm_trigger)]
Crn = Annotated[str, Field(pattern=r"^crn:v1:[^\s]+$", max_length=512)]


class IbmSnapshotSpec(Model):
    """A snapshot of one block volume, with fast-restore clones in zones of the region."""

    name: IbmName = Field(description="Base name; the snapshot is named `<name>-<trigger>` (unique per region).")
    volume_id: str = Field(min_length=1, description="ID of the block volume.")
    clone_zones: list[str] = Field(default_factory=list, description="Zones with a fast-restore clone.")
    user_tags: list[str] = Field(default_factory=list, description="User tags of the snapshot.")
    resource_group_id: str | None = Field(None, description="Resource group; default ibm.resource_group_id.")
    trigger: IbmTrigger = Field(description="Change it to take a fresh snapshot (the previous one is replaced).")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> IbmSnapshotSpec:
        problems = _duplicates(list(self.clone_zones), "clone_zones", None, "zone")
        if len(self.snapshot_name) > 63:
            problems.append((("trigger",), f"makes the snapshot name {self.snapshot_name} longer than 63 characters"))
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def snapshot_name(self) -> str:
        """The snapshot's name in IBM Cloud."""
        return f"{self.name}-{self.trigger}"


class IbmConsistencyGroupSpec(Model):
    """Snapshots of several first-generation volumes taken together."""

    name: IbmName = Field(description="Base name; the group is named `<name>-<trigger>`.")
    volume_ids: list[str] = Field(min_length=2, description="IDs of the volumes (attached to one instance).")
    delete_snapshots_on_delete: bool = Field(True, description="Deleting the group deletes its snapshots.")
    resource_group_id: str | None = Field(None, description="Resource group; default ibm.resource_group_id.")
    trigger: IbmTrigger = Field(description="Change it to take a fresh set of snapshots.")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @model_validator(mode="after")
    def _coherent(self) -> IbmConsistencyGroupSpec:
        problems = _duplicates(list(self.volume_ids), "volume_ids", None, "volume")
        if problems:
            raise FieldProblemError(problems)
        return self

    @property
    def group_name(self) -> str:
        """The group's name in IBM Cloud."""
        return f"{self.name}-{self.trigger}"


class IbmSection(Model):
    """Everything on IBM Cloud VPC, in one region."""

    region: IbmRegion = Field(description="Region of the volumes, e.g. `us-south`.")
    endpoints: dict[str, HttpsUrl] = Field(
        default_factory=dict, description="VPC API URL per region, for private endpoints; default the public ones."
    )
    resource_group_id: str | None = Field(None, description="Default resource group of snapshots and copies.")
    clone_zone_hourly_rate: float | None = Field(
        None, ge=0, description="Price of one fast-restore clone in one zone for one hour, for the cost estimate."
    )
    currency: str = Field("USD", min_length=3, max_length=3, description="Currency of clone_zone_hourly_rate.")
    snapshots: list[IbmSnapshotSpec] = Field(default_factory=list, description="Snapshots with fast-restore clones.")
    consistency_groups: list[IbmConsistencyGroupSpec] = Field(
        default_factory=list, description="Consistency group snapshots."
    )

    @model_validator(mode="after")
    def _zones(self) -> IbmSection:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for i, snap in enumerate(self.snapshots):
            for k, zone in enumerate(snap.clone_zones):
                if not re.fullmatch(rf"{re.escape(self.region)}-\d+", zone):
                    problems.append(
                        (
                            ("snapshots", i, "clone_zones", k),
                            f"'{zone}' is not a zone of {self.region} ({self.region}-1, ...)",
                        )
                    )
        unknown = sorted(set(self.endpoints) - IBM_REGIONS)
        problems += [(("endpoints", r), "unknown IBM Cloud VPC region") for r in unknown]
        if problems:
            raise FieldProblemError(problems)
        return self

    def endpoint(self, region: str) -> str | None:
        """The VPC API URL to use for `region` (None: the public one)."""
        return self.endpoints.get(region)


# --- OpenStack Cinder ----------------------------------------------------------------------------

MetadataKey = Annotated[str, Field(min_length=1, max_length=255)]


def _no_marker(value: dict[str, str]) -> dict[str, str]:
    if "backup-topology" in value:
        msg = "the key 'backup-topology' is reserved: it marks what this tool made"
        raise ValueError(msg)
    return value


Metadata = Annotated[dict[MetadataKey, Annotated[str, Field(max_length=255)]], AfterValidator(_no_marker)]


class CinderSnapshotSpec(Model):
    """The snapshot part of a SnapshotBackup."""

    description: str | None = Field(None, max_length=255, description="Snapshot description.")
    force: bool = Field(False, description="Snapshot the volume even while it is attached (in-use).")
    metadata: Metadata = Field(default_factory=dict, description="Snapshot metadata.")


class CinderBackupSpec(Model):
    """The backup part of a SnapshotBackup."""

    description: str | None = Field(None, max_length=255, description="Backup description.")
    container: str | None = Field(
        None, min_length=1, max_length=255, description="Backup container; leave it out for the service's default."
    )
    incremental: bool = Field(False, description="Incremental when the volume has an earlier backup; else full.")
    force: bool = Field(False, description="Back up even while the volume is attached (in-use).")
    metadata: Metadata = Field(default_factory=dict, description="Backup metadata.")


class SnapshotBackupSpec(Model):
    """A Cinder snapshot of a volume and a backup made from that snapshot."""

    name: Name = Field(description="Name unique in the stack; snapshot and backup are named `<name>-<trigger>`.")
    volume_id: str = Field(min_length=1, description="ID of the Cinder volume.")
    snapshot: CinderSnapshotSpec = Field(default_factory=CinderSnapshotSpec, description="Snapshot settings.")
    backup: CinderBackupSpec = Field(default_factory=CinderBackupSpec, description="Backup settings.")
    trigger: Trigger = Field(description="Change it to take a fresh snapshot and backup.")
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines.")

    @property
    def resource_name(self) -> str:
        """The snapshot's and the backup's name in Cinder."""
        return f"{self.name}-{self.trigger}"


class OpenStackSection(Model):
    """Everything on OpenStack: which cloud, and the volumes protected there."""

    cloud: str | None = Field(
        None, min_length=1, description="Entry of clouds.yaml to use; default OS_CLOUD or the OS_* variables."
    )
    region_name: str | None = Field(None, min_length=1, description="Region of the cloud, e.g. RegionOne.")
    snapshot_backups: list[SnapshotBackupSpec] = Field(
        default_factory=list, description="Snapshots and backups made from them."
    )


# --- cross-region copies -------------------------------------------------------------------------


class IbmCopySpec(Model):
    """A copy of one of `ibm.snapshots` in another region."""

    snapshot: IbmName = Field(description="`name` of the snapshot in ibm.snapshots to copy.")
    destination_region: IbmRegion = Field(description="Region of the copy.")
    encryption_key_crn: Crn | None = Field(
        None,
        description="Key (CRN) encrypting the copy: required exactly when the source is customer-managed encrypted.",
    )
    resource_group_id: str | None = Field(
        None, description="Resource group of the copy; default ibm.resource_group_id."
    )
    allow_source_over_10tb: bool = Field(
        False,
        description="Copy a snapshot of a volume over 10 TB (IBM Cloud allows it to accounts with special access).",
    )


class OciCopySpec(Model):
    """A copy of an OCI boot volume backup in another region (native BootVolumeBackup with source_details)."""

    source_backup_id: Annotated[str, _ocid("bootvolumebackup")] = Field(description="Boot volume backup OCID.")
    destination_region: OciRegion = Field(description="Region of the copy.")
    kms_key_id: KeyId | None = Field(None, description="Vault key in the destination region encrypting the copy.")
    display_name: DisplayName | None = Field(None, description="Name of the copy; default the copy's name.")


class CopySpec(Model):
    """A cross-region copy: exactly one of ibm or oci."""

    name: Name = Field(description="Name unique among copies.")
    ibm: IbmCopySpec | None = None
    oci: OciCopySpec | None = None
    timeouts: OperationTimeouts = Field(default_factory=OperationTimeouts, description="Deadlines (IBM copies).")

    @model_validator(mode="after")
    def _one(self) -> CopySpec:
        if (self.ibm is None) == (self.oci is None):
            raise FieldProblemError([(("ibm",), "give exactly one of ibm or oci")])
        return self


class Topology(Model):
    """The whole stack's backup topology, one section per cloud."""

    oci: OciSection | None = None
    ibm: IbmSection | None = None
    openstack: OpenStackSection | None = None
    copies: list[CopySpec] = Field(default_factory=list, description="Cross-region copies (IBM and OCI).")


# --- loading -----------------------------------------------------------------------------------


def load_topology(raw: Any) -> Topology:
    """Validate raw stack config into a Topology, or raise TopologyError with one Problem per mistake."""
    if raw is None:
        raise TopologyError([Problem(CONFIG_KEY, "required: the stack config declares no topology")])
    if not isinstance(raw, Mapping):
        raise TopologyError([Problem(CONFIG_KEY, "must be a mapping of sections (oci, ibm, openstack, copies)")])
    problems: list[Problem] = []
    topology: Topology | None = None
    try:
        topology = Topology.model_validate(raw)
    except ValidationError as exc:
        problems += problems_from_validation(exc, Topology)
    problems += stack_problems(raw)
    if problems:
        unique = list(dict.fromkeys(problems))
        count = f"{len(unique)} problem{'s' if len(unique) != 1 else ''}"
        raise TopologyError(unique, heading=f"invalid topology ({count}):")
    assert topology is not None
    return topology


def problems_from_validation(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Turn pydantic's errors into Problems with dotted paths and plain reasons."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblemError):
            problems += [Problem(dotted(loc + rel), why) for rel, why in cause.items]
        else:
            problems.append(Problem(dotted(loc), _reason(err, root, loc)))
    return problems


def _reason(err: Any, root: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        known = sorted(model.model_fields) if model else []
        near = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else (f"; known fields: {', '.join(known)}" if known else "")
        return f"unknown field{hint}"
    if kind == "missing":
        return "required"
    cause = (err.get("ctx") or {}).get("error")
    if kind == "value_error" and cause is not None:
        return str(cause)
    msg = str(err["msg"])
    for old, new in (("Input should be", "must be"), ("List should have", "must have"), ("String should", "must")):
        msg = msg.replace(old, new)
    if kind == "too_short" and "min_length" in (err.get("ctx") or {}):
        n = err["ctx"]["min_length"]
        msg = f"needs at least {n} item{'s' if n != 1 else ''}"
    value = err.get("input")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) <= 60:
        msg += f" (got {value!r})"
    return msg


def _model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class found at `loc` inside `root`, walking fields, lists and optionals."""
    current: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        model = _unwrap(current)
        if model is None or part not in model.model_fields:
            return None
        current = model.model_fields[part].annotation
    return _unwrap(current)


def _unwrap(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    origin = typing.get_origin(tp)
    if origin in (typing.Annotated,):
        return _unwrap(typing.get_args(tp)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            found = _unwrap(arg)
            if found is not None:
                return found
    return None


# --- stack-wide rules --------------------------------------------------------------------------
# These span several models, so they read the raw input: they still report when other fields
# are wrong, and the user sees every mistake in one run instead of one layer at a time.


def _items(obj: Any, key: str) -> list[tuple[int, Any]]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return list(enumerate(value)) if isinstance(value, list) else []


def _text(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, str) else None


def _ocid_region(value: str | None) -> str | None:
    parsed = parse_ocid(value) if value else None
    return parsed.region if parsed else None


def stack_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Rules across plans and sections: unique plan names, one policy per boot volume, region agreement."""
    problems: list[Problem] = []
    oci = raw.get("oci")
    region = _text(oci, "region")
    names: dict[str, str] = {}
    assigned: dict[str, tuple[str, str]] = {}
    for i, plan in _items(oci, "boot_volume_plans"):
        at = f"oci.boot_volume_plans[{i}]"
        problems += _unique_name(names, _text(plan, "name"), f"{at}.name")
        policy = plan.get("policy") if isinstance(plan, Mapping) else None
        destination = _text(policy, "destination_region")
        if destination is not None and destination == region:
            problems.append(
                Problem(
                    f"{at}.policy.destination_region",
                    f"is oci.region itself; a cross-region copy needs another region than {region}",
                )
            )
        key_region = _ocid_region(_text(plan, "xrc_kms_key_id"))
        if key_region and destination and is_known_region(destination) and key_region != destination:
            problems.append(
                Problem(
                    f"{at}.xrc_kms_key_id",
                    f"vault key is in {key_region}; the key for cross-region copies must be in {destination}",
                )
            )
        for k, volume in _items(plan, "boot_volumes"):
            vid = volume if isinstance(volume, str) else _text(volume, "id")
            path = f"{at}.boot_volumes[{k}]" + ("" if isinstance(volume, str) else ".id")
            if vid is None:
                continue
            problems += _region_problem(path, "boot volume", vid, region)
            if vid in assigned and assigned[vid][1] != at:
                first_path, first_at = assigned[vid][0], assigned[vid][1]
                problems.append(
                    Problem(
                        path,
                        f"boot volume is already assigned a policy at {first_path}; OCI keeps one backup policy "
                        f"per volume and would silently replace the one of {first_at}",
                    )
                )
            else:
                assigned.setdefault(vid, (path, at))
        for k, backup in _items(plan, "manual_backups"):
            problems += _region_problem(
                f"{at}.manual_backups[{k}].boot_volume_id", "boot volume", _text(backup, "boot_volume_id"), region
            )
    problems += _vault_problems(oci, region)
    problems += _ibm_problems(raw.get("ibm"))
    openstack_names: dict[str, str] = {}
    for i, spec in _items(raw.get("openstack"), "snapshot_backups"):
        problems += _unique_name(openstack_names, _text(spec, "name"), f"openstack.snapshot_backups[{i}].name")
    problems += _copy_problems(raw)
    return problems


def _ibm_problems(ibm: Any) -> list[Problem]:
    """IBM snapshot and consistency group names are unique in the stack."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    for i, snap in _items(ibm, "snapshots"):
        problems += _unique_name(names, _text(snap, "name"), f"ibm.snapshots[{i}].name")
    for i, group in _items(ibm, "consistency_groups"):
        problems += _unique_name(names, _text(group, "name"), f"ibm.consistency_groups[{i}].name")
    return problems


def _copy_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Copies name a source the stack has, go to another region, and are made once per source and region."""
    problems: list[Problem] = []
    ibm = raw.get("ibm")
    ibm_region = _text(ibm, "region")
    snapshots = {_text(s, "name") for _, s in _items(ibm, "snapshots")}
    names: dict[str, str] = {}
    made: dict[tuple[str, str], str] = {}
    for i, copy in _items(raw, "copies"):
        at = f"copies[{i}]"
        problems += _unique_name(names, _text(copy, "name"), f"{at}.name")
        if not isinstance(copy, Mapping):
            continue
        if isinstance(copy.get("ibm"), Mapping):
            spec = copy["ibm"]
            source, destination = _text(spec, "snapshot"), _text(spec, "destination_region")
            if ibm is None:
                problems.append(
                    Problem(f"{at}.ibm", "needs the ibm section: the source snapshot is one of ibm.snapshots")
                )
            elif source is not None and source not in snapshots:
                known = ", ".join(sorted(n for n in snapshots if n)) or "none"
                problems.append(
                    Problem(f"{at}.ibm.snapshot", f"no snapshot '{source}' in ibm.snapshots (known: {known})")
                )
            if destination is not None and destination == ibm_region:
                problems.append(
                    Problem(f"{at}.ibm.destination_region", "is ibm.region itself; a copy goes to another region")
                )
        elif isinstance(copy.get("oci"), Mapping):
            spec = copy["oci"]
            source, destination = _text(spec, "source_backup_id"), _text(spec, "destination_region")
            source_region = _ocid_region(source)
            if destination is not None and source_region == destination:
                problems.append(
                    Problem(
                        f"{at}.oci.destination_region", f"the backup is already in {destination}; copy it elsewhere"
                    )
                )
            key_region = _ocid_region(_text(spec, "kms_key_id"))
            if key_region and destination and key_region != destination:
                problems.append(
                    Problem(f"{at}.oci.kms_key_id", f"vault key is in {key_region}; it must be in {destination}")
                )
        else:
            continue
        if source is not None and destination is not None:
            if (source, destination) in made:
                first = made[(source, destination)]
                why = f"{first} already copies {source} to {destination}; one copy per source and region"
                problems.append(Problem(at, why))
            else:
                made[(source, destination)] = at
    return problems


def _vault_problems(oci: Any, region: str | None) -> list[Problem]:
    """Vault backups: unique names, one backup of a vault or key at a time, backups in the vault's region."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    vaults: dict[str, str] = {}
    keys: dict[str, str] = {}
    for i, spec in _items(oci, "vault_backups"):
        at = f"oci.vault_backups[{i}]"
        problems += _unique_name(names, _text(spec, "name"), f"{at}.name")
        vault = _text(spec, "vault_id")
        if vault is not None:
            problems += _region_problem(
                f"{at}.vault_id", "vault", vault, region
            )  # buckets must be in the vault's region, and the stack's Object Storage is in oci.region
            if vault in vaults:
                problems.append(
                    Problem(
                        f"{at}.vault_id",
                        f"vault is already backed up by {vaults[vault]}; OCI runs one backup of a vault at a time",
                    )
                )
            else:
                vaults[vault] = at
        for k, key in _items(spec, "keys"):
            if not isinstance(key, str):
                continue
            if key in keys and keys[key] != at:
                problems.append(
                    Problem(
                        f"{at}.keys[{k}]",
                        f"key is already backed up by {keys[key]}; OCI runs one backup of a key at a time",
                    )
                )
            keys.setdefault(key, at)
    restore_names: dict[str, str] = {}
    for i, spec in _items(oci, "vault_restores"):
        problems += _unique_name(restore_names, _text(spec, "name"), f"oci.vault_restores[{i}].name")
    return problems


def _unique_name(seen: dict[str, str], name: str | None, path: str) -> list[Problem]:
    if name is None:
        return []
    if name in seen:
        return [Problem(path, f"'{name}' is already the name of {seen[name].rsplit('.', 1)[0]}")]
    seen[name] = path
    return []


def _region_problem(path: str, what: str, ocid: str | None, region: str | None) -> list[Problem]:
    found = _ocid_region(ocid)
    if found and region and is_known_region(region) and found != region:
        return [Problem(path, f"{what} is in {found}, but oci.region is {region}")]
    return []
