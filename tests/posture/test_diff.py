"""The protection diff: each weakening named with its values before and after, acceptances, bad input, the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import CONFIG_KEY, load_topology
from components.posture.__main__ import main
from components.posture.diff import Side, diff, render_markdown
from components.tooling.coverage import coverage
from tests.conftest import ROOT

PROD = yaml.safe_load((ROOT / "stacks" / "Pulumi.prod.yaml").read_text())["config"][CONFIG_KEY]
Change = Callable[[dict[str, Any]], None]


def rows_of(topology: dict[str, Any]) -> list[dict[str, Any]]:
    return [row.to_dict() for row in coverage(load_topology(copy.deepcopy(topology)))]


def changed(change: Change, topology: dict[str, Any] = PROD) -> dict[str, Any]:
    """A copy of the topology with `change` made to it."""
    result = copy.deepcopy(topology)
    change(result)
    return result


def side(topology: dict[str, Any], findings: list[dict[str, Any]] | None = None) -> Side:
    return Side("prod", rows_of(topology), findings or [])


def facts(result: Any) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(asset name, fact label) -> (status, before, after) of every change the diff found."""
    return {(a.name, c.label): (c.status, c.before, c.after) for a in result.assets for c in a.changes}


def web_tier(t: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = t["oci"]["boot_volume_plans"][0]
    return plan


def database(t: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = t["oci"]["boot_volume_plans"][1]
    return plan


def on_oracle(name: str) -> Change:
    def change(t: dict[str, Any]) -> None:
        plan = web_tier(t)
        del plan["policy"], plan["xrc_kms_key_id"]
        plan["oracle_policy"] = name

    return change


def shorter_retention(t: dict[str, Any]) -> None:
    web_tier(t)["policy"]["schedules"][0]["retention_days"] = 7


def daily_database(t: dict[str, Any]) -> None:
    database(t)["policy"]["schedules"][0].update(period="day", hour_of_day=0)


def no_dr_copy(t: dict[str, Any]) -> None:
    del web_tier(t)["policy"]["destination_region"], web_tier(t)["xrc_kms_key_id"]


def fewer_clones(t: dict[str, Any]) -> None:
    t["ibm"]["snapshots"][0]["clone_zones"] = ["us-south-2"]


def without_web_3(t: dict[str, Any]) -> None:
    web_tier(t)["boot_volumes"].pop()


def without_drill(t: dict[str, Any]) -> None:
    t["restore_drills"] = [d for d in t["restore_drills"] if d["name"] != "orders-db-drill"]


def unchanged(t: dict[str, Any]) -> None:
    """No change at all."""


WEB_1 = "web-1"


@pytest.mark.parametrize(
    ("base", "head", "asset", "label", "expected"),
    [
        (unchanged, shorter_retention, WEB_1, "retention at the RPO", ("weakened", "30d", "7d")),
        (unchanged, daily_database, "db-primary", "RPO", ("weakened", "1h", "24h")),
        (unchanged, no_dr_copy, WEB_1, "cross-region copy", ("lost", "us-phoenix-1 (backup policy)", "-")),
        (
            unchanged,
            fewer_clones,
            "orders-db",
            "fast-restore clones",
            ("weakened", "us-south-2, us-south-3", "us-south-2"),
        ),
        (unchanged, without_web_3, "web-3", "RPO", ("lost", "24h", "-")),
        (on_oracle("gold"), on_oracle("silver"), WEB_1, "RPO", ("weakened", "24h", "168h")),
        (
            on_oracle("gold"),
            on_oracle("silver"),
            WEB_1,
            "policy",
            ("changed", "oracle-defined: gold", "oracle-defined: silver"),
        ),
        (unchanged, without_drill, "orders-db", "restore drill", ("lost", "orders-db-drill", "-")),
    ],
    ids=[
        "retention-shortened",
        "rpo-lengthened",
        "dr-copy-removed",
        "clones-removed",
        "asset-removed",
        "oracle-policy-weaker",
        "oracle-policy-named",
        "drill-removed",
    ],
)
def test_each_weakening_is_named_with_its_values_before_and_after_and_exits_1(
    base: Change, head: Change, asset: str, label: str, expected: tuple[str, str, str]
) -> None:
    result = diff(side(changed(base)), side(changed(head)))
    assert facts(result)[(asset, label)] == expected
    assert result.exit_code == 1


def test_an_asset_that_leaves_the_topology_stands_first() -> None:
    def both(t: dict[str, Any]) -> None:
        shorter_retention(t)
        without_web_3(t)

    result = diff(side(PROD), side(changed(both)))
    first = result.assets[0]
    assert (first.name, first.status) == ("web-3", "left the topology")
    assert [a.name for a in result.assets[1:]] == ["web-1", "web-2"]


def test_an_asset_whose_only_policy_stops_running_has_lost_all_protection_and_stands_first() -> None:
    covered = changed(lambda t: t["ibm"]["backup_policies"][0]["covers"].append("r006-lonely-volume"))
    stopped = changed(lambda t: t["ibm"]["backup_policies"][0]["plans"][0].update(active=False), covered)
    result = diff(side(covered), side(stopped))
    first = result.assets[0]
    assert (first.name, first.status) == ("r006-lonely-volume", "lost all protection")
    assert facts(result)[("r006-lonely-volume", "RPO")] == ("lost", "24h", "-")
    assert result.exit_code == 1


def test_a_backup_policy_that_stops_copying_is_weaker_even_where_a_copies_entry_still_copies() -> None:
    result = diff(
        side(PROD), side(changed(lambda t: t["ibm"]["backup_policies"][0]["plans"][0].pop("remote_region_policies")))
    )
    assert facts(result)[("orders-db", "cross-region copy")] == (
        "weakened",
        "us-east (backup policy, last 5, 5d; copies entry, last 5)",
        "us-east (copies entry, last 5)",
    )


def copies_entry(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def entry(t: dict[str, Any]) -> dict[str, Any]:
        [found] = [c for c in t["copies"] if c["name"] == name]
        return found

    return entry


def test_fewer_dr_copies_kept_by_a_copies_entry_is_weaker() -> None:
    orders_db_dr, orders_app_dr = copies_entry("orders-db-dr"), copies_entry("orders-app-dr")

    def fewer(t: dict[str, Any]) -> None:
        orders_db_dr(t)["retention"] = {"keep_last": 1}
        orders_app_dr(t)["retention"] = {"keep_last": 1}

    result = diff(side(PROD), side(changed(fewer)))
    policy = "us-east (backup policy, last 5, 5d; copies entry"
    assert facts(result)[("orders-db", "cross-region copy")] == ("weakened", f"{policy}, last 5)", f"{policy}, last 1)")
    assert {a.name for a in result.assets} == {
        "orders-db",
        "r006-26fce2ff-8177-47ce-8182-49d8aed33063",
        "r006-7d3c1a52-7f4f-4bb4-9a22-1f7a0c5e2b11",
    }
    assert result.exit_code == 1
    deleted = changed(lambda t: orders_db_dr(t).update(delete_on_removal=True))
    status, _, after = facts(diff(side(PROD), side(deleted)))[("orders-db", "cross-region copy")]
    assert (status, after) == ("weakened", f"{policy}, last 5; deleted on removal)")
    more = changed(lambda t: orders_db_dr(t).update(retention={"keep_last": 9}))
    assert facts(diff(side(PROD), side(more)))[("orders-db", "cross-region copy")][0] == "strengthened"


def test_a_copy_of_an_oci_manual_backup_deleted_with_its_entry_is_weaker() -> None:
    deleted = changed(lambda t: copies_entry("ledger-db-pre-migration-dr")(t).update(delete_on_removal=True))
    assert facts(diff(side(PROD), side(deleted)))[("ledger-db-data", "cross-region copy")] == (
        "weakened",
        "us-phoenix-1 (backup policy; copies entry, all kept)",
        "us-phoenix-1 (backup policy; copies entry, last 1; deleted on removal)",
    )


def test_a_retention_lock_removed_is_lost() -> None:
    lock = {"retention_lock": True, "retention_period": {"amount": 1, "unit": "years"}}
    locked = changed(lambda t: web_tier(t)["policy"]["schedules"][0].update(protection=lock))
    unlocked = changed(
        lambda t: web_tier(t)["policy"]["schedules"][0].update(
            protection={"prevent_deletion": True, "retention_period": {"amount": 1, "unit": "years"}}
        ),
        locked,
    )
    assert facts(diff(side(locked), side(PROD)))[(WEB_1, "protection/lock")] == (
        "lost",
        "daily incremental backups: retention lock 365d",
        "-",
    )
    status, _, after = facts(diff(side(locked), side(unlocked)))[(WEB_1, "protection/lock")]
    assert (status, after) == ("weakened", "daily incremental backups: deletion prevented 365d")


def test_fewer_generations_kept_or_deleted_with_their_entry_is_weaker() -> None:
    def fewer(t: dict[str, Any]) -> None:
        t["oci"]["vault_backups"][0]["retention"] = {"keep_last": 10}

    def deleted(t: dict[str, Any]) -> None:
        t["oci"]["vault_backups"][0]["delete_on_removal"] = True

    assert facts(diff(side(PROD), side(changed(fewer))))[("payments-vault", "generations kept")] == (
        "weakened",
        "last 30",
        "last 10",
    )
    assert facts(diff(side(PROD), side(changed(deleted))))[("payments-vault", "generations kept")] == (
        "weakened",
        "last 30",
        "last 30; deleted on removal",
    )


def ledger_backup(t: dict[str, Any]) -> dict[str, Any]:
    [plan] = [p for p in t["oci"]["volume_group_plans"] if p["name"] == "ledger-db-volumes"]
    backup: dict[str, Any] = plan["manual_backups"][0]
    return backup


def test_fewer_generations_of_an_oci_manual_backup_is_weaker() -> None:
    fewer = changed(lambda t: ledger_backup(t).update(retention={"keep_last": 1}))
    result = diff(side(PROD), side(fewer))
    assert facts(result)[("ledger-db-data", "generations kept")] == (
        "weakened",
        "pre-migration: last 5",
        "pre-migration: last 1",
    )
    assert result.exit_code == 1
    more = changed(lambda t: ledger_backup(t).update(retention={"keep_last": 9}))
    assert facts(diff(side(PROD), side(more)))[("ledger-db-data", "generations kept")][0] == "strengthened"


def test_each_oci_manual_backup_keeps_its_own_generations_and_one_fewer_is_weaker() -> None:
    def two(keep: int) -> Change:
        def change(t: dict[str, Any]) -> None:
            [plan] = [p for p in t["oci"]["volume_group_plans"] if p["name"] == "ledger-db-volumes"]
            plan["manual_backups"].append({"name": "weekly", "trigger": "t1", "retention": {"keep_last": keep}})

        return change

    # pre-migration keeps 5 throughout; weekly 9 then 3, and a swap of the two numbers is no gain
    assert facts(diff(side(changed(two(9))), side(changed(two(3)))))[("ledger-db-data", "generations kept")] == (
        "weakened",
        "pre-migration: last 5; weekly: last 9",
        "pre-migration: last 5; weekly: last 3",
    )

    def swapped(t: dict[str, Any]) -> None:
        two(5)(t)
        ledger_backup(t)["retention"] = {"keep_last": 9}

    status = facts(diff(side(changed(two(9))), side(changed(swapped))))[("ledger-db-data", "generations kept")][0]
    assert status == "weakened"


def test_an_oci_manual_backup_deleted_when_replaced_keeps_one_generation_and_is_weaker() -> None:
    def unretained(delete: bool) -> Change:
        def change(t: dict[str, Any]) -> None:
            backup = ledger_backup(t)
            del backup["retention"]
            backup["delete_on_removal"] = delete

        return change

    assert facts(diff(side(changed(unretained(False))), side(changed(unretained(True)))))[
        ("ledger-db-data", "generations kept")
    ] == ("weakened", "pre-migration: kept until deleted", "pre-migration: deleted on removal")


def test_a_base_planned_before_retention_of_copies_and_manual_backups_was_recorded_compares_as_before() -> None:
    def earlier(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k not in ("copy_retention", "generations_by_backup")} for row in rows]

    assert diff(Side("prod", earlier(rows_of(PROD)), []), side(PROD)).assets == []
    fewer = changed(lambda t: ledger_backup(t).update(retention={"keep_last": 1}))
    assert facts(diff(Side("prod", earlier(rows_of(PROD)), []), side(fewer)))[
        ("ledger-db-data", "generations kept")
    ] == ("changed", "pre-migration: last 5", "pre-migration: last 1")


def test_an_unchanged_topology_exits_0_with_nothing_to_show() -> None:
    result = diff(side(PROD), side(PROD))
    assert (result.assets, result.findings, result.exit_code) == ([], [], 0)
    assert render_markdown(result) == ["**Protection not weakened** in stack `prod`: protection unchanged: exit 0"]


def test_a_strengthened_topology_exits_0() -> None:
    def stronger(t: dict[str, Any]) -> None:
        web_tier(t)["policy"]["schedules"][0]["retention_days"] = 60
        t["ibm"]["snapshots"][0]["clone_zones"].append("us-south-1")

    result = diff(side(PROD), side(changed(stronger)))
    assert facts(result)[(WEB_1, "retention at the RPO")] == ("strengthened", "30d", "60d")
    assert facts(result)[("orders-db", "fast-restore clones")][0] == "strengthened"
    assert result.exit_code == 0
    assert result.summary() == "4 assets strengthened: exit 0"


def test_rows_are_matched_by_cloud_and_asset_id_not_by_their_order() -> None:
    assert diff(side(PROD), Side("prod", rows_of(PROD)[::-1], [])).assets == []


def test_a_policy_the_plan_cannot_see_is_unknown_never_gained() -> None:
    gold = changed(on_oracle("gold"))

    def by_ocid(t: dict[str, Any]) -> None:
        del web_tier(t)["oracle_policy"]
        web_tier(t)["policy_id"] = "ocid1.volumebackuppolicy.oc1.iad.aaaa"

    existing = changed(by_ocid, gold)
    to_unknown = diff(side(gold), side(existing))
    assert facts(to_unknown)[(WEB_1, "RPO")] == ("unknown", "24h", "unknown")
    assert to_unknown.exit_code == 1  # nothing may be reported as protected that the plan cannot see
    from_unknown = diff(side(existing), side(gold))
    assert facts(from_unknown)[(WEB_1, "RPO")] == ("changed", "unknown", "24h")
    assert from_unknown.exit_code == 0


def finding(
    policy: str, message: str, level: str = "mandatory", resource: str = "urn:pulumi:prod::p::t::res"
) -> dict[str, Any]:
    return {"policy": policy, "level": level, "message": message, "resource": resource}


def test_a_new_mandatory_finding_or_one_made_advisory_weakens_and_one_gone_only_changes() -> None:
    old = finding("backup-retention-and-rpo", "kept only 7 d")
    cases = {
        "new": ([], [old]),
        "made advisory": ([old], [finding("backup-retention-and-rpo", "kept only 7 d", "advisory")]),
        "gone": ([old], []),
        "reworded": ([old], [finding("backup-retention-and-rpo", "kept only 9 d")]),
    }
    found = {}
    for name, (before, after) in cases.items():
        result = diff(side(PROD, before), side(PROD, after))
        [change] = result.findings
        found[name] = (change.status, change.before, change.after, result.exit_code)
    assert found == {
        "new": ("weakened", "-", "kept only 7 d", 1),
        "made advisory": ("weakened", "kept only 7 d", "-", 1),
        "gone": ("changed", "kept only 7 d", "-", 0),
        "reworded": ("changed", "kept only 7 d", "kept only 9 d", 0),
    }


# --- the command ----------------------------------------------------------------------------------


def plan_json(path: Path, topology: dict[str, Any], stack: str = "prod", **extra: Any) -> Path:
    doc = {"stack": stack, "policy_config": None, "coverage": rows_of(topology), "findings": [], **extra}
    path.write_text(json.dumps(doc))
    return path


def accepting(path: Path, accept: dict[str, Any], **section: Any) -> Path:
    config = {"protection-diff": {"enforcementLevel": "disabled", "accept": accept, **section}}
    path.write_text(json.dumps(config))
    return path


def test_a_weakening_the_heads_policy_config_accepts_exits_0_and_shows_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = plan_json(tmp_path / "base.json", PROD)
    head = plan_json(tmp_path / "head.json", changed(shorter_retention))
    reason = "web tier rebuilt from images nightly (CHG-1234)"
    config = accepting(
        tmp_path / "prod.json", {name: reason for name in (WEB_1, "web-2", "web-3", "web-tier-policy")} | {"old": "x"}
    )
    args = ["diff", "--base", str(base), "--head", str(head), "--format", "markdown", "--policy-config", str(config)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"| web-1 | oci/us-ashburn-1 | weakened (accepted: {reason}) | retention at the RPO | 30d | 7d |" in out
    assert out.splitlines()[0] == "**Protection not weakened** in stack `prod`: 3 assets accepted: exit 0"
    assert "accept nothing here (remove them): old, web-tier-policy" in out
    assert main(args[:-2]) == 1  # without the acceptances


def test_the_heads_plan_names_its_policy_config_whose_acceptances_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a plan names its policy config as the path from where it ran
    accepting(tmp_path / "prod.json", dict.fromkeys((WEB_1, "web-2", "web-3"), "why"))
    base = plan_json(tmp_path / "base.json", PROD)
    head = plan_json(tmp_path / "head.json", changed(shorter_retention), policy_config="prod.json")
    assert main(["diff", "--base", str(base), "--head", str(head), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(a["asset_name"], a["accepted"]) for a in doc["assets"]] == [
        (WEB_1, "why"),
        ("web-2", "why"),
        ("web-3", "why"),
    ]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: (d / "missing.json", d / "base.json"), "BASE missing.json: not found"),
        (
            lambda d: ((d / "x.json").write_text("{"), d / "x.json")[1:] * 2,
            "BASE x.json: not valid JSON at line 1, column 2: ",
        ),
        (
            lambda d: ((d / "x.txt").write_text("{}"), d / "x.txt")[1:] * 2,
            "BASE x.txt: neither a plan JSON (.json) nor a stack file",
        ),
        (
            lambda d: ((d / "x.json").write_text("[]"), d / "x.json")[1:] * 2,
            "BASE x.json: not a plan (`python -m components.plan --json`): no `stack`",
        ),
        (
            lambda d: ((d / "x.json").write_text('{"stack": "prod", "coverage": null}'), d / "x.json")[1:] * 2,
            "BASE x.json: coverage: null: the plan of a program that declares no topology",
        ),
        (
            lambda d: (
                ((d / "x.json").write_text('{"stack": "prod", "coverage": [{"cloud": "oci"}]}'), d / "x.json")[1:] * 2
            ),
            "BASE x.json: coverage[0]: a row needs `cloud` and `asset_id` (text)",
        ),
        (
            lambda d: (plan_json(d / "a.json", PROD), plan_json(d / "b.json", PROD, stack="dev")),
            "BASE plans stack prod, HEAD stack dev: a diff compares two plans of one stack",
        ),
        (
            lambda d: (plan_json(d / "a.json", PROD), plan_json(d / "b.json", PROD, policy_config="gone.json")),
            "gone.json: the policy config HEAD's plan ran with is not found here; give --policy-config FILE",
        ),
    ],
    ids=["missing", "invalid-json", "suffix", "not-a-plan", "no-coverage", "bad-row", "two-stacks", "config-gone"],
)
def test_bad_input_exits_2_with_one_line_naming_the_file_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], tuple[Path, Path]],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    plan_json(tmp_path / "base.json", PROD)
    base, head = make(tmp_path)
    assert main(["diff", "--base", str(base), "--head", str(head)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(expected), line


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"accept": {WEB_1: "why"}}, 'prod.json: protection-diff.enforcementLevel: must be "disabled"'),
        (
            {"enforcementLevel": "disabled", "accept": {WEB_1: " "}},
            "prod.json: protection-diff.accept.web-1: the reason must be a non-empty text",
        ),
        ({"enforcementLevel": "disabled", "accept": [WEB_1]}, "prod.json: protection-diff.accept: an object"),
        ({"enforcementLevel": "disabled", "waivers": {}}, "prod.json: protection-diff.waivers: unknown setting"),
    ],
    ids=["no-level", "empty-reason", "not-an-object", "unknown-setting"],
)
def test_a_bad_acceptance_section_exits_2_naming_its_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    section: dict[str, Any],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod.json").write_text(json.dumps({"protection-diff": section}))
    base = plan_json(tmp_path / "base.json", PROD)
    assert main(["diff", "--base", str(base), "--head", str(base), "--policy-config", "prod.json"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(expected), line


def run_posture(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "components.posture", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_stack_files_and_their_plans_give_the_same_diff_byte_for_byte_run_after_run_as_the_docs_show_it(
    tmp_path: Path,
) -> None:
    prod = ROOT / "stacks" / "Pulumi.prod.yaml"
    weaker = tmp_path / "Pulumi.prod.yaml"  # the weakening docs/gitops.md shows: the web tier kept 7 days, not 30
    weaker.write_text(prod.read_text().replace("retention_days: 30", "retention_days: 7", 1))
    plans = []
    for name, stack in (("base", prod), ("head", weaker)):
        done = subprocess.run(
            [sys.executable, "-m", "components.plan", "--config", str(stack), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        plans.append(tmp_path / f"{name}.json")
        plans[-1].write_text(done.stdout)
    from_files = run_posture("diff", "--base", "stacks/Pulumi.prod.yaml", "--head", str(weaker), "--format", "markdown")
    from_plans = [
        run_posture("diff", "--base", str(plans[0]), "--head", str(plans[1]), "--format", "markdown") for _ in range(2)
    ]
    assert from_files.returncode == 1, from_files.stderr
    assert from_files.stdout == from_plans[0].stdout == from_plans[1].stdout
    assert "| web-1 | oci/us-ashburn-1 | **weakened** | retention at the RPO | 30d | 7d |" in from_files.stdout
    assert (
        "| web-tier-policy | - | **weakened** (new mandatory finding) | policy backup-retention-and-rpo |"
        in from_files.stdout
    )
    docs = (ROOT / "docs" / "gitops.md").read_text()
    assert from_files.stdout == docs.split("```markdown\n", 1)[1].split("```", 1)[0]
    # The README shows the same comment with its last row (the policy finding) cut.
    readme = (ROOT / "README.md").read_text().split("## GitOps", 1)[1]
    excerpt = readme.split("```markdown\n", 1)[1].split("```", 1)[0]
    assert from_files.stdout.startswith(excerpt)
    assert from_files.stdout[len(excerpt) :].startswith("| web-tier-policy |")


def test_a_command_line_without_a_command_exits_2_naming_the_commands() -> None:
    done = run_posture()
    assert done.returncode == 2
    assert "diff" in done.stderr
    assert "Traceback" not in done.stderr
