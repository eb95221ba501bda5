"""Every rule of the pack, and running them over a stack's resources without the engine."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.rules import access, consistency, drills, protection
from policies.rules.base import Level, Res, Rule, Violation, judged_at

RULES: list[Rule] = [*protection.RULES, *drills.RULES, *access.RULES, *consistency.RULES]


@dataclass(frozen=True)
class Finding:
    """A violation with the rule that found it."""

    policy: str
    level: Level
    message: str
    resource: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "level": self.level, "message": self.message, "resource": self.resource}


def evaluate(
    resources: Sequence[Res],
    stack: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    at: datetime.datetime | None = None,
) -> list[Finding]:
    """Run every rule over the stack's resources; `config` maps a rule's name to its settings; `at` is the time
    expiry times are judged against (default: the machine's clock)."""
    with judged_at(at):
        return _evaluate(resources, stack, config)


def _evaluate(resources: Sequence[Res], stack: str, config: Mapping[str, Mapping[str, Any]] | None) -> list[Finding]:
    findings: list[Finding] = []
    for rule in RULES:
        given = (config or {}).get(rule.name) or {}
        level = given.get("enforcementLevel", rule.level)
        if level == "disabled":
            continue
        settings = rule.config(given)
        if rule.scope == "resource":
            violations: list[Violation] = [v for res in resources for v in rule.check(res, settings, stack)]
        else:
            violations = rule.check(resources, settings, stack)
        findings += [
            Finding(rule.name, "advisory" if level == "advisory" or v.pending else "mandatory", v.message, v.urn)
            for v in violations
        ]
    return findings


__all__ = ["RULES", "Finding", "Res", "Rule", "Violation", "evaluate"]
