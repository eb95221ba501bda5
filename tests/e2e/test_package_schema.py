"""`pulumi package get-schema <checkout>` with the real CLI: the engine starts the checkout as a plugin
(PulumiPlugin.yaml, through the project's Python language host) and prints the schema kept in schema/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from components.provider.schema import SCHEMA_FILE
from tests.e2e.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]


def test_get_schema_of_the_checkout_prints_the_committed_schema(cli: Cli) -> None:
    done = subprocess.run(
        [str(cli.bin_dir / "pulumi"), "package", "get-schema", str(ROOT), "--non-interactive"],
        cwd=cli.project,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert json.loads(done.stdout) == json.loads(SCHEMA_FILE.read_text())
