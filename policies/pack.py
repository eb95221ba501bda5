"""The rules as CrossGuard policies: resource and stack validations with config schemas and enforcement levels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.rules import RULES, Res, Rule
from policies.rules.base import UNKNOWN_MARKERS, stack_of

UNKNOWN_MARKER = sorted(UNKNOWN_MARKERS)[0]  # any: the note carries its own message

PACK_NAME = "backup-topology"
_LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    if not rule.schema:
        return None
    properties = {
        k: {**v, "default": rule.defaults[k]} if k in rule.defaults else dict(v) for k, v in rule.schema.items()
    }
    return PolicyConfigSchema(properties=properties)


def _resource_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        res = Res(type=args.resource_type, name=args.name, urn=args.urn, props=args.props)
        for violation in rule.check(res, rule.config(args.get_config()), stack_of(args.urn)):
            report(violation.message, violation.urn)

    return validate


def _stack_validation(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            Res(
                type=r.resource_type,
                name=r.name,
                urn=r.urn,
                props=r.props,
                parent=r.parent.urn if r.parent is not None else None,
                dependencies=tuple(d.urn for d in r.dependencies or ()),
            )
            for r in args.resources
        ]
        stack = stack_of(resources[0].urn) if resources else ""
        pending = []
        for violation in rule.check(resources, rule.config(args.get_config()), stack):
            if violation.pending:
                pending.append(violation.message)
            else:
                report(violation.message, violation.urn)
        if pending:
            # What waits for an output not known yet is CrossGuard's "can't run during preview" note (advisory),
            # after the findings the rule could make: neither a mandatory failure nor silence.
            note = UnknownValueError(UNKNOWN_MARKER, [])
            note.message = "; ".join(pending)
            raise note

    return validate


def build_policies() -> list[Any]:
    """One CrossGuard policy per rule."""
    policies: list[Any] = []
    for rule in RULES:
        common: dict[str, Any] = {
            "name": rule.name,
            "description": rule.description,
            "enforcement_level": _LEVELS[rule.level],
            "config_schema": _schema(rule),
        }
        if rule.scope == "resource":
            policies.append(ResourceValidationPolicy(validate=_resource_validation(rule), **common))
        else:
            policies.append(StackValidationPolicy(validate=_stack_validation(rule), **common))
    return policies
