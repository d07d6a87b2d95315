"""Data commands: init-db, demo, stats and import."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from curation import ingest
from curation.cli.common import Subparsers, add_command, emit, engine_of, workspace_id_of
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Workspace
from curation.store.workspaces import create_workspace
from curation.workspace.demo import DEMO_WORKSPACE, seed_demo
from curation.workspace.hosting import prepare_database
from curation.workspace.importer import describe, import_files, import_parsed
from curation.workspace.refresh import after_data_change
from curation.workspace.stats import workspace_stats


def _init_db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed-demo-if-empty", action="store_true", help="seed the demo workspace into an empty database")


def _init_db(args: argparse.Namespace) -> int:
    # Replicas starting together on one PostgreSQL database take turns: one migrates and seeds.
    engine, seeded = prepare_database(args.db, seed_if_empty=args.seed_demo_if_empty)
    print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    if seeded is not None:
        after_data_change(engine, seeded)
        print(f"Seeded the demo workspace {DEMO_WORKSPACE!r}.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = seed_demo(engine, args.workspace)
    after_data_change(engine, ws_id)
    with session_scope(engine) as session:
        stats = workspace_stats(session, ws_id, Actor.local_user())
    emit(args, stats, f"Demo workspace {args.workspace!r}: {stats['tweets']} tweets, {stats['drafts']} drafts.")
    return 0


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


def _import(args: argparse.Namespace) -> int:
    files = ingest.read_paths(args.files)
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


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "init-db", "create or migrate the database", _init_db, _init_db_args)
    add_command(sub, "demo", "seed the demo workspace (synthetic account with known effects)", _demo)
    add_command(sub, "stats", "tweets, date span, metric coverage and uploads of a workspace", _stats)
    add_command(sub, "import", "import exports into a workspace (one transaction)", _import, _import_args)
