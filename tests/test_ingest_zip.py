"""Zip uploads: whole archives are read as one file; hostile or broken zips fail with advice."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import timedelta

import pytest
from ingest_cases import (
    Tweet,
    accounts_js,
    archive_js,
    archive_tweet,
    base_time,
    fixture,
    manifest_js,
    note_js,
    tweets,
    x_content_csv,
    zip_bytes,
)

from curation.errors import ImportFailed
from curation.ingest import parse_files, zipread

T0 = base_time()
SECRET = b"ceo@acme.example"


def x_archive_zip() -> tuple[bytes, list[Tweet]]:
    rows = tweets(6)
    long = "long post " * 40
    rows[0].text = long[:270] + "…"
    members = {
        "Your archive.html": b"<html></html>",
        "data/manifest.js": manifest_js("4242"),
        "data/README.txt": b"readme",
        # If account.js were ever parsed this would show up (or break parsing): it must not be.
        "data/account.js": b'window.YTD.account.part0 = [{"account": {"email": "' + SECRET + b'"}}',
        "data/tweets.js": archive_js([archive_tweet(r) for r in rows[:4]]),
        "data/tweets-part1.js": archive_js([archive_tweet(r) for r in rows[4:]], part=1),
        "data/note-tweet.js": note_js([(rows[0].when, long)]),
        "data/follower.js": accounts_js("follower", ["1", "2", "3"]),
        "data/following.js": accounts_js("following", ["7"]),
        "data/like.js": b"window.YTD.like.part0 = []",
        "data/tweets_media/1-abc.jpg": b"\xff\xd8\xff" + b"\x00" * 100,
    }
    return zip_bytes(members), rows


def test_whole_x_archive_zip_is_one_parsed_file():
    data, rows = x_archive_zip()
    parsed = parse_files([("twitter-2025-12-02.zip", data)])
    assert len(parsed) == 1
    p = parsed[0]
    assert (p.name, p.format) == ("twitter-2025-12-02.zip", "x_archive")
    assert len(p.tweets) == 6
    assert p.followers == ["1", "2", "3"] and p.following == ["7"]
    assert p.tweets.set_index("tweet_id").loc[rows[0].id, "text"] == "long post " * 40
    assert p.as_of is not None and p.as_of.year == 2025
    everything = repr(p) + p.tweets.to_csv()
    assert SECRET.decode() not in everything


def test_archive_zip_inside_a_top_folder():
    rows = tweets(2)
    data = zip_bytes({"twitter-2025/data/tweets.js": archive_js([archive_tweet(r) for r in rows])})
    assert len(parse_files([("a.zip", data)])[0].tweets) == 2


def test_old_archive_zip_prefers_tweets_csv():
    _, csv_bytes = fixture("tweets.csv")
    _, js = fixture("2009_07.js")
    data = zip_bytes({"tweets.csv": csv_bytes, "data/js/tweets/2009_07.js": js, "index.html": b"<html/>"})
    parsed = parse_files([("archive.zip", data)])
    assert [(p.name, p.format, len(p.tweets)) for p in parsed] == [("archive.zip", "legacy_archive_csv", 1357)]


def test_grailbird_only_zip():
    _, js = fixture("2009_07.js")
    data = zip_bytes({"data/js/tweets/2009_07.js": js, "data/js/user_details.js": b"var user_details = {}"})
    parsed = parse_files([("archive.zip", data)])
    assert [(p.format, len(p.tweets)) for p in parsed] == [("grailbird", 6)]


def test_mastodon_archive_zip():
    _, outbox = fixture("outbox.json")
    data = zip_bytes({"outbox.json": outbox, "actor.json": b"{}", "media_attachments/x.png": b"\x89PNG"})
    parsed = parse_files([("archive-mastodon.zip", data)])
    assert [(p.format, len(p.tweets)) for p in parsed] == [("mastodon", 1476)]


def test_zip_of_csv_exports_parses_each():
    rows = tweets(3)
    data = zip_bytes({"a/account_analytics_content_2025-01-01_2025-03-31.csv": x_content_csv(rows)})
    parsed = parse_files([("exports.zip", data)])
    assert parsed[0].format == "x_content" and len(parsed[0].tweets) == 3
    assert parsed[0].name == "exports.zip/a/account_analytics_content_2025-01-01_2025-03-31.csv"


def test_truncated_zip_fails_with_advice():
    data, _ = x_archive_zip()
    with pytest.raises(ImportFailed, match="damaged or incomplete"):
        parse_files([("a.zip", data[: len(data) // 2])])


def test_corrupt_member_fails_with_advice():
    rows = tweets(50)
    data = bytearray(zip_bytes({"data/tweets.js": archive_js([archive_tweet(r) for r in rows])}))
    data[200:260] = b"\x00" * 60  # inside the deflate stream of the member
    with pytest.raises(ImportFailed, match="damaged or incomplete"):
        parse_files([("a.zip", bytes(data))])


def test_zip_bomb_is_refused_from_the_directory():
    data = zip_bytes({"data/tweets.js": b"\x00" * (20 * 1024 * 1024)})
    assert len(data) < 100_000
    with pytest.raises(ImportFailed, match="zip bomb"):
        parse_files([("bomb.zip", data)])


def test_lying_size_header_does_not_get_past_the_bound():
    payload = b"window.YTD.tweets.part0 = [" + b" " * (5 * 1024 * 1024) + b"]"
    data = bytearray(zip_bytes({"data/tweets.js": payload}))
    # Claim 100 bytes in both the local header and the central directory.
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 100)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    with pytest.raises(ImportFailed, match="damaged"):
        parse_files([("liar.zip", bytes(data))])


def test_streamed_total_is_bounded(monkeypatch):
    monkeypatch.setattr(zipread, "MAX_ZIP_TOTAL_BYTES", 10_000)
    rows = tweets(40)
    data = zip_bytes({"data/tweets.js": archive_js([archive_tweet(r) for r in rows])})
    with pytest.raises(ImportFailed, match="unpacks to more than"):
        parse_files([("big.zip", data)])


def test_too_many_members(monkeypatch):
    monkeypatch.setattr(zipread, "MAX_ZIP_MEMBERS", 5)
    data = zip_bytes({f"data/f{i}.txt": b"x" for i in range(6)})
    with pytest.raises(ImportFailed, match="holds 6 files"):
        parse_files([("many.zip", data)])


def test_nested_zip_is_refused():
    inner, _ = x_archive_zip()
    with pytest.raises(ImportFailed, match="contains another zip"):
        parse_files([("outer.zip", zip_bytes({"twitter.zip": inner}))])
    with pytest.raises(ImportFailed, match="contains another zip"):
        parse_files([("outer.zip", zip_bytes({"data/tweets.js": inner}))])  # disguised by name


@pytest.mark.parametrize("evil", ["../evil.js", "data/../../etc/passwd", "/etc/passwd", "C:/x/tweets.js", "..\\x.js"])
def test_unsafe_member_names_are_refused(evil):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data/tweets.js", archive_js([archive_tweet(Tweet("hi", T0))]))
        zf.writestr(zipfile.ZipInfo(evil), b"x")
    with pytest.raises(ImportFailed, match="unsafe file name"):
        parse_files([("evil.zip", buf.getvalue())])


def test_zip_without_anything_readable():
    with pytest.raises(ImportFailed, match="holds no file this app reads"):
        parse_files([("photos.zip", zip_bytes({"a.jpg": b"\xff\xd8", "b.txt": b"hello"}))])


def test_empty_zip():
    with pytest.raises(ImportFailed):
        parse_files([("empty.zip", zip_bytes({}))])


def test_edit_chain_across_archive_parts_collapses():
    first = Tweet(text="typo", when=T0)
    edit = Tweet(text="fixed", when=T0 + timedelta(minutes=2))
    data = zip_bytes(
        {
            "data/tweets.js": archive_js([archive_tweet(first)]),
            "data/tweets-part1.js": archive_js([archive_tweet(edit, initial_id=first.id)], part=1),
        }
    )
    t = parse_files([("a.zip", data)])[0].tweets
    assert list(t["tweet_id"]) == [first.id] and list(t["text"]) == ["fixed"]
