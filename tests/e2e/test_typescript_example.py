"""The TypeScript example (examples/typescript) against the SDK generated from the schema the real CLI prints.

The schema comes from `pulumi package get-schema <checkout>`; the SDK from gen-nodejs (built with the CLI by
tests/engine/build_pulumi.sh: the Node.js code generator of the CLI's pkg/v3, as `pulumi package add` runs it), into
the example's `sdks/backup-topology`; `npm ci` installs the example from its lock (the SDK is compiled by its own
postinstall, as for a user), and `tsc --noEmit` type-checks it. The program cannot run here: there is no Node.js
language host.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import cli_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "typescript"
EXAMPLE_FILES = ("Pulumi.yaml", "index.ts", "package.json", "package-lock.json", "tsconfig.json")
SDK = Path("sdks") / "backup-topology"


@dataclass
class TsProject:
    """A copy of the example with the SDK generated and the packages installed."""

    path: Path
    schema: dict[str, Any]
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=self.path, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def type_check(self, program: str) -> subprocess.CompletedProcess[str]:
        """`tsc --noEmit` of `program` (a file of the project) with the example's compiler options."""
        config = json.loads((self.path / "tsconfig.json").read_text())
        config["files"] = [program]
        config["compilerOptions"]["pretty"] = False  # one line per error, no colours
        (self.path / f"tsconfig.{program}.json").write_text(json.dumps(config))
        return self.run("npx", "--no-install", "tsc", "--noEmit", "-p", f"tsconfig.{program}.json")


def node_tools() -> None:
    """Node.js and npm, or a skip outside CI (in CI these tests must run)."""
    missing = [tool for tool in ("node", "npm", "npx") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the TypeScript example must be checked in CI, but this machine has no {', '.join(missing)}")
        pytest.skip(f"TypeScript example: this machine has no {', '.join(missing)}")


@pytest.fixture(scope="module")
def project(pulumi_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> TsProject:
    node_tools()
    where = tmp_path_factory.mktemp("typescript")
    env = cli_env(pulumi_bin, where)
    env["npm_config_update_notifier"] = "false"

    done = subprocess.run(
        [str(pulumi_bin / "pulumi"), "package", "get-schema", str(ROOT), "--non-interactive"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (where / "schema.json").write_text(done.stdout)

    path = where / "example"
    path.mkdir()
    for name in EXAMPLE_FILES:
        shutil.copy2(EXAMPLE / name, path / name)
    project = TsProject(path, json.loads(done.stdout), env)

    generated = project.run(str(pulumi_bin / "gen-nodejs"), "-local", str(where / "schema.json"), str(SDK))
    assert generated.returncode == 0, generated.stderr[-4000:]
    installed = project.run("npm", "ci", "--no-audit", "--no-fund")
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-6000:]
    return project


def test_the_generated_sdk_exports_every_component_of_the_schema_with_its_type_token(project: TsProject) -> None:
    listed = project.run(
        "node",
        "-e",
        "const sdk = require('@pulumi/backup-topology');"
        "const found = {};"
        "for (const [name, value] of Object.entries(sdk))"
        "  if (typeof value === 'function' && value.__pulumiType) found[name] = value.__pulumiType;"
        "console.log(JSON.stringify(found));",
    )
    assert listed.returncode == 0, listed.stderr[-4000:]
    exported = json.loads(listed.stdout)
    components = {token.rsplit(":", 1)[-1]: token for token in project.schema["resources"]}
    assert len(components) >= 11
    assert {name: exported.get(name) for name in components} == components


def test_the_example_type_checks_against_the_generated_sdk(project: TsProject) -> None:
    checked = project.type_check("index.ts")
    assert checked.returncode == 0, checked.stdout[-6000:]


def test_a_number_where_the_schema_wants_a_volume_id_fails_the_type_check(project: TsProject) -> None:
    program = (project.path / "index.ts").read_text()
    wrong, count = re.subn(r'volumeId: config\.get\("ibmVolumeId"\) \?\? "[^"]*"', "volumeId: 42", program)
    assert count == 1
    (project.path / "wrong.ts").write_text(wrong)
    checked = project.type_check("wrong.ts")
    assert checked.returncode != 0
    [error] = [line for line in checked.stdout.splitlines() if "error TS" in line]
    assert "wrong.ts" in error
    assert "Type 'number' is not assignable to type 'Input<string>'" in error
