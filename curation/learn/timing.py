"""When a tweet goes out and what the account posted before it: time and account-state features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from curation.learn.util import clean_count
from curation.schema import is_original

STATE_WINDOW = 20  # previous original tweets whose median impressions set the "recent reach" level
GAP_CAP_MINUTES = 7 * 24 * 60.0
# Hour-of-day blocks of the model's time features: 3 h (8 per day) gives the ridge model finer timing
# than the 4-hour Insights/Planner cells (facts.TIMING_CELL_HOURS), which need more posts per cell to judge.
MODEL_HOUR_BLOCK = 3
# Dense columns: structure.structure_values() names the structure ones ("dom:<domain>" per account), then these.
TIME_COLUMNS = tuple(f"wd_{d}" for d in range(7)) + tuple(f"blk_{b}" for b in range(24 // MODEL_HOUR_BLOCK))
STATE_COLUMNS = ("reach_level", "posts_3h", "posts_24h", "gap", "recent_level")
VOLUME_COLUMNS = ("posts_3h", "posts_24h", "gap")
LEVEL_WINDOW = 20  # earlier learned-from tweets whose mean log1p target is the "recent level"


def local_parts(times: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp], tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(weekday 0=Mon, hour) of UTC timestamps in the account's timezone."""
    idx = pd.DatetimeIndex(times if isinstance(times, pd.Series | pd.DatetimeIndex) else list(times))
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    local = idx.tz_convert(tz)
    return local.day_of_week.to_numpy(), local.hour.to_numpy()


def time_values(times: pd.Series | Sequence[pd.Timestamp], tz: str) -> np.ndarray:
    """One-hot weekday + hour block in the account's timezone, shape (n, len(TIME_COLUMNS))."""
    wd, hour = local_parts(times, tz)
    out = np.zeros((len(wd), len(TIME_COLUMNS)))
    out[np.arange(len(wd)), wd] = 1.0
    out[np.arange(len(wd)), 7 + hour // MODEL_HOUR_BLOCK] = 1.0
    return out


def _ns(times: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8



def history_state(tweets: pd.DataFrame) -> pd.DataFrame:
    """Account state before each tweet, from strictly earlier tweets only (index = tweets.index).

    reach_level: log1p median impressions of the previous ``STATE_WINDOW`` original tweets (NaN if none);
    posts_3h / posts_24h: log1p of own posts in the 3 h / 24 h before; gap: log1p minutes since the
    previous post (capped at a week). Retweets count as posts: they fill the same feeds.
    """
    frame = tweets.sort_values("created_at", kind="stable")
    t = _ns(frame["created_at"])
    hour = 3600 * 10**9
    # side="left": a post at the very same instant is not "earlier"
    posts_3h = np.arange(len(t)) - np.searchsorted(t, t - 3 * hour, side="left")
    posts_24h = np.arange(len(t)) - np.searchsorted(t, t - 24 * hour, side="left")
    first_same = np.searchsorted(t, t, side="left")
    posts_3h = posts_3h - (np.arange(len(t)) - first_same)
    posts_24h = posts_24h - (np.arange(len(t)) - first_same)
    prev_t = np.where(first_same > 0, t[np.maximum(first_same - 1, 0)], -1)
    gap = np.where(first_same > 0, (t - prev_t) / 6e10, GAP_CAP_MINUTES)
    gap = np.clip(gap, 0.0, GAP_CAP_MINUTES)

    original = is_original(frame)
    imp = clean_count(frame["impressions"]).where(original.to_numpy())  # a bad stored number is unknown
    level = _rolling_prior_median(imp.to_numpy(float), t)
    out = pd.DataFrame(
        {
            "reach_level": np.log1p(level),
            "posts_3h": np.log1p(posts_3h.astype(float)),
            "posts_24h": np.log1p(posts_24h.astype(float)),
            "gap": np.log1p(gap),
            "recent_level": np.nan,  # set from the target by recent_level() where the model knows it
        },
        index=frame.index,
    )
    return out.reindex(tweets.index)


def recent_level(y: np.ndarray, times: pd.Series) -> np.ndarray:
    """Mean log1p target of the previous LEVEL_WINDOW rows strictly earlier in time (NaN for the first).

    An account whose reach drifts (a bot, a campaign month) earns what it earned lately: the same
    signal as the recent-median baseline B1, as a feature of earlier tweets only.
    """
    t = _ns(times)
    logs = np.log1p(np.asarray(y, float))
    csum = np.concatenate([[0.0], np.cumsum(logs)])
    n_before = np.searchsorted(t, t, side="left")
    start = np.maximum(n_before - LEVEL_WINDOW, 0)
    count = n_before - start
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[n_before] - csum[start]) / np.maximum(count, 1), np.nan)


def _rolling_prior_median(values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Median of the last STATE_WINDOW non-NaN values strictly before each row's time (t sorted)."""
    known = ~np.isnan(values)
    if not known.any():
        return np.full(len(values), np.nan)
    medians = pd.Series(values[known]).rolling(STATE_WINDOW, min_periods=1).median().to_numpy()
    n_before = np.searchsorted(t[known], t, side="left")  # known values strictly earlier than each row
    return np.where(n_before > 0, medians[np.maximum(n_before - 1, 0)], np.nan)



@dataclass
class AccountState:
    """What the model knows about the account when it scores a draft: the latest history."""

    post_times_ns: np.ndarray  # UTC ns of recent own posts, sorted
    reach_level: float  # log1p median impressions of the last original tweets (NaN if unknown)
    typical: dict[str, float] = field(default_factory=dict)  # median volume features of training rows
    target_level: float = float("nan")  # mean log1p target of the latest LEVEL_WINDOW learned-from tweets

    @classmethod
    def from_history(cls, tweets: pd.DataFrame, typical: dict[str, float]) -> AccountState:
        """Latest state after every tweet in ``tweets``."""
        t = np.sort(_ns(tweets["created_at"]))
        frame = tweets.loc[is_original(tweets)].sort_values("created_at", kind="stable")
        imp = clean_count(frame["impressions"]).dropna().to_numpy(float)
        level = float(np.log1p(np.median(imp[-STATE_WINDOW:]))) if len(imp) else float("nan")
        return cls(post_times_ns=t[-500:].astype(np.int64), reach_level=level, typical=dict(typical))

    def at(self, slots: Sequence[pd.Timestamp] | pd.Series) -> pd.DataFrame:
        """State features for posting at each slot.

        Within 24 h of the last known post the volume features come from the stored history; later
        slots use the account's usual rhythm (history that old says nothing about the slot's day).
        """
        s = _ns(pd.Series(list(slots)))
        t = self.post_times_ns
        hour = 3600 * 10**9
        n_before = np.searchsorted(t, s, side="left")
        posts_3h = n_before - np.searchsorted(t, s - 3 * hour, side="left")
        posts_24h = n_before - np.searchsorted(t, s - 24 * hour, side="left")
        last = np.where(n_before > 0, t[np.maximum(n_before - 1, 0)], np.iinfo(np.int64).min // 2)
        gap = np.clip((s - last) / 6e10, 0.0, GAP_CAP_MINUTES)
        out = pd.DataFrame(
            {
                "reach_level": np.full(len(s), self.reach_level),
                "posts_3h": np.log1p(posts_3h.astype(float)),
                "posts_24h": np.log1p(posts_24h.astype(float)),
                "gap": np.log1p(gap),
                "recent_level": np.full(len(s), self.target_level),
            }
        )
        stale = (n_before == 0) | ((s - last) > 24 * hour)
        for col in VOLUME_COLUMNS:
            if col in self.typical:
                out.loc[stale, col] = self.typical[col]
        return out
