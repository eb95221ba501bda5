"""Fixtures for provider tests: an API signing key, an OCI config file pointing at it, and the KMS stub."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.oci_kms import KmsStub

TENANCY = "ocid1.tenancy.oc1..aaaaaaaastubtenancy"
USER = "ocid1.user.oc1..aaaaaaaastubuser"
VAULT = "ocid1.vault.oc1.iad.bbstubvault.abuwcljsstubvaultaaaa"
KEY = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeyaaaaa1"
KEY2 = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeyaaaaa2"
PAR = "https://objectstorage.us-ashburn-1.oraclecloud.com/p/Sup3rS3cretT0ken/n/acme/b/vault-backups/o/par/vault"


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path, str]:
    """An RSA key pair written as a PEM file, and its OCI fingerprint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path_factory.mktemp("oci") / "api_key.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, 32, 2))
    return key, pem, fingerprint


@pytest.fixture
def oci_config(
    signing_key: tuple[rsa.RSAPrivateKey, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A standard OCI config file, found by the SDK through OCI_CONFIG_FILE."""
    _, pem, fingerprint = signing_key
    config = tmp_path / "config"
    config.write_text(
        f"[DEFAULT]\nuser={USER}\nfingerprint={fingerprint}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file={pem}\n"
    )
    monkeypatch.setenv("OCI_CONFIG_FILE", str(config))
    return config


@pytest.fixture
def stub(signing_key: tuple[rsa.RSAPrivateKey, Path, str], oci_config: Path) -> Iterator[KmsStub]:
    """The KMS stub with one virtual private vault holding two HSM keys."""
    key, _, fingerprint = signing_key
    server = KmsStub(key.public_key(), f"{TENANCY}/{USER}/{fingerprint}").start()
    server.add_vault(VAULT)
    server.add_key(KEY, VAULT)
    server.add_key(KEY2, VAULT)
    yield server
    server.stop()


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
