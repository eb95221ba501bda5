"""The JSON Schema of a stack file's topology, generated from the topology models, for editors and pipelines.

`python -m components.tooling.schema` writes schema/topology.schema.json (a test fails when it is out of date).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from components.config import CONFIG_KEY, Topology

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = PROJECT_ROOT / "schema" / "topology.schema.json"


def stack_file_schema() -> dict[str, Any]:
    """A schema of a whole stack file (`Pulumi.<stack>.yaml`): its `config:` holds the topology under CONFIG_KEY.

    The stack's other config keys (provider settings, secrets) are the stack's own and are left open.
    """
    topology = _without_nulls(Topology.model_json_schema(mode="validation"))
    definitions = topology.pop("$defs", {})
    definitions["Topology"] = topology
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://backup-topology.dev/schema/topology.schema.json",
        "title": "backup-topology stack file",
        "description": f"A Pulumi stack file of backup-topology: `config: {CONFIG_KEY}` declares the backup topology.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": {CONFIG_KEY: {"$ref": "#/$defs/Topology"}},
                "additionalProperties": True,
            }
        },
        "$defs": dict(sorted(definitions.items())),
    }


def _without_nulls(node: Any) -> Any:
    """The schema with `anyOf: [X, null]` as X: an optional field is left out rather than written as null, and an
    editor then reports a mistake inside X where it is, not as "not valid under any of the given schemas"."""
    if isinstance(node, list):
        return [_without_nulls(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _without_nulls(v) for k, v in node.items()}
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        del node["anyOf"]
        node = {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **node}
    return node


def rendered() -> str:
    """The schema file's text: stable key order, one trailing newline."""
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Write the schema file; with --check, exit 1 when it is out of date instead."""
    text = rendered()
    if "--check" in sys.argv[1:]:
        current = SCHEMA_FILE.read_text() if SCHEMA_FILE.is_file() else ""
        if current != text:
            print(f"{SCHEMA_FILE}: out of date; run python -m components.tooling.schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_FILE.write_text(text)
    print(SCHEMA_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
