"""X analytics content CSV (2024+): header variants A and B, Japanese, or any language by position.

`Date` is only a calendar day, so the posting time comes from the Snowflake post id and is
checked against `Date` (±1 day, since `Date` is in the account's time zone). X's junk rows with
an empty id and a `.../status/undefined` link are skipped and reported.
"""

from __future__ import annotations

import re

import pandas as pd

from curation.ingest.csvread import first_record, header_cells, normalise_header, read_table
from curation.ingest.frames import (
    as_of_from_name,
    empty_daily,
    later,
    newest,
    snowflake_times,
    tweets_frame,
    valid_ids,
)
from curation.ingest.legacy_analytics import keep_most_impressions
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import own_handle, starts_as_reply, text_features, unescape

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
TIME_WARNING = (
    "Posting time taken from the post id (the export's Date column has no time of day); "
    "times are UTC."
)


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


def parse_x_content(name: str, text: str, raw: bytes | None, warnings: list[str]) -> ParsedFile:
    """Parse an X analytics content export into canonical tweets."""
    table = read_table(text, name, raw)
    if not known_header(table.header):
        warnings.append(POSITION_WARNING)
    rows = table.rows
    col = {f: rows[i].astype(str).str.strip() for i, f in enumerate(_ORDER) if i in rows.columns}
    ids, link = col["id"], col.get("link", pd.Series("", index=rows.index))
    header_again = ids.map(normalise_header).isin(ID_HEADERS | {normalise_header(table.header[0])})
    blank = (ids == "") & (link == "") & (col.get("text", ids) == "")
    keep = ~(header_again | blank)
    rows, ids, link = rows[keep], ids[keep], link[keep]
    col = {f: s[keep] for f, s in col.items()}
    rows_read = len(rows)

    skipped: list[SkippedRow] = []
    ok = valid_ids(ids)
    ragged = [num for num, _ in table.ragged if num in rows.index]
    for num in ragged:
        skipped.append(SkippedRow(num, f"has more cells than the header's {len(table.header)}"))
    ok &= ~rows.index.isin(ragged)
    junk = (ids == "") & link.str.endswith("/status/undefined")
    for num in rows.index[junk.to_numpy() & ~rows.index.isin(ragged)]:
        skipped.append(
            SkippedRow(int(num), "X export artefact: row without a post id (link ends in /status/undefined)")
        )
    other_bad = ~ok & ~junk.to_numpy() & ~rows.index.isin(ragged)
    for num, value in ids[other_bad].items():
        skipped.append(SkippedRow(int(num), f"post id {value[:30]!r} is not a number"))

    times = snowflake_times(ids.where(ok, "").tolist())
    times.index = rows.index
    days = _parse_days(col.get("date", pd.Series("", index=rows.index)))
    no_time = ok & times.isna().to_numpy()
    for num, value in ids[no_time].items():
        skipped.append(SkippedRow(int(num), f"post id {value} is too old to carry a posting time"))
    ok &= ~no_time
    delta = (times.dt.tz_localize(None).dt.normalize() - days).dt.days
    mismatch = ok & delta.notna().to_numpy() & (delta.abs() > 1).fillna(False).to_numpy()
    for num in rows.index[mismatch]:
        skipped.append(
            SkippedRow(
                int(num),
                f"posting time from the post id ({times[num]:%Y-%m-%d}) is more than a day "
                f"from the Date column ({col['date'][num]}): id or date is damaged",
            )
        )
    ok &= ~mismatch
    undated = ok & days.isna().to_numpy()
    if undated.any():
        warnings.append(f"{int(undated.sum())} row(s) had no readable Date; used the post id alone.")
    warnings.append(TIME_WARNING)

    keep_idx = rows.index[ok]
    texts = unescape(col["text"][keep_idx].tolist()) if "text" in col else [""] * len(keep_idx)
    tags, ments, doms = text_features(texts)
    own = own_handle(link[keep_idx].tolist())
    cols = {
        "tweet_id": ids[keep_idx].tolist(),
        "created_at": times[keep_idx],
        "text": texts,
        "is_reply": [starts_as_reply(t, own) for t in texts],
        "has_link": [bool(d) for d in doms],
        "link_domains": doms,
        "n_hashtags": tags,
        "n_mentions": ments,
        **{f: col[f][keep_idx].tolist() for f in _METRICS if f in col},
    }
    frame = tweets_frame(cols, len(keep_idx))
    frame, dupes = keep_most_impressions(frame)
    if dupes:
        warnings.append(
            f"{dupes} post id(s) appeared more than once: kept the row with the most impressions."
        )
    skipped.sort(key=lambda s: s.row)
    return ParsedFile(
        name=name,
        format="x_content",
        tweets=frame,
        daily=empty_daily(),
        as_of=later(as_of_from_name(name), newest(frame["created_at"])),
        rows_read=rows_read,
        skipped=skipped,
        warnings=warnings,
    )


def parse_day_strings(raw: pd.Series) -> pd.Series:
    """X's English dates: `Thu Mar 20 2025` (A) and `Sat, Aug 1, 2026` (B, overview)."""
    cleaned = (
        raw.astype(str)
        .str.strip()
        .str.replace(r"^[A-Za-z]{3,9},?\s+", "", regex=True)
        .str.replace(",", " ", regex=False)
        .str.replace(r"\s+", " ", regex=True)
    )
    days = pd.to_datetime(cleaned, format="%b %d %Y", errors="coerce")
    retry = days.isna() & (cleaned != "")
    if retry.any():
        iso = pd.to_datetime(cleaned[retry], format="ISO8601", errors="coerce", utc=True)
        days[retry] = iso.dt.tz_localize(None)
    return days


def _parse_days(raw: pd.Series) -> pd.Series:
    return parse_day_strings(raw).astype("datetime64[ns]")
