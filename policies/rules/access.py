"""Rules on access and secrets: PARs write-only on one object and short-lived, encrypted copies with a key,
confidential-looking names, vault backups covering the keys that must be recoverable, clone spend."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from components.confidential import confidential_hint
from policies.rules.base import (
    DYNAMIC,
    IBM_COPY,
    IBM_POLICY,
    IBM_SNAPSHOT,
    OCI_KEY_BACKUP,
    OCI_VAULT_BACKUP,
    PAR,
    Res,
    Rule,
    Violation,
    now,
    of_type,
    peek,
    unknown,
)

HOURS_PER_MONTH = 730


def _par(res: Res, config: Mapping[str, Any], stack: str) -> list[Violation]:
    if res.type != PAR:
        return []
    found = []
    if res.props.get("accessType") != "ObjectWrite":
        found.append(
            Violation(f"{res.name}: access type {res.props.get('accessType')}; a backup PAR is ObjectWrite", res.urn)
        )
    if not res.props.get("objectName") or res.props.get("bucketListingAction") not in (None, "Deny"):
        found.append(Violation(f"{res.name}: a backup PAR grants one object, by its full name", res.urn))
    expires = res.props.get("timeExpires")
    if not unknown(expires):
        try:
            when = datetime.datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        except ValueError:
            return [*found, Violation(f"{res.name}: timeExpires {expires!r} is not an RFC 3339 time", res.urn)]
        days = (when - now()).total_seconds() / 86400
        limit = float(config["max_days"])
        if days > limit:
            found.append(
                Violation(f"{res.name}: valid {days:.0f} more days; a backup PAR expires within {limit:g}", res.urn)
            )
    return found


def _encrypted_copies(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    snapshots = {s.urn: s for s in of_type(resources, IBM_SNAPSHOT)}
    found = []
    for copy in of_type(resources, IBM_COPY):
        if copy.props.get("encryption_key_crn"):
            continue
        for dep in copy.dependencies:
            source = snapshots.get(dep)
            if source is not None and source.props.get("encryption") == "user_managed":
                found.append(
                    Violation(
                        f"{copy.name}: its source {source.props.get('name')} is customer-managed encrypted; "
                        "name the destination key (encryption_key_crn)",
                        copy.urn,
                    )
                )
    return found


_NAME_FIELDS = ("displayName", "display_name", "name")


def _names(res: Res, config: Mapping[str, Any], stack: str) -> list[Violation]:
    if not (res.type.startswith(DYNAMIC) or res.type.startswith("oci:")):
        return []
    found = []
    for field in _NAME_FIELDS:
        value = res.props.get(field)
        hint = confidential_hint(value) if isinstance(value, str) else None
        if hint is not None:
            found.append(Violation(f"{res.name}: {field} looks like it holds {hint}", res.urn))
    return found


def _required_keys(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    required = config.get("required_keys") or {}
    keys: Mapping[str, Any] = required if isinstance(required, Mapping) else dict.fromkeys(required)
    # A key backup fails its create unless OCI backs the key up: one in the stack (or planned) covers its key.
    backed_up = {r.props.get("key_id") for r in of_type(resources, OCI_KEY_BACKUP)}
    found = []
    for key, vault in keys.items():
        if key in backed_up:
            continue
        backups = [
            r
            for r in of_type(resources, OCI_VAULT_BACKUP)
            if vault is not None and r.props.get("vault_id") == vault and r.props.get("include_keys") is not False
        ]
        if not backups:
            why = f"key {key} must be recoverable, but no vault or key backup of this stack covers it"
            found.append(Violation(why))
            continue
        verdicts = [_vault_backup_holds(backup, str(key)) for backup in backups]
        if any(v is None for v in verdicts):
            continue
        gaps = [v for v in verdicts if isinstance(v, Violation)]
        found.append(next((g for g in gaps if not g.pending), gaps[0]))
    return found


def _vault_backup_holds(backup: Res, key: str) -> Violation | None:
    """None when the vault backup holds the key (its output keys_in_backup, what the backup took); else why not, or
    a pending note while that output is not known (a preview, the offline plan, a backup taken before it existed)."""
    held, left_out = peek(backup.props, "keys_in_backup"), peek(backup.props, "keys_left_out")
    subject = f"key {key} must be recoverable"
    if unknown(held):
        return Violation(
            f"{subject}: whether vault backup {backup.name} holds it is known once the backup has run (its output "
            "keys_in_backup, after `pulumi up`); it cannot be judged yet",
            backup.urn,
            pending=True,
        )
    if any(_field(k, "id") == key for k in held or []):
        return None
    for k in left_out if isinstance(left_out, Sequence) else []:
        if _field(k, "id") == key:
            state = _field(k, "state") or _field(k, "protection_mode")
            return Violation(
                f"{subject}, but vault backup {backup.name} left it out ({state}: {_field(k, 'why')}): back it up "
                "when it is ENABLED or DISABLED (a new trigger), or list it under keys",
                backup.urn,
            )
    return Violation(
        f"{subject}, but vault backup {backup.name} does not hold it: the backup lists the keys of the vault's "
        "compartment and of key_compartments; add the key's compartment to key_compartments, or list it under keys",
        backup.urn,
    )


def _field(item: Any, name: str) -> Any:
    return peek(item, name) if isinstance(item, Mapping) else None


def _policy_clone_zones(policy: Res) -> int:
    """Clones an IBM backup policy keeps: max_snapshots x zones of each active plan, for each covered asset (at
    least one, when it names none)."""
    per_source = 0
    for plan in policy.props.get("plans") or []:
        clones = plan.get("clone_policy") if isinstance(plan, Mapping) and plan.get("active") is not False else None
        if isinstance(clones, Mapping):
            per_source += int(clones.get("max_snapshots") or 5) * len(clones.get("zones") or [])
    return per_source * max(len(policy.props.get("covers") or []), 1)


def _clone_spend(resources: Sequence[Res], config: Mapping[str, Any], stack: str) -> list[Violation]:
    zones = sum(len(s.props.get("clone_zones") or []) for s in of_type(resources, IBM_SNAPSHOT))
    zones += sum(_policy_clone_zones(p) for p in of_type(resources, IBM_POLICY))
    hours = zones * HOURS_PER_MONTH
    found = []
    if hours > int(config["max_clone_zone_hours_per_month"]):
        found.append(
            Violation(
                f"fast-restore clones cost {hours} clone-zone-hours a month, over the ceiling of "
                f"{config['max_clone_zone_hours_per_month']}"
            )
        )
    rate, ceiling = config.get("clone_zone_hourly_rate"), config.get("max_monthly_clone_cost")
    if rate is not None and ceiling is not None and hours * float(rate) > float(ceiling):
        found.append(Violation(f"fast-restore clones cost about {hours * float(rate):.2f} a month, over {ceiling}"))
    return found


RULES = [
    Rule(
        name="par-write-only-short-lived",
        description="A PAR made for vault backups writes one object only, and expires within max_days.",
        level="mandatory",
        scope="resource",
        check=_par,
        defaults={"max_days": 7},
        schema={"max_days": {"type": "number", "minimum": 0}},
    ),
    Rule(
        name="encrypted-copy-names-key",
        description="A copy of a customer-managed encrypted snapshot names the key that encrypts it.",
        level="mandatory",
        scope="stack",
        check=_encrypted_copies,
    ),
    Rule(
        name="no-confidential-names",
        description="Names and display names do not look like they carry confidential data.",
        level="mandatory",
        scope="resource",
        check=_names,
    ),
    Rule(
        name="required-keys-recoverable",
        description=(
            "Every key listed in required_keys is covered by a key backup, or held by its vault's backup with keys "
            "(the keys the backup recorded as held when it ran; a key left out is named with its state)."
        ),
        level="mandatory",
        scope="stack",
        check=_required_keys,
        defaults={"required_keys": {}},
        schema={
            "required_keys": {
                "type": "object",
                "description": "Key OCID -> its vault's OCID (or null when only a key backup covers it).",
                "additionalProperties": {"type": ["string", "null"]},
            }
        },
    ),
    Rule(
        name="clone-spend-ceiling",
        description=(
            "Fast-restore clones stay under a monthly ceiling (clone-zone-hours, and money with a rate); an IBM "
            "backup policy keeps max_snapshots clones in each zone of a plan for each asset it covers."
        ),
        level="advisory",
        scope="stack",
        check=_clone_spend,
        defaults={"max_clone_zone_hours_per_month": 4380},
        schema={
            "max_clone_zone_hours_per_month": {"type": "integer", "minimum": 0},
            "clone_zone_hourly_rate": {"type": "number", "minimum": 0},
            "max_monthly_clone_cost": {"type": "number", "minimum": 0},
        },
    ),
]
