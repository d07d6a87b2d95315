"""`plan`: print, save and export a schedule of approved drafts."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from curation.cli.common import Subparsers, add_command, emit, engine_of, workspace_id_of
from curation.plan.constraints import PlanConstraints
from curation.plan.exports import plan_to_csv, plan_to_ics
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.workspaces import find_workspace
from curation.workspace.planning import cli_hints, empty_reading, make_plan, store_plan


def hour_range(value: str) -> tuple[int, int]:
    """``8-18`` as (8, 18): whole local hours, start before end, within 0-24."""
    lo, sep, hi = value.partition("-")
    if not (sep and lo.strip().isdigit() and hi.strip().isdigit() and 0 <= int(lo) < int(hi) <= 24):
        raise argparse.ArgumentTypeError(f"{value!r} is not an hour range; give START-END within 0-24, e.g. 8-18")
    return int(lo), int(hi)


def weekday_set(value: str) -> set[int]:
    """``0,1,2,3,4`` as {0, 1, 2, 3, 4}: at least one day, 0 = Monday ... 6 = Sunday."""
    parts = [d.strip() for d in value.split(",") if d.strip()]
    if not parts or not all(d in {"0", "1", "2", "3", "4", "5", "6"} for d in parts):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a list of weekdays; give numbers 0-6 separated by commas (0 = Monday), e.g. 0,1,2,3,4")
    return {int(d) for d in parts}


def iso_day(value: str) -> str:
    """An ISO date (``2026-12-01``), kept as text for PlanConstraints to read in the plan's timezone."""
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; give an ISO date such as 2026-12-01") from None
    return value.strip()


def day_count(value: str) -> int:
    """Days of the horizon: a whole number from 1 to 92."""
    if not value.strip().isdigit() or not 1 <= int(value) <= 92:
        raise argparse.ArgumentTypeError(f"{value!r} is not a horizon; give a whole number of days from 1 to 92")
    return int(value)


def _plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=day_count, default=7, help="horizon in days, 1-92 (default 7)")
    p.add_argument("--cap", type=int, default=None, help="posts per day at most (default: what the history supports)")
    p.add_argument("--gap-hours", type=float, default=3.0, help="minimum hours between posts (default 3)")
    p.add_argument("--tz", default=None, help="timezone (default: the workspace's)")
    p.add_argument("--hours", type=hour_range, default=(8, 18), help="allowed local hours, e.g. 8-18 (default)")
    p.add_argument("--weekdays", type=weekday_set, default={0, 1, 2, 3, 4},
                   help="allowed weekdays, 0=Mon (default Mon-Fri)")
    p.add_argument("--start", type=iso_day, default=None, help="first day, ISO date (default: tomorrow)")
    p.add_argument("--bar", type=float, default=None,
                   help="quality bar (default: clearly better than your typical recent post now, i.e. 5 %% more "
                   "on the model's 1 + value scale; a bar you give is used as given)")
    p.add_argument("--strict-bar", action="store_true",
                   help="the low end of the 80 %% interval (not the prediction) must reach the bar")
    p.add_argument("--ics", type=Path, help="write the plan as an iCalendar file")
    p.add_argument("--csv", type=Path, help="write the plan as a CSV file")
    p.add_argument("--save", metavar="NAME", help="save the plan in the workspace under this name")


def _plan(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    actor = Actor.local_user()
    with session_scope(engine) as s:
        ws = find_workspace(s, args.workspace, actor)
        tz, name = args.tz or ws.timezone, ws.name
    constraints = PlanConstraints(tz=tz, start=args.start, days=args.days, allowed_weekdays=args.weekdays,
                                  allowed_hours=args.hours, min_gap_hours=args.gap_hours, daily_cap=args.cap,
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


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "plan", "plan approved drafts: strongest drafts at the best times, under a daily cap",
                _plan, _plan_args)
