"""Result types shared by every ingest parser: one ParsedFile per readable upload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

# Key -> the name users see in messages ("Upload one of: ...") and in the import report.
FORMATS: dict[str, str] = {
    "legacy_analytics": "Twitter Analytics per-tweet CSV (2015–2022)",
    "x_content": "X analytics content CSV (2024+)",
    "x_archive": "X data archive (tweets.js / tweet.js)",
    "legacy_archive_csv": "Old archive tweets.csv",
    "grailbird": "Old archive Grailbird data/js/tweets/*.js",
    "mastodon": "Mastodon outbox.json",
    "legacy_daily": "Twitter Analytics daily CSV",
    "x_overview": "X account overview CSV",
    "archive_followers": "X archive follower.js",
    "archive_following": "X archive following.js",
}


@dataclass
class SkippedRow:
    """A record that was not imported and why.

    ``row`` is 1-based: in a CSV the record number with the header as 1 (a spreadsheet's row
    number unless the file has blank lines, which are not records); in JSON the item's position
    in its array (in a split archive, within the part named in ``reason``).
    """

    row: int
    reason: str


@dataclass
class ParsedFile:
    """One upload read into canonical frames, plus what the import report needs to say.

    ``tweets`` has exactly schema.TWEET_COLUMNS (tweet_id/text/link_domains str, created_at
    datetime64[ns, UTC], flags bool, counts int64, media_type/lang object or None, metrics Int64
    with <NA> where the export has no such number); ``daily`` has schema.DAILY_COLUMNS (day a
    datetime.date). ``as_of`` is when the numbers were taken: the export's end date from its
    file name, an archive's manifest generation time, or else the newest time in the file.
    ``rows_read`` counts data records (repeated header lines and blank lines excluded).
    ``account_handle`` is the account the file belongs to, lower case without "@" (from status
    links, the archive's manifest or Grailbird's user; ``user@host`` for Mastodon), and
    ``account_id`` its numeric X id when the file says; None when the file does not tell.
    """

    name: str
    format: str
    tweets: pd.DataFrame
    daily: pd.DataFrame
    followers: list[str] | None = None
    following: list[str] | None = None
    as_of: datetime | None = None
    rows_read: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    account_handle: str | None = None
    account_id: str | None = None
