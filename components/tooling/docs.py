"""Reference docs generated from the code: the components' Inputs and Outputs tables and the topology's field tables.

`python -m components.tooling.docs` rewrites every generated block of README.md, CONTRIBUTING.md and docs/**/*.md
and leaves the prose around them as it is; with `--check` it writes nothing and exits 1, naming each page that is out
of date (tests/test_docs.py fails the same way). A block is

    <!-- generated: inputs VaultBackup -->    the component's Args (a TypedDict) with its nested TypedDicts
    <!-- generated: outputs VaultBackup -->   the component's declared outputs (components.outputs)
    <!-- generated: topology Schedule -->     one topology model's fields (the models of the topology's JSON Schema)
    ...
    <!-- end generated -->

Inputs: name, type and docstring of each field from the TypedDict's source, whether it is required (`Required[...]`,
`total=`), and the default of the field of the same name in the pydantic model the component validates its args with
(`component_args(Model, args, ...)` in its `__init__`), or of the nested model under it; a default the component
passes to `component_args` (`name=resource_name`) is "the resource name". Topology: type, required and description
from the topology's JSON Schema (components.tooling.schema), defaults from the models.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import sys
import textwrap
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from components.config import Topology
from components.config.base import Duration
from components.outputs import constructor_owner, outputs_table, public_components
from components.tooling.schema import stack_file_schema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m components.tooling.docs"
NONE = "—"

BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<kind>[a-z]+) (?P<name>[A-Za-z_][A-Za-z0-9_]*) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- end generated -->)",
    re.DOTALL,
)
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


# --- pages, headings and anchors ------------------------------------------------------------------


def pages(root: Path = PROJECT_ROOT) -> list[Path]:
    """The Markdown pages of the project: README.md, CONTRIBUTING.md and everything under docs/."""
    found = [root / name for name in ("README.md", "CONTRIBUTING.md") if (root / name).is_file()]
    return found + sorted((root / "docs").rglob("*.md"))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lower-cased, punctuation dropped, spaces as hyphens.

    Links and inline code keep their text; `_` and `-` stay (github-slugger's rules).
    """
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@dataclass(frozen=True)
class Heading:
    """A heading of a page: its line (0-based), level, text and anchor (unique in the page, as GitHub makes it)."""

    line: int
    level: int
    text: str
    anchor: str


def headings(text: str) -> list[Heading]:
    """The page's headings outside fenced code, with GitHub's anchors (a repeated one gets -1, -2, ...)."""
    found: list[Heading] = []
    seen: dict[str, int] = {}
    fenced = False
    for number, line in enumerate(text.splitlines()):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match is None:
            continue
        base = github_anchor(match["text"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.append(Heading(number, len(match["level"]), match["text"], base if count == 0 else f"{base}-{count}"))
    return found


def link(from_page: Path, to_page: Path, anchor: str) -> str:
    """The relative link from one page to a heading of another (or of itself)."""
    if from_page == to_page:
        return f"#{anchor}"
    return f"{Path(os.path.relpath(to_page, from_page.parent)).as_posix()}#{anchor}"


_LINK = re.compile(r"\]\(([^()\s]+)\)")
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")


def _prose(text: str) -> str:
    """The text without HTML comments, fenced code and inline code: where Markdown links live."""
    lines, fenced = [], False
    for line in _COMMENTS.sub("", text).splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(_INLINE_CODE.sub("", line))
    return "\n".join(lines)


def broken_links(root: Path = PROJECT_ROOT) -> list[str]:
    """Every relative link of the pages whose file does not exist, or whose `#anchor` is no heading of its page."""
    anchors: dict[Path, set[str]] = {}

    def anchors_of(page: Path) -> set[str]:
        if page not in anchors:
            anchors[page] = {h.anchor for h in headings(page.read_text())}
        return anchors[page]

    broken = []
    for page in pages(root):
        for target in _LINK.findall(_prose(page.read_text())):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                continue
            path, _, anchor = target.partition("#")
            where = (page.parent / path).resolve() if path else page
            shown = f"{page.relative_to(root)}: {target}"
            if not where.exists():
                broken.append(f"{shown}: no such file")
            elif anchor and (where.suffix != ".md" or anchor not in anchors_of(where)):
                broken.append(f"{shown}: no heading with that anchor")
    return broken


# --- cells ------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Text for a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def _seconds(value: int) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}s"


def _is_duration(info: FieldInfo) -> bool:
    return info.annotation is int and all(m in info.metadata for m in typing.get_args(Duration)[1:])


def default_text(info: FieldInfo | None) -> str:
    """A model field's default as the docs show it; a required field, None, or a nested model's defaults: NONE."""
    if info is None or info.is_required():
        return NONE
    value = info.get_default(call_default_factory=True)
    if value is None or isinstance(value, BaseModel):
        return NONE
    if isinstance(value, bool):
        return _code("true" if value else "false")
    if isinstance(value, int) and _is_duration(info):
        return _code(_seconds(value))
    if isinstance(value, (int, float, str)):
        return _code(str(value))
    return _code(json.dumps(value, separators=(", ", ": ")))


# --- the topology's models ----------------------------------------------------------------------------


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (through Annotated, Optional, unions, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _models_in(typing.get_args(annotation)[0])
    elif origin is not None:  # unions, lists, dicts (a Literal's arguments are values, not models)
        for arg in typing.get_args(annotation):
            yield from _models_in(arg)


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The first pydantic model an annotation holds, if any."""
    return next(_models_in(annotation), None)


@cache
def topology_models() -> dict[str, type[BaseModel]]:
    """Every model of the topology by its name in the JSON Schema's `$defs`, from `Topology` down."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [Topology]
    while pending:
        model = pending.pop()
        if found.setdefault(model.__name__, model) is not model:
            msg = f"two topology models are named {model.__name__}: the schema's $defs would not name them apart"
            raise ValueError(msg)
        for info in model.model_fields.values():
            pending += [m for m in _models_in(info.annotation) if m.__name__ not in found]
    return found


@cache
def _schema_defs() -> dict[str, Any]:
    definitions: dict[str, Any] = stack_file_schema()["$defs"]
    return definitions


@cache
def _duration_schema() -> Any:
    options = TypeAdapter(Duration).json_schema(mode="validation")
    return options.get("anyOf")


def _bounds(low: Any, high: Any, *, words: bool = False) -> str:
    if low is not None and low == high:
        return f"{low}"
    if low is not None and high is not None:
        return f"{low}–{high}"
    if low is not None:
        return f"at least {low}" if words else f"≥ {low}"
    return f"at most {high}" if words else f"≤ {high}"


def schema_type(node: Mapping[str, Any], model_link: Any) -> str:
    """A JSON Schema node in words: `list of <model>`, `integer 1–23`, `` `crash` or `application` ``, ..."""
    if "$ref" in node:
        return str(model_link(node["$ref"].rsplit("/", 1)[-1]))
    if "anyOf" in node:
        if node["anyOf"] == _duration_schema():
            return "duration (`90s`, `30m`, `2h`) or seconds, 1 s to 24 h"
        return " or ".join(schema_type(option, model_link) for option in node["anyOf"])
    if "enum" in node:
        values = [_code(str(v)) for v in node["enum"]]
        return " or ".join(values) if len(values) <= 2 else f"one of {', '.join(values)}"
    if "const" in node:
        return _code(str(node["const"]))
    kind = node.get("type")
    if kind == "array":
        text = f"list of {schema_type(node.get('items', {}), model_link)}"
        low, high = node.get("minItems"), node.get("maxItems")
        if low is not None or high is not None:
            one = (low, high) in ((1, None), (None, 1), (1, 1))
            text += f" ({_bounds(low, high, words=True)} {'item' if one else 'items'})"
        return text
    if kind == "object":
        entries = node.get("additionalProperties")
        return f"map of string to {schema_type(entries, model_link)}" if isinstance(entries, dict) else "object"
    if kind == "string":
        text = "string"
        low, high = node.get("minLength"), node.get("maxLength")
        if low == 1 and high is None:
            text = "non-empty string"
        elif low is not None or high is not None:
            text += f" of {_bounds(low, high, words=True)} characters"
        if "pattern" in node:
            text += f" matching {_code(node['pattern'])}"
        return text
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        return kind if low is None and high is None else f"{kind} {_bounds(low, high)}"
    return str(kind or "any value")


def topology_table(name: str, model_link: Any) -> str:
    """One topology model's fields: Field, Type, Required, Default, Description."""
    model = topology_models()[name]
    definition = _schema_defs()[name]
    required = set(definition.get("required", []))
    properties: dict[str, Any] = definition.get("properties", {})
    own = [name for name in vars(model).get("__annotations__", {}) if name in properties]
    order = own + [name for name in properties if name not in own]  # the model's own fields, then its bases'
    lines = ["| Field | Type | Required | Default | Description |", "|---|---|---|---|---|"]
    for field_name in order:
        node = properties[field_name]
        description = node.get("description")
        if description is None and "$ref" in node:
            description = _schema_defs()[node["$ref"].rsplit("/", 1)[-1]].get("description")
        cells = [
            _code(field_name),
            schema_type(node, model_link),
            "yes" if field_name in required else "no",
            default_text(model.model_fields.get(field_name)),
            description or NONE,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


# --- the components' Args ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgField:
    """One field of an Args TypedDict, as its source declares it."""

    name: str
    annotation: str
    required: bool
    description: str
    nested: tuple[tuple[type, bool], ...]
    """The TypedDicts its type names, each with whether it is a list of them (`Sequence[X]`)."""


_REQUIRED_WRAPPERS = {"Required": True, "NotRequired": False}


def _dotted(node: ast.expr) -> str:
    return ast.unparse(node)


def _nested(node: ast.expr, module: types.ModuleType, in_list: bool = False) -> Iterator[tuple[type, bool]]:
    """The TypedDicts an annotation names, and whether each is inside a Sequence or list."""
    if isinstance(node, ast.Name):
        target = getattr(module, node.id, None)
        if isinstance(target, type) and typing.is_typeddict(target):
            yield target, in_list
    elif isinstance(node, ast.Subscript):
        outer = _dotted(node.value).rsplit(".", 1)[-1]
        listed = in_list or outer in ("Sequence", "list", "Iterable")
        yield from _nested(node.slice, module, listed)
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _nested(element, module, in_list)
    elif isinstance(node, ast.BinOp):
        yield from _nested(node.left, module, in_list)
        yield from _nested(node.right, module, in_list)


def _class_node(klass: type) -> ast.ClassDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
    node = tree.body[0]
    if not isinstance(node, ast.ClassDef):
        msg = f"{klass.__qualname__}: no class definition in its source"
        raise TypeError(msg)
    return node


@cache
def typed_dict_fields(klass: type) -> tuple[ArgField, ...]:
    """The fields of a TypedDict from its source, those of its TypedDict bases first."""
    node = _class_node(klass)
    module = sys.modules[klass.__module__]
    found: dict[str, ArgField] = {}
    for base in node.bases:
        target = getattr(module, _dotted(base), None)
        if isinstance(target, type) and typing.is_typeddict(target):
            found.update((f.name, f) for f in typed_dict_fields(target))
    total = next((bool(ast.literal_eval(k.value)) for k in node.keywords if k.arg == "total"), True)
    body = node.body
    for i, statement in enumerate(body):
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        annotation, required = statement.annotation, total
        if isinstance(annotation, ast.Subscript) and _dotted(annotation.value) in _REQUIRED_WRAPPERS:
            required = _REQUIRED_WRAPPERS[_dotted(annotation.value)]
            annotation = annotation.slice
        following = body[i + 1] if i + 1 < len(body) else None
        doc = ""
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            doc = " ".join(inspect.cleandoc(str(following.value.value)).split())
        name = statement.target.id
        nested = tuple(dict.fromkeys(_nested(annotation, module)))
        found[name] = ArgField(name, _dotted(annotation).replace("pulumi.", ""), required, doc, nested)
    return tuple(found.values())


def _doc(klass: type) -> str:
    return " ".join(inspect.cleandoc(klass.__doc__ or "").split())


@dataclass(frozen=True)
class ComponentArgs:
    """What a component takes: its Args TypedDict, the model it validates them with, and the defaults it passes."""

    args: type
    model: type[BaseModel]
    given: Mapping[str, str] = field(default_factory=dict)
    """Defaults the component passes to component_args, in words (`name` -> `the resource name`)."""


@cache
def component_args_of(component: type) -> ComponentArgs:
    """The Args TypedDict (first in `__init__`'s `args` annotation) and the `component_args(Model, ...)` model."""
    owner = constructor_owner(component)
    module = sys.modules[owner.__module__]
    init = _class_node(owner)
    method = next(n for n in init.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    annotation = next(a.annotation for a in method.args.args if a.arg == "args")
    assert annotation is not None
    names = [n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)]
    args = next(getattr(module, n) for n in names if typing.is_typeddict(getattr(module, n, None)))
    call = next(
        n
        for n in ast.walk(method)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "component_args"
    )
    model = getattr(module, _dotted(call.args[0]))
    given = {
        k.arg: "the resource name"
        for k in call.keywords
        if k.arg is not None and isinstance(k.value, ast.Name) and k.value.id == "resource_name"
    }
    return ComponentArgs(args, model, given)


@dataclass
class _Section:
    """One TypedDict's table on a component's page, with every path it is found at."""

    args: type
    model: type[BaseModel] | None
    paths: list[str]

    @property
    def heading(self) -> str:
        return ", ".join(_code(p) for p in self.paths)


def _sections(root: ComponentArgs) -> list[_Section]:
    """The nested TypedDicts under a component's Args, each once per (TypedDict, model), in the order they appear."""
    found: dict[tuple[type, type | None], _Section] = {}

    def walk(args: type, model: type[BaseModel] | None, prefix: str) -> None:
        for arg in typed_dict_fields(args):
            info = model.model_fields.get(arg.name) if model is not None else None
            inner = model_of(info.annotation) if info is not None else None
            for nested, listed in arg.nested:
                path = f"{prefix}{arg.name}{'[]' if listed else ''}"
                key = (nested, inner)
                if key in found:
                    found[key].paths.append(path)
                    continue
                found[key] = _Section(nested, inner, [path])
                walk(nested, inner, f"{path}.")

    walk(root.args, root.model, "")
    return list(found.values())


def _args_table(args: type, model: type[BaseModel] | None, given: Mapping[str, str], see: Mapping[type, str]) -> str:
    lines = ["| Name | Type | Required | Default | Description |", "|---|---|---|---|---|"]
    for arg in typed_dict_fields(args):
        info = model.model_fields.get(arg.name) if model is not None else None
        default = given.get(arg.name) or default_text(info)
        description = arg.description or " ".join(_doc(n) for n, _ in arg.nested) or NONE
        targets = [see[n] for n, _ in arg.nested if n in see]
        if targets:
            description += " See " + ", ".join(targets) + "."
        cells = [_code(arg.name), _code(arg.annotation), "yes" if arg.required else "no", default, description]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def inputs_block(component: type) -> str:
    """A component's Inputs: its Args table, then one table per nested TypedDict (its paths as the heading)."""
    root = component_args_of(component)
    sections = _sections(root)
    anchors = {s.args: github_anchor(s.heading) for s in sections}
    see = {args: f"[{_code(s.paths[0])}](#{anchors[args]})" for s in sections for args in [s.args]}
    parts = [
        f"{_code(component.__name__)} takes `{root.args.__name__}` (a TypedDict; a plain dict works as well), "
        f"validated as `{root.model.__name__}`.",
        "",
        _args_table(root.args, root.model, root.given, see),
    ]
    for section in sections:
        parts += [
            "",
            f"### {section.heading}",
            "",
            f"`{section.args.__name__}`: {_doc(section.args)}",
            "",
            _args_table(section.args, section.model, {}, see),
        ]
    return "\n".join(parts)


# --- rendering pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A generated block found in a page."""

    page: Path
    kind: str
    name: str
    anchor: str | None
    """The anchor of the nearest heading above the block (where links to it point)."""


def blocks(page: Path, text: str) -> list[Block]:
    """The generated blocks of a page, each with the heading it sits under."""
    found = []
    marks = headings(text)
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start())
        above = [h for h in marks if h.line < line]
        found.append(Block(page, match["kind"], match["name"], above[-1].anchor if above else None))
    return found


class UnknownBlockError(ValueError):
    """A generated block names a kind or a subject the generator does not know."""


def render_block(block: Block, topology_anchors: Mapping[str, tuple[Path, str]]) -> str:
    """The body of a generated block."""
    components = {c.__name__: c for c in public_components()}

    def model_link(name: str) -> str:
        where = topology_anchors.get(name)
        return f"[{name}]({link(block.page, *where)})" if where is not None else name

    if block.kind in ("inputs", "outputs"):
        if block.name not in components:
            msg = f"{block.page}: `{block.kind} {block.name}`: not a public component ({', '.join(components)})"
            raise UnknownBlockError(msg)
        component = components[block.name]
        return inputs_block(component) if block.kind == "inputs" else outputs_table(component)
    if block.kind == "topology":
        if block.name not in topology_models():
            known = ", ".join(sorted(topology_models()))
            msg = f"{block.page}: `topology {block.name}`: not a topology model ({known})"
            raise UnknownBlockError(msg)
        return topology_table(block.name, model_link)
    msg = f"{block.page}: unknown generated block kind `{block.kind}` (inputs, outputs, topology)"
    raise UnknownBlockError(msg)


def generate(root: Path = PROJECT_ROOT) -> dict[Path, str]:
    """Every page's text with its generated blocks as the code says they should be (pages without blocks too)."""
    texts = {page: page.read_text() for page in pages(root)}
    found = [b for page, text in texts.items() for b in blocks(page, text)]
    topology_anchors = {b.name: (b.page, b.anchor) for b in found if b.kind == "topology" and b.anchor is not None}
    result = {}
    for page, text in texts.items():
        own = iter(blocks(page, text))

        def body(match: re.Match[str], own: Iterator[Block] = own) -> str:
            rendered = render_block(next(own), topology_anchors)
            return f"{match['open']}\n{rendered}\n\n{match['close']}"

        result[page] = BLOCK.sub(body, text)
    return result


def stale_pages(root: Path = PROJECT_ROOT) -> list[Path]:
    """The pages whose generated blocks differ from what the code generates."""
    return [page for page, text in generate(root).items() if page.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated blocks; with --check, exit 1 naming each page out of date instead."""
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    try:
        wanted = generate(PROJECT_ROOT)
    except UnknownBlockError as exc:
        print(exc, file=sys.stderr)
        return 1
    changed = [page for page, text in wanted.items() if page.read_text() != text]
    for page in changed:
        shown = page.relative_to(PROJECT_ROOT)
        if check:
            print(f"{shown}: out of date; run {COMMAND}", file=sys.stderr)
        else:
            page.write_text(wanted[page])
            print(shown)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
