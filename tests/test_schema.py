"""The topology's JSON Schema (schema/topology.schema.json): current, valid for every shipped stack, strict."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components.config import CONFIG_KEY
from components.tooling.schema import SCHEMA_FILE, rendered, stack_file_schema
from tests.conftest import ROOT, topology_problems

STACKS = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))


def errors(doc: Any) -> list[jsonschema.ValidationError]:
    validator = jsonschema.Draft202012Validator(stack_file_schema())
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def prod() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text()))


def test_the_schema_file_is_what_the_models_generate() -> None:
    assert SCHEMA_FILE.read_text() == rendered(), "run: python -m components.tooling.schema"


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(stack_file_schema())


@pytest.mark.parametrize("path", STACKS, ids=lambda p: p.name)
def test_every_shipped_stack_file_is_valid_and_names_the_schema_for_editors(path: Path) -> None:
    assert errors(yaml.safe_load(path.read_text())) == []
    assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=../schema/topology.schema.json"


def test_a_typo_is_refused_where_it_is_with_the_field_it_names() -> None:
    doc = prod()
    schedule = doc["config"][CONFIG_KEY]["oci"]["boot_volume_plans"][0]["policy"]["schedules"][0]
    schedule["retention_dayz"] = schedule.pop("retention_days")
    found = errors(doc)
    assert [list(e.absolute_path) for e in found] == [
        ["config", CONFIG_KEY, "oci", "boot_volume_plans", 0, "policy", "schedules", 0]
    ] * 2
    messages = " / ".join(e.message for e in found)
    assert "'retention_dayz' was unexpected" in messages
    assert "'retention_days' is a required property" in messages


def test_a_boolean_or_a_number_written_as_text_is_refused_by_the_schema_and_by_the_loader() -> None:
    doc = prod()
    topology = doc["config"][CONFIG_KEY]
    topology["oci"]["vault_backups"][0]["include_keys"] = "yes"
    topology["oci"]["boot_volume_plans"][0]["policy"]["schedules"][0]["retention_days"] = "30"
    assert sorted(e.message for e in errors(doc)) == ["'30' is not of type 'integer'", "'yes' is not of type 'boolean'"]
    assert sorted(topology_problems(topology)) == [
        "oci.boot_volume_plans[0].policy.schedules[0].retention_days: must be a whole number, written without quotes "
        "(got '30')",
        "oci.vault_backups[0].include_keys: must be true or false (got 'yes')",
    ]


def test_what_the_loader_accepts_in_other_forms_the_schema_accepts_too() -> None:
    doc = prod()
    topology = doc["config"][CONFIG_KEY]
    topology["oci"]["boot_volume_plans"][0]["boot_volumes"][0] = "ocid1.bootvolume.oc1.iad.abuwcljrshorthandexample"
    topology["oci"]["vault_backups"][0]["timeouts"] = {"create": "45m"}
    assert errors(doc) == []
    assert topology_problems(topology) == []


def test_fields_carry_their_descriptions_for_the_editor() -> None:
    schedule = stack_file_schema()["$defs"]["Schedule"]["properties"]
    assert schedule["retention_days"]["description"].startswith("Days each backup is kept")
