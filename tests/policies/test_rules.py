"""Each rule through the CrossGuard pack, violating and passing, with ResourceValidationArgs / StackValidationArgs."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.pack import PACK_NAME, build_policies

POLICIES = {p.name: p for p in build_policies()}
DYN = "pulumi-python:dynamic/backup-topology:"


def urn(stack: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::backup-topology::{type_}::{name}"


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def check_resource(policy: str, type_: str, props: dict[str, Any], stack: str = "prod", **config: Any) -> list[str]:
    rule = POLICIES[policy]
    assert isinstance(rule, ResourceValidationPolicy)
    args = ResourceValidationArgs(type_, props, urn(stack, type_, "r"), "r", _opts(), None, config)
    found: list[str] = []
    validations = rule.validate if isinstance(rule.validate, list) else [rule.validate]
    for validate in validations:
        validate(args, _collector(found))
    return found


def _collector(found: list[str]) -> Any:
    def report(message: str, _urn: str | None = None) -> None:
        found.append(message)

    return report


def resource(
    stack: str, type_: str, name: str, props: dict[str, Any], parent: Any = None, deps: Any = ()
) -> PolicyResource:
    return PolicyResource(type_, props, urn(stack, type_, name), name, _opts(), None, parent, list(deps), {})


def check_stack(policy: str, resources: list[PolicyResource], **config: Any) -> list[str]:
    rule = POLICIES[policy]
    assert isinstance(rule, StackValidationPolicy)
    found: list[str] = []
    rule.validate(StackValidationArgs(resources, config), _collector(found))
    return found


def schedule(period: str, days: int) -> dict[str, Any]:
    return {"backupType": "INCREMENTAL", "period": period, "retentionSeconds": days * 86400}


POLICY_TYPE = "oci:Core/volumeBackupPolicy:VolumeBackupPolicy"
ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"


def test_the_pack_loads_with_every_rule() -> None:
    _PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", build_policies(), EnforcementLevel.ADVISORY, None, None, None, None, None, None, None
    )
    assert set(POLICIES) == {
        "backup-retention-and-rpo",
        "prod-cross-region-copy",
        "one-policy-per-boot-volume",
        "par-write-only-short-lived",
        "encrypted-copy-names-key",
        "no-confidential-names",
        "required-keys-recoverable",
        "clone-spend-ceiling",
    }
    assert POLICIES["clone-spend-ceiling"].enforcement_level == EnforcementLevel.ADVISORY
    assert POLICIES["prod-cross-region-copy"].enforcement_level == EnforcementLevel.MANDATORY


def test_retention_floor_and_rpo_ceiling_per_environment() -> None:
    weekly_short = {"schedules": [schedule("ONE_WEEK", 14)]}
    found = check_resource("backup-retention-and-rpo", POLICY_TYPE, weekly_short, "prod")
    assert found == [
        "r: a backup every 168 h; prod stacks need one at least every 24 h",
        "r: backups kept at most 14 d; prod stacks keep one at least 30 d",
    ]
    assert check_resource("backup-retention-and-rpo", POLICY_TYPE, weekly_short, "dev") == []
    good = {"schedules": [schedule("ONE_DAY", 7), schedule("ONE_MONTH", 365)]}
    assert check_resource("backup-retention-and-rpo", POLICY_TYPE, good, "prod") == []
    assert check_resource("backup-retention-and-rpo", POLICY_TYPE, good, "prod", prod_min_retention_days=400) == [
        "r: backups kept at most 365 d; prod stacks keep one at least 400 d"
    ]


def test_prod_needs_a_cross_region_copy() -> None:
    plan = resource("prod", "backup-topology:index:BootVolumeBackupPlan", "web", {})
    local = resource("prod", POLICY_TYPE, "web-policy", {"schedules": []}, parent=plan)
    assignment = resource("prod", ASSIGNMENT, "web-a", {"assetId": "ocid1.bootvolume.oc1.iad.a"}, parent=plan)
    [message] = check_stack("prod-cross-region-copy", [plan, local, assignment])
    assert "has no cross-region copy" in message
    copied = resource("prod", POLICY_TYPE, "web-policy", {"destinationRegion": "us-phoenix-1"}, parent=plan)
    assert check_stack("prod-cross-region-copy", [plan, copied, assignment]) == []
    dev_plan = resource("dev", "backup-topology:index:BootVolumeBackupPlan", "web", {})
    dev_assignment = resource("dev", ASSIGNMENT, "web-a", {"assetId": "x"}, parent=dev_plan)
    assert check_stack("prod-cross-region-copy", [dev_plan, dev_assignment]) == []


def test_prod_ibm_snapshots_need_a_copy() -> None:
    snapshot = resource("prod", DYN + "IbmSnapshot", "db", {"name": "db-1", "source_volume_id": "v"})
    [message] = check_stack("prod-cross-region-copy", [snapshot])
    assert message.startswith("IBM snapshot db-1 of volume v has no cross-region copy")
    copy = resource("prod", DYN + "IbmSnapshotCopy", "db-dr", {}, deps=[snapshot])
    assert check_stack("prod-cross-region-copy", [snapshot, copy]) == []


def test_one_policy_per_boot_volume() -> None:
    a = resource("dev", ASSIGNMENT, "a", {"assetId": "ocid1.bootvolume.oc1.iad.x"})
    b = resource("dev", ASSIGNMENT, "b", {"assetId": "ocid1.bootvolume.oc1.iad.x"})
    assert check_stack("one-policy-per-boot-volume", [a]) == []
    [message] = check_stack("one-policy-per-boot-volume", [a, b])
    assert "is assigned by a and b" in message


def _in_days(days: int) -> str:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"accessType": "ObjectWrite", "objectName": "o", "timeExpires": _in_days(1)}, []),
        ({"accessType": "ObjectWrite", "objectName": "o", "timeExpires": _in_days(365)}, ["valid 365 more days"]),
        ({"accessType": "AnyObjectReadWrite", "objectName": "o", "timeExpires": _in_days(1)}, ["access type"]),
        ({"accessType": "ObjectWrite", "timeExpires": _in_days(1)}, ["grants one object"]),
    ],
)
def test_par_is_write_only_on_one_object_and_short_lived(props: dict[str, Any], expected: list[str]) -> None:
    found = check_resource("par-write-only-short-lived", "oci:ObjectStorage/preauthrequest:Preauthrequest", props)
    assert len(found) == len(expected)
    for message, part in zip(found, expected, strict=True):
        assert part in message


def test_a_copy_of_an_encrypted_source_names_a_key() -> None:
    source = resource("prod", DYN + "IbmSnapshot", "db", {"name": "db-1", "encryption": "user_managed"})
    copy = resource("prod", DYN + "IbmSnapshotCopy", "dr", {}, deps=[source])
    [message] = check_stack("encrypted-copy-names-key", [source, copy])
    assert "customer-managed encrypted" in message
    keyed = resource("prod", DYN + "IbmSnapshotCopy", "dr", {"encryption_key_crn": "crn:v1:k"}, deps=[source])
    assert check_stack("encrypted-copy-names-key", [source, keyed]) == []


def test_names_without_confidential_data() -> None:
    found = check_resource("no-confidential-names", POLICY_TYPE, {"displayName": "backups of jane@example.com"})
    assert found == ["r: displayName looks like it holds an e-mail address"]
    assert check_resource("no-confidential-names", POLICY_TYPE, {"displayName": "web-tier-backups"}) == []


def test_required_keys_are_covered() -> None:
    key = "ocid1.key.oc1.iad.v.k1"
    vault = "ocid1.vault.oc1.iad.v.vault"
    vault_backup = resource("prod", DYN + "OciVaultBackup", "vb", {"vault_id": vault, "include_keys": True})
    [message] = check_stack("required-keys-recoverable", [], required_keys={key: vault})
    assert key in message
    assert check_stack("required-keys-recoverable", [vault_backup], required_keys={key: vault}) == []
    metadata_only = resource("prod", DYN + "OciVaultBackup", "vb", {"vault_id": vault, "include_keys": False})
    assert check_stack("required-keys-recoverable", [metadata_only], required_keys={key: vault}) != []
    key_backup = resource("prod", DYN + "OciKeyBackup", "kb", {"key_id": key, "vault_id": vault})
    assert check_stack("required-keys-recoverable", [key_backup], required_keys={key: None}) == []


def test_clone_spend_ceiling() -> None:
    snapshot = resource("prod", DYN + "IbmSnapshot", "db", {"clone_zones": ["z1", "z2", "z3"]})
    assert check_stack("clone-spend-ceiling", [snapshot]) == []
    [message] = check_stack("clone-spend-ceiling", [snapshot], max_clone_zone_hours_per_month=730)
    assert "2190 clone-zone-hours" in message
    [money] = check_stack("clone-spend-ceiling", [snapshot], clone_zone_hourly_rate=0.5, max_monthly_clone_cost=100)
    assert "1095.00" in money
