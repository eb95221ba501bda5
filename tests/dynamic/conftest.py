"""Inputs of the OCI vault and key backup providers against the KMS stub (the stub's fixtures: tests/conftest.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import KEY, KEY2, PAR, VAULT
from tests.fakes.oci_kms import KmsStub

__all__ = ["KEY", "KEY2", "PAR", "VAULT", "connection", "key_props", "vault_props"]


def connection(stub: KmsStub) -> dict[str, Any]:
    """The `connection` input pointing at the stub."""
    return {"region": "us-ashburn-1", "kms_endpoint": stub.url, "objectstorage_endpoint": stub.url}


def vault_props(stub: KmsStub, **changes: Any) -> dict[str, Any]:
    """Inputs of an OciVaultBackup writing to a bucket."""
    props: dict[str, Any] = {
        "vault_id": VAULT,
        "include_keys": True,
        "location": {"namespace": "acme", "bucket": "vault-backups", "object_name": "nightly/t1/vault"},
        "trigger": "t1",
        "connection": connection(stub),
        "timeouts": {"create": 30, "update": 30, "delete": 30},
    }
    props.update(changes)
    return props


def key_props(stub: KmsStub, key: str = KEY, **changes: Any) -> dict[str, Any]:
    """Inputs of an OciKeyBackup writing to a bucket."""
    props: dict[str, Any] = {
        "key_id": key,
        "vault_id": VAULT,
        "location": {"namespace": "acme", "bucket": "vault-backups", "object_name": f"nightly/t1/key-{key[-6:]}"},
        "trigger": "t1",
        "connection": connection(stub),
        "timeouts": {"create": 30, "update": 30, "delete": 30},
    }
    props.update(changes)
    return props
