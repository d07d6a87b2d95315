"""Which tweets the model learns from, and which target: url clicks where there are enough, else engagement."""

from __future__ import annotations

import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from curation.errors import CurationError, NotEnoughData
from curation.features import history_state

MIN_TRAIN = 50  # eligible tweets with the target
MIN_CLICKED = 10  # tweets with at least one url click before clicks (not engagement) are learnable
TARGET_LABELS = {"url_clicks": "clicks", "engagement": "engagement"}


@dataclass
class TrainingData:
    """Eligible tweets in time order with their target and the account state before each."""

    rows: pd.DataFrame  # eligible tweets, time order, RangeIndex
    state: pd.DataFrame  # history state per row (from all earlier own posts)
    y: np.ndarray
    impressions: np.ndarray  # NaN where unknown
    target: str
    history: pd.DataFrame  # every own post, time order (for the stored account state)
    notes: list[str]


def check_tz(tz: str) -> None:
    """Raise CurationError for a timezone name zoneinfo does not know."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CurationError(
            f"Unknown timezone {tz!r}: pick one like 'Europe/Berlin' in the workspace settings."
        ) from exc


def canonical(tweets: pd.DataFrame) -> pd.DataFrame:
    """The columns the model reads, with neutral defaults, sorted by time (RangeIndex)."""
    if "created_at" not in tweets or "tweet_id" not in tweets:
        raise CurationError("The tweet table needs tweet_id and created_at columns.")
    frame = tweets.copy()
    defaults = {"is_reply": False, "is_retweet": False, "has_link": False, "link_domains": "", "n_hashtags": 0,
                "n_mentions": 0, "media_type": None, "text": ""}  # fmt: skip
    for col, default in defaults.items():
        if col not in frame:
            frame[col] = default
    for col in ("impressions", "url_clicks", "likes", "reposts"):
        if col not in frame:
            frame[col] = pd.NA
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame = frame.loc[frame["created_at"].notna()].copy()
    for col in ("is_reply", "is_retweet", "has_link"):
        frame[col] = frame[col].fillna(False).astype(bool)
    frame["text"] = frame["text"].fillna("").astype(str)
    frame["link_domains"] = frame["link_domains"].fillna("").astype(str)
    frame["tweet_id"] = frame["tweet_id"].astype(str)
    return frame.sort_values(["created_at", "tweet_id"], kind="stable", ignore_index=True)


def engagement(frame: pd.DataFrame) -> pd.Series:
    """likes + reposts; NA only when both are missing."""
    likes = pd.to_numeric(frame["likes"], errors="coerce")
    reposts = pd.to_numeric(frame["reposts"], errors="coerce")
    return (likes.fillna(0) + reposts.fillna(0)).where(likes.notna() | reposts.notna())


def prepare(
    tweets: pd.DataFrame, tz: str, include_replies: bool = False, include_retweets: bool = False
) -> TrainingData:
    """Eligible tweets and the target; raises NotEnoughData saying what is missing."""
    check_tz(tz)
    history = canonical(tweets)
    state = history_state(history)
    keep = np.ones(len(history), bool)
    if not include_retweets:
        keep &= ~history["is_retweet"].to_numpy()
    if not include_replies:
        keep &= ~history["is_reply"].to_numpy()
    base = history.loc[keep]
    clicks = pd.to_numeric(base["url_clicks"], errors="coerce")
    eng = engagement(base)
    n_clicks, n_clicked, n_eng = int(clicks.notna().sum()), int((clicks > 0).sum()), int(eng.notna().sum())
    kind = "original tweets" + (" and replies" if include_replies else "")
    notes: list[str] = []
    if n_clicks >= MIN_TRAIN and n_clicked >= MIN_CLICKED:
        target, y = "url_clicks", clicks
    elif n_eng >= MIN_TRAIN:
        target, y = "engagement", eng
        if n_clicks >= MIN_TRAIN:
            notes.append(
                f"Only {n_clicked} of the {n_clicks} {kind} with url clicks got a click, too few to learn "
                "from (need 10): scores are predicted engagement (likes + reposts) instead."
            )
        elif n_clicks:
            notes.append(
                f"Only {n_clicks} {kind} have url clicks (need {MIN_TRAIN}): scores are predicted engagement "
                "(likes + reposts) instead. Upload analytics exports covering more months to learn clicks."
            )
    elif n_clicks >= MIN_TRAIN:
        raise NotEnoughData(
            f"Only {n_clicked} of {n_clicks} {kind} with url clicks got a click; need {MIN_CLICKED}. Upload more "
            "history, e.g. the analytics exports of earlier months, or tweets that carry links."
        )
    elif n_clicks:
        raise NotEnoughData(
            f"{n_clicks} {kind} with url clicks; need {MIN_TRAIN}. Upload more history, e.g. the tweet activity "
            "CSVs of earlier months (X analytics → export data) or a content CSV covering a longer period."
            + _replies_hint(history, n_clicks, include_replies, "url_clicks")
        )
    else:
        raise NotEnoughData(
            f"{n_eng} {kind} with likes or reposts; need {MIN_TRAIN}. Upload more history, e.g. your X data "
            "archive (tweets.js) or analytics exports covering more months."
            + _replies_hint(history, n_eng, include_replies, "engagement")
        )
    sel = base.index[y.notna().to_numpy()]
    rows = history.loc[sel].reset_index(drop=True)
    return TrainingData(
        rows=rows,
        state=state.loc[sel].reset_index(drop=True),
        y=y.loc[sel].to_numpy(float),
        impressions=pd.to_numeric(rows["impressions"], errors="coerce").to_numpy(float),
        target=target,
        history=history,
        notes=notes,
    )


def _replies_hint(history: pd.DataFrame, n_have: int, include_replies: bool, target: str) -> str:
    """' Or count your N replies ...' when replies with the target would make up the shortfall."""
    if include_replies:
        return ""
    replies = history.loc[history["is_reply"].to_numpy() & ~history["is_retweet"].to_numpy()]
    values = pd.to_numeric(replies["url_clicks"], errors="coerce") if target == "url_clicks" else engagement(replies)
    n_replies = int(values.notna().sum())
    if n_replies and n_replies + n_have >= MIN_TRAIN:
        return (f" Or learn from your {n_replies} replies too ('Learn from our replies too' on the Drafts page; "
                "--include-replies on the command line).")
    return ""


def split_point(times: pd.Series, share: float) -> int:
    """Index where the holdout (latest ``share`` by time) starts; no timestamp straddles it."""
    n = len(times)
    cut = n - max(math.ceil(share * n), 1)
    t = times.to_numpy()
    while 0 < cut < n and t[cut] == t[cut - 1]:
        cut += 1
    return min(cut, n - 1)
