"""Validation at the edge: bad numbers, giant ids, long text, NUL bytes and oversized files never get in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from ingest_cases import Tweet, archive_js, archive_tweet, legacy_csv, tweets
from sqlalchemy import select

from curation.errors import ImportFailed
from curation.ingest import check_size, parse_files, read_paths, read_uploads
from curation.ingest.limits import MAX_FILE_BYTES, MAX_TEXT_CHARS
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Tweet as StoredTweet
from curation.store.models import Upload
from curation.store.workspaces import create_workspace
from curation.workspace.importer import import_files

LOCAL = Actor.local_user()
WHEN = datetime(2025, 3, 20, 14, 30, tzinfo=UTC)


def _archive(objs: list[dict]) -> tuple[str, bytes]:
    return "tweets.js", archive_js(objs)


def _hostile_archive() -> tuple[str, bytes]:
    """One tweets.js holding every bad value issue 13 found (and a few more)."""
    ts = [Tweet(text=f"post {i}", when=WHEN.replace(hour=i)) for i in range(8)]
    objs = [archive_tweet(t) for t in ts]
    objs[0]["favorite_count"] = "-5"
    objs[1]["favorite_count"] = "2.5"
    objs[2]["retweet_count"] = "inf"
    objs[3]["favorite_count"] = "lots"
    objs[4]["full_text"] = "nul\x00inside"
    objs[5]["lang"] = "x" * 500
    objs[6]["full_text"] = "y" * (MAX_TEXT_CHARS + 5_000)
    giant = archive_tweet(Tweet(text="giant id", when=WHEN, id="9" * 5_000))
    return _archive([*objs, giant])


def test_bad_values_in_an_archive_are_named_and_never_stored():
    (p,) = parse_files([_hostile_archive()])
    t = p.tweets.set_index("tweet_id")
    assert len(t) == 8  # the 5,000-digit id is skipped
    (skip,) = p.skipped
    assert skip.row == 9 and "5,000 digits" in skip.reason
    likes, reposts = t["likes"], t["reposts"]
    assert pd.isna(likes.iloc[0]) and pd.isna(likes.iloc[1]) and pd.isna(reposts.iloc[2]) and pd.isna(likes.iloc[3])
    assert likes.iloc[4] == 2  # the others keep their numbers
    (likes_warning,) = [w for w in p.warnings if w.startswith("likes in row(s)")]
    assert "1, 2, 4" in likes_warning and "not 0" in likes_warning
    assert any(w.startswith("reposts in row(s) 3 ") for w in p.warnings)
    assert t["text"].iloc[4] == "nulinside" and any("NUL" in w for w in p.warnings)
    assert t["lang"].iloc[5] is None and any(w.startswith("lang of tweet(s)") for w in p.warnings)
    assert len(t["text"].iloc[6]) == MAX_TEXT_CHARS and any("25,000" in w for w in p.warnings)


def test_hostile_archive_imports_on_every_backend(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "hostile", LOCAL).id
    report = import_files(engine, ws, LOCAL, [_hostile_archive()])
    assert report.new == 8
    with session_scope(engine) as s:
        rows = s.execute(select(StoredTweet.likes, StoredTweet.text, StoredTweet.lang)
                         .where(StoredTweet.workspace_id == ws)).all()
        warnings = s.scalar(select(Upload.report).where(Upload.workspace_id == ws))["files"][0]["warnings"]
    assert all(likes is None or likes >= 0 for likes, _, _ in rows)
    assert all("\x00" not in text and len(text) <= MAX_TEXT_CHARS for _, text, _ in rows)
    assert all(lang is None or len(lang) <= 16 for _, _, lang in rows)
    assert any("NUL" in w for w in warnings)


def test_bad_counts_in_a_csv_name_their_rows():
    ts = tweets(4)
    data = legacy_csv(ts).decode().splitlines()
    # Row 3 of the file (second record): impressions -5; row 5: url clicks 1.5.
    cells = data[2].split('","')
    cells[4] = "-5.0"
    data[2] = '","'.join(cells)
    cells = data[4].split('","')
    cells[11] = "1.5"
    data[4] = '","'.join(cells)
    (p,) = parse_files([("tweet_activity_metrics_acme_20250301_20250401_en.csv", "\n".join(data).encode())])
    t = p.tweets.set_index("tweet_id")
    assert pd.isna(t.loc[ts[1].id, "impressions"]) and pd.isna(t.loc[ts[3].id, "url_clicks"])
    assert t.loc[ts[0].id, "impressions"] == 100
    assert any(w.startswith("impressions in row(s) 3 ") for w in p.warnings)
    assert any(w.startswith("url_clicks in row(s) 5 ") for w in p.warnings)


def test_bad_counts_in_a_daily_csv_name_their_rows():
    data = ('"Date","Tweets published","impressions","engagements"\n'
            '"2021-08-01","2","100","-3"\n"2021-08-02","1","nan","4"\n')
    (p,) = parse_files([("daily_tweet_activity_metrics_a_20210801_20210901_en.csv", data.encode())])
    assert p.daily["engagements"].isna().iloc[0] and p.daily["impressions"].isna().iloc[1]
    assert any(w.startswith("engagements in row(s) 2 ") for w in p.warnings)
    assert any(w.startswith("impressions in row(s) 3 ") for w in p.warnings)


def test_a_csv_id_of_5000_digits_is_skipped_with_its_reason():
    ts = tweets(2)
    ts[1].id = "7" * 5_000
    (p,) = parse_files([("t.csv", legacy_csv(ts))])
    assert len(p.tweets) == 1 and [s.row for s in p.skipped] == [3]


def test_mastodon_post_without_a_status_number_is_skipped():
    doc = {"orderedItems": [
        {"type": "Create", "actor": "https://m.example/users/ann", "object": {
            "id": "https://m.example/users/ann/statuses/123", "published": "2024-01-01T10:00:00Z",
            "content": "<p>hi</p>"}},
        {"type": "Create", "actor": "https://m.example/users/ann", "object": {
            "id": "https://m.example/x/" + "a" * 5000, "published": "2024-01-01T11:00:00Z", "content": "<p>x</p>"}},
    ]}
    (p,) = parse_files([("outbox.json", json.dumps(doc).encode())])
    assert list(p.tweets["tweet_id"]) == ["123"] and [s.row for s in p.skipped] == [2]
    assert p.account_handle == "ann@m.example"


def test_follower_ids_that_are_not_x_ids_are_left_out():
    body = [{"follower": {"accountId": "1"}}, {"follower": {"accountId": "9" * 400}}]
    (p,) = parse_files([("follower.js", f"window.YTD.follower.part0 = {json.dumps(body)}".encode())])
    assert p.followers == ["1"] and any("not X ids" in w for w in p.warnings)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "tweets.js"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 100 * 2**20)  # sparse: 300 MB on paper, nothing on disk
    small = tmp_path / "small.csv"
    small.write_bytes(b"x")

    def no_read(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    with pytest.raises(ImportFailed, match=r"tweets\.js: 300 MB is over the 200 MB limit"):
        read_paths([small, big])  # the small file is not read either: sizes come first
    with pytest.raises(ImportFailed, match="is not a file"):
        read_paths([tmp_path / "missing.csv"])


class _Upload:
    """Streamlit's UploadedFile as far as the import uses it."""

    def __init__(self, name: str, size: int, data: bytes = b"") -> None:
        self.name, self.size, self._data = name, size, data

    def getvalue(self) -> bytes:
        if self.size > MAX_FILE_BYTES:
            raise AssertionError("an oversized upload was copied out")
        return self._data


def test_an_upload_over_the_limit_is_refused_by_its_size():
    with pytest.raises(ImportFailed, match="over the 200 MB limit"):
        read_uploads([_Upload("a.csv", 3, b"abc"), _Upload("big.zip", 300 * 2**20)])
    assert read_uploads([_Upload("a.csv", 3, b"abc")]) == [("a.csv", b"abc")]
    check_size("ok.csv", MAX_FILE_BYTES)  # the limit itself is allowed


def test_ids_too_long_say_so_and_nul_in_cells_never_reaches_the_report(engine):
    ts = tweets(3)
    ts[1].id = "8" * 25
    ts[2].id = "12\x0034"
    with session_scope(engine) as s:
        ws = create_workspace(s, "ids", LOCAL).id
    report = import_files(engine, ws, LOCAL, [("t.csv", legacy_csv(ts))])
    reasons = [s["reason"] for s in report.files[0].skipped]
    assert reasons == ["tweet id has 25 digits; X ids have at most 20", "tweet id '1234' is not a number"]
    assert report.new == 1
