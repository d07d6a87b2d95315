"""Builders that give parser output the exact canonical columns and dtypes of curation.schema."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from curation.schema import DAILY_COLUMNS, DAILY_METRICS, TWEET_COLUMNS

# Dtypes of the canonical tweet frame (as curation.store.tweets.normalise_tweets produces them).
TEXT_COLUMNS = ("tweet_id", "text", "link_domains")
BOOL_COLUMNS = ("is_reply", "is_retweet", "has_link")
INT_COLUMNS = ("n_hashtags", "n_mentions")
OPTIONAL_TEXT_COLUMNS = ("media_type", "lang")
TIME_DTYPE = "datetime64[ns, UTC]"

# Snowflake ids (Nov 2010 on) carry their creation time in milliseconds.
SNOWFLAKE_EPOCH_MS = 1288834974657
# Ids below this are sequential pre-Snowflake ids with no time in them.
FIRST_SNOWFLAKE_ID = 29_700_859_247

_DIGITS_RE = re.compile(r"^\d{1,20}$")


def empty_tweets() -> pd.DataFrame:
    """A tweet frame with no rows but the canonical columns and dtypes."""
    return tweets_frame({}, 0)


def empty_daily() -> pd.DataFrame:
    """A daily frame with no rows but the canonical columns and dtypes."""
    return daily_frame({}, 0)


def tweets_frame(cols: Mapping[str, Any], n: int) -> pd.DataFrame:
    """Assemble the canonical tweet frame; absent columns get their neutral value or <NA>."""
    out: dict[str, Any] = {}
    for col in TWEET_COLUMNS:
        val = cols.get(col)
        if col == "created_at":
            out[col] = (
                pd.Series(pd.NaT, index=range(n), dtype=TIME_DTYPE)
                if val is None
                else pd.Series(val).astype(TIME_DTYPE).reset_index(drop=True)
            )
        elif col in TEXT_COLUMNS:
            series = pd.Series([""] * n if val is None else val, dtype=object)
            out[col] = series.fillna("").astype(str).reset_index(drop=True)
        elif col in BOOL_COLUMNS:
            out[col] = pd.Series(np.zeros(n, bool) if val is None else val).astype(bool)
        elif col in INT_COLUMNS:
            out[col] = pd.Series(np.zeros(n, np.int64) if val is None else val).astype(np.int64)
        elif col in OPTIONAL_TEXT_COLUMNS:
            series = pd.Series([None] * n if val is None else val, dtype=object)
            out[col] = series.where(series.notna() & (series != ""), None).reset_index(drop=True)
        else:  # metrics
            out[col] = (
                pd.Series(pd.NA, index=range(n), dtype="Int64")
                if val is None
                else to_int64(pd.Series(val)).reset_index(drop=True)
            )
    for key, series in out.items():
        series.index = pd.RangeIndex(n)
        out[key] = series
    return pd.DataFrame(out, columns=list(TWEET_COLUMNS))


def daily_frame(cols: Mapping[str, Any], n: int) -> pd.DataFrame:
    """Assemble the canonical daily frame (day = datetime.date, Int64 metrics)."""
    out: dict[str, Any] = {
        "day": pd.Series([] if n == 0 else cols["day"], dtype=object).reset_index(drop=True)
    }
    for col in DAILY_METRICS:
        val = cols.get(col)
        out[col] = (
            pd.Series(pd.NA, index=range(n), dtype="Int64")
            if val is None
            else to_int64(pd.Series(val)).reset_index(drop=True)
        )
    return pd.DataFrame(out, columns=list(DAILY_COLUMNS))


def to_int64(values: pd.Series) -> pd.Series:
    """Counts as Int64: "825.0" -> 825, "1,234" -> 1234, "-"/""/junk -> <NA> (never 0)."""
    if values.dtype == "Int64":
        return values
    if values.dtype.kind in "iu":
        return values.astype("Int64")
    if values.dtype.kind != "f":
        values = values.astype(object)
        if values.map(lambda v: isinstance(v, str) and "," in v).any():
            values = values.map(lambda v: v.replace(",", "") if isinstance(v, str) else v)
        values = pd.to_numeric(values, errors="coerce")
    floats = values.astype("float64")
    # Counts beyond int64 or non-finite are junk, not data.
    floats = floats.where(np.isfinite(floats) & (floats.abs() < 2**62))
    return floats.round().astype("Int64")


def valid_ids(ids: pd.Series) -> np.ndarray:
    """Writable mask of ids that are plain digit strings (what every X/Twitter id is)."""
    return np.fromiter(
        (isinstance(v, str) and _DIGITS_RE.match(v) is not None for v in ids), bool, len(ids)
    )


def snowflake_times(ids: Sequence[str]) -> pd.Series:
    """UTC creation time encoded in Snowflake ids; NaT for pre-2010 or non-numeric ids."""
    nums = pd.to_numeric(pd.Series(list(ids), dtype=object), errors="coerce")
    nums = nums.where((nums >= FIRST_SNOWFLAKE_ID) & (nums < 2**63))
    ok = nums.notna().to_numpy()
    ms = np.zeros(len(nums), dtype=np.int64)
    if ok.any():
        # Exact integer math: float64 would lose the low bits of 19-digit ids.
        ints = np.array([int(v) for v in pd.Series(ids)[ok]], dtype=np.int64)
        ms[ok] = (ints >> 22) + SNOWFLAKE_EPOCH_MS
    times = pd.Series(pd.to_datetime(ms, unit="ms", utc=True)).astype(TIME_DTYPE)
    return times.where(ok, pd.NaT)


def newest(times: pd.Series) -> datetime | None:
    """Latest timestamp of a series as an aware UTC datetime (None when empty)."""
    if times.empty or times.isna().all():
        return None
    return times.max().to_pydatetime()


_AS_OF_PATTERNS = (
    # legacy: tweet_activity_metrics_<user>_<from>_<to>_<lang>.csv (also the daily export)
    re.compile(r"_(\d{8})_(\d{8})_[a-z]{2}(?:[-_][a-z]+)?(?: \(\d+\))?\.csv$", re.IGNORECASE),
    # new: account_analytics_content_<from>_<to>.csv
    re.compile(r"_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})(?: \(\d+\))?\.csv$", re.IGNORECASE),
)


def as_of_from_name(name: str) -> datetime | None:
    """Export end date from the file name (midnight UTC), or None when the name has none."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for pattern in _AS_OF_PATTERNS:
        m = pattern.search(base)
        if m:
            raw = m.group(2).replace("-", "")
            try:
                day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
            except ValueError:
                return None
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return None


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two optional datetimes."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
