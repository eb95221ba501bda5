"""Shared fixtures: valid topology pieces to start from, and a runner for the real program under mocks."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from components.config import CONFIG_KEY, load_topology
from components.errors import TopologyError
from components.tooling.mock_runtime import Simulation, simulate
from tests.fakes.ibm_vpc import VpcCloud, VpcStub
from tests.fakes.oci_block_storage import BlockStorageCloud, BlockStorageStub
from tests.fakes.oci_kms import KmsStub, oci_config_file
from tests.fakes.oci_kms import signing_key as new_signing_key

ROOT = Path(__file__).resolve().parent.parent

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaatestcompartment"
VOL_A = "ocid1.bootvolume.oc1.iad.abuwcljrtestvolumea"
VOL_B = "ocid1.bootvolume.oc1.iad.abuwcljrtestvolumeb"
VOL_C = "ocid1.bootvolume.oc1.iad.abuwcljrtestvolumec"
PHX_KEY = "ocid1.key.oc1.phx.bbtestvault.abuwcljstestkey"


def daily(retention_days: int = 7, **extra: Any) -> dict[str, Any]:
    """A valid daily incremental schedule."""
    return {"backup_type": "incremental", "period": "day", "retention_days": retention_days, **extra}


@pytest.fixture
def plan() -> dict[str, Any]:
    """A valid plan with a custom policy, cross-region copy and two volumes."""
    return {
        "name": "web",
        "compartment_id": COMPARTMENT,
        "policy": {"schedules": [daily(hour_of_day=2)], "destination_region": "us-phoenix-1"},
        "xrc_kms_key_id": PHX_KEY,
        "boot_volumes": [{"id": VOL_A, "name": "web-1"}, VOL_B],
    }


@pytest.fixture
def topology(plan: dict[str, Any]) -> dict[str, Any]:
    """A valid topology holding `plan`."""
    return {"oci": {"region": "us-ashburn-1", "boot_volume_plans": [plan]}}


@pytest.fixture
def make_topology() -> Callable[..., dict[str, Any]]:
    """Build a topology from plans (deep-copied, so tests can change them freely)."""

    def make(*plans: dict[str, Any], region: str = "us-ashburn-1") -> dict[str, Any]:
        return {"oci": {"region": region, "boot_volume_plans": [copy.deepcopy(p) for p in plans]}}

    return make


def topology_problems(raw: Any) -> list[str]:
    """The problems load_topology reports for `raw`, one line each (empty when it is valid)."""
    try:
        load_topology(copy.deepcopy(raw))
    except TopologyError as exc:
        return [str(p) for p in exc.problems]
    return []


def run_program(topology: Any, stack: str = "test") -> Simulation:
    """Run the project's real __main__.py under the mock runtime with `topology` as the stack config."""
    return simulate(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"),
        config={CONFIG_KEY: topology},
        stack=stack,
    )


# --- the local clouds: the OCI KMS stub and the IBM VPC stub -----------------------------------------------

TENANCY = "ocid1.tenancy.oc1..aaaaaaaastubtenancy"
USER = "ocid1.user.oc1..aaaaaaaastubuser"
VAULT = "ocid1.vault.oc1.iad.bbstubvault.abuwcljsstubvaultaaaa"
KEY = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeyaaaaa1"
KEY2 = "ocid1.key.oc1.iad.bbstubvault.abuwcljsstubkeyaaaaa2"
PAR = "https://objectstorage.us-ashburn-1.oraclecloud.com/p/Sup3rS3cretT0ken/n/acme/b/vault-backups/o/par/vault"

IBM_TOKEN = "stub-bearer-token"
VOLUME = "r006-0001-volume"
VOLUME2 = "r006-0002-volume"
SDP_VOLUME = "r006-0003-sdp"


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path, str]:
    """An RSA key pair written as a PEM file, and its OCI fingerprint."""
    return new_signing_key(tmp_path_factory.mktemp("oci") / "api_key.pem")


@pytest.fixture
def oci_config(
    signing_key: tuple[rsa.RSAPrivateKey, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A standard OCI config file, found by the SDK through OCI_CONFIG_FILE."""
    _, pem, fingerprint = signing_key
    config = oci_config_file(tmp_path / "config", USER, TENANCY, fingerprint, pem)
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


@pytest.fixture
def block_storage(
    signing_key: tuple[rsa.RSAPrivateKey, Path, str], oci_config: Path
) -> Iterator[tuple[BlockStorageCloud, dict[str, BlockStorageStub]]]:
    """The Block Volume stub: its state, and one endpoint per region (us-ashburn-1 and us-phoenix-1)."""
    key, _, fingerprint = signing_key
    state = BlockStorageCloud(key.public_key(), f"{TENANCY}/{USER}/{fingerprint}")
    stubs = {region: BlockStorageStub(state, region).start() for region in ("us-ashburn-1", "us-phoenix-1")}
    yield state, stubs
    for server in stubs.values():
        server.stop()


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[VpcCloud, dict[str, VpcStub]]]:
    """The VPC stub: regions us-south and us-east (3 zones each), two volumes and a second-generation one."""
    monkeypatch.setenv("VPC_AUTH_TYPE", "bearerToken")
    monkeypatch.setenv("VPC_BEARER_TOKEN", IBM_TOKEN)
    state = VpcCloud(IBM_TOKEN)
    stubs = {}
    for region in ("us-south", "us-east"):
        state.add_region(region)
        stubs[region] = VpcStub(state, region).start()
    state.add_volume(VOLUME, "us-south")
    state.add_volume(VOLUME2, "us-south")
    state.add_volume(SDP_VOLUME, "us-south", profile="sdp")
    yield state, stubs
    for stub in stubs.values():
        stub.stop()


# --- test tiers ----------------------------------------------------------------------------------------------

_LAB_DIRS = (ROOT / "tests" / "integration", ROOT / "tests" / "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of the lab tier `lab`: a plain `pytest` deselects them (pyproject addopts), `-m lab` runs them.

    Besides the lab's own directories, a few slow whole-path tests carry the mark themselves: the install of the
    checkout with pip, the pull-request script on two commits, the construction guard at 200 assets."""
    for item in items:
        if any(item.path.is_relative_to(d) for d in _LAB_DIRS):
            item.add_marker(pytest.mark.lab)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts its workers
def pytest_configure(config: pytest.Config) -> None:
    """A run that selects the lab tests runs in this one process (pyproject's `-n 4` is for the tier without the
    lab): there is one Cinder lab, and the lab's fakes listen on fixed ports."""
    if "lab" in (config.option.markexpr or "").replace("not lab", ""):
        config.option.dist = "no"
        config.option.tx = []
        config.option.numprocesses = 0
