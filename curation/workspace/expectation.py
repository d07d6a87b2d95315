"""The content-only expectation, fitted once per data version and kept in the database for every replica."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from curation.errors import NotEnoughData
from curation.learn import model
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
    engine: Engine,
    workspace_id: int,
    data_version: int,
    tz: str,
    tweets: pd.DataFrame | Callable[[], pd.DataFrame],
) -> pd.Series | None:
    """The stored expectation of this data version, fitted and stored first when no process has yet.

    ``tweets`` may be a loader, called only when the expectation has to be fitted.
    """
    with session_scope(engine) as s:
        found, expected = stored_expectation(s, workspace_id, data_version, tz)
    if found:
        return expected
    expected = fit(tweets() if callable(tweets) else tweets, tz)
    with session_scope(engine) as s:
        store_expectation(s, workspace_id, data_version, tz, expected)
    return expected


def refresh(engine: Engine, workspace_id: int, actor: Actor | None = None) -> None:
    """Fit and store the expectation of the workspace's current data (after an import or retrain)."""
    actor = actor or Actor.local_user()
    with session_scope(engine) as s:
        ws = get_workspace(s, workspace_id)
        version, tz = ws.data_version, ws.timezone

    def load() -> pd.DataFrame:
        with session_scope(engine) as s:
            return load_tweets(s, workspace_id, actor)

    content_expectation(engine, workspace_id, version, tz, load)
