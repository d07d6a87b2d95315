"""X analytics content CSV (2024+): header variants A and B, Japanese, or any language by position.

`Date` is only a calendar day, so the posting time comes from the Snowflake post id and is
checked against `Date` (±1 day, since `Date` is in the account's time zone). X's junk rows with
an empty id and a `.../status/undefined` link are skipped and reported.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from curation.ingest.csvread import first_record, header_cells, normalise_header, read_table
from curation.ingest.csvtweets import data_rows, finish, skip_rows
from curation.ingest.frames import bad_id_reasons, snowflake_times, valid_ids
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import TextSource

# All variants share one column order; only names differ (A, B, Japanese).
_ORDER: tuple[str, ...] = (
    "id",
    "date",
    "text",
    "link",
    "impressions",
    "likes",
    "engagements",
    "bookmarks",
    "shares",
    "follows",
    "replies",
    "reposts",
    "profile_visits",
    "detail_expands",
    "url_clicks",
    "hashtag_clicks",
    "permalink_clicks",
)
_KNOWN: tuple[tuple[str, ...], ...] = (
    (
        "post id", "date", "post text", "link", "impressions", "likes", "engagements",
        "bookmarks", "share", "new follows", "replies", "reposts", "profile visits",
        "detail expands", "url clicks", "hashtag clicks", "permalink clicks",
    ),
    (
        "post id", "date", "post text", "post link", "impressions", "likes", "engagements",
        "bookmarks", "shares", "new follows", "replies", "reposts", "profile visits",
        "detail expands", "url clicks", "hashtag clicks", "permalink clicks",
    ),
    (
        "ポストid", "日付", "ポスト本文", "ポストのリンク", "インプレッション数", "いいね",
        "エンゲージメント", "ブックマーク", "共有された回数", "新しいフォロー", "返信", "リポスト",
        "プロフィールへのアクセス数", "詳細のクリック数", "urlのクリック数",
        "ハッシュタグのクリック数", "パーマリンクのクリック数",
    ),
)  # fmt: skip
ID_HEADERS = frozenset(h[0] for h in _KNOWN)
_METRICS = _ORDER[4:]
_DATE_LIKE_RE = re.compile(r"[A-Za-z]{3},? +[A-Za-z]{3} +\d{1,2},? +\d{4}")

POSITION_WARNING = "Header language not recognised: columns mapped by position"
TIME_WARNING = "Posting time taken from the post id (the export's Date column has no time of day); times are UTC."


def known_header(cells: list[str]) -> bool:
    """Header variant A, B or the Japanese one (extra trailing columns tolerated)."""
    norm = tuple(normalise_header(c) for c in cells[: len(_ORDER)])
    return norm in _KNOWN


def shaped_like(text: str) -> bool:
    """Unknown header language with the content layout: id, English date, text, status link."""
    cells, delim = header_cells(text)
    if len(cells) != len(_ORDER):
        return False
    rec = first_record(text, delim)
    return (
        len(rec) == len(_ORDER)
        and (rec[0].strip().isdigit() or rec[0].strip() == "")
        and "/status/" in rec[3]
        and bool(_DATE_LIKE_RE.match(rec[1].strip()) or rec[1].strip() == "")
    )


def parse_x_content(source: TextSource) -> ParsedFile:
    """Parse an X analytics content export into canonical tweets."""
    name, warnings = source.name, source.warnings
    cells, _ = header_cells(source.head)
    if not known_header(cells):
        warnings.append(POSITION_WARNING)
    extra = [c.strip() for c in cells[len(_ORDER) :] if c.strip()]
    if extra:
        # A content CSV re-written by its owner's script (llmpedia adds is_thread_start, ...).
        warnings.append(
            f"Column(s) not in X's export ignored: {', '.join(extra[:10])}"
            f"{' and more' if len(extra) > 10 else ''}. The file looks re-written after export; "
            "the columns X writes were read as usual."
        )
    table = read_table(source, columns=range(len(_ORDER)), numeric=range(4, len(_ORDER)))
    rows = data_rows(table.rows, 0, ID_HEADERS | {normalise_header(cells[0])})
    rows_read = len(rows)
    numbers = rows.index
    empty = pd.Series("", index=rows.index, dtype="str")
    # Text is kept as written (leading spaces included); id, date and link are trimmed; counts
    # may already be numbers (see read_table).
    col = {
        f: (rows[i].str.strip() if f in ("id", "date", "link") else rows[i]) if i in rows.columns else empty
        for i, f in enumerate(_ORDER)
    }
    ids, link = col["id"], col["link"]

    skipped: list[SkippedRow] = []
    ok = valid_ids(ids)
    ragged = numbers.isin([num for num, _ in table.ragged])
    skip_rows(skipped, numbers, ragged, f"has more cells than the header's {len(cells)}")
    junk = ((ids == "") & link.str.endswith("/status/undefined")).to_numpy() & ~ragged
    skip_rows(skipped, numbers, junk, "X export artefact: row without a post id (link ends in /status/undefined)")
    bad_id = ~ok & ~junk & ~ragged
    for num, why in zip(numbers[bad_id], bad_id_reasons(ids[bad_id], "post id"), strict=True):
        skipped.append(SkippedRow(int(num), why))
    ok &= ~ragged

    times = snowflake_times(ids.where(ok, ""))
    no_time = ok & times.isna().to_numpy()
    skip_rows(skipped, numbers, no_time, "post id " + ids + " is too old to carry a posting time")
    ok &= ~no_time
    days = parse_day_strings(col["date"]).to_numpy()
    delta = (times.dt.tz_localize(None).dt.normalize().to_numpy() - days) / np.timedelta64(1, "D")
    mismatch = ok & ~np.isnan(delta) & (np.abs(np.nan_to_num(delta)) > 1)
    reason = (
        "posting time from the post id ("
        + times.dt.strftime("%Y-%m-%d").fillna("").astype("str").set_axis(rows.index)
        + ") is more than a day from the Date column ("
        + col["date"]
        + "): the id or the date is damaged"
    )
    skip_rows(skipped, numbers, mismatch, reason)
    ok &= ~mismatch
    undated = ok & np.isnan(delta)
    if undated.any():
        warnings.append(f"{int(undated.sum())} row(s) had no readable Date; used the post id alone.")
    warnings.append(TIME_WARNING)

    return finish(
        name=name,
        fmt="x_content",
        ids=ids[ok],
        times=times[ok],
        texts=col["text"][ok] if 2 in rows.columns else empty[ok],
        links=link[ok],
        metrics={f: col[f][ok] for f in _METRICS if _ORDER.index(f) in rows.columns},
        rows_read=rows_read,
        skipped=skipped,
        warnings=warnings,
    )


def parse_day_strings(raw: pd.Series) -> pd.Series:
    """X's English dates: `Thu Mar 20 2025` (A) and `Sat, Aug 1, 2026` (B, overview)."""
    cleaned = (
        raw.astype(str)
        .str.strip()
        .str.replace(r"^[A-Za-z]{3,9},?\s+([A-Za-z]{3,9}\s)", r"\1", regex=True)
        .str.replace(",", " ", regex=False)
        .str.replace(r"\s+", " ", regex=True)
    )
    days = pd.to_datetime(cleaned, format="%b %d %Y", errors="coerce")
    retry = days.isna() & (cleaned != "")
    if retry.any():
        iso = pd.to_datetime(cleaned[retry], format="ISO8601", errors="coerce", utc=True)
        days[retry] = iso.dt.tz_localize(None)
    return days.astype("datetime64[ns]")
