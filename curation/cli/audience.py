"""`audience`: the follower/friend ratio history, its band, follow-back counts and what moved followers."""

from __future__ import annotations

import argparse
from datetime import date

import pandas as pd

from curation.audience.ratio import fmt_ratio
from curation.cli.common import Subparsers, add_command, emit, engine_of, workspace_id_of
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.workspace.audience import InvalidSnapshot, add_snapshot, build_report


def _audience_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--add-snapshot", nargs=3, metavar=("DAY", "FOLLOWERS", "FOLLOWING"),
                   help="first record typed-in counts for a day (YYYY-MM-DD)")


def _parse_snapshot(values: list[str]) -> tuple[date, int, int]:
    try:
        return date.fromisoformat(values[0]), int(values[1]), int(values[2])
    except ValueError as exc:
        raise InvalidSnapshot(f"--add-snapshot needs DAY FOLLOWERS FOLLOWING, e.g. 2026-11-01 1200 300 ({exc}).") \
            from exc


def _audience(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    actor = Actor.local_user()
    if args.add_snapshot:
        day, followers, following = _parse_snapshot(args.add_snapshot)
        with session_scope(engine) as session:
            add_snapshot(session, ws_id, actor, day, followers, following)
    with session_scope(engine) as session:
        report = build_report(session, ws_id, actor)
    t = report.history.table
    shown = t.tail(20)
    lines = [f"{report.name}: follower/friend ratio by day"]
    if len(t) > len(shown):
        lines.append(f"  ({len(t) - len(shown)} earlier rows not shown: use --json)")
    for r in shown.itertuples():
        lines.append(f"  {r.day}  {r.followers!s:>9} followers  {r.following!s:>7} following  "
                     f"ratio {fmt_ratio(None if pd.isna(r.ratio) else r.ratio):>6}  {r.source}")
    fb = report.follow_back
    lines += [
        f"Band: {report.band or 'unknown'}",
        f"Follow-back: {fb.reading}",
        f"Growth: {report.growth.reading}",
        f"Reading: {report.reading}",
        *(f"Note: {n}" for n in report.history.notes),
    ]
    emit(args, report.to_dict(), "\n".join(lines))
    return 0


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "audience", "follower/friend ratio history, its band, follow-back counts and what moved followers",
                _audience, _audience_args)
