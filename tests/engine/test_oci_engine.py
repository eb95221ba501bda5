"""Vault and key backups and their PAR expiry through the provider plugin, driven as by the engine, on the KMS stub."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi

from components.oci.vault_backup import VaultBackup, VaultBackupArgs
from tests.conftest import KEY, PAR, VAULT
from tests.engine.harness import Engine
from tests.fakes.oci_kms import KmsStub

OBJECTS = {
    ("acme", "vault-backups", "payments/t1/vault"),
    ("acme", "vault-backups", "payments/t1/vault.json"),  # each backup's metadata, beside it
    ("acme", "vault-backups", "payments/t1/key-ljsstubkeyaaaaa1"),
    ("acme", "vault-backups", "payments/t1/key-ljsstubkeyaaaaa1.json"),
}


def spec(destination: dict[str, Any], **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "payments",
        "vault_id": VAULT,
        "keys": [KEY],
        "destination": destination,
        "trigger": "t1",
        "timeouts": {"create": "60s"},
    }
    spec.update(changes)
    return spec


BUCKET = {"bucket": {"namespace": "acme", "bucket": "vault-backups", "object_prefix": "payments/"}}


def program(stub: KmsStub, destination: dict[str, Any] = BUCKET, **changes: Any) -> Any:
    def run() -> None:
        args: VaultBackupArgs = {
            **spec(destination, **changes),  # type: ignore[typeddict-item]
            "region": "us-ashburn-1",
            "kms_endpoint": stub.url,
            "objectstorage_endpoint": stub.url,
        }
        VaultBackup("payments", args)

    return run


def test_a_vault_and_key_backup_to_a_bucket_through_a_whole_life(stub: KmsStub, engine: Callable[..., Engine]) -> None:
    stack = engine()
    preview = stack.preview(program(stub))
    assert preview.of("payments-vault") == ["create"]
    assert stub.backup_posts() == []
    stack.up(program(stub))
    assert [(a.kind, a.resource_id) for a in stub.actions] == [("vault", VAULT), ("key", KEY)]
    assert set(stub.objects) == OBJECTS
    before = len(stub.requests)
    assert stack.up(program(stub)).changes() == []
    assert len(stub.requests) == before  # an unchanged up: no call at all
    assert stack.refresh().changes() == []
    stack.destroy()
    assert set(stub.objects) == OBJECTS  # backups are kept when the stack lets go of them


def test_a_backup_object_removed_out_of_band_is_gone_on_refresh_and_taken_again_by_up(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(stub))
    del stub.objects[("acme", "vault-backups", "payments/t1/vault")]
    refresh = stack.refresh()
    assert refresh.of("payments-vault") == ["gone"]
    assert refresh.of("payments-key-ljsstubkeyaaaaa1") == ["unchanged"]
    repair = stack.up(program(stub))
    assert repair.of("payments-vault") == ["create"]
    assert [a.kind for a in stub.actions] == ["vault", "key", "vault"]  # a new backup, not a replay of the first
    assert set(stub.objects) == OBJECTS


def test_the_backups_record_the_keys_they_hold_and_the_compartments_to_restore_into(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    preview = stack.preview(program(stub))
    assert not [s for s in stack.state.values() if s.type.endswith("OciVaultBackup")]  # a preview makes nothing
    assert preview.of("payments-vault") == ["create"]
    stack.up(program(stub))
    [vault] = [s.outputs for s in stack.state.values() if s.type.endswith("OciVaultBackup")]
    [key] = [s.outputs for s in stack.state.values() if s.type.endswith("OciKeyBackup")]
    compartment = stub.vaults[VAULT]["compartmentId"]
    assert {k["id"] for k in vault["keys_in_backup"]} == {k["id"] for k in stub.backup_held(OBJECT)["keys"]}
    assert vault["keys_left_out"] == []
    assert vault["vault_compartment_id"] == compartment
    assert (key["compartment_id"], key["key_state"]) == (stub.keys[KEY]["compartmentId"], "ENABLED")
    sidecar = json.loads(stub.contents[("acme", "vault-backups", "payments/t1/vault.json")])
    assert sidecar["vault_compartment_id"] == compartment
    assert stack.up(program(stub)).changes() == []


OBJECT = ("acme", "vault-backups", "payments/t1/vault")


def test_an_unchanged_preview_of_a_par_backup_calls_nothing_while_the_vault_is_busy(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    given = {"par_uri": {"uri": pulumi.Output.secret(PAR)}}
    stack = engine()
    stack.up(program(stub, given, backup_vault=True, keys=[]))
    stub.start_backup(VAULT, polls=1_000)  # another backup of the vault is running
    before = len(stub.requests)
    preview = stack.preview(program(stub, given, backup_vault=True, keys=[]))
    assert preview.changes() == []
    assert len(stub.requests) == before
    [state] = [s for s in stack.state.values() if s.type.endswith("OciVaultBackup")]
    assert "Sup3rS3cretT0ken" not in json.dumps(state.outputs)


def test_a_created_par_has_an_expiry_fixed_at_creation_and_a_url_kept_out_of_the_outputs(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    created = {"par": {"namespace": "acme", "bucket": "vault-backups", "object_prefix": "payments/"}}
    stack = engine()
    preview = stack.preview(program(stub, created, keys=[]))  # the PAR's URL is not known in a preview
    assert preview.of("payments-vault") == ["create"]
    assert preview.of("payments-par-expiry") == ["create"]
    stack.up(program(stub, created, keys=[]))
    [action] = stub.actions
    assert action.destination == "PRE_AUTHENTICATED_REQUEST_URI"
    assert ("acme", "vault-backups", "payments/t1/vault") in stub.objects
    [expiry] = [s for s in stack.state.values() if s.type.endswith("ExpiryTime")]
    again = stack.up(program(stub, created, keys=[]))
    assert again.changes() == []
    assert stack.state[expiry.urn].outputs["expires_at"] == expiry.outputs["expires_at"]  # not renewed by an up
    for state in stack.state.values():
        assert "/p/mock" not in json.dumps(state.outputs)
    assert stack.up(program(stub, created, keys=[], trigger="t2")).of("payments-par-expiry") == [
        "replace",
        "delete-replaced",
    ]
