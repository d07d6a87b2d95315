"""Old archive tweets.csv (2012–2018) in both column orders, 2013's ragged rows included.

Extra cells beyond the header are further expanded_urls (one per link in the 2013 layout).
Links to twitter.com .../photo/N or .../video/N are the tweet's media, not links; other
twitter.com/x.com links (quoted tweets) are not external links either. Text is HTML-escaped in
these files and is unescaped. Retweets (retweeted_status_id or `RT @`) are kept, flagged.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from curation.errors import ImportFailed
from curation.ingest.csvread import normalise_header, read_table
from curation.ingest.frames import bad_id_reasons, empty_daily, newest, parse_utc, tweets_frame, valid_ids
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import TextSource, as_arrow, count_hashtags, count_mentions, join_domains, unescape_html

_REQUIRED = ("tweet_id", "timestamp", "text")
_MEDIA_RE = re.compile(r"(?:twitter|x)\.com/[^/]+/status/\d+/(photo|video)/", re.IGNORECASE)


def is_tweets_csv(cells: list[str]) -> bool:
    """Header of an old archive tweets.csv (either column order)."""
    norm = [normalise_header(c) for c in cells]
    return bool(norm) and norm[0] == "tweet_id" and all(c in norm for c in _REQUIRED)


def parse_tweets_csv(source: TextSource, name: str | None = None) -> ParsedFile:
    """Parse tweets.csv into canonical tweets (no metrics: the old archive has none)."""
    """``name`` overrides the file name (a tweets.csv inside a zip reports the zip's name)."""
    name = name or source.name
    warnings = source.warnings
    table = read_table(source, ragged_ok=True)
    norm = [normalise_header(c) for c in table.header]
    pos = {c: i for i, c in reversed(list(enumerate(norm)))}
    missing = [c for c in _REQUIRED if c not in pos]
    if missing:
        raise ImportFailed(f"{name}: tweets.csv lacks the column(s) {', '.join(missing)}.")
    rows = table.rows
    get = {c: rows[i].astype(str).str.strip() if c != "text" else rows[i].astype(str) for c, i in pos.items()}
    ids = get["tweet_id"]
    header_again = ids.map(normalise_header) == "tweet_id"
    blank = (ids == "") & (get["text"].str.strip() == "")
    keep = ~(header_again | blank)
    rows = rows[keep]
    get = {c: s[keep] for c, s in get.items()}
    ids = get["tweet_id"]
    rows_read = len(rows)

    skipped: list[SkippedRow] = []
    ok = valid_ids(ids)
    for num, why in bad_id_reasons(ids[~ok], "tweet_id").items():
        skipped.append(SkippedRow(int(num), why))
    times = parse_utc(get["timestamp"], "old_csv")
    bad_time = ok & times.isna().to_numpy()
    for num, value in get["timestamp"][bad_time].items():
        skipped.append(SkippedRow(int(num), f"timestamp {value[:40]!r} is not a date and time"))
    ok &= ~bad_time
    rows, ids, times = rows[ok], ids[ok], times[ok]
    get = {c: s[ok] for c, s in get.items()}

    url_cols = [i for i in rows.columns if i >= pos.get("expanded_urls", len(norm))]
    text_arr = unescape_html(as_arrow(get["text"]))
    texts = text_arr.to_pylist()
    empty = pd.Series("", index=rows.index)
    reply_status = get.get("in_reply_to_status_id", empty)
    reply_user = get.get("in_reply_to_user_id", empty)
    rt_id = get.get("retweeted_status_id", empty)

    domains: list[str] = []
    media: list[str | None] = []
    url_lists = [rows[c].tolist() for c in url_cols]
    for cells in zip(*url_lists, strict=True) if url_lists else ([] for _ in range(len(rows))):
        parts = [u for cell in cells for u in re.split(r"[,\s]+", cell) if u]
        found = {m.group(1).lower() for u in parts if (m := _MEDIA_RE.search(u))}
        media.append("video" if "video" in found else "photo" if found else None)
        domains.append(join_domains(parts))

    id_list = ids.tolist()
    id_set = set(id_list)
    statuses, users = reply_status.tolist(), reply_user.tolist()
    # No account id in tweets.csv: a reply to a tweet in the same file is a thread of our own.
    thread = Counter(u for st, u in zip(statuses, users, strict=True) if u and st in id_set)
    own = thread.most_common(1)[0][0] if thread else None
    is_reply = [
        bool(st) and (u != own if own is not None else st not in id_set) for st, u in zip(statuses, users, strict=True)
    ]
    frame = tweets_frame(
        {
            "tweet_id": id_list,
            "created_at": times,
            "text": text_arr,
            "is_reply": is_reply,
            "is_retweet": [(r != "") or t.startswith("RT @") for r, t in zip(rt_id.tolist(), texts, strict=True)],
            "has_link": [bool(d) for d in domains],
            "link_domains": domains,
            "n_hashtags": count_hashtags(text_arr),
            "n_mentions": count_mentions(text_arr),
            "media_type": media,
        },
        len(rows),
    )
    frame = frame.drop_duplicates("tweet_id", keep="first").reset_index(drop=True)
    skipped.sort(key=lambda s: s.row)
    return ParsedFile(
        name=name,
        format="legacy_archive_csv",
        tweets=frame,
        daily=empty_daily(),
        as_of=newest(frame["created_at"]),
        rows_read=rows_read,
        skipped=skipped,
        warnings=[*warnings, "Old archives have no engagement counts: tweets are imported without metrics."],
    )
