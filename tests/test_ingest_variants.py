"""The variants real files have shown since the first formats: each is read, with the right values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from ingest_cases import REAL, fixture, real_path
from sqlalchemy import select

from curation.ingest import parse_files
from curation.ingest.legacy_analytics import POSITION_WARNING
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.models import Tweet
from curation.store.workspaces import create_workspace
from curation.workspace.importer import import_files

LOCAL = Actor.local_user()


def _one(name: str):
    (parsed,) = parse_files([fixture(name)])
    return parsed


def test_spreadsheet_mangled_ids_come_from_the_permalink():
    parsed = _one("tweet_activity_metrics_dumpmon.csv")
    assert len(parsed.tweets) == 21_949 and parsed.skipped == []
    assert parsed.tweets["tweet_id"].str.fullmatch(r"\d{18}").all()
    row = parsed.tweets.set_index("tweet_id").loc["600800254800322560"]  # first row: 6.008E+17
    assert row["created_at"] == pd.Timestamp("2015-05-19 23:08", tz="UTC")
    assert (row["impressions"], row["engagements"], row["url_clicks"], row["permalink_clicks"]) == (2343, 13, 11, 2)
    assert any("Tweet permalink" in w and "6.008E+17" in w for w in parsed.warnings)
    assert parsed.account_handle == "dumpmon"


def test_a_mangled_id_with_a_permalink_of_another_tweet_is_not_swapped():
    header = "Tweet id,Tweet permalink,Tweet text,time,impressions,engagements,engagement rate,retweets,replies,likes"
    rows = [
        "6.008E+17,https://twitter.com/a/status/600800254800322560,ok,2015-05-19 23:08 +0000,5,1,0.2,0,0,1",
        "6.008E+17,https://twitter.com/a/status/700800254800322560,wrong link,2015-05-19 23:09 +0000,5,1,0.2,0,0,1",
        "600800254800322000,https://twitter.com/a/status/600800254800322999,15 digits kept,2015-05-19 23:10 +0000,5,"
        "1,0.2,0,0,1",
    ]
    (parsed,) = parse_files([("t.csv", "\n".join([header, *rows]).encode())])
    assert list(parsed.tweets["tweet_id"]) == ["600800254800322560", "600800254800322999"]
    assert [s.row for s in parsed.skipped] == [3]
    assert "6.008E+17" in parsed.skipped[0].reason


def test_portuguese_legacy_header_is_known_and_mapped_by_name():
    parsed = _one("tweet_activity_metrics_vayno_20220312_20220409_pt.csv")
    assert len(parsed.tweets) == 332
    assert POSITION_WARNING not in parsed.warnings
    assert not any("garbled" in w for w in parsed.warnings)  # "NÃO" is Portuguese, not mojibake
    row = parsed.tweets.set_index("tweet_id").loc["1511169021718241280"]
    assert row["text"].startswith("oi @leozinholol1, tudo bem contigo") and not row["is_reply"]
    assert (row["impressions"], row["engagements"], row["profile_visits"]) == (91, 2, 2)
    assert parsed.tweets["text"].str.contains("NÃO").any()


def test_japanese_legacy_header():
    parsed = _one("tweet_activity_metrics_nandaka_furari_20140701_20140901_ja.csv")
    assert len(parsed.tweets) == 104 and POSITION_WARNING not in parsed.warnings
    assert parsed.tweets.set_index("tweet_id").loc["506080670368550912", "created_at"].year == 2014
    assert parsed.tweets["url_clicks"].notna().all()


def test_older_x_content_header_link_share_url_clicks():
    parsed = _one("account_analytics_content_2024-11-21_2025-02-19.csv")
    assert len(parsed.tweets) == 141 and parsed.account_handle == "wormhole_br"
    row = parsed.tweets.set_index("tweet_id").loc["1891564128784855141"]  # Date "Mon Feb 17 2025"
    assert row["created_at"].date() == date(2025, 2, 17)
    assert (row["impressions"], row["likes"], row["engagements"], row["bookmarks"]) == (70, 3, 3, 1)
    assert parsed.tweets["url_clicks"].notna().all()


def test_content_csv_rewritten_by_a_script_reads_what_x_wrote():
    parsed = _one("account_analytics_content.csv")
    assert len(parsed.tweets) == 1_573 and parsed.skipped == []
    (extra,) = [w for w in parsed.warnings if "not in X's export" in w]
    assert "is_thread_start" in extra and "thread_id" in extra
    row = parsed.tweets.set_index("tweet_id").loc["1878704674792178141"]  # Date 2025-01-12 (local day)
    assert row["created_at"] == pd.Timestamp("2025-01-13 07:24:33.772", tz="UTC")  # from the post id
    assert row["impressions"] == 23


def _grailbird_with_new_dates() -> bytes:
    """The real 2009 Grailbird month with every created_at in the later `2017-10-31 19:47:25 +0000` form."""
    raw = real_path("2009_07.js").read_bytes().decode()
    prefix, body = raw.split("=", 1)
    items = json.loads(body)
    for item in items:
        when = datetime.strptime(item["created_at"], "%a %b %d %H:%M:%S %z %Y")
        item["created_at"] = when.strftime("%Y-%m-%d %H:%M:%S %z")
    return f"{prefix}= {json.dumps(items)}".encode()


def test_grailbird_months_with_the_later_date_form():
    (old,) = parse_files([fixture("2009_07.js")])
    (new,) = parse_files([("2009_07.js", _grailbird_with_new_dates())])
    assert len(new.tweets) == 6 and new.skipped == []
    assert list(new.tweets["created_at"]) == list(old.tweets["created_at"])
    assert new.account_handle == "nicidienase"


@pytest.mark.parametrize(
    "stamp, expected",
    [
        ("Fri Jul 31 10:00:00 +0000 2009", "2009-07-31 10:00:00"),
        ("2017-10-31 19:47:25 +0000", "2017-10-31 19:47:25"),
        ("2017-10-31T19:47:25Z", "2017-10-31 19:47:25"),
        ("2017-10-31 21:47:25 +0200", "2017-10-31 19:47:25"),
        ("2017-10-31 19:47 +0000", "2017-10-31 19:47:00"),
    ],
)
def test_every_date_form_in_every_time_stamped_format(stamp, expected):
    from curation.ingest.frames import TIME_LAYOUTS, parse_utc

    for layout in TIME_LAYOUTS:
        got = parse_utc(pd.Series([stamp]), layout).iloc[0]
        assert got == pd.Timestamp(expected, tz="UTC"), layout


WEEKLY = (
    "x_premium_content_csv__astromonkeyduck-coder__News-Fact-Checker-Test__account_analytics_content_2025-11-22_2025-12-08.csv",
    "x_premium_content_csv__astromonkeyduck-coder__News-Fact-Checker-Test__account_analytics_content_2025-12-06_2025-12-13.csv",
)


def _stored(engine, ws: int) -> pd.DataFrame:
    with session_scope(engine) as s:
        rows = s.execute(select(Tweet.tweet_id, Tweet.impressions, Tweet.likes).where(Tweet.workspace_id == ws))
        return pd.DataFrame(rows.all(), columns=["tweet_id", "impressions", "likes"]).set_index("tweet_id")


@pytest.mark.parametrize("order", ["older first", "newer first", "one upload"])
def test_overlapping_weekly_exports_newer_wins(engine, order):
    older, newer = (parse_files([(n, (REAL / n).read_bytes())])[0] for n in WEEKLY)
    common = sorted(set(older.tweets["tweet_id"]) & set(newer.tweets["tweet_id"]))
    assert len(common) == 9
    with session_scope(engine) as s:
        ws = create_workspace(s, "weekly", LOCAL).id
    files = [(n, (REAL / n).read_bytes()) for n in WEEKLY]
    if order == "one upload":
        import_files(engine, ws, LOCAL, files)
    else:
        for f in files if order == "older first" else files[::-1]:
            import_files(engine, ws, LOCAL, [f])
    stored = _stored(engine, ws)
    assert len(stored) == 52 + 36 - 9
    want = newer.tweets.set_index("tweet_id")
    for tid in common:
        assert stored.loc[tid, "impressions"] == want.loc[tid, "impressions"], tid
        assert stored.loc[tid, "likes"] == want.loc[tid, "likes"], tid


@pytest.mark.parametrize(
    "name, handle, account_id",
    [
        ("tweet_activity_metrics_LisaDeBruine_20211201_20220101_en.csv", "lisadebruine", None),
        ("account_analytics_content_2026-08-10_2026-08-16.csv", "hestysinvest", None),
        ("2009_07.js", "nicidienase", "22396883"),
        ("outbox.json", "purplerain@o3o.ca", None),
        ("tweets.js", None, "1274417026493276160"),
        ("tweets.csv", None, None),
    ],
)
def test_the_account_of_each_upload(name, handle, account_id):
    parsed = _one(name)
    assert (parsed.account_handle, parsed.account_id) == (handle, account_id)


def test_archive_manifest_names_the_account():
    (parsed,) = parse_files([fixture("tweets.js"), fixture("manifest_2025.js")])
    assert (parsed.account_handle, parsed.account_id) == ("ranigupta_20", "1274417026493276160")


def test_as_of_names_the_export_end_even_with_a_copy_suffix():
    from curation.ingest.frames import as_of_from_name

    assert as_of_from_name("account_analytics_content_2026-02-14_2026-02-27-2.csv") == datetime(2026, 2, 27, tzinfo=UTC)
    assert as_of_from_name("account_analytics_content_2026-02-14_2026-02-27 (2).csv") == datetime(
        2026, 2, 27, tzinfo=UTC
    )
