"""What every command shares: the --db/--workspace/--json options, output, the engine and the workspace."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from sqlalchemy import Engine

from curation.errors import CurationError
from curation.store.access import Actor
from curation.store.db import engine_for, session_scope
from curation.store.workspaces import find_workspace
from curation.workspace.demo import DEMO_WORKSPACE

Handler = Callable[[argparse.Namespace], int]
Subparsers = argparse._SubParsersAction  # argparse names no public type for add_subparsers()' result


def add_command(sub: Subparsers, name: str, help_text: str, handler: Handler,
                configure: Callable[[argparse.ArgumentParser], None] = lambda p: None) -> None:
    """One subcommand: the common options, then its own, then the function that runs it."""
    p = sub.add_parser(name, help=help_text)
    common_options(p)
    configure(p)
    p.set_defaults(handler=handler)


def common_options(p: argparse.ArgumentParser) -> None:
    """--db, --workspace and --json, which every subcommand takes."""
    p.add_argument("--db", default=None, help="SQLAlchemy URL (default: DATABASE_URL or data/curation.db)")
    p.add_argument("--workspace", default=DEMO_WORKSPACE, help="workspace name")
    p.add_argument("--json", action="store_true", help="print JSON")


def emit(args: argparse.Namespace, payload: dict | list, text: str) -> None:
    """Print JSON with --json, else the human-readable text."""
    if getattr(args, "json", False):
        print(json.dumps(payload, indent=2, default=str, ensure_ascii=False))
    else:
        print(text)


def engine_of(args: argparse.Namespace) -> Engine:
    """The migrated engine for --db (or DATABASE_URL); a URL naming a driver that is not installed is a user error."""
    try:
        return engine_for(args.db)
    except ImportError as exc:
        raise CurationError(f"The database driver for {args.db or 'DATABASE_URL'} is not installed ({exc.name}). "
                            "Use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/dbname.") from exc


def workspace_id_of(args: argparse.Namespace, engine: Engine) -> int:
    """The id of the --workspace the local user may use."""
    with session_scope(engine) as session:
        return find_workspace(session, args.workspace, Actor.local_user()).id
