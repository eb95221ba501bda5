"""Every public component's outputs: those it declares, those it registers under the mock runtime, and those its page
(docs/components/<Component>.md) documents are the same names."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pytest
import yaml

from components.config import CONFIG_KEY
from components.outputs import (
    OUTPUTS_HEADING,
    DeclaredOutput,
    declared_outputs,
    documented_outputs,
    outputs_table,
    public_components,
)
from components.tooling.mock_runtime import Simulation
from tests.conftest import COMPARTMENT, ROOT, run_program

COMPONENTS = public_components()


def every_component_topology() -> dict[str, Any]:
    """The prod example, plus what it lacks for every public component to be built: a Cinder backup with its drill,
    a vault restore, and a plan of oci.volume_plans."""
    prod = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]
    topology = copy.deepcopy(prod)
    topology["openstack"] = {
        "region_name": "RegionOne",
        "snapshot_backups": [
            {"name": "build-volume", "volume_id": "6b3f2a4e-5b1d-4f59-9a7e-1f1c2d3e4f50", "trigger": "v1"}
        ],
    }
    topology["restore_drills"].append(
        {"name": "build-volume-drill", "openstack": {"snapshot_backup": "build-volume"}, "trigger": "v1"}
    )
    topology["oci"]["volume_plans"] = [
        {
            "name": "cache",
            "compartment_id": COMPARTMENT,
            "manual_backups": [
                {
                    "name": "nightly",
                    "volume_id": "ocid1.volume.oc1.iad.abuwcljrprodcacheexample",
                    "retention": {"keep_last": 3},
                }
            ],
        }
    ]
    topology["oci"]["vault_restores"] = [
        {
            "name": "payments-dr",
            "compartment_id": COMPARTMENT,
            "vault": {
                "display_name": "payments-restored",
                "source": {"namespace": "acme", "bucket": "vault-backups", "object_name": "payments/v1/vault"},
            },
        }
    ]
    return topology


class Registrations:
    """What each component passed to `register_outputs` in one run of the program, and the run itself."""

    def __init__(self) -> None:
        self.keys: dict[str, list[set[str]]] = {}
        self.simulation = Simulation()

    def record(self, component: pulumi.ComponentResource, outputs: Any) -> None:
        assert isinstance(outputs, Mapping), f"{type(component).__name__} registers {type(outputs).__name__}"
        self.keys.setdefault(type(component).__name__, []).append(set(outputs))


@pytest.fixture(scope="module")
def registrations() -> Registrations:
    """The program run once under the mock runtime with every component in it, `register_outputs` observed.

    The keys are taken from the mapping each component passes, before Pulumi serializes it: serialization drops
    outputs that are None, and an output that is None in this topology is still an output.
    """
    seen = Registrations()
    original = pulumi.ComponentResource.register_outputs

    def observed(self: pulumi.ComponentResource, outputs: Any) -> None:
        seen.record(self, outputs)
        original(self, outputs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pulumi.ComponentResource, "register_outputs", observed)
        seen.simulation = run_program(every_component_topology())
    return seen


def mismatches(name: str, declared: list[str], registered: list[set[str]], documented: list[str] | None) -> list[str]:
    """Each way the three lists of a component's outputs differ, one line each (empty when they agree)."""
    problems = []
    want = set(declared)
    for keys in registered:
        if keys - want:
            problems.append(f"{name} registers undeclared outputs: {sorted(keys - want)}")
        if want - keys:
            problems.append(f"{name} declares outputs it does not register: {sorted(want - keys)}")
    if documented is None:
        problems.append(f"the page of {name} has no Outputs table")
    else:
        if set(documented) - want:
            problems.append(f"the page of {name} documents undeclared outputs: {sorted(set(documented) - want)}")
        if want - set(documented):
            problems.append(f"the page of {name} does not document its outputs {sorted(want - set(documented))}")
        if len(documented) != len(set(documented)):
            problems.append(f"the page of {name} lists an output twice")
    return problems


def test_every_public_component_is_built_by_the_topology(registrations: Registrations) -> None:
    built = {r.type for r in registrations.simulation.resources}
    for component in COMPONENTS:
        assert f"backup-topology:index:{component.__name__}" in built, component.__name__
        assert registrations.keys.get(component.__name__), f"{component.__name__} registered no outputs"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_declared_registered_and_documented_outputs_are_the_same(component: type, registrations: Registrations) -> None:
    declared = [o.name for o in declared_outputs(component)]
    page = ROOT / "docs" / "components" / f"{component.__name__}.md"
    documented = documented_outputs(page.read_text()) if page.is_file() else None
    problems = mismatches(component.__name__, declared, registrations.keys[component.__name__], documented)
    assert problems == []


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_declared_output_has_a_type_and_a_description(component: type) -> None:
    outputs = declared_outputs(component)
    assert outputs
    for output in outputs:
        assert output.type, f"{component.__name__}.{output.name}"
        assert output.description.endswith("."), f"{component.__name__}.{output.name}: {output.description!r}"


def test_the_registered_outputs_are_what_the_engine_records(registrations: Registrations) -> None:
    """The mock runtime's record of each component's outputs holds only registered keys (None ones are dropped)."""
    for component in COMPONENTS:
        recorded = [r.outputs for r in registrations.simulation.of_type(f"backup-topology:index:{component.__name__}")]
        names = {o.name for o in declared_outputs(component)}
        for outputs in recorded:
            assert outputs is not None
            assert set(outputs) <= names


def test_minimum_capacity_gb_is_an_output_of_snapshots(registrations: Registrations) -> None:
    exported = registrations.simulation.exports["ibm_snapshots"]["orders-db"]
    assert "minimum_capacity_gb" in exported


# --- the comparison itself fails on each kind of difference ---------------------------------------


class _Sample(pulumi.ComponentResource):
    """A component for the helpers' tests; never built."""

    kind: ClassVar[str] = "sample"
    snapshot_id: pulumi.Output[str]
    """ID of the snapshot."""
    region: str | None
    """Region of the snapshot, or None."""
    _private: int


class _Derived(_Sample):
    """A component that adds one output to its base's."""

    copies: list[str]
    """Regions of the copies."""


def test_declared_outputs_are_annotations_with_their_docstrings() -> None:
    assert declared_outputs(_Derived) == [
        DeclaredOutput("snapshot_id", "Output[str]", "ID of the snapshot."),
        DeclaredOutput("region", "str | None", "Region of the snapshot, or None."),
        DeclaredOutput("copies", "list[str]", "Regions of the copies."),
    ]


def test_the_table_escapes_pipes_and_the_page_parser_reads_it_back() -> None:
    table = outputs_table(_Derived)
    text = f"# `_Derived`\n\nIntro.\n\n{OUTPUTS_HEADING}\n\n<!-- a comment -->\n{table}\n\nMore prose.\n"
    assert "`str \\| None`" in text
    assert documented_outputs(text) == ["snapshot_id", "region", "copies"]


def test_prose_before_a_table_ends_the_search_for_it() -> None:
    text = f"{OUTPUTS_HEADING}\n\nsome prose\n\n| Name | Type | Description |\n|---|---|---|\n| `x` | `int` | X. |\n"
    assert documented_outputs(text) == []


def test_a_page_without_an_outputs_section_documents_none() -> None:
    text = "## Inputs\n\n| Name | Type | Description |\n|---|---|---|\n| `x` | `int` | X. |\n"
    assert documented_outputs(text) is None


def test_the_table_of_the_next_section_is_not_taken_for_the_outputs() -> None:
    text = f"{OUTPUTS_HEADING}\n\n## Example\n\n| Name | Type | Description |\n|---|---|---|\n| `x` | `int` | X. |\n"
    assert documented_outputs(text) == []


@pytest.mark.parametrize(
    ("registered", "documented", "expected"),
    [
        ([{"a", "b"}], ["a", "b"], []),
        ([{"a"}], ["a", "b"], ["C declares outputs it does not register: ['b']"]),
        ([{"a", "b", "c"}], ["a", "b"], ["C registers undeclared outputs: ['c']"]),
        ([{"a", "b"}], ["a"], ["the page of C does not document its outputs ['b']"]),
        ([{"a", "b"}], ["a", "b", "z"], ["the page of C documents undeclared outputs: ['z']"]),
        ([{"a", "b"}], None, ["the page of C has no Outputs table"]),
    ],
)
def test_any_difference_between_the_three_is_reported(
    registered: list[set[str]], documented: list[str] | None, expected: list[str]
) -> None:
    assert mismatches("C", ["a", "b"], registered, documented) == expected
