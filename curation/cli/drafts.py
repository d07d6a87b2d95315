"""`drafts`: add, list, approve or reject drafts, as on the Drafts page."""

from __future__ import annotations

import argparse
from pathlib import Path

from curation.cli.common import Subparsers, add_command, emit, engine_of, workspace_id_of
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import STATUSES, list_drafts
from curation.workspace.drafting import add_and_score, drafts_from_csv, review_drafts


def _drafts_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="add drafts (scored on insert)")
    src = add.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", nargs="+", help="draft texts")
    src.add_argument("--file", type=Path, help="CSV with a 'text' column")
    add.add_argument("--approve", action="store_true", help="add them approved")
    lst = sub.add_parser("list", help="list drafts, best first")
    lst.add_argument("--status", choices=STATUSES)
    review = []
    for verb in ("approve", "reject"):
        rv = sub.add_parser(verb, help=f"{verb} drafts by id (as on the Drafts page)")
        rv.add_argument("ids", nargs="+", type=int, metavar="ID")
        rv.add_argument("--comment", help="a note the team sees beside the draft")
        review.append(rv)
    for sp in (add, lst, *review):  # accept the common options after the action too
        sp.add_argument("--db", default=argparse.SUPPRESS)
        sp.add_argument("--workspace", default=argparse.SUPPRESS)
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS)


def _drafts(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    actor = Actor.local_user()
    if args.action in ("approve", "reject"):
        done = review_drafts(engine, ws_id, actor, args.ids, "approved" if args.action == "approve" else "rejected",
                             args.comment)
        emit(args, [{"id": i, "status": st} for i, st in done],
             "\n".join(f"#{i:<5} {st}" for i, st in done))
        return 0
    if args.action == "add":
        texts = args.text if args.text else drafts_from_csv(args.file.read_bytes())
        ids = add_and_score(engine, ws_id, actor, texts, "approved" if args.approve else "draft")
        args.status = None
    with session_scope(engine) as s:
        frame = list_drafts(s, ws_id, actor, args.status)
    if args.action == "add":
        frame = frame[frame["id"].isin(ids)]
    rows = frame.drop(columns=["updated_at"]).astype(object).where(frame.notna(), None).to_dict("records")
    lines = [f"#{r['id']:<5} {r['status']:9s} "
             f"{'  -  ' if r['predicted'] is None else format(r['predicted'], '5.1f')}  {r['text'][:80]}"
             for r in rows]
    emit(args, rows, "\n".join(lines) or "No drafts.")
    return 0


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "drafts", "add, list, approve or reject drafts", _drafts, _drafts_args)
