"""The docs: generated tables as the code says, a page per component with an example that runs, every topology model
in a table, every relative link and anchor resolving, and a README of at most 250 lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components import BootVolumeBackupPlan
from components.oci.boot_volume_backup_plan import ScheduleArgs
from components.outputs import public_components
from components.testing import run_program
from components.tooling import docs
from components.tooling.docs import (
    COMMAND,
    Block,
    UnknownBlockError,
    blocks,
    broken_links,
    component_args_of,
    default_text,
    generate,
    github_anchor,
    headings,
    model_of,
    schema_type,
    stale_pages,
    topology_models,
    typed_dict_fields,
)
from policies.rules import RULES
from tests.conftest import ROOT

COMPONENTS = public_components()
PAGES = ROOT / "docs" / "components"
STACKS = {
    "acme/infra/prod": {
        "orders_db_volume_id": "r006-df8ffd90-f2e5-470b-83d7-76e64995a1aa",
        "us_east_root_key_crn": "crn:v1:bluemix:public:kms:us-east:a/0123456789abcdef:3f2e1d0c-0000-4000-8000-"
        "1234567890ab:key:5a6b7c8d-0000-4000-8000-1234567890ab",
    }
}
"""The stacks the pages' examples reference (`pulumi.StackReference`), with the outputs they read."""
STACK_CONFIG = {"oci:region": "us-ashburn-1"}
"""The stack config the pages' examples run with: the OCI provider's region, as a user's stack sets it."""


def _all_blocks() -> list[Block]:
    return [b for page in docs.pages() for b in blocks(page, page.read_text())]


def _python_block(text: str, heading: str) -> str:
    found = re.search(rf"^{re.escape(heading)}\n.*?```python\n(.*?)```", text, re.DOTALL | re.MULTILINE)
    assert found is not None, f"no Python block under {heading}"
    return found.group(1)


# --- the pages are current ----------------------------------------------------------------------------


def test_every_page_is_what_the_generator_writes() -> None:
    stale = [str(p.relative_to(ROOT)) for p in stale_pages()]
    assert stale == [], f"out of date: {stale}; run {COMMAND}"


def test_a_page_whose_table_differs_from_the_code_is_stale_and_its_prose_is_kept(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "components" / "SnapshotBackup.md"
    page.parent.mkdir(parents=True)
    old = "<!-- generated: outputs SnapshotBackup -->\n| old | table |\n<!-- end generated -->"
    page.write_text(f"# Prose above\n\n{old}\n\nBelow.\n")
    assert stale_pages(tmp_path) == [page]
    text = generate(tmp_path)[page]
    assert text.startswith("# Prose above\n\n<!-- generated: outputs SnapshotBackup -->\n\n| Name | Type |")
    assert text.endswith("<!-- end generated -->\n\nBelow.\n")
    assert "| `backup_id` | `Output[str]` | ID of the backup. |" in text
    page.write_text(text)
    assert stale_pages(tmp_path) == []


def test_a_block_naming_what_the_generator_does_not_know_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("<!-- generated: inputs NoSuchComponent -->\n<!-- end generated -->\n")
    with pytest.raises(UnknownBlockError, match="`inputs NoSuchComponent`: not a public component"):
        generate(tmp_path)


def test_the_command_exits_1_naming_a_stale_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text("<!-- generated: topology Retention -->\n<!-- end generated -->\n")
    monkeypatch.setattr(docs, "PROJECT_ROOT", tmp_path)
    assert docs.main(["--check"]) == 1
    assert capsys.readouterr().err == f"README.md: out of date; run {COMMAND}\n"
    assert docs.main([]) == 0
    assert docs.main(["--check"]) == 0


# --- what must be documented ----------------------------------------------------------------------------


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_public_component_has_a_page_with_its_inputs_and_outputs(component: type) -> None:
    page = PAGES / f"{component.__name__}.md"
    assert page.is_file(), f"no page {page.relative_to(ROOT)}"
    found = {(b.kind, b.name) for b in blocks(page, page.read_text())}
    assert {("inputs", component.__name__), ("outputs", component.__name__)} <= found


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_every_component_pages_example_runs_under_the_mock_runtime(component: type, preview: bool) -> None:
    page = PAGES / f"{component.__name__}.md"
    code = compile(_python_block(page.read_text(), "## Example"), str(page), "exec")
    sim = run_program(
        lambda: exec(code, {"__name__": "__main__"}), config=STACK_CONFIG, stack_outputs=STACKS, preview=preview
    )
    assert sim.of_type(f"backup-topology:index:{component.__name__}")
    assert sim.exports


def test_every_topology_model_has_exactly_one_table() -> None:
    tables = [b.name for b in _all_blocks() if b.kind == "topology"]
    assert sorted(tables) == sorted(set(tables)), "a model has two tables"
    missing = sorted(set(topology_models()) - set(tables))
    assert missing == [], f"add a `<!-- generated: topology <Model> -->` block under docs/topology/ for {missing}"


def test_every_topology_table_sits_under_a_heading_its_links_point_to() -> None:
    assert all(b.anchor is not None for b in _all_blocks() if b.kind == "topology")


def test_the_readme_links_every_components_page() -> None:
    readme = (ROOT / "README.md").read_text()
    for component in COMPONENTS:
        assert f"](docs/components/{component.__name__}.md)" in readme, component.__name__


def test_the_policy_page_lists_every_rule_with_its_level() -> None:
    text = (ROOT / "docs" / "policies.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (mandatory|advisory) \|", text, re.MULTILINE))
    assert rows == {rule.name: rule.level for rule in RULES}


# --- the Args TypedDicts and the models agree ---------------------------------------------------------------

STACK_FILE_ONLY = {"uri_config_key"}
"""Model fields the components refuse: a stack file names a secret config key, a program passes the URL."""


def _args_and_models(component: type) -> list[tuple[str, type, Any]]:
    """(path, TypedDict, model or None) of a component's Args and every nested TypedDict."""
    root = component_args_of(component)
    found: list[tuple[str, type, Any]] = []

    def walk(path: str, args: type, model: Any) -> None:
        found.append((path, args, model))
        for field in typed_dict_fields(args):
            info = model.model_fields.get(field.name) if model is not None else None
            for nested, _ in field.nested:
                walk(f"{path}.{field.name}", nested, model_of(info.annotation) if info is not None else None)

    walk(component.__name__, root.args, root.model)
    return found


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_input_a_page_documents_is_one_the_component_accepts_and_the_other_way_round(component: type) -> None:
    for path, args, model in _args_and_models(component):
        assert model is not None, f"{path} ({args.__name__}): no model validates it"
        documented = {f.name for f in typed_dict_fields(args)}
        accepted = set(model.model_fields)
        assert documented - accepted == set(), f"{path}: the model refuses {sorted(documented - accepted)}"
        assert accepted - documented - STACK_FILE_ONLY == set(), f"{path}: undocumented {accepted - documented}"


# --- the generator's pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("With a real engine: `tests/e2e/` and the lab", "with-a-real-engine-testse2e-and-the-lab"),
        ("`oci.boot_volume_plans[]`", "ociboot_volume_plans"),
        ("`policy.schedules[].protection`, `manual_backups[]`", "policyschedulesprotection-manual_backups"),
        ("Running it: `pulumi preview` and `pulumi up`", "running-it-pulumi-preview-and-pulumi-up"),
        ("A [linked](x.md) — heading", "a-linked--heading"),
    ],
)  # fmt: skip
def test_anchors_are_githubs(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor


def test_a_repeated_heading_gets_a_numbered_anchor_and_code_is_no_heading() -> None:
    text = "# Title\n\n## `timeouts`\n\n```sh\n# a comment\n```\n\n## `timeouts`\n"
    assert [h.anchor for h in headings(text)] == ["title", "timeouts", "timeouts-1"]


def test_links_to_missing_files_and_headings_are_reported_and_others_pass(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## Part one\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/a.md#part-one) [self](#readme) [dir](docs) [web](https://example.com/x#y)\n"
        "[gone](docs/b.md) [no anchor](docs/a.md#part-two) `[code](nowhere.md)`\n"
        "<!-- [commented](nowhere.md) -->\n\n# README\n"
    )
    assert broken_links(tmp_path) == [
        "README.md: docs/b.md: no such file",
        "README.md: docs/a.md#part-two: no heading with that anchor",
    ]


def test_defaults_come_from_the_models_and_are_never_made_up() -> None:
    fields = topology_models()["Schedule"].model_fields
    assert default_text(fields["time_zone"]) == "`utc`"
    assert default_text(fields["retention_days"]) == "—"  # required
    assert default_text(fields["hour_of_day"]) == "—"  # None: the period decides
    assert default_text(topology_models()["OperationTimeouts"].model_fields["create"]) == "`30m`"
    assert default_text(topology_models()["VolumePlan"].model_fields["boot_volumes"]) == "`[]`"
    assert default_text(topology_models()["Protection"].model_fields["prevent_deletion"]) == "`false`"


def test_schema_types_read_as_words() -> None:
    link: Callable[[str], str] = lambda name: f"[{name}](#{name.lower()})"  # noqa: E731
    assert schema_type({"type": "integer", "minimum": 0, "maximum": 23}, link) == "integer 0–23"
    assert schema_type({"type": "array", "items": {"$ref": "#/$defs/Schedule"}, "minItems": 1}, link) == (
        "list of [Schedule](#schedule) (at least 1 item)"
    )
    assert schema_type({"enum": ["crash", "application"], "type": "string"}, link) == "`crash` or `application`"
    assert schema_type({"type": "string", "minLength": 1}, link) == "non-empty string"


def test_inputs_name_the_resource_name_as_the_default_the_component_gives() -> None:
    assert component_args_of(BootVolumeBackupPlan).given == {"name": "the resource name"}
    rows = [line for line in docs.inputs_block(BootVolumeBackupPlan).splitlines() if line.startswith("| `name` |")]
    assert rows[0].startswith("| `name` | `str` | no | the resource name |")


def test_required_comes_from_the_typeddicts_source() -> None:
    required = {f.name for f in typed_dict_fields(ScheduleArgs) if f.required}
    assert required == {"backup_type", "period", "retention_days"}


# --- the README and the testing page ---------------------------------------------------------------------


def test_the_readme_is_at_most_250_lines() -> None:
    lines = len((ROOT / "README.md").read_text().splitlines())
    assert lines <= 250, f"README.md has {lines} lines: move the detail to docs/"


def test_every_relative_link_and_anchor_resolves() -> None:
    assert broken_links() == []


def test_the_quick_start_is_two_commands_and_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    install = "python3 -m venv venv && venv/bin/pip install -r requirements.txt"
    assert quick.splitlines() == [
        f"{install} && venv/bin/python -m components.plan --stack dev",
        "venv/bin/python -m pytest",
    ]
    assert "venv/bin/python -m pytest" in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_testing_page_example_passes_against_the_example_program() -> None:
    page = ROOT / "docs" / "testing-your-program.md"
    code = _python_block(page.read_text(), "## An example test")
    where = ROOT / "examples" / "oci-instance-boot-volume" / "tests" / "test_backups.py"
    namespace: dict[str, Any] = {"__name__": "test_backups", "__file__": str(where)}
    exec(compile(code, str(page), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) == 3
    for test in tests:
        test()  # each asserts on the example program's resources; a failure raises here
