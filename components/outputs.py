"""The outputs each component declares (its annotated attributes and their docstrings): one source for code and docs."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass
from functools import cache

import pulumi

import components

_FOREIGN = frozenset({"builtins", "pulumi", "typing", "abc"})
"""Packages whose classes a component inherits from without declaring outputs of its own (pulumi's
`ComponentResource` annotates `urn`, which every resource has and no component registers)."""
OUTPUTS_HEADING = "## Outputs"
"""The heading of the section of a component's page that documents its outputs (docs/components/<Component>.md)."""
_SECTION = re.compile(r"^#{1,2}\s")
_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
_ROW = re.compile(r"^\|\s*`(?P<name>[A-Za-z_][A-Za-z0-9_]*)`\s*\|")


@dataclass(frozen=True)
class DeclaredOutput:
    """One output of a component: its name, its annotated type, and the docstring under the annotation."""

    name: str
    type: str
    description: str


def declared_outputs(component: type) -> list[DeclaredOutput]:
    """The outputs `component` declares, in declaration order (those of a project base class first).

    An output is a public annotated attribute of the class body (`snapshot_id: pulumi.Output[str]`) followed by its
    docstring; `ClassVar`s are class facts, not outputs.
    """
    found: dict[str, DeclaredOutput] = {}
    for klass in reversed(component.__mro__):
        if klass.__module__.split(".", 1)[0] not in _FOREIGN:
            found.update((o.name, o) for o in _class_outputs(klass))
    return list(found.values())


@cache
def _class_outputs(klass: type) -> tuple[DeclaredOutput, ...]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
    definition = tree.body[0]
    if not isinstance(definition, ast.ClassDef):
        return ()
    body = definition.body
    outputs = []
    for i, statement in enumerate(body):
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        name = statement.target.id
        annotation = ast.unparse(statement.annotation)
        if name.startswith("_") or annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        following = body[i + 1] if i + 1 < len(body) else None
        doc = ""
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            doc = inspect.cleandoc(str(following.value.value))
        outputs.append(DeclaredOutput(name, annotation.replace("pulumi.", ""), " ".join(doc.split())))
    return tuple(outputs)


def public_components() -> list[type]:
    """The component classes the package exports (`components.__all__`), in that order."""
    exported = (getattr(components, name) for name in components.__all__)
    return [obj for obj in exported if isinstance(obj, type) and issubclass(obj, pulumi.ComponentResource)]


def constructor_owner(component: type) -> type:
    """The class whose `__init__` builds `component` (a subclass may only give the component another type token)."""
    return next(k for k in component.__mro__ if "__init__" in vars(k))


def outputs_table(component: type) -> str:
    """The component's outputs as a Markdown table (Name, Type, Description), as its page documents them."""
    lines = ["| Name | Type | Description |", "|---|---|---|"]
    for output in declared_outputs(component):
        kind = output.type.replace("|", "\\|")
        meaning = output.description.replace("|", "\\|")
        lines.append(f"| `{output.name}` | `{kind}` | {meaning} |")
    return "\n".join(lines)


def documented_outputs(text: str) -> list[str] | None:
    """The outputs a component's page documents: the first column of the first table under its `## Outputs`
    heading (blank lines and HTML comments may come before the table; prose before it means there is none); None
    without such a heading."""
    documented: list[str] | None = None
    searching = in_table = False
    for line in text.splitlines():
        if _SECTION.match(line):
            searching, in_table = line.strip() == OUTPUTS_HEADING, False
            if searching:
                documented = []
        elif not searching or documented is None:
            continue
        elif line.startswith("|"):
            in_table = True
            row = _ROW.match(line)
            if row is not None:
                documented.append(row["name"])
        elif in_table or (line.strip() and not _COMMENT.match(line)):
            searching = False  # the table ended, or prose came before any table
    return documented
