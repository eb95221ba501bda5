"""What every topology model shares: the model base, common field types, and validation errors as Problems."""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeVar

from pulumi import Output
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)

from components.confidential import check_not_confidential, confidential_hint
from components.errors import FieldProblemError, Problem, dotted

_NAME = re.compile(r"[a-z][a-z0-9-]{0,47}")


# --- values that may come from other resources -----------------------------------------------------------

_V = TypeVar("_V")


def is_deferred(value: Any) -> bool:
    """Whether a value is a Pulumi Output (or another awaitable): it is known only later, or never in a preview."""
    return isinstance(value, Output) or inspect.isawaitable(value)


def given(value: _V | Output[_V]) -> _V:
    """A value of a topology loaded from a stack file: always a literal there (an Output would be a program's)."""
    if is_deferred(value):
        msg = "a topology from a stack file holds literals only; this value is another resource's output"
        raise TypeError(msg)
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class Deferred:
    """Marks a field that takes another resource's output: how to validate its value once it is known."""

    adapter: TypeAdapter[Any]
    optional: bool = False
    """The field also takes None (an output that resolves to nothing is then fine)."""

    def reason(self, value: Any) -> str | None:
        """Why `value` is not valid for the field (the message a literal would get), or None when it is."""
        if value is None and self.optional:
            return None
        try:
            self.adapter.validate_python(value)
        except ValidationError as exc:
            return "; ".join(str(p.reason) for p in problems_from_validation(exc, BaseModel))
        return None


def _ref(inner: Any) -> Any:
    def literal_or_output(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, Output):
            return value
        if inspect.isawaitable(value):
            return Output.from_input(value)
        return handler(value)

    return Annotated[inner, WrapValidator(literal_or_output), Deferred(TypeAdapter(inner))]


if TYPE_CHECKING:
    _T = TypeVar("_T")
    Ref: TypeAlias = _T | Output[_T]
else:

    class Ref:
        """A field that takes a literal of the given type, validated now, or a Pulumi Output, validated when known.

        `compartment_id: Ref[CompartmentId]`. In a stack file every value is a literal; a program using the
        components may pass another resource's output.
        """

        def __class_getitem__(cls, inner: Any) -> Any:
            return _ref(inner)


def deferred_of(annotation: Any) -> Deferred | None:
    """The Deferred marker in a field's annotation (directly, or inside an Optional), if it takes outputs."""
    if typing.get_origin(annotation) is typing.Annotated:
        for meta in typing.get_args(annotation)[1:]:
            if isinstance(meta, Deferred):
                return meta
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        for arg in args:
            found = deferred_of(arg)
            if found is not None:
                return dataclasses.replace(found, optional=type(None) in args)
    return None


def element_annotation(annotation: Any) -> Any:
    """The element type of a `list[...]` annotation (through Optional and Annotated), else None."""
    if typing.get_origin(annotation) is typing.Annotated:
        return element_annotation(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = element_annotation(arg)
            if found is not None:
                return found
        return None
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    return None


def field_annotation(model: type[BaseModel], name: str) -> Any:
    """A field's annotation with its metadata (pydantic keeps the metadata apart from the annotation)."""
    info = model.model_fields[name]
    if info.metadata:
        return Annotated[(info.annotation, *info.metadata)]
    return info.annotation


SettleValue = Callable[[str, Deferred, Output[Any]], Output[Any]]


def settle_model(model: BaseModel, settle: SettleValue, path: str = "") -> BaseModel:
    """The model with every Output in it replaced by `settle(path, marker, output)` (e.g. validated when known)."""
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = f"{path}.{name}" if path else name
        annotation = field_annotation(type(model), name)
        settled = _settle_value(value, annotation, settle, where)
        if settled is not value:
            updates[name] = settled
    return model.model_copy(update=updates) if updates else model


def _settle_value(value: Any, annotation: Any, settle: SettleValue, path: str) -> Any:
    if isinstance(value, Output):
        marker = deferred_of(annotation)
        return settle(path, marker, value) if marker is not None else value
    if isinstance(value, BaseModel):
        return settle_model(value, settle, path)
    if isinstance(value, list):
        element = element_annotation(annotation)
        items = [_settle_value(v, element, settle, f"{path}[{i}]") for i, v in enumerate(value)]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


class Model(BaseModel):
    """Base of every topology model: immutable, unknown fields are mistakes, and a boolean or a number written as
    text (`"yes"`, `"5"`) is a mistake too, not a value to guess at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _scalars_as_written(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        problems: FieldProblems = []
        for name, value in data.items():
            info = cls.model_fields.get(name) if isinstance(name, str) else None
            converts = info is not None and any(isinstance(m, (BeforeValidator, WrapValidator)) for m in info.metadata)
            kind = _scalar_kind(info.annotation) if info is not None and not converts else None  # e.g. Duration: "30m"
            why = _scalar_problem(kind, value) if kind is not None else None
            if why is not None:
                problems.append(((name,), why))
        if problems:
            raise FieldProblemError(problems)
        return data

    def fields(self) -> dict[str, Any]:
        """The model's field values by name, nested models as they are (to build a component's args from it)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def _scalar_kind(annotation: Any) -> type | None:
    """bool, int or float when a field holds one of them (optionally None), else None."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _scalar_kind(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = {_scalar_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return annotation if annotation in (bool, int, float) else None


def _scalar_problem(kind: type, value: Any) -> str | None:
    """Why `value` is not a `kind` as written (a YAML/JSON boolean or number), or None.

    Numbers that arrive as floats with no fraction are whole numbers: the Pulumi engine carries every number so.
    """
    if value is None or is_deferred(value):
        return None
    if kind is bool:
        return None if isinstance(value, bool) else f"must be true or false (got {value!r})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        what = "a whole number" if kind is int else "a number"
        quoted = ", written without quotes" if isinstance(value, str) else ""
        return f"must be {what}{quoted} (got {value!r})"
    if kind is int and isinstance(value, float) and not value.is_integer():
        return f"must be a whole number (got {value!r})"
    return None


# --- scalar types ------------------------------------------------------------------------------


def lowercase(value: Any) -> Any:
    """A string in lower case (anything else as it is): enum-like fields accept any case."""
    return value.lower() if isinstance(value, str) else value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value) or value.endswith("-"):
        msg = (
            "must start with a lowercase letter, hold only lowercase letters, digits and '-', "
            "not end in '-', and be at most 48 characters"
        )
        raise ValueError(msg)
    return value


Name = Annotated[str, AfterValidator(_name)]
DisplayName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(check_not_confidential)]

_TRIGGER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_DURATION = re.compile(r"(?P<n>\d+)(?P<unit>[smh])")
_SECONDS = {"s": 1, "m": 60, "h": 3600}


def _trigger(value: str) -> str:
    if not _TRIGGER.fullmatch(value):
        msg = (
            "must be 1-64 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit "
            "(it becomes part of the backup object names)"
        )
        raise ValueError(msg)
    return value


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        m = _DURATION.fullmatch(value.strip())
        if m is None:
            msg = f"must be a duration like 90s, 30m or 2h (got {value!r})"
            raise ValueError(msg)
        return int(m["n"]) * _SECONDS[m["unit"]]
    return value


Trigger = Annotated[str, AfterValidator(_trigger)]
_DURATION_TEXT = Annotated[str, Field(pattern=r"^\s*\d+[smh]\s*$")]


def _day_at_most(seconds: int) -> int:
    if not 1 <= seconds <= 86400:
        msg = f"must be from 1 second to 24 hours (got {seconds} s)"
        raise ValueError(msg)
    return seconds


_SECONDS_RANGE = Annotated[int, Field(ge=1, le=86400)]
Duration = Annotated[
    int,
    BeforeValidator(_duration, json_schema_input_type=_SECONDS_RANGE | _DURATION_TEXT),
    AfterValidator(_day_at_most),  # not Field(ge, le): the schema carries the range in its integer branch
]
HttpsUrl = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2048)]
ConfigKeyName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]*$", max_length=128)]


class OperationTimeouts(Model):
    """Deadlines of a dynamic resource's operations, as durations (90s, 30m, 2h)."""

    create: Duration = Field(1800, description="How long a backup (request and wait) may take; default 30m.")

    def every_operation(self) -> dict[str, int]:
        """The dynamic resources' `timeouts` input: create, update and delete each under this deadline."""
        return dict.fromkeys(("create", "update", "delete"), self.create)


FieldProblems = list[tuple[tuple[str | int, ...], str]]
"""(location relative to a model, reason): what FieldProblemError carries."""


class Retention(Model):
    """Which earlier generations of an on-demand backup a stack keeps: a generation beyond either limit is deleted."""

    keep_last: int | None = Field(
        None, ge=1, le=1000, description="Keep the newest N generations (the current one counts); older ones go."
    )
    max_age_days: int | None = Field(
        None, ge=1, le=36500, description="Delete generations older than this many days (never the current one)."
    )

    @model_validator(mode="after")
    def _some(self) -> Retention:
        if self.keep_last is None and self.max_age_days is None:
            raise FieldProblemError([(("keep_last",), "give keep_last, max_age_days or both (or leave retention out)")])
        return self

    def describe(self) -> str:
        """e.g. `last 7, 30d`."""
        parts = [f"last {self.keep_last}"] if self.keep_last is not None else []
        parts += [f"{self.max_age_days}d"] if self.max_age_days is not None else []
        return ", ".join(parts)


class Lifecycle(Model):
    """What becomes of an on-demand backup's generations: retention, and whether removing it deletes it."""

    retention: Retention | None = Field(
        None, description="Earlier generations kept (default: all of them, until deleted by hand)."
    )
    delete_on_removal: bool = Field(
        False,
        description="Removing the backup from the config (or `pulumi destroy`) deletes every generation; "
        "by default they stay in the cloud.",
    )


Consistency = Literal["crash", "application"]
"""How consistent the backups of a volume that may be in use are, as the topology declares it."""


def _quiesce_hook(value: str) -> str:
    what = confidential_hint(value)
    if what is not None:
        msg = (
            f"looks like it carries confidential data ({what}); the hook is recorded in clear in the stack's state "
            "and outputs: name the job or script, not its credentials"
        )
        raise ValueError(msg)
    return value


QuiesceHook = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_quiesce_hook)]


class Consistent(Model):
    """What a backup of a volume that may be in use holds: crash-consistent data, or data the application quiesced.

    A snapshot of a volume that is written to while it is taken holds what a power cut would have left on disk:
    crash-consistent at best. `application` says the application is quiesced before each backup by a hook of the
    user's own (a job, a script, a runbook step), which the topology records so that reviews and coverage show it;
    the stack never runs it.
    """

    consistency: Consistency | None = Field(
        None,
        description="`crash` (a crash-consistent restore point is enough) or `application` (the application is "
        "quiesced before each backup by `quiesce_hook`); default undeclared.",
    )
    quiesce_hook: QuiesceHook | None = Field(
        None,
        description="With `application`: the job or command that quiesces the application before each backup "
        "(recorded, never run by the stack).",
    )

    @model_validator(mode="after")
    def _hook_with_application(self) -> Consistent:
        if self.consistency == "application" and self.quiesce_hook is None:
            why = (
                "required with consistency: application: the job or command that quiesces the application before "
                "each backup (the stack records it and never runs it)"
            )
            raise FieldProblemError([(("quiesce_hook",), why)])
        if self.quiesce_hook is not None and self.consistency != "application":
            why = "only with consistency: application (nothing is quiesced for a crash-consistent backup)"
            raise FieldProblemError([(("quiesce_hook",), why)])
        return self


def duplicate_problems(values: list[Any], field: str, sub: str | None, what: str) -> FieldProblems:
    """A problem for each value listed again in `field`, at `field[i].sub` (or `field[i]` when sub is None).

    Values not known yet (Outputs) are not compared.
    """
    first: dict[str, int] = {}
    out: FieldProblems = []
    for i, value in enumerate(values):
        if is_deferred(value):
            continue
        if value in first:
            loc: tuple[str | int, ...] = (field, i, sub) if sub is not None else (field, i)
            out.append((loc, f"{what} already listed at {field}[{first[value]}]"))
        else:
            first[value] = i
    return out


def problems_from_validation(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Turn pydantic's errors into Problems with dotted paths and plain reasons."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblemError):
            problems += [Problem(dotted(loc + rel), why) for rel, why in cause.items]
        else:
            problems.append(Problem(dotted(loc), _reason(err, root, loc)))
    return problems


def _reason(err: Any, root: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        known = sorted(model.model_fields) if model else []
        near = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else (f"; known fields: {', '.join(known)}" if known else "")
        return f"unknown field{hint}"
    if kind == "missing":
        return "required"
    cause = (err.get("ctx") or {}).get("error")
    if kind == "value_error" and cause is not None:
        return str(cause)
    msg = str(err["msg"])
    for old, new in (("Input should be", "must be"), ("List should have", "must have"), ("String should", "must")):
        msg = msg.replace(old, new)
    if kind == "too_short" and "min_length" in (err.get("ctx") or {}):
        n = err["ctx"]["min_length"]
        msg = f"needs at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long" and "max_length" in (err.get("ctx") or {}):
        n = err["ctx"]["max_length"]
        msg = f"takes at most {n} item{'s' if n != 1 else ''} (got {err['ctx'].get('actual_length')})"
    value = err.get("input")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) <= 60:
        msg += f" (got {value!r})"
    return msg


def _model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class found at `loc` inside `root`, walking fields, lists and optionals."""
    current: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        model = _unwrap(current)
        if model is None or part not in model.model_fields:
            return None
        current = model.model_fields[part].annotation
    return _unwrap(current)


def _unwrap(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    origin = typing.get_origin(tp)
    if origin in (typing.Annotated,):
        return _unwrap(typing.get_args(tp)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            found = _unwrap(arg)
            if found is not None:
                return found
    return None
