"""The real program (__main__.py) under mocks: both example stacks, and a bad topology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.config import CONFIG_KEY
from tests.conftest import ROOT, run_program


def stack_topology(name: str) -> Any:
    return yaml.safe_load(Path(ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"][CONFIG_KEY]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_example_stacks_build(stack: str) -> None:
    topology = stack_topology(stack)
    sim = run_program(topology, stack=stack)
    oci = topology["oci"]
    plans = oci["boot_volume_plans"]
    components = sim.of_type("backup-topology:index:BootVolumeBackupPlan")
    assert sorted(c.name for c in components) == sorted(p["name"] for p in plans)
    every = [*plans, *oci.get("volume_plans", [])]
    groups = {g.urn: g.id for g in sim.of_type("oci:Core/volumeGroup:VolumeGroup")}
    assignments = sim.of_type("oci:Core/volumeBackupPolicyAssignment:VolumeBackupPolicyAssignment")
    volumes = [
        v if isinstance(v, str) else v["id"]
        for p in every
        for v in [*p.get("boot_volumes", []), *p.get("block_volumes", [])]
    ]
    assets = sorted(a.inputs["assetId"] for a in assignments if a.inputs["assetId"] not in groups.values())
    assert assets == sorted(volumes)
    assert len(assignments) - len(assets) == len([g for g in oci.get("volume_group_plans", []) if "policy" in g])
    assert set(sim.exports["oci_boot_volume_plans"]) == {p["name"] for p in plans}
    assert set(sim.exports.get("oci_volume_plans", {})) == {p["name"] for p in oci.get("volume_plans", [])}


def test_one_provider_per_oci_region() -> None:
    sim = run_program(stack_topology("prod"), stack="prod")
    providers = {p.name: p.inputs for p in sim.of_type("pulumi:providers:oci")}
    # the stack's region, and the destination of the OCI cross-region copy
    assert providers == {"oci-us-ashburn-1": {"region": "us-ashburn-1"}, "oci-us-phoenix-1": {"region": "us-phoenix-1"}}


def test_provider_auth_settings_are_passed() -> None:
    topology = stack_topology("dev")
    topology["oci"]["auth"] = "instance_principal"
    topology["oci"]["config_file_profile"] = "BACKUP"
    [provider] = run_program(topology).of_type("pulumi:providers:oci")
    assert provider.inputs == {"region": "us-ashburn-1", "auth": "InstancePrincipal", "configFileProfile": "BACKUP"}


def test_invalid_topology_stops_the_program_before_any_resource() -> None:
    topology = stack_topology("prod")
    topology["oci"]["boot_volume_plans"][0]["policy"]["schedules"][0]["retention_days"] = 0
    with pytest.raises(pulumi.RunError) as info:
        run_program(topology)
    assert str(info.value).splitlines() == [
        "invalid topology (1 problem):",
        "oci.boot_volume_plans[0].policy.schedules[0].retention_days: must be greater than or equal to 1 (got 0)",
    ]


def test_empty_topology_declares_nothing() -> None:
    sim = run_program({})
    assert sim.resources == []
    assert sim.exports == {}


def test_no_oci_provider_without_a_native_oci_resource() -> None:
    # Vault backups to a bucket are dynamic resources: a stack of only those needs no OCI provider plugin.
    topology = stack_topology("prod")
    topology["oci"]["boot_volume_plans"] = []
    topology["oci"]["volume_group_plans"] = []
    topology["copies"] = [c for c in topology["copies"] if "oci" not in c]
    volume_drills = {"oci", "oci_volume_group"}
    topology["restore_drills"] = [
        d for d in topology["restore_drills"] if not volume_drills & set(d)
    ]  # a vault drill stays
    del topology["oci"]["vault_backups"][0]["destination"]["replicate_to"]  # a replication policy is native
    sim = run_program(topology, stack="prod")
    assert sim.of_type("pulumi:providers:oci") == []
    assert len(sim.of_type("pulumi-python:dynamic/backup-topology:OciVaultRestoreDrill")) == 1
    assert len(sim.of_type("pulumi-python:dynamic/backup-topology:OciVaultBackup")) == 1
    topology["oci"]["vault_backups"][0]["destination"]["replicate_to"] = "us-phoenix-1"
    [provider] = run_program(topology, stack="prod").of_type("pulumi:providers:oci")
    assert provider.inputs["region"] == "us-ashburn-1"  # the bucket's region, for its replication policy
