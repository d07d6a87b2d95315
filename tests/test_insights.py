"""Insights recover the demo account's known effects, and their readings state the numbers they show."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from curation.audience.growth import weekly_growth
from curation.errors import NotEnoughData
from curation.plan.best_times import GOOD_P, BestTimes, best_times, slot_multipliers, slot_notes
from curation.plan.history import accounts, structural_expected
from curation.plan.volume import CAP_SHARE, Volume, busy_day, cap_for, volume
from curation.plan.worked import trend, what_worked
from curation.ui import figures
from curation.workspace.demo import DEMO_TIMEZONE, VOLUME_SLOPE, demo_tweets

TZ = DEMO_TIMEZONE


@pytest.fixture(scope="module")
def tweets() -> pd.DataFrame:
    return demo_tweets()


@pytest.fixture(scope="module")
def times(tweets: pd.DataFrame) -> BestTimes:
    return best_times(tweets, TZ)


@pytest.fixture(scope="module")
def vol(tweets: pd.DataFrame) -> Volume:
    return volume(tweets, TZ)


def _flat_account(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Link tweets at uniformly random times whose clicks do not depend on time or volume at all."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-05", tz="UTC")
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, 300 * 24, n)), unit="h")
    return pd.DataFrame(
        {
            "tweet_id": [str(10_000 + i) for i in range(n)],
            "created_at": created,
            "text": ["New guide https://example.com/x"] * n,
            "is_reply": False,
            "is_retweet": False,
            "has_link": True,
            "link_domains": "example.com",
            "n_hashtags": 0,
            "n_mentions": 0,
            "media_type": None,
            "lang": "en",
            "impressions": pd.array(rng.poisson(800, n), dtype="Int64"),
            "url_clicks": pd.array(rng.poisson(6, n), dtype="Int64"),
            "likes": pd.array(rng.poisson(8, n), dtype="Int64"),
            "reposts": pd.array(rng.poisson(2, n), dtype="Int64"),
            "follows": pd.array(rng.poisson(0.2, n), dtype="Int64"),
        }
    )


# --------------------------------------------------------------------------- best times


def test_best_times_flags_a_weekday_mid_morning_cell_good(times: BestTimes) -> None:
    good = times.good_cells
    weekday_mid_morning = good[(good["weekday"] < 5) & (good["block"] == 8)]
    assert not weekday_mid_morning.empty, times.table
    assert (weekday_mid_morning["p_better"] > GOOD_P).all()


def test_best_times_pooled_over_the_week_the_8_to_12_block_is_best_and_good(times: BestTimes) -> None:
    hours = times.hours_table
    best = hours.loc[hours["theta"].idxmax()]
    assert best["block"] == 8
    assert best["verdict"] == "good"
    assert best["p_better"] > 0.95


def test_best_times_table_covers_every_cell_and_every_tweet(tweets: pd.DataFrame, times: BestTimes) -> None:
    t = times.table
    assert len(t) == 42
    assert t["n"].sum() == int(tweets["url_clicks"].notna().sum())
    assert t["p_better"].between(0, 1).all()
    assert (t["theta_low"] <= t["theta"]).all() and (t["theta"] <= t["theta_high"]).all()
    assert t["observed"].sum() == pytest.approx(t["expected"].sum())
    assert times.prior_nu == times.prior_alpha > 0
    assert times.dispersion >= 1


def test_best_times_reading_names_the_good_cells_with_their_numbers(times: BestTimes) -> None:
    assert times.reading.startswith("Reliably good times for clicks")
    for row in times.good_cells.head(4).itertuples():
        assert f"{row.cell} (×{row.theta:.2f}, P = {row.p_better:.2f}, n = {row.n})" in times.reading


def test_best_times_says_timing_makes_no_difference_when_it_does_not() -> None:
    flat = best_times(_flat_account(), "UTC")
    assert flat.good_cells.empty
    assert flat.reading.startswith("Timing makes no reliable difference")
    closest = flat.table.loc[flat.table["p_better"].idxmax()]
    assert f"P = {closest['p_better']:.2f}" in flat.reading


def test_best_times_uses_a_given_expected_series_and_drops_tweets_without_one(tweets: pd.DataFrame) -> None:
    exp = structural_expected(tweets)
    partial = exp.iloc[len(exp) // 4 :]  # cross-fitting leaves the earliest tweets without an expectation
    result = best_times(tweets, TZ, expected=partial)
    assert result.table["n"].sum() == len(partial)


def test_best_times_falls_back_to_engagement_without_click_numbers(tweets: pd.DataFrame) -> None:
    no_clicks = tweets.assign(url_clicks=pd.array([pd.NA] * len(tweets), dtype="Int64"))
    result = best_times(no_clicks, TZ)
    assert result.target_label == "engagement"
    assert "engagement" in result.reading


def test_best_times_figure_is_a_heatmap_with_n_per_cell(times: BestTimes) -> None:
    fig = figures.best_times_figure(times)
    assert isinstance(fig, go.Figure)
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert np.asarray(heat.z).shape == (7, 6)
    assert "n=" in heat.text[1][2]


def test_slot_notes_and_multipliers_follow_the_cells(times: BestTimes) -> None:
    good = times.good_cells.iloc[0]
    # 2026-11-02 is a Monday; pick the good cell's weekday, 10:00 local.
    local = pd.Timestamp("2026-11-02 10:00", tz=TZ) + pd.Timedelta(days=int(good["weekday"]))
    slot = local.replace(hour=int(good["block"]) + 1).tz_convert("UTC")
    (note,) = slot_notes(times, [slot])
    assert "reliably good" in note and f"{good['theta']:.2f}" in note
    (mult,) = slot_multipliers(times, [slot])
    assert mult == pytest.approx(good["theta"])


# --------------------------------------------------------------------------- volume


def test_volume_per_post_clicks_fall_with_posts_per_day(vol: Volume) -> None:
    t = vol.table
    assert vol.slope > 0.1
    assert t["ratio"].iloc[0] > 1.5 * t["ratio"].iloc[-1]
    assert np.corrcoef(t["posts_that_day"], t["ratio"])[0, 1] < -0.8
    assert vol.curve["per_post"].is_monotonic_decreasing
    assert vol.curve["day_total"].is_monotonic_increasing  # the demo's totals still grow, slowly


def test_volume_cap_is_finite_and_matches_the_rule(vol: Volume) -> None:
    c = vol.curve
    assert isinstance(vol.cap, int) and 1 <= vol.cap < c["posts_per_day"].max()
    assert (c.loc[c["posts_per_day"] <= vol.cap, "marginal_share"] >= CAP_SHARE).all()
    assert c.loc[c["posts_per_day"] == vol.cap + 1, "marginal_share"].iloc[0] < CAP_SHARE
    # The demo's true slope gives a cap inside the range the data supports.
    true_cap = cap_for(VOLUME_SLOPE, int(c["posts_per_day"].max()), CAP_SHARE)
    assert vol.cap_range[0] <= true_cap <= vol.cap_range[1]


def test_volume_marginal_is_the_difference_of_day_totals(vol: Volume) -> None:
    c = vol.curve
    n, per_post = c["posts_per_day"].to_numpy(), c["per_post"].to_numpy()
    expected = n * per_post - np.concatenate([[0.0], (n * per_post)[:-1]])
    assert np.allclose(c["marginal"], expected)
    assert vol.factor(1) == 1.0
    assert vol.factors(3) == pytest.approx([1.0, 1 / (1 + vol.slope), 1 / (1 + 2 * vol.slope)])


def test_volume_reading_states_cap_slope_and_marginal(vol: Volume) -> None:
    r = vol.reading
    assert f"the daily cap is {vol.cap}" in r
    assert f"slope {vol.slope:.2f}" in r
    share = vol.curve.loc[vol.curve["posts_per_day"] == vol.cap + 1, "marginal_share"].iloc[0]
    assert f"post {vol.cap + 1} of a day would add only {share:.0%}" in r


def test_volume_flat_account_has_no_slope_and_cap_at_its_busiest_day() -> None:
    flat = volume(_flat_account(), "UTC")
    assert flat.slope_range[0] <= 0 <= flat.slope_range[1]
    assert flat.cap >= 2


def test_follower_growth_is_the_audience_analysis(tweets: pd.DataFrame) -> None:
    # Insights shows audience.weekly_growth (complete weeks, p < 0.05), no rule of its own.
    g = weekly_growth(pd.DataFrame(columns=["day", "follows", "unfollows", "tweets_published"]), tweets, TZ)
    assert len(g.table) >= 50 and g.basis == "tweets"
    assert g.rho_quality is not None and g.rho_quality > 0.3
    assert f"ρ = {g.rho_quality:.2f}" in g.reading
    modules = [importlib.import_module(f"curation.plan.{m}") for m in ("history", "worked", "best_times", "volume")]
    assert not any(hasattr(m, "follower_growth") for m in modules) and not hasattr(Volume, "follows")


def test_volume_figure_marks_the_cap(vol: Volume) -> None:
    fig = figures.volume_figure(vol)
    assert any(f"cap {vol.cap}/day" in (a.text or "") for a in fig.layout.annotations)


# --------------------------------------------------------------------------- what worked and trend


def test_what_worked_recovers_link_and_hashtag_effects(tweets: pd.DataFrame) -> None:
    w = what_worked(tweets, TZ)
    t = w.table.set_index("level")
    assert t.loc["posts without a link", "per_post"] == 0
    link = t.loc["posts with a link"]
    assert f"{link['per_post']:.1f} clicks per post (n={int(link['n'])})" in w.reading
    tags = w.table[w.table["factor"] == "hashtags"].set_index("level")
    assert (tags["among"] == "link tweets").all()
    assert tags.loc["posts with 3+ hashtags", "per_post"] < 0.8 * tags.loc["posts with no hashtags", "per_post"]
    assert w.top["clicks"].is_monotonic_decreasing and len(w.top) == 5
    assert w.bottom["clicks"].is_monotonic_increasing
    assert w.top["clicks"].iloc[0] == tweets["url_clicks"].max()
    assert isinstance(figures.what_worked_figure(w), go.Figure)


def test_trend_reading_matches_its_table(tweets: pd.DataFrame) -> None:
    tr = trend(tweets, TZ)
    t = tr.table
    assert len(t) in (53, 54) and t["posts"].sum() == len(tweets)
    k = len(t) // 4
    assert f"from {t['clicks_per_post'].head(k).mean():.1f}" in tr.reading
    assert f"to {t['clicks_per_post'].tail(k).mean():.1f}" in tr.reading
    assert isinstance(figures.trend_figure(tr), go.Figure)


def test_empty_history_raises_a_helpful_error(tweets: pd.DataFrame) -> None:
    with pytest.raises(NotEnoughData):
        best_times(tweets.iloc[:0], TZ)
    with pytest.raises(NotEnoughData):
        what_worked(tweets.iloc[:0], TZ)


def test_retweets_are_left_out(tweets: pd.DataFrame) -> None:
    rt = tweets.copy()
    rt.loc[rt.index[:100], "is_retweet"] = True
    assert trend(rt, TZ).table["posts"].sum() == len(tweets) - 100


def test_volume_fit_survives_days_with_dozens_of_posts() -> None:
    # Busy days (60+ posts) once pushed the slope search to a negative value where 1 + b (n - 1) hit zero.
    busy = demo_tweets(seed=3, scale=12)
    found = volume(busy, DEMO_TIMEZONE)
    assert 0.0 < found.slope < 1.0 and found.slope_range[0] > -1.0 / 70
    assert found.cap >= 1


# --------------------------------------------------------------------------- real-data shapes (issue 12)


def _busy_news_account(seed: int = 1) -> pd.DataFrame:
    """Many quiet days and a few very busy ones whose posts each earn more (busy news days, not volume)."""
    rng = np.random.default_rng(seed)
    per_day = np.where(rng.uniform(size=120) < 0.85, rng.integers(1, 5, 120), rng.integers(40, 180, 120))
    rows = []
    for day, n in enumerate(per_day):
        start = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(days=day)
        for _ in range(n):
            rows.append((start + pd.Timedelta(minutes=int(rng.integers(0, 24 * 60))), rng.poisson(4 * (1 + 0.01 * n))))
    n = len(rows)
    frame = _flat_account(n, seed)
    frame["created_at"] = pd.Series([r[0] for r in rows]).sort_values(ignore_index=True)
    frame["url_clicks"] = pd.array([r[1] for r in rows], dtype="Int64")
    return frame


def test_cap_never_exceeds_the_busy_day_and_chart_and_sentence_agree() -> None:
    tweets = _busy_news_account()
    vol = volume(tweets, "UTC")
    busy = busy_day(tweets, "UTC")
    per_day = pd.to_datetime(tweets["created_at"]).dt.normalize().value_counts()
    assert busy == max(int(per_day.quantile(0.75)), 1) and busy < per_day.max()
    assert 1 <= vol.cap <= busy
    assert (vol.curve["marginal_share"] <= 1.0 + 1e-9).all()  # no bar ever rises above a lone post
    assert vol.curve["posts_per_day"].max() <= max(2 * busy, vol.cap + 1)
    assert "barely changed" not in vol.reading and f"the daily cap is {vol.cap}" in vol.reading
    assert any(f"cap {vol.cap}/day" in (a.text or "") for a in figures.volume_figure(vol).layout.annotations)


def test_thin_volume_evidence_leans_toward_fewer_posts(tweets: pd.DataFrame) -> None:
    thin = tweets.sort_values("created_at").tail(120)
    vol = volume(thin, TZ)
    point = cap_for(max(vol.slope, 0.0), int(vol.table["posts_that_day"].max()), CAP_SHARE)
    assert vol.cap <= min(point, vol.busy_day)
    assert vol.plan_slope >= max(vol.slope, 0.0)
    assert vol.plan_factor(2) <= vol.factor(2) or vol.slope < 0


def test_trend_never_prints_n_a_without_impressions(tweets: pd.DataFrame) -> None:
    bare = tweets.assign(impressions=pd.array([pd.NA] * len(tweets), dtype="Int64"))
    bare.loc[bare.index[:200], "url_clicks"] = pd.NA
    reading = trend(bare, TZ).reading
    assert "n/a" not in reading and "posts a week" in reading


def test_accounts_come_from_handles_or_permalinks() -> None:
    frame = _flat_account(4)
    assert accounts(frame) == []
    frame["permalink"] = ["https://twitter.com/Acme/status/1", "https://x.com/acme/status/2",
                          "https://twitter.com/Other_Co/status/3", None]
    assert accounts(frame) == ["acme", "other_co"]
    assert accounts(frame.assign(account_handle="@Acme")) == ["acme"]


def test_insights_page_warns_when_a_workspace_mixes_accounts(sqlite_url, monkeypatch) -> None:
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from curation.cli import main

    real = ROOT / "tests" / "fixtures" / "real"
    hopr = sorted(str(p) for p in real.glob("analytics_csv__hoprnet__*"))
    lisa = str(next(real.glob("analytics_csv__debruine__*20211201_20220101_en.csv")))
    assert main(["import", *hopr, "--db", sqlite_url, "--workspace", "Hopr", "--tz", "UTC"]) == 0
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    at = AppTest.from_file(str(ROOT / "pages" / "2_insights.py"), default_timeout=120).run()
    assert not at.exception and not any("mixes tweets" in w.value for w in at.warning)
    main(["import", lisa, "--db", sqlite_url, "--workspace", "Hopr"])
    at = AppTest.from_file(str(ROOT / "pages" / "2_insights.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert any("mixes tweets of 2 accounts" in w.value and "hoprnet" in w.value for w in at.warning)
