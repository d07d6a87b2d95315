"""The content-only expectation is fitted once per data version, kept in the database, and reused."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from curation.learn import data as data_mod
from curation.learn import model
from curation.store.access import Actor, get_workspace
from curation.store.db import session_scope
from curation.store.expectations import store_expectation, stored_expectation
from curation.store.models import Expectation
from curation.workspace import expectation, planning
from curation.workspace.demo import demo_tweets, seed_demo
from curation.workspace.importer import import_files
from curation.workspace.refresh import after_data_change


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the fits of model.expected_without_time."""
    calls: list[int] = []
    real = model.expected_without_time

    def counting(tweets: pd.DataFrame, tz: str) -> pd.Series:
        calls.append(len(tweets))
        return real(tweets, tz)

    monkeypatch.setattr(model, "expected_without_time", counting)
    return calls


def _version(engine, ws: int) -> int:
    with session_scope(engine) as s:
        return get_workspace(s, ws).data_version


def test_expectation_is_stored_after_retrain_reused_by_visits_and_refitted_after_a_change(engine, fits):
    ws = seed_demo(engine)
    after_data_change(engine, ws)
    assert len(fits) == 1  # fitted right after the retrain
    planning._history.cache_clear()
    first = planning.history(engine, ws, Actor.local_user()).expected
    planning._history.cache_clear()  # another replica, or a restarted process
    second = planning.history(engine, ws, Actor.local_user()).expected
    assert len(fits) == 1  # both visits read the stored one
    assert first is not None and len(first) > 100
    pd.testing.assert_series_equal(first, second)
    direct = model.expected_without_time(demo_tweets(), "Europe/Berlin")
    assert set(direct.index) == set(first.index)

    # New data: a new version, fitted once by the retrain, then read by the visit.
    before = _version(engine, ws)
    extra = demo_tweets(seed=99).head(5).assign(tweet_id=[f"9{i:017d}" for i in range(5)])
    csv = extra.rename(columns={"tweet_id": "Tweet id", "text": "Tweet text"})
    csv["time"] = extra["created_at"].dt.strftime("%Y-%m-%d %H:%M +0000")
    csv["impressions"], csv["url clicks"], csv["likes"] = 100.0, 3.0, 2.0
    data = csv[["Tweet id", "Tweet text", "time", "impressions", "url clicks", "likes"]].to_csv(index=False).encode()
    report = import_files(engine, ws, Actor.local_user(), [("tweet_activity_metrics_x_20250101_20250201_en.csv", data)])
    assert report.new == 5 and _version(engine, ws) == before + 1
    after_data_change(engine, ws)
    assert len(fits) == 3  # the direct call above, and this version's fit
    planning._history.cache_clear()
    third = planning.history(engine, ws, Actor.local_user()).expected
    assert len(fits) == 3
    assert third is not None and set(extra["tweet_id"]) <= set(third.index)
    with session_scope(engine) as s:  # older versions' rows go
        versions = s.scalars(select(Expectation.data_version).where(Expectation.workspace_id == ws)).all()
    assert versions == [before + 1]


def test_a_visit_fits_and_stores_when_no_process_has(engine, fits):
    ws = seed_demo(engine)
    with session_scope(engine) as s:
        s.execute(delete(Expectation))
    planning._history.cache_clear()
    planning.history(engine, ws, Actor.local_user())
    assert len(fits) == 1
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Expectation)) == 1


def test_too_little_history_and_missing_values_round_trip(engine):
    ws = seed_demo(engine)
    series = pd.Series([1.5, float("nan"), 0.0], index=pd.Index(["1", "2", "3"], name="tweet_id"), name="url_clicks")
    with session_scope(engine) as s:
        store_expectation(s, ws, 41, "UTC", None)
        store_expectation(s, ws, 42, "UTC", series)
        store_expectation(s, ws, 42, "UTC", series)  # a second replica's fit of the same version: no error
    with session_scope(engine) as s:
        assert stored_expectation(s, ws, 41, "UTC") == (False, None)  # dropped when 42 came
        found, back = stored_expectation(s, ws, 42, "UTC")
        assert stored_expectation(s, ws, 43, "UTC") == (False, None)
    assert found
    pd.testing.assert_series_equal(back, series)


def test_deleting_a_workspace_removes_its_stored_expectation(engine):
    from curation.workspace.members import delete_workspace

    ws = seed_demo(engine)
    series = pd.Series([1.0], index=pd.Index(["1"], name="tweet_id"))
    with session_scope(engine) as s:
        store_expectation(s, ws, _version_in(s, ws), "UTC", series)
    with session_scope(engine) as s:
        delete_workspace(s, ws, Actor.local_user(), get_workspace(s, ws).name)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Expectation)) == 0


def _version_in(session, ws: int) -> int:
    return get_workspace(session, ws).data_version


def _latest_originals(tweets: pd.DataFrame, n: int) -> set[str]:
    own = tweets[~tweets["is_reply"] & ~tweets["is_retweet"] & tweets["url_clicks"].notna()]
    return set(own.sort_values(["created_at", "tweet_id"], kind="stable")["tweet_id"].astype(str).tail(n))


def test_a_history_larger_than_the_window_is_fitted_on_its_latest_part_only(monkeypatch):
    monkeypatch.setattr(data_mod, "MAX_TRAIN_ROWS", 300)  # the model's window, at a size the demo exceeds
    tweets = demo_tweets()
    expected = expectation.fit(tweets, "Europe/Berlin")
    assert expected is not None
    assert set(expected.dropna().index) == _latest_originals(tweets, 300)
    # What the older tweets earned does not move the expectation of the window.
    older = ~tweets["tweet_id"].astype(str).isin(expected.index)
    changed = tweets.assign(url_clicks=tweets["url_clicks"].where(~older, tweets["url_clicks"] * 7 + 3))
    pd.testing.assert_series_equal(expectation.fit(changed, "Europe/Berlin"), expected)

    note = expectation.window_note(tweets, expected, "Europe/Berlin")
    own = tweets[~tweets["is_reply"] & ~tweets["is_retweet"] & tweets["url_clicks"].notna()]
    n_older = len(own) - 300
    assert n_older > 0
    assert "latest 300 original tweets" in note and f"your {n_older:,} earlier ones are not counted" in note
    small = tweets.tail(250)  # fits the window: nothing left out, nothing said
    assert expectation.window_note(small, expectation.fit(small, "Europe/Berlin"), "Europe/Berlin") == ""
    assert expectation.window_note(tweets, None, "Europe/Berlin") == ""


def test_insights_and_the_plan_say_which_recent_tweets_the_expectation_reads(engine, monkeypatch):
    from curation.plan.constraints import PlanConstraints

    ws = seed_demo(engine)
    after_data_change(engine, ws)
    planning._history.cache_clear()
    whole = planning.history(engine, ws, Actor.local_user())
    assert whole.window == ""  # the demo fits the 20,000-tweet window: nothing left out, nothing said
    constraints = PlanConstraints(tz=whole.tz, days=14)
    plain = planning.make_plan(engine, ws, Actor.local_user(), constraints)
    assert plain.slots and "window" not in planning.curve_reading(plain)

    monkeypatch.setattr(data_mod, "MAX_TRAIN_ROWS", 300)
    with session_scope(engine) as s:
        s.execute(delete(Expectation))  # as after a release that changed the window: fitted again
    planning._history.cache_clear()
    hist = planning.history(engine, ws, Actor.local_user())
    assert set(hist.expected.dropna().index) == _latest_originals(hist.tweets, 300)
    assert "latest 300 original tweets" in hist.window
    plan = planning.make_plan(engine, ws, Actor.local_user(), constraints)
    assert plan.slots and hist.window in planning.curve_reading(plan)
    saved = planning.plan_from_dict(plan.to_dict())  # a saved plan keeps saying it
    assert hist.window in planning.curve_reading(saved)


def test_the_insights_page_names_the_window_when_older_tweets_are_left_out(demo_copy, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from curation.store.db import engine_for

    monkeypatch.setenv("DATABASE_URL", demo_copy)
    monkeypatch.setattr(data_mod, "MAX_TRAIN_ROWS", 300)
    with session_scope(engine_for(demo_copy)) as s:
        s.execute(delete(Expectation))  # fitted again on the visit, on the smaller window
    planning._history.cache_clear()
    at = AppTest.from_file(str(ROOT / "pages/2_insights.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    said = [c.value for c in at.caption if "not counted" in c.value]
    assert len(said) == 1 and "latest 300 original tweets" in said[0]
