"""Protection posture of a stack: what a change does to it, what the clouds hold (`python -m components.posture`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Command:
    """A subcommand of `python -m components.posture`: its name, one line of help, its arguments and its run."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    """Returns the exit code; prints each mistake on a line of its own on stderr (exit 2), never a traceback."""


class InputError(Exception):
    """Input a posture command cannot use: one line per mistake, each naming the file or option. Exit code 2."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


def read_json(path: Path, where: str, error: type[InputError] = InputError) -> Any:
    """The document of a JSON file; `error` with one line starting with `where` when it is missing or not JSON."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise error([f"{where}: not found"]) from None
    except OSError as exc:
        raise error([f"{where}: cannot be read ({exc.strerror})"]) from None
    except json.JSONDecodeError as exc:
        raise error([f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
