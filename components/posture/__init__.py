"""Protection posture of a stack: what a change does to it, what the clouds hold (`python -m components.posture`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """A subcommand of `python -m components.posture`: its name, one line of help, its arguments and its run."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    """Returns the exit code; prints each mistake on a line of its own on stderr (exit 2), never a traceback."""
