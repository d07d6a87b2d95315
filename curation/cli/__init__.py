"""Command line: everything the UI does, for scripts and cron jobs."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from curation.cli import activity, audience, data, drafts, model, plan, team
from curation.cli.common import emit, engine_of, workspace_id_of
from curation.store.db import user_error

__all__ = ["build_parser", "emit", "engine_of", "main", "workspace_id_of"]

# The order of `python -m curation --help`.
GROUPS = (data, audience, activity, model, drafts, plan, team)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line that says where the options are, with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}. See `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of `python -m curation`, each group adding its subcommands."""
    parser = _Parser(prog="python -m curation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a user error ends with exit code 2 and one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Exception as exc:
        message = user_error(exc, getattr(args, "db", None))
        if message is None:
            raise
        print(f"error: {' '.join(message.split())}", file=sys.stderr)
        return 2
