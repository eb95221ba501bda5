"""Topology models of Oracle Cloud: boot volume plans and their schedules, vault backups and restores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from components.clouds.oci_regions import closest_region, is_known_region
from components.config.base import (
    ConfigKeyName,
    Consistent,
    DisplayName,
    HttpsUrl,
    Lifecycle,
    Model,
    Name,
    OperationTimeouts,
    Ref,
    Retention,
    Trigger,
    duplicate_problems,
    given,
    is_deferred,
    lowercase,
)
from components.errors import FieldProblemError
from components.oci.ocid import check_ocid, parse_ocid


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


OciRegion = Annotated[str, AfterValidator(_region)]
CompartmentId = Annotated[str, _ocid("compartment", "tenancy")]
BootVolumeId = Annotated[str, _ocid("bootvolume")]
BlockVolumeId = Annotated[str, _ocid("volume")]
GroupMemberId = Annotated[str, _ocid("bootvolume", "volume")]
NonEmpty = Annotated[str, Field(min_length=1)]
VolumeGroupId = Annotated[str, _ocid("volumegroup")]
KeyId = Annotated[str, _ocid("key")]
PolicyId = Annotated[str, _ocid("volumebackuppolicy")]
FreeformTags = dict[str, str]
DefinedTags = dict[Annotated[str, AfterValidator(_defined_tag_key)], str]

BackupType = Annotated[Literal["full", "incremental"], BeforeValidator(lowercase)]
Period = Annotated[Literal["hour", "day", "week", "month", "year"], BeforeValidator(lowercase)]
Weekday = Annotated[
    Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], BeforeValidator(lowercase)
]
MonthName = Annotated[
    Literal[
        "january", "february", "march", "april", "may", "june",
        "july", "august", "september", "october", "november", "december",
    ],
    BeforeValidator(lowercase),
]  # fmt: skip
TimeZone = Annotated[Literal["utc", "regional"], BeforeValidator(lowercase)]
OraclePolicy = Annotated[Literal["gold", "silver", "bronze"], BeforeValidator(lowercase)]
OciAuth = Annotated[
    Literal["api_key", "instance_principal", "resource_principal", "security_token"], BeforeValidator(lowercase)
]


# --- OCI's own protection of backups -------------------------------------------------------------


class RetentionPeriod(Model):
    """How long OCI holds a backup under its retention lock / deletion prevention."""

    amount: int = Field(ge=1, description="Number of `unit`s.")
    unit: Annotated[Literal["days", "years"], BeforeValidator(lowercase)] = Field(description="`days` or `years`.")

    def to_oci(self) -> dict[str, Any]:
        """Keyword arguments of pulumi-oci's `...RetentionPeriodArgs`."""
        return {"retention_time_amount": self.amount, "retention_time_unit": self.unit.upper()}


class Protection(Model):
    """OCI's own guards against deleting or altering backups (enforced by OCI, not by this stack)."""

    prevent_deletion: bool = Field(False, description="OCI refuses to delete the backups during `retention_period`.")
    retention_lock: bool = Field(
        False, description="Backups can be neither deleted nor altered during `retention_period` (compliance lock)."
    )
    retention_period: RetentionPeriod | None = Field(None, description="Period the lock and prevention hold.")
    indefinite_retention: bool = Field(
        False, description="Legal hold: kept regardless of any retention until the hold is lifted."
    )

    @model_validator(mode="after")
    def _coherent(self) -> Protection:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for field in ("retention_lock", "prevent_deletion"):
            if getattr(self, field) and self.retention_period is None:
                problems.append(((field,), "needs retention_period: the period OCI holds the backups"))
        if self.retention_period is not None and not (self.retention_lock or self.prevent_deletion):
            problems.append((("retention_period",), "only used with retention_lock or prevent_deletion"))
        if problems:
            raise FieldProblemError(problems)
        return self

    def to_oci(self) -> dict[str, Any]:
        """The pulumi-oci arguments (`is_*_enabled`, `retention_period`) of a backup or a schedule."""
        args: dict[str, Any] = {}
        if self.prevent_deletion:
            args["is_prevent_deletion_enabled"] = True
        if self.retention_lock:
            args["is_retention_lock_enabled"] = True
        if self.retention_period is not None:
            args["retention_period"] = self.retention_period.to_oci()
        if self.indefinite_retention:
            args["is_indefinite_retention_enabled"] = True
        return args


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
    protection: Protection | None = Field(None, description="OCI's deletion prevention / retention lock.")

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
        if self.protection is not None and self.protection.indefinite_retention:
            why = "legal hold applies to manual backups only; a schedule's backups expire after retention_days"
            problems.append((("protection", "indefinite_retention"), why))
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
        if self.protection is not None:
            args.update(self.protection.to_oci())
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
    freeform_tags: Ref[FreeformTags] = Field(default_factory=dict, description="Free-form tags.")
    defined_tags: Ref[DefinedTags] = Field(default_factory=dict, description="Defined tags, keys `Namespace.Key`.")


def _volume_shorthand(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) or is_deferred(value) else value


class _Volume(Model):
    """A volume named by its OCID (`id`), with a label for the coverage report (`name`)."""

    @property
    def key(self) -> str | None:
        """Stable short key for resource names: the tail of the OCID's unique part (None until the OCID is known)."""
        ocid: Any = getattr(self, "id", None)
        return resource_key(ocid) if isinstance(ocid, str) else None


class BootVolumeRef(_Volume):
    """A boot volume the plan assigns its policy to; a bare OCID string is accepted as shorthand."""

    id: Ref[BootVolumeId] = Field(description="Boot volume OCID (or another resource's output).")
    name: str | None = Field(None, max_length=255, description="Label shown in the coverage report.")


class BlockVolumeRef(_Volume):
    """A block volume the plan assigns its policy to; a bare OCID string is accepted as shorthand."""

    id: Ref[BlockVolumeId] = Field(description="Block volume OCID (or another resource's output).")
    name: str | None = Field(None, max_length=255, description="Label shown in the coverage report.")


class GroupMemberRef(_Volume):
    """A block or boot volume of a volume group; a bare OCID string is accepted as shorthand."""

    id: Ref[GroupMemberId] = Field(description="Block volume or boot volume OCID (or another resource's output).")
    name: str | None = Field(None, max_length=255, description="Label shown in the coverage report.")


def resource_key(ocid: str) -> str:
    """Stable short key of an OCID for resource and object names: the last 16 characters of its unique part."""
    parsed = parse_ocid(ocid)
    return (parsed.unique if parsed else ocid)[-16:]


VolumeRef = Annotated[BootVolumeRef, BeforeValidator(_volume_shorthand, json_schema_input_type=BootVolumeRef | str)]
BlockRef = Annotated[BlockVolumeRef, BeforeValidator(_volume_shorthand, json_schema_input_type=BlockVolumeRef | str)]
MemberRef = Annotated[GroupMemberRef, BeforeValidator(_volume_shorthand, json_schema_input_type=GroupMemberRef | str)]


class _OnDemand(Model):
    """What every manual backup takes: a key, a type, a trigger, its name, compartment, protection and fate."""

    name: Name = Field(description="Key of the backup within the plan (resource name).")
    type: BackupType = Field("full", description="`full` (default) or `incremental`.")
    trigger: Trigger | None = Field(
        None,
        description="Set or change it to take a new backup (a new generation, `<plan>-<name>-<trigger>`); "
        "the earlier one stays in OCI.",
    )
    display_name: DisplayName | None = Field(
        None, description="Backup name in OCI; defaults to `<plan>-<name>` (`-<trigger>` with a trigger)."
    )
    compartment_id: Ref[CompartmentId] | None = Field(
        None, description="Compartment of the backup; default the plan's."
    )
    protection: Protection | None = Field(None, description="OCI's deletion prevention, retention lock, legal hold.")
    retention: Retention | None = Field(
        None,
        description="Earlier generations kept: those beyond `keep_last` or older than `max_age_days` are deleted on "
        "every `up` (never the current one, nor one OCI's protection holds); without it every generation stays.",
    )
    delete_on_removal: bool = Field(
        False,
        description="Without retention: removing the backup from the config, a new trigger, or `pulumi destroy` "
        "deletes it in OCI. With retention: removing the backup (or `pulumi destroy`) deletes every generation. By "
        "default they stay.",
    )
    freeform_tags: Ref[FreeformTags] = Field(
        default_factory=dict,
        description="Free-form tags (the stack adds `backup-topology-series`, naming the backup's series).",
    )
    defined_tags: Ref[DefinedTags] = Field(default_factory=dict, description="Defined tags, keys `Namespace.Key`.")

    def resource_suffix(self) -> str:
        """`<name>`, or `<name>-<trigger>`: each generation is a resource of its own."""
        return f"{self.name}-{self.trigger}" if self.trigger else self.name


class ManualBackup(_OnDemand):
    """A one-off backup of a boot volume or a block volume ("Create Manual Backup"), full or incremental; a new
    `trigger`, a new one."""

    boot_volume_id: Ref[BootVolumeId] | None = Field(None, description="Boot volume OCID to back up.")
    volume_id: Ref[BlockVolumeId] | None = Field(None, description="Instead: block volume OCID to back up.")
    kms_key_id: Ref[KeyId] | None = Field(None, description="Vault key encrypting the backup; default Oracle-managed.")

    @model_validator(mode="after")
    def _one_volume(self) -> ManualBackup:
        if (self.boot_volume_id is None) == (self.volume_id is None):
            raise FieldProblemError([(("boot_volume_id",), "give exactly one of boot_volume_id or volume_id")])
        return self

    @property
    def kind(self) -> Literal["boot_volume", "volume"]:
        """What is backed up: a boot volume or a block volume."""
        return "boot_volume" if self.boot_volume_id is not None else "volume"

    @property
    def volume(self) -> Any:
        """The OCID (or output) of the volume backed up."""
        return self.boot_volume_id if self.boot_volume_id is not None else self.volume_id


class GroupManualBackup(_OnDemand):
    """A one-off backup of the whole volume group (every member at one point in time), full or incremental."""


class VolumePlan(Consistent):
    """Scheduled and manual backups of OCI boot and block volumes: one policy, its assignments, manual backups."""

    name: Name = Field(description="Plan name, unique in the stack; prefixes every resource name.")
    compartment_id: Ref[CompartmentId] = Field(description="Compartment (or tenancy) OCID for the policy and backups.")
    policy: CustomPolicy | None = Field(None, description="A policy created by the plan.")
    policy_id: Ref[PolicyId] | None = Field(None, description="An existing policy, by OCID.")
    oracle_policy: OraclePolicy | None = Field(None, description="An Oracle-defined policy: gold, silver or bronze.")
    boot_volumes: list[VolumeRef] = Field(default_factory=list, description="Boot volumes the policy is assigned to.")
    block_volumes: list[BlockRef] = Field(default_factory=list, description="Block volumes the policy is assigned to.")
    xrc_kms_key_id: Ref[KeyId] | None = Field(
        None, description="Vault key in the destination region that encrypts cross-region copies."
    )
    manual_backups: list[ManualBackup] = Field(default_factory=list, description="One-off backups.")

    @model_validator(mode="after")
    def _coherent(self) -> VolumePlan:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        sources = [f for f in ("policy", "policy_id", "oracle_policy") if getattr(self, f) is not None]
        if len(sources) > 1:
            problems.append(((sources[1],), f"give only one of policy, policy_id, oracle_policy (also {sources[0]})"))
        volumes = [*self.boot_volumes, *self.block_volumes]
        if volumes and not sources:
            which = "boot_volumes" if self.boot_volumes else "block_volumes"
            problems.append(
                (("policy",), f"{which} need a backup policy: give one of policy, policy_id or oracle_policy")
            )
        if not sources and not self.manual_backups and not volumes:
            problems.append(
                (("boot_volumes",), "the plan protects nothing: give boot_volumes, block_volumes or manual_backups")
            )
        problems += _xrc_key_problems(self.xrc_kms_key_id, self.policy, self.oracle_policy is not None)
        problems += duplicate_problems([v.id for v in self.boot_volumes], "boot_volumes", "id", "boot volume")
        problems += duplicate_problems([v.id for v in self.block_volumes], "block_volumes", "id", "block volume")
        by_key: dict[str, Any] = {}
        listed: list[tuple[str, int, BootVolumeRef | BlockVolumeRef]]
        listed = [("boot_volumes", i, v) for i, v in enumerate(self.boot_volumes)]
        listed += [("block_volumes", i, v) for i, v in enumerate(self.block_volumes)]
        for field, i, volume in listed:
            if volume.key is not None and by_key.setdefault(volume.key, volume.id) != volume.id:
                problems.append(((field, i, "id"), f"ends like {by_key[volume.key]}; their resource names would clash"))
        problems += duplicate_problems([b.name for b in self.manual_backups], "manual_backups", "name", "name")
        if problems:
            raise FieldProblemError(dict.fromkeys(problems))  # same place and reason once
        return self

    @property
    def display_name(self) -> str:
        """Policy display name in OCI."""
        return (self.policy.display_name if self.policy else None) or self.name


BootVolumePlan = VolumePlan
"""The plan's earlier name (`oci.boot_volume_plans[]`): the same model, block volumes included."""


def _xrc_key_problems(key: Any, policy: CustomPolicy | None, oracle: bool) -> list[tuple[tuple[str | int, ...], str]]:
    if key is None:
        return []
    if oracle:
        return [(("xrc_kms_key_id",), "Oracle-defined policies make no cross-region copies")]
    if policy is not None and policy.destination_region is None:
        return [(("xrc_kms_key_id",), "only used for cross-region copies: set policy.destination_region")]
    return []


MAX_GROUP_VOLUMES = 32
"""OCI Block Volume, "Working with Volume Groups": "You can add up to 32 volumes in a volume group"."""
ORACLE_POLICY_ON_GROUP = (
    'OCI does not take Oracle-defined policies for volume groups ("Oracle defined backup policies are not supported '
    'for scheduled volume group backups", Policy-Based Backups): give a policy of your own (`policy:`, e.g. with '
    "the schedules of the Oracle-defined one) or policy_id"
)


class VolumeGroupPlan(Consistent):
    """A volume group (made of given volumes, or an existing one) backed up as one: a user-defined policy assigned to
    the group, manual group backups; every member's backup is taken at the same point in time."""

    name: Name = Field(description="Plan name, unique in the stack; prefixes every resource name.")
    compartment_id: Ref[CompartmentId] = Field(
        description="Compartment (or tenancy) OCID of the group it makes, its policy and its backups."
    )
    volumes: list[MemberRef] = Field(
        default_factory=list,
        max_length=MAX_GROUP_VOLUMES,
        description="Block and boot volumes of the group the plan makes (an `oci.core.VolumeGroup`): OCIDs or "
        "`{id, name}`, at most 32, all in `availability_domain`; a volume can be in one group only.",
    )
    availability_domain: Ref[NonEmpty] | None = Field(
        None, description="Availability domain of the volumes, with `volumes` (the group is made there)."
    )
    display_name: DisplayName | None = Field(
        None, description="Name of the group the plan makes in OCI; default the plan name."
    )
    volume_group_id: Ref[VolumeGroupId] | None = Field(
        None, description="Instead of `volumes`: an existing volume group, by OCID (the stack does not change it)."
    )
    policy: CustomPolicy | None = Field(None, description="A user-defined policy created by the plan.")
    policy_id: Ref[PolicyId] | None = Field(None, description="An existing user-defined policy, by OCID.")
    oracle_policy: OraclePolicy | None = Field(
        None, description="Refused: OCI takes no Oracle-defined policy for volume groups."
    )
    xrc_kms_key_id: Ref[KeyId] | None = Field(
        None, description="Vault key in the destination region that encrypts cross-region copies."
    )
    manual_backups: list[GroupManualBackup] = Field(default_factory=list, description="One-off group backups.")

    @model_validator(mode="after")
    def _coherent(self) -> VolumeGroupPlan:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if (self.volume_group_id is None) == (not self.volumes):
            problems.append((("volumes",), "give exactly one of volumes (a group the plan makes) or volume_group_id"))
        if self.volumes and self.volume_group_id is None and self.availability_domain is None:
            problems.append((("availability_domain",), "required with volumes: the group is made in their domain"))
        if self.volume_group_id is not None:
            for field in ("availability_domain", "display_name"):
                if getattr(self, field) is not None:
                    problems.append(((field,), "only for a group the plan makes (volumes), not volume_group_id"))
        if self.oracle_policy is not None:
            problems.append((("oracle_policy",), ORACLE_POLICY_ON_GROUP))
        if self.policy is not None and self.policy_id is not None:
            problems.append((("policy_id",), "give only one of policy, policy_id (also policy)"))
        if self.policy is None and self.policy_id is None and not self.manual_backups and self.oracle_policy is None:
            problems.append((("policy",), "the plan backs up nothing: give policy, policy_id or manual_backups"))
        problems += _xrc_key_problems(self.xrc_kms_key_id, self.policy, False)
        problems += duplicate_problems([v.id for v in self.volumes], "volumes", "id", "volume")
        problems += duplicate_problems([b.name for b in self.manual_backups], "manual_backups", "name", "name")
        if problems:
            raise FieldProblemError(dict.fromkeys(problems))
        return self

    @property
    def group_name(self) -> str:
        """Display name of the group the plan makes."""
        return self.display_name or self.name

    @property
    def policy_name(self) -> str:
        """Policy display name in OCI."""
        return (self.policy.display_name if self.policy else None) or self.name


# --- OCI vault backups and restores ------------------------------------------------------------


def _no_secret(value: str) -> str:
    parsed = parse_ocid(value)
    if parsed is not None and parsed.kind == "vaultsecret":
        msg = "secrets cannot be backed up (OCI Vault backs up only virtual private vaults and HSM-protected keys)"
        raise ValueError(msg)
    return value


def same_region_replica(region: str) -> str:
    """Why a replica in the vault's own region is refused."""
    return f"{region} is the vault's own region: a copy there is lost with the region; name another region"


VaultId = Annotated[str, _ocid("vault")]
BucketName = Annotated[str, Field(min_length=1, max_length=256)]
ObjectName = Annotated[str, Field(min_length=1, max_length=1024)]
ManagementEndpoint = Annotated[str, Field(pattern=r"^https://")]
BackupKeyId = Annotated[str, AfterValidator(_no_secret), _ocid("key")]
ObjectPrefix = Annotated[str, Field(max_length=512, pattern=r"^[^\s]*$")]


class BucketDestination(Model):
    """Backups are written as objects of an existing bucket (the recommended destination)."""

    namespace: Ref[NonEmpty] = Field(description="Object Storage namespace of the tenancy.")
    bucket: Ref[BucketName] = Field(description="Existing bucket in the vault's region.")
    object_prefix: ObjectPrefix | None = Field(
        None, description="Prefix of the backup object names; default `<name>/`."
    )


class CreatedPar(Model):
    """A write-only pre-authenticated request the stack creates per backup object."""

    namespace: Ref[NonEmpty] = Field(description="Object Storage namespace of the tenancy.")
    bucket: Ref[BucketName] = Field(description="Existing bucket the PARs write into.")
    object_prefix: ObjectPrefix | None = Field(
        None, description="Prefix of the backup object names; default `<name>/`."
    )
    expires_in_days: int = Field(1, ge=1, le=365, description="Days each PAR stays valid after it is created.")


PAR_URL = re.compile(r"^https://[^/\s]+/p/[^/\s]+/n/(?P<ns>[^/\s]+)/b/(?P<bucket>[^/\s]+)/o/(?P<object>[^\s]+)$")
"""An Object Storage pre-authenticated request URL for one object."""


def _par_url(value: str) -> str:
    if not PAR_URL.match(value):  # the message never quotes the value: a PAR URL grants access
        msg = (
            "must be an Object Storage pre-authenticated request URL for one object "
            "(https://…/p/<token>/n/<namespace>/b/<bucket>/o/<object>)"
        )
        raise ValueError(msg)
    return value


ParUrl = Annotated[str, AfterValidator(_par_url)]


class GivenPar(Model):
    """A pre-authenticated request URL for one object: in a stack, a secret config key; in a program, the URL."""

    uri_config_key: ConfigKeyName | None = Field(
        None,
        description="Name of the secret stack config key holding the URL (`pulumi config set --secret <key> <url>`).",
    )
    uri: Ref[ParUrl] | None = Field(None, description="The URL itself (a program's secret), not in a stack file.")

    @model_validator(mode="after")
    def _one(self) -> GivenPar:
        if (self.uri_config_key is None) == (self.uri is None):
            raise FieldProblemError([(("uri_config_key",), "give exactly one of uri_config_key or uri")])
        return self


def _region_shorthand(value: Any) -> Any:
    return {"region": value} if isinstance(value, str) else value


class Replication(Model):
    """The backup bucket replicated to a bucket of another region (a native `oci.objectstorage.ReplicationPolicy`).

    OCI Object Storage, "Using Replication": the destination bucket must exist in the destination region (the policy
    does not create it) and becomes read-only; objects written to the source after the policy exists are copied
    asynchronously (those written before are not), and deletions are copied too. A source bucket has one
    replication policy at most ("Creating a Replication Policy").
    """

    region: OciRegion = Field(description="Region of the destination bucket: another region than the vault's.")
    bucket: BucketName | None = Field(
        None, description="Destination bucket in that region (it must exist); default the source bucket's name."
    )


class VaultBackupDestination(Model):
    """Where backups go: exactly one of bucket, par (created here) or par_uri (given); optionally replicated."""

    bucket: BucketDestination | None = None
    par: CreatedPar | None = None
    par_uri: GivenPar | None = None
    replicate_to: (
        Annotated[Replication, BeforeValidator(_region_shorthand, json_schema_input_type=Replication | OciRegion)]
        | None
    ) = Field(
        None,
        description="Replicate the bucket to another region (`<region>` or `{region, bucket}`): the stack declares "
        "the bucket's replication policy, so each backup has a copy there (bucket and par destinations).",
    )

    @model_validator(mode="after")
    def _one(self) -> VaultBackupDestination:
        given = [f for f in ("bucket", "par", "par_uri") if getattr(self, f) is not None]
        if len(given) != 1:
            also = f" (got {', '.join(given)})" if given else ""
            raise FieldProblemError([((), f"give exactly one of bucket, par or par_uri{also}")])
        if self.replicate_to is not None and self.par_uri is not None:
            why = (
                "a PAR URL made elsewhere names a bucket this stack does not own: replicate that bucket where it is "
                "managed (its backups then count as copied only with a waiver of prod-cross-region-copy)"
            )
            raise FieldProblemError([(("replicate_to",), why)])
        return self

    def stack_bucket(self) -> tuple[str, str] | None:
        """(namespace, bucket) a stack file names for the backups (bucket and created PARs), None for a given PAR URL.
        Stack-file values only: a program's Outputs are refused."""
        where = self.bucket or self.par
        return None if where is None else (given(where.namespace), given(where.bucket))

    def replica(self) -> tuple[str, Any, Any] | None:
        """(region, namespace, bucket) of the replica (namespace and bucket may come from other resources), or None
        when the bucket is not replicated."""
        where = self.bucket or self.par
        if self.replicate_to is None or where is None:
            return None
        return self.replicate_to.region, where.namespace, self.replicate_to.bucket or where.bucket


class VaultBackupSpec(Lifecycle):
    """A backup of an OCI virtual private vault and/or its HSM keys, taken when `trigger` changes."""

    name: Name = Field(description="Name unique in the stack; prefixes resource and object names.")
    vault_id: Ref[VaultId] = Field(description="OCID of the virtual private vault.")
    backup_vault: bool = Field(True, description="Back up the vault itself.")
    include_keys: bool = Field(True, description="The vault backup includes its keys; false = vault metadata only.")
    keys: list[Ref[BackupKeyId]] = Field(
        default_factory=list, description="HSM keys of the vault backed up one by one."
    )
    key_compartments: list[Ref[CompartmentId]] = Field(
        default_factory=list,
        description="Compartments besides the vault's that hold keys of the vault: the vault backup lists the keys "
        "it holds through ListKeys, which answers per compartment.",
    )
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
        if self.key_compartments and not (self.backup_vault and self.include_keys):
            why = "only used to list the keys a vault backup with include_keys holds"
            problems.append((("key_compartments",), why))
        problems += duplicate_problems(list(self.key_compartments), "key_compartments", None, "compartment")
        problems += duplicate_problems(list(self.keys), "keys", None, "key")
        if self.destination.par_uri is not None:
            why = (
                "a PAR URL made elsewhere lets the stack write one object only: it cannot list or delete backups there"
            )
            if self.retention is not None:
                problems.append((("retention",), why))
            if self.delete_on_removal:
                problems.append((("delete_on_removal",), why))
        if self.destination.par_uri is not None and self.backup_vault + len(self.keys) > 1:
            problems.append(
                (
                    ("destination", "par_uri"),
                    "a PAR URL writes one object: back up either the vault or one key with it (or use bucket or par)",
                )
            )
        vault = parse_ocid(self.vault_id) if isinstance(self.vault_id, str) else None
        for i, key in enumerate(self.keys):
            parsed = parse_ocid(key) if isinstance(key, str) else None
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

    def generation_prefix(self) -> str:
        """The prefix of the current trigger's objects: one generation."""
        return f"{self.object_prefix}{self.trigger}/"

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
    """Where a backup is restored from: an object in a bucket, a PAR URL of the object, or a downloaded file."""

    namespace: Ref[NonEmpty] | None = Field(None, description="Object Storage namespace (with bucket, object_name).")
    bucket: Ref[BucketName] | None = Field(None, description="Bucket holding the backup.")
    object_name: Ref[ObjectName] | None = Field(None, description="Backup object name.")
    par_uri: GivenPar | None = Field(
        None, description="Instead: a pre-authenticated request URL of the object that OCI may read (a secret)."
    )
    file: str | None = Field(
        None, min_length=1, description="Instead: a backup file on the machine that runs the stack (a download)."
    )

    @model_validator(mode="after")
    def _one(self) -> BackupObject:
        parts = [f for f in ("namespace", "bucket", "object_name") if getattr(self, f) is not None]
        given = (["object"] if parts else []) + [f for f in ("par_uri", "file") if getattr(self, f) is not None]
        if len(given) != 1:
            also = f" (got {', '.join(given)})" if given else ""
            why = f"give exactly one of namespace/bucket/object_name, par_uri or file{also}"
            raise FieldProblemError([((), why)])
        if parts and len(parts) != 3:
            missing = next(f for f in ("namespace", "bucket", "object_name") if f not in parts)
            raise FieldProblemError([((missing,), "required with the object's other parts")])
        return self


class VaultToRestore(Model):
    """A vault restored from a backup object."""

    display_name: DisplayName = Field(description="Display name of the restored vault.")
    source: BackupObject = Field(description="The vault backup object.")


class KeyToRestore(Model):
    """A key restored from a backup object into the restored (or an existing) vault."""

    name: Name = Field(description="Name unique in the restore (resource name).")
    display_name: DisplayName = Field(description="Display name of the restored key.")
    compartment_id: Ref[CompartmentId] | None = Field(
        None,
        description="The key's original compartment; default the restore's compartment, else the one the key "
        "backup's metadata recorded.",
    )
    key_shape: KeyShape = Field(default_factory=KeyShape, description="The key's shape.")
    source: BackupObject = Field(description="The key backup object.")


class VaultRestoreSpec(Model):
    """A restore of a vault and/or keys from backup objects (same tenancy and compartment as backed up)."""

    name: Name = Field(description="Name unique in the stack.")
    compartment_id: Ref[CompartmentId] | None = Field(
        None,
        description="The compartment the vault was backed up from; default the one the backup's metadata "
        "(`<object>.json` beside it) recorded.",
    )
    vault: VaultToRestore | None = Field(None, description="Restore the vault (before its keys).")
    keys: list[KeyToRestore] = Field(default_factory=list, description="Keys to restore.")
    management_endpoint: Ref[ManagementEndpoint] | None = Field(
        None, description="Management endpoint of an existing vault, when no vault is restored."
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
        # Without compartment_id the one the backup's metadata recorded is used; a PAR URL cannot reach it.
        why = "required with a par_uri source: the backup's metadata beside it cannot be read through the URL"
        if self.compartment_id is None and self.vault is not None and self.vault.source.par_uri is not None:
            problems.append((("compartment_id",), why))
        for i, key in enumerate(self.keys):
            if self.compartment_id is None and key.compartment_id is None and key.source.par_uri is not None:
                problems.append((("keys", i, "compartment_id"), why))
        problems += duplicate_problems([k.name for k in self.keys], "keys", "name", "name")
        if problems:
            raise FieldProblemError(problems)
        return self


class OciSection(Model):
    """Everything on Oracle Cloud, in one region."""

    region: OciRegion = Field(description="Region of the protected resources, e.g. `us-ashburn-1`.")
    auth: OciAuth | None = Field(None, description="Provider auth: api_key (default), instance_principal, ...")
    config_file_profile: str | None = Field(None, description="Profile of ~/.oci/config to use.")
    boot_volume_plans: list[VolumePlan] = Field(
        default_factory=list,
        description="Backup plans of boot (and block) volumes, as BootVolumeBackupPlan components (the name of the "
        "first release; `volume_plans` take the same fields).",
    )
    volume_plans: list[VolumePlan] = Field(
        default_factory=list, description="Backup plans of block and boot volumes (VolumeBackupPlan components)."
    )
    volume_group_plans: list[VolumeGroupPlan] = Field(
        default_factory=list, description="Volume groups backed up as one (VolumeGroupBackupPlan components)."
    )
    vault_backups: list[VaultBackupSpec] = Field(default_factory=list, description="Vault and key backups.")
    vault_restores: list[VaultRestoreSpec] = Field(default_factory=list, description="Vault and key restores.")
    kms_endpoint: HttpsUrl | None = Field(None, description="KMS vault endpoint; default the region's public one.")
    objectstorage_endpoint: HttpsUrl | None = Field(
        None, description="Object Storage endpoint; default the region's public one."
    )
    blockstorage_endpoint: HttpsUrl | None = Field(
        None,
        description="Core Services (Block Volume) endpoint the stack lists and deletes manual backups through; "
        "default the region's public one.",
    )
    copy_blockstorage_endpoints: dict[OciRegion, HttpsUrl] = Field(
        default_factory=dict,
        description="Core Services endpoint per region holding cross-region copies, where the posture check lists "
        "them (`python -m components.posture check`); default each region's public one.",
    )

    def blockstorage_endpoint_of(self, region: str) -> str | None:
        """The Core Services endpoint to read `region` through (None: its public one)."""
        if region == self.region:
            return self.blockstorage_endpoint
        return self.copy_blockstorage_endpoints.get(region)

    def volume_plans_all(self) -> list[tuple[str, VolumePlan]]:
        """Every volume plan with the list it is in (`boot_volume_plans` or `volume_plans`)."""
        return [("boot_volume_plans", p) for p in self.boot_volume_plans] + [
            ("volume_plans", p) for p in self.volume_plans
        ]
