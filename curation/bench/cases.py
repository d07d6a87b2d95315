"""Benchmark cases of import, model and planner (registered with curation.bench.run.case)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from curation import config
from curation.bench.run import case, timed
from curation.workspace.demo import DEMO_TIMEZONE, demo_tweets


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


def varied(tweets: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """The same tweets with the variety real accounts have: unique links, hashtags and mentions, replies, edits.

    The demo repeats a few link paths and tags; a bench on it would hide the cost of a real vocabulary.
    """
    rng = np.random.default_rng(seed)
    n = len(tweets)
    out = tweets.copy()
    ids = out["tweet_id"].astype(str).to_numpy()
    tags = np.array([f"#topic{i}" for i in rng.integers(0, max(n // 3, 10), n)])
    users = np.array([f"@user{i}" for i in rng.integers(0, max(n // 2, 10), n)])
    reply = rng.random(n) < 0.25
    texts = out["text"].astype(str).to_numpy().copy()
    for i in range(n):
        t = texts[i].split(" https://")[0]
        if reply[i]:
            t = f"{users[i]} {t}"
        if rng.random() < 0.4:
            t = f"{t} {tags[i]}"
        if rng.random() < 0.2:
            t = f"{t} with {users[(i * 7) % n]}"
        if out["has_link"].iat[i]:
            t = f"{t} https://northwind.io/p/{ids[i]}?utm={int(rng.integers(0, 10**6))}"
        texts[i] = t
    out["text"] = texts
    out["is_reply"] = reply
    out["reply_to"] = np.where(reply, ids[rng.integers(0, n, n)], None)
    # one tweet in fifty is a later edit of the tweet before it (an edit chain of two)
    out["edit_of"] = [ids[i - 1] if i and rng.random() < 0.02 else None for i in range(n)]
    return out


def archive_js(tweets: pd.DataFrame) -> bytes:
    """An X archive tweets.js with real-shaped items (entities, source, replies, edit chains) for these tweets."""
    items = []
    cols = set(tweets.columns)
    for t in tweets.itertuples():
        text = t.text
        words = text.split()
        urls = [{"url": "https://t.co/abc", "expanded_url": w, "display_url": w[8:40], "indices": ["0", "23"]}
                for w in words if w.startswith("https://")]
        tags = [{"text": w[1:], "indices": ["0", "1"]} for w in words if w.startswith("#")]
        mentions = [{"name": w[1:], "screen_name": w[1:], "indices": ["0", "1"], "id_str": "1", "id": "1"}
                    for w in words if w.startswith("@")]
        edit_of = getattr(t, "edit_of", None) if "edit_of" in cols else None
        edit = ({"edit": {"initialTweetId": edit_of, "editControlInitial": {"editTweetIds": [edit_of, t.tweet_id]}}}
                if edit_of else {"initial": {"editTweetIds": [t.tweet_id], "editableUntil": "2025-12-02T07:23:48.000Z",
                                             "editsRemaining": "5", "isEditEligible": False}})
        item = {
            "edit_info": edit,
            "retweeted": False,
            "source": '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>',
            "entities": {"hashtags": tags, "symbols": [], "user_mentions": mentions, "urls": urls},
            "display_text_range": ["0", str(len(text))],
            "favorite_count": str(t.likes), "id_str": t.tweet_id, "truncated": False,
            "retweet_count": str(t.reposts), "id": t.tweet_id, "possibly_sensitive": False,
            "created_at": t.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y"), "favorited": False,
            "full_text": text.replace("&", "&amp;"), "lang": "en",
        }
        reply_to = getattr(t, "reply_to", None) if "reply_to" in cols else None
        if reply_to:
            item["in_reply_to_status_id_str"] = reply_to
            item["in_reply_to_screen_name"] = words[0][1:] if words and words[0].startswith("@") else "someone"
        items.append({"tweet": item})
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


def _import(tmp: Path, name: str, data: bytes, retrain: bool = False) -> dict:
    from curation.store.access import Actor
    from curation.store.db import engine_for, session_scope
    from curation.store.workspaces import create_workspace
    from curation.workspace.importer import import_files

    engine = engine_for(f"sqlite:///{tmp / 'bench.db'}")
    with session_scope(engine) as s:
        ws = create_workspace(s, "bench", Actor.local_user()).id
    seconds, cpu_s, report = _cpu_timed(lambda: import_files(engine, ws, Actor.local_user(), [(name, data)]))
    out = {"import_s": seconds, "import_cpu_s": cpu_s, "new": report.new}
    if retrain:  # what a user waits for after an upload: the import, then the retrain it triggers
        from curation.workspace.refresh import after_data_change

        retrain_s, _ = timed(lambda: after_data_change(engine, ws))
        out |= {"retrain_s": retrain_s, "import_and_retrain_s": round(seconds + retrain_s, 3)}
    return out


@case("import_archive_js", (100_000,))
def _import_archive(n: int, tmp: Path) -> dict:
    data = archive_js(varied(history(n)))
    raw = memoryview(data)[data.index(b"=") + 1:]  # no 150 MB copy
    bare_s, bare_cpu_s, loaded = _cpu_timed(lambda: orjson.loads(raw))
    del loaded  # what each step parsed is freed before the next, so the peak is the import's own
    from curation.ingest import parse_files
    from curation.ingest.x_archive import gc_paused

    # The bare parse with the cyclic collector held off, as the import holds it: most of a plain
    # orjson.loads of 100k tweets is the collector walking the dicts built so far.
    with gc_paused():
        _, bare_nogc_cpu_s, loaded = _cpu_timed(lambda: orjson.loads(raw))
        del loaded
    parse_s, parse_cpu_s, parsed = _cpu_timed(lambda: parse_files([("tweets.js", data)]))
    del parsed
    imported = _import(tmp, "tweets.js", data, retrain=True)
    return {"file_mb": round(len(data) / 1e6, 1), "bare_orjson_s": bare_s, "bare_orjson_cpu_s": bare_cpu_s,
            "bare_orjson_gc_off_cpu_s": bare_nogc_cpu_s, "parse_s": parse_s, "parse_cpu_s": parse_cpu_s,
            "parse_x_bare": round(parse_s / bare_s, 2), **imported,
            "import_x_bare": round(imported["import_s"] / bare_s, 2),
            "import_x_bare_cpu": round(imported["import_cpu_s"] / bare_cpu_s, 2),
            "import_x_bare_gc_off_cpu": round(imported["import_cpu_s"] / bare_nogc_cpu_s, 2),
            "import_and_retrain_x_bare": round(imported["import_and_retrain_s"] / bare_s, 2)}


@case("import_legacy_csv", (100_000,))
def _import_legacy(n: int, tmp: Path) -> dict:
    data = legacy_csv(varied(history(n)))
    bare_s, _ = timed(lambda: pd.read_csv(io.BytesIO(data)))
    from curation.ingest import parse_files

    name = "tweet_activity_metrics_northwind_20250101_20260101_en.csv"
    parse_s, _ = timed(lambda: parse_files([(name, data)]))
    imported = _import(tmp, name, data)
    return {"file_mb": round(len(data) / 1e6, 1), "bare_read_csv_s": bare_s, "parse_s": parse_s,
            "parse_x_bare": round(parse_s / bare_s, 2), **imported,
            "import_x_bare": round(imported["import_s"] / bare_s, 2)}


@case("model", (2_000, 10_000, 100_000))
def _model(n: int, tmp: Path) -> dict:
    from curation.learn import model

    tweets = varied(history(n))
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
    score_explain_s, _ = timed(lambda: loaded.predict(texts) is not None and loaded.explain_many(texts))
    # bare baseline: a plain TF-IDF + Ridge on the same tweets (what any notebook would do)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    def bare_fit() -> None:
        X = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(tweets["text"])
        Ridge(alpha=3.0).fit(X, np.log1p(tweets["url_clicks"].to_numpy(float)))

    bare_s, _ = timed(bare_fit)
    return {"tweets": len(tweets), "train_s": train_s, "load_s": load_s, "artifact_kb": round(len(blob) / 1024),
            "score_1_ms_median": round(float(np.median(one)) * 1000, 1), "score_1000_s": many_s,
            "explain_1_ms": round(explain_s * 1000, 1), "score_and_explain_1000_s": score_explain_s,
            "bare_tfidf_ridge_fit_s": bare_s, "train_x_bare": round(train_s / bare_s, 2),
            "spearman": trained.card.metrics["model"]["spearman"],
            "spearman_B2": trained.card.metrics["B2"]["spearman"], "used": trained.card.used}


@case("insights_and_plan", (2_000, 50_000))
def _plan(n: int, tmp: Path) -> dict:
    from curation.learn import model
    from curation.plan.best_times import best_times
    from curation.plan.constraints import PlanConstraints
    from curation.plan.planner import build_plan
    from curation.plan.volume import volume
    from curation.plan.worked import trend, what_worked
    from curation.workspace.expectation import fit

    tweets = varied(history(n))
    trained = model.train(tweets, DEMO_TIMEZONE)
    expected_s, expected = timed(lambda: fit(tweets, DEMO_TIMEZONE))

    def all_insights() -> None:
        what_worked(tweets, DEMO_TIMEZONE)
        trend(tweets, DEMO_TIMEZONE)
        best_times(tweets, DEMO_TIMEZONE, expected)
        volume(tweets, DEMO_TIMEZONE, expected)

    insights_s, _ = timed(all_insights)
    drafts = pd.DataFrame({"draft_id": range(100), "text": list(tweets["text"].sample(100, random_state=2))})
    c = PlanConstraints(tz=DEMO_TIMEZONE, days=14)
    plan_s, plan = timed(lambda: build_plan(drafts, trained, tweets, c, expected=expected))
    return {"tweets": len(tweets), "expected_without_time_s": expected_s, "expected_rows": int(expected.notna().sum()),
            "insights_s": insights_s, "plan_100_drafts_14_days_s": plan_s, "posts_planned": len(plan.slots)}


def _cpu_timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result): CPU time is what a busy shared machine inflates least."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3), out


def first_plan_fresh(url: str, ws: int) -> dict:
    """The Planner's first plan in this (fresh) interpreter: seconds and CPU seconds, imports apart."""
    import importlib

    import_s, import_cpu, planning = _cpu_timed(lambda: importlib.import_module("curation.workspace.planning"))
    from curation.plan.constraints import PlanConstraints
    from curation.store.access import Actor, get_workspace
    from curation.store.db import engine_for, session_scope

    engine, actor = engine_for(url), Actor.local_user()
    with session_scope(engine) as s:
        tz = get_workspace(s, ws).timezone
    constraints = PlanConstraints(tz=tz, days=7, allowed_weekdays={0, 1, 2, 3, 4})
    plan_s, plan_cpu, plan = _cpu_timed(lambda: planning.make_plan(engine, ws, actor, constraints))
    return {"import_s": import_s, "import_cpu_s": import_cpu, "first_plan_s": plan_s, "first_plan_cpu_s": plan_cpu,
            "posts_planned": len(plan.slots)}


@case("first_plan", (40,))
def _first_plan(scale: int, tmp: Path) -> dict:
    """The Planner's first plan in a fresh process (demo scale 40: about 61k tweets), and the expectation refit."""
    import json
    import subprocess
    import sys

    from sqlalchemy import delete

    from curation.bench.run import seeded_db
    from curation.store.access import Actor
    from curation.store.db import engine_for, session_scope
    from curation.store.models import Expectation
    from curation.workspace.expectation import refresh
    from curation.workspace.refresh import after_data_change
    from curation.workspace.stats import workspace_stats

    url, ws, _ = seeded_db(scale, tmp)
    engine, actor = engine_for(url), Actor.local_user()
    after_data_change(engine, ws)
    with session_scope(engine) as s:  # the refit after a data change: read the history, fit, store
        s.execute(delete(Expectation))
    refit_s, refit_cpu, _ = _cpu_timed(lambda: refresh(engine, ws, actor))
    runs = []
    for _ in range(3):  # each in a new interpreter: nothing cached, as a new replica's first plan
        code = ("import json; from curation.bench.cases import first_plan_fresh; "
                f"print(json.dumps(first_plan_fresh({url!r}, {ws})))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=config.PROJ_ROOT)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    with session_scope(engine) as s:
        tweets = workspace_stats(s, ws, actor)["tweets"]
    return {"tweets": tweets, "expectation_refit_s": refit_s, "expectation_refit_cpu_s": refit_cpu,
            **{k: [r[k] for r in runs] for k in ("first_plan_s", "first_plan_cpu_s", "import_s")},
            "posts_planned": runs[-1]["posts_planned"]}
