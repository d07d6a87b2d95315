"""The fast paths of an import (an empty workspace, links made inside the database) store what the general path does."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from curation.bench.cases import archive_js, history, varied
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Tweet, TweetUpload
from curation.store.tweets import load_tweets
from curation.store.workspaces import create_workspace
from curation.workspace.importer import import_files

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


def test_cli_import_prints_the_report_then_retrains_and_stores_the_expectation(sqlite_url, tmp_path):
    import json
    import subprocess
    import sys

    from conftest import ROOT

    from curation.store.access import get_workspace
    from curation.store.db import engine_for
    from curation.store.expectations import stored_expectation

    archive = tmp_path / "tweets.js"
    archive.write_bytes(archive_js(varied(history(400))))
    proc = subprocess.run([sys.executable, "-m", "curation", "import", str(archive), "--db", sqlite_url,
                           "--workspace", "Big", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new"] > 300  # stdout is the report alone
    stages = proc.stderr.splitlines()
    assert [s for s in stages if s.startswith(("Training", "Fitting"))] == [
        "Training the model on the whole history…", "Fitting what content alone earns, for Insights and the Planner…"]
    with session_scope(engine_for(sqlite_url)) as s:
        ws = get_workspace(s, 1)
        found, expected = stored_expectation(s, ws.id, ws.data_version, ws.timezone)
    assert found and expected is not None and len(expected) > 100
