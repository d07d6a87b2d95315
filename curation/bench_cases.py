"""Benchmark cases of import, model and planner (registered with curation.bench.case)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from curation.bench import case, timed
from curation.demo import DEMO_TIMEZONE, demo_tweets


def history(n: int) -> pd.DataFrame:
    """About ``n`` demo-like tweets: demo years (denser for big n) stacked back in time with fresh ids."""
    scale = min(max(n / 1500, 1.0), 10.0)
    frames, total, year = [], 0, 0
    while total < n:
        f = demo_tweets(seed=7 + year, scale=scale)
        f["created_at"] = f["created_at"] - pd.Timedelta(days=365 * year)
        f["tweet_id"] = [str(10**17 * (year + 1) + i) for i in range(len(f))]
        frames.append(f)
        total += len(f)
        year += 1
    out = pd.concat(frames, ignore_index=True).sort_values("created_at", ignore_index=True)
    return out.tail(n).reset_index(drop=True)


def archive_js(tweets: pd.DataFrame) -> bytes:
    """An X archive tweets.js with real-shaped items (entities, source, edit info) for these tweets."""
    items = []
    for t in tweets.itertuples():
        urls = [{"url": "https://t.co/abc", "expanded_url": "https://northwind.io/blog/x", "display_url":
                 "northwind.io/blog/x", "indices": ["0", "23"]}] if t.has_link else []
        items.append({"tweet": {
            "edit_info": {"initial": {"editTweetIds": [t.tweet_id], "editableUntil": "2025-12-02T07:23:48.000Z",
                                      "editsRemaining": "5", "isEditEligible": False}},
            "retweeted": False,
            "source": '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": urls},
            "display_text_range": ["0", str(len(t.text))],
            "favorite_count": str(t.likes), "id_str": t.tweet_id, "truncated": False,
            "retweet_count": str(t.reposts), "id": t.tweet_id, "possibly_sensitive": False,
            "created_at": t.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y"), "favorited": False,
            "full_text": t.text.replace("&", "&amp;"), "lang": "en",
        }})
    return b"window.YTD.tweets.part0 = " + orjson.dumps(items, option=orjson.OPT_INDENT_2)


def legacy_csv(tweets: pd.DataFrame) -> bytes:
    """A legacy Twitter Analytics per-tweet CSV (40 quoted columns, newest first) for these tweets."""
    metrics = ["impressions", "engagements", "engagement rate", "retweets", "replies", "likes",
               "user profile clicks", "url clicks", "hashtag clicks", "detail expands", "permalink clicks",
               "app opens", "app installs", "follows", "email tweet", "dial phone", "media views",
               "media engagements"]
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(["Tweet id", "Tweet permalink", "Tweet text", "time", *metrics, *(f"promoted {m}" for m in metrics)])
    for t in tweets.iloc[::-1].itertuples():
        nums = [t.impressions, t.engagements, t.engagements / max(t.impressions, 1), t.reposts, t.replies, t.likes,
                t.profile_visits, t.url_clicks, 0, t.detail_expands, 0]
        w.writerow([t.tweet_id, f"https://twitter.com/northwind/status/{t.tweet_id}", t.text,
                    t.created_at.strftime("%Y-%m-%d %H:%M +0000"), *(f"{float(v)}" for v in nums),
                    0, 0, t.follows, 0, 0, 0, 0, *(["-"] * len(metrics))])
    return out.getvalue().encode()


def _import(tmp: Path, name: str, data: bytes) -> dict:
    from curation.importer import import_files
    from curation.store.access import Actor
    from curation.store.db import engine_for, session_scope
    from curation.store.workspaces import create_workspace

    engine = engine_for(f"sqlite:///{tmp / 'bench.db'}")
    with session_scope(engine) as s:
        ws = create_workspace(s, "bench", Actor.local_user()).id
    seconds, report = timed(lambda: import_files(engine, ws, Actor.local_user(), [(name, data)]))
    return {"import_s": seconds, "new": report.new}


@case("import_archive_js", (100_000,))
def _import_archive(n: int, tmp: Path) -> dict:
    data = archive_js(history(n))
    raw = data[data.index(b"=") + 1:]
    bare_s, _ = timed(lambda: orjson.loads(raw))
    from curation.ingest import parse_files

    parse_s, _ = timed(lambda: parse_files([("tweets.js", data)]))
    return {"file_mb": round(len(data) / 1e6, 1), "bare_orjson_s": bare_s, "parse_s": parse_s,
            **_import(tmp, "tweets.js", data)}


@case("import_legacy_csv", (100_000,))
def _import_legacy(n: int, tmp: Path) -> dict:
    data = legacy_csv(history(n))
    bare_s, _ = timed(lambda: pd.read_csv(io.BytesIO(data)))
    from curation.ingest import parse_files

    name = "tweet_activity_metrics_northwind_20250101_20260101_en.csv"
    parse_s, _ = timed(lambda: parse_files([(name, data)]))
    return {"file_mb": round(len(data) / 1e6, 1), "bare_read_csv_s": bare_s, "parse_s": parse_s,
            **_import(tmp, name, data)}


@case("model", (2_000, 10_000, 50_000))
def _model(n: int, tmp: Path) -> dict:
    from curation import model

    tweets = history(n)
    train_s, trained = timed(lambda: model.train(tweets, DEMO_TIMEZONE))
    blob = model.dumps(trained)
    path = tmp / "model.skops"
    path.write_bytes(blob)
    load_s, loaded = timed(lambda: model.loads(path.read_bytes()))
    texts = list(tweets["text"].sample(1000, replace=True, random_state=1))
    loaded.predict(texts[:1])  # warm
    one = []
    for t in texts[:50]:
        start = time.perf_counter()
        loaded.predict([t])
        one.append(time.perf_counter() - start)
    many_s, _ = timed(lambda: loaded.predict(texts))
    explain_s, _ = timed(lambda: loaded.explain(texts[0]))
    return {"tweets": len(tweets), "train_s": train_s, "load_s": load_s, "artifact_kb": round(len(blob) / 1024),
            "score_1_ms_median": round(float(np.median(one)) * 1000, 1), "score_1000_s": many_s,
            "explain_1_ms": round(explain_s * 1000, 1), "spearman": trained.card.metrics["model"]["spearman"],
            "spearman_B2": trained.card.metrics["B2"]["spearman"], "used": trained.card.used}


@case("insights_and_plan", (2_000, 50_000))
def _plan(n: int, tmp: Path) -> dict:
    from curation import insights, model
    from curation.planner import PlanConstraints, build_plan

    tweets = history(n)
    trained = model.train(tweets, DEMO_TIMEZONE)
    expected_s, expected = timed(lambda: model.expected_without_time(tweets, DEMO_TIMEZONE))

    def all_insights() -> None:
        insights.what_worked(tweets, DEMO_TIMEZONE)
        insights.trend(tweets, DEMO_TIMEZONE)
        insights.best_times(tweets, DEMO_TIMEZONE, expected)
        insights.volume(tweets, DEMO_TIMEZONE, expected)

    insights_s, _ = timed(all_insights)
    drafts = pd.DataFrame({"draft_id": range(100), "text": list(tweets["text"].sample(100, random_state=2))})
    c = PlanConstraints(tz=DEMO_TIMEZONE, days=14)
    plan_s, plan = timed(lambda: build_plan(drafts, trained, tweets, c, expected=expected))
    return {"tweets": len(tweets), "expected_without_time_s": expected_s, "insights_s": insights_s,
            "plan_100_drafts_14_days_s": plan_s, "posts_planned": len(plan.slots)}
