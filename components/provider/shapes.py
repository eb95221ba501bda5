"""The components' Args and declared outputs as types the Pulumi SDK's component analyzer reads, for the schema.

The SDK infers a package schema from a component's `__init__(self, name, args: <Args>)` and its annotated outputs
(`pulumi.provider.experimental.analyzer`). It cannot read the components' own types as they are: their modules use
postponed annotations (strings), Args TypedDicts mark required fields with `Required[...]` under `total=False`, and
some fields are unions (a key ID or `{id, name}`, a duration as text or seconds), `Literal`s, or Python objects (the
component a copy is made from). This module derives, for every public component (`components.__all__`), a facade
class with the same name and docstring whose `args` and outputs are evaluated types the analyzer accepts:

- a field's type, its required-ness and its docstring come from the Args TypedDict (the docs read the same source);
- `pulumi.Input[T]` stays an input (an output of another resource may be given); everything else is plain;
- `Literal["a", "b"]` becomes an enum of those values (one enum per set of values, named after the field);
- a text-or-object union (`Input[str] | BootVolumeArgs`, `str | ReplicationArgs`) takes the object form, which
  says everything the text does; text-or-seconds (`str | int`) takes the text form (`90s`, `30m`, `2h`);
- a field that takes a Python object (a component instance, a provider resource) is left out: from another language
  the IDs it stands for are given instead (`source_snapshot_id`, ...) or the `providers` resource option;
- a nested TypedDict becomes a type named like it without `Args` (`IbmCopyArgs` -> `IbmCopy`); two different
  TypedDicts of one name are each prefixed with the first component that takes them (`RestoreDrillTimeouts`).

Outputs are the component's declared outputs (`components.outputs`), their annotations evaluated the same way.
"""

from __future__ import annotations

import collections.abc
import enum
import re
import sys
import types
import typing
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, Required, TypedDict, Union

import pulumi
from pulumi.provider.experimental.util import camel_case

from components.base import secret_fields
from components.outputs import constructor_owner, declared_outputs, public_components
from components.tooling.docs import typed_dict_fields

_NAMES = {"Output": pulumi.Output, "T": pulumi.output.T}
"""What `pulumi.Input[...]`'s own forward reference (`Output[T]`) needs to evaluate in a component's module."""
_TYPED_DICT: Any = TypedDict
"""`TypedDict` made at run time (a type checker takes only literal names)."""
_INPUT: Any = pulumi.Input
_SCALARS = (str, int, float, bool)
_SEQUENCES = (list, collections.abc.Sequence, typing.Sequence)
_MAPPINGS = (dict, collections.abc.Mapping, typing.Mapping)


class UnsupportedTypeError(TypeError):
    """A field's type has no form in the schema: reshape it (or teach this module its form)."""

    def __init__(self, where: str, annotation: Any) -> None:
        super().__init__(f"{where}: no schema form for {annotation!r}")


@dataclass(frozen=True)
class Shaped:
    """One component as the provider hosts it."""

    component: type[pulumi.ComponentResource]
    args: type
    """The component's own Args TypedDict."""
    facade: type[pulumi.ComponentResource]
    """What the analyzer reads: the component's name and docstring, `__init__(.., args: <wire Args>)`, and the
    declared outputs annotated with evaluated types."""
    left_out: tuple[str, ...]
    """Fields that take Python objects and are not in the schema, as `<TypedDict>.<field>`."""


@dataclass
class Shapes:
    """Every public component's facade, and the docstrings of every type the facades name."""

    components: list[Shaped]
    docs: dict[type, dict[str, str]] = field(default_factory=dict)
    """Per wire type (TypedDict, enum or facade): each field's, member's or output's docstring."""
    secrets: dict[type, set[str]] = field(default_factory=dict)
    """Per wire type (TypedDict or facade): the fields or outputs marked secret (`components.base.secret`)."""

    def doc(self, owner: type, name: str) -> str | None:
        """The docstring of `owner`'s field, member or output `name`, in the schema's names."""
        return schema_words(self.docs.get(owner, {}).get(name) or "") or None


_CODE_NAME = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`")


def schema_words(text: str) -> str:
    """`text` with the Python names it quotes (`source_snapshot_id`) as the schema spells them (`sourceSnapshotId`)."""
    return _CODE_NAME.sub(lambda m: f"`{camel_case(m[1])}`", text)


def shapes() -> Shapes:
    """The facades of the public components (`components.__all__`), in that order."""
    return _Shaper().run(public_components())


def args_typed_dict(component: type) -> type:
    """The component's Args TypedDict: the first TypedDict its `__init__`'s `args` annotation names."""
    owner = constructor_owner(component)
    annotation = _evaluated(vars(owner)["__init__"].__annotations__["args"], owner.__module__)
    for candidate in (annotation, *(_members(annotation) or ())):
        if typing.is_typeddict(candidate):
            return typing.cast(type, candidate)
    msg = f"{component.__name__}: its __init__'s `args` annotation names no TypedDict"
    raise TypeError(msg)


# --- annotations -----------------------------------------------------------------------------------------------


def _evaluated(annotation: Any, module: str) -> Any:
    """An annotation as a type: postponed ones (text) evaluated in their module."""
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, vars(sys.modules[module]), _NAMES)


def _field_types(klass: type) -> dict[str, Any]:
    return typing.get_type_hints(klass, include_extras=True, localns=_NAMES)


def _unwrapped(annotation: Any) -> Any:
    while typing.get_origin(annotation) in (Required, NotRequired):
        annotation = typing.get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> tuple[Any, ...] | None:
    """The members of a union (`X | Y`, `Optional[X]`), or None for anything else."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return None


def _is_deferred_part(annotation: Any) -> bool:
    """`Awaitable[T]` or `Output[T]` (also as the forward reference `pulumi.Input` carries): what makes an Input."""
    origin = typing.get_origin(annotation)
    if origin is Awaitable or origin is collections.abc.Awaitable or origin is pulumi.Output:
        return True
    return isinstance(annotation, typing.ForwardRef) and annotation.__forward_arg__.startswith("Output[")


def _is_object(annotation: Any) -> bool:
    """A Python object with no wire form: a resource (component, provider) or a class that is not a TypedDict."""
    return isinstance(annotation, type) and issubclass(annotation, pulumi.Resource)


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


# --- the shaper ------------------------------------------------------------------------------------------------

_LEFT_OUT = object()
"""A field with no wire form (a Python object): left out of the schema."""


@dataclass
class _EnumUse:
    values: tuple[str, ...]
    fields: list[tuple[str, str]]  # (owner wire type's base name, field name)
    klass: type[enum.Enum] | None = None


class _Shaper:
    def __init__(self) -> None:
        self.docs: dict[type, dict[str, str]] = {}
        self.owner_of: dict[type, str] = {}  # TypedDict -> the first component that takes it
        self.names: dict[type, str] = {}
        self.wire: dict[type, type] = {}
        self.enums: dict[tuple[str, ...], _EnumUse] = {}
        self.left_out: list[str] = []
        self.secrets: dict[type, set[str]] = {}

    def run(self, components: list[type[pulumi.ComponentResource]]) -> Shapes:
        roots = {c: args_typed_dict(c) for c in components}
        for component, args in roots.items():
            for nested in self._typed_dicts(args, f"{component.__name__}.args"):
                self.owner_of.setdefault(nested, component.__name__)
        self._name_typed_dicts(set(roots.values()))
        self._name_enums(components, roots)
        shaped = []
        for component, args in roots.items():
            self.left_out = []
            wire_args = self._typed_dict(args, f"{component.__name__}Args")
            facade = self._facade(component, wire_args)
            shaped.append(Shaped(component, args, facade, tuple(self.left_out)))
        return Shapes(shaped, self.docs, self.secrets)

    # the TypedDicts and Literals under a component's Args, to name them before shaping

    def _typed_dicts(self, klass: type, where: str) -> Iterator[type]:
        for name, annotation in _field_types(klass).items():
            for found in self._nested(annotation, f"{where}.{name}"):
                yield found
                yield from self._typed_dicts(found, f"{where}.{name}")

    def _nested(self, annotation: Any, where: str) -> Iterator[type]:
        annotation = _unwrapped(annotation)
        if typing.is_typeddict(annotation):
            yield annotation
        for arg in typing.get_args(annotation):
            if typing.get_origin(annotation) is not Literal:
                yield from self._nested(arg, where)

    def _name_typed_dicts(self, roots: set[type]) -> None:
        by_name: dict[str, list[type]] = {}
        for klass in self.owner_of:
            if klass not in roots:
                by_name.setdefault(klass.__name__.removesuffix("Args"), []).append(klass)
        for base, classes in by_name.items():
            for klass in classes:
                self.names[klass] = base if len(classes) == 1 else f"{self.owner_of[klass]}{base}"
        taken = [n for n in self.names.values()]
        duplicates = {n for n in taken if taken.count(n) > 1}
        if duplicates:
            msg = f"two TypedDicts of one component share a name: {sorted(duplicates)}; rename one"
            raise TypeError(msg)

    def _name_enums(self, components: list[type[pulumi.ComponentResource]], roots: Mapping[type, type]) -> None:
        """One enum per set of Literal values, named after the first field that takes it (its owner's name first
        when two sets would get one name)."""
        seen: set[type] = set()

        def walk(klass: type, owner: str) -> None:
            if klass in seen:
                return
            seen.add(klass)
            for name, annotation in _field_types(klass).items():
                for values in _literals(annotation):
                    use = self.enums.setdefault(values, _EnumUse(values, []))
                    use.fields.append((owner, name))
                for nested in self._nested(annotation, name):
                    walk(nested, self.names.get(nested, owner))

        for component in components:
            walk(roots[component], component.__name__)
        first = {values: _pascal(use.fields[0][1]) for values, use in self.enums.items()}
        for values, use in self.enums.items():
            clash = [v for v, n in first.items() if n == first[values]]
            taken = set(self.names.values()) | {c.__name__ for c in components}
            name = first[values]
            if len(clash) > 1 or name in taken:
                name = f"{use.fields[0][0]}{name}"
            members = [(_pascal(v), v) for v in values]
            klass = enum.Enum(name, members, module=__name__)  # type: ignore[misc]
            klass.__doc__ = f"One of {', '.join(f'`{v}`' for v in values)}."
            use.klass = klass

    # shaping

    def _typed_dict(self, klass: type, name: str) -> type:
        if klass in self.wire:
            return self.wire[klass]
        annotations: dict[str, Any] = {}
        docs: dict[str, str] = {}
        types_ = _field_types(klass)
        for arg in typed_dict_fields(klass):
            shaped = self._input(_unwrapped(types_[arg.name]), f"{name}.{arg.name}")
            if shaped is _LEFT_OUT:
                self.left_out.append(f"{klass.__name__}.{arg.name}")
                continue
            annotations[arg.name] = Required[shaped] if arg.required else NotRequired[shaped]
            # A field with no docstring of its own is what its nested TypedDict is (as the docs say it).
            docs[arg.name] = arg.description or " ".join(" ".join((n.__doc__ or "").split()) for n, _ in arg.nested)
        wire = _TYPED_DICT(name, annotations, total=False)
        wire.__doc__ = klass.__doc__
        python_only = [f"`{a.name}`" for a in typed_dict_fields(klass) if a.name not in annotations]
        if python_only:
            wire.__doc__ = f"{(klass.__doc__ or '').strip()} ({', '.join(python_only)}: Python programs only.)"
        wire.__doc__ = schema_words(wire.__doc__ or "")
        wire.__module__ = __name__
        self.wire[klass] = wire
        self.docs[wire] = docs
        self._secrets(wire, klass, annotations)
        return wire

    def _input(self, annotation: Any, where: str) -> Any:
        members = _members(annotation)
        if members is not None:
            return self._union(members, where)
        origin = typing.get_origin(annotation)
        if annotation in _SCALARS or annotation is Any:
            return annotation
        if origin is Literal:
            return self._enum(typing.get_args(annotation))
        if _is_object(annotation):
            return _LEFT_OUT
        if typing.is_typeddict(annotation):
            return self._typed_dict(annotation, self.names[annotation])
        if origin in _SEQUENCES:
            item = self._input(typing.get_args(annotation)[0], f"{where}[]")
            return _LEFT_OUT if item is _LEFT_OUT else list[item]  # type: ignore[valid-type]
        if origin in _MAPPINGS:
            key, value = typing.get_args(annotation)
            if key is not str:
                raise UnsupportedTypeError(where, annotation)
            item = self._input(value, f"{where}{{}}")
            return _LEFT_OUT if item is _LEFT_OUT else dict[str, item]  # type: ignore[valid-type]
        raise UnsupportedTypeError(where, annotation)

    def _union(self, members: tuple[Any, ...], where: str) -> Any:
        plain = [m for m in members if m is not type(None) and not _is_deferred_part(m)]
        deferred = len(plain) < len([m for m in members if m is not type(None)])
        if all(_is_object(m) for m in plain):
            return _LEFT_OUT
        objects = [m for m in plain if typing.is_typeddict(m)]
        if len(objects) == 1 and all(m is str for m in plain if m is not objects[0]):
            return self._input(objects[0], where)  # the object form says all the text form does
        if len(plain) == 1:
            shaped = self._input(plain[0], where)
            return _INPUT[shaped] if deferred and shaped is not _LEFT_OUT else shaped
        if set(plain) == {str, int} and not deferred:
            return str  # a duration: `90s`, `30m`, `2h`
        raise UnsupportedTypeError(where, members)

    def _enum(self, values: tuple[Any, ...]) -> type[enum.Enum]:
        use = self.enums[tuple(values)]
        assert use.klass is not None
        return use.klass

    # outputs

    def _facade(self, component: type[pulumi.ComponentResource], wire_args: type) -> type[pulumi.ComponentResource]:
        outputs: dict[str, Any] = {}
        docs: dict[str, str] = {}
        for output in declared_outputs(component):
            klass = next(k for k in component.__mro__ if output.name in vars(k).get("__annotations__", {}))
            annotation = _evaluated(klass.__annotations__[output.name], klass.__module__)
            outputs[output.name] = self._output(annotation, f"{component.__name__}.{output.name}")
            docs[output.name] = output.description

        def __init__(  # noqa: N807 - the analyzer reads this signature, nothing calls it
            self: Any, resource_name: str, args: Any, opts: pulumi.ResourceOptions | None = None
        ) -> None:
            msg = f"{component.__name__}: the schema facade is never constructed"
            raise TypeError(msg)

        __init__.__annotations__ = {"resource_name": str, "args": wire_args, "return": None}
        namespace = {
            "__module__": component.__module__,
            "__qualname__": component.__qualname__,
            "__doc__": component.__doc__,
            "__annotations__": outputs,
            "__init__": __init__,
        }
        facade = type(component.__name__, (pulumi.ComponentResource,), namespace)
        self.docs[facade] = docs
        self._secrets(facade, component, outputs)
        return facade

    def _secrets(self, wire: type, klass: type, shaped: Mapping[str, Any]) -> None:
        marked = secret_fields(klass)
        unknown = sorted(marked - set(shaped))
        if unknown:
            msg = f"{klass.__name__}: marked secret but not a field or output of its schema: {unknown}"
            raise TypeError(msg)
        if marked:
            self.secrets[wire] = set(marked)

    def _output(self, annotation: Any, where: str) -> Any:
        members = _members(annotation)
        if members is not None:
            given = [m for m in members if m is not type(None)]
            plain = given if len(given) == 1 else [m for m in given if not _is_deferred_part(m)]
            optional = type(None) in members
            if len(plain) != 1:
                raise UnsupportedTypeError(where, annotation)
            shaped = self._output(plain[0], where)
            return shaped | None if optional else shaped
        origin = typing.get_origin(annotation)
        if origin is pulumi.Output:
            return pulumi.Output[self._output(typing.get_args(annotation)[0], where)]  # type: ignore[misc]
        if annotation in _SCALARS or annotation is Any:
            return annotation
        if origin in _SEQUENCES:
            return list[self._output(typing.get_args(annotation)[0], f"{where}[]")]  # type: ignore[misc]
        if origin in _MAPPINGS:
            return dict[str, self._output(typing.get_args(annotation)[1], f"{where}{{}}")]  # type: ignore[misc]
        if typing.is_typeddict(annotation):
            return self._output_type(annotation)
        raise UnsupportedTypeError(where, annotation)

    def _output_type(self, klass: type) -> type:
        if klass in self.wire:
            return self.wire[klass]
        hints = _field_types(klass)
        annotations = {
            f.name: self._output(_unwrapped(hints[f.name]), f"{klass.__name__}.{f.name}")
            for f in typed_dict_fields(klass)
        }
        wire = _TYPED_DICT(klass.__name__, annotations)
        wire.__doc__ = klass.__doc__
        wire.__module__ = __name__
        self.wire[klass] = wire
        self.docs[wire] = {f.name: f.description for f in typed_dict_fields(klass)}
        self._secrets(wire, klass, annotations)
        return wire


def _literals(annotation: Any) -> Iterator[tuple[str, ...]]:
    annotation = _unwrapped(annotation)
    if typing.get_origin(annotation) is Literal:
        yield tuple(typing.get_args(annotation))
        return
    for arg in typing.get_args(annotation):
        yield from _literals(arg)
