"""Importing real exports into a workspace: complete, merged, idempotent, all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from sqlalchemy import func, select

from curation.errors import ImportFailed
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import AccountSnapshot, AudienceId, DailyMetric, Tweet, Upload
from curation.store.tweets import load_tweets
from curation.store.workspaces import create_workspace
from curation.workspace.importer import import_files

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
LOCAL = Actor.local_user()
SOURCES = list(csv.DictReader((REAL / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t"))
TWEET_FORMATS = {"analytics_csv", "archive_grailbird_js", "archive_legacy_tweets_csv", "archive_tweet_js",
                 "archive_tweets_js", "mastodon_outbox_json", "x_premium_content_csv",
                 "analytics_csv_excel_mangled_ids", "x_premium_content_csv_reprocessed"}
JUNK = "X export artefact"  # X's `,,,.../status/undefined` rows: counted in records, never tweets


def _files(*names: str) -> list[tuple[str, bytes]]:
    return [(n, (REAL / n).read_bytes()) for n in names]


@pytest.fixture
def ws(engine):
    with session_scope(engine) as s:
        return create_workspace(s, "Real", LOCAL).id


def _count(engine, model, ws_id) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(model.workspace_id == ws_id))


@pytest.mark.parametrize("row", [r for r in SOURCES if r["format"] in TWEET_FORMATS],
                         ids=lambda r: r["file"].removesuffix(".csv")[-60:])
def test_every_real_tweet_export_imports_its_record_count(engine, ws, row):
    report = import_files(engine, ws, LOCAL, _files(row["file"]))
    (file,) = report.files
    junk = [s for s in file.skipped if s["reason"].startswith(JUNK)]
    assert file.rows_read == int(row["records"])
    assert len(file.skipped) == len(junk)  # nothing but X's junk rows is left out
    expected = int(row["records"]) - len(junk)
    assert report.new == expected
    assert _count(engine, Tweet, ws) == expected
    again = import_files(engine, ws, LOCAL, _files(row["file"]))
    assert (again.new, again.updated, again.unchanged) == (0, 0, expected)
    assert not again.warnings  # the same account again: no account warning


def test_daily_and_follower_files_fill_account_tables(engine, ws):
    import_files(engine, ws, LOCAL, _files(
        "analytics_daily_csv__debruine__30DCC-2022__daily_tweet_activity_metrics_LisaDeBruine_20210801_20210901_en.csv",
        "x_premium_overview_csv__ayo-klaytn__kaia-devdash__kaiadevintern_account_overview_analytics.csv",
        "archive_follower_js__ajitg25__twitter-analytics__follower.js",
        "archive_following_js__denchi__lumeninferiusarchive__following.js",
    ))
    assert _count(engine, Tweet, ws) == 0
    assert _count(engine, DailyMetric, ws) == 31 + 271
    assert _count(engine, AudienceId, ws) == 76 + 14
    with session_scope(engine) as s:
        snaps = s.scalars(select(AccountSnapshot).where(AccountSnapshot.workspace_id == ws)).all()
        assert 76 in {x.followers for x in snaps} and 14 in {x.following for x in snaps}


def test_archive_and_analytics_csv_merge_to_one_row_per_tweet(engine, ws):
    archive = "archive_tweets_js__ajitg25__twitter-analytics__tweets.js"
    import_files(engine, ws, LOCAL, _files(archive))
    with session_scope(engine) as s:
        tweets = load_tweets(s, ws, LOCAL)
    # The same account's analytics CSV (new X format) for 20 of those tweets, text flattened.
    sample = tweets[~tweets.is_retweet].head(20)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Engagements", "Bookmarks",
                "Shares", "New follows", "Replies", "Reposts", "Profile visits", "Detail Expands", "URL Clicks",
                "Hashtag Clicks", "Permalink Clicks"])
    for i, t in enumerate(sample.itertuples()):
        w.writerow([t.tweet_id, t.created_at.strftime("%a, %b %-d, %Y"), t.text.replace("\n", " "),
                    f"https://x.com/u/status/{t.tweet_id}", 100 + i, 1, 5, 0, 0, 0, 0, 0, 0, 0, i, 0, 0])
    report = import_files(engine, ws, LOCAL, [("account_analytics_content_2026-01-01_2026-03-31.csv",
                                               out.getvalue().encode())])
    assert (report.new, report.updated) == (0, 20)
    with session_scope(engine) as s:
        merged = load_tweets(s, ws, LOCAL).set_index("tweet_id")
    assert len(merged) == len(tweets)
    for i, t in enumerate(sample.itertuples()):
        row = merged.loc[t.tweet_id]
        assert row.text == t.text  # the archive's text (with its newlines) is kept
        assert (row.impressions, row.url_clicks) == (100 + i, i)


def test_one_bad_file_means_nothing_is_written(engine, ws):
    good = _files("analytics_csv__ropensci-org__ropensci-tweets__"
                  "tweet_activity_metrics_rOpenSci_20161201_20170101_en.csv")
    with pytest.raises(ImportFailed):
        import_files(engine, ws, LOCAL, [*good, ("notes.txt", b"just some notes\n")])
    assert _count(engine, Tweet, ws) == 0
    assert _count(engine, Upload, ws) == 0


def test_hostile_text_is_stored_verbatim(engine, ws):
    header = ('"Tweet id","Tweet permalink","Tweet text","time","impressions","engagements","engagement rate",'
              '"retweets","replies","likes","user profile clicks","url clicks","hashtag clicks","detail expands",'
              '"permalink clicks","app opens","app installs","follows","email tweet","dial phone","media views",'
              '"media engagements"')
    rows = ['"1","https://twitter.com/a/status/1","=HYPERLINK(""http://evil"")","2021-04-30 09:32 +0000",'
            '"10.0","1.0","0.1","0.0","0.0","1.0","0.0","0.0","0.0","0.0","0.0","0","0","0","0","0","0","0"',
            '"2","https://twitter.com/a/status/2","<script>alert(1)</script> &amp; more","2021-04-30 10:32 +0000",'
            '"10.0","1.0","0.1","0.0","0.0","1.0","0.0","0.0","0.0","0.0","0.0","0","0","0","0","0","0","0"']
    data = "\n".join([header, *rows]).encode()
    import_files(engine, ws, LOCAL, [("tweet_activity_metrics_a_20210401_20210501_en.csv", data)])
    with session_scope(engine) as s:
        texts = set(load_tweets(s, ws, LOCAL).text)
    assert texts == {'=HYPERLINK("http://evil")', "<script>alert(1)</script> & more"}


def test_zip_with_escaping_member_is_refused(engine, ws):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../evil/tweets.js", "window.YTD.tweets.part0 = []")
    with pytest.raises(ImportFailed):
        import_files(engine, ws, LOCAL, [("archive.zip", buf.getvalue())])
    assert _count(engine, Upload, ws) == 0


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_import_json_and_user_errors(sqlite_url, tmp_path):
    f = REAL / ("x_premium_content_csv__hestey-star__hestys-stock-screener__"
                "account_analytics_content_2026-08-10_2026-08-16.csv")
    proc = _cli("import", str(f), "--db", sqlite_url, "--workspace", "Hestys", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"files", "new", "updated", "unchanged", "first", "last", "account_handle", "other_account",
                        "suggested_workspace", "warnings"}
    assert out["account_handle"] == "hestysinvest" and out["other_account"] is None
    assert out["new"] == 40 and out["files"][0]["format"] == "x_content"
    assert set(out["files"][0]) >= {"name", "format", "rows_read", "new", "updated", "unchanged", "skipped",
                                    "warnings"}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    proc = _cli("import", str(f), str(bad), "--db", sqlite_url, "--workspace", "Hestys", "--json")
    assert proc.returncode == 2 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
    stats = json.loads(_cli("stats", "--db", sqlite_url, "--workspace", "Hestys", "--json").stdout)
    assert stats["tweets"] == 40 and stats["uploads"] == 1  # the failed run left no trace


def test_newer_export_updates_metrics(engine, ws):
    name = "analytics_csv__scctsi__trial-promoter-app__tweet_activity_metrics_TCORSStgOrg_20170401_20170408_en.csv"
    import_files(engine, ws, LOCAL, _files(name))
    frame = pd.read_csv(REAL / name, dtype=str)
    frame["impressions"] = (frame["impressions"].astype(float) + 1000).astype(str)
    newer = frame.to_csv(index=False, quoting=csv.QUOTE_ALL).encode()
    report = import_files(engine, ws, LOCAL, [(name.replace("20170408", "20170430"), newer)])
    assert report.updated == 10
    with session_scope(engine) as s:
        assert (load_tweets(s, ws, LOCAL).impressions >= 1000).all()
