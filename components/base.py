"""Pulumi-side helpers shared by the components: args validation with clean, traceback-free errors."""

from __future__ import annotations

from typing import Any, TypeVar

import pulumi
from pydantic import BaseModel, ValidationError

from components.config import problems_from_validation
from components.errors import Problem, TopologyError

M = TypeVar("M", bound=BaseModel)


class ArgsError(TopologyError, pulumi.RunError):
    """A component's args are invalid; Pulumi prints the message without a stack trace."""


def component_args(model: type[M], value: M | Any, owner: str) -> M:
    """Validate a component's args (a model instance or a plain mapping); errors name `owner` and the field."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise ArgsError(problems_from_validation(exc, model), heading=f"{owner}: invalid args") from None


def args_problem(owner: str, path: str, reason: str) -> ArgsError:
    """An ArgsError for one problem found by the component itself."""
    return ArgsError([Problem(path, reason)], heading=f"{owner}: invalid args")
