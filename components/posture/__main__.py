"""`python -m components.posture COMMAND`: the protection posture commands; each prints its own usage with -h."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from components.posture import Command, check, diff
from components.tooling.plan import run_command

COMMANDS: tuple[Command, ...] = (diff.COMMAND, check.COMMAND)
"""The subcommands, in the order `--help` lists them: one more is one more Command here."""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand it names; returns the exit code (2 for a bad command line)."""
    parser = argparse.ArgumentParser(prog="python -m components.posture", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(title="commands", dest="command", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    run_command(main)
