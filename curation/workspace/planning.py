"""History analyses and plans for a workspace (shared by the Insights/Planner pages and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine

from curation.errors import CurationError, NotEnoughData
from curation.plan.constraints import PlanConstraints
from curation.plan.history import accounts as handles_in
from curation.plan.history import choose_target
from curation.plan.planner import build_plan
from curation.plan.result import LeftOut, Plan, Slot
from curation.store.access import Actor, get_workspace, require_role
from curation.store.db import session_scope
from curation.store.drafts import list_drafts
from curation.store.schedules import save_schedule
from curation.store.tweets import load_tweets
from curation.workspace.expectation import content_expectation, window_note
from curation.workspace.importer import tweet_handles
from curation.workspace.scoring import active_model


@dataclass(frozen=True)
class History:
    """A workspace's tweets with the content-only expectation the timing and volume analyses control for."""

    tweets: pd.DataFrame
    tz: str
    expected: pd.Series | None
    target: str
    data_version: int
    accounts: tuple[str, ...] = ()
    window: str = ""  # which recent tweets the expectation covers, when it leaves older ones out


@lru_cache(maxsize=8)
def _history(engine: Engine, workspace_id: int, data_version: int, tz: str) -> History:
    # Keyed by the engine object (one per database per process), never by a URL that holds a password.
    with session_scope(engine) as s:
        tweets = load_tweets(s, workspace_id, Actor.local_user())
        handles = tweet_handles(s, workspace_id, Actor.local_user())
    if tweets.empty:
        raise NotEnoughData("This workspace has no tweets yet. Import your history on the Import page.")
    # Fitted once per data version (after the retrain) and read from the database by every replica;
    # None when the history is too small: the analyses fall back to a structure-only expectation.
    expected = content_expectation(engine, workspace_id, data_version, tz, tweets)
    accounts = tuple(handles_in(pd.DataFrame({"account_handle": pd.Series(handles, dtype=object)})))
    return History(tweets, tz, expected, choose_target(tweets), data_version, accounts,
                   window_note(tweets, expected, tz))


def history(engine: Engine, workspace_id: int, actor: Actor) -> History:
    """Tweets and content-only expectations, computed once per data version of the workspace."""
    with session_scope(engine) as s:
        require_role(s, workspace_id, actor, "viewer")
        ws = get_workspace(s, workspace_id)
        version, tz = ws.data_version, ws.timezone
    return _history(engine, workspace_id, version, tz)


def make_plan(
    engine: Engine,
    workspace_id: int,
    actor: Actor,
    constraints: PlanConstraints,
    draft_ids: list[int] | None = None,
    status: str = "approved",
) -> Plan:
    """Plan the chosen drafts (default: every approved draft) under the constraints."""
    found = active_model(engine, workspace_id, actor)
    if found is None:
        raise NotEnoughData("No model yet: import tweets with metrics (50 or more original tweets) to plan.")
    trained, _ = found
    with session_scope(engine) as s:
        drafts = list_drafts(s, workspace_id, actor, None if draft_ids else status)
    if draft_ids:
        drafts = drafts[drafts["id"].isin(draft_ids)]
    drafts = drafts.rename(columns={"id": "draft_id"})[["draft_id", "text"]].reset_index(drop=True)
    if drafts.empty:
        raise CurationError(f"No {status} drafts to plan. Approve some drafts on the Drafts page first.")
    hist = history(engine, workspace_id, actor)
    plan = build_plan(drafts, trained, hist.tweets, constraints, expected=hist.expected)
    plan.constraints["workspace_id"] = int(workspace_id)
    if hist.window:
        plan.constraints["window"] = hist.window
    return plan


def store_plan(engine: Engine, workspace_id: int, actor: Actor, name: str, plan: Plan) -> int:
    """Save a plan for the whole team; returns its id. Refused in a workspace it was not built in."""
    data = plan.to_dict()
    built_for = data.get("constraints", {}).get("workspace_id")
    with session_scope(engine) as s:
        return save_schedule(s, workspace_id, actor, name, data.get("constraints", {}), data,
                             built_for=None if built_for is None else int(built_for)).id


def plan_from_dict(data: dict) -> Plan:
    """A saved plan (Plan.to_dict) back as a Plan, for display and export."""
    return Plan(
        slots=[Slot(at=pd.Timestamp(s["at"]), draft_id=s["draft_id"], text=s["text"], predicted=s["predicted"],
                    lower=s["lower"], upper=s["upper"], why=s.get("why", "")) for s in data["slots"]],
        left_out=[LeftOut(draft_id=o["draft_id"], text=o["text"], reason=o["reason"]) for o in data["left_out"]],
        expected_total=data["expected_total"],
        curve=[(int(n), v) for n, v in data["curve"]],
        chosen_n=data["chosen_n"],
        constraints=data.get("constraints", {}),
        target_label=data.get("target_label", "clicks"),
        stop_reason=data.get("stop_reason", ""),
        nearest=list(data.get("nearest", [])),
        suggestion=dict(data.get("suggestion", {})),
        timing=data.get("timing", ""),
    )


def empty_reading(plan: Plan) -> str:
    """Why a plan holds no post, which drafts came closest and by how much, and what would admit them."""
    label = plan.target_label
    parts = [f"No post made this plan: {plan.stop_reason or 'no draft qualified'}."]
    if plan.nearest:
        near = "; ".join(
            f"#{r['draft_id']} \u201c{_short(r['text'])}\u201d predicted {r['predicted']:.2f} {label} against a bar of "
            f"{r['bar']:.2f} ({r['short_share']:.0%} short)"
            for r in plan.nearest
        )
        parts.append(f"Closest: {near}.")
    if plan.suggestion.get("bar_text"):
        parts.append(f"{plan.suggestion['bar_text'][0].upper()}{plan.suggestion['bar_text'][1:]}.")
    if plan.suggestion.get("cap_text"):
        parts.append(f"{plan.suggestion['cap_text'][0].upper()}{plan.suggestion['cap_text'][1:]}.")
    if not plan.nearest and not plan.suggestion:
        others = {o.reason for o in plan.left_out}
        if others:
            parts.append("Left out: " + "; ".join(sorted(others)) + ".")
    return " ".join(parts)


def cli_hints(plan: Plan) -> list[str]:
    """Flags that would admit the drafts closest to the plan (printed by `python -m curation plan`)."""
    hints = []
    if "quality_bar" in plan.suggestion:
        hints.append(f"hint: --bar {plan.suggestion['quality_bar']:g} ({plan.suggestion.get('bar_text', '')})")
    if "daily_cap" in plan.suggestion:
        hints.append(f"hint: --cap {plan.suggestion['daily_cap']} ({plan.suggestion.get('cap_text', '')})")
    return hints


def _short(text: str, n: int = 60) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= n else flat[: n - 1].rstrip() + "\u2026"


def plan_table(plan: Plan, tz: str) -> pd.DataFrame:
    """One row per planned post in the plan's local time (the same as the timeline), for display."""
    label = plan.target_label
    local = [pd.Timestamp(s.at).tz_convert(tz) for s in plan.slots]
    return pd.DataFrame(
        {
            "day": [f"{t:%a %d %b}" for t in local],
            "time": [f"{t:%H:%M}" for t in local],
            "draft": [int(s.draft_id) for s in plan.slots],
            "text": [s.text for s in plan.slots],
            f"predicted {label}": [round(float(s.predicted), 2) for s in plan.slots],
            "80 % range": [f"{s.lower:.1f}\u2013{s.upper:.1f}" for s in plan.slots],
            "why": [s.why for s in plan.slots],
        }
    )


def curve_reading(plan: Plan) -> str:
    """One sentence on what the curve says about more posts (and which recent tweets it was read from)."""
    if not plan.curve or not plan.slots:
        return empty_reading(plan)
    totals = dict(plan.curve)
    best_n = max(totals, key=totals.get)
    last = plan.curve[-1]
    chosen = totals.get(plan.chosen_n, plan.expected_total)
    extra = (f" Going to {last[0]} posts would add only {last[1] - chosen:.1f} more."
             if last[0] > plan.chosen_n else "")
    posts = f"{plan.chosen_n} posts are" if plan.chosen_n != 1 else "1 post is"
    window = plan.constraints.get("window")
    return (f"{posts} expected to earn {chosen:.1f} {plan.target_label} in all; the curve peaks "
            f"at {best_n} post{'s' if best_n != 1 else ''} ({totals[best_n]:.1f}).{extra}"
            + (f" {window}" if window else ""))
