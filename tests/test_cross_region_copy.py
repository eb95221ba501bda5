"""CrossRegionCopy of an OCI backup given by an Output: its kind checked once the OCID is known."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_oci as oci
import pytest

from components import CrossRegionCopy
from components.testing import run_program

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaexamplecompartment"
AD = "Uocm:US-ASHBURN-AD-1"


def copy_of_a_volume_backup(**oci_args: Any) -> Any:
    def program() -> None:
        volume = oci.core.Volume("v", compartment_id=COMPARTMENT, availability_domain=AD, size_in_gbs="50")
        backup = oci.core.VolumeBackup("b", volume_id=volume.id)  # its id: ocid1.volumebackup...
        CrossRegionCopy(
            "dr",
            {
                "destination_region": "us-phoenix-1",
                "oci": {"source_backup_id": backup.id, "source_region": "us-ashburn-1", **oci_args},
            },
        )

    return program


def test_an_output_block_volume_backup_without_source_kind_stops_naming_source_kind() -> None:
    with pytest.raises(pulumi.RunError) as failure:
        run_program(copy_of_a_volume_backup(), config={"oci:region": "us-ashburn-1"})
    message = str(failure.value)
    assert "CrossRegionCopy 'dr': invalid args" in message
    assert "oci.source_kind: source_backup_id is a volume backup, not a boot volume one" in message
    assert "give source_kind 'volume'" in message


def test_an_output_backup_of_another_kind_than_its_source_kind_stops() -> None:
    with pytest.raises(pulumi.RunError, match=r"oci\.source_kind: source_backup_id is a volume backup, not a volume "):
        run_program(copy_of_a_volume_backup(source_kind="volume_group"), config={"oci:region": "us-ashburn-1"})


def test_an_output_backup_of_its_source_kind_is_copied_by_its_own_resource() -> None:
    sim = run_program(copy_of_a_volume_backup(source_kind="volume"), config={"oci:region": "us-ashburn-1"})
    [backup] = [r for r in sim.of_type("oci:Core/volumeBackup:VolumeBackup") if r.name == "b"]
    [made] = [r for r in sim.of_type("oci:Core/volumeBackup:VolumeBackup") if r.name == "dr-copy"]
    assert made.inputs["sourceDetails"]["volumeBackupId"] == backup.id
    assert sim.of_type("oci:Core/bootVolumeBackup:BootVolumeBackup") == []


def test_an_unknown_source_backup_id_in_a_preview_is_no_error() -> None:
    sim = run_program(copy_of_a_volume_backup(), config={"oci:region": "us-ashburn-1"}, preview=True)
    assert [r.name for r in sim.of_type("oci:Core/bootVolumeBackup:BootVolumeBackup")] == ["dr-copy"]
