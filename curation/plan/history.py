"""Shared preparation of a history for the Insights analyses: target, accounts, local calendar, expectation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from curation.facts import TARGET_LABELS, TIMING_CELL_HOURS, WEEKDAYS


@dataclass(frozen=True, eq=False)
class Finding:
    """The numbers behind one chart and a one-sentence plain-language reading of them."""

    table: pd.DataFrame
    reading: str
    target_label: str = "clicks"


def choose_target(tweets: pd.DataFrame) -> str:
    """``url_clicks`` when the history has click numbers, else ``engagement`` (likes + reposts)."""
    if "url_clicks" in tweets and tweets.loc[~_retweets(tweets), "url_clicks"].notna().any():
        return "url_clicks"
    return "engagement"


_HANDLE = re.compile(r"(?:twitter\.com|x\.com)/(?:#!/)?@?([A-Za-z0-9_]{1,15})/status", re.IGNORECASE)


def accounts(tweets: pd.DataFrame) -> list[str]:
    """The accounts a workspace's tweets belong to (lower-case handles), from a handle or permalink column.

    Empty when the data carries neither, so callers can only warn when the evidence is there.
    """
    for col in ("account_handle", "handle"):
        if col in tweets:
            found = tweets[col].dropna().astype(str).str.strip().str.lstrip("@").str.lower()
            return sorted(set(found[found != ""]))
    if "permalink" in tweets:
        found = tweets["permalink"].dropna().astype(str).str.extract(_HANDLE, expand=False).dropna().str.lower()
        return sorted(set(found))
    return []


def target_values(tweets: pd.DataFrame, target: str | None = None) -> tuple[pd.Series, str]:
    """The target per tweet as float (NaN where unknown) and its plain label ("clicks"/"engagement")."""
    target = target or choose_target(tweets)
    if target == "url_clicks":
        values = pd.to_numeric(tweets["url_clicks"], errors="coerce").astype("float64")
    elif target == "engagement":
        parts = [
            pd.to_numeric(tweets[c], errors="coerce").astype("float64") for c in ("likes", "reposts") if c in tweets
        ]
        if not parts:
            values = pd.Series(np.nan, index=tweets.index)
        else:
            values = pd.concat(parts, axis=1).sum(axis=1, min_count=1)
    else:
        raise ValueError(f"unknown target {target!r}: use 'url_clicks' or 'engagement'")
    return values, TARGET_LABELS[target]


def _retweets(tweets: pd.DataFrame) -> pd.Series:
    if "is_retweet" not in tweets:
        return pd.Series(False, index=tweets.index)
    return tweets["is_retweet"].fillna(False).astype(bool)


def local_frame(tweets: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Own posts (retweets dropped) with local calendar columns and posts-that-day / that-week counts."""
    own = tweets.loc[~_retweets(tweets)].copy()
    local = pd.to_datetime(own["created_at"], utc=True).dt.tz_convert(tz)
    naive = local.dt.tz_localize(None)
    own["local"] = local
    own["local_date"] = naive.dt.normalize()
    own["weekday"] = local.dt.day_of_week.astype("int64")
    own["hour"] = local.dt.hour.astype("int64")
    own["block"] = (own["hour"] // TIMING_CELL_HOURS) * TIMING_CELL_HOURS
    own["week_start"] = own["local_date"] - pd.to_timedelta(own["weekday"], unit="D")
    # Volume counts every own post of the day, including ones whose target is unknown.
    own["n_day"] = own.groupby("local_date")["local_date"].transform("size").astype("int64")
    own["n_week"] = own.groupby("week_start")["week_start"].transform("size").astype("int64")
    return own


def structural_expected(tweets: pd.DataFrame, target: str | None = None) -> pd.Series:
    """Stand-in content control when no model is at hand: mean target of tweets with the same structure.

    Groups are (link, reply, hashtags 0/1/2/3+, media); each group mean is shrunk towards its
    link/no-link mean with 10 pseudo-tweets. No time or volume information enters, so the
    timing and volume analyses stay honest. Indexed by tweet_id.
    """
    own = tweets.loc[~_retweets(tweets)]
    y, _ = target_values(own, target)
    link = own["has_link"].fillna(False).astype(bool)
    keys = pd.DataFrame(
        {
            "link": link,
            "reply": own["is_reply"].fillna(False).astype(bool),
            "tags": own["n_hashtags"].fillna(0).clip(upper=3).astype("int64"),
            "media": own["media_type"].fillna("none").astype(str),
            "y": y,
        }
    )
    parent = keys.groupby("link")["y"].transform("mean")
    grp = keys.groupby(["link", "reply", "tags", "media"])["y"]
    sums, counts = grp.transform("sum"), grp.transform("count")
    expected = (sums + 10.0 * parent) / (counts + 10.0)
    return pd.Series(expected.to_numpy(dtype="float64"), index=own["tweet_id"].to_numpy(), name="expected")


def with_target(
    tweets: pd.DataFrame, tz: str, target: str | None, expected: pd.Series | None
) -> tuple[pd.DataFrame, str, str]:
    """Local frame with O (observed target) and E (content-only expectation), rows lacking either dropped."""
    target = target or choose_target(tweets)
    frame = local_frame(tweets, tz)
    frame["O"], label = target_values(frame, target)
    if expected is None:
        expected = structural_expected(tweets, target)
    exp = pd.Series(expected, dtype="float64")
    exp = exp[~exp.index.duplicated(keep="last")]
    exp.index = exp.index.astype(str)
    frame["E"] = frame["tweet_id"].astype(str).map(exp).astype("float64")
    frame = frame[frame["O"].notna() & frame["E"].notna() & (frame["E"] >= 0)]
    return frame, target, label


def fmt(x: float) -> str:
    """Numbers as a reader sees them: one decimal below 100, none above."""
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


def cell_label(weekday: int, block: int) -> str:
    """'Tue 08-12' for weekday 1, block 8."""
    return f"{WEEKDAYS[weekday]} {block:02d}–{block + TIMING_CELL_HOURS:02d}"
