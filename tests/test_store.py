"""Storage behaviour, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from curation.errors import CurationError, NotFound, PermissionDenied
from curation.ingest import ParsedFile
from curation.schema import DAILY_COLUMNS, TWEET_COLUMNS
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Tweet, TweetUpload
from curation.store.tweets import load_tweets
from curation.store.workspaces import create_workspace, find_workspace, set_member
from curation.workspace.importer import import_parsed

LOCAL = Actor.local_user()


def _tweets(rows: list[dict]) -> pd.DataFrame:
    base = {"text": "", "is_reply": False, "is_retweet": False, "has_link": False, "link_domains": "",
            "n_hashtags": 0, "n_mentions": 0, "media_type": None, "lang": None}
    frame = pd.DataFrame([{**base, **r} for r in rows])
    for col in TWEET_COLUMNS:
        if col not in frame:
            frame[col] = pd.NA
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame[list(TWEET_COLUMNS)]


def _parsed(name: str, fmt: str, rows: list[dict], as_of: str) -> ParsedFile:
    return ParsedFile(name=name, format=fmt, tweets=_tweets(rows), daily=pd.DataFrame(columns=list(DAILY_COLUMNS)),
                      as_of=datetime.fromisoformat(as_of).replace(tzinfo=UTC), rows_read=len(rows))


def test_migrations_create_every_table(engine):
    names = set(inspect(engine).get_table_names())
    assert {"workspaces", "members", "uploads", "tweets", "daily_metrics", "drafts", "model_versions",
            "schedules", "audit_events", "account_snapshots", "audience_ids", "tweet_uploads"} <= names


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(TweetUpload(tweet_pk=999_999, upload_id=999_999))


def test_missing_metrics_stay_null_and_newer_exports_win(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "Acme", LOCAL)
        # An archive: text, no metrics.
        import_parsed(s, ws.id, LOCAL, [_parsed("tweets.js", "x_archive", [
            {"tweet_id": "1", "created_at": "2024-01-01T10:00:00Z", "text": "hello\nworld", "likes": 3},
        ], "2024-03-01")])
    with session_scope(engine) as s:
        t = load_tweets(s, ws.id, LOCAL)
        assert t.loc[0, "text"] == "hello\nworld"
        assert pd.isna(t.loc[0, "url_clicks"]) and pd.isna(t.loc[0, "impressions"])  # NULL, not 0
        # An analytics CSV of the same tweet: flattened text, metrics.
        rep = import_parsed(s, ws.id, LOCAL, [_parsed("a.csv", "x_content", [
            {"tweet_id": "1", "created_at": "2024-01-01T10:00:00Z", "text": "hello world",
             "impressions": 100, "url_clicks": 4},
        ], "2024-02-01")])
        assert (rep.new, rep.updated, rep.unchanged) == (0, 1, 0)
    with session_scope(engine) as s:
        t = load_tweets(s, ws.id, LOCAL)
        assert len(t) == 1
        assert t.loc[0, "text"] == "hello\nworld"  # archive text wins over the flattened CSV text
        assert (t.loc[0, "impressions"], t.loc[0, "url_clicks"], t.loc[0, "likes"]) == (100, 4, 3)
        # An older export does not overwrite newer numbers; a later one does; NULL never overwrites.
        old = import_parsed(s, ws.id, LOCAL, [_parsed("old.csv", "x_content", [
            {"tweet_id": "1", "created_at": "2024-01-01T10:00:00Z", "text": "hello world", "impressions": 50},
        ], "2024-01-15")])
        assert (old.updated, old.unchanged) == (0, 1)
        newer = import_parsed(s, ws.id, LOCAL, [_parsed("new.csv", "x_content", [
            {"tweet_id": "1", "created_at": "2024-01-01T10:00:00Z", "text": "hello world", "impressions": 180},
        ], "2024-06-01")])
        assert newer.updated == 1
    with session_scope(engine) as s:
        t = load_tweets(s, ws.id, LOCAL)
        assert (t.loc[0, "impressions"], t.loc[0, "url_clicks"]) == (180, 4)


def test_bulk_write_round_trips_every_value_exactly(engine):
    rows = [
        {"tweet_id": "1717171717171717171", "created_at": "2024-05-06T07:08:09.123456Z",
         "text": "<script>alert(1)</script> =HYPERLINK(\"x\") naïve 🚀\nline", "is_reply": True,
         "has_link": True, "link_domains": "example.com", "n_hashtags": 3, "media_type": "photo",
         "lang": "en", "impressions": 2_000_000_000, "url_clicks": 0},
        {"tweet_id": "2", "created_at": "2023-12-31T23:59:59.000000Z", "text": "", "is_retweet": True, "likes": 7},
    ]
    with session_scope(engine) as s:
        ws = create_workspace(s, "Exact", LOCAL)
        import_parsed(s, ws.id, LOCAL, [_parsed("tweets.js", "x_archive", rows, "2024-06-01")])
    with session_scope(engine) as s:
        t = load_tweets(s, ws.id, LOCAL).set_index("tweet_id")
    a, b = t.loc["1717171717171717171"], t.loc["2"]
    assert a["created_at"] == pd.Timestamp("2024-05-06T07:08:09.123456Z")
    assert b["created_at"] == pd.Timestamp("2023-12-31T23:59:59Z")
    assert a["text"] == rows[0]["text"] and b["text"] == ""
    assert (bool(a["is_reply"]), bool(a["is_retweet"]), bool(b["is_retweet"])) == (True, False, True)
    assert (a["link_domains"], a["n_hashtags"], a["media_type"]) == ("example.com", 3, "photo")
    assert (a["impressions"], a["url_clicks"], b["likes"]) == (2_000_000_000, 0, 7)  # 0 stays 0
    assert pd.isna(a["likes"]) and pd.isna(b["impressions"]) and pd.isna(b["url_clicks"])  # NULL stays NULL


def test_same_import_twice_is_unchanged(engine):
    files = [_parsed("a.csv", "legacy_analytics", [
        {"tweet_id": str(i), "created_at": f"2024-01-0{i}T10:00:00Z", "text": f"t{i}", "impressions": i * 10}
        for i in range(1, 6)
    ], "2024-02-01")]
    with session_scope(engine) as s:
        ws = create_workspace(s, "Twice", LOCAL)
        first = import_parsed(s, ws.id, LOCAL, files)
    with session_scope(engine) as s:
        second = import_parsed(s, ws.id, LOCAL, files)
    assert (first.new, first.updated) == (5, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    assert not second.changed


def test_failed_import_leaves_database_as_before(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "Atomic", LOCAL)
    bad = _parsed("a.csv", "legacy_analytics", [
        {"tweet_id": "1", "created_at": "2024-01-01T10:00:00Z", "text": "ok"},
    ], "2024-02-01")
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        import_parsed(s, ws.id, LOCAL, [bad])
        raise RuntimeError("disk full")  # any failure after the writes
    with session_scope(engine) as s:
        assert s.scalar(select(Tweet.id)) is None


def test_viewer_cannot_import_and_outsider_cannot_read(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "Roles", LOCAL)
        set_member(s, ws.id, LOCAL, "viewer@example.com", "viewer")
    viewer, outsider = Actor.signed_in("viewer@example.com"), Actor.signed_in("x@example.com")
    with session_scope(engine) as s:
        assert len(load_tweets(s, ws.id, viewer)) == 0
        with pytest.raises(PermissionDenied):
            import_parsed(s, ws.id, viewer, [_parsed("a.csv", "x_content", [
                {"tweet_id": "1", "created_at": "2024-01-01T10:00:00Z"}], "2024-02-01")])
        with pytest.raises(PermissionDenied, match="Ask one of its owners"):
            load_tweets(s, ws.id, outsider)
        with pytest.raises(NotFound):
            find_workspace(s, "nope", LOCAL)


def test_workspace_names_are_unique_and_timezones_checked(engine):
    with session_scope(engine) as s:
        create_workspace(s, "One", LOCAL)
    with pytest.raises(CurationError, match="exists already"), session_scope(engine) as s:
        create_workspace(s, "One", LOCAL)
    with pytest.raises(CurationError, match="IANA"), session_scope(engine) as s:
        create_workspace(s, "Two", LOCAL, timezone="Mars/Olympus")


@pytest.mark.pg
def test_postgres_schema_is_isolated(pg_url):
    from curation.store.db import make_engine, migrate

    eng = make_engine(pg_url)
    migrate(eng)
    with eng.connect() as conn:
        assert conn.execute(text("select current_schema()")).scalar().startswith("t_")
    eng.dispose()
