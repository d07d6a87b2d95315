"""Which tweets the model learns from, and which target: url clicks where there are enough, else engagement."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from curation.errors import CurationError, NotEnoughData
from curation.facts import TARGET_LABELS, check_timezone
from curation.learn.textblock import MAX_MODEL_TEXT
from curation.learn.timing import history_state, recent_level
from curation.learn.util import clean_count
from curation.text import text_structure

MIN_TRAIN = 50  # eligible tweets with the target a model needs on its own
# With the shipped cross-account prior (prior.py) fewer will do. Leave-one-account-out on the 8 real click
# accounts, a fit on 20 / 25 / 30 tweets shrunk toward a prior built without that account ranked the account's
# latest 20 % with a median Spearman of 0.23 / 0.25 / 0.23 against 0.19 / 0.20 / 0.13 alone (better on 5, 5, 6
# of 7). 30 tweets leave 24 to learn from and 6 to judge on; fewer leave the validation almost nothing.
MIN_TRAIN_PRIOR = 30
MIN_CLICKED = 10  # tweets with at least one url click before clicks (not engagement) are learnable
# Learn from the most recent tweets only: a huge history adds little for ranking next week's drafts and
# would make training memory grow without bound (issue 13).
MAX_TRAIN_ROWS = 20_000


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
    include_replies: bool = False  # replies are among the rows (flagged by is_reply)
    n_replies: int = 0
    n_left_out: int = 0  # rows whose target was negative or not a finite number
    n_before_window: int = 0  # rows older than the MAX_TRAIN_ROWS window

    def check_learnable(self) -> None:
        """NotEnoughData when every target is the same: nothing tells a stronger tweet from a weaker one."""
        if len(self.y) and np.ptp(self.y) == 0:
            kind = "original tweets" + (" and replies" if self.include_replies else "")
            raise NotEnoughData(
                f"All {len(self.y)} {kind} have the same {TARGET_LABELS[self.target]} ({self.y[0]:g}): there is "
                "nothing to tell a stronger tweet from a weaker one. Upload exports that carry the real numbers "
                "(X analytics → export data)."
            )


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
    # Features read at most MAX_MODEL_TEXT characters: a 5 MB text must not cost minutes or gigabytes.
    frame["text"] = frame["text"].fillna("").astype(str).str.slice(0, MAX_MODEL_TEXT)
    frame["link_domains"] = frame["link_domains"].fillna("").astype(str)
    frame["tweet_id"] = frame["tweet_id"].astype(str)
    return frame.sort_values(["created_at", "tweet_id"], kind="stable", ignore_index=True)


def engagement(frame: pd.DataFrame) -> pd.Series:
    """likes + reposts; NA only when both are missing."""
    likes = clean_count(frame["likes"])
    reposts = clean_count(frame["reposts"])
    return (likes.fillna(0) + reposts.fillna(0)).where(likes.notna() | reposts.notna())


def _bad_count(values: pd.Series) -> pd.Series:
    """Rows that hold a value which is not a usable count (missing values are not bad)."""
    raw = values.astype(object)
    present = raw.notna()
    return present & clean_count(values).isna()


def prepare(
    tweets: pd.DataFrame, tz: str, include_replies: bool | None = False, include_retweets: bool = False,
    min_train: int = MIN_TRAIN,
) -> TrainingData:
    """Eligible tweets and the target; raises NotEnoughData saying what is missing.

    ``include_replies`` None (the default of the product): replies are rows too, flagged, and the
    caller decides by validation whether to keep them. ``min_train``: tweets with the target needed
    (MIN_TRAIN_PRIOR when the caller shrinks toward the cross-account prior).
    """
    check_timezone(tz)
    history = canonical(tweets)
    state = history_state(history)
    keep = np.ones(len(history), bool)
    if not include_retweets:
        keep &= ~history["is_retweet"].to_numpy()
    if include_replies is False:
        keep &= ~history["is_reply"].to_numpy()
    base = history.loc[keep]
    bad = _bad_count(base["url_clicks"]) | _bad_count(base["likes"]) | _bad_count(base["reposts"])
    clicks = clean_count(base["url_clicks"])
    eng = engagement(base)
    n_clicks, n_clicked, n_eng = int(clicks.notna().sum()), int((clicks > 0).sum()), int(eng.notna().sum())
    with_replies = include_replies is not False and bool(base["is_reply"].any())
    kind = "original tweets" + (" and replies" if with_replies else "")
    notes: list[str] = []
    if n_clicks >= min_train and n_clicked >= MIN_CLICKED:
        target, y = "url_clicks", clicks
    elif n_eng >= min_train:
        target, y = "engagement", eng
        if n_clicks >= min_train:
            notes.append(
                f"Only {n_clicked} of the {n_clicks} {kind} with url clicks got a click, too few to learn "
                "from (need 10): scores are predicted engagement (likes + reposts) instead."
            )
        elif n_clicks:
            notes.append(
                f"Only {n_clicks} {kind} have url clicks (need {min_train}): scores are predicted engagement "
                "(likes + reposts) instead. Upload analytics exports covering more months to learn clicks."
            )
    elif n_clicks >= min_train:
        raise NotEnoughData(
            f"Only {n_clicked} of {n_clicks} {kind} with url clicks got a click; need {MIN_CLICKED}. Upload more "
            "history, e.g. the analytics exports of earlier months, or tweets that carry links."
        )
    elif n_clicks:
        raise NotEnoughData(
            f"{n_clicks} {kind} with url clicks; need {min_train}. Upload more history, e.g. the tweet activity "
            "CSVs of earlier months (X analytics → export data) or a content CSV covering a longer period."
            + _replies_hint(history, n_clicks, include_replies, "url_clicks", min_train)
        )
    else:
        raise NotEnoughData(
            f"{n_eng} {kind} with likes or reposts; need {min_train}. Upload more history, e.g. your X data "
            "archive (tweets.js) or analytics exports covering more months."
            + _replies_hint(history, n_eng, include_replies, "engagement", min_train)
        )
    n_left_out = int((bad & y.isna()).sum())
    if n_left_out:
        notes.append(
            f"{n_left_out} tweet(s) with a negative or unreadable {TARGET_LABELS[target]} count were left out "
            "of training."
        )
    sel = base.index[y.notna().to_numpy()]
    n_before = max(len(sel) - MAX_TRAIN_ROWS, 0)
    if n_before:
        sel = sel[n_before:]
        since = history.loc[sel[0], "created_at"]
        notes.append(
            f"Learned from the most recent {MAX_TRAIN_ROWS:,} tweets (from {since:%Y-%m-%d}); "
            f"the {n_before:,} older ones were left out to keep training fast and its memory bounded."
        )
    target_values = y.loc[sel].to_numpy(float)
    rows = history.loc[sel].reset_index(drop=True)
    rows = pd.concat([rows, text_structure(rows["text"])], axis=1)
    row_state = state.loc[sel].reset_index(drop=True)
    row_state["recent_level"] = recent_level(target_values, rows["created_at"])
    return TrainingData(
        rows=rows,
        state=row_state,
        y=target_values,
        impressions=clean_count(rows["impressions"]).to_numpy(float),
        target=target,
        history=history,
        notes=notes,
        include_replies=bool(rows["is_reply"].any()),
        n_replies=int(rows["is_reply"].sum()),
        n_left_out=n_left_out,
        n_before_window=n_before,
    )


def _replies_hint(history: pd.DataFrame, n_have: int, include_replies: bool, target: str, min_train: int) -> str:
    """' Or count your N replies ...' when replies with the target would make up the shortfall."""
    if include_replies is not False:
        return ""
    replies = history.loc[history["is_reply"].to_numpy() & ~history["is_retweet"].to_numpy()]
    values = clean_count(replies["url_clicks"]) if target == "url_clicks" else engagement(replies)
    n_replies = int(values.notna().sum())
    if n_replies and n_replies + n_have >= min_train:
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
