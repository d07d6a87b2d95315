"""Imports of one workspace at the same time: both changes survive, a duplicate is 'unchanged', no traceback."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select

from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Tweet
from curation.store.workspaces import create_workspace
from curation.workspace.importer import ImportReport, import_files
from tests.ingest_cases import Tweet as T
from tests.ingest_cases import archive_js, archive_tweet, tweets, x_content_csv

LOCAL = Actor.local_user()
N = 20_000  # the size issue 13 reported the lost update at


def _workspace(engine: Engine, name: str = "acme") -> int:
    with session_scope(engine) as s:
        return create_workspace(s, name, LOCAL).id


def _at_once(*calls: Callable[[], ImportReport]) -> list[ImportReport | BaseException]:
    """Run the calls in threads released together; each result or the exception it raised."""
    start = threading.Barrier(len(calls))
    out: list[ImportReport | BaseException] = [RuntimeError("not run")] * len(calls)

    def go(i: int, fn: Callable[[], ImportReport]) -> None:
        start.wait()
        try:
            out[i] = fn()
        except BaseException as exc:  # reported by the test, never lost in the thread
            out[i] = exc

    threads = [threading.Thread(target=go, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return out


@pytest.mark.pg
def test_overlapping_imports_keep_both_changes(engine: Engine) -> None:
    ws = _workspace(engine)
    posts = tweets(N)
    import_files(engine, ws, LOCAL, [("tweets.js", archive_js([archive_tweet(t) for t in posts]))])
    for i, t in enumerate(posts):
        t.impressions, t.url_clicks = 1000 + i, 7
    metrics = x_content_csv(posts)
    edited = [T(text=f"edited {t.text}", when=t.when, id=t.id) for t in posts]
    edits = archive_js([archive_tweet(t) for t in edited])

    a, b = _at_once(lambda: import_files(engine, ws, LOCAL, [("content.csv", metrics)]),
                    lambda: import_files(engine, ws, LOCAL, [("tweets.js", edits)]))
    assert isinstance(a, ImportReport) and isinstance(b, ImportReport), (a, b)
    assert (a.updated, b.updated) == (N, N)
    with session_scope(engine) as s:
        def count(*where) -> int:
            return s.scalar(select(func.count()).select_from(Tweet).where(Tweet.workspace_id == ws, *where))

        assert count() == N
        assert count(Tweet.impressions >= 1000, Tweet.url_clicks == 7) == N  # the metrics' change
        assert count(Tweet.text.like("edited %")) == N  # the edited texts' change


@pytest.mark.pg
def test_same_file_twice_at_once_is_one_new_one_unchanged(engine: Engine) -> None:
    ws = _workspace(engine)
    data = archive_js([archive_tweet(t) for t in tweets(2_000)])
    reports = _at_once(*[lambda: import_files(engine, ws, LOCAL, [("tweets.js", data)])] * 2)
    assert all(isinstance(r, ImportReport) for r in reports), reports
    assert sorted((r.new, r.unchanged) for r in reports) == [(0, 2_000), (2_000, 0)]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Tweet).where(Tweet.workspace_id == ws)) == 2_000
