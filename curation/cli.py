"""Command line: everything the UI does, for scripts and cron jobs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from curation import ingest
from curation.demo import DEMO_WORKSPACE, seed_demo
from curation.errors import CurationError, user_error
from curation.importer import describe, import_files, import_parsed
from curation.ingest import read_paths
from curation.stats import workspace_stats
from curation.store.access import Actor
from curation.store.db import engine_for, session_scope
from curation.store.models import Workspace
from curation.store.workspaces import create_workspace, find_workspace, get_or_create_workspace

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] = lambda p: None):
    """Register a subcommand; modules add theirs with this decorator."""

    def wrap(fn: Handler) -> Handler:
        COMMANDS[name] = (help_text, configure, fn)
        return fn

    return wrap


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


def workspace_id_of(args: argparse.Namespace, engine: Engine, create: bool = False) -> int:
    actor = Actor.local_user()
    with session_scope(engine) as session:
        if create:
            return get_or_create_workspace(session, args.workspace, actor, getattr(args, "tz", None) or "UTC").id
        return find_workspace(session, args.workspace, actor).id


def read_files(paths: list[Path]) -> list[tuple[str, bytes]]:
    """The named export files as (name, bytes): not a file, or over the size limit, is refused unread."""
    return read_paths(paths)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="SQLAlchemy URL (default: DATABASE_URL or data/curation.db)")
    p.add_argument("--workspace", default=DEMO_WORKSPACE, help="workspace name")
    p.add_argument("--json", action="store_true", help="print JSON")


def _init_db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed-demo-if-empty", action="store_true", help="seed the demo workspace into an empty database")


@command("init-db", "create or migrate the database", _init_db_args)
def _init_db(args: argparse.Namespace) -> int:
    from curation.services import after_data_change
    from curation.team import prepare_database  # imported when used: curation.team registers commands here

    # Replicas starting together on one PostgreSQL database take turns: one migrates and seeds.
    engine, seeded = prepare_database(args.db, seed_if_empty=args.seed_demo_if_empty)
    print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    if seeded is not None:
        after_data_change(engine, seeded)
        print(f"Seeded the demo workspace {DEMO_WORKSPACE!r}.")
    return 0


@command("demo", "seed the demo workspace (synthetic account with known effects)")
def _demo(args: argparse.Namespace) -> int:
    from curation.services import after_data_change

    engine = engine_of(args)
    ws_id = seed_demo(engine, args.workspace)
    after_data_change(engine, ws_id)
    with session_scope(engine) as session:
        stats = workspace_stats(session, ws_id, Actor.local_user())
    emit(args, stats, f"Demo workspace {args.workspace!r}: {stats['tweets']} tweets, {stats['drafts']} drafts.")
    return 0


@command("stats", "tweets, date span, metric coverage and uploads of a workspace")
def _stats(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    with session_scope(engine) as session:
        s = workspace_stats(session, ws_id, Actor.local_user())
    lines = [
        f"{s['workspace']} ({s['timezone']}): {s['tweets']} tweets from {s['first']} to {s['last']}",
        f"  {s['with_link']} with a link, {s['replies']} replies, {s['retweets']} retweets; "
        f"{s['uploads']} uploads; {s['daily_days']} days of account metrics; {s['drafts']} drafts",
        "  metric coverage: " + ", ".join(f"{k} {v:.0%}" for k, v in s["coverage"].items() if v),
    ]
    emit(args, s, "\n".join(lines))
    return 0


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, help="export files (.csv, .js, .json, .zip)")
    p.add_argument("--tz", default=None, help="timezone for a new workspace (IANA name)")


@command("import", "import exports into a workspace (one transaction)", _import_args)
def _import(args: argparse.Namespace) -> int:
    from curation.services import after_data_change

    files = read_files(args.files)
    engine, actor = engine_of(args), Actor.local_user()
    with session_scope(engine) as session:
        known = session.scalar(select(Workspace.id).where(Workspace.name == args.workspace)) is not None
    if known:
        ws_id = workspace_id_of(args, engine)
        report = import_files(engine, ws_id, actor, files)
    else:  # parse first, then create the workspace in the import's transaction: a failure leaves nothing behind
        parsed = ingest.parse_files(files)
        try:
            with session_scope(engine) as session:
                ws_id = create_workspace(session, args.workspace, actor, args.tz or "UTC").id
                report = import_parsed(session, ws_id, actor, parsed)
        except IntegrityError:  # another import created this workspace meanwhile: merge into it
            ws_id = workspace_id_of(args, engine)
            with session_scope(engine) as session:
                report = import_parsed(session, ws_id, actor, parsed)
    d = report.to_dict()
    payload = {k: d[k] for k in ("files", "new", "updated", "unchanged", "first", "last", "account_handle",
                                 "other_account", "suggested_workspace", "warnings")}
    emit(args, payload, "\n".join(describe(report)))  # the report first, as on the Import page
    sys.stdout.flush()
    if report.changed:  # then the retrain, its stages on stderr (stdout stays the report, or its JSON)
        after_data_change(engine, ws_id, step=lambda message: print(f"{message}…", file=sys.stderr, flush=True))
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line that says where the options are, with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}. See `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    import curation.commands  # noqa: F401  (registers the subcommands of later modules)

    parser = _Parser(prog="python -m curation", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, configure, fn) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        _common(p)
        configure(p)
        p.set_defaults(handler=fn)
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
