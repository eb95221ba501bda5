"""What every topology model shares: the model base, common field types, and validation errors as Problems."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from components.confidential import check_not_confidential
from components.errors import FieldProblemError, Problem, dotted

_NAME = re.compile(r"[a-z][a-z0-9-]{0,47}")


class Model(BaseModel):
    """Base of every topology model: immutable, and unknown fields are mistakes."""

    model_config = ConfigDict(frozen=True, extra="forbid")


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
Duration = Annotated[int, BeforeValidator(_duration), Field(ge=1, le=86400)]
HttpsUrl = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2048)]
ConfigKeyName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.:-]*$", max_length=128)]


class OperationTimeouts(Model):
    """Deadlines of a dynamic resource's operations, as durations (90s, 30m, 2h)."""

    create: Duration = Field(1800, description="How long a backup (request and wait) may take; default 30m.")


FieldProblems = list[tuple[tuple[str | int, ...], str]]
"""(location relative to a model, reason): what FieldProblemError carries."""


def duplicate_problems(values: list[str], field: str, sub: str | None, what: str) -> FieldProblems:
    """A problem for each value listed again in `field`, at `field[i].sub` (or `field[i]` when sub is None)."""
    first: dict[str, int] = {}
    out: FieldProblems = []
    for i, value in enumerate(values):
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
