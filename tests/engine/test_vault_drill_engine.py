"""Vault restore drills through the provider plugin, driven as by the engine, on the KMS stub: a vault backup
restored into another region from its bucket object, a PAR URL or a file, checked, and its deletion scheduled."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.oci.vault_backup import VaultBackup
from components.restore_drill import RestoreDrill
from tests.conftest import PAR, VAULT
from tests.engine.conftest import plugin_log
from tests.engine.harness import CheckFailedError, Engine
from tests.engine.test_oci_engine import BUCKET, spec
from tests.fakes.oci_kms import KmsStub

VAULT_OBJECT = ("acme", "vault-backups", "payments/t1/vault")


def program(
    stub: KmsStub, destination: dict[str, Any] = BUCKET, trigger: str = "d1", **drill: Any
) -> Callable[[], None]:
    def run() -> None:
        where = {"region": "us-ashburn-1", "kms_endpoint": stub.url, "objectstorage_endpoint": stub.url}
        keys = [] if "par_uri" in destination else spec(destination)["keys"]
        backup = VaultBackup("payments", {**spec(destination, keys=keys), **where})
        point = {"source": backup, "region": "us-phoenix-1", "kms_endpoint": stub.url, **drill.pop("point", {})}
        RestoreDrill("vault-drill", {"trigger": trigger, "oci_vault": point, **drill})

    return run


def record(stack: Engine) -> dict[str, Any]:
    return next(s.outputs for urn, s in stack.state.items() if urn.endswith("::vault-drill-drill"))


@pytest.fixture
def phx(stub: KmsStub) -> KmsStub:
    stub.region = "phx"  # the stub answers for every region; restores land in Phoenix
    return stub


def test_a_vault_backup_restores_into_another_region_is_checked_and_its_deletion_scheduled(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    preview = stack.preview(program(phx, point={"expect_keys": 2}))
    assert preview.of("vault-drill-drill") == ["create"]
    assert phx.restore_posts() == []
    stack.up(program(phx, point={"expect_keys": 2}))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert [c["name"] for c in found["checks"]] == ["available", "vault", "keys"]
    assert found["checks"][2]["detail"] == "2 keys restored, at least 2 expected"
    assert found["restore_point_id"] == "acme/vault-backups/payments/t1/vault"
    assert found["restore_seconds"] >= 0
    [(how, restored)] = phx.restores
    assert how == "restoreFromObjectStore"
    assert restored.startswith("ocid1.vault.oc1.phx.")
    assert phx.vaults[restored]["lifecycleState"] == "PENDING_DELETION"  # OCI's way to remove a vault
    assert phx.vaults[VAULT]["lifecycleState"] == "ACTIVE"  # the live vault is not touched
    assert found.get("scratch_volume_id") is None
    assert stack.up(program(phx, point={"expect_keys": 2})).changes() == []
    assert len(phx.restore_posts()) == 1


def test_a_restore_with_fewer_keys_than_expected_fails_the_drill_and_still_schedules_the_deletion(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(phx, point={"expect_keys": 3}))
    found = record(stack)
    assert found["checks_passed"] is False
    assert found["error"] == "keys: 2 keys restored, at least 3 expected"
    [(_, restored)] = phx.restores
    assert phx.vaults[restored]["lifecycleState"] == "PENDING_DELETION"


def test_a_drill_in_the_vaults_own_region_is_refused_before_anything_is_sent(
    stub: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    with pytest.raises(CheckFailedError) as failed:
        stack.preview(program(stub, point={"region": "us-ashburn-1"}))
    assert "region: us-ashburn-1 is the vault's own region: a restore there goes over the live vault" in str(
        failed.value
    )
    assert stub.restore_posts() == []


def test_a_drill_from_a_par_url_keeps_the_url_out_of_the_state_and_the_log(
    phx: KmsStub, engine: Callable[..., Engine], tmp_path: Path
) -> None:
    stack = engine()
    given = {"par_uri": {"uri": pulumi.Output.secret(PAR)}}
    stack.up(program(phx, given))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert found["restore_point_id"].startswith("the object of a pre-authenticated request (URL sha256 ")
    assert [how for how, _ in phx.restores] == ["restoreFromObjectStore"]
    state = json.dumps({urn: (s.inputs, s.outputs) for urn, s in stack.state.items()}, default=str)
    assert "Sup3rS3cretT0ken" not in state.replace(json.dumps(PAR), "")  # held only as a secret value
    drill = next(s for urn, s in stack.state.items() if urn.endswith("::vault-drill-drill"))
    assert "par_uri" not in drill.outputs
    assert "drill vault-drill-d1" in plugin_log(tmp_path)  # the log is there, and holds no URL
    assert "Sup3rS3cretT0ken" not in plugin_log(tmp_path)
    assert stack.up(program(phx, given)).changes() == []


def test_a_drill_from_a_backup_file_restores_it_and_a_corrupt_file_fails_with_nothing_made(
    phx: KmsStub, engine: Callable[..., Engine], tmp_path: Path
) -> None:
    stack = engine()
    stack.up(program(phx, point={"expect_keys": 2}))  # the backup, and a first drill from its object
    downloaded = tmp_path / "vault.backup"
    downloaded.write_bytes(phx.contents[VAULT_OBJECT])
    stack.up(program(phx, trigger="d2", point={"file": str(downloaded), "expect_keys": 2}))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert found["restore_point_id"].startswith(f"file {downloaded} (sha256 ")
    assert [how for how, _ in phx.restores] == ["restoreFromObjectStore", "restoreFromFile"]

    corrupt = tmp_path / "corrupt.backup"
    corrupt.write_bytes(b"not a backup at all")
    vaults = set(phx.vaults)
    stack.up(program(phx, trigger="d3", point={"file": str(corrupt)}))
    found = record(stack)
    assert found["checks_passed"] is False
    assert "The backup is not a vault backup or is corrupt." in found["error"]
    assert set(phx.vaults) == vaults  # nothing restored, nothing left


def test_a_lost_restore_answer_is_retried_with_its_token_and_restores_once(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(phx))  # the backup and a first drill
    phx.faults.drop_backup_responses = 1
    stack.up(program(phx, trigger="d2"))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert len(phx.restore_posts()) == 3  # d1, then d2 twice: the retry carries the same token
    assert len(phx.restores) == 2  # one restore per drill


def test_a_kept_restored_vault_stays_until_the_drill_is_removed(phx: KmsStub, engine: Callable[..., Engine]) -> None:
    stack = engine()
    stack.up(program(phx, keep_scratch=True))
    found = record(stack)
    [(_, restored)] = phx.restores
    assert found["scratch_volume_id"] == restored
    assert phx.vaults[restored]["lifecycleState"] == "ACTIVE"
    stack.destroy()
    assert phx.vaults[restored]["lifecycleState"] == "PENDING_DELETION"
    assert phx.vaults[VAULT]["lifecycleState"] == "ACTIVE"


def test_the_drill_restores_into_the_compartment_the_backup_recorded_without_reading_the_live_vault(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(phx, point={"expect_keys": 2}))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert "(from the drill's inputs)" in found["checks"][1]["detail"]  # the source's recorded compartment

    def by_object(trigger: str) -> Callable[[], None]:
        def run() -> None:
            point = {
                "vault_id": VAULT,
                "location": dict(zip(("namespace", "bucket", "object_name"), VAULT_OBJECT, strict=True)),
                "home_region": "us-ashburn-1",
                "home_kms_endpoint": phx.url,
                "home_objectstorage_endpoint": phx.url,
                "region": "us-phoenix-1",
                "kms_endpoint": phx.url,
            }
            RestoreDrill("vault-drill", {"trigger": trigger, "oci_vault": point})

        return run

    before = len(phx.requests)
    other = engine(stack="other")
    other.up(by_object("d2"))
    found = record(other)
    assert found["checks_passed"] is True, found["error"]
    assert "(from the backup's metadata)" in found["checks"][1]["detail"]
    live = [r for r in phx.requests[before:] if r.method == "GET" and r.path.endswith(f"/vaults/{VAULT}")]
    assert live == []  # a restore in a disaster cannot count on the home region's vault

    del phx.objects[("acme", "vault-backups", "payments/t1/vault.json")]  # a backup taken before metadata existed
    other.up(by_object("d3"))
    found = record(other)
    assert found["checks_passed"] is True, found["error"]
    assert "(from the live vault (the backup has no metadata beside it))" in found["checks"][1]["detail"]


# --- a drill in the region the bucket is replicated to restores from the replica there ------------------

REPLICATED = {
    "bucket": {"namespace": "acme", "bucket": "vault-backups", "object_prefix": "payments/"},
    "replicate_to": {"region": "us-phoenix-1", "bucket": "vault-backups-phx"},
}


def test_a_drill_in_the_replica_region_waits_for_the_replica_and_restores_from_it(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    phx.replicate("acme", "vault-backups", "phx", "vault-backups-phx", lag=3)  # what the ReplicationPolicy does
    stack = engine()
    replica = {"expect_keys": 2, "objectstorage_endpoint": phx.regional_url("phx")}
    stack.up(program(phx, REPLICATED, point=replica))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert found["restored_from"] == "the replica in us-phoenix-1 (acme/vault-backups-phx/payments/t1/vault)"
    assert found["proves_region_loss"] is True
    assert found["restore_point_id"] == "acme/vault-backups-phx/payments/t1/vault"
    reads = [r.status for r in phx.requests if r.method == "HEAD" and r.path.startswith("/r/phx/")]
    assert reads[0] == 404  # not replicated yet when the drill began: it waited ...
    assert reads[-1] == 200  # ... until the copy was there
    assert "(from the drill's inputs)" in found["checks"][1]["detail"]


def test_a_drill_from_the_vault_regions_bucket_says_it_proves_no_region_loss(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    stack = engine()
    stack.up(program(phx))
    found = record(stack)
    assert found["checks_passed"] is True, found["error"]
    assert found["proves_region_loss"] is False
    assert found["restored_from"].startswith("the bucket in the vault's own region us-ashburn-1: this does not prove")


def test_a_replica_that_never_arrives_fails_the_drill_at_its_deadline_naming_it(
    phx: KmsStub, engine: Callable[..., Engine]
) -> None:
    phx.replicate("acme", "vault-backups", "phx", "vault-backups-phx", lag=1_000_000)
    stack = engine()
    replica = {"objectstorage_endpoint": phx.regional_url("phx")}
    stack.up(program(phx, REPLICATED, point=replica, timeouts={"create": "6s"}))
    found = record(stack)
    assert found["checks_passed"] is False
    assert "replica bucket acme/vault-backups-phx/payments/t1/vault in us-phoenix-1" in found["error"]
    assert "not replicated yet" in found["error"]
    assert phx.restores == []  # nothing restored from a copy that is not there
