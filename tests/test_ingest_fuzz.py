"""Property tests: no input makes a parser raise anything but ImportFailed; valid rows round-trip."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_cases import (
    Tweet,
    accounts_js,
    archive_js,
    archive_tweet,
    legacy_csv,
    real_path,
    snowflake,
    tweets,
    x_content_csv,
    zip_bytes,
)

from curation.errors import ImportFailed
from curation.ingest import parse_files
from curation.ingest.text import count_hashtags, count_mentions, link_domains, url_domain

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _head(name: str, lines: int) -> bytes:
    return b"".join(real_path(name).read_bytes().splitlines(keepends=True)[:lines])


def _outbox() -> bytes:
    items = json.loads(real_path("outbox.json").read_bytes())["orderedItems"]
    picked = [i for i in items if i["type"] == "Announce"][:2] + [i for i in items if i["type"] == "Create"][:4]
    return json.dumps({"type": "OrderedCollection", "orderedItems": picked}).encode()


SEEDS: dict[str, bytes] = {
    "legacy.csv": legacy_csv(tweets(4)),
    "content_a.csv": x_content_csv(tweets(4), variant="A", junk=1),
    "content_b.csv": x_content_csv(tweets(4), variant="B"),
    "tweets.js": archive_js([archive_tweet(t, urls=("https://example.com",)) for t in tweets(3)]),
    "tweets.csv": _head("tweets.csv", 12),
    "daily.csv": _head("daily_tweet_activity_metrics_LisaDeBruine_20210801_20210901_en.csv", 5),
    "overview.csv": _head("account_overview_analytics.csv", 5),
    "grailbird.js": real_path("2009_07.js").read_bytes(),
    "outbox.json": _outbox(),
    "follower.js": accounts_js("follower", ["1", "2"]),
    "archive.zip": zip_bytes({"data/tweets.js": archive_js([archive_tweet(t) for t in tweets(2)])}),
}
PREFIXES = [
    b"window.YTD.tweets.part0 = ",
    b"window.YTD.note_tweet.part0 = [",
    b"Grailbird.data.tweets_2009_07 = ",
    b"PK\x03\x04",
    b'{"orderedItems": ',
    b"[",
    b'"Tweet id","Tweet permalink","Tweet text","time"\n',
    b"Post id,Date,Post text,Link,Impressions\n",
    b"Date,Impressions,Likes,Create Post\n",
    b'"tweet_id","in_reply_to_status_id","timestamp","text"\n',
]


def _parse_or_import_failed(files: list[tuple[str, bytes]]) -> None:
    try:
        parsed = parse_files(files)
    except ImportFailed as exc:
        assert str(exc)  # a message for the user, never empty
        return
    for p in parsed:
        assert p.tweets["tweet_id"].is_unique


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_only_raise_import_failed(data):
    _parse_or_import_failed([("upload.bin", data)])


@FUZZ
@given(st.sampled_from(PREFIXES), st.binary(max_size=2000))
def test_known_prefix_then_garbage_only_raises_import_failed(prefix, data):
    _parse_or_import_failed([("upload.bin", prefix + data)])


_mutation = st.tuples(
    st.sampled_from(["flip", "cut", "insert", "delete", "dup"]),
    st.floats(0, 1, exclude_max=True),
    st.binary(min_size=1, max_size=8),
)


def _mutate(data: bytes, ops: list[tuple[str, float, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, where, junk in ops:
        if not buf:
            break
        i = int(where * len(buf))
        if op == "flip":
            buf[i] ^= junk[0] or 1
        elif op == "cut":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = junk
        elif op == "delete":
            del buf[i : i + len(junk)]
        else:
            buf[i:i] = buf[i : i + 40]
    return bytes(buf)


@FUZZ
@given(st.sampled_from(sorted(SEEDS)), st.lists(_mutation, min_size=1, max_size=4))
def test_mutated_valid_files_only_raise_import_failed(name, ops):
    _parse_or_import_failed([(name, _mutate(SEEDS[name], ops))])


# --- round trips ---------------------------------------------------------------------------

_chars = st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc")),
    st.sampled_from(["&", "<", ">", '"', ",", "@", "#", "&amp;", "=", " ", "'"]),
)
_count = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def _tweets(draw, newlines: bool, resolution: str):
    n = draw(st.integers(min_value=1, max_value=8))
    pieces = st.one_of(_chars, st.just("\n")) if newlines else _chars
    start = datetime(2012, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        offset = draw(st.integers(min_value=0, max_value=10 * 365 * 24 * 3600 * 1000))
        when = start + timedelta(milliseconds=offset)
        if resolution == "minute":
            when = when.replace(second=0, microsecond=0)
        elif resolution == "second":
            when = when.replace(microsecond=0)
        else:
            when = when.replace(microsecond=when.microsecond // 1000 * 1000)
        t = Tweet(
            text="".join(draw(st.lists(pieces, max_size=40))),
            when=when,
            id=snowflake(when, seq=i),
            impressions=draw(_count),
            likes=draw(_count),
            reposts=draw(_count),
            url_clicks=draw(_count),
        )
        out.append(t)
    return out


def _check_round_trip(rows: list[Tweet], parsed_tweets: pd.DataFrame, metrics: tuple[str, ...]) -> None:
    t = parsed_tweets.set_index("tweet_id")
    assert sorted(t.index) == sorted(r.id for r in rows)
    for r in rows:
        assert t.loc[r.id, "text"] == r.text
        assert t.loc[r.id, "created_at"] == pd.Timestamp(r.when)
        for m in metrics:
            assert t.loc[r.id, m] == getattr(r, m), m


@FUZZ
@given(_tweets(newlines=True, resolution="minute"))
def test_legacy_csv_round_trip(rows):
    parsed = parse_files([("export.csv", legacy_csv(rows))])[0]
    assert parsed.format == "legacy_analytics" and parsed.skipped == []
    _check_round_trip(rows, parsed.tweets, ("impressions", "likes", "reposts", "url_clicks"))


@FUZZ
@given(_tweets(newlines=False, resolution="ms"), st.sampled_from(["A", "B", "ja"]))
def test_x_content_csv_round_trip(rows, variant):
    parsed = parse_files([("export.csv", x_content_csv(rows, variant=variant))])[0]
    assert parsed.format == "x_content" and parsed.skipped == []
    _check_round_trip(rows, parsed.tweets, ("impressions", "likes", "reposts", "url_clicks"))


@FUZZ
@given(_tweets(newlines=True, resolution="second"), st.booleans())
def test_archive_round_trip(rows, wrapped):
    data = archive_js([archive_tweet(r) for r in rows], wrapped=wrapped, indent=None)
    parsed = parse_files([("tweets.js", data)])[0]
    assert parsed.format == "x_archive" and parsed.skipped == []
    _check_round_trip(rows, parsed.tweets, ("likes", "reposts"))
    assert parsed.tweets["impressions"].isna().all()


# --- text features against plain-regex definitions ---------------------------------------

HASHTAG = re.compile(r"(?<![\w&#＃])[#＃]\d*[^\W\d]")
MENTION = re.compile(r"(?<![A-Za-z0-9._%+-])[@＠][A-Za-z0-9_]")
_feature_text = st.lists(st.sampled_from(list("#＃@＠ a1_&.é日\n-+١")), max_size=16).map("".join)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(_feature_text, min_size=1, max_size=5))
def test_hashtag_and_mention_counts_match_their_definitions(texts):
    arr = pa.array(texts, pa.string())
    assert list(count_hashtags(arr)) == [len(HASHTAG.findall(t)) for t in texts]
    assert list(count_mentions(arr)) == [len(MENTION.findall(t)) for t in texts]


_url_piece = st.sampled_from(
    ["https://", "HTTP://", "www.", "Example.com", "t.co", "x.com", "twitter.com", "sub.x.com", "/p", ":8080",
     "user@", "?q", " ", "\n", "a", ".", "日本", "#", "é"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.lists(_url_piece, max_size=14).map("".join), min_size=1, max_size=5))
def test_link_domains_match_the_per_url_definition(texts):
    expected = []
    for t in texts:
        seen: dict[str, None] = {}
        for host in re.findall(r"https?://([^/\s?#<>\"'\\]+)", t, re.IGNORECASE):
            dom = url_domain("https://" + host)
            if dom:
                seen.setdefault(dom, None)
        expected.append(" ".join(seen))
    assert list(link_domains(pa.array(texts, pa.string()))) == expected
