"""VaultRestore through the provider plugin, driven as by the engine: a restored vault or key is restored again
exactly when its source changes (pulumi-oci restores on a change of the boolean `restore_trigger`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.oci.vault_backup import VaultRestore
from tests.conftest import COMPARTMENT
from tests.engine.harness import Engine, Operation


def restore(vault_source: dict[str, Any]) -> Callable[[], None]:
    def run() -> None:
        VaultRestore(
            "dr",
            {
                "compartment_id": COMPARTMENT,
                "vault": {"display_name": "payments-dr", "source": vault_source},
            },
        )

    return run


def restore_trigger(operation: Operation) -> Any:
    assert operation.simulation is not None
    [vault] = operation.simulation.of_type("oci:Kms/vault:Vault")
    return vault.inputs.get("restoreTrigger")


def obj(name: str) -> dict[str, str]:
    return {"namespace": "acme", "bucket": "vault-backups", "object_name": name}


def test_a_new_backup_object_flips_restore_trigger_and_the_same_one_does_not(engine: Callable[..., Engine]) -> None:
    stack = engine()
    first = stack.up(restore(obj("payments/t1/vault")))
    assert first.of("dr-vault-source") == ["create"]
    assert restore_trigger(first) is False  # created from the backup: the create restores
    same = stack.up(restore(obj("payments/t1/vault")))
    assert same.of("dr-vault-source") == ["same"]
    assert restore_trigger(same) is False  # unchanged: no restore
    newer = stack.up(restore(obj("payments/t2/vault")))
    assert newer.of("dr-vault-source") == ["update"]
    assert restore_trigger(newer) is True  # changed: pulumi-oci restores from the new object
    assert restore_trigger(stack.up(restore(obj("payments/t2/vault")))) is True
    assert restore_trigger(stack.up(restore(obj("payments/t3/vault")))) is False  # flips again


def test_a_newer_backup_file_restores_again(engine: Callable[..., Engine], tmp_path: Path) -> None:
    backup = tmp_path / "vault.backup"
    backup.write_bytes(b"the backup of monday")
    stack = engine()
    assert restore_trigger(stack.up(restore({"file": str(backup)}))) is False
    assert restore_trigger(stack.up(restore({"file": str(backup)}))) is False
    backup.write_bytes(b"the backup of tuesday")
    assert restore_trigger(stack.up(restore({"file": str(backup)}))) is True


def test_a_preview_of_a_new_source_shows_the_change_without_making_it(engine: Callable[..., Engine]) -> None:
    stack = engine()
    stack.up(restore(obj("payments/t1/vault")))
    preview = stack.preview(restore(obj("payments/t2/vault")))
    assert preview.of("dr-vault-source") == ["update"]
    assert restore_trigger(stack.up(restore(obj("payments/t1/vault")))) is False  # the preview changed nothing
