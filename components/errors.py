"""The project's errors: every user mistake becomes one line with a dotted path and a reason."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in the topology: where it is (dotted path) and why it is wrong."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class TopologyError(Exception):
    """The topology (or a component's args) is invalid; carries one Problem per mistake."""

    def __init__(self, problems: Sequence[Problem], heading: str = "") -> None:
        self.problems = list(problems)
        self.heading = heading
        super().__init__(self.render())

    def render(self) -> str:
        """One line per problem, under an optional heading."""
        lines = [str(p) for p in self.problems]
        if self.heading:
            lines.insert(0, self.heading)
        return "\n".join(lines)


class FieldProblemError(ValueError):
    """Raised inside model validators to name the exact field(s) at fault, relative to the model."""

    def __init__(self, items: Iterable[tuple[tuple[str | int, ...], str]]) -> None:
        self.items = list(items)
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {why}" for loc, why in self.items))


def dotted(loc: Iterable[str | int]) -> str:
    """Render a location tuple as `a.b[0].c`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
