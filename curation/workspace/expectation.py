"""The content-only expectation, fitted once per data version and kept in the database for every replica.

It is fitted on the same recent window the model learns from (data.MAX_TRAIN_ROWS, the latest
original tweets with the target; prepare() applies it), so its fits cost the same however long the
history grows, and the timing and volume analyses that divide by it read that window.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from curation.errors import NotEnoughData
from curation.learn import model
from curation.plan.history import target_values
from curation.schema import is_original
from curation.store.access import Actor, get_workspace
from curation.store.db import session_scope
from curation.store.expectations import store_expectation, stored_expectation
from curation.store.tweets import load_tweets


def fit(tweets: pd.DataFrame, tz: str) -> pd.Series | None:
    """model.expected_without_time on the recent window, or None when the history is too small (analyses fall back)."""
    if tweets.empty:
        return None
    try:
        return model.expected_without_time(tweets, tz)
    except NotEnoughData:
        return None


def window_note(tweets: pd.DataFrame, expected: pd.Series | None, tz: str) -> str:
    """One sentence naming the window the expectation covers, or "" when it covers every original tweet."""
    if expected is None or expected.empty or expected.name not in ("url_clicks", "engagement"):
        return ""
    # The expectation is in time order: its first tweet opens the window.
    times = pd.to_datetime(tweets["created_at"], utc=True)
    first = times[(tweets["tweet_id"].astype(str) == str(expected.index[0])).to_numpy()]
    if first.empty:
        return ""
    since = first.iloc[0]
    own = is_original(tweets).to_numpy()
    values, _ = target_values(tweets, str(expected.name))
    older = int((own & values.notna().to_numpy() & (times < since).to_numpy()).sum())
    if not older:
        return ""
    return (f"Best times and the volume curve compare each post with what its content alone earns, fitted on your "
            f"latest {int(expected.notna().sum()):,} original tweets (since {since.tz_convert(tz):%d %b %Y}), the "
            f"same recent window the model learns from; your {older:,} earlier ones are not counted.")


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
