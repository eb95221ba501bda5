"""VaultBackup and VaultRestore components under the mock runtime, through the real program."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any

import pulumi
import pulumi_oci as oci
import pytest
from pulumi.runtime import MockResourceArgs, rpc

from components.config import CONFIG_KEY
from components.oci.vault_backup import VaultBackup, VaultRestore
from components.tooling.mock_runtime import SECRET, RecordingMonitor, TopologyMocks, simulate
from tests.conftest import COMPARTMENT, ROOT, run_program, topology_problems

VAULT = "ocid1.vault.oc1.iad.bbpaymentsexample.abuwcljspaymentsvaultexample"
KEY1 = "ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey1example"
KEY2 = "ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey2example"
PAR = "https://objectstorage.us-ashburn-1.oraclecloud.com/p/Sup3rS3cretT0ken/n/acme/b/vault-backups/o/hr/vault"
VAULT_BACKUP = "pulumi-python:dynamic/backup-topology:OciVaultBackup"
KEY_BACKUP = "pulumi-python:dynamic/backup-topology:OciKeyBackup"
PAR_TYPE = "oci:ObjectStorage/preauthrequest:Preauthrequest"


def backup(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "payments",
        "vault_id": VAULT,
        "keys": [KEY1, KEY2],
        "destination": {"bucket": {"namespace": "acme", "bucket": "vault-backups"}},
        "trigger": "2026-11-23",
    }
    spec.update(changes)
    return spec


def topology(*specs: dict[str, Any], restores: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    oci: dict[str, Any] = {"region": "us-ashburn-1", "vault_backups": [copy.deepcopy(s) for s in specs]}
    if restores:
        oci["vault_restores"] = restores
    return {"oci": oci}


def test_bucket_backup_declares_vault_then_keys_in_a_chain() -> None:
    sim = run_program(topology(backup()))
    [component] = sim.of_type("backup-topology:index:VaultBackup")
    [vault] = sim.of_type(VAULT_BACKUP)
    keys = sim.of_type(KEY_BACKUP)
    assert vault.parent == component.urn
    assert vault.inputs["vault_id"] == VAULT
    assert vault.inputs["include_keys"] is True
    assert vault.inputs["location"] == {
        "namespace": "acme",
        "bucket": "vault-backups",
        "object_name": "payments/2026-11-23/vault",
    }
    assert vault.inputs["connection"] == {"region": "us-ashburn-1"}
    assert vault.inputs["timeouts"]["create"] == 1800
    by_key = {k.inputs["key_id"]: k for k in keys}
    assert set(by_key) == {KEY1, KEY2}
    assert by_key[KEY1].inputs["location"]["object_name"] == "payments/2026-11-23/key-mentskey1example"
    # one backup of a vault or key at a time: each waits for the previous one
    assert vault.urn in by_key[KEY1].dependencies
    assert by_key[KEY1].urn in by_key[KEY2].dependencies
    exported = sim.exports["oci_vault_backups"]["payments"]
    assert exported["vault_id"] == VAULT
    assert exported["backed_up_key_ids"] == [KEY1, KEY2]
    assert exported["objects"]["vault"]["object_name"] == "payments/2026-11-23/vault"


def test_keys_only_backup_declares_no_vault_backup() -> None:
    sim = run_program(topology(backup(backup_vault=False, include_keys=True, keys=[KEY1])))
    assert sim.of_type(VAULT_BACKUP) == []
    assert len(sim.of_type(KEY_BACKUP)) == 1


def test_object_prefix_and_timeouts_are_used() -> None:
    spec = backup(
        destination={"bucket": {"namespace": "acme", "bucket": "b", "object_prefix": "kms/"}},
        timeouts={"create": "45m"},
        keys=[],
    )
    [vault] = run_program(topology(spec)).of_type(VAULT_BACKUP)
    assert vault.inputs["location"]["object_name"] == "kms/2026-11-23/vault"
    assert vault.inputs["timeouts"]["create"] == 2700


def test_created_par_is_write_only_on_exactly_the_backup_object_and_expires() -> None:
    spec = backup(destination={"par": {"namespace": "acme", "bucket": "vault-backups", "expires_in_days": 2}})
    sim = run_program(topology(spec))
    pars = {p.inputs["objectName"]: p for p in sim.of_type(PAR_TYPE)}
    assert set(pars) == {
        "payments/2026-11-23/vault",
        "payments/2026-11-23/key-mentskey1example",
        "payments/2026-11-23/key-mentskey2example",
    }
    [expiry] = sim.of_type("pulumi-python:dynamic/backup-topology:ExpiryTime")
    for par in pars.values():
        assert par.inputs["accessType"] == "ObjectWrite"
        assert par.inputs["timeExpires"] == expiry.inputs["expires_at"]
        assert par.inputs["fullPath"] == SECRET
        assert par.inputs["accessUri"] == SECRET
        assert "2026-11-23" in par.inputs["name"]
    assert expiry.inputs["days"] == 2
    for resource in sim.of_type(VAULT_BACKUP) + sim.of_type(KEY_BACKUP):
        assert resource.inputs["par_uri"] == SECRET
        assert "location" not in resource.inputs or resource.inputs["location"] is None
    assert sim.exports["oci_vault_backups"]["payments"]["vault_id"] == VAULT  # plain: the PARs are exported apart
    assert sim.exports["oci_vault_backup_par_uris"] == SECRET


def test_given_par_comes_from_a_secret_config_key_and_stays_secret() -> None:
    spec = backup(keys=[], destination={"par_uri": {"uri_config_key": "hrParUri"}})
    sim = simulate(
        lambda: __import__("runpy").run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config={CONFIG_KEY: topology(spec), "backup-topology:hrParUri": PAR},
        secret_keys=["backup-topology:hrParUri"],
    )
    [vault] = sim.of_type(VAULT_BACKUP)
    assert vault.inputs["par_uri"] == SECRET
    text = json.dumps([r.inputs for r in sim.resources]) + json.dumps(sim.exports)
    assert "Sup3rS3cretT0ken" not in text


def test_given_par_without_its_config_key_stops_with_the_field_named() -> None:
    spec = backup(keys=[], destination={"par_uri": {"uri_config_key": "hrParUri"}})
    with pytest.raises(pulumi.RunError) as failure:
        run_program(topology(spec))
    message = str(failure.value)
    assert "oci.vault_backups[0].destination.par_uri.uri_config_key" in message
    assert "backup-topology:hrParUri" in message
    assert "Traceback" not in message


def test_a_par_written_in_plain_text_in_the_stack_file_is_refused_without_quoting_it() -> None:
    spec = backup(keys=[], destination={"par_uri": {"uri_config_key": "hrParUri"}})
    with pytest.raises(pulumi.RunError) as failure:
        simulate(
            lambda: __import__("runpy").run_path(str(ROOT / "__main__.py"), run_name="__main__"),
            config={CONFIG_KEY: topology(spec), "backup-topology:hrParUri": PAR},  # not a `secure:` value
        )
    message = str(failure.value)
    assert "oci.vault_backups[0].destination.par_uri.uri_config_key" in message
    assert "plain text" in message
    assert "pulumi config set --secret hrParUri" in message
    assert "Sup3rS3cretT0ken" not in message


def test_the_serialized_providers_hold_no_secret_or_credential() -> None:
    seen: list[str] = []

    class Capture(TopologyMocks):
        def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
            provider = args.inputs.get("__provider")
            if isinstance(provider, dict):  # a secret: {signature: secret, value: ...}
                seen.append(provider["value"])
            return super().new_resource(args)

    spec = backup(keys=[], destination={"par_uri": {"uri_config_key": "hrParUri"}})
    simulate(
        lambda: __import__("runpy").run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config={CONFIG_KEY: topology(spec), "backup-topology:hrParUri": PAR},
        secret_keys=["backup-topology:hrParUri"],
        mocks=Capture(),
    )
    assert seen
    for provider in seen:
        blob = base64.b64decode(provider)
        assert b"Sup3rS3cretT0ken" not in blob
        assert b"PRIVATE KEY" not in blob
        assert b"fingerprint" not in blob
        assert len(blob) < 4096  # a reference to the class, not a captured object graph


def test_component_args_errors_name_the_component_and_field() -> None:
    def program() -> None:
        VaultBackup("bad", {**backup(trigger="no spaces allowed"), "region": "us-ashburn-1"})

    with pytest.raises(pulumi.RunError) as failure:
        simulate(program)
    assert "VaultBackup 'bad': invalid args" in str(failure.value)
    assert "trigger: must be 1-64 characters" in str(failure.value)


def test_restore_declares_vault_before_keys_and_retains_them() -> None:
    restore = {
        "name": "payments-dr",
        "compartment_id": COMPARTMENT,
        "vault": {
            "display_name": "payments-restored",
            "source": {"namespace": "acme", "bucket": "vault-backups", "object_name": "payments/2026-11-23/vault"},
        },
        "keys": [
            {
                "name": "key1",
                "display_name": "payments-key-1",
                "source": {"namespace": "acme", "bucket": "vault-backups", "object_name": "payments/k1"},
            }
        ],
    }
    sim = run_program({"oci": {"region": "us-ashburn-1", "vault_restores": [restore]}})
    [vault] = sim.of_type("oci:Kms/vault:Vault")
    [key] = sim.of_type("oci:Kms/key:Key")
    assert vault.inputs["vaultType"] == "VIRTUAL_PRIVATE"
    assert vault.inputs["restoreFromObjectStore"] == {
        "destination": "BUCKET",
        "namespace": "acme",
        "bucket": "vault-backups",
        "object": "payments/2026-11-23/vault",
    }
    assert vault.inputs["compartmentId"] == COMPARTMENT
    assert key.inputs["managementEndpoint"] == vault.inputs["managementEndpoint"]
    assert key.inputs["protectionMode"] == "HSM"
    assert key.inputs["restoreFromObjectStore"]["object"] == "payments/k1"
    assert vault.urn in key.dependencies
    assert vault.retain_on_delete
    assert key.retain_on_delete
    exported = sim.exports["oci_vault_restores"]["payments-dr"]
    assert exported["management_endpoint"] == vault.inputs["managementEndpoint"]
    assert set(exported["key_ids"]) == {"key1"}


def test_keys_restored_into_an_existing_vault_use_its_endpoint() -> None:
    restore = {
        "name": "keys-only",
        "compartment_id": COMPARTMENT,
        "management_endpoint": "https://abc-management.kms.us-ashburn-1.oraclecloud.com",
        "keys": [
            {
                "name": "key1",
                "display_name": "k",
                "source": {"namespace": "acme", "bucket": "b", "object_name": "o"},
            }
        ],
    }
    sim = run_program({"oci": {"region": "us-ashburn-1", "vault_restores": [restore]}})
    assert sim.of_type("oci:Kms/vault:Vault") == []
    [key] = sim.of_type("oci:Kms/key:Key")
    assert key.inputs["managementEndpoint"] == "https://abc-management.kms.us-ashburn-1.oraclecloud.com"


# --- args from other resources ---------------------------------------------------------------------------


def test_vault_keys_and_bucket_from_other_resources_wire_in_with_their_object_names() -> None:
    def program() -> None:
        vault = oci.kms.Vault("v", compartment_id=COMPARTMENT, display_name="v", vault_type="VIRTUAL_PRIVATE")
        key = oci.kms.Key(
            "k",
            compartment_id=COMPARTMENT,
            display_name="k",
            key_shape=oci.kms.KeyKeyShapeArgs(algorithm="AES", length=32),
            management_endpoint=vault.management_endpoint,
        )
        bucket = oci.objectstorage.Bucket("b", compartment_id=COMPARTMENT, namespace="acme", name="vault-backups")
        spec = backup(
            vault_id=vault.id, keys=[key.id], destination={"bucket": {"namespace": "acme", "bucket": bucket.name}}
        )
        pulumi.export("objects", VaultBackup("payments", {**spec, "region": "us-ashburn-1"}).objects)

    sim = simulate(program)
    [key] = sim.of_type("oci:Kms/key:Key")
    [made] = sim.of_type(KEY_BACKUP)
    assert made.name == "payments-key-0"
    assert made.inputs["key_id"] == key.id
    assert made.inputs["location"]["object_name"] == f"payments/2026-11-23/key-{str(key.id)[-16:]}"
    assert key.urn in made.dependencies
    assert set(sim.exports["objects"]) == {"vault", "keys[0]"}


def test_a_key_from_another_region_than_its_vault_fails_when_known() -> None:
    phx_key = "ocid1.key.oc1.phx.bbpaymentsexample.abuwcljsphxkeyexample"

    def program() -> None:
        spec = backup(keys=[pulumi.Output.from_input(phx_key)])
        VaultBackup("payments", {**spec, "region": "us-ashburn-1"})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    assert str(info.value).splitlines() == [
        "VaultBackup 'payments': invalid args",
        "keys[0]: key is in another region than the vault; keys live in their vault",
    ]


def test_a_given_par_url_from_an_output_stays_secret_and_is_checked_without_being_quoted() -> None:
    def program() -> None:
        spec = backup(keys=[], destination={"par_uri": {"uri": pulumi.Output.from_input("https://nope/Sup3rS3cret")}})
        VaultBackup("hr", {**spec, "region": "us-ashburn-1"})

    with pytest.raises(pulumi.RunError) as info:
        simulate(program)
    assert "destination.par_uri.uri: must be an Object Storage pre-authenticated request URL" in str(info.value)
    assert "Sup3rS3cret" not in str(info.value)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_restore_from_objects_and_a_compartment_of_other_resources(preview: bool) -> None:
    def program() -> None:
        comp = oci.identity.Compartment("payments", compartment_id=COMPARTMENT, description="payments", name="payments")
        bucket = oci.objectstorage.Bucket("b", compartment_id=COMPARTMENT, namespace="acme", name="vault-backups")
        source = {"namespace": "acme", "bucket": bucket.name, "object_name": "payments/t1/vault"}
        VaultRestore("dr", {"compartment_id": comp.id, "vault": {"display_name": "payments-dr", "source": source}})

    sim = simulate(program, preview=preview)
    [vault] = sim.of_type("oci:Kms/vault:Vault")
    [comp] = sim.of_type("oci:Identity/compartment:Compartment")
    assert comp.urn in vault.dependencies
    assert vault.retain_on_delete
    if not preview:
        assert vault.inputs["compartmentId"] == comp.id
        assert vault.inputs["restoreFromObjectStore"]["bucket"] == "vault-backups"


# --- restores from a PAR URL and from a file -------------------------------------------------------------


def _restore(vault_source: dict[str, Any], key_source: dict[str, Any] | None = None) -> dict[str, Any]:
    restore: dict[str, Any] = {
        "name": "payments-dr",
        "compartment_id": COMPARTMENT,
        "vault": {"display_name": "payments-restored", "source": vault_source},
    }
    if key_source is not None:
        restore["keys"] = [{"name": "key1", "display_name": "k1", "source": key_source}]
    return restore


def _run_main(restore: dict[str, Any], **config: str) -> Any:
    return simulate(
        lambda: __import__("runpy").run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config={CONFIG_KEY: {"oci": {"region": "us-ashburn-1", "vault_restores": [restore]}}, **config},
        secret_keys=list(config),
    )


def test_a_restore_from_a_par_url_in_a_secret_config_key_sends_it_as_a_secret() -> None:
    given = {"par_uri": {"uri_config_key": "drParUri"}}
    sim = _run_main(_restore(given, given), **{"backup-topology:drParUri": PAR})
    [vault] = sim.of_type("oci:Kms/vault:Vault")
    [key] = sim.of_type("oci:Kms/key:Key")
    for restored in (vault, key):
        assert restored.inputs["restoreFromObjectStore"] == SECRET  # destination PRE_AUTHENTICATED_REQUEST_URI
    text = json.dumps([r.inputs for r in sim.resources], default=str) + json.dumps(sim.exports, default=str)
    assert "Sup3rS3cretT0ken" not in text


def _sent(program: Any) -> dict[str, Any]:
    """The vault's inputs as sent to its provider (secrets revealed), by a monitor that keeps them."""
    sent: dict[str, Any] = {}

    class Keeping(RecordingMonitor):
        def register(self, request: Any) -> Any:
            if request.type == "oci:Kms/vault:Vault":
                sent.update(_revealed(rpc.deserialize_properties(request.object, keep_unknowns=True)))
            return super().register(request)

    simulate(program, monitor=Keeping)
    return sent


def _revealed(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _revealed(value["value"])
        return {k: _revealed(v) for k, v in value.items()}
    return value


def test_a_restore_from_a_par_url_sends_the_pre_authenticated_request_destination() -> None:
    sent = _sent(lambda: VaultRestore("dr", _restore({"par_uri": {"uri": PAR}})))
    assert sent["restoreFromObjectStore"] == {"destination": "PRE_AUTHENTICATED_REQUEST_URI", "uri": PAR}


def test_a_restore_from_a_file_sends_its_content_length_and_md5(tmp_path: Any) -> None:
    backup_file = tmp_path / "vault.backup"
    content = bytes(range(256)) * 3  # a backup is binary
    backup_file.write_bytes(content)

    def program() -> None:
        VaultRestore("dr", _restore({"file": str(backup_file)}))

    sent = _sent(program)["restoreFromFile"]
    assert base64.b64decode(sent["restoreVaultFromFileDetails"]) == content
    assert sent["contentLength"] == str(len(content))
    assert sent["contentMd5"] == base64.b64encode(hashlib.md5(content).digest()).decode()
    assert simulate(program).of_type("oci:Kms/vault:Vault")[0].inputs["restoreFromFile"] == SECRET


def test_a_restore_source_is_exactly_one_of_object_par_or_file_and_a_missing_file_is_named(tmp_path: Any) -> None:
    both = {"namespace": "acme", "bucket": "b", "object_name": "o", "file": "x.backup"}
    with pytest.raises(pulumi.RunError) as failure:
        simulate(lambda: VaultRestore("dr", _restore(both)))
    assert "vault.source: give exactly one of namespace/bucket/object_name, par_uri or file (got object, file)" in str(
        failure.value
    )
    with pytest.raises(pulumi.RunError) as failure:
        simulate(lambda: VaultRestore("dr", _restore({"file": str(tmp_path / "absent.backup")})))
    assert "vault.source.file: cannot be read (No such file or directory)" in str(failure.value)
    with pytest.raises(pulumi.RunError) as failure:
        simulate(lambda: VaultRestore("dr", _restore({"namespace": "acme", "bucket": "b"})))
    assert "vault.source.object_name: required with the object's other parts" in str(failure.value)


def test_a_par_url_written_in_the_stack_file_is_refused() -> None:
    raw = {"oci": {"region": "us-ashburn-1", "vault_restores": [_restore({"par_uri": {"uri": PAR}})]}}
    problems = topology_problems(raw)
    assert any(
        p.startswith("oci.vault_restores[0].vault.source.par_uri.uri: a PAR URL grants access") for p in problems
    )
    assert all("Sup3rS3cretT0ken" not in p for p in problems)


# --- which keys the backups hold: what the cloud confirmed, never the `keys` input ------------------------


class _BackupsRan(TopologyMocks):
    """Answers as the providers do after an `up`: the vault backup held KEY1 and left KEY3 out."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        if args.typ == VAULT_BACKUP:
            outputs.update(
                vault_compartment_id=COMPARTMENT,
                keys_in_backup=[{"id": KEY1, "name": "k1", "compartment_id": COMPARTMENT, "state": "ENABLED"}],
                keys_left_out=[{"id": KEY3, "state": "PENDING_DELETION", "why": "PENDING_DELETION: ..."}],
            )
        elif args.typ == KEY_BACKUP:
            outputs.update(compartment_id="ocid1.compartment.oc1..aaaaaaaakeyscompartment")
        return resource_id, outputs


KEY3 = "ocid1.key.oc1.iad.bbpaymentsexample.abuwcljspaymentskey3example"


def test_backed_up_key_ids_are_the_keys_the_backups_hold_never_one_left_out() -> None:
    sim = simulate(
        lambda: __import__("runpy").run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config={CONFIG_KEY: topology(backup(keys=[KEY2]))},
        mocks=_BackupsRan(),
    )
    exported = sim.exports["oci_vault_backups"]["payments"]
    assert exported["backed_up_key_ids"] == [KEY2, KEY1]  # the key backed up alone, then the vault backup's
    assert KEY3 not in exported["backed_up_key_ids"]
    assert [k["id"] for k in exported["keys_left_out"]] == [KEY3]
    assert exported["compartments"] == {
        "vault": COMPARTMENT,
        KEY2: "ocid1.compartment.oc1..aaaaaaaakeyscompartment",
    }


def test_before_an_up_no_key_of_the_vault_backup_is_claimed() -> None:
    sim = run_program(topology(backup(keys=[])))
    exported = sim.exports["oci_vault_backups"]["payments"]
    assert exported["backed_up_key_ids"] == []  # the `keys_in_backup` output is not known under mocks


def test_key_compartments_reach_the_vault_backup_and_need_a_vault_backup_with_keys() -> None:
    other = "ocid1.compartment.oc1..aaaaaaaaothercompartment"
    [vault] = run_program(topology(backup(key_compartments=[other]))).of_type(VAULT_BACKUP)
    assert vault.inputs["key_compartments"] == [other]
    found = topology_problems(topology(backup(include_keys=False, key_compartments=[other])))
    assert found == [
        "oci.vault_backups[0].key_compartments: only used to list the keys a vault backup with include_keys holds"
    ]
    found = topology_problems(topology(backup(key_compartments=[other, other])))
    assert found == ["oci.vault_backups[0].key_compartments[1]: compartment already listed at key_compartments[0]"]


# --- the bucket replicated to another region ------------------------------------------------------------

REPLICATION = "oci:ObjectStorage/replicationPolicy:ReplicationPolicy"


def test_replicate_to_declares_the_buckets_replication_policy_before_any_backup() -> None:
    spec = backup(
        destination={"bucket": {"namespace": "acme", "bucket": "vault-backups"}, "replicate_to": "us-phoenix-1"}
    )
    sim = run_program(topology(spec))
    [replication] = sim.of_type(REPLICATION)
    assert replication.inputs == {
        "namespace": "acme",
        "bucket": "vault-backups",
        "destinationRegionName": "us-phoenix-1",
        "destinationBucketName": "vault-backups",
        "name": "payments-to-us-phoenix-1",
    }
    [vault] = sim.of_type(VAULT_BACKUP)
    assert replication.urn in vault.dependencies  # objects written before the policy would not be copied
    [provider] = sim.of_type("pulumi:providers:oci")
    assert provider.inputs["region"] == "us-ashburn-1"  # the policy belongs to the source bucket's region
    exported = sim.exports["oci_vault_backups"]["payments"]
    assert exported["replica"] == {"region": "us-phoenix-1", "namespace": "acme", "bucket": "vault-backups"}


def test_a_bucket_replicated_later_changes_every_backups_identity_so_the_backups_are_taken_again() -> None:
    bucket = {"namespace": "acme", "bucket": "vault-backups"}
    before = run_program(topology(backup()))
    after = run_program(topology(backup(destination={"bucket": bucket, "replicate_to": "us-phoenix-1"})))
    for kind in (VAULT_BACKUP, KEY_BACKUP):
        assert all("replica" not in b.inputs for b in before.of_type(kind))
        assert [b.inputs["replica"] for b in after.of_type(kind)] == [
            {"region": "us-phoenix-1", "bucket": "vault-backups"}
        ] * len(after.of_type(kind))


def test_an_entry_writing_to_a_bucket_another_entry_replicates_waits_for_its_policy_and_carries_the_replica() -> None:
    bucket = {"namespace": "acme", "bucket": "vault-backups"}
    other = "ocid1.vault.oc1.iad.bbhrexample.abuwcljshrvaultexample"
    sharing = backup(name="hr", vault_id=other, keys=[], destination={"bucket": bucket})
    replicating = backup(destination={"bucket": bucket, "replicate_to": "us-phoenix-1"})
    sim = run_program(topology(sharing, replicating))  # the sharing entry first: the program orders them
    [policy] = sim.of_type(REPLICATION)
    hr = next(b for b in sim.of_type(VAULT_BACKUP) if b.inputs["vault_id"] == other)
    assert hr.inputs["replica"] == {"region": "us-phoenix-1", "bucket": "vault-backups"}
    assert policy.urn in hr.dependencies
    assert list(sim.exports["oci_vault_backups"]) == ["hr", "payments"]  # exports keep the stack file's order
    assert sim.exports["oci_vault_backups"]["hr"]["replica"]["region"] == "us-phoenix-1"


def test_replicated_by_names_a_vault_backup_that_replicates_the_same_bucket() -> None:
    def program() -> None:
        where = {"bucket": {"namespace": "acme", "bucket": "b1"}}
        source = VaultBackup("a", {**backup(destination=where), "region": "us-ashburn-1"})
        VaultBackup("b", {**backup(), "region": "us-ashburn-1"}, replicated_by=source)

    with pytest.raises(pulumi.RunError) as failure:
        simulate(program)
    assert "replicated_by: names a VaultBackup whose destination has no replicate_to" in str(failure.value)

    def elsewhere() -> None:
        where = {"bucket": {"namespace": "acme", "bucket": "b1"}, "replicate_to": "us-phoenix-1"}
        source = VaultBackup("a", {**backup(destination=where), "region": "us-ashburn-1"})
        other = {**backup(destination={"bucket": {"namespace": "acme", "bucket": "b2"}}), "region": "us-ashburn-1"}
        VaultBackup("b", other, replicated_by=source)

    with pytest.raises(pulumi.RunError) as failure:
        simulate(elsewhere)
    assert "replicated_by: that VaultBackup replicates bucket acme/b1, not the one this one writes to" in str(
        failure.value
    )


def test_a_component_refuses_a_replica_in_the_vaults_region() -> None:
    def program() -> None:
        where = {"bucket": {"namespace": "acme", "bucket": "b"}, "replicate_to": {"region": "us-ashburn-1"}}
        VaultBackup("bad", {**backup(destination=where), "region": "us-ashburn-1"})

    with pytest.raises(pulumi.RunError) as failure:
        simulate(program)
    assert "destination.replicate_to.region: us-ashburn-1 is the vault's own region" in str(failure.value)


# --- a new restore source restores again: restore_trigger ---------------------------------------------------

TRIGGER = "pulumi-python:dynamic/backup-topology:RestoreTrigger"


def _sources(sim: Any) -> dict[str, Any]:
    return {t.name: t.inputs["source"] for t in sim.of_type(TRIGGER)}


def test_each_restored_vault_and_key_takes_its_restore_trigger_from_its_source() -> None:
    obj = {"namespace": "acme", "bucket": "vault-backups", "object_name": "payments/t1/vault"}
    key = {**obj, "object_name": "payments/t1/key-mentskey1example"}
    first = _run_main(_restore(obj, key))
    assert _sources(first) == {
        "payments-dr-vault-source": "object:acme/vault-backups/payments/t1/vault",
        "payments-dr-key1-source": "object:acme/vault-backups/payments/t1/key-mentskey1example",
    }
    # (the vault's restore_trigger is that resource's output `flip`: tests/engine/test_vault_restore_engine.py)
    same = _run_main(_restore(obj, key))
    assert _sources(same) == _sources(first)  # the same source: the same input, nothing to restore
    newer = _run_main(_restore({**obj, "object_name": "payments/t2/vault"}, key))
    assert _sources(newer)["payments-dr-vault-source"] == "object:acme/vault-backups/payments/t2/vault"
    assert _sources(newer)["payments-dr-key1-source"] == _sources(first)["payments-dr-key1-source"]


def test_a_file_source_is_named_by_its_digest_and_a_par_url_by_the_urls_digest_never_the_url(tmp_path: Any) -> None:
    backup_file = tmp_path / "vault.backup"
    backup_file.write_bytes(b"backup one")
    par = {"par_uri": {"uri_config_key": "drParUri"}}
    sim = _run_main(_restore({"file": str(backup_file)}, par), **{"backup-topology:drParUri": PAR})
    sources = _sources(sim)
    assert sources["payments-dr-vault-source"] == f"file:{hashlib.sha256(b'backup one').hexdigest()}"
    assert sources["payments-dr-key1-source"] == f"par:{hashlib.sha256(PAR.encode()).hexdigest()}"
    assert "Sup3rS3cretT0ken" not in json.dumps(sources)
    backup_file.write_bytes(b"backup two")  # a new download of a newer backup
    again = _run_main(_restore({"file": str(backup_file)}, par), **{"backup-topology:drParUri": PAR})
    assert _sources(again)["payments-dr-vault-source"] == f"file:{hashlib.sha256(b'backup two').hexdigest()}"


# --- a restore without compartment_id takes the one the backup's metadata recorded ---------------------------

METADATA = "pulumi-python:dynamic/backup-topology:OciBackupMetadata"


def test_without_compartment_id_the_vault_is_restored_where_its_backups_metadata_says() -> None:
    obj = {"namespace": "acme", "bucket": "vault-backups", "object_name": "payments/t1/vault"}
    key = {**obj, "object_name": "payments/t1/key-mentskey1example"}
    restore = {k: v for k, v in _restore(obj, key).items() if k != "compartment_id"}
    sim = _run_main(restore)
    readers = {m.name: m.inputs for m in sim.of_type(METADATA)}
    assert readers["payments-dr-vault-metadata"]["location"] == obj
    assert readers["payments-dr-key1-metadata"]["location"] == key
    assert readers["payments-dr-vault-metadata"]["connection"]["region"] == "us-ashburn-1"
    # with compartment_id given, nothing is read
    assert _run_main(_restore(obj, key)).of_type(METADATA) == []


def test_a_file_restore_reads_the_metadata_downloaded_beside_it(tmp_path: Any) -> None:
    backup_file = tmp_path / "vault.backup"
    backup_file.write_bytes(b"a vault backup")
    restore = {k: v for k, v in _restore({"file": str(backup_file)}).items() if k != "compartment_id"}
    with pytest.raises(pulumi.RunError) as missing:
        _run_main(restore)
    assert f"compartment_id: required: no backup metadata {backup_file}.json beside the file" in str(missing.value)
    (tmp_path / "vault.backup.json").write_text(json.dumps({"vault_compartment_id": COMPARTMENT}))
    [vault] = _run_main(restore).of_type("oci:Kms/vault:Vault")
    assert vault.inputs["compartmentId"] == COMPARTMENT


def test_a_par_url_source_needs_compartment_id() -> None:
    restore = {k: v for k, v in _restore({"par_uri": {"uri_config_key": "drParUri"}}).items() if k != "compartment_id"}
    found = topology_problems({"oci": {"region": "us-ashburn-1", "vault_restores": [restore]}})
    assert found == [
        "oci.vault_restores[0].compartment_id: required with a par_uri source: the backup's metadata beside it "
        "cannot be read through the URL"
    ]
