"""components.testing: what a user's own tests use to run a program that uses the components."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from components import SnapshotWithClones
from components.testing import THIRD_PARTY_WARNINGS, quiet_third_party_warnings, run_program
from tests.conftest import ROOT, VOLUME

EXAMPLE = ROOT / "examples" / "oci-instance-boot-volume"
CONFIG = {
    "oci:region": "us-ashburn-1",
    "compartmentId": "ocid1.compartment.oc1..aaaaaaaaexamplecompartment",
    "availabilityDomain": "Uocm:US-ASHBURN-AD-1",
    "imageId": "ocid1.image.oc1.iad.aaaaaaaaexampleimage",
    "subnetId": "ocid1.subnet.oc1.iad.aaaaaaaaexamplesubnet",
}


def test_a_project_directory_runs_with_its_config_keys_in_the_projects_namespace() -> None:
    sim = run_program(EXAMPLE, config=CONFIG)
    [instance] = sim.of_type("oci:Core/instance:Instance")
    assert instance.inputs["compartmentId"] == CONFIG["compartmentId"]
    assert sim.exports["policy_id"].startswith("ocid1.volumebackuppolicy.oc1.")


def test_a_missing_required_config_key_fails_the_run_naming_the_key() -> None:
    with pytest.raises(Exception, match="oci-instance-boot-volume:subnetId"):
        run_program(EXAMPLE, config={k: v for k, v in CONFIG.items() if k != "subnetId"})


def test_a_function_runs_as_a_program_and_a_preview_leaves_what_is_not_made_unknown() -> None:
    def program() -> None:
        SnapshotWithClones(
            "db", {"volume_id": VOLUME, "region": "us-south", "clone_zones": ["us-south-2"], "trigger": "t1"}
        )

    up = run_program(program)
    preview = run_program(program, preview=True)
    [made] = up.of_type("pulumi-python:dynamic/backup-topology:IbmSnapshot")
    [planned] = preview.of_type("pulumi-python:dynamic/backup-topology:IbmSnapshot")
    assert made.id is not None
    assert made.id.startswith("r0-mock")
    assert not planned.id


def test_a_path_that_is_not_a_program_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no Pulumi program here"):
        run_program(tmp_path)


def test_the_dependencies_notices_are_quiet_and_every_other_warning_still_shows() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_third_party_warnings():
            warnings.warn_explicit("renamed", DeprecationWarning, "x.py", 1, module="pulumi_openstack.compute")
            warnings.warn_explicit("future", DeprecationWarning, "x.py", 1, module="openstack.block_storage")
            warnings.warn_explicit("yours", DeprecationWarning, "x.py", 1, module="my_program")
    assert [str(w.message) for w in seen] == ["yours"]


def test_as_a_pytest_plugin_it_adds_the_same_filters(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # as if the package were installed
    pytester.makeconftest('pytest_plugins = ["components.testing"]')
    pytester.makepyfile(
        """
        import warnings

        def test_notices():
            warnings.warn_explicit("renamed", DeprecationWarning, "x.py", 1, module="pulumi_openstack.compute")
            warnings.warn_explicit("yours", UserWarning, "x.py", 1, module="my_program")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    assert "renamed" not in result.stdout.str()
    assert len(THIRD_PARTY_WARNINGS) == 3
