"""OciVaultBackup / OciKeyBackup providers through the real OCI SDK against the KMS stub."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from components.clouds.calls import CloudError, Deadline, DeadlineError
from components.clouds.oci_kms import BucketLocation, Kms, OciConnection
from components.dynamic.oci_vault_backup import (
    PAR_DIGEST,
    OciBackupMetadataProvider,
    OciKeyBackupProvider,
    OciVaultBackupProvider,
    par_digest,
    read_metadata,
)
from tests.conftest import ROOT
from tests.dynamic.conftest import KEY, KEY2, PAR, VAULT, connection, key_props, vault_props
from tests.fakes.oci_kms import KmsStub

# --- create ----------------------------------------------------------------------------------------


def test_vault_backup_to_a_bucket_is_taken_once_and_waited_for(stub: KmsStub) -> None:
    result = OciVaultBackupProvider().create(vault_props(stub))
    [action] = stub.actions
    assert (action.kind, action.resource_id, action.destination) == ("vault", VAULT, "BUCKET")
    assert action.object == ("acme", "vault-backups", "nightly/t1/vault")
    assert action.include_keys is True
    assert stub.vaults[VAULT]["lifecycleState"] == "ACTIVE"
    assert result.outs is not None
    assert result.outs["vault_name"] == stub.vaults[VAULT]["displayName"]
    assert result.outs["time_backed_up"].endswith("Z")
    assert result.id.startswith("vaultbackup.")


def test_metadata_only_vault_backup_sends_is_include_keys_false(stub: KmsStub) -> None:
    OciVaultBackupProvider().create(vault_props(stub, include_keys=False))
    assert [a.include_keys for a in stub.actions] == [False]


def test_key_backup_goes_through_the_vaults_management_endpoint(stub: KmsStub) -> None:
    result = OciKeyBackupProvider().create(key_props(stub))
    [action] = stub.actions
    assert (action.kind, action.resource_id) == ("key", KEY)
    assert stub.keys[KEY]["lifecycleState"] == "ENABLED"
    assert result.outs is not None
    assert result.outs["key_name"] == stub.keys[KEY]["displayName"]


def test_under_faults_a_backup_completes_with_exactly_one_backup_action(stub: KmsStub) -> None:
    stub.faults.fail_every = 3  # a third of all requests: 429 (Retry-After) and 503 alternately
    stub.faults.drop_backup_responses = 1  # the service acts, the answer is lost
    OciVaultBackupProvider().create(vault_props(stub))
    OciKeyBackupProvider().create(key_props(stub))
    assert [(a.kind, a.resource_id) for a in stub.actions] == [("vault", VAULT), ("key", KEY)]
    statuses = {r.status for r in stub.requests}
    assert {429, 503} <= statuses
    vault_posts = [r for r in stub.backup_posts() if "/vaults/" in r.path]
    assert len(vault_posts) >= 2  # the dropped one was retried ...
    assert len({r.retry_token for r in vault_posts}) == 1  # ... with the same token, so no second backup


def test_a_create_after_the_object_is_gone_takes_a_new_backup_not_a_replay(stub: KmsStub) -> None:
    # Refresh found the object gone; the next `up` creates the backup again. OCI replays a request whose
    # retry token it has seen (no new backup), so a new create must be a new request.
    first = OciVaultBackupProvider().create(vault_props(stub))
    stub.objects.clear()
    second = OciVaultBackupProvider().create(vault_props(stub))
    assert [a.object for a in stub.actions] == [("acme", "vault-backups", "nightly/t1/vault")] * 2
    assert len({a.retry_token for a in stub.actions}) == 2
    assert ("acme", "vault-backups", "nightly/t1/vault") in stub.objects
    assert first.id == second.id  # the same backup (subject, trigger, object), taken again


def test_a_changed_include_keys_is_a_new_request_with_its_own_token(stub: KmsStub) -> None:
    OciVaultBackupProvider().create(vault_props(stub))
    OciVaultBackupProvider().create(vault_props(stub, include_keys=False))
    assert [a.include_keys for a in stub.actions] == [True, False]
    assert len({a.retry_token for a in stub.actions}) == 2


def test_completion_is_judged_by_the_object_not_by_a_state_still_active(stub: KmsStub) -> None:
    # OCI answers the request with the vault still ACTIVE; the backup shows only a few reads later.
    stub.start_lag = 3
    OciVaultBackupProvider().create(vault_props(stub))
    assert ("acme", "vault-backups", "nightly/t1/vault") in stub.objects
    [post] = [r.at for r in stub.backup_posts()]
    heads = [r for r in stub.requests if r.method == "HEAD" and r.at > post]
    assert heads[-1].status == 200  # the wait ended on the object being written


def test_a_backup_that_never_starts_fails_at_its_deadline_naming_the_vault(stub: KmsStub) -> None:
    stub.start_lag = 10_000  # accepted, never begun
    with pytest.raises(DeadlineError) as failure:
        OciVaultBackupProvider().create(vault_props(stub, timeouts={"create": 5}))
    assert VAULT in str(failure.value)
    assert "not written yet" in str(failure.value)


def test_sustained_throttling_is_retried_to_the_deadline_not_cut_by_a_circuit_breaker(stub: KmsStub) -> None:
    stub.faults.throttle_next = 25  # more than the SDK's circuit breaker tolerates (10 failures)
    OciVaultBackupProvider().create(vault_props(stub))
    assert [a.resource_id for a in stub.actions] == [VAULT]
    assert sum(1 for r in stub.requests if r.status == 429) == 25


def test_sustained_throttling_past_the_deadline_names_the_vault_and_never_the_par(stub: KmsStub) -> None:
    stub.faults.throttle_next = 10_000
    with pytest.raises(DeadlineError) as failure:
        OciVaultBackupProvider().create(
            vault_props(stub, location=None, par_uri=PAR, timeouts={"create": 3, "update": 3, "delete": 3})
        )
    assert VAULT in str(failure.value)
    assert "429" in str(failure.value)
    assert "Sup3rS3cretT0ken" not in str(failure.value)


def test_a_stalled_request_ends_at_the_operations_deadline(stub: KmsStub) -> None:
    stub.stall(requests=1_000, seconds=30)
    started = time.monotonic()
    with pytest.raises(CloudError) as failure:
        OciVaultBackupProvider().create(vault_props(stub, timeouts={"create": 2, "update": 2, "delete": 2}))
    assert time.monotonic() - started < 10  # not the SDK's 60 s read timeout
    assert VAULT in str(failure.value)


def test_a_wrong_key_passphrase_is_a_clear_error_naming_the_profile(
    stub: KmsStub, oci_config: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "encrypted.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"right-passphrase"),
        )
    )
    config = oci_config.read_text().replace("key_file=", "pass_phrase=wrong-passphrase\nkey_file=")
    config = "\n".join(f"key_file={pem}" if line.startswith("key_file=") else line for line in config.splitlines())
    oci_config.write_text(config)
    [(field, reason)] = _failures(OciVaultBackupProvider(), vault_props(stub))
    assert field == "vault_id"
    assert "profile DEFAULT" in reason
    assert "pass_phrase" in reason
    assert "wrong-passphrase" not in reason
    with pytest.raises(CloudError, match="pass_phrase"):
        OciVaultBackupProvider().create(vault_props(stub))


def test_a_new_trigger_takes_a_new_backup(stub: KmsStub) -> None:
    OciVaultBackupProvider().create(vault_props(stub))
    later = vault_props(stub, trigger="t2")
    later["location"] = {**later["location"], "object_name": "nightly/t2/vault"}
    OciVaultBackupProvider().create(later)
    assert [a.object[2] for a in stub.actions] == ["nightly/t1/vault", "nightly/t2/vault"]


def test_retry_after_is_honoured(stub: KmsStub) -> None:
    stub.faults.fail_every = 2
    stub.faults.retry_after = "1"
    OciVaultBackupProvider().create(vault_props(stub))
    gaps = [
        later.at - earlier.at
        for earlier, later in zip(stub.requests, stub.requests[1:], strict=False)
        if earlier.status == 429
    ]
    assert gaps
    assert min(gaps) >= 0.95


def test_a_stalled_vault_fails_at_its_deadline_naming_the_vault(stub: KmsStub) -> None:
    stub.faults.stall.add(VAULT)
    started = time.monotonic()
    with pytest.raises(DeadlineError) as failure:
        OciVaultBackupProvider().create(vault_props(stub, timeouts={"create": 4}))
    elapsed = time.monotonic() - started
    assert VAULT in str(failure.value)
    assert "BACKUP_IN_PROGRESS" in str(failure.value)
    assert 3.5 <= elapsed < 10
    assert len(stub.actions) == 1


# --- the service's rules (seed 003), each refused before any backup call ----------------------------


def _failures(provider: Any, props: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in provider.check({}, props).failures]


def test_only_virtual_private_vaults_can_be_backed_up(stub: KmsStub) -> None:
    stub.vaults[VAULT]["vaultType"] = "DEFAULT"
    [(field, reason)] = _failures(OciVaultBackupProvider(), vault_props(stub))
    assert field == "vault_id"
    assert "is a default vault; only virtual private vaults can be backed up" in reason
    with pytest.raises(CloudError, match="only virtual private vaults"):
        OciVaultBackupProvider().create(vault_props(stub))
    assert stub.backup_posts() == []


def test_only_hsm_keys_can_be_backed_up(stub: KmsStub) -> None:
    stub.keys[KEY]["protectionMode"] = "SOFTWARE"
    [(field, reason)] = _failures(OciKeyBackupProvider(), key_props(stub))
    assert field == "key_id"
    assert "is software-protected; only HSM-protected keys can be backed up" in reason
    with pytest.raises(CloudError, match="only HSM-protected keys"):
        OciKeyBackupProvider().create(key_props(stub))
    assert stub.backup_posts() == []


@pytest.mark.parametrize("state", ["CREATING", "PENDING_DELETION", "DELETED", "UPDATING"])
def test_only_active_vaults_can_be_backed_up(stub: KmsStub, state: str) -> None:
    stub.vaults[VAULT]["lifecycleState"] = state
    [(field, reason)] = _failures(OciVaultBackupProvider(), vault_props(stub))
    assert field == "vault_id"
    assert f"is {state}; only ACTIVE vaults can be backed up" in reason
    assert stub.backup_posts() == []


@pytest.mark.parametrize("state", ["CREATING", "ENABLING", "PENDING_DELETION", "DELETED"])
def test_only_enabled_or_disabled_keys_can_be_backed_up(stub: KmsStub, state: str) -> None:
    stub.keys[KEY]["lifecycleState"] = state
    [(field, reason)] = _failures(OciKeyBackupProvider(), key_props(stub))
    assert field == "key_id"
    assert f"is {state}; only ENABLED or DISABLED keys can be backed up" in reason
    assert stub.backup_posts() == []


def test_a_disabled_key_can_be_backed_up(stub: KmsStub) -> None:
    stub.keys[KEY]["lifecycleState"] = "DISABLED"
    assert _failures(OciKeyBackupProvider(), key_props(stub)) == []
    OciKeyBackupProvider().create(key_props(stub))
    assert stub.keys[KEY]["lifecycleState"] == "ENABLED"  # the stub settles keys as ENABLED


def test_a_vault_busy_with_another_backup_is_waited_for_not_refused(stub: KmsStub) -> None:
    # OCI runs one backup or restore of a vault at a time: a busy vault is not a mistake in the inputs.
    stub.start_backup(VAULT, polls=3)
    assert _failures(OciVaultBackupProvider(), vault_props(stub)) == []
    OciVaultBackupProvider().create(vault_props(stub))
    [post] = stub.backup_posts()
    assert post.status == 200  # sent once the other backup ended, so not refused with a conflict
    busy_reads = [r for r in stub.requests if r.method == "GET" and r.at < post.at]
    assert len(busy_reads) >= 3


def test_a_key_busy_with_another_backup_is_waited_for_not_refused(stub: KmsStub) -> None:
    stub.start_backup(KEY, polls=3)
    assert _failures(OciKeyBackupProvider(), key_props(stub)) == []
    OciKeyBackupProvider().create(key_props(stub))
    assert [r.status for r in stub.backup_posts()] == [200]


@pytest.mark.parametrize("state", ["BACKUP_IN_PROGRESS", "RESTORING"])
def test_a_vault_that_stays_busy_fails_the_create_at_its_deadline(stub: KmsStub, state: str) -> None:
    stub.vaults[VAULT]["lifecycleState"] = state  # set by hand: never settles
    with pytest.raises(DeadlineError, match=VAULT):
        OciVaultBackupProvider().create(vault_props(stub, timeouts={"create": 2}))
    assert stub.backup_posts() == []


def test_a_key_of_another_vault_is_refused(stub: KmsStub) -> None:
    other = "ocid1.vault.oc1.iad.bbother.abuwcljsothervaultaaaa"
    stub.add_vault(other)
    stub.keys[KEY2]["vaultId"] = other
    [(field, reason)] = _failures(OciKeyBackupProvider(), key_props(stub, key=KEY2))
    assert field == "key_id"
    assert f"belongs to vault {other}" in reason


def test_an_unknown_vault_is_a_check_failure_naming_it(stub: KmsStub) -> None:
    missing = "ocid1.vault.oc1.iad.bbnone.abuwcljsnovaultaaaaa"
    [(field, reason)] = _failures(OciVaultBackupProvider(), vault_props(stub, vault_id=missing))
    assert field == "vault_id"
    assert missing in reason
    assert "not found or not authorized" in reason


def test_check_of_an_unchanged_backup_makes_no_call(stub: KmsStub) -> None:
    props = vault_props(stub)
    olds = OciVaultBackupProvider().create(props).outs
    assert olds is not None
    before = len(stub.requests)
    assert OciVaultBackupProvider().check(olds, props).failures == []
    assert len(stub.requests) == before


# --- inputs ----------------------------------------------------------------------------------------


def test_inputs_are_checked_with_the_model(stub: KmsStub) -> None:
    props = vault_props(stub, vault_id="ocid1.key.oc1.iad.x.y", trigger="")
    fields = {field for field, _ in _failures(OciVaultBackupProvider(), props)}
    assert fields == {"vault_id", "trigger"}


def test_exactly_one_destination(stub: KmsStub) -> None:
    props = vault_props(stub, par_uri=PAR)
    [(field, _)] = _failures(OciVaultBackupProvider(), props)
    assert field == "location"


def test_a_malformed_par_uri_is_refused_without_quoting_it(stub: KmsStub) -> None:
    props = vault_props(stub, location=None, par_uri="https://example.com/not-a-par?sig=Sup3rS3cret")
    [(field, reason)] = _failures(OciVaultBackupProvider(), props)
    assert field == "par_uri"
    assert "Sup3rS3cret" not in reason


def test_preview_with_unknown_inputs_is_not_judged(stub: KmsStub) -> None:
    props = vault_props(stub, location=None, par_uri=Unknown())
    result = OciVaultBackupProvider().check({"vault_id": VAULT}, props)
    assert result.failures == []


def test_check_of_an_unchanged_par_backup_with_the_old_inputs_makes_no_call(stub: KmsStub) -> None:
    # The engine gives Check the old *inputs* (the PAR URL itself), Diff the old *outputs* (its digest).
    old_inputs = vault_props(stub, location=None, par_uri=PAR)
    stub.vaults[VAULT]["lifecycleState"] = "BACKUP_IN_PROGRESS"  # busy with something else: must not matter
    before = len(stub.requests)
    assert OciVaultBackupProvider().check(old_inputs, dict(old_inputs)).failures == []
    assert len(stub.requests) == before


# --- PAR destination ---------------------------------------------------------------------------------


def test_backup_through_a_par_keeps_only_a_digest_in_the_outputs(stub: KmsStub) -> None:
    result = OciVaultBackupProvider().create(vault_props(stub, location=None, par_uri=PAR))
    [action] = stub.actions
    assert action.destination == "PRE_AUTHENTICATED_REQUEST_URI"
    assert action.object == ("acme", "vault-backups", "par/vault")
    assert result.outs is not None
    assert "par_uri" not in result.outs
    assert "Sup3rS3cretT0ken" not in repr(result.outs) + result.id
    assert result.outs[PAR_DIGEST] == par_digest(PAR)
    assert result.outs["par_object"] == {"namespace": "acme", "bucket": "vault-backups", "object_name": "par/vault"}


def test_errors_never_show_the_par(stub: KmsStub) -> None:
    missing = "ocid1.vault.oc1.iad.bbnone.abuwcljsnovaultaaaaa"
    stub.add_vault(missing)
    stub.vaults[missing]["lifecycleState"] = "ACTIVE"
    stub.faults.stall.add(missing)
    with pytest.raises(CloudError) as failure:
        OciVaultBackupProvider().create(
            vault_props(stub, vault_id=missing, location=None, par_uri=PAR, timeouts={"create": 2})
        )
    assert "Sup3rS3cretT0ken" not in str(failure.value)
    assert missing in str(failure.value)


# --- diff, update, read, delete -------------------------------------------------------------------------


def test_diff_replaces_only_for_immutable_inputs(stub: KmsStub) -> None:
    provider = OciVaultBackupProvider()
    olds = provider.create(vault_props(stub)).outs
    assert olds is not None
    same = provider.diff("id", olds, vault_props(stub))
    assert same.changes is False
    assert same.replaces == []
    trigger = provider.diff("id", olds, vault_props(stub, trigger="t2"))
    assert trigger.changes is True
    assert trigger.replaces == ["trigger"]
    keys = provider.diff("id", olds, vault_props(stub, include_keys=False))
    assert keys.replaces == ["include_keys"]
    timeouts = provider.diff("id", olds, vault_props(stub, timeouts={"create": 60}))
    assert timeouts.changes is True
    assert timeouts.replaces == []


def test_a_bucket_replicated_later_takes_the_backup_again_under_a_new_id(stub: KmsStub) -> None:
    # Object Storage copies only objects written after the replication policy exists: the backup written before it
    # is not in the other region, so adding the replica replaces the backup (a new one, written after the policy).
    provider = OciVaultBackupProvider()
    before = provider.create(vault_props(stub))
    assert before.outs is not None
    replica = {"region": "us-phoenix-1", "bucket": "vault-backups"}
    assert provider.diff("id", before.outs, vault_props(stub, replica=replica)).replaces == ["replica"]
    after = provider.create(vault_props(stub, replica=replica))
    assert after.id != before.id
    assert len(stub.backup_posts()) == 2
    assert provider.diff("id", after.outs or {}, vault_props(stub, replica=replica)).changes is False


def test_diff_of_a_par_compares_digests(stub: KmsStub) -> None:
    provider = OciVaultBackupProvider()
    olds = provider.create(vault_props(stub, location=None, par_uri=PAR)).outs
    assert olds is not None
    assert provider.diff("id", olds, vault_props(stub, location=None, par_uri=PAR)).changes is False
    other = PAR.replace("Sup3rS3cretT0ken", "AnotherT0ken")
    assert provider.diff("id", olds, vault_props(stub, location=None, par_uri=other)).replaces == ["par_uri"]


def test_update_changes_settings_without_a_cloud_call(stub: KmsStub) -> None:
    provider = OciVaultBackupProvider()
    olds = provider.create(vault_props(stub)).outs
    assert olds is not None
    before = len(stub.requests)
    outs = provider.update("id", olds, vault_props(stub, timeouts={"create": 60})).outs
    assert outs is not None
    assert outs["timeouts"] == {"create": 60}
    assert outs["time_backed_up"] == olds["time_backed_up"]
    assert len(stub.requests) == before


def test_read_reports_a_backup_whose_object_was_removed_as_gone(stub: KmsStub) -> None:
    provider = OciVaultBackupProvider()
    created = provider.create(vault_props(stub))
    assert created.outs is not None
    assert provider.read(created.id, created.outs).id == created.id
    stub.objects.clear()
    assert provider.read(created.id, created.outs).id == ""


def test_read_keeps_a_backup_through_a_par_whose_object_it_cannot_see(stub: KmsStub) -> None:
    # Behind a PAR the bucket may not be readable with the stack's credentials: OCI's 404 proves nothing.
    provider = OciVaultBackupProvider()
    created = provider.create(vault_props(stub, location=None, par_uri=PAR))
    assert created.outs is not None
    stub.objects.clear()
    before = len(stub.requests)
    assert provider.read(created.id, created.outs).id == created.id
    assert len(stub.requests) == before


def test_delete_keeps_the_backup_and_calls_nothing(stub: KmsStub) -> None:
    provider = OciVaultBackupProvider()
    created = provider.create(vault_props(stub))
    assert created.outs is not None
    before = len(stub.requests)
    provider.delete(created.id, created.outs)
    assert len(stub.requests) == before
    assert ("acme", "vault-backups", "nightly/t1/vault") in stub.objects


def test_missing_oci_configuration_is_a_clear_error(stub: KmsStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCI_CONFIG_FILE", "/nonexistent/oci/config")
    [(field, reason)] = _failures(OciVaultBackupProvider(), vault_props(stub))
    assert field == "vault_id"
    assert "OCI configuration" in reason


def test_providers_keep_nothing_on_themselves_even_after_use(stub: KmsStub) -> None:
    for provider, props in (
        (OciVaultBackupProvider(), vault_props(stub, location=None, par_uri=PAR)),
        (OciKeyBackupProvider(), key_props(stub)),
    ):
        provider.create(props)
        assert vars(provider) == {}
        blob = base64.b64decode(serialize_provider(provider))
        for secret in (b"Sup3rS3cretT0ken", b"PRIVATE KEY", b"api_key.pem", stub.url.encode()):
            assert secret not in blob


def test_a_pickled_provider_loads_in_a_fresh_process_like_the_provider_host() -> None:
    # The dynamic provider host unpickles the provider in its own process: the class is found by import
    # from the project root, and importing it must not register resources (pulumi/pulumi#7453).
    blob = serialize_provider(OciKeyBackupProvider())
    loader = (
        "import base64, sys, dill; "
        "p = dill.loads(base64.b64decode(sys.stdin.read())); "
        "print(type(p).__module__, type(p).__name__, sorted(vars(p)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", loader], input=blob, capture_output=True, text=True, cwd=ROOT, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["components.dynamic.oci_vault_backup", "OciKeyBackupProvider", "[]"]


def test_a_key_backup_chained_after_its_vaults_backup_waits_for_it(stub: KmsStub) -> None:
    stub.start_backup(VAULT, polls=2)  # the vault backup with its keys is still running ...
    stub.start_backup(KEY, polls=2)  # ... and holds the key busy
    assert _failures(OciKeyBackupProvider(), key_props(stub)) == []
    OciKeyBackupProvider().create(key_props(stub))
    assert [(a.kind, a.resource_id) for a in stub.actions] == [("key", KEY)]
    key_reads = [r.at for r in stub.requests if r.method == "GET" and "/keys/" in r.path]
    [post] = [r.at for r in stub.backup_posts()]
    assert stub.vaults[VAULT]["lifecycleState"] == "ACTIVE"
    assert key_reads
    assert min(key_reads) < post


def test_create_waits_for_a_key_still_busy_after_its_vault_finished(stub: KmsStub) -> None:
    stub.start_backup(KEY, polls=2)
    OciKeyBackupProvider().create(key_props(stub))
    [action] = stub.actions
    assert action.resource_id == KEY
    assert [r.status for r in stub.backup_posts()] == [200]


# --- which keys a vault backup holds (seed 003: HSM keys, ENABLED or DISABLED) -------------------------------

OTHER_COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaothercompartment"
SOFT = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeysoft01"
DOOMED = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeydoomed"
ELSEWHERE = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeyelsewh"
OBJECT = ("acme", "vault-backups", "nightly/t1/vault")


def _held(stub: KmsStub) -> set[str]:
    """The keys the backup object really holds (the stub takes them by the service's rules)."""
    return {k["id"] for k in stub.backup_held(OBJECT)["keys"]}


def test_a_vault_backup_lists_the_keys_it_holds_and_those_it_leaves_out_with_their_state(stub: KmsStub) -> None:
    stub.keys[KEY2]["lifecycleState"] = "DISABLED"
    stub.add_key(SOFT, VAULT, protection="SOFTWARE")
    stub.add_key(DOOMED, VAULT, state="PENDING_DELETION")
    outs = OciVaultBackupProvider().create(vault_props(stub)).outs
    assert outs is not None
    held = {k["id"]: k for k in outs["keys_in_backup"]}
    assert set(held) == {KEY, KEY2} == _held(stub)  # what the outputs claim is what the object holds
    assert held[KEY2]["state"] == "DISABLED"
    assert held[KEY]["compartment_id"] == stub.keys[KEY]["compartmentId"]
    assert held[KEY]["name"] == stub.keys[KEY]["displayName"]
    left = {k["id"]: k for k in outs["keys_left_out"]}
    assert set(left) == {SOFT, DOOMED}
    assert left[SOFT]["protection_mode"] == "SOFTWARE"
    assert left[SOFT]["why"] == "software-protected: only HSM-protected keys can be backed up"
    assert left[DOOMED]["state"] == "PENDING_DELETION"
    assert "only ENABLED or DISABLED keys are included" in left[DOOMED]["why"]
    assert outs["vault_compartment_id"] == stub.vaults[VAULT]["compartmentId"]


def test_a_key_whose_state_changes_while_the_backup_runs_is_not_claimed(stub: KmsStub) -> None:
    def delete_key2(resource: dict[str, Any]) -> None:
        if resource["id"] == VAULT:  # another operator schedules the key's deletion as the backup starts
            stub.keys[KEY2]["lifecycleState"] = "PENDING_DELETION"
            stub.add_key(DOOMED, VAULT)  # ... and someone creates a key

    stub.start_lag = 2
    stub.on_backup_start = delete_key2
    outs = OciVaultBackupProvider().create(vault_props(stub)).outs
    assert outs is not None
    assert [k["id"] for k in outs["keys_in_backup"]] == [KEY]
    left = {k["id"]: k["why"] for k in outs["keys_left_out"]}
    assert left[KEY2] == "ENABLED before the backup, PENDING_DELETION after it: not known to be in the backup"
    assert left[DOOMED].startswith("appeared while the backup ran (ENABLED after it)")
    assert KEY2 not in _held(stub)


def test_keys_in_another_compartment_are_claimed_only_when_their_compartment_is_listed(stub: KmsStub) -> None:
    stub.add_key(ELSEWHERE, VAULT, compartment=OTHER_COMPARTMENT)
    outs = OciVaultBackupProvider().create(vault_props(stub)).outs
    assert outs is not None
    assert ELSEWHERE in _held(stub)  # OCI backs up every key of the vault, whatever its compartment ...
    assert ELSEWHERE not in {k["id"] for k in outs["keys_in_backup"] + outs["keys_left_out"]}  # ... unseen: unclaimed
    listed = vault_props(stub, key_compartments=[OTHER_COMPARTMENT], trigger="t2")
    listed["location"] = {**listed["location"], "object_name": "nightly/t2/vault"}
    outs = OciVaultBackupProvider().create(listed).outs
    assert outs is not None
    held = {k["id"]: k for k in outs["keys_in_backup"]}
    assert set(held) == {KEY, KEY2, ELSEWHERE}
    assert held[ELSEWHERE]["compartment_id"] == OTHER_COMPARTMENT


def test_every_page_of_list_keys_is_read(stub: KmsStub) -> None:
    extra = [f"ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeypage{i:02d}" for i in range(5)]
    for key in extra:
        stub.add_key(key, VAULT)
    outs = OciVaultBackupProvider().create(vault_props(stub)).outs
    assert outs is not None
    assert {k["id"] for k in outs["keys_in_backup"]} == {KEY, KEY2, *extra}
    pages = [r for r in stub.requests if r.method == "GET" and r.path.endswith("/keys")]
    assert len(pages) >= 8  # 7 keys, two a page, read before and after the backup


def test_a_metadata_only_vault_backup_lists_no_keys_and_reads_none(stub: KmsStub) -> None:
    outs = OciVaultBackupProvider().create(vault_props(stub, include_keys=False)).outs
    assert outs is not None
    assert outs["keys_in_backup"] == []
    assert outs["keys_left_out"] == []
    assert _held(stub) == set()
    assert not [r for r in stub.requests if r.method == "GET" and r.path.endswith("/keys")]


def test_a_key_backup_records_the_keys_state_and_compartment(stub: KmsStub) -> None:
    stub.add_key(ELSEWHERE, VAULT, compartment=OTHER_COMPARTMENT, state="DISABLED")
    outs = OciKeyBackupProvider().create(key_props(stub, key=ELSEWHERE)).outs
    assert outs is not None
    assert outs["key_state"] == "DISABLED"
    assert outs["compartment_id"] == OTHER_COMPARTMENT
    assert outs["vault_compartment_id"] == stub.vaults[VAULT]["compartmentId"]


# --- the metadata beside each backup (`<object>.json`): compartments and keys, for a restore -----------------

SIDECAR = ("acme", "vault-backups", "nightly/t1/vault.json")


def _with_metadata(props: dict[str, Any]) -> dict[str, Any]:
    location = props.get("location") or {"namespace": "acme", "bucket": "vault-backups", "object_name": "par/vault"}
    return {**props, "metadata": {**location, "object_name": f"{location['object_name']}.json"}}


def test_the_metadata_is_written_beside_the_backup_after_it_is_proven_written(stub: KmsStub) -> None:
    stub.add_key(ELSEWHERE, VAULT, compartment=OTHER_COMPARTMENT)
    outs = OciVaultBackupProvider().create(_with_metadata(vault_props(stub, key_compartments=[OTHER_COMPARTMENT])))
    assert outs.outs is not None
    assert outs.outs["metadata_object"] == dict(zip(("namespace", "bucket", "object_name"), SIDECAR, strict=True))
    assert outs.outs["metadata_error"] is None
    document = json.loads(stub.contents[SIDECAR])
    assert document["format"] == "backup-topology/oci-backup-metadata/1"
    assert document["vault_compartment_id"] == stub.vaults[VAULT]["compartmentId"]
    assert document["backup_object"] == {"namespace": "acme", "bucket": "vault-backups", "object_name": OBJECT[2]}
    held = {k["id"]: k["compartment_id"] for k in document["keys_in_backup"]}
    assert held[ELSEWHERE] == OTHER_COMPARTMENT
    [put] = [r for r in stub.requests if r.method == "PUT"]
    heads = [r for r in stub.requests if r.method == "HEAD" and r.status == 200]
    assert heads
    assert put.at >= heads[-1].at  # written once the backup object was there
    assert read_metadata_of(stub, OBJECT) == document


def read_metadata_of(stub: KmsStub, obj: tuple[str, str, str]) -> dict[str, Any] | None:
    kms = Kms(OciConnection(region="us-ashburn-1", objectstorage_endpoint=stub.url), Deadline(30))
    return read_metadata(kms, BucketLocation(*obj))


def test_a_key_backups_metadata_names_the_keys_compartment_and_state(stub: KmsStub) -> None:
    stub.add_key(ELSEWHERE, VAULT, compartment=OTHER_COMPARTMENT, state="DISABLED")
    props = _with_metadata(key_props(stub, key=ELSEWHERE))
    OciKeyBackupProvider().create(props)
    where = props["location"]
    document = read_metadata_of(stub, (where["namespace"], where["bucket"], where["object_name"]))
    assert document is not None
    assert (document["kind"], document["key_id"], document["compartment_id"]) == ("key", ELSEWHERE, OTHER_COMPARTMENT)
    assert document["key_state"] == "DISABLED"
    assert document["vault_compartment_id"] == stub.vaults[VAULT]["compartmentId"]


def test_a_refused_metadata_write_keeps_the_backup_and_says_why(stub: KmsStub) -> None:
    stub.faults.refuse_puts = True
    outs = OciVaultBackupProvider().create(_with_metadata(vault_props(stub))).outs
    assert outs is not None
    assert OBJECT in stub.objects
    assert outs["metadata_object"] is None
    assert "not authorized" in outs["metadata_error"]
    assert read_metadata_of(stub, OBJECT) is None


def test_a_backup_through_a_par_writes_its_metadata_with_the_stacks_credentials(stub: KmsStub) -> None:
    outs = OciVaultBackupProvider().create(_with_metadata(vault_props(stub, location=None, par_uri=PAR))).outs
    assert outs is not None
    document = read_metadata_of(stub, ("acme", "vault-backups", "par/vault"))
    assert document is not None
    assert document["backup_object"] == outs["par_object"]
    assert "Sup3rS3cretT0ken" not in json.dumps(document)


def test_the_metadata_reader_gives_the_recorded_compartments_or_names_what_to_give(stub: KmsStub) -> None:
    OciVaultBackupProvider().create(_with_metadata(vault_props(stub)))
    location = dict(zip(("namespace", "bucket", "object_name"), OBJECT, strict=True))
    props = {"location": location, "connection": connection(stub), "timeouts": {"create": 30}}
    outs = OciBackupMetadataProvider().create(props).outs
    assert outs is not None
    assert outs["vault_compartment_id"] == stub.vaults[VAULT]["compartmentId"]
    assert outs["kind"] == "vault"
    missing = {**props, "location": {**location, "object_name": "nightly/t0/vault"}}
    with pytest.raises(CloudError, match=r"no backup metadata beside it .* give compartment_id"):
        OciBackupMetadataProvider().create(missing)
