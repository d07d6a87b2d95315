"""Planner replay on a real account: plan the account's own best later posts against generic filler."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from curation.errors import NotEnoughData
from curation.learn import model
from curation.plan.constraints import PlanConstraints
from curation.plan.history import target_values
from curation.plan.planner import build_plan
from curation.plan.volume import busy_day_quantile
from curation.schema import is_original

HISTORY_SHARE = 0.8
N_BEST = 5
HORIZON_DAYS = 14
# Generic drafts any account could post: a sound planner never prefers them to the account's own best posts.
FILLER: tuple[str, ...] = (
    "Happy Monday everyone!",
    "Thanks for following",
    "Have a great weekend!",
    "Good morning!",
    "What do you think?",
)


def load_account(paths: Sequence[Path | str]) -> pd.DataFrame:
    """One account's exports (e.g. monthly CSVs) parsed and merged: one row per tweet, the latest metrics kept."""
    from curation.ingest import parse_files

    files = [(Path(x).name, Path(x).read_bytes()) for x in paths]
    frames = [p.tweets for p in parse_files(files) if not p.tweets.empty]
    if not frames:
        raise NotEnoughData("None of these files holds tweets.")
    tweets = pd.concat(frames, ignore_index=True)
    if "impressions" in tweets:
        tweets = tweets.sort_values("impressions", kind="stable", na_position="first")
    tweets = tweets.drop_duplicates("tweet_id", keep="last")
    return tweets.sort_values(["created_at", "tweet_id"], ignore_index=True)


def replay_planner(tweets: pd.DataFrame, tz: str) -> dict:
    """Replay the default planner on an account's own history (issue 12).

    The first 80 % of the tweets by time are the history; the product's model is trained on it;
    the texts of the 5 most-clicked later original posts plus 5 generic filler drafts are offered
    as approved drafts; the default plan runs over the 14 days after the history ends. Returns
    best_offered, best_scheduled, filler_scheduled, cap, busy_day_p75, n_history and details.
    Raises NotEnoughData when the history is too small to train on or nothing later has a target.
    """
    tweets = tweets.sort_values(["created_at", "tweet_id"], ignore_index=True)
    tweets = tweets.assign(created_at=pd.to_datetime(tweets["created_at"], utc=True))
    cut = int(len(tweets) * HISTORY_SHARE)
    hist, later = tweets.iloc[:cut].reset_index(drop=True), tweets.iloc[cut:]
    if hist.empty or later.empty:
        raise NotEnoughData("Too few tweets to split into a history and later posts.")
    trained = model.train(hist, tz)
    target = trained.card.target
    values, _ = target_values(later, target)
    own = is_original(later)
    pool = later.assign(y=values)[own & values.notna()]
    pool = pool[pool["text"].astype(str).str.strip() != ""].drop_duplicates("text")
    best = pool.sort_values("y", ascending=False, kind="stable").head(N_BEST)
    if best.empty:
        raise NotEnoughData(f"No later original post has {target} numbers to replay.")
    texts = list(best["text"].astype(str)) + list(FILLER)
    drafts = pd.DataFrame({"draft_id": range(1, len(texts) + 1), "text": texts})
    is_best = {i + 1 for i in range(len(best))}

    last = hist["created_at"].max().tz_convert(tz)
    start = (last.normalize() + pd.DateOffset(days=1)).tz_localize(None)
    constraints = PlanConstraints(tz=tz, start=start, days=HORIZON_DAYS)
    try:
        expected = model.expected_without_time(hist, tz)
    except NotEnoughData:
        expected = None
    plan = build_plan(drafts, trained, hist, constraints, expected=expected)
    chosen = {s.draft_id for s in plan.slots}
    per_day = pd.Series([pd.Timestamp(s.at).tz_convert(tz).date() for s in plan.slots]).value_counts()
    return {
        "best_offered": len(best),
        "best_scheduled": len(chosen & is_best),
        "filler_scheduled": len(chosen - is_best),
        "cap": int(plan.constraints.get("cap", 0)),
        "busy_day_p75": busy_day_quantile(hist, tz),
        "n_history": len(hist),
        "n_later": len(later),
        "target": target,
        "posts_planned": len(plan.slots),
        "max_posts_in_a_day": int(per_day.max()) if len(per_day) else 0,
        "best_actual": [float(v) for v in best["y"]],
        "predicted": {int(s.draft_id): round(float(s.predicted), 2) for s in plan.slots},
        "bar": plan.constraints.get("bar"),
        "left_out": {int(o.draft_id): o.reason for o in plan.left_out},
        "stop_reason": plan.stop_reason,
    }
