"""Twitter Analytics per-tweet CSV (2015–2022), in English, Japanese or any language by position.

Only the organic columns are read: the "promoted ..." columns describe paid reach, which the
planner does not learn from. Hand-concatenated monthly files are accepted: repeated header lines
are dropped silently and a tweet id seen twice keeps the row with more impressions (metrics
only grow, so that row is from the later export).
"""

from __future__ import annotations

import re

import pandas as pd

from curation.ingest.csvread import CsvTable, first_record, header_cells, normalise_header, read_table
from curation.ingest.frames import (
    as_of_from_name,
    empty_daily,
    later,
    newest,
    tweets_frame,
    valid_ids,
)
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import own_handle, starts_as_reply, text_features, unescape

# Canonical field per header name. "favorites" is the pre-2015 name of "likes".
_NAMES: dict[str, str] = {
    "tweet id": "id",
    "tweet permalink": "permalink",
    "tweet text": "text",
    "time": "time",
    "impressions": "impressions",
    "engagements": "engagements",
    "retweets": "reposts",
    "replies": "replies",
    "likes": "likes",
    "favorites": "likes",
    "user profile clicks": "profile_visits",
    "url clicks": "url_clicks",
    "hashtag clicks": "hashtag_clicks",
    "detail expands": "detail_expands",
    "permalink clicks": "permalink_clicks",
    "follows": "follows",
    "media views": "media_views",
    # Japanese export (_ja.csv), from FORMATS.md.
    "ツイートid": "id",
    "ツイートの固定リンク": "permalink",
    "ツイート本文": "text",
    "時間": "time",
    "インプレッション": "impressions",
    "エンゲージメント": "engagements",
    "リツイート": "reposts",
    "返信": "replies",
    "いいね": "likes",
    "ユーザープロフィールクリック": "profile_visits",
    "urlクリック数": "url_clicks",
    "ハッシュタグクリック": "hashtag_clicks",
    "詳細クリック": "detail_expands",
    "固定リンクのクリック数": "permalink_clicks",
    "フォローしている": "follows",
    "メディアの再生数": "media_views",
}
ID_HEADERS = frozenset(k for k, v in _NAMES.items() if v == "id")

# The 40-column layout is the same in every language; used when the header is not recognised.
_POSITIONS: dict[int, str] = {
    0: "id",
    1: "permalink",
    2: "text",
    3: "time",
    4: "impressions",
    5: "engagements",
    7: "reposts",
    8: "replies",
    9: "likes",
    10: "profile_visits",
    11: "url_clicks",
    12: "hashtag_clicks",
    13: "detail_expands",
    14: "permalink_clicks",
    17: "follows",
    20: "media_views",
}
_METRIC_FIELDS = tuple(v for v in _POSITIONS.values() if v not in ("id", "permalink", "text", "time"))
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")

POSITION_WARNING = "Header language not recognised: columns mapped by position"


def known_header(cells: list[str]) -> bool:
    """A header in a language we know (English, older 'favorites' English, Japanese)."""
    norm = [normalise_header(c) for c in cells]
    return bool(norm) and norm[0] in ID_HEADERS and ("time" in norm or "時間" in norm)


def shaped_like(text: str) -> bool:
    """Unknown header language, but the rows have the per-tweet layout (id, permalink, text, time)."""
    cells, delim = header_cells(text)
    if len(cells) < 22:
        return False
    rec = first_record(text, delim)
    return (
        len(rec) >= 22
        and rec[0].strip().isdigit()
        and "/status/" in rec[1]
        and bool(_TIME_RE.match(rec[3].strip()))
    )


def parse_legacy_analytics(name: str, text: str, raw: bytes | None, warnings: list[str]) -> ParsedFile:
    """Parse a per-tweet Twitter Analytics export into canonical tweets."""
    table = read_table(text, name, raw)
    norm = [normalise_header(c) for c in table.header]
    if known_header(table.header):
        fields: dict[str, int] = {}
        for pos, cell in enumerate(norm):
            field = _NAMES.get(cell)
            if field and field not in fields:
                fields[field] = pos
    else:
        warnings.append(POSITION_WARNING)
        fields = {f: p for p, f in _POSITIONS.items() if p < len(norm)}
    return _build(name, table, fields, norm, warnings)


def _build(
    name: str, table: CsvTable, fields: dict[str, int], norm: list[str], warnings: list[str]
) -> ParsedFile:
    rows = table.rows
    skipped: list[SkippedRow] = []
    id_col = rows[fields["id"]].astype(str).str.strip()
    # Hand-concatenated exports repeat the header; those lines are not data.
    header_again = id_col.map(normalise_header).isin(ID_HEADERS | {norm[fields["id"]]})
    blank = id_col == ""
    for field in ("time", "text"):
        if field in fields:
            blank &= rows[fields[field]].astype(str).str.strip() == ""
    keep = ~(header_again | blank)
    rows, id_col = rows[keep], id_col[keep]
    rows_read = len(rows)

    ok = valid_ids(id_col)
    ragged = {num for num, _ in table.ragged}
    for num, cells in table.ragged:
        if num in rows.index:
            skipped.append(SkippedRow(num, f"has {cells} cells, the header has {len(norm)}"))
    ragged_mask = rows.index.isin(list(ragged))
    for num, value in id_col[~ok & ~ragged_mask].items():
        skipped.append(SkippedRow(int(num), f"tweet id {value[:30]!r} is not a number"))
    ok &= ~ragged_mask

    time_raw = rows[fields["time"]].astype(str).str.strip() if "time" in fields else None
    if time_raw is None:
        times = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns, UTC]")
    else:
        times = _parse_times(time_raw)
    bad_time = ok & times.isna().to_numpy()
    for num in rows.index[bad_time]:
        value = "" if time_raw is None else time_raw[num]
        skipped.append(SkippedRow(int(num), f"time {value[:40]!r} is not a date and time"))
    ok &= ~bad_time

    rows, times, ids = rows[ok], times[ok], id_col[ok]
    texts = unescape(rows[fields["text"]].astype(str).tolist()) if "text" in fields else [""] * len(rows)
    metrics = {f: rows[fields[f]] for f in _METRIC_FIELDS if f in fields}

    n = len(rows)
    tags, ments, doms = text_features(texts)
    own = own_handle(rows[fields["permalink"]].astype(str).tolist()) if "permalink" in fields else None
    cols = {
        "tweet_id": ids.tolist(),
        "created_at": times,
        "text": texts,
        "is_reply": [starts_as_reply(t, own) for t in texts],
        "has_link": [bool(d) for d in doms],
        "link_domains": doms,
        "n_hashtags": tags,
        "n_mentions": ments,
        **{k: v.tolist() for k, v in metrics.items()},
    }
    frame = tweets_frame(cols, n)
    frame, dupes = keep_most_impressions(frame)
    if dupes:
        warnings.append(
            f"{dupes} tweet id(s) appeared more than once (concatenated exports?): kept the row "
            "with the most impressions, which is the newest."
        )
    skipped.sort(key=lambda s: s.row)
    return ParsedFile(
        name=name,
        format="legacy_analytics",
        tweets=frame,
        daily=empty_daily(),
        as_of=later(as_of_from_name(name), newest(frame["created_at"])),
        rows_read=rows_read,
        skipped=skipped,
        warnings=warnings,
    )


def _parse_times(raw: pd.Series) -> pd.Series:
    """`2021-04-30 09:32 +0000` (always UTC); ISO variants from re-saved files are accepted too."""
    times = pd.to_datetime(raw, format="%Y-%m-%d %H:%M %z", utc=True, errors="coerce")
    retry = times.isna() & (raw != "")
    if retry.any():
        # Naive times are taken as UTC, which is what the export wrote before re-saving.
        times[retry] = pd.to_datetime(raw[retry], format="ISO8601", utc=True, errors="coerce")
    return times.astype("datetime64[ns, UTC]")






def keep_most_impressions(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per tweet id: the one with the most impressions (metrics only grow)."""
    dup = frame["tweet_id"].duplicated(keep=False)
    if not dup.any():
        return frame, 0
    order = frame["impressions"].astype("Float64").fillna(-1.0)
    ranked = frame.assign(_imp=order).sort_values("_imp", ascending=False, kind="stable")
    out = ranked.drop_duplicates("tweet_id", keep="first").drop(columns="_imp")
    dropped = len(frame) - len(out)
    return out.sort_index().reset_index(drop=True), dropped
