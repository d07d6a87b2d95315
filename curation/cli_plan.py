"""CLI for planning: `python -m curation plan` prints, saves and exports a schedule."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curation.cli import command, emit, engine_of, workspace_id_of
from curation.exports import plan_to_csv, plan_to_ics
from curation.planner import PlanConstraints
from curation.planning import cli_hints, empty_reading, make_plan, store_plan
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.workspaces import find_workspace


def _plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=7, help="horizon in days (default 7)")
    p.add_argument("--cap", type=int, default=None, help="posts per day at most (default: what the history supports)")
    p.add_argument("--gap-hours", type=float, default=3.0, help="minimum hours between posts (default 3)")
    p.add_argument("--tz", default=None, help="timezone (default: the workspace's)")
    p.add_argument("--hours", default="8-18", help="allowed local hours, e.g. 8-18 (default)")
    p.add_argument("--weekdays", default="0,1,2,3,4", help="allowed weekdays, 0=Mon (default Mon-Fri)")
    p.add_argument("--start", default=None, help="first day, ISO date (default: tomorrow)")
    p.add_argument("--bar", type=float, default=None, help="quality bar (default: your typical recent post now)")
    p.add_argument("--strict-bar", action="store_true",
                   help="the low end of the 80 %% interval (not the prediction) must reach the bar")
    p.add_argument("--ics", type=Path, help="write the plan as an iCalendar file")
    p.add_argument("--csv", type=Path, help="write the plan as a CSV file")
    p.add_argument("--save", metavar="NAME", help="save the plan in the workspace under this name")


@command("plan", "plan approved drafts: strongest drafts at the best times, under a daily cap", _plan_args)
def _plan(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    actor = Actor.local_user()
    with session_scope(engine) as s:
        ws = find_workspace(s, args.workspace, actor)
        tz, name = args.tz or ws.timezone, ws.name
    lo, hi = (int(x) for x in args.hours.split("-", 1))
    constraints = PlanConstraints(tz=tz, start=args.start, days=args.days,
                                  allowed_weekdays={int(d) for d in args.weekdays.split(",") if d.strip()},
                                  allowed_hours=(lo, hi), min_gap_hours=args.gap_hours, daily_cap=args.cap,
                                  quality_bar=args.bar, bar_on="lower" if args.strict_bar else "predicted")
    plan = make_plan(engine, ws_id, actor, constraints)
    if args.ics and not plan.slots:  # an empty calendar only looks like a plan
        print(f"error: no .ics written: {' '.join(empty_reading(plan).split())}", file=sys.stderr)
        for hint in cli_hints(plan):
            print(hint, file=sys.stderr)
        return 2
    if args.ics:
        args.ics.write_bytes(plan_to_ics(plan, f"{name} posts"))
    if args.csv:
        args.csv.write_bytes(plan_to_csv(plan))
    if args.save:
        store_plan(engine, ws_id, actor, args.save, plan)
    lines = [f"{s.at.tz_convert(tz):%a %d %b %H:%M}  {s.predicted:5.1f} {plan.target_label}  #{s.draft_id} "
             f"{s.text[:70]}" for s in plan.slots]
    lines += [f"left out #{o.draft_id}: {o.reason}" for o in plan.left_out]
    lines.append(f"expected total: {plan.expected_total:.1f} {plan.target_label} from {len(plan.slots)} posts")
    if not plan.slots:
        lines.append(empty_reading(plan))
    lines += cli_hints(plan)
    emit(args, plan.to_dict(), "\n".join(lines))
    return 0
