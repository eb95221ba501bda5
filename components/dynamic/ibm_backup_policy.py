"""Dynamic resource IbmBackupPolicy: an IBM Cloud VPC backup policy with its plans, made in one request."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.clouds.calls import CloudError, Deadline, NotFoundError
from components.clouds.ibm_vpc import Vpc, is_second_generation
from components.config.ibm import (
    MAX_PLANS,
    IbmBackupPlanSpec,
    IncludedContent,
    MatchResourceType,
    MatchTags,
    backup_policy_problems,
    plans_problems,
    policy_problems,
)
from components.dynamic.base import MODULE, DynamicProvider, Timeouts, progress, state_inputs
from components.dynamic.ibm_snapshot import IbmConnectionProps
from components.errors import FieldProblemError

_CHECK_SECONDS = 120.0
_IBM_NAME = r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$"
OUTPUTS = ("policy_id", "crn", "lifecycle_state", "health_state", "plan_ids")


class BackupPolicyProps(BaseModel):
    """Inputs of IbmBackupPolicy: the policy, its plans (by name) and where it is made."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(pattern=_IBM_NAME)
    match_user_tags: MatchTags
    match_resource_type: MatchResourceType = "volume"
    included_content: list[IncludedContent] | None = None
    resource_group_id: str | None = None
    covers: list[str] = Field(default_factory=list)
    plans: list[IbmBackupPlanSpec] = Field(min_length=1, max_length=MAX_PLANS)
    connection: IbmConnectionProps
    timeouts: Timeouts = Field(default_factory=Timeouts)

    @model_validator(mode="after")
    def _rules(self) -> BackupPolicyProps:
        problems = policy_problems(self.match_resource_type, self.included_content, self.covers)
        problems += plans_problems(self.plans)
        problems += backup_policy_problems(self.connection.region, self.plans)
        if problems:
            raise FieldProblemError(problems)
        return self


# --- the plan in its three shapes: the input (and what refresh reads back), IBM's prototype, IBM's patch -------


def plan_input(plan: IbmBackupPlanSpec) -> dict[str, Any]:
    """The plan as the resource's input: the same shape that `read` gives back from the cloud.

    Nothing is None in it: the engine drops null values inside inputs, so a null read back would be a change.
    """
    clones = plan.clone_policy
    return compact(
        {
            "name": plan.name,
            "cron_spec": plan.cron_spec,
            "active": plan.active,
            "attach_user_tags": list(plan.attach_user_tags),
            "copy_user_tags": plan.copy_user_tags,
            "deletion_trigger": {
                "delete_after": plan.deletion_trigger.delete_after,
                "delete_over_count": plan.deletion_trigger.delete_over_count,
            },
            "clone_policy": None
            if clones is None
            else {"zones": list(clones.zones), "max_snapshots": clones.max_snapshots},
            "remote_region_policies": [
                {
                    "region": remote.region,
                    "encryption_key_crn": remote.encryption_key_crn,
                    "delete_over_count": remote.delete_over_count,
                }
                for remote in plan.remote_region_policies
            ],
        }
    )


def compact(value: Any) -> Any:
    """`value` without the None values of its mappings, at every depth."""
    if isinstance(value, Mapping):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def plan_prototype(plan: IbmBackupPlanSpec) -> dict[str, Any]:
    """The plan as IBM's BackupPolicyPlanPrototype."""
    trigger: dict[str, Any] = {"delete_after": plan.deletion_trigger.delete_after}
    if plan.deletion_trigger.delete_over_count is not None:
        trigger["delete_over_count"] = plan.deletion_trigger.delete_over_count
    prototype: dict[str, Any] = {
        "name": plan.name,
        "cron_spec": plan.cron_spec,
        "active": plan.active,
        "attach_user_tags": list(plan.attach_user_tags),
        "copy_user_tags": plan.copy_user_tags,
        "deletion_trigger": trigger,
    }
    if plan.clone_policy is not None:
        prototype["clone_policy"] = {
            "zones": [{"name": zone} for zone in plan.clone_policy.zones],
            "max_snapshots": plan.clone_policy.max_snapshots,
        }
    if plan.remote_region_policies:
        prototype["remote_region_policies"] = [_remote_prototype(r) for r in plan.remote_region_policies]
    return prototype


def _remote_prototype(remote: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"region": {"name": remote.region}, "delete_over_count": remote.delete_over_count}
    if remote.encryption_key_crn:
        found["encryption_key"] = {"crn": remote.encryption_key_crn}
    return found


def plan_patch(have: Mapping[str, Any], want: IbmBackupPlanSpec) -> dict[str, Any]:
    """IBM's BackupPolicyPlanPatch taking the plan from `have` (as `plan_from_cloud` reads it) to `want`; empty
    when they agree. Lists are replaced whole; a removed maximum count is sent as null, which removes it."""
    wanted = plan_input(want)
    prototype = plan_prototype(want)
    patch: dict[str, Any] = {}
    for key in ("cron_spec", "active", "attach_user_tags", "copy_user_tags"):
        if have.get(key) != wanted[key]:
            patch[key] = wanted[key]
    if have.get("deletion_trigger") != wanted["deletion_trigger"]:
        trigger = want.deletion_trigger
        patch["deletion_trigger"] = {
            "delete_after": trigger.delete_after,
            "delete_over_count": trigger.delete_over_count,
        }
    if have.get("clone_policy") != wanted.get("clone_policy"):
        patch["clone_policy"] = prototype.get("clone_policy") or {"zones": []}
    if have.get("remote_region_policies") != wanted["remote_region_policies"]:
        patch["remote_region_policies"] = prototype.get("remote_region_policies", [])
    return patch


def plan_from_cloud(plan: Mapping[str, Any], given: IbmBackupPlanSpec | None) -> dict[str, Any]:
    """A plan as IBM Cloud has it, in the input's shape (lists in the input's order, extras last)."""
    wanted = plan_input(given) if given is not None else None
    trigger = plan.get("deletion_trigger") or {}
    clones = plan.get("clone_policy") or {}
    zones = [str(z.get("name")) for z in clones.get("zones") or []]
    given_keys = {r["region"]: r.get("encryption_key_crn") for r in (wanted or {}).get("remote_region_policies", [])}
    remotes = []
    for remote in plan.get("remote_region_policies") or []:
        region = str((remote.get("region") or {}).get("name"))
        key = (remote.get("encryption_key") or {}).get("crn")
        remotes.append(
            {
                "region": region,
                # Given no key, IBM uses the source's: what it reports then is not a change of the input.
                "encryption_key_crn": key if given_keys.get(region) is not None else None,
                "delete_over_count": remote.get("delete_over_count"),
            }
        )
    order = [r["region"] for r in (wanted or {}).get("remote_region_policies", [])]
    remotes.sort(key=lambda r: (order.index(r["region"]) if r["region"] in order else len(order), r["region"]))
    return compact(
        {
            "name": plan.get("name"),
            "cron_spec": plan.get("cron_spec"),
            "active": bool(plan.get("active")),
            "attach_user_tags": _ordered(
                plan.get("attach_user_tags") or [], (wanted or {}).get("attach_user_tags", [])
            ),
            "copy_user_tags": bool(plan.get("copy_user_tags")),
            "deletion_trigger": {
                "delete_after": trigger.get("delete_after"),
                "delete_over_count": trigger.get("delete_over_count"),
            },
            "clone_policy": None
            if not zones
            else {
                "zones": _ordered(zones, ((wanted or {}).get("clone_policy") or {}).get("zones", [])),
                "max_snapshots": clones.get("max_snapshots"),
            },
            "remote_region_policies": remotes,
        }
    )


def _ordered(found: Sequence[str], given: Sequence[str]) -> list[str]:
    """The cloud's list in the order the inputs give (the cloud's own order is not the user's); extras last."""
    have = list(dict.fromkeys(found))
    return [v for v in given if v in have] + sorted(v for v in have if v not in given)


def policy_outputs(policy: Mapping[str, Any], plans: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the state keeps of a policy besides its inputs."""
    return {
        "policy_id": policy.get("id"),
        "crn": policy.get("crn"),
        "lifecycle_state": policy.get("lifecycle_state"),
        "health_state": policy.get("health_state"),
        "plan_ids": {str(p.get("name")): p.get("id") for p in plans},
    }


class IbmBackupPolicyProvider(DynamicProvider):
    """A backup policy with its plans: made in one POST; the policy's fields and each plan changed in place."""

    props: ClassVar[type[BaseModel]] = BackupPolicyProps
    immutable: ClassVar[frozenset[str]] = frozenset({"match_resource_type", "resource_group_id"})

    def replaces(self, olds: Mapping[str, Any], news: Mapping[str, Any], changed: set[str]) -> set[str]:
        found = super().replaces(olds, news, changed)
        if "connection" in changed and _region(olds) != _region(news):
            found.add("connection")  # a policy lives in its region
        return found

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As the base, but a replacement deletes the old policy first: its name is unique in the region, and a new
        policy made first would find it by name."""
        result = super().diff(id_, olds, news)
        if not result.replaces:
            return result
        return DiffResult(
            changes=result.changes, replaces=result.replaces, stables=result.stables, delete_before_replace=True
        )

    def check_before_create(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Clone zones are zones the region's API lists; covered volumes exist and carry a matching tag; covered
        instances exist and back up no second-generation volume."""
        model: Any = BackupPolicyProps.model_validate(self.model_inputs(news))
        vpc = Vpc(model.connection.connection(), Deadline(_CHECK_SECONDS))
        problems: list[tuple[str, str]] = []
        try:
            if any(p.clone_policy is not None for p in model.plans):
                zones = vpc.zones()
                for i, plan in enumerate(model.plans):
                    wrong = [z for z in (plan.clone_policy.zones if plan.clone_policy else []) if z not in zones]
                    if wrong:
                        why = f"{', '.join(wrong)} not zones of {model.connection.region} ({', '.join(zones)})"
                        problems.append((f"plans[{i}].clone_policy.zones", why))
            if model.match_resource_type == "volume":
                problems += _covered_volumes(vpc, model)
            else:
                problems += _covered_instances(vpc, model)
        except CloudError as exc:
            return [("covers", f"cannot be checked before the policy: {exc}")]
        return problems

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the policy of that name (a retried or re-run create) and make it match, else POST it with its plans."""
        model: Any = BackupPolicyProps.model_validate(self.model_inputs(props))
        vpc = Vpc(model.connection.connection(), self.deadline(props, "create"), progress)
        policy = vpc.find_backup_policy(model.name)
        if policy is not None:
            _adoptable(policy, model)
            progress(f"backup policy {model.name}: adopting {policy.get('id')}, made by an earlier attempt")
            _converge(vpc, str(policy["id"]), model, policy)
        else:
            policy = vpc.create_backup_policy(_policy_prototype(model))
        ready, plans = vpc.wait_backup_policy_ready(str(policy["id"]))
        return CreateResult(str(ready["id"]), {**state_inputs(props), **policy_outputs(ready, plans)})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The policy's fields patched (If-Match), each changed plan patched, new plans posted, removed ones
        deleted: only what differs from the cloud is sent."""
        model: Any = BackupPolicyProps.model_validate(self.model_inputs(news))
        vpc = Vpc(model.connection.connection(), self.deadline(news, "update"), progress)
        _converge(vpc, id_, model, vpc.get_backup_policy(id_))
        ready, plans = vpc.wait_backup_policy_ready(id_)
        return UpdateResult({**state_inputs(news), **policy_outputs(ready, plans)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the policy's fields and every plan as IBM Cloud has them; empty id when gone."""
        model: Any = BackupPolicyProps.model_validate(self.model_inputs(props))
        vpc = Vpc(model.connection.connection(), Deadline(_CHECK_SECONDS))
        try:
            policy = vpc.get_backup_policy(id_)
            plans = vpc.backup_policy_plans(id_)
        except NotFoundError:
            return ReadResult("", {})
        given = {p.name: p for p in model.plans}
        order = [p.name for p in model.plans]
        plans.sort(key=lambda p: (order.index(p["name"]) if p.get("name") in order else len(order), p.get("name")))
        cloud: dict[str, Any] = {
            "name": policy.get("name"),
            "match_user_tags": _ordered(policy.get("match_user_tags") or [], list(model.match_user_tags)),
            "match_resource_type": policy.get("match_resource_type"),
            "plans": [plan_from_cloud(p, given.get(str(p.get("name")))) for p in plans],
        }
        if model.included_content is not None:
            cloud["included_content"] = _ordered(policy.get("included_content") or [], list(model.included_content))
        if model.resource_group_id is not None:  # none given: the account's default, whatever it is
            cloud["resource_group_id"] = (policy.get("resource_group") or {}).get("id")
        return ReadResult(id_, {**state_inputs(props), **cloud, **policy_outputs(policy, plans)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the policy (IBM deletes its plans with it); the backups it made stay. Already gone is fine."""
        model: Any = BackupPolicyProps.model_validate(self.model_inputs(props))
        Vpc(model.connection.connection(), self.deadline(props, "delete"), progress).delete_backup_policy(id_)


def _region(props: Mapping[str, Any]) -> Any:
    return (props.get("connection") or {}).get("region")


def _policy_prototype(model: Any) -> dict[str, Any]:
    prototype: dict[str, Any] = {
        "name": model.name,
        "match_resource_type": model.match_resource_type,
        "match_user_tags": list(model.match_user_tags),
        "plans": [plan_prototype(p) for p in model.plans],
    }
    if model.included_content is not None:
        prototype["included_content"] = list(model.included_content)
    if model.resource_group_id:
        prototype["resource_group"] = {"id": model.resource_group_id}
    return prototype


def _adoptable(policy: Mapping[str, Any], model: Any) -> None:
    """A policy of that name is this one when what cannot change agrees; else the name is taken."""
    kind = policy.get("match_resource_type")
    group = (policy.get("resource_group") or {}).get("id")
    if kind != model.match_resource_type or (model.resource_group_id and group != model.resource_group_id):
        msg = (
            f"backup policy name {model.name} is taken in {model.connection.region} by policy {policy.get('id')} "
            f"(match_resource_type {kind}, resource group {group}); names are unique per region"
        )
        raise CloudError(msg)


def _converge(vpc: Vpc, policy_id: str, model: Any, policy: Mapping[str, Any]) -> None:
    """Make the policy and its plans what the inputs say, from what the cloud has now; nothing that agrees is sent.

    Plans no longer wanted go first (a policy holds at most 4 plans, and a plan's name is free once it is gone),
    then changed plans are patched and new ones posted.
    """
    patch: dict[str, Any] = {}
    if policy.get("name") != model.name:
        patch["name"] = model.name
    if set(policy.get("match_user_tags") or []) != set(model.match_user_tags):
        patch["match_user_tags"] = list(model.match_user_tags)
    if model.included_content is not None and set(policy.get("included_content") or []) != set(model.included_content):
        patch["included_content"] = list(model.included_content)
    if patch:
        vpc.update_backup_policy(policy_id, patch)
    have = {str(p.get("name")): p for p in vpc.backup_policy_plans(policy_id)}
    wanted = {p.name: p for p in model.plans}
    for name in sorted(set(have) - set(wanted)):
        vpc.delete_backup_policy_plan(policy_id, str(have[name]["id"]))
    for plan in model.plans:
        found = have.get(plan.name)
        if found is None:
            vpc.create_backup_policy_plan(policy_id, plan_prototype(plan))
            continue
        changes = plan_patch(plan_from_cloud(found, wanted[plan.name]), plan)
        if changes:
            vpc.update_backup_policy_plan(policy_id, str(found["id"]), changes)


def _by_name_or_id(
    find: Callable[[str], dict[str, Any] | None], get: Callable[[str], dict[str, Any]], asset: str
) -> dict[str, Any] | None:
    """A covered asset by its name, else by its ID; None when neither finds it.

    By name first: a name is never mistaken for a malformed ID, and listing by a name that is an ID finds none.
    """
    found = find(asset)
    if found is not None:
        return found
    try:
        return get(asset)
    except NotFoundError:
        return None


def _covered_volumes(vpc: Vpc, model: Any) -> list[tuple[str, str]]:
    """Each covered volume (by ID or name) exists in the region and carries one of the policy's tags."""
    problems = []
    tags = set(model.match_user_tags)
    for i, asset in enumerate(model.covers):
        volume = _by_name_or_id(vpc.find_volume, vpc.get_volume, asset)
        if volume is None:
            problems.append((f"covers[{i}]", f"no volume {asset} in {model.connection.region} (by ID or name)"))
            continue
        if not tags & set(volume.get("user_tags") or []):
            problems.append(
                (
                    f"covers[{i}]",
                    f"volume {asset} carries none of the policy's match_user_tags ({', '.join(sorted(tags))}), so "
                    "the policy would not back it up: add one of them to the volume's user tags",
                )
            )
    return problems


def _covered_instances(vpc: Vpc, model: Any) -> list[tuple[str, str]]:
    """Each covered instance (by ID or name) exists in the region, and none of the volumes the policy would back up
    with it (its boot volume, its data volumes, as included_content says) is second-generation: an instance policy
    takes consistency group backups, which IBM Cloud does not take of second-generation volumes ("About Backup for
    VPC", Limitations: "You can't create consistency group backups that contain `sdp` volumes")."""
    problems = []
    included = set(model.included_content or ("boot_volume", "data_volumes"))
    for i, asset in enumerate(model.covers):
        instance = _by_name_or_id(vpc.find_instance, vpc.get_instance, asset)
        if instance is None:
            problems.append((f"covers[{i}]", f"no instance {asset} in {model.connection.region} (by ID or name)"))
            continue
        boot = ((instance.get("boot_volume_attachment") or {}).get("volume") or {}).get("id")
        attached = [(a.get("volume") or {}).get("id") for a in instance.get("volume_attachments") or []]
        backed_up = [
            (volume_id, "boot volume" if volume_id == boot else "data volume")
            for volume_id in dict.fromkeys([boot, *attached])
            if volume_id and ("boot_volume" if volume_id == boot else "data_volumes") in included
        ]
        for volume_id, role in backed_up:
            volume = vpc.get_volume(str(volume_id))
            if is_second_generation(volume):
                profile = (volume.get("profile") or {}).get("name")
                why = (
                    f"instance {asset} has a second-generation {role} ({volume_id}, profile {profile}); IBM Cloud "
                    "takes no consistency group backup of second-generation volumes, so an instance policy cannot "
                    "back it up: back it up with a volume policy, or leave "
                    + ("boot_volume" if role == "boot volume" else "data_volumes")
                    + " out of included_content"
                )
                problems.append((f"covers[{i}]", why))
    return problems


class IbmBackupPolicy(pulumi.dynamic.Resource, module=MODULE, name="IbmBackupPolicy"):
    """An IBM Cloud VPC backup policy with its plans."""

    policy_id: pulumi.Output[str]
    crn: pulumi.Output[str]
    lifecycle_state: pulumi.Output[str]
    health_state: pulumi.Output[str]
    plan_ids: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(IbmBackupPolicyProvider(), name, {**dict.fromkeys(OUTPUTS), **props}, opts)
