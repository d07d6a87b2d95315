"""The demo account is deterministic and carries the effects its docstring promises."""

from __future__ import annotations

import numpy as np

from curation.workspace.demo import DEMO_TIMEZONE, demo_tweets


def test_same_seed_same_data():
    a, b = demo_tweets(), demo_tweets()
    assert a.equals(b)
    assert 1300 <= len(a) <= 1700
    assert not demo_tweets(seed=8).equals(a)


def test_known_effects_are_in_the_data():
    d = demo_tweets()
    assert (d.loc[~d.has_link, "url_clicks"] == 0).all()
    link = d[d.has_link & ~d.is_reply]
    useful = link.text.str.contains("guide|report|Checklist|Case study|How to|template|measured|Step-by-step")
    rate = link.url_clicks / link.impressions
    assert rate[useful].mean() > 2 * rate[~useful].mean()
    assert rate[link.n_hashtags >= 3].mean() < rate[link.n_hashtags < 3].mean()
    hour = link.created_at.dt.tz_convert(DEMO_TIMEZONE).dt.hour
    assert rate[hour.between(9, 11)].mean() > 1.2 * rate[~hour.between(9, 11)].mean()
    # per-post clicks fall with posts per day
    day = d.created_at.dt.tz_convert(DEMO_TIMEZONE).dt.date
    per_day = d.groupby(day).size()
    n = day.map(per_day)
    busy, quiet = link.impressions[n[link.index] >= 7].mean(), link.impressions[n[link.index] <= 3].mean()
    assert busy < quiet
    # the audience grows
    first, last = np.array_split(d.impressions.astype(float).to_numpy(), 2)
    assert last.mean() > first.mean()
