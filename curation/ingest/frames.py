"""Builders that give parser output the exact canonical columns and dtypes of curation.schema."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.ingest.limits import MAX_ID_DIGITS
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


def empty_tweets() -> pd.DataFrame:
    """A tweet frame with no rows but the canonical columns and dtypes."""
    return _EMPTY_TWEETS.copy()


def empty_daily() -> pd.DataFrame:
    """A daily frame with no rows but the canonical columns and dtypes."""
    return _EMPTY_DAILY.copy()


def tweets_frame(cols: Mapping[str, Any], n: int, bad_counts: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Assemble the canonical tweet frame; absent columns get their neutral value or <NA>.

    Values may be lists, numpy arrays, Arrow arrays or Series; they are taken positionally.
    ``bad_counts``, when given, receives per metric the positions whose value was not a count
    (see to_counts), so the parser can warn with row numbers.
    """
    out: dict[str, Any] = {}
    for col in TWEET_COLUMNS:
        val = cols.get(col)
        if col == "created_at":
            series = (
                pd.Series(pd.NaT, index=range(n), dtype=TIME_DTYPE)
                if val is None
                else pd.Series(np.asarray(val) if not isinstance(val, pd.Series) else val.array)
            )
            out[col] = series.astype(TIME_DTYPE) if series.dtype != TIME_DTYPE else series
        elif col in TEXT_COLUMNS:
            out[col] = _str_series([""] * n if val is None else val)
        elif col in BOOL_COLUMNS:
            out[col] = pd.Series(np.zeros(n, bool) if val is None else _plain(val), dtype=bool)
        elif col in INT_COLUMNS:
            out[col] = pd.Series(np.zeros(n, np.int64) if val is None else _plain(val), dtype=np.int64)
        elif col in OPTIONAL_TEXT_COLUMNS:
            series = pd.Series([None] * n if val is None else _plain(val), dtype=object)
            out[col] = series.where(series.notna() & (series != ""), None)
        else:
            out[col] = _metric(col, val, n, bad_counts)
    for key, series in out.items():
        if len(series) != n:
            raise ValueError(f"column {key} has {len(series)} values, expected {n}")
        series.index = pd.RangeIndex(n)
    return pd.DataFrame(out, columns=list(TWEET_COLUMNS))


def _metric(col: str, val: Any, n: int, bad_counts: dict[str, np.ndarray] | None) -> pd.Series:
    """One metric column as Int64 (<NA> when the export has no such column); flags cells that are not counts."""
    if val is None:
        return pd.Series(pd.NA, index=range(n), dtype="Int64")
    series, bad = to_counts(val)
    if bad_counts is not None and bad.any():
        bad_counts[col] = bad.nonzero()[0]
    return series


def _plain(val: Any) -> Any:
    """Positional values: a Series loses its index, an Arrow array becomes a list/ndarray."""
    if isinstance(val, pd.Series):
        return val.to_numpy()
    if isinstance(val, pa.Array | pa.ChunkedArray):
        return val.to_pylist()
    return val


def _str_series(val: Any) -> pd.Series:
    if isinstance(val, pa.ChunkedArray):
        val = val.combine_chunks()
    if isinstance(val, pa.Array):
        return pd.Series(val.fill_null(""), dtype="str")
    if isinstance(val, pd.Series) and val.dtype == "str":
        return val.fillna("").reset_index(drop=True)
    series = pd.Series(list(val), dtype=object)
    return series.where(series.notna(), "").astype("str")


def daily_frame(cols: Mapping[str, Any], n: int, bad_counts: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Assemble the canonical daily frame (day = datetime.date, Int64 metrics); see tweets_frame."""
    out: dict[str, Any] = {"day": pd.Series([] if n == 0 else list(cols["day"]), dtype=object)}
    for col in DAILY_METRICS:
        out[col] = _metric(col, cols.get(col), n, bad_counts)
        out[col].index = pd.RangeIndex(n)
    return pd.DataFrame(out, columns=list(DAILY_COLUMNS))


_NUMBER_RE2 = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
# Larger counts are junk (and would not fit a BIGINT after arithmetic).
_MAX_COUNT = 2.0**62


def to_counts(values: Any) -> tuple[pd.Series, np.ndarray]:
    """Counts as Int64, and a mask of cells that held a value which is not a count.

    A count is a finite whole number >= 0. Anything else that was written in the cell (-5, 2.5,
    inf, "abc") becomes <NA>, never 0, and is flagged so the parser can name the row; an empty
    cell or X's "-" is simply <NA> (the export did not say) and is not flagged.
    """
    if isinstance(values, pd.Series):
        if values.dtype == "Int64" or values.dtype.kind in "iu":
            ints = values.astype("Int64").reset_index(drop=True)
            bad = (ints < 0).fillna(False).to_numpy(dtype=bool)
            return ints.mask(bad), bad
        if values.dtype.kind == "f":
            return _floats_to_counts(pa.array(values.to_numpy(), pa.float64(), from_pandas=True))
        if values.dtype == "str":
            return _strings_to_counts(pa.array(values.array, pa.string()))
        values = values.tolist()
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_string(values.type):
            return _strings_to_counts(values)
        return _floats_to_counts(values.cast(pa.float64()))
    # Python objects: archive counts are strings ("12"), Grailbird's are ints.
    try:
        return _strings_to_counts(pa.array(values, pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        strings = [None if v is None else "junk" if isinstance(v, bool) else str(v) for v in values]
        return _strings_to_counts(pa.array(strings, pa.string()))


def _strings_to_counts(arr: pa.Array) -> tuple[pd.Series, np.ndarray]:
    if len(arr) == 0:
        return pd.Series([], dtype="Int64"), np.zeros(0, bool)
    try:
        # Clean exports ("825.0", "0") convert in one kernel call; anything else takes the
        # checked path below, where junk becomes <NA> instead of an error.
        floats = pc.cast(arr, pa.float64())
        return _floats_to_counts(floats, pc.is_valid(arr).to_numpy(zero_copy_only=False).astype(bool))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    cleaned = pc.utf8_trim_whitespace(pc.replace_substring(arr, ",", ""))
    ok = pc.fill_null(pc.match_substring_regex(cleaned, _NUMBER_RE2), False)
    numbers = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.float64())
    written = pc.fill_null(pc.and_(pc.not_equal(cleaned, ""), pc.not_equal(cleaned, "-")), False)
    return _floats_to_counts(numbers, written.to_numpy(zero_copy_only=False).astype(bool))


def _floats_to_counts(arr: pa.Array, written: np.ndarray | None = None) -> tuple[pd.Series, np.ndarray]:
    floats = arr.to_numpy(zero_copy_only=False).astype(np.float64)
    if written is None:
        written = ~np.isnan(floats)  # null and NaN are "not said"; inf is a (bad) value
    safe = np.nan_to_num(floats, nan=-1.0, posinf=-1.0, neginf=-1.0)
    good = np.isfinite(floats) & (safe >= 0) & (safe < _MAX_COUNT) & (np.floor(safe) == safe)
    ints = np.where(good, safe, 0.0).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(ints, ~good)), written & ~good


def _ids_arrow(ids: Any) -> pa.Array:
    if isinstance(ids, pa.Array):
        return ids
    if isinstance(ids, pd.Series) and ids.dtype == "str":
        return pa.array(ids.array, pa.string())
    return pa.array(_plain(ids), pa.string(), from_pandas=True)


def valid_ids(ids: Any) -> np.ndarray:
    """Writable mask of ids that are plain digit strings (what every X/Twitter id is)."""
    arr = _ids_arrow(ids)
    ok = pc.and_(pc.ascii_is_decimal(arr), pc.less_equal(pc.binary_length(arr), MAX_ID_DIGITS))
    return pc.fill_null(ok, False).to_numpy(zero_copy_only=False).astype(bool)


def bad_id_reasons(ids: pd.Series, label: str) -> pd.Series:
    """Why each id is unusable, for the skipped-rows report (only read where valid_ids is False)."""
    raw = ids.astype("str")
    shown = raw.str.replace("\x00", "", regex=False)
    digits = raw.str.fullmatch(r"\d+").fillna(False)
    sizes = pd.Series([f"{len(v):,}" for v in shown], index=shown.index, dtype="str")
    long = label + " has " + sizes + " digits; X ids have at most 20"
    return long.where(digits, label + " '" + shown.str.slice(0, 30) + "' is not a number")


def snowflake_times(ids: Any) -> pd.Series:
    """UTC creation time encoded in Snowflake ids; NaT for pre-2010 or non-numeric ids."""
    arr = _ids_arrow(ids)
    ok = pc.fill_null(pc.match_substring_regex(arr, r"^\d{1,19}$"), False)
    # Exact integer math: float64 would lose the low bits of 19-digit ids.
    nums = pc.cast(pc.if_else(ok, arr, "0"), pa.uint64()).to_numpy(zero_copy_only=False)
    ok_np = ok.to_numpy(zero_copy_only=False) & (nums >= FIRST_SNOWFLAKE_ID) & (nums < 2**63)
    ms = np.where(ok_np, (nums >> np.uint64(22)).astype(np.int64) + SNOWFLAKE_EPOCH_MS, 0)
    times = pd.Series(pd.to_datetime(ms, unit="ms", utc=True)).astype(TIME_DTYPE)
    return times.where(ok_np, pd.NaT)


def newest(times: pd.Series) -> datetime | None:
    """Latest timestamp of a series as an aware UTC datetime (None when empty)."""
    if times.empty or times.isna().all():
        return None
    return times.max().to_pydatetime()


_AS_OF_PATTERNS = (
    # legacy: tweet_activity_metrics_<user>_<from>_<to>_<lang>.csv (also the daily export)
    re.compile(r"_(\d{8})_(\d{8})_[a-z]{2}(?:[-_][a-z]+)?(?: \(\d+\))?\.csv$", re.IGNORECASE),
    # new: account_analytics_content_<from>_<to>.csv
    # (a second download is saved as "... (2).csv" or "...-2.csv")
    re.compile(r"_(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})(?: \(\d+\)|-\d{1,3})?\.csv$", re.IGNORECASE),
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


# Built once: assembling a frame column by column costs milliseconds, and most files need one.
_EMPTY_TWEETS = tweets_frame({}, 0)
_EMPTY_DAILY = daily_frame({}, 0)


_MONTH_NAMES = pa.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
_MONTH_NUMBERS = pa.array([f"{i:02d}" for i in range(1, 13)])
# Fixed layouts of the exports' time stamps: (slow strptime format for odd rows, how to cut).
TIME_LAYOUTS: dict[str, str] = {
    "legacy": "%Y-%m-%d %H:%M %z",  # 2021-04-30 09:32 +0000
    "old_csv": "%Y-%m-%d %H:%M:%S %z",  # 2017-11-02 19:56:47 +0000
    "archive": "%a %b %d %H:%M:%S %z %Y",  # Thu Nov 03 08:50:26 +0000 2022
}


def parse_utc(raw: pd.Series, layout: str) -> pd.Series:
    """Time stamps of a known export layout as datetime64[ns, UTC]; NaT where unreadable.

    pandas parses `%z` and `%b` row by row in Python (about 1 s per 100k distinct values), so
    the fixed-position layouts are cut into an ISO string and an offset, both vectorised; rows
    that do not fit the layout get the slow, general parse.
    """
    raw = raw.astype("str").str.strip()
    if layout == "archive":
        names = pa.array(raw.str.slice(4, 7).array, pa.string())
        month = pc.take(_MONTH_NUMBERS, pc.index_in(names, value_set=_MONTH_NAMES)).fill_null("??")
        local = (
            raw.str.slice(26, 30) + "-" + pd.Series(month, dtype="str", index=raw.index)
            + "-" + raw.str.slice(8, 10) + " " + raw.str.slice(11, 19)
        )  # fmt: skip
        offset = raw.str.slice(20, 25)
        shape_ok = raw.str.len() == 30
        iso = "%Y-%m-%d %H:%M:%S"
    else:
        width = 16 if layout == "legacy" else 19
        local, offset = raw.str.slice(0, width), raw.str.slice(width).str.strip()
        shape_ok = raw.str.len() == width + 6
        iso = "%Y-%m-%d %H:%M" if layout == "legacy" else "%Y-%m-%d %H:%M:%S"
    naive = pd.to_datetime(local.where(shape_ok, ""), format=iso, errors="coerce")
    in_utc = (offset == "+0000").to_numpy(dtype=bool)
    if in_utc.all():  # what X and Twitter always write
        times = naive.dt.tz_localize("UTC")
    else:
        arr = pa.array(offset.array, pa.string())
        ok = pc.fill_null(pc.match_substring_regex(arr, r"^[+-]\d{4}$"), False)
        digits = pc.if_else(ok, arr, "+0000")
        hours = pc.cast(pc.utf8_slice_codeunits(digits, 1, 3), pa.int64()).to_numpy()
        mins = pc.cast(pc.utf8_slice_codeunits(digits, 3, 5), pa.int64()).to_numpy()
        sign = np.where(pc.starts_with(digits, "-").to_numpy(zero_copy_only=False), -1, 1)
        shift = pd.to_timedelta(sign * (hours * 60 + mins), unit="min")
        times = (naive - shift).dt.tz_localize("UTC")
        times[~ok.to_numpy(zero_copy_only=False)] = pd.NaT
    odd = times.isna() & (raw != "")
    if odd.any():
        # Every export has changed its date form over the years (Grailbird months write both
        # `Fri Jul 31 10:00:00 +0000 2009` and `2017-10-31 19:47:25 +0000`): try the layout's
        # own form, then the other known forms, then ISO 8601. A time without offset is UTC,
        # which is what every one of these exports writes.
        formats = [TIME_LAYOUTS[layout], *(f for k, f in TIME_LAYOUTS.items() if k != layout), "ISO8601"]
        for fmt in formats:
            found = pd.to_datetime(raw[odd], format=fmt, utc=True, errors="coerce")
            times[odd] = found
            odd = times.isna() & (raw != "")
            if not odd.any():
                break
    return times.astype(TIME_DTYPE)
