"""The GitOps example: pr_check.sh on a git repository of the project, and the workflow that runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.e2e.cli import copy_files

GITOPS = ROOT / "examples" / "gitops"
PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "components", "policies", "stacks", "examples/gitops")
REASON = "web tier rebuilt from images every night (CHG-1234)"


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A git repository of the project with three commits: the prod example, its web tier's daily backups kept 7
    days instead of 30, and that weakening accepted in the prod policy config."""
    path = tmp_path_factory.mktemp("infra")
    copy_files(path, PROJECT_FILES)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "prod")
    base = git(path, "rev-parse", "HEAD")
    stack = path / "stacks" / "Pulumi.prod.yaml"
    text = stack.read_text()
    assert "retention_days: 30" in text  # the web tier's daily incremental backups come first
    stack.write_text(text.replace("retention_days: 30", "retention_days: 7", 1))
    git(path, "commit", "-q", "-am", "web tier: daily backups kept 7 days")
    weakened = git(path, "rev-parse", "HEAD")
    config_file = path / "policies" / "config" / "prod.json"
    config = json.loads(config_file.read_text())
    accept = dict.fromkeys(("web-1", "web-2", "web-3", "backup-retention-and-rpo"), REASON)
    config["protection-diff"] = {"enforcementLevel": "disabled", "accept": accept}
    config_file.write_text(json.dumps(config, indent=2))
    git(path, "commit", "-q", "-am", "accept the web tier's shorter retention")
    return {"path": path, "base": base, "weakened": weakened, "accepted": git(path, "rev-parse", "HEAD")}


def pr_check(repo: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "examples/gitops/pr_check.sh", *args],
        cwd=repo["path"],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.lab  # plans two commits of the prod example through the script: the second tier
def test_pr_check_posts_the_weakened_retention_and_exits_1(repo: dict[str, Any]) -> None:
    done = pr_check(repo, repo["base"], repo["weakened"], "prod")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("**Protection weakened** in stack `prod`: 3 assets weakened, 1 policy finding weakened: exit 1")
    assert "| web-1 | oci/us-ashburn-1 | **weakened** | retention at the RPO | 30d | 7d |" in lines
    assert "Traceback" not in done.stderr


@pytest.mark.lab  # plans two commits of the prod example through the script: the second tier
def test_pr_check_shows_a_weakening_the_heads_policy_config_accepts_and_exits_0(repo: dict[str, Any]) -> None:
    done = pr_check(repo, repo["base"], repo["accepted"], "prod")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        done.stdout.splitlines()[0]
        == "**Protection not weakened** in stack `prod`: 3 assets accepted, 1 policy finding accepted: exit 0"
    )
    assert (
        f"| web-1 | oci/us-ashburn-1 | weakened (accepted: {REASON}) | retention at the RPO | 30d | 7d |" in done.stdout
    )


def test_pr_check_refuses_a_ref_that_is_no_commit_with_one_line(repo: dict[str, Any]) -> None:
    done = pr_check(repo, repo["base"], "no-such-branch", "prod")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"head ref no-such-branch: not a commit of {repo['path']}"]


def test_pr_check_refuses_a_stack_the_ref_does_not_hold_naming_the_stacks_there(repo: dict[str, Any]) -> None:
    done = pr_check(repo, repo["base"], repo["weakened"], "staging")
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == f"base ref {repo['base']}: stack staging cannot be planned:"
    assert "stack file not found; stacks that exist: dev, lab, prod" in done.stderr


# --- the workflow --------------------------------------------------------------------------------------


def workflow() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((GITOPS / "backup-topology.yml").read_text())
    return doc


def steps(job: str) -> str:
    """Every command a job runs, one text."""
    return "\n".join(step.get("run", "") for step in workflow()["jobs"][job]["steps"])


def test_the_workflow_runs_the_check_and_preview_on_pull_requests_up_on_main_and_refresh_nightly() -> None:
    doc = workflow()
    triggers = doc["on"]
    assert triggers["pull_request"]["branches"] == ["main"]
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"][0]["cron"]
    jobs = doc["jobs"]
    assert jobs["pull-request"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["up"]["if"] == "github.event_name == 'push'"
    assert "examples/gitops/pr_check.sh" in steps("pull-request")
    assert re.search(r"pulumi preview .*\\\n\s+--policy-pack policies --policy-pack-config", steps("pull-request"))
    assert "pulumi up --stack" in steps("up")
    assert 'pulumi refresh --stack "$STACK" --yes --expect-no-changes' in steps("nightly")
    assert re.search(r"-m components.posture check --stack \"\$STACK\" --state state.json", steps("nightly"))


def test_the_nightly_posture_check_runs_after_drift_too_and_keeps_its_page() -> None:
    nightly = workflow()["jobs"]["nightly"]["steps"]
    names = [step.get("name", "") for step in nightly]
    refresh = next(i for i, n in enumerate(names) if n.startswith("Drift"))
    posture = next(i for i, n in enumerate(names) if n.startswith("Posture"))
    assert posture > refresh
    assert nightly[posture]["if"] == "${{ !cancelled() }}"  # a drift that failed the job still gets its posture
    kept = nightly[posture + 1]
    assert kept["uses"].startswith("actions/upload-artifact@")
    assert kept["with"]["path"] == "posture.html"


CLOUD_SECRETS = {
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "IBMCLOUD_API_KEY",
    "OS_AUTH_URL",
    "OS_USERNAME",
    "OS_PASSWORD",
    "OS_PROJECT_NAME",
    "OS_USER_DOMAIN_NAME",
    "OS_PROJECT_DOMAIN_NAME",
}


def test_the_clouds_secrets_reach_only_the_steps_that_run_pulumi_or_read_the_clouds() -> None:
    doc = workflow()
    assert "secrets." not in json.dumps(doc.get("env", {}))
    for name, job in doc["jobs"].items():
        assert "secrets." not in json.dumps(job.get("env", {})), name
        for step in job["steps"]:
            given = "secrets." in json.dumps(step.get("env", {}))
            run = step.get("run", "")
            if re.search(r"\bpulumi (preview|up|refresh)\b", run) or "components.posture check" in run:
                assert set(step["env"]) >= CLOUD_SECRETS, step["name"]
            elif step.get("name") != "Cloud credentials":
                assert not given, f"{name}: {step.get('name') or step.get('uses')}"
    [diff] = [s for s in doc["jobs"]["pull-request"]["steps"] if "pr_check.sh" in s.get("run", "")]
    assert "env" not in diff  # it runs the pull request's own code, offline


def test_the_files_the_workflow_names_exist() -> None:
    stack = workflow()["env"]["STACK"]
    for path in ("requirements.txt", "examples/gitops/pr_check.sh", "policies/PulumiPolicy.yaml"):
        assert (ROOT / path).is_file(), path
    assert (ROOT / "policies" / "config" / f"{stack}.json").is_file()
    assert (ROOT / "stacks" / f"Pulumi.{stack}.yaml").is_file()


def _invocations() -> list[tuple[str, list[str], list[str]]]:
    """(module, subcommand, flags) of each `python -m components...` command of the script and the workflow."""
    found = []
    for path in (GITOPS / "pr_check.sh", GITOPS / "backup-topology.yml"):
        text = path.read_text().replace("\\\n", " ")  # a command continued on the next line is one command
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                continue
            for match in re.finditer(r"-m (components(?:\.\w+)+)((?: [a-z]+)?)((?: [^|>;&]*)?)", line):
                sub = match[2].split()
                found.append((match[1], sub, re.findall(r"--[a-z][\w-]*", match[3])))
    return found


def test_the_commands_the_script_runs_exist_with_the_flags_it_gives_them() -> None:
    calls = _invocations()
    assert {module for module, _, _ in calls} == {"components.plan", "components.posture"}
    for module, sub, flags in calls:
        done = subprocess.run(
            [sys.executable, "-m", module, *sub, "-h"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        for flag in flags:
            assert flag in done.stdout, f"{module} {' '.join(sub)}: no {flag}"
