"""A 100,000-row legacy export parses completely."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from ingest_cases import LEGACY_HEADER, Tweet, legacy_row, snowflake

from curation.ingest import parse_files

N = 100_000


def _big_legacy_csv() -> tuple[bytes, list[str]]:
    start = datetime(2021, 12, 31, 23, 0, tzinfo=UTC)
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(LEGACY_HEADER)
    ids = []
    texts = [
        "Our new guide to {} is out: https://t.co/abc{} #howto",
        "@customer{} thanks, we fixed it & shipped {}",
        "Thread: five lessons from {} years of {}\n1/5",
    ]
    for i in range(N):
        when = start - timedelta(minutes=7 * i)
        t = Tweet(text=texts[i % 3].format(i, i % 97), when=when, id=snowflake(when, i % 4096), impressions=i % 5000)
        ids.append(t.id)
        w.writerow(legacy_row(t))
    return buf.getvalue().encode(), ids


def test_100k_row_legacy_csv_parses_every_row():
    data, ids = _big_legacy_csv()
    parsed = parse_files([("tweet_activity_metrics_acme_20100101_20220101_en.csv", data)])[0]
    assert len(parsed.tweets) == N and parsed.rows_read == N and parsed.skipped == []
    assert set(parsed.tweets["tweet_id"]) == set(ids)
    assert parsed.tweets["n_hashtags"].sum() == (N + 2) // 3
    assert parsed.tweets["is_reply"].sum() == (N + 1) // 3
    assert parsed.tweets["text"].str.contains("&amp;").sum() == 0  # the file has &amp;
    # Its speed beside a bare pandas.read_csv is measured by `make bench` (import_legacy_csv), not asserted.
