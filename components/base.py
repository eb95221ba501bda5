"""Pulumi-side helpers shared by the components: args validation with clean, traceback-free errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pulumi
from pydantic import BaseModel, ValidationError

from components.config.base import Deferred, problems_from_validation, settle_model
from components.errors import Problem, TopologyError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class ArgsError(TopologyError, pulumi.RunError):
    """A component's args are invalid; Pulumi prints the message without a stack trace."""


def component_args(model: type[M], value: M | Mapping[str, Any], owner: str, **defaults: Any) -> M:
    """Validate a component's args: a model instance, or a mapping such as the component's Args TypedDict.

    Literal values are checked now, and a mistake raises one ArgsError naming `owner` and every field at fault. A
    value that comes from another resource (a Pulumi Output) is checked when it becomes known, by the same rules and
    with the same message, in an apply that the children of the component consume; while it is unknown (a preview),
    it is never an error. `defaults` fill fields the mapping leaves out (e.g. `name`, from the resource name).
    """
    if isinstance(value, model):
        validated = value
    elif isinstance(value, Mapping):
        try:
            validated = model.model_validate({**defaults, **value})
        except ValidationError as exc:
            raise ArgsError(problems_from_validation(exc, model), heading=f"{owner}: invalid args") from None
    else:
        msg = f"{owner}: args must be a mapping (the component's Args) or {model.__name__}, not {type(value).__name__}"
        raise ArgsError([Problem("", msg)])
    return settle_model(validated, functools.partial(_checked_when_known, owner))  # type: ignore[return-value]


def _checked_when_known(owner: str, path: str, marker: Deferred, output: pulumi.Output[Any]) -> pulumi.Output[Any]:
    return output.apply(functools.partial(_check, owner, path, marker))


def _check(owner: str, path: str, marker: Deferred, value: Any) -> Any:
    reason = marker.reason(value)
    if reason is not None:
        raise args_problem(owner, path, reason)
    return value


def args_problem(owner: str, path: str, reason: str) -> ArgsError:
    """An ArgsError for one problem found by the component itself."""
    return ArgsError([Problem(path, reason)], heading=f"{owner}: invalid args")


def when_known(value: pulumi.Input[T] | T, check: Callable[[T], None]) -> pulumi.Input[T] | T:
    """`value` after `check(value)`: now for a literal, when known for an Output (whose consumers then wait for it)."""
    if isinstance(value, pulumi.Output):
        return value.apply(lambda known: _passed(check, known))
    check(value)  # type: ignore[arg-type]
    return value


def _passed(check: Callable[[T], None], value: T) -> T:
    check(value)
    return value


def literal(value: Any) -> str | None:
    """The value when it is a literal string, else None (an Output: not known while the program is built)."""
    return value if isinstance(value, str) else None


K = TypeVar("K", bound=type)


def secret(*names: str) -> Callable[[K], K]:
    """Mark fields of an Args TypedDict, or outputs of a component, as secrets: the package schema says
    `secret: true` for them (the component keeps their values Pulumi secrets itself)."""

    def mark(klass: K) -> K:
        klass.__secret_fields__ = frozenset(names)  # type: ignore[attr-defined]
        return klass

    return mark


def secret_fields(klass: type) -> frozenset[str]:
    """The fields or outputs `klass` itself marks secret with `secret` (not its bases')."""
    found: frozenset[str] = vars(klass).get("__secret_fields__", frozenset())
    return found
