"""The lab's local clouds: the IBM VPC fake (us-south, us-east) and the OCI KMS fake on fixed loopback ports.

`stacks/Pulumi.lab.yaml` points at these ports, so the lab stack runs as committed beside the Cinder lab:

    python -m tests.fakes.lab /tmp/backup-topology-lab     # prints the environment to export, serves until Ctrl-C

The directory receives an OCI API signing key and the OCI config file naming it (the KMS fake checks every
request's signature against that key); IBM requests carry the fake's bearer token.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path

from tests.fakes.ibm_vpc import VpcCloud, VpcStub
from tests.fakes.oci_kms import KmsStub, oci_config_file, signing_key

VPC_PORTS = {"us-south": 18701, "us-east": 18702}
KMS_PORT = 18703
TOKEN = "lab-bearer-token"
TENANCY = "ocid1.tenancy.oc1..aaaaaaaalabtenancy"
USER = "ocid1.user.oc1..aaaaaaaalabuser"

VOLUMES = ("r006-1ab00001-volume", "r006-1ab00002-volume", "r006-1ab00003-volume")
"""us-south volumes: the first has a snapshot with clones, the other two a consistency group."""
POLICY_TAG = "backup:lab-daily"
"""The user tag the lab's backup policy selects: the first volume carries it."""
VAULT = "ocid1.vault.oc1.iad.bblabvault.abuwcljslabvaultaaaaaa"
"""The vault with the keys: its backup and a key's go to a bucket."""
PAR_VAULT = "ocid1.vault.oc1.iad.bblabvault2.abuwcljslabvaultbbbbbb"
"""A second vault: its metadata goes through a PAR URL."""
KEYS = (
    "ocid1.key.oc1.iad.bblabvault.abuwcljslabkeyaaaaaaa1",
    "ocid1.key.oc1.iad.bblabvault.abuwcljslabkeyaaaaaaa2",
)


class LabClouds:
    """The fakes of the lab, with their seed volumes, vault and keys."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        key, pem, fingerprint = signing_key(directory / "oci_api_key.pem")
        self.oci_config = oci_config_file(directory / "oci_config", USER, TENANCY, fingerprint, pem)
        self.vpc = VpcCloud(TOKEN)
        for region in VPC_PORTS:
            self.vpc.add_region(region)
        for volume in VOLUMES:
            self.vpc.add_volume(volume, "us-south", user_tags=[POLICY_TAG] if volume == VOLUMES[0] else [])
        self.vpc_stubs = {region: VpcStub(self.vpc, region, port) for region, port in VPC_PORTS.items()}
        self.kms = KmsStub(key.public_key(), f"{TENANCY}/{USER}/{fingerprint}", port=KMS_PORT)
        self.kms.add_vault(VAULT)
        self.kms.add_vault(PAR_VAULT)
        for key_id in KEYS:
            self.kms.add_key(key_id, VAULT)

    def start(self) -> LabClouds:
        for stub in self.vpc_stubs.values():
            stub.start()
        self.kms.start()
        return self

    def stop(self) -> None:
        for stub in self.vpc_stubs.values():
            stub.stop()
        self.kms.stop()

    def environment(self) -> dict[str, str]:
        """What a shell running `pulumi` against the lab exports (beside the Cinder lab's openrc)."""
        return {"OCI_CONFIG_FILE": str(self.oci_config), "VPC_AUTH_TYPE": "bearerToken", "VPC_BEARER_TOKEN": TOKEN}


def main(argv: list[str]) -> int:
    directory = Path(argv[0] if argv else "/tmp/backup-topology-lab")
    clouds = LabClouds(directory).start()
    for name, value in clouds.environment().items():
        print(f"export {name}={value}")
    print("# serving the IBM VPC fake and the OCI KMS fake; Ctrl-C stops them", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    clouds.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
