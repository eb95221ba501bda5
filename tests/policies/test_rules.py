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
from policies.rules import Res, evaluate

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
PLAN_TYPE = "backup-topology:index:BootVolumeBackupPlan"
GROUP = DYN + "IbmSnapshotConsistencyGroup"
PAR_TYPE = "oci:ObjectStorage/preauthrequest:Preauthrequest"
VAULT = "ocid1.vault.oc1.iad.v.vault"


def as_res(r: PolicyResource) -> Res:
    """A PolicyResource as the offline plan hands it to the rules."""
    return Res(
        type=r.resource_type,
        name=r.name,
        urn=r.urn,
        props=r.props,
        parent=r.parent.urn if r.parent is not None else None,
        dependencies=tuple(d.urn for d in r.dependencies),
    )


def with_stack(r: PolicyResource, stack: str) -> PolicyResource:
    return resource(stack, r.resource_type, r.name, dict(r.props), parent=r.parent, deps=r.dependencies)


def test_the_pack_loads_with_every_rule() -> None:
    _PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", build_policies(), EnforcementLevel.ADVISORY, None, None, None, None, None, None, None
    )
    assert {name: p.enforcement_level for name, p in POLICIES.items()} == {
        "backup-retention-and-rpo": EnforcementLevel.MANDATORY,
        "external-backup-policy": EnforcementLevel.ADVISORY,
        "restore-drill-every-asset-class": EnforcementLevel.ADVISORY,
        "restore-drill-passed": EnforcementLevel.MANDATORY,
        "prod-cross-region-copy": EnforcementLevel.MANDATORY,
        "prod-cinder-backup-single-region": EnforcementLevel.ADVISORY,
        "one-policy-per-boot-volume": EnforcementLevel.MANDATORY,
        "par-write-only-short-lived": EnforcementLevel.MANDATORY,
        "encrypted-copy-names-key": EnforcementLevel.MANDATORY,
        "no-confidential-names": EnforcementLevel.MANDATORY,
        "required-keys-recoverable": EnforcementLevel.MANDATORY,
        "clone-spend-ceiling": EnforcementLevel.ADVISORY,
        "in-use-volume-consistency": EnforcementLevel.ADVISORY,
    }


# --- backup-retention-and-rpo and external-backup-policy -----------------------------------------


def policy(stack: str, *schedules: dict[str, Any], plan: PolicyResource | None = None) -> PolicyResource:
    return resource(stack, POLICY_TYPE, "db-policy", {"schedules": list(schedules)}, parent=plan)


def oracle_plan(stack: str, which: str | None, name: str = "apps") -> PolicyResource:
    """A BootVolumeBackupPlan as stack validations see it: its registered outputs are its props."""
    outputs = {"policy_id": "ocid1.volumebackuppolicy.oc1..x", "assignment_ids": {}, "manual_backup_ids": {}}
    return resource(stack, PLAN_TYPE, name, {**outputs, **({"oracle_policy": which} if which else {})})


def test_bronze_in_prod_misses_the_rpo() -> None:
    [message] = check_stack("backup-retention-and-rpo", [oracle_plan("prod", "bronze")])
    assert message.startswith("boot volume plan apps uses the Oracle-defined policy bronze:")
    assert "its most frequent schedule takes monthly incremental backups kept 365 d, every 744 h" in message
    assert "prod stacks need restore points at most 24 h apart, kept at least 30 d" in message


def test_bronze_meets_the_non_prod_thresholds() -> None:
    assert check_stack("backup-retention-and-rpo", [oracle_plan("dev", "bronze")]) == []


def test_gold_in_prod_keeps_its_daily_backups_too_short() -> None:
    [message] = check_stack("backup-retention-and-rpo", [oracle_plan("prod", "gold")])
    assert "restore points at most 24 h apart are kept only 7 d (daily incremental backups kept 7 d)" in message
    assert (
        "weekly incremental backups kept 28 d, monthly incremental backups kept 365 d and yearly full backups kept "
        "1825 d do not count, being more than 24 h apart"
    ) in message


def test_hourly_kept_a_day_and_yearly_kept_five_years_miss_the_prod_retention() -> None:
    hourly_and_yearly = policy("prod", schedule("ONE_HOUR", 1), schedule("ONE_YEAR", 5 * 365))
    assert check_stack("backup-retention-and-rpo", [hourly_and_yearly]) == [
        "backup policy db-policy: restore points at most 24 h apart are kept only 1 d (hourly incremental backups "
        "kept 1 d); yearly incremental backups kept 1825 d do not count, being more than 24 h apart; prod stacks "
        "need restore points at most 24 h apart, kept at least 30 d: keep the hourly backups at least 30 d, or add "
        "a schedule of period at most 24 h kept at least 30 d"
    ]


def test_the_longest_retention_among_frequent_schedules_counts() -> None:
    hourly_and_daily = policy("prod", schedule("ONE_HOUR", 2), schedule("ONE_DAY", 30), schedule("ONE_YEAR", 2555))
    assert check_stack("backup-retention-and-rpo", [hourly_and_daily]) == []


def test_weekly_backups_miss_the_prod_rpo_and_meet_the_non_prod_one() -> None:
    [message] = check_stack("backup-retention-and-rpo", [policy("prod", schedule("ONE_WEEK", 35))])
    assert "its most frequent schedule takes weekly incremental backups kept 35 d, every 168 h" in message
    assert check_stack("backup-retention-and-rpo", [policy("dev", schedule("ONE_WEEK", 14))]) == []


def test_thresholds_come_from_the_config() -> None:
    daily_for_a_year = policy("prod", schedule("ONE_DAY", 365))
    assert check_stack("backup-retention-and-rpo", [daily_for_a_year]) == []
    [message] = check_stack("backup-retention-and-rpo", [daily_for_a_year], prod_min_retention_days=400)
    assert "kept only 365 d" in message
    assert "kept at least 400 d" in message


def test_a_policy_given_by_ocid_cannot_be_judged_offline() -> None:
    plan = oracle_plan("prod", None, name="tools")
    by_ocid = resource(
        "prod",
        ASSIGNMENT,
        "tools-a",
        {"assetId": "ocid1.bootvolume.oc1.iad.a", "policyId": "ocid1.volumebackuppolicy.oc1.iad.shared"},
        parent=plan,
    )
    assert check_stack("backup-retention-and-rpo", [plan, by_ocid]) == []
    [message] = check_stack("external-backup-policy", [plan, by_ocid])
    assert message.startswith(
        "boot volume plan tools assigns policy ocid1.volumebackuppolicy.oc1.iad.shared, which is not made in this "
        "stack, to ocid1.bootvolume.oc1.iad.a: its RPO and retention cannot be judged offline"
    )
    assert POLICIES["external-backup-policy"].enforcement_level == EnforcementLevel.ADVISORY


@pytest.mark.parametrize("which", ["bronze", "custom"])
def test_a_policy_of_the_stack_is_not_external(which: str) -> None:
    plan = oracle_plan("dev", "bronze" if which == "bronze" else None)
    made = [policy("dev", schedule("ONE_DAY", 7), plan=plan)] if which == "custom" else []
    assignment = resource(
        "dev", ASSIGNMENT, "apps-a", {"assetId": "ocid1.bootvolume.oc1.iad.a", "policyId": "x"}, parent=plan
    )
    assert check_stack("external-backup-policy", [plan, *made, assignment]) == []


# --- prod-cross-region-copy and prod-cinder-backup-single-region ---------------------------------


def test_prod_needs_a_cross_region_copy() -> None:
    plan = resource("prod", PLAN_TYPE, "web", {})
    local = resource("prod", POLICY_TYPE, "web-policy", {"schedules": []}, parent=plan)
    assignment = resource("prod", ASSIGNMENT, "web-a", {"assetId": "ocid1.bootvolume.oc1.iad.a"}, parent=plan)
    [message] = check_stack("prod-cross-region-copy", [plan, local, assignment])
    assert "has no cross-region copy" in message
    copied = resource("prod", POLICY_TYPE, "web-policy", {"destinationRegion": "us-phoenix-1"}, parent=plan)
    assert check_stack("prod-cross-region-copy", [plan, copied, assignment]) == []
    dev_plan = resource("dev", PLAN_TYPE, "web", {})
    dev_assignment = resource("dev", ASSIGNMENT, "web-a", {"assetId": "x"}, parent=dev_plan)
    assert check_stack("prod-cross-region-copy", [dev_plan, dev_assignment]) == []


def test_an_oracle_defined_policy_copies_to_no_other_region() -> None:
    plan = oracle_plan("prod", "gold")
    assignment = resource("prod", ASSIGNMENT, "apps-a", {"assetId": "ocid1.bootvolume.oc1.iad.a"}, parent=plan)
    [message] = check_stack("prod-cross-region-copy", [plan, assignment])
    assert "the Oracle-defined policy gold copies to no other region" in message


def test_prod_ibm_snapshots_need_a_copy() -> None:
    snapshot = resource("prod", DYN + "IbmSnapshot", "db", {"name": "db-1", "source_volume_id": "v"})
    [message] = check_stack("prod-cross-region-copy", [snapshot])
    assert message.startswith("IBM snapshot db-1 of volume v has no cross-region copy")
    copy = resource("prod", DYN + "IbmSnapshotCopy", "db-dr", {}, deps=[snapshot])
    assert check_stack("prod-cross-region-copy", [snapshot, copy]) == []


def consistency_group(members: int = 2) -> tuple[PolicyResource, PolicyResource]:
    component = resource("prod", "backup-topology:index:SnapshotConsistencyGroup", "orders-app", {})
    volumes = [f"r006-volume-{i}" for i in range(members)]
    group = resource(
        "prod", GROUP, "orders-app-group", {"name": "orders-app-v1", "source_volume_ids": volumes}, parent=component
    )
    return component, group


def member_copies(group: PolicyResource, count: int) -> list[PolicyResource]:
    return [
        resource("prod", DYN + "IbmSnapshotCopy", f"orders-app-dr-copy-{i}", {}, deps=[group]) for i in range(count)
    ]


def test_a_consistency_group_without_copies_is_flagged() -> None:
    component, group = consistency_group()
    [message] = check_stack("prod-cross-region-copy", [component, group])
    assert message.startswith(
        "IBM consistency group orders-app-v1 (orders-app-group) has copies in another region of 0 of its 2 snapshots"
    )
    assert "consistency_group: orders-app" in message
    assert 'waivers: {"orders-app": "<why>"}' in message


def test_a_consistency_group_with_a_copy_of_one_member_of_two_is_flagged() -> None:
    component, group = consistency_group()
    [message] = check_stack("prod-cross-region-copy", [component, group, *member_copies(group, 1)])
    assert "has copies in another region of 1 of its 2 snapshots" in message


def test_a_consistency_group_with_a_copy_of_each_member_passes() -> None:
    component, group = consistency_group()
    assert check_stack("prod-cross-region-copy", [component, group, *member_copies(group, 2)]) == []


@pytest.mark.parametrize("name", ["orders-app", "orders-app-group"])
def test_a_waiver_with_a_reason_turns_the_group_finding_off_everywhere(name: str) -> None:
    component, group = consistency_group()
    waivers = {name: "a scratch copy of orders-db; rebuilt from it in any region"}
    assert check_stack("prod-cross-region-copy", [component, group], waivers=waivers) == []
    findings = evaluate([as_res(component), as_res(group)], "prod", {"prod-cross-region-copy": {"waivers": waivers}})
    assert [f for f in findings if f.policy == "prod-cross-region-copy"] == []


def test_a_waiver_without_a_reason_does_not_count() -> None:
    component, group = consistency_group()
    assert len(check_stack("prod-cross-region-copy", [component, group], waivers={"orders-app": " "})) == 1


def vault_backup(**props: Any) -> PolicyResource:
    component = resource("prod", "backup-topology:index:VaultBackup", "payments-vault", {})
    location = {"namespace": "acmeprod", "bucket": "vault-backups", "object_name": "payments/v1/vault"}
    base = {"vault_id": VAULT, "connection": {"region": "us-ashburn-1"}, "location": location}
    return resource("prod", DYN + "OciVaultBackup", "payments-vault-vault", {**base, **props}, parent=component)


def replication(destination: str) -> PolicyResource:
    props = {
        "bucket": "vault-backups",
        "namespace": "acmeprod",
        "destinationBucketName": "vault-backups-dr",
        "destinationRegionName": destination,
        "name": "vault-backups-dr",
    }
    return resource("prod", "oci:ObjectStorage/replicationPolicy:ReplicationPolicy", "vault-dr", props)


def test_a_vault_backup_in_a_bucket_without_replication_is_flagged() -> None:
    [message] = check_stack("prod-cross-region-copy", [vault_backup()])
    assert message.startswith(
        f"OCI vault backup payments-vault-vault of {VAULT} is written to bucket acmeprod/vault-backups in "
        "us-ashburn-1 only: add an oci.objectstorage.ReplicationPolicy from that bucket to another region"
    )


def test_a_vault_backup_in_a_bucket_replicated_to_another_region_passes() -> None:
    assert check_stack("prod-cross-region-copy", [vault_backup(), replication("us-phoenix-1")]) == []


def test_a_replica_in_the_vault_region_does_not_count() -> None:
    assert len(check_stack("prod-cross-region-copy", [vault_backup(), replication("us-ashburn-1")])) == 1


def test_a_key_backup_through_a_stack_par_is_judged_by_the_par_bucket() -> None:
    par = resource("prod", PAR_TYPE, "payments-key-par", {"namespace": "acmeprod", "bucket": "vault-backups"})
    key_backup = resource(
        "prod",
        DYN + "OciKeyBackup",
        "payments-key",
        {"key_id": "ocid1.key.oc1.iad.v.k1", "vault_id": VAULT, "connection": {"region": "us-ashburn-1"}},
        deps=[par],
    )
    [message] = check_stack("prod-cross-region-copy", [par, key_backup])
    assert "OCI key backup payments-key of key ocid1.key.oc1.iad.v.k1 is written to bucket acmeprod/vault-backups" in (
        message
    )
    assert check_stack("prod-cross-region-copy", [par, key_backup, replication("us-phoenix-1")]) == []


def test_a_vault_backup_through_a_par_url_from_elsewhere_is_flagged() -> None:
    [message] = check_stack("prod-cross-region-copy", [vault_backup(location=None, par_uri="[secret]")])
    assert "is written through a PAR URL made outside this stack" in message


def test_a_cinder_backup_in_prod_is_an_advisory_finding_only() -> None:
    backup = resource(
        "prod",
        DYN + "CinderBackup",
        "build-volume-backup",
        {"name": "build-volume-v1", "volume_id": "6b3f", "connection": {"region_name": "RegionOne"}},
    )
    [message] = check_stack("prod-cinder-backup-single-region", [backup])
    assert message.startswith(
        "Cinder backup build-volume-v1 of volume 6b3f (build-volume-backup) stays in RegionOne: "
        "Cinder cannot copy a backup to another region"
    )
    assert [(f.policy, f.level) for f in evaluate([as_res(backup)], "prod")] == [
        ("prod-cinder-backup-single-region", "advisory"),
        ("restore-drill-every-asset-class", "advisory"),  # and it is not drilled either
    ]
    assert check_stack("prod-cinder-backup-single-region", [with_stack(backup, "dev")]) == []


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


def test_evaluate_judges_a_par_expiry_against_the_time_it_is_given() -> None:
    par = Res(
        type="oci:ObjectStorage/preauthrequest:Preauthrequest",
        name="par",
        urn="urn:pulumi:dev::p::oci:ObjectStorage/preauthrequest:Preauthrequest::par",
        props={"accessType": "ObjectWrite", "objectName": "o", "timeExpires": "2000-01-09T00:00:00Z"},
    )
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    [finding] = evaluate([par], "dev", at=start)
    assert (finding.policy, finding.message) == (
        "par-write-only-short-lived",
        "par: valid 8 more days; a backup PAR expires within 7",
    )
    assert evaluate([par], "dev", at=start + datetime.timedelta(days=1)) == []
    assert evaluate([par], "dev") == []  # by the machine's clock it expired long ago


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


REQUIRED = "ocid1.key.oc1.iad.v.k1"
REQUIRED_VAULT = "ocid1.vault.oc1.iad.v.vault"


def required_vault_backup(**outputs: Any) -> PolicyResource:
    return resource("prod", DYN + "OciVaultBackup", "vb", {"vault_id": REQUIRED_VAULT, "include_keys": True, **outputs})


def test_a_required_key_is_covered_by_a_key_backup_or_held_by_its_vaults_backup() -> None:
    config = {"required_keys": {REQUIRED: REQUIRED_VAULT}}
    [message] = check_stack("required-keys-recoverable", [], **config)
    assert message == f"key {REQUIRED} must be recoverable, but no vault or key backup of this stack covers it"
    held = required_vault_backup(keys_in_backup=[{"id": REQUIRED, "state": "ENABLED"}], keys_left_out=[])
    assert check_stack("required-keys-recoverable", [held], **config) == []
    key_backup = resource("prod", DYN + "OciKeyBackup", "kb", {"key_id": REQUIRED, "vault_id": REQUIRED_VAULT})
    assert check_stack("required-keys-recoverable", [key_backup], required_keys={REQUIRED: None}) == []
    metadata_only = resource("prod", DYN + "OciVaultBackup", "vb", {"vault_id": REQUIRED_VAULT, "include_keys": False})
    assert check_stack("required-keys-recoverable", [metadata_only], **config) != []


def test_a_required_key_the_vault_backup_left_out_is_a_violation_naming_its_state() -> None:
    left = {"id": REQUIRED, "state": "PENDING_DELETION", "why": "PENDING_DELETION: only ENABLED or DISABLED keys ..."}
    backup = required_vault_backup(keys_in_backup=[{"id": "ocid1.key.oc1.iad.v.other"}], keys_left_out=[left])
    [message] = check_stack("required-keys-recoverable", [backup], required_keys={REQUIRED: REQUIRED_VAULT})
    assert message.startswith(f"key {REQUIRED} must be recoverable, but vault backup vb left it out (PENDING_DELETION:")
    unseen = required_vault_backup(keys_in_backup=[], keys_left_out=[])
    [message] = check_stack("required-keys-recoverable", [unseen], required_keys={REQUIRED: REQUIRED_VAULT})
    assert "does not hold it" in message
    assert "key_compartments" in message


def test_a_required_key_whose_vault_backup_has_not_run_cannot_be_judged_yet() -> None:
    # Before an `up` the backup's outputs are unknown: neither a pass nor a mandatory failure, but a note.
    found = [
        (f.level, f.message)
        for f in evaluate(
            [as_res(required_vault_backup())],
            "prod",
            {"required-keys-recoverable": {"required_keys": {REQUIRED: REQUIRED_VAULT}}},
        )
        if f.policy == "required-keys-recoverable"
    ]
    [(level, message)] = found
    assert level == "advisory"
    assert "whether vault backup vb holds it is known once the backup has run" in message
    assert "it cannot be judged yet" in message


def test_clone_spend_ceiling() -> None:
    snapshot = resource("prod", DYN + "IbmSnapshot", "db", {"clone_zones": ["z1", "z2", "z3"]})
    assert check_stack("clone-spend-ceiling", [snapshot]) == []
    [message] = check_stack("clone-spend-ceiling", [snapshot], max_clone_zone_hours_per_month=730)
    assert "2190 clone-zone-hours" in message
    [money] = check_stack("clone-spend-ceiling", [snapshot], clone_zone_hourly_rate=0.5, max_monthly_clone_cost=100)
    assert "1095.00" in money


# --- IBM backup policies ---------------------------------------------------------------------------------

IBM_POLICY = DYN + "IbmBackupPolicy"


def ibm_plan(name: str, cron: str, days: float, **extra: Any) -> dict[str, Any]:
    """A plan as the engine holds it (numbers are floats)."""
    return {"name": name, "cron_spec": cron, "active": True, "deletion_trigger": {"delete_after": days}, **extra}


def ibm_policy(stack: str, *plans: dict[str, Any], **props: Any) -> PolicyResource:
    return resource(stack, IBM_POLICY, "vols-policy", {"name": "vols", "plans": list(plans), **props})


def test_an_ibm_policy_is_judged_by_its_active_plans() -> None:
    short = ibm_policy("prod", ibm_plan("daily", "0 2 * * *", 14.0))
    [message] = check_stack("backup-retention-and-rpo", [short])
    assert message.startswith("IBM backup policy vols (vols-policy): restore points at most 24 h apart are kept only")
    assert check_stack("backup-retention-and-rpo", [ibm_policy("prod", ibm_plan("daily", "0 2 * * *", 30.0))]) == []
    hourly_off = ibm_plan("hourly", "0 * * * *", 30.0, active=False)
    [message] = check_stack(
        "backup-retention-and-rpo", [ibm_policy("prod", hourly_off, ibm_plan("w", "0 3 * * 0", 60))]
    )
    assert "its most frequent schedule takes plan w (cron 0 3 * * 0, up to 168 h apart) kept 60 d" in message


def test_a_maximum_count_shortens_an_ibm_plans_retention() -> None:
    counted = ibm_plan("daily", "0 2 * * *", 60.0)
    counted["deletion_trigger"]["delete_over_count"] = 10.0
    [message] = check_stack("backup-retention-and-rpo", [ibm_policy("prod", counted)])
    assert "kept only 10 d" in message


def test_a_prod_ibm_policy_copies_to_another_region_unless_waived() -> None:
    alone = ibm_policy("prod", ibm_plan("daily", "0 2 * * *", 30.0))
    [message] = check_stack("prod-cross-region-copy", [alone])
    assert message.startswith("IBM backup policy vols (vols-policy) copies no backup to another region")
    assert check_stack("prod-cross-region-copy", [alone], waivers={"vols-policy": "copied by the storage team"}) == []
    copied = ibm_plan("daily", "0 2 * * *", 30.0, remote_region_policies=[{"region": "us-east"}])
    assert check_stack("prod-cross-region-copy", [ibm_policy("prod", copied)]) == []
    inactive = ibm_plan("daily", "0 2 * * *", 30.0, remote_region_policies=[{"region": "us-east"}], active=False)
    assert check_stack("prod-cross-region-copy", [ibm_policy("prod", inactive)]) != []


def test_an_ibm_policys_clones_count_for_each_covered_volume() -> None:
    clones = {"zones": ["us-south-1", "us-south-2"], "max_snapshots": 3.0}
    policy = ibm_policy("prod", ibm_plan("daily", "0 2 * * *", 30.0, clone_policy=clones), covers=["a", "b"])
    [message] = check_stack("clone-spend-ceiling", [policy], max_clone_zone_hours_per_month=730)
    assert "8760 clone-zone-hours" in message  # 3 snapshots x 2 zones x 2 volumes x 730 h


def test_an_ibm_policy_backs_up_ibm_block_volumes_which_a_prod_stack_drills() -> None:
    policy = ibm_policy("prod", ibm_plan("daily", "0 2 * * *", 30.0))
    [message] = check_stack("restore-drill-every-asset-class", [policy])
    assert message.startswith("IBM block volumes are backed up (1 resource) but never restore-drilled")


# --- block volumes and volume groups ------------------------------------------------------------------------

GROUP_PLAN = "backup-topology:index:VolumeGroupBackupPlan"
VOLUME_GROUP = "oci:Core/volumeGroup:VolumeGroup"
GROUP_OCID = "ocid1.volumegroup.oc1.iad.abuwcljrledger"


def test_a_prod_volume_groups_policy_must_copy_to_another_region() -> None:
    plan = resource("prod", GROUP_PLAN, "ledger", {})
    group = resource("prod", VOLUME_GROUP, "ledger-group", {"volumeIds": ["ocid1.volume.oc1.iad.a"]}, parent=plan)
    local = resource("prod", POLICY_TYPE, "ledger-policy", {"schedules": []}, parent=plan)
    assignment = resource(
        "prod", ASSIGNMENT, "ledger-assignment", {"assetId": GROUP_OCID}, parent=plan, deps=[group, local]
    )
    [message] = check_stack("prod-cross-region-copy", [plan, group, local, assignment])
    assert message.startswith(f"volume group {GROUP_OCID} (ledger-assignment) has no cross-region copy: its policy")
    copied = resource("prod", POLICY_TYPE, "ledger-policy", {"destinationRegion": "us-phoenix-1"}, parent=plan)
    assert check_stack("prod-cross-region-copy", [plan, group, copied, assignment]) == []


def test_a_volume_of_a_group_with_a_policy_has_no_assignment_of_its_own() -> None:
    plan = resource("dev", GROUP_PLAN, "ledger", {})
    group = resource("dev", VOLUME_GROUP, "ledger-group", {"volumeIds": ["ocid1.volume.oc1.iad.a"]}, parent=plan)
    managed = resource("dev", ASSIGNMENT, "ledger-assignment", {"assetId": GROUP_OCID}, parent=plan, deps=[group])
    own = resource("dev", ASSIGNMENT, "data-a", {"assetId": "ocid1.volume.oc1.iad.a"})
    assert check_stack("one-policy-per-boot-volume", [plan, group, managed]) == []
    [message] = check_stack("one-policy-per-boot-volume", [plan, group, managed, own])
    assert message == (
        "volume ocid1.volume.oc1.iad.a is in volume group ledger-group, whose policy (ledger-assignment) OCI applies "
        "to it, and data-a assigns it another: leave it out of one of them"
    )
    two = resource("dev", ASSIGNMENT, "data-b", {"assetId": "ocid1.volume.oc1.iad.b"})
    again = resource("dev", ASSIGNMENT, "data-c", {"assetId": "ocid1.volume.oc1.iad.b"})
    [message] = check_stack("one-policy-per-boot-volume", [two, again])
    assert message.startswith("block volume ocid1.volume.oc1.iad.b is assigned by data-b and data-c")


def test_a_volume_group_plans_policy_is_judged_for_retention_and_rpo() -> None:
    plan = resource("prod", GROUP_PLAN, "ledger", {})
    short = resource("prod", POLICY_TYPE, "ledger-policy", {"schedules": [schedule("ONE_DAY", 7)]}, parent=plan)
    [message] = check_stack("backup-retention-and-rpo", [plan, short])
    assert message.startswith("backup policy ledger-policy: restore points at most 24 h apart are kept only 7 d")
