"""The pack as the engine drives it: AnalyzeStack over the state the engine keeps for each resource.

The engine hands stack policies each resource's outputs: for a component, what it registered with
`register_outputs`; in a preview, values not known yet are the engine's unknown sentinels.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.pack import PACK_NAME, build_policies

DYN = "pulumi-python:dynamic/backup-topology:"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
STACK_URN = "urn:pulumi:prod::backup-topology::pulumi:pulumi:Stack::backup-topology-prod"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::backup-topology::{type_}::{name}"


def state(type_: str, name: str, props: dict[str, Any], parent: str = STACK_URN, deps: tuple[str, ...] = ()) -> Any:
    properties = struct_pb2.Struct()
    json_format.ParseDict(props, properties)
    return proto.AnalyzerResource(
        type=type_, name=name, urn=urn(type_, name), properties=properties, parent=parent, dependencies=list(deps)
    )


def analyze(resources: list[Any]) -> list[tuple[str, int, str]]:
    """(policy, enforcement level, message) of every diagnostic AnalyzeStack returns (a message starts with the
    policy's description)."""
    servicer = _PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", build_policies(), EnforcementLevel.ADVISORY, None, None, None, None, None, None, None
    )
    response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)
    return [(d.policyName, d.enforcementLevel, d.message) for d in response.diagnostics]


PLAN = "backup-topology:index:BootVolumeBackupPlan"
POLICY = "oci:Core/volumeBackupPolicy:VolumeBackupPolicy"
ASSIGNMENT = "oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment"


def test_stack_policies_read_the_oracle_policy_a_plan_registered() -> None:
    plan = state(PLAN, "apps", {"oracle_policy": "bronze", "policy_id": UNKNOWN_STRING, "assignment_ids": {}})
    [(_, level, message)] = [d for d in analyze([plan]) if d[0] == "backup-retention-and-rpo"]
    assert level == proto.EnforcementLevel.Value("MANDATORY")
    assert "boot volume plan apps uses the Oracle-defined policy bronze:" in message


def test_a_first_preview_is_judged_although_ids_are_unknown() -> None:
    plan = state(PLAN, "web", {"policy_id": UNKNOWN_STRING, "assignment_ids": UNKNOWN_OBJECT, "consistency": "crash"})
    schedules = [{"backupType": "INCREMENTAL", "period": "ONE_DAY", "retentionSeconds": 14 * 86400}]
    policy = state(POLICY, "web-policy", {"schedules": schedules, "destinationRegion": "us-phoenix-1"}, plan.urn)
    assignment = state(
        ASSIGNMENT,
        "web-1",
        {"assetId": "ocid1.bootvolume.oc1.iad.a", "policyId": UNKNOWN_STRING},
        plan.urn,
        (policy.urn,),
    )
    group = state(
        DYN + "IbmSnapshotConsistencyGroup",
        "orders-app-group",
        {"name": "orders-app-v1", "source_volume_ids": ["r006-a", "r006-b"], "snapshot_ids": UNKNOWN_ARRAY},
    )
    copies = [
        state(
            DYN + "IbmSnapshotCopy",
            f"orders-app-dr-copy-{i}",
            {"source_snapshot_id": UNKNOWN_STRING},
            deps=(group.urn,),
        )
        for i in range(2)
    ]
    found = analyze([plan, policy, assignment, group, *copies])
    assert not [d for d in found if "can't run policy" in d[2]]
    found = [d for d in found if d[0] != "restore-drill-every-asset-class"]  # advisory: nothing is drilled here
    assert [d[0] for d in found] == ["backup-retention-and-rpo"]
    assert "kept only 14 d (daily incremental backups kept 14 d)" in found[0][2]


VAULT_BACKUP = DYN + "OciVaultBackup"
KEY = "ocid1.key.oc1.iad.v.k1"
VAULT = "ocid1.vault.oc1.iad.v.vault"
REQUIRED = {"required-keys-recoverable": {"required_keys": {KEY: VAULT}}}


def analyze_with(resources: list[Any], config: dict[str, Any]) -> list[tuple[str, int, str]]:
    """As `analyze`, with the pack configured as `--policy-pack-config` configures it."""
    servicer = _PolicyAnalyzerServicer(
        PACK_NAME, "0.0.1", build_policies(), EnforcementLevel.ADVISORY, None, None, None, None, None, None, None
    )
    request = proto.ConfigureAnalyzerRequest()
    for name, settings in config.items():
        request.policyConfig[name].enforcementLevel = proto.EnforcementLevel.Value("MANDATORY")
        json_format.ParseDict(settings, request.policyConfig[name].properties)
    servicer.Configure(request, None)
    response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)
    return [(d.policyName, d.enforcementLevel, d.message) for d in response.diagnostics]


def test_a_preview_of_a_vault_backup_says_a_required_key_cannot_be_judged_yet() -> None:
    backup = state(
        VAULT_BACKUP,
        "payments-vault",
        {"vault_id": VAULT, "include_keys": True, "keys_in_backup": UNKNOWN_ARRAY, "keys_left_out": UNKNOWN_ARRAY},
    )
    [(_, level, message)] = [d for d in analyze_with([backup], REQUIRED) if d[0] == "required-keys-recoverable"]
    assert level == proto.EnforcementLevel.Value("ADVISORY")
    assert "during preview" in message
    assert f"key {KEY} must be recoverable: whether vault backup payments-vault holds it is known once" in message


def test_after_an_up_a_required_key_left_out_of_the_vault_backup_is_mandatory() -> None:
    left = [{"id": KEY, "name": "k1", "state": "DELETED", "protection_mode": "HSM", "why": "DELETED: ..."}]
    backup = state(
        VAULT_BACKUP,
        "payments-vault",
        {"vault_id": VAULT, "include_keys": True, "keys_in_backup": [], "keys_left_out": left},
    )
    [(_, level, message)] = [d for d in analyze_with([backup], REQUIRED) if d[0] == "required-keys-recoverable"]
    assert level == proto.EnforcementLevel.Value("MANDATORY")
    assert f"key {KEY} must be recoverable, but vault backup payments-vault left it out (DELETED:" in message
