"""The fast paths of an import (an empty workspace, links made inside the database) store what the general path does."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from curation.bench_cases import archive_js, history, varied
from curation.importer import import_files
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Tweet, TweetUpload
from curation.store.tweets import load_tweets
from curation.store.workspaces import create_workspace

LOCAL = Actor.local_user()


def _links(engine, ws: int, upload_id: int) -> set[str]:
    with session_scope(engine) as s:
        return set(s.scalars(select(Tweet.tweet_id).join(TweetUpload, TweetUpload.tweet_pk == Tweet.id)
                             .where(Tweet.workspace_id == ws, TweetUpload.upload_id == upload_id)))


def test_an_empty_and_a_filled_workspace_store_the_same_rows_and_links(engine):
    tweets = varied(history(300))
    part, whole = archive_js(tweets.head(120)), archive_js(tweets)
    with session_scope(engine) as s:
        empty = create_workspace(s, "empty", LOCAL).id
        filled = create_workspace(s, "filled", LOCAL).id
    first = import_files(engine, filled, LOCAL, [("tweets.js", part)])
    into_filled = import_files(engine, filled, LOCAL, [("tweets.js", whole)])
    into_empty = import_files(engine, empty, LOCAL, [("tweets.js", whole)])
    assert into_empty.new == into_filled.new + first.new
    assert into_filled.updated + into_filled.unchanged == first.new
    with session_scope(engine) as s:
        a, b = load_tweets(s, empty, LOCAL), load_tweets(s, filled, LOCAL)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == into_empty.new
    # Every tweet of the upload is linked to it, whether the database just made its row or it was there.
    assert _links(engine, empty, into_empty.upload_id) == set(a["tweet_id"])
    assert _links(engine, filled, into_filled.upload_id) == set(b["tweet_id"])
    assert len(_links(engine, filled, first.upload_id)) == first.new
