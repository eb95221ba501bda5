"""Validation of `oci.vault_backups` and `oci.vault_restores`: each rule, good and bad."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config import load_topology
from tests.conftest import COMPARTMENT, topology_problems

VAULT = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljspaymentsvaultexample"
KEY1 = "ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey1example"
KEY2 = "ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey2example"
SECRET_OCID = "ocid1.vaultsecret.oc1.iad.amaaaaaapaymentssecretexample"


def spec(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "payments",
        "vault_id": VAULT,
        "keys": [KEY1],
        "destination": {"bucket": {"namespace": "acme", "bucket": "vault-backups"}},
        "trigger": "2026-11-23",
    }
    base.update(changes)
    return base


def problems(*specs: dict[str, Any], restores: list[dict[str, Any]] | None = None) -> list[str]:
    raw: dict[str, Any] = {"oci": {"region": "us-ashburn-1", "vault_backups": [copy.deepcopy(s) for s in specs]}}
    if restores is not None:
        raw["oci"]["vault_restores"] = restores
    return topology_problems(raw)


def test_a_valid_backup_passes() -> None:
    assert problems(spec()) == []


def test_secrets_cannot_be_backed_up() -> None:
    assert problems(spec(keys=[SECRET_OCID])) == [
        "oci.vault_backups[0].keys[0]: secrets cannot be backed up "
        "(OCI Vault backs up only virtual private vaults and HSM-protected keys)"
    ]


def test_vault_id_must_be_a_vault() -> None:
    [problem] = problems(spec(vault_id=KEY1))
    assert problem.startswith("oci.vault_backups[0].vault_id: is a vault key OCID; expected a vault")


def test_exactly_one_destination() -> None:
    both = {"bucket": {"namespace": "a", "bucket": "b"}, "par": {"namespace": "a", "bucket": "b"}}
    assert problems(spec(destination=both)) == [
        "oci.vault_backups[0].destination: give exactly one of bucket, par or par_uri (got bucket, par)"
    ]
    assert problems(spec(destination={})) == [
        "oci.vault_backups[0].destination: give exactly one of bucket, par or par_uri"
    ]


def test_a_given_par_writes_one_object() -> None:
    given = {"par_uri": {"uri_config_key": "parUri"}}
    [problem] = problems(spec(destination=given))
    assert problem.startswith("oci.vault_backups[0].destination.par_uri: a PAR URL writes one object")
    assert problems(spec(destination=given, keys=[])) == []


def test_nothing_to_back_up() -> None:
    assert problems(spec(backup_vault=False, keys=[], include_keys=True)) == [
        "oci.vault_backups[0].keys: nothing to back up: set backup_vault or list keys"
    ]


def test_include_keys_needs_a_vault_backup() -> None:
    assert problems(spec(backup_vault=False, include_keys=False)) == [
        "oci.vault_backups[0].include_keys: only applies to a vault backup (backup_vault is false)"
    ]


def test_a_key_listed_twice() -> None:
    assert problems(spec(keys=[KEY1, KEY1])) == ["oci.vault_backups[0].keys[1]: key already listed at keys[0]"]


def test_a_key_in_another_region_than_its_vault() -> None:
    other = "ocid1.key.oc1.phx.bbpaymentsexample.abuwcljspaymentskey3example"
    assert problems(spec(keys=[other])) == [
        "oci.vault_backups[0].keys[0]: key is in another region than the vault; keys live in their vault"
    ]


def test_one_backup_of_a_vault_at_a_time() -> None:
    assert problems(spec(), spec(name="again", keys=[])) == [
        "oci.vault_backups[1].vault_id: vault is already backed up by oci.vault_backups[0]; "
        "OCI runs one backup of a vault at a time"
    ]


def test_one_backup_of_a_key_at_a_time() -> None:
    other_vault = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljsothervaultexample"
    assert problems(spec(), spec(name="again", vault_id=other_vault, backup_vault=False, include_keys=True)) == [
        "oci.vault_backups[1].keys[0]: key is already backed up by oci.vault_backups[0]; "
        "OCI runs one backup of a key at a time"
    ]


def test_the_vault_must_be_in_the_stacks_region() -> None:
    phx = "ocid1.vault.oc1.phx.bbpaymentsexample.abuwcljspaymentsvaultexample"
    assert problems(spec(vault_id=phx, keys=[])) == [
        "oci.vault_backups[0].vault_id: vault is in us-phoenix-1, but oci.region is us-ashburn-1"
    ]


def test_backup_names_are_unique() -> None:
    other_vault = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljsothervaultexample"
    assert problems(spec(), spec(vault_id=other_vault, keys=[])) == [
        "oci.vault_backups[1].name: 'payments' is already the name of oci.vault_backups[0]"
    ]


@pytest.mark.parametrize("trigger", ["", "has space", "a/b", "-leading", "x" * 65])
def test_trigger_is_object_name_safe(trigger: str) -> None:
    [problem] = problems(spec(trigger=trigger))
    assert problem.startswith("oci.vault_backups[0].trigger: must be 1-64 characters")


@pytest.mark.parametrize(("given", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), (600, 600)])
def test_timeouts_take_durations(given: Any, seconds: int) -> None:
    topology = load_topology({"oci": {"region": "us-ashburn-1", "vault_backups": [spec(timeouts={"create": given})]}})
    assert topology.oci is not None
    assert topology.oci.vault_backups[0].timeouts.create == seconds


def test_a_bad_duration_names_the_field() -> None:
    assert problems(spec(timeouts={"create": "soon"})) == [
        "oci.vault_backups[0].timeouts.create: must be a duration like 90s, 30m or 2h (got 'soon')"
    ]


def test_par_expiry_is_bounded() -> None:
    [problem] = problems(spec(destination={"par": {"namespace": "a", "bucket": "b", "expires_in_days": 0}}))
    assert problem.startswith("oci.vault_backups[0].destination.par.expires_in_days: must be greater than or equal")


def restore(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "dr",
        "compartment_id": COMPARTMENT,
        "vault": {"display_name": "v", "source": {"namespace": "a", "bucket": "b", "object_name": "o"}},
        "keys": [{"name": "k", "display_name": "k", "source": {"namespace": "a", "bucket": "b", "object_name": "k"}}],
    }
    base.update(changes)
    return base


def test_a_valid_restore_passes() -> None:
    assert problems(restores=[restore()]) == []


def test_keys_without_a_vault_need_its_endpoint() -> None:
    assert problems(restores=[restore(vault=None)]) == [
        "oci.vault_restores[0].management_endpoint: keys are restored into a vault: "
        "restore the vault too, or give its endpoint"
    ]
    fine = restore(vault=None, management_endpoint="https://x-management.kms.us-ashburn-1.oraclecloud.com")
    assert problems(restores=[fine]) == []


def test_nothing_to_restore() -> None:
    assert problems(restores=[restore(vault=None, keys=[])]) == [
        "oci.vault_restores[0].vault: nothing to restore: give vault and/or keys"
    ]


def test_restore_names_are_unique() -> None:
    assert problems(restores=[restore(), restore()]) == [
        "oci.vault_restores[1].name: 'dr' is already the name of oci.vault_restores[0]"
    ]


def test_a_given_par_url_takes_neither_retention_nor_delete_on_removal() -> None:
    given = {"par_uri": {"uri_config_key": "parUrl"}}
    found = problems(spec(keys=[], destination=given, retention={"keep_last": 3}, delete_on_removal=True))
    assert found == [
        "oci.vault_backups[0].retention: a PAR URL made elsewhere lets the stack write one object only: "
        "it cannot list or delete backups there",
        "oci.vault_backups[0].delete_on_removal: a PAR URL made elsewhere lets the stack write one object only: "
        "it cannot list or delete backups there",
    ]


def test_retention_names_what_is_missing_or_wrong() -> None:
    assert problems(spec(retention={})) == [
        "oci.vault_backups[0].retention.keep_last: give keep_last, max_age_days or both (or leave retention out)"
    ]
    [wrong] = problems(spec(retention={"keep_last": 0}))
    assert wrong.startswith("oci.vault_backups[0].retention.keep_last: ")


def test_two_backups_into_one_bucket_under_overlapping_prefixes_are_refused() -> None:
    other_vault = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljsothervaultexample"
    bucket = {"namespace": "acme", "bucket": "vault-backups"}
    first = spec(destination={"bucket": {**bucket, "object_prefix": "pay"}})
    second = spec(
        name="ledger", vault_id=other_vault, keys=[], destination={"bucket": {**bucket, "object_prefix": "pay-eu/"}}
    )
    assert problems(first, second) == [
        "oci.vault_backups[1].destination.bucket.object_prefix: its objects (pay-eu/…) overlap those of "
        "oci.vault_backups[0] (pay…) in bucket vault-backups: give each its own prefix"
    ]
    apart = spec(
        name="ledger", vault_id=other_vault, keys=[], destination={"bucket": {**bucket, "object_prefix": "ledger/"}}
    )
    assert problems(spec(destination={"bucket": {**bucket, "object_prefix": "pay/"}}), apart) == []


# --- destination.replicate_to ----------------------------------------------------------------------------

BUCKET = {"namespace": "acme", "bucket": "vault-backups"}


def test_replicate_to_takes_a_region_or_a_region_and_bucket() -> None:
    assert problems(spec(destination={"bucket": BUCKET, "replicate_to": "us-phoenix-1"})) == []
    given = {"region": "us-phoenix-1", "bucket": "vault-backups-phx"}
    assert problems(spec(destination={"par": BUCKET, "replicate_to": given})) == []
    [loaded] = load_topology(
        {
            "oci": {
                "region": "us-ashburn-1",
                "vault_backups": [spec(destination={"bucket": BUCKET, "replicate_to": given})],
            }
        }
    ).oci.vault_backups  # type: ignore[union-attr]
    assert loaded.destination.replica() == ("us-phoenix-1", "acme", "vault-backups-phx")


def test_replicate_to_is_refused_for_the_vaults_own_region_an_unknown_one_and_a_given_par() -> None:
    assert problems(spec(destination={"bucket": BUCKET, "replicate_to": "us-ashburn-1"})) == [
        "oci.vault_backups[0].destination.replicate_to: us-ashburn-1 is the vault's own region: a copy there is lost "
        "with the region; name another region",
    ]
    [unknown] = problems(spec(destination={"bucket": BUCKET, "replicate_to": "us-phenix-1"}))
    assert unknown.startswith("oci.vault_backups[0].destination.replicate_to.region: unknown OCI region 'us-phenix-1'")
    [given] = problems(spec(keys=[], destination={"par_uri": {"uri_config_key": "k"}, "replicate_to": "us-phoenix-1"}))
    assert given.startswith("oci.vault_backups[0].destination.replicate_to: a PAR URL made elsewhere names a bucket")


def test_a_bucket_is_replicated_by_one_entry_only() -> None:
    first = spec(destination={"bucket": {**BUCKET, "object_prefix": "a/"}, "replicate_to": "us-phoenix-1"})
    second = spec(
        name="ledger",
        vault_id="ocid1.vault.oc1.iad.bbledgerexample.abuwcljsledgervaultexample",
        keys=[],
        destination={"bucket": {**BUCKET, "object_prefix": "b/"}, "replicate_to": "us-phoenix-1"},
    )
    [found] = problems(first, second)
    assert found.startswith(
        "oci.vault_backups[1].destination.replicate_to: bucket acme/vault-backups is already replicated by "
        "oci.vault_backups[0]"
    )
