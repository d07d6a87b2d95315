"""The content-only expectation, fitted once per data version and kept in the database for every replica."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from curation import model
from curation.errors import NotEnoughData
from curation.store.access import Actor, get_workspace
from curation.store.db import session_scope
from curation.store.expectations import store_expectation, stored_expectation
from curation.store.tweets import load_tweets


def fit(tweets: pd.DataFrame, tz: str) -> pd.Series | None:
    """model.expected_without_time, or None when the history is too small (the analyses fall back)."""
    if tweets.empty:
        return None
    try:
        return model.expected_without_time(tweets, tz)
    except NotEnoughData:
        return None


def content_expectation(
    engine: Engine, workspace_id: int, data_version: int, tz: str, tweets: pd.DataFrame
) -> pd.Series | None:
    """The stored expectation of this data version, fitted and stored first when no process has yet."""
    with session_scope(engine) as s:
        found, expected = stored_expectation(s, workspace_id, data_version, tz)
    if found:
        return expected
    expected = fit(tweets, tz)
    with session_scope(engine) as s:
        store_expectation(s, workspace_id, data_version, tz, expected)
    return expected


def refresh(engine: Engine, workspace_id: int, actor: Actor | None = None) -> None:
    """Fit and store the expectation of the workspace's current data (after an import or retrain)."""
    actor = actor or Actor.local_user()
    with session_scope(engine) as s:
        ws = get_workspace(s, workspace_id)
        version, tz = ws.data_version, ws.timezone
        found, _ = stored_expectation(s, workspace_id, version, tz)
        tweets = None if found else load_tweets(s, workspace_id, actor)
    if tweets is not None:
        expected = fit(tweets, tz)
        with session_scope(engine) as s:
            store_expectation(s, workspace_id, version, tz, expected)
