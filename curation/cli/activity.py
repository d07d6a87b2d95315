"""`activity`: a workspace's changes in words, newest first, as on the Workspace page."""

from __future__ import annotations

import argparse

from curation.cli.common import Subparsers, add_command, emit, engine_of
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.workspaces import find_workspace, list_audit
from curation.workspace.activity import activity_frame


def _activity_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50, help="how many of the latest changes (default 50)")


def _activity(args: argparse.Namespace) -> int:
    actor = Actor.local_user()
    with session_scope(engine_of(args)) as s:
        ws = find_workspace(s, args.workspace, actor)
        frame = activity_frame(list_audit(s, ws.id, actor, limit=args.limit), ws.timezone)
    rows = [{"when": f"{when:%Y-%m-%d %H:%M %Z}", "what": what} for when, what in zip(
        frame["when"], frame["what happened"], strict=True)]
    emit(args, rows, "\n".join(f"{r['when']}  {r['what']}" for r in rows) or "No activity yet.")
    return 0


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "activity", "a workspace's changes in words, newest first (who did what, when)",
                _activity, _activity_args)
