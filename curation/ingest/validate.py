"""Validation at the edge: every parsed value fits the database and the analyses, or is reported.

Parsers already skip rows without a usable id or time and turn counts that are not finite whole
numbers >= 0 into <NA> (frames.to_counts; ``count_warnings`` names the rows). ``bound_parsed``
runs last on every ParsedFile, whatever the format, so that nothing a hostile or damaged file
holds reaches PostgreSQL as a NUL byte, an over-long string or a negative count (which would
raise there, or break training later): NUL bytes are removed, text is cut at X's longest post,
short fields longer than their column become empty, and every change is said in a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.ingest.frames import valid_ids
from curation.ingest.limits import MAX_ID_DIGITS, MAX_TEXT_CHARS, SHORT_FIELD_CHARS
from curation.ingest.result import ParsedFile
from curation.schema import DAILY_METRICS, METRICS

# How many rows or ids a warning lists before it says "and N more".
_SHOWN = 8


def listing(items: Sequence[object]) -> str:
    """`5, 9, 12` or `5, 9, 12, ... and 40 more`."""
    shown = ", ".join(str(i) for i in items[:_SHOWN])
    return shown if len(items) <= _SHOWN else f"{shown} and {len(items) - _SHOWN} more"


def count_warnings(bad: dict[str, np.ndarray], rows: Sequence[object]) -> list[str]:
    """One warning per metric whose cells held something that is not a count, naming the rows."""
    out = []
    for metric, positions in bad.items():
        where = [rows[int(p)] for p in positions]
        out.append(
            f"{metric} in row(s) {listing(where)} is not a whole number of 0 or more: left empty "
            "(not 0). Check those rows in the file."
        )
    return out


def bound_parsed(parsed: ParsedFile) -> None:
    """Make one parsed file safe to store, in place (see the module docstring)."""
    if len(parsed.tweets):
        parsed.tweets = _bound_tweets(parsed.tweets, parsed.warnings)
    if len(parsed.daily):
        _negative_to_na(parsed.daily, DAILY_METRICS, parsed.warnings, "day")
    # Reasons and warnings quote the file's cells; a NUL byte there must not reach the database.
    for row in parsed.skipped:
        row.reason = row.reason.replace("\x00", "")
    parsed.warnings = [w.replace("\x00", "") for w in parsed.warnings]
    for attr in ("followers", "following"):
        ids = getattr(parsed, attr)
        if ids is not None:
            good = [i for i in ids if i.isdigit() and len(i) <= MAX_ID_DIGITS]
            if len(good) < len(ids):
                parsed.warnings.append(f"{len(ids) - len(good)} {attr} account id(s) were not X ids: left out.")
                setattr(parsed, attr, good)


def _bound_tweets(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    ok_np = valid_ids(frame["tweet_id"])
    if not ok_np.all():
        # Parsers check ids themselves (with row numbers); this is the net under all of them.
        warnings.append(
            f"{int((~ok_np).sum())} record(s) with an id that is not an X/Mastodon id "
            f"(digits, at most {MAX_ID_DIGITS}) were left out."
        )
        frame = frame[ok_np].reset_index(drop=True)
    frame = frame.copy()
    for col in ("text", "link_domains"):
        values = pa.array(frame[col].array, pa.string())
        has_nul = pc.fill_null(pc.match_substring(values, "\x00"), False).to_numpy(zero_copy_only=False)
        if has_nul.any():
            frame[col] = frame[col].str.replace("\x00", "", regex=False)
            if col == "text":
                warnings.append(
                    f"Removed NUL bytes (invisible control characters) from the text of tweet(s) "
                    f"{listing(frame['tweet_id'][has_nul].tolist())}."
                )
    lengths = pc.utf8_length(pa.array(frame["text"].array, pa.string())).to_numpy(zero_copy_only=False)
    too_long = lengths > MAX_TEXT_CHARS
    if too_long.any():
        frame.loc[too_long, "text"] = frame.loc[too_long, "text"].str.slice(0, MAX_TEXT_CHARS)
        warnings.append(
            f"Text of tweet(s) {listing(frame['tweet_id'][too_long].tolist())} was longer than "
            f"{MAX_TEXT_CHARS:,} characters (X's longest post): cut there."
        )
    for col, size in SHORT_FIELD_CHARS.items():
        series = frame[col]
        present = series.notna().to_numpy()
        if not present.any():
            continue
        cleaned = series.where(~present, series.astype("str").str.replace("\x00", "", regex=False))
        bad = present & (cleaned.astype("str").str.len().to_numpy() > size)
        cleaned = cleaned.where(~bad, None)
        frame[col] = cleaned.where(cleaned.notna() & (cleaned != ""), None).astype(object)
        if bad.any():
            warnings.append(
                f"{col} of tweet(s) {listing(frame['tweet_id'][bad].tolist())} was longer than "
                f"{size} characters, so not a real {col}: left empty."
            )
    _negative_to_na(frame, METRICS, warnings, "tweet_id")
    return frame


def _negative_to_na(frame: pd.DataFrame, metrics: Sequence[str], warnings: list[str], key: str) -> None:
    """Net under to_counts: a negative count from any path becomes <NA>, with a warning."""
    for col in metrics:
        neg = (frame[col] < 0).fillna(False).to_numpy(dtype=bool)
        if neg.any():
            frame.loc[neg, col] = pd.NA
            warnings.append(
                f"{col} of {listing(frame[key][neg].astype(str).tolist())} was negative: left empty (not 0)."
            )
