"""The package schema the component provider serves, kept as schema/pulumi-package.json.

`python -m components.provider.schema` writes it; `--check` writes nothing and exits 1 when it is out of date (a test
fails the same way). It is what `pulumi package get-schema <checkout>` prints, keys sorted: generated SDKs, editors
and reviews read it without starting the provider.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from components.provider.host import BackupTopologyProvider

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = PROJECT_ROOT / "schema" / "pulumi-package.json"
COMMAND = "python -m components.provider.schema"


def package_schema() -> dict[str, Any]:
    """The schema the provider serves."""
    return BackupTopologyProvider().spec


def rendered() -> str:
    """The schema as the file holds it."""
    return json.dumps(package_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = rendered()
    if "--check" in args:
        if not SCHEMA_FILE.is_file() or SCHEMA_FILE.read_text() != text:
            print(f"{SCHEMA_FILE.relative_to(PROJECT_ROOT)} is out of date: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.write_text(text)
    print(f"wrote {SCHEMA_FILE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
