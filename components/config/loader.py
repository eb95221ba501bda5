"""The whole topology (stack config `backup-topology:topology`), its loader, and the rules across sections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, ValidationError

from components.clouds.oci_regions import is_known_region
from components.config.base import Model, problems_from_validation
from components.config.copies import CopySpec
from components.config.drills import RestoreDrillSpec
from components.config.ibm import IbmSection, zone_problems
from components.config.oci import OciSection, same_region_replica
from components.config.openstack import OpenStackSection
from components.errors import Problem, TopologyError
from components.oci.ocid import parse_ocid

CONFIG_KEY = "backup-topology:topology"


class Topology(Model):
    """The whole stack's backup topology, one section per cloud."""

    oci: OciSection | None = None
    ibm: IbmSection | None = None
    openstack: OpenStackSection | None = None
    copies: list[CopySpec] = Field(default_factory=list, description="Cross-region copies (IBM and OCI).")
    restore_drills: list[RestoreDrillSpec] = Field(
        default_factory=list, description="Restore drills: restores that prove backups restore, and time them."
    )


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
    """Rules across plans and sections: unique plan names, one policy per volume, region agreement."""
    problems: list[Problem] = []
    oci = raw.get("oci")
    region = _text(oci, "region")
    problems += _volume_plan_problems(oci, region)
    problems += _vault_problems(oci, region)
    problems += _ibm_problems(raw.get("ibm"))
    openstack_names: dict[str, str] = {}
    for i, spec in _items(raw.get("openstack"), "snapshot_backups"):
        problems += _unique_name(openstack_names, _text(spec, "name"), f"openstack.snapshot_backups[{i}].name")
    problems += _copy_problems(raw)
    problems += _drill_problems(raw, set(openstack_names))
    return problems


VOLUME_PLAN_LISTS = ("boot_volume_plans", "volume_plans")
PLAN_LISTS = (*VOLUME_PLAN_LISTS, "volume_group_plans")
_PLAN_LISTS_TEXT = "oci.boot_volume_plans, oci.volume_plans or oci.volume_group_plans"


def _plans(oci: Any, lists: tuple[str, ...] = PLAN_LISTS) -> list[tuple[str, Any]]:
    """(path, plan) of every plan in `lists` of the oci section, in the order written."""
    return [(f"oci.{key}[{i}]", plan) for key in lists for i, plan in _items(oci, key)]


def _volume_plan_problems(oci: Any, region: str | None) -> list[Problem]:
    """Plan names are unique across the plan lists; each volume has one policy: of one plan, or of its volume group
    (OCI keeps one backup policy per volume, and a volume in a group with a policy has its assignment managed by the
    group: "Managing Backup Policy Assignments to Volumes", Policy-Based Backups); each volume is in one group."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    assigned: dict[str, tuple[str, str]] = {}
    for at, plan in _plans(oci, VOLUME_PLAN_LISTS):
        problems += _unique_name(names, _text(plan, "name"), f"{at}.name")
        problems += _policy_region_problems(plan, at, region)
        for field, what in (("boot_volumes", "boot volume"), ("block_volumes", "block volume")):
            for k, volume in _items(plan, field):
                vid = volume if isinstance(volume, str) else _text(volume, "id")
                path = f"{at}.{field}[{k}]" + ("" if isinstance(volume, str) else ".id")
                if vid is None:
                    continue
                problems += _region_problem(path, what, vid, region)
                if vid in assigned and assigned[vid][1] != at:
                    first_path, first_at = assigned[vid]
                    problems.append(
                        Problem(
                            path,
                            f"{what} is already assigned a policy at {first_path}; OCI keeps one backup policy "
                            f"per volume and would silently replace the one of {first_at}",
                        )
                    )
                else:
                    assigned.setdefault(vid, (path, at))
        for k, backup in _items(plan, "manual_backups"):
            for field, what in (("boot_volume_id", "boot volume"), ("volume_id", "block volume")):
                path = f"{at}.manual_backups[{k}].{field}"
                problems += _region_problem(path, what, _text(backup, field), region)
    grouped: dict[str, str] = {}
    for i, group in _items(oci, "volume_group_plans"):
        at = f"oci.volume_group_plans[{i}]"
        problems += _unique_name(names, _text(group, "name"), f"{at}.name")
        problems += _policy_region_problems(group, at, region)
        problems += _region_problem(f"{at}.volume_group_id", "volume group", _text(group, "volume_group_id"), region)
        with_policy = isinstance(group, Mapping) and any(group.get(f) is not None for f in ("policy", "policy_id"))
        for k, volume in _items(group, "volumes"):
            vid = volume if isinstance(volume, str) else _text(volume, "id")
            path = f"{at}.volumes[{k}]" + ("" if isinstance(volume, str) else ".id")
            if vid is None:
                continue
            what = "boot volume" if vid.startswith("ocid1.bootvolume.") else "block volume"
            problems += _region_problem(path, what, vid, region)
            if vid in grouped:
                if grouped[vid] != at:  # listed twice in one group: the plan's own check says so
                    why = (
                        f"{what} is already in the volume group of {grouped[vid]}; OCI puts a volume in one group only"
                    )
                    problems.append(Problem(path, why))
                continue
            grouped[vid] = at
            if with_policy and vid in assigned:
                why = (
                    f"{what} is assigned a policy at {assigned[vid][0]}, and its volume group has one: OCI has the "
                    "group manage the policy assignment of its volumes; leave the volume out of that plan"
                )
                problems.append(Problem(path, why))
    return problems


def _policy_region_problems(plan: Any, at: str, region: str | None) -> list[Problem]:
    """A policy's cross-region copies go to another region, encrypted by a key of that region."""
    problems = []
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
    return problems


def _drill_problems(raw: Mapping[str, Any], snapshot_backups: set[str]) -> list[Problem]:
    """Drills have unique names and drill an entry the stack has, in a zone of its region."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    ibm = raw.get("ibm")
    ibm_snapshots = {_text(s, "name") for _, s in _items(ibm, "snapshots")} - {None}
    region = _text(ibm, "region")
    for i, drill in _items(raw, "restore_drills"):
        at = f"restore_drills[{i}]"
        problems += _unique_name(names, _text(drill, "name"), f"{at}.name")
        if not isinstance(drill, Mapping):
            continue
        for section, field, known_names, where in (
            ("openstack", "snapshot_backup", snapshot_backups, "openstack.snapshot_backups"),
            ("ibm", "snapshot", ibm_snapshots, "ibm.snapshots"),
        ):
            target = _text(drill.get(section), field)
            if target is not None and target not in known_names:
                known = ", ".join(sorted(str(n) for n in known_names)) or "none"
                problems.append(Problem(f"{at}.{section}.{field}", f"no entry '{target}' in {where} (known: {known})"))
        zone = _text(drill.get("ibm"), "zone")
        if zone is not None and region is not None:
            problems += [Problem(f"{at}.ibm.zone", why) for _, why in zone_problems(region, [zone], ())]
        problems += _oci_drill_problems(raw.get("oci"), drill, at)
    return problems


def _oci_drill_problems(oci: Any, drill: Mapping[str, Any], at: str) -> list[Problem]:
    """An OCI drill names a manual backup of a plan, or a vault backup that backs up its vault, in another region."""
    problems: list[Problem] = []
    for kind, lists, where in (
        ("oci", VOLUME_PLAN_LISTS, "oci.boot_volume_plans or oci.volume_plans"),
        ("oci_volume_group", ("volume_group_plans",), "oci.volume_group_plans"),
    ):
        point = drill.get(kind)
        plan_name, backup_name = _text(point, "plan"), _text(point, "manual_backup")
        if plan_name is None:
            continue
        plans = {_text(p, "name"): p for _, p in _plans(oci, lists)}
        if plan_name not in plans:
            known = ", ".join(sorted(str(n) for n in plans if n)) or "none"
            problems.append(Problem(f"{at}.{kind}.plan", f"no entry '{plan_name}' in {where} (known: {known})"))
        elif backup_name is not None:
            manual = {_text(b, "name") for _, b in _items(plans[plan_name], "manual_backups")} - {None}
            if backup_name not in manual:
                known = ", ".join(sorted(str(n) for n in manual)) or "none"
                why = f"no manual backup '{backup_name}' in plan '{plan_name}' (known: {known})"
                problems.append(Problem(f"{at}.{kind}.manual_backup", why))
    vault_drill = drill.get("oci_vault")
    name = _text(vault_drill, "vault_backup")
    if name is None:
        return problems
    backups = {_text(b, "name"): b for _, b in _items(oci, "vault_backups")}
    backup = backups.get(name)
    if backup is None:
        known = ", ".join(sorted(str(n) for n in backups if n)) or "none"
        problems.append(
            Problem(f"{at}.oci_vault.vault_backup", f"no entry '{name}' in oci.vault_backups (known: {known})")
        )
        return problems
    if isinstance(backup, Mapping) and backup.get("backup_vault") is False:
        why = f"oci.vault_backups '{name}' backs up no vault (backup_vault: false): there is no vault backup to drill"
        problems.append(Problem(f"{at}.oci_vault.vault_backup", why))
    home = _ocid_region(_text(backup, "vault_id"))
    if home is not None and home == _text(vault_drill, "region"):
        why = (
            f"{home} is the vault's own region: a restore there goes over the live vault (same OCID); "
            "drill into another region of the realm"
        )
        problems.append(Problem(f"{at}.oci_vault.region", why))
    return problems


def _ibm_problems(ibm: Any) -> list[Problem]:
    """IBM snapshot and consistency group names are unique in the stack, and so are backup policy names."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    for i, snap in _items(ibm, "snapshots"):
        problems += _unique_name(names, _text(snap, "name"), f"ibm.snapshots[{i}].name")
    for i, group in _items(ibm, "consistency_groups"):
        problems += _unique_name(names, _text(group, "name"), f"ibm.consistency_groups[{i}].name")
    policies: dict[str, str] = {}
    for i, policy in _items(ibm, "backup_policies"):
        problems += _unique_name(policies, _text(policy, "name"), f"ibm.backup_policies[{i}].name")
    return problems


def _copy_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Copies name a source the stack has, go to another region, and are made once per source and region."""
    problems: list[Problem] = []
    ibm = raw.get("ibm")
    oci = raw.get("oci")
    ibm_region = _text(ibm, "region")
    sources = {
        kind: (f"ibm.{section}", label, {_text(s, "name") for _, s in _items(ibm, section)})
        for kind, section, label in (
            ("snapshot", "snapshots", "snapshot"),
            ("consistency_group", "consistency_groups", "consistency group"),
        )
    }
    manual = {
        _text(plan, "name"): {_text(b, "name") for _, b in _items(plan, "manual_backups")} for _, plan in _plans(oci)
    }
    names: dict[str, str] = {}
    made: dict[tuple[str, str], str] = {}
    for i, copy in _items(raw, "copies"):
        at = f"copies[{i}]"
        problems += _unique_name(names, _text(copy, "name"), f"{at}.name")
        if not isinstance(copy, Mapping):
            continue
        source: str | None
        if isinstance(copy.get("ibm"), Mapping):
            spec = copy["ibm"]
            destination = _text(spec, "destination_region")
            kind = "consistency_group" if "consistency_group" in spec else "snapshot"
            source = _text(spec, kind)
            where, label, known_names = sources[kind]
            if ibm is None:
                problems.append(Problem(f"{at}.ibm", f"needs the ibm section: the source {label} is one of {where}"))
            elif source is not None and source not in known_names:
                known = ", ".join(sorted(n for n in known_names if n)) or "none"
                problems.append(Problem(f"{at}.ibm.{kind}", f"no {label} '{source}' in {where} (known: {known})"))
            if destination is not None and destination == ibm_region:
                problems.append(
                    Problem(f"{at}.ibm.destination_region", "is ibm.region itself; a copy goes to another region")
                )
        elif isinstance(copy.get("oci"), Mapping):
            spec = copy["oci"]
            destination = _text(spec, "destination_region")
            source = _text(spec, "source_backup_id")
            source_region = _ocid_region(source)
            ref = spec.get("source")
            if isinstance(ref, Mapping):
                plan, backup = _text(ref, "plan"), _text(ref, "manual_backup")
                source, source_region = f"{plan}/{backup}", _text(oci, "region")
                if plan is not None and plan not in manual:
                    known = ", ".join(sorted(n for n in manual if n)) or "none"
                    problems.append(
                        Problem(f"{at}.oci.source.plan", f"no plan '{plan}' in {_PLAN_LISTS_TEXT} (known: {known})")
                    )
                elif plan is not None and backup is not None and backup not in manual[plan]:
                    known = ", ".join(sorted(n for n in manual[plan] if n)) or "none"
                    problems.append(
                        Problem(
                            f"{at}.oci.source.manual_backup",
                            f"plan '{plan}' has no manual backup '{backup}' (known: {known})",
                        )
                    )
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


def _prefix_problem(seen: dict[tuple[str, str], list[tuple[str, str]]], spec: Any, at: str) -> list[Problem]:
    """Two vault backups writing into one bucket under prefixes where one starts the other would take each other's
    objects for their own (retention and delete_on_removal go by the names under the prefix)."""
    destination = spec.get("destination") if isinstance(spec, Mapping) else None
    for kind in ("bucket", "par"):
        where = destination.get(kind) if isinstance(destination, Mapping) else None
        if not isinstance(where, Mapping):
            continue
        namespace, bucket = _text(where, "namespace"), _text(where, "bucket")
        name = _text(spec, "name")
        prefix = _text(where, "object_prefix")
        prefix = prefix if prefix is not None else (f"{name}/" if name else None)
        if namespace is None or bucket is None or prefix is None:
            return []
        others = seen.setdefault((namespace, bucket), [])
        for other, other_at in others:
            if prefix.startswith(other) or other.startswith(prefix):
                why = f"its objects ({prefix}…) overlap those of {other_at} ({other}…) in bucket {bucket}: give each "
                return [Problem(f"{at}.destination.{kind}.object_prefix", why + "its own prefix")]
        others.append((prefix, at))
        return []  # one destination per backup (a second one is the model's error)
    return []


def _vault_problems(oci: Any, region: str | None) -> list[Problem]:
    """Vault backups: unique names, one backup of a vault or key at a time, backups in the vault's region."""
    problems: list[Problem] = []
    names: dict[str, str] = {}
    vaults: dict[str, str] = {}
    keys: dict[str, str] = {}
    prefixes: dict[tuple[str, str], list[tuple[str, str]]] = {}
    replicated: dict[tuple[str, str], str] = {}
    for i, spec in _items(oci, "vault_backups"):
        at = f"oci.vault_backups[{i}]"
        duplicate = _unique_name(names, _text(spec, "name"), f"{at}.name")
        problems += duplicate or _prefix_problem(prefixes, spec, at)  # a name twice: its default prefix twice
        destination = spec.get("destination") if isinstance(spec, Mapping) else None
        problems += _plain_par(destination, f"{at}.destination")
        problems += _replication_problems(destination, f"{at}.destination", region, replicated)
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
        at = f"oci.vault_restores[{i}]"
        problems += _unique_name(restore_names, _text(spec, "name"), f"{at}.name")
        vault = spec.get("vault") if isinstance(spec, Mapping) else None
        if isinstance(vault, Mapping):
            problems += _plain_par(vault.get("source"), f"{at}.vault.source")
        for k, key in _items(spec, "keys"):
            if isinstance(key, Mapping):
                problems += _plain_par(key.get("source"), f"{at}.keys[{k}].source")
    return problems


def _replication_problems(
    destination: Any, at: str, region: str | None, replicated: dict[tuple[str, str], str]
) -> list[Problem]:
    """A replica in oci.region (the vault's) is lost with it; a bucket has one replication policy at most (OCI
    Object Storage, "Creating a Replication Policy"), so two entries cannot each replicate it."""
    if not isinstance(destination, Mapping) or destination.get("replicate_to") is None:
        return []
    target = destination.get("replicate_to")
    to = target if isinstance(target, str) else _text(target, "region")
    problems = []
    if to is not None and to == region:
        problems.append(Problem(f"{at}.replicate_to", same_region_replica(to)))
    where = destination.get("bucket") or destination.get("par")
    namespace, bucket = _text(where, "namespace"), _text(where, "bucket")
    if namespace is not None and bucket is not None:
        first = replicated.setdefault((namespace, bucket), at)
        if first != at:
            why = (
                f"bucket {namespace}/{bucket} is already replicated by {first.rsplit('.', 1)[0]}, and OCI allows one "
                "replication policy per bucket: its replica holds this entry's backups too, so drop replicate_to here"
            )
            problems.append(Problem(f"{at}.replicate_to", why))
    return problems


def _plain_par(holder: Any, at: str) -> list[Problem]:
    """A PAR URL written in the stack file, where it is plain text (a secret config key is the place for it)."""
    given = holder.get("par_uri") if isinstance(holder, Mapping) else None
    if not (isinstance(given, Mapping) and "uri" in given):
        return []
    why = (
        "a PAR URL grants access to the bucket: keep it out of the stack file, in a secret config key "
        "(`pulumi config set --secret <key> <url>`), and name the key in uri_config_key"
    )
    return [Problem(f"{at}.par_uri.uri", why)]


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
