"""Every real export sample parses with exactly the record count its SOURCES.tsv states."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from ingest_cases import FIXTURES, fixture

from curation.errors import ImportFailed
from curation.ingest import FORMATS, parse_files
from curation.schema import DAILY_COLUMNS, METRICS, TWEET_COLUMNS

SOURCES = list(csv.DictReader((FIXTURES / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t"))
EXPECTED_FORMAT = {
    "analytics_csv": "legacy_analytics",
    "analytics_daily_csv": "legacy_daily",
    "archive_follower_js": "archive_followers",
    "archive_following_js": "archive_following",
    "archive_grailbird_js": "grailbird",
    "archive_legacy_tweets_csv": "legacy_archive_csv",
    "archive_tweet_js": "x_archive",
    "archive_tweets_js": "x_archive",
    "mastodon_outbox_json": "mastodon",
    "x_premium_content_csv": "x_content",
    "x_premium_overview_csv": "x_overview",
    "analytics_csv_excel_mangled_ids": "legacy_analytics",
    "x_premium_content_csv_reprocessed": "x_content",
}
JUNK = "X export artefact"  # X's `,,,.../status/undefined` rows: records of the file, never tweets
COUNTED = [s for s in SOURCES if s["records"] and s["format"] in EXPECTED_FORMAT]


def _one(name: str):
    parsed = parse_files([fixture(name)])
    assert len(parsed) == 1
    return parsed[0]


def _by_id(name: str) -> pd.DataFrame:
    return _one(name).tweets.set_index("tweet_id")


def _check_frame(tweets: pd.DataFrame) -> None:
    assert tuple(tweets.columns) == TWEET_COLUMNS
    assert str(tweets["created_at"].dtype) == "datetime64[ns, UTC]"
    assert tweets["created_at"].notna().all()
    for col in METRICS:
        assert tweets[col].dtype == "Int64", col
    for col in ("is_reply", "is_retweet", "has_link"):
        assert tweets[col].dtype == bool
    for col in ("n_hashtags", "n_mentions"):
        assert tweets[col].dtype == "int64"
    assert tweets["tweet_id"].is_unique
    assert (tweets["has_link"] == (tweets["link_domains"] != "")).all()


@pytest.mark.parametrize("src", COUNTED, ids=[s["file"] for s in COUNTED])
def test_every_real_fixture_gives_exactly_its_record_count(src):
    name = src["file"].removeprefix("ingest/")
    parsed = _one(name)
    assert parsed.format == EXPECTED_FORMAT[src["format"]]
    assert parsed.format in FORMATS
    expected = int(src["records"])
    if parsed.format in ("legacy_daily", "x_overview"):
        assert len(parsed.daily) == expected
        assert tuple(parsed.daily.columns) == DAILY_COLUMNS
        assert parsed.tweets.empty
    elif parsed.format == "archive_followers":
        assert parsed.followers is not None and len(parsed.followers) == expected
    elif parsed.format == "archive_following":
        assert parsed.following is not None and len(parsed.following) == expected
    else:
        junk = [s for s in parsed.skipped if s.reason.startswith(JUNK)]
        assert len(parsed.tweets) == expected - len(junk)
        assert parsed.skipped == junk
        _check_frame(parsed.tweets)
    assert parsed.rows_read == expected


def test_legacy_analytics_values_match_the_file():
    t = _by_id("tweet_activity_metrics_rOpenSci_20161201_20170101_en.csv")
    row = t.loc["812341199767863296"]
    assert row["text"].endswith("including a new vignette, new fxn, & more")  # &amp; unescaped
    assert row["created_at"] == pd.Timestamp("2016-12-23 16:56", tz="UTC")
    assert (row["impressions"], row["engagements"], row["reposts"], row["likes"]) == (3626, 72, 11, 11)
    assert (row["url_clicks"], row["hashtag_clicks"], row["detail_expands"]) == (44, 1, 5)
    assert pd.isna(row["bookmarks"]) and pd.isna(row["shares"])  # not in this export: NA, not 0
    assert row["n_hashtags"] == 1 and row["has_link"] and row["link_domains"] == "t.co"


def test_legacy_analytics_as_of_is_the_export_end_date():
    parsed = _one("tweet_activity_metrics_LisaDeBruine_20211201_20220101_en.csv")
    assert parsed.as_of == datetime(2022, 1, 1, tzinfo=UTC)
    t = parsed.tweets.set_index("tweet_id")
    assert t.loc["1476946213748543488", "is_reply"]  # starts with @JinXunGoh
    assert t.loc["1476946213748543488", "impressions"] == 104


def test_x_content_times_come_from_the_post_id():
    parsed = _one("account_analytics_content_2024-12-22_2025-03-22.csv")
    row = parsed.tweets.set_index("tweet_id").loc["1902620805600833905"]
    assert row["text"] == "for the culture"
    assert (row["impressions"], row["likes"], row["engagements"], row["profile_visits"]) == (85, 2, 3, 1)
    ms = (1902620805600833905 >> 22) + 1288834974657
    assert row["created_at"] == pd.Timestamp(ms, unit="ms", tz="UTC")
    assert row["created_at"].date() == date(2025, 3, 20)
    assert pd.isna(row["media_views"])
    assert any("post id" in w for w in parsed.warnings)
    assert parsed.as_of == datetime(2025, 3, 22, tzinfo=UTC)


def test_x_content_variant_b_values():
    t = _by_id("account_analytics_content_2026-08-10_2026-08-16.csv")
    row = t.loc["2088707180694323466"]
    assert row["text"].startswith("@dmeinvestor Agreed ✅")
    assert row["is_reply"] and row["impressions"] == 44 and row["replies"] == 1
    assert row["created_at"].date() == date(2026, 8, 15)


def test_archive_tweets_js_values():
    t = _by_id("tweets.js")
    row = t.loc["1995740666526322923"]
    assert row["text"] == "@BrianSsaga Let's connect ☺️"
    assert row["created_at"] == pd.Timestamp("2025-12-02 06:23:48", tz="UTC")
    assert row["likes"] == 0 and row["reposts"] == 0 and row["is_reply"]
    assert pd.isna(row["impressions"]) and pd.isna(row["url_clicks"])  # archives have none
    assert row["lang"] == "en"


def test_archive_2020_tweet_js_values():
    t = _by_id("tweet.js")
    row = t.loc["1221130902635458567"]
    assert (row["likes"], row["reposts"], row["n_hashtags"]) == (35, 6, 6)
    assert row["media_type"] == "video"  # extended_entities, not the thumbnail in entities
    assert not row["has_link"]  # the t.co in the text is the video, not a link
    assert set(t["media_type"].dropna()) == {"video", "animated_gif"}


def test_note_tweet_uploaded_with_tweets_js_completes_the_long_post():
    parsed = parse_files([fixture("tweets.js"), fixture("note-tweet.js")])
    assert len(parsed) == 1
    text = parsed[0].tweets.set_index("tweet_id").loc["1995717789903192574", "text"]
    assert text.startswith("@BeautyofIndia9 Banaras, a holy city")
    assert text.endswith("the beautiful Ganga Aarti.🙏")
    assert len(parsed[0].tweets) == 335


def test_manifest_gives_account_id_and_export_time():
    parsed = parse_files([fixture("tweets.js"), fixture("manifest_2025.js")])
    assert len(parsed) == 1
    assert parsed[0].as_of == datetime(2025, 12, 2, 6, 28, 13, 694000, tzinfo=UTC)
    alone = _one("tweets.js").tweets
    assert parsed[0].tweets["is_reply"].sum() == alone["is_reply"].sum()


def test_old_archive_tweets_csv_values():
    t = _by_id("tweets.csv")
    rt = t.loc["322678642964561920"]
    assert rt["is_retweet"] and rt["text"].startswith("RT @CaffSec: #Security #Protip")
    assert rt["media_type"] == "photo"  # the .../photo/1 expanded URL is media, not a link
    assert not rt["has_link"]
    reply = t.loc["323114065855672321"]
    assert reply["is_reply"] and reply["created_at"] == pd.Timestamp("2013-04-13 16:42:51", tz="UTC")
    assert t.loc["284065660433219584", "link_domains"] == "twitpic.com"  # ragged row: 3 extra URLs
    assert t["text"].str.contains("&lt;").sum() == 0
    assert t["is_retweet"].sum() == 572


def test_grailbird_values():
    t = _by_id("2009_07.js")
    row = t.loc["2787243963"]
    assert row["is_retweet"] and "über #Zensursula" in row["text"]
    assert row["link_domains"] == "bit.ly"  # 2009 entities are empty: taken from the text
    assert t.loc["2915207036", "created_at"] == pd.Timestamp("2009-07-29 19:25:17", tz="UTC")


def test_mastodon_posts_and_boosts():
    parsed = _one("outbox.json")
    t = parsed.tweets.set_index("tweet_id")
    post = t.loc["105965176447809959"]
    assert post["text"].startswith("第一次见沙尘暴") and post["lang"] == "zh"
    assert post["created_at"] == pd.Timestamp("2021-03-28 02:57:55", tz="UTC")
    boost = t.loc["106035745099357195"]
    assert boost["is_retweet"] and boost["text"] == "https://acg.mn/users/yourshot/statuses/106034097481162162"
    assert t["is_retweet"].sum() == 51
    assert t[METRICS[0]].isna().all() and t["likes"].isna().all()
    assert (t["text"].str.contains("<p>")).sum() == 0
    assert t["text"].str.contains("\n\n").any()  # paragraphs kept as line breaks


def test_daily_exports_fill_daily():
    legacy = _one("daily_tweet_activity_metrics_LisaDeBruine_20210801_20210901_en.csv").daily.set_index("day")
    assert legacy.loc[date(2021, 8, 3), "impressions"] == 3974
    assert legacy.loc[date(2021, 8, 3), "tweets_published"] == 4
    assert pd.isna(legacy.loc[date(2021, 8, 3), "bookmarks"])
    overview = _one("account_overview_analytics.csv").daily.set_index("day")
    assert overview.loc[date(2025, 8, 25), "impressions"] == 8893
    assert overview.loc[date(2025, 8, 25), "tweets_published"] == 8
    assert pd.isna(overview.loc[date(2025, 8, 25), "url_clicks"])
    assert isinstance(overview.index[0], date)


def test_followers_and_following_loose_give_their_own_files():
    parsed = parse_files([fixture("follower.js"), fixture("following.js"), fixture("tweets.js")])
    formats = sorted(p.format for p in parsed)
    assert formats == ["archive_followers", "archive_following", "x_archive"]
    by = {p.format: p for p in parsed}
    assert len(by["archive_followers"].followers) == 76 and by["archive_followers"].tweets.empty
    assert len(by["archive_following"].following) == 14


@pytest.mark.parametrize("name", ["README.txt", "manifest_2025.js", "note-tweet.js"])
def test_archive_companions_alone_are_refused_with_advice(name):
    with pytest.raises(ImportFailed) as err:
        parse_files([fixture(name)])
    assert "tweets.js" in str(err.value) or "X data archive" in str(err.value)
