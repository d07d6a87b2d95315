"""Account-level daily CSVs: legacy Twitter Analytics daily export and X's account overview."""

from __future__ import annotations

import numpy as np
import pandas as pd

from curation.ingest.csvread import normalise_header, read_table
from curation.ingest.frames import as_of_from_name, daily_frame, empty_tweets, later
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import TextSource
from curation.ingest.validate import count_warnings
from curation.ingest.x_content import parse_day_strings

_LEGACY: dict[str, str] = {
    "tweets published": "tweets_published",
    "impressions": "impressions",
    "engagements": "engagements",
    "retweets": "reposts",
    "replies": "replies",
    "likes": "likes",
    "favorites": "likes",
    "user profile clicks": "profile_visits",
    "url clicks": "url_clicks",
    "follows": "follows",
    "media views": "media_views",
}
_OVERVIEW: dict[str, str] = {
    "impressions": "impressions",
    "likes": "likes",
    "engagements": "engagements",
    "bookmarks": "bookmarks",
    "shares": "shares",
    "new follows": "follows",
    "unfollows": "unfollows",
    "replies": "replies",
    "reposts": "reposts",
    "profile visits": "profile_visits",
    "create post": "tweets_published",
    "video views": "video_views",
    "media views": "media_views",
}


def is_legacy_daily(cells: list[str]) -> bool:
    """`"Date","Tweets published",...`"""
    norm = [normalise_header(c) for c in cells]
    return len(norm) > 2 and norm[0] == "date" and "tweets published" in norm


def is_overview(cells: list[str]) -> bool:
    """`Date,Impressions,Likes,...,Create Post,...`"""
    norm = [normalise_header(c) for c in cells]
    return len(norm) > 2 and norm[0] == "date" and ("create post" in norm or "unfollows" in norm)


def parse_daily(source: TextSource, fmt: str) -> ParsedFile:
    """Parse either daily export (``fmt`` is "legacy_daily" or "x_overview") into `daily`."""
    mapping = _LEGACY if fmt == "legacy_daily" else _OVERVIEW
    name, warnings = source.name, source.warnings
    table = read_table(source)
    norm = [normalise_header(c) for c in table.header]
    rows = table.rows
    dates = rows[0].astype(str).str.strip()
    keep = ~((dates == "") | dates.map(normalise_header).eq("date"))
    rows, dates = rows[keep], dates[keep]
    days = parse_day_strings(dates)
    skipped = [SkippedRow(int(num), f"date {value[:30]!r} is not a date") for num, value in dates[days.isna()].items()]
    rows, days = rows[days.notna()], days[days.notna()]
    cols: dict[str, object] = {"day": [d.date() for d in days]}
    for pos, cell in enumerate(norm):
        field = mapping.get(cell)
        if field and field not in cols and pos in rows.columns:
            cols[field] = rows[pos].tolist()
    bad_counts: dict[str, np.ndarray] = {}
    frame = daily_frame(cols, len(rows), bad_counts)
    warnings.extend(count_warnings(bad_counts, rows.index))
    before = len(frame)
    # Concatenated exports repeat days; later exports saw more of the day, so larger wins.
    frame = (
        frame.assign(_imp=frame["impressions"].astype("Float64").fillna(-1.0))
        .sort_values(["day", "_imp"], ascending=[True, False], kind="stable")
        .drop_duplicates("day", keep="first")
        .drop(columns="_imp")
        .reset_index(drop=True)
    )
    if len(frame) < before:
        warnings.append(f"{before - len(frame)} repeated day(s): kept the row with most impressions.")
    newest_day = None if frame.empty else max(frame["day"])
    newest_ts = None if newest_day is None else pd.Timestamp(newest_day, tz="UTC").to_pydatetime()
    return ParsedFile(
        name=name,
        format=fmt,
        tweets=empty_tweets(),
        daily=frame,
        as_of=later(as_of_from_name(name), newest_ts),
        rows_read=int(keep.sum()),
        skipped=skipped,
        warnings=warnings,
    )
