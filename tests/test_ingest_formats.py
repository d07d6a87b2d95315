"""Synthetic files for each format quirk in docs/FORMATS.md: headers, edits, notes, replies, links."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from ingest_cases import (
    LEGACY_HEADER_DE,
    LEGACY_HEADER_FAVORITES,
    LEGACY_HEADER_JA,
    Tweet,
    accounts_js,
    archive_js,
    archive_tweet,
    base_time,
    legacy_csv,
    manifest_js,
    note_js,
    snowflake,
    tweets,
    x_content_csv,
)

from curation.errors import ImportFailed
from curation.ingest import parse_files

T0 = base_time()


def one(name: str, data: bytes):
    parsed = parse_files([(name, data)])
    assert len(parsed) == 1
    return parsed[0]


# --- legacy per-tweet analytics -------------------------------------------------------------


def test_legacy_favorites_header_fills_likes():
    rows = tweets(3)
    rows[0].likes = 7
    parsed = one("export.csv", legacy_csv(rows, header=LEGACY_HEADER_FAVORITES))
    assert parsed.format == "legacy_analytics"
    assert parsed.tweets.set_index("tweet_id").loc[rows[0].id, "likes"] == 7
    assert not any("position" in w for w in parsed.warnings)


def test_legacy_japanese_header_is_read_by_name():
    rows = tweets(4)
    rows[1].url_clicks, rows[1].impressions = 9, 321
    parsed = one("tweet_activity_metrics_acme_20250301_20250401_ja.csv", legacy_csv(rows, header=LEGACY_HEADER_JA))
    assert parsed.format == "legacy_analytics" and len(parsed.tweets) == 4
    row = parsed.tweets.set_index("tweet_id").loc[rows[1].id]
    assert (row["url_clicks"], row["impressions"]) == (9, 321)
    assert not any("position" in w for w in parsed.warnings)
    assert parsed.as_of == datetime(2025, 4, 1, tzinfo=UTC)


def test_unknown_language_header_is_mapped_by_position_with_a_warning():
    rows = tweets(5)
    rows[2].likes, rows[2].reposts, rows[2].follows = 11, 4, 2
    parsed = one("tweet_activity_metrics_acme_20250301_20250401_de.csv", legacy_csv(rows, header=LEGACY_HEADER_DE))
    assert parsed.format == "legacy_analytics"
    assert "Header language not recognised: columns mapped by position" in parsed.warnings
    row = parsed.tweets.set_index("tweet_id").loc[rows[2].id]
    assert (row["likes"], row["reposts"], row["follows"]) == (11, 4, 2)


def test_concatenated_monthly_exports_skip_headers_and_keep_the_larger_impressions():
    march = tweets(3, start=datetime(2025, 3, 30, tzinfo=UTC))
    april = tweets(3, start=datetime(2025, 4, 29, tzinfo=UTC))
    again = Tweet(text=march[0].text, when=march[0].when, id=march[0].id, impressions=500, likes=9)
    march[0].impressions = 120
    data = legacy_csv([*april, again]) + legacy_csv(march)  # second file repeats the header
    parsed = one("all_months.csv", data)
    assert len(parsed.tweets) == 6
    assert parsed.rows_read == 7  # the repeated header line is not a data row
    assert parsed.skipped == []
    row = parsed.tweets.set_index("tweet_id").loc[march[0].id]
    assert (row["impressions"], row["likes"]) == (500, 9)
    assert any("duplicate" in w for w in parsed.warnings)


def test_legacy_floats_dashes_and_entities():
    rows = tweets(2)
    rows[0].text = 'Q&A <today> & "quotes", commas\nand a newline'
    data = legacy_csv(rows).decode().replace('"100.0"', '"-"', 1).encode()
    parsed = one("x.csv", data)
    t = parsed.tweets.set_index("tweet_id")
    assert t.loc[rows[0].id, "text"] == rows[0].text
    assert pd.isna(t.loc[rows[0].id, "impressions"])  # "-" is missing, not 0
    assert t.loc[rows[1].id, "impressions"] == 100  # "100.0"
    assert t.loc[rows[0].id, "created_at"] == pd.Timestamp(rows[0].when.replace(second=0))


def test_user_text_is_stored_verbatim_never_sanitised():
    rows = tweets(3)
    rows[0].text = "<script>alert(1)</script> hi"
    rows[1].text = '=HYPERLINK("http://evil.example","click")'
    rows[2].text = "+1 -2 @cmd|' /C calc'!A0"
    for parsed in (one("l.csv", legacy_csv(rows)), one("c.csv", x_content_csv(rows))):
        t = parsed.tweets.set_index("tweet_id")
        assert t.loc[rows[0].id, "text"] == "<script>alert(1)</script> hi"
        assert t.loc[rows[1].id, "text"] == '=HYPERLINK("http://evil.example","click")'
        assert t.loc[rows[2].id, "text"] == "+1 -2 @cmd|' /C calc'!A0"


def test_legacy_bad_rows_are_skipped_with_row_numbers():
    rows = tweets(3)
    data = legacy_csv(rows).decode().splitlines(keepends=True)
    data[2] = data[2].replace(rows[1].id, "not-an-id", 1)
    data[3] = data[3].replace(rows[2].when.strftime("%Y-%m-%d %H:%M +0000"), "yesterday")
    parsed = one("x.csv", "".join(data).encode())
    assert len(parsed.tweets) == 1
    assert [s.row for s in parsed.skipped] == [3, 4]
    assert "not a number" in parsed.skipped[0].reason and "yesterday" in parsed.skipped[1].reason


def test_replies_in_csv_are_leading_mentions_except_to_oneself():
    rows = tweets(3)
    rows[0].text = "@someone thanks!"
    rows[1].text = "@acme and a thread continues"
    rows[2].text = ".@someone not a reply"
    t = one("x.csv", legacy_csv(rows, user="acme")).tweets.set_index("tweet_id")
    assert t.loc[rows[0].id, "is_reply"]
    assert not t.loc[rows[1].id, "is_reply"]
    assert not t.loc[rows[2].id, "is_reply"]


def test_text_features_hashtags_mentions_links():
    rows = tweets(1)
    rows[0].text = "#Launch day! #1 isn't a tag, #日本 is. Ask @acme_help or mail a@b.com https://WWW.Example.com/x"
    row = one("x.csv", legacy_csv(rows)).tweets.iloc[0]
    assert row["n_hashtags"] == 2
    assert row["n_mentions"] == 1
    assert row["link_domains"] == "example.com" and row["has_link"]


# --- new X content CSV ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["A", "B", "ja"])
def test_x_content_variants(variant):
    rows = tweets(6)
    data = x_content_csv(rows, variant=variant)
    if variant == "A":
        assert b"\r\n" in data and data.endswith(b"\r\n")
    if variant == "B":
        assert b"\r\n" not in data and not data.endswith(b"\n")
    parsed = one("account_analytics_content_2025-01-01_2025-03-31.csv", data)
    assert parsed.format == "x_content"
    assert len(parsed.tweets) == 6
    assert not any("position" in w for w in parsed.warnings)
    t = parsed.tweets.set_index("tweet_id")
    for r in rows:
        assert t.loc[r.id, "created_at"] == pd.Timestamp(r.when)
        assert t.loc[r.id, "url_clicks"] == r.url_clicks
    assert parsed.as_of == datetime(2025, 3, 31, tzinfo=UTC)


def test_x_content_junk_rows_are_skipped_and_counted():
    rows = tweets(4)
    parsed = one("c.csv", x_content_csv(rows, variant="B", junk=3))
    assert len(parsed.tweets) == 4
    assert len(parsed.skipped) == 3
    assert all("undefined" in s.reason for s in parsed.skipped)
    assert [s.row for s in parsed.skipped] == [3, 4, 5]
    assert parsed.rows_read == 7


def test_x_content_id_far_from_date_is_skipped_with_a_reason():
    rows = tweets(3)
    data = x_content_csv(rows, variant="A").decode()
    good_date = rows[1].when.strftime("%a %b %d %Y")
    wrong_date = (rows[1].when - timedelta(days=9)).strftime("%a %b %d %Y")
    data = data.replace(f"{rows[1].id},{good_date}", f"{rows[1].id},{wrong_date}")
    parsed = one("c.csv", data.encode())
    assert len(parsed.tweets) == 2
    assert len(parsed.skipped) == 1 and "more than a day" in parsed.skipped[0].reason


def test_x_content_unknown_language_header_by_position():
    rows = tweets(2)
    data = x_content_csv(rows, variant="B").decode().split("\n", 1)
    header = ",".join(f"Spalte {i}" for i in range(17))
    parsed = one("c.csv", (header + "\n" + data[1]).encode())
    assert parsed.format == "x_content" and len(parsed.tweets) == 2
    assert "Header language not recognised: columns mapped by position" in parsed.warnings


# --- X archive ------------------------------------------------------------------------------


def test_edit_chain_collapses_to_the_initial_id_with_the_latest_text():
    first = Tweet(text="Big news: we launch tomorow", when=T0, likes=3, reposts=1)
    edit = Tweet(text="Big news: we launch tomorrow", when=T0 + timedelta(minutes=4), likes=5, reposts=0)
    other = Tweet(text="unrelated", when=T0 + timedelta(hours=2))
    orphan = Tweet(text="edited, original deleted", when=T0 + timedelta(hours=3))
    objs = [
        archive_tweet(other),
        archive_tweet(edit, initial_id=first.id),
        archive_tweet(first),
        archive_tweet(orphan, initial_id=snowflake(T0 - timedelta(days=1))),
    ]
    parsed = one("tweets.js", archive_js(objs))
    assert len(parsed.tweets) == 3  # the later version of `first` is not a row of its own
    t = parsed.tweets.set_index("tweet_id")
    row = t.loc[first.id]
    assert row["text"] == "Big news: we launch tomorrow"
    assert row["created_at"] == pd.Timestamp(T0)
    assert (row["likes"], row["reposts"]) == (5, 1)
    assert edit.id not in t.index
    assert snowflake(T0 - timedelta(days=1)) in t.index  # chain keyed by its initial id


def test_note_tweet_replaces_the_cut_text_matched_by_created_at():
    long = "word " * 80 + "end."
    cut = Tweet(text=long[:270] + "…", when=T0)
    same_second = Tweet(text="another post in the same second", when=T0, id=snowflake(T0, 5))
    parsed = parse_files(
        [
            ("tweets.js", archive_js([archive_tweet(cut), archive_tweet(same_second)])),
            ("note-tweet.js", note_js([(T0, long)])),
        ]
    )
    t = parsed[0].tweets.set_index("tweet_id")
    assert t.loc[cut.id, "text"] == long
    assert t.loc[same_second.id, "text"] == "another post in the same second"


def test_2019_bare_items_and_semicolon_prefix():
    rows = tweets(3)
    data = archive_js([archive_tweet(r) for r in rows], kind="tweet", wrapped=False, semicolon=True)
    parsed = one("tweet.js", data + b"\n")
    assert parsed.format == "x_archive" and len(parsed.tweets) == 3


def test_split_archive_parts_uploaded_loose_become_one_file():
    rows = tweets(5)
    part0 = archive_js([archive_tweet(r) for r in rows[:3]])
    part1 = archive_js([archive_tweet(r) for r in rows[3:]], part=1)
    parsed = parse_files([("tweets.js", part0), ("tweets-part1.js", part1)])
    assert len(parsed) == 1 and len(parsed[0].tweets) == 5
    assert parsed[0].name == "tweets.js + tweets-part1.js"


def test_archive_replies_threads_retweets_links_media():
    own_id = "4242"
    root = Tweet(text="thread 1/2", when=T0)
    child = Tweet(text="thread 2/2", when=T0 + timedelta(minutes=1))
    answer = Tweet(text="@bob sure", when=T0 + timedelta(minutes=2))
    rt = Tweet(text="RT @bob: look at this", when=T0 + timedelta(minutes=3))
    linky = Tweet(text="read https://t.co/a and https://t.co/b", when=T0 + timedelta(minutes=4))
    objs = [
        archive_tweet(root, media=("photo", "photo")),
        archive_tweet(child, reply_to=root.id, reply_user=own_id, media=("photo", "video")),
        archive_tweet(answer, reply_to="99", reply_user="77", mentions=("bob",)),
        archive_tweet(rt, retweet=True),
        archive_tweet(
            linky,
            urls=(
                "https://WWW.Blog.Example.org/post",
                "https://twitter.com/bob/status/123",
                "https://x.com/i/spaces/1",
            ),
            hashtags=("a", "b"),
        ),
    ]
    for files in ([("tweets.js", archive_js(objs))], [("tweets.js", archive_js(objs)), ("m.js", manifest_js(own_id))]):
        t = parse_files(files)[0].tweets.set_index("tweet_id")
        assert not t.loc[child.id, "is_reply"]  # a reply to oneself is a thread
        assert t.loc[answer.id, "is_reply"] and t.loc[answer.id, "n_mentions"] == 1
        assert t.loc[rt.id, "is_retweet"] and not t.loc[root.id, "is_retweet"]
        assert t.loc[linky.id, "link_domains"] == "blog.example.org"  # quoted tweet links excluded
        assert t.loc[linky.id, "n_hashtags"] == 2
        assert t.loc[child.id, "media_type"] == "video" and t.loc[root.id, "media_type"] == "photo"
        assert t.loc[answer.id, "media_type"] is None
        assert pd.isna(t.loc[root.id, "impressions"])


def test_archive_text_is_unescaped_once():
    row = Tweet(text="a &amp; b <b>bold</b> & c", when=T0)
    parsed = one("tweets.js", archive_js([archive_tweet(row)]))
    assert parsed.tweets.iloc[0]["text"] == "a &amp; b <b>bold</b> & c"


def test_archive_malformed_items_are_skipped_not_fatal():
    good = archive_tweet(Tweet(text="fine", when=T0))
    no_id = dict(good, id_str="", id="")
    bad_time = dict(good, id_str="123", id="123", created_at="sometime")
    items = [{"tweet": good}, {"tweet": no_id}, 5, {"tweet": bad_time}]
    data = b"window.YTD.tweets.part0 = " + json.dumps(items).encode()
    parsed = one("tweets.js", data)
    assert len(parsed.tweets) == 1
    assert sorted(s.row for s in parsed.skipped) == [2, 3, 4]
    assert parsed.rows_read == 4


def test_truncated_archive_js_fails_with_advice():
    data = archive_js([archive_tweet(r) for r in tweets(3)])
    with pytest.raises(ImportFailed, match="cut off or damaged"):
        parse_files([("tweets.js", data[: len(data) // 2])])


def test_followers_loose_need_no_tweets():
    parsed = parse_files([("follower.js", accounts_js("follower", ["1", "2", "3"]))])
    assert parsed[0].format == "archive_followers" and parsed[0].followers == ["1", "2", "3"]
    assert parsed[0].following is None and parsed[0].tweets.empty


# --- old archives and Mastodon --------------------------------------------------------------


def test_old_tweets_csv_2014_column_order():
    header = (
        '"tweet_id","in_reply_to_status_id","in_reply_to_user_id","timestamp","source","text",'
        '"retweeted_status_id","retweeted_status_user_id","retweeted_status_timestamp","expanded_urls"\n'
    )
    rows = (
        '"900","","","2017-11-02 19:56:47 +0000","web","Hello &amp; welcome","","","",'
        '"https://www.example.com/a,https://twitter.com/acme/status/900/photo/1"\n'
        '"901","900","55","2017-11-02 20:00:00 +0000","web","more","","","",""\n'
        '"902","","","2017-11-03 08:00:00 +0000","web","RT @x: hi","800","66","2017-11-01 08:00:00 +0000",""\n'
    )
    parsed = one("tweets.csv", (header + rows).encode())
    t = parsed.tweets.set_index("tweet_id")
    assert parsed.format == "legacy_archive_csv" and len(t) == 3
    assert t.loc["900", "text"] == "Hello & welcome"
    assert t.loc["900", "link_domains"] == "example.com" and t.loc["900", "media_type"] == "photo"
    assert not t.loc["901", "is_reply"]  # replies to 900, which is in the file: a thread
    assert t.loc["902", "is_retweet"]
    assert t.loc["900", "created_at"] == pd.Timestamp("2017-11-02 19:56:47", tz="UTC")


def test_mastodon_html_is_flattened_safely():
    actor = "https://social.example/users/acme"
    outbox = {
        "type": "OrderedCollection",
        "orderedItems": [
            {
                "id": f"{actor}/statuses/111/activity",
                "type": "Create",
                "actor": actor,
                "published": "2024-05-01T10:00:00Z",
                "object": {
                    "id": f"{actor}/statuses/111",
                    "type": "Note",
                    "published": "2024-05-01T10:00:00Z",
                    "inReplyTo": None,
                    "content": (
                        "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;<br>line two</p><p>"
                        '<span class="h-card"><a href="https://other.example/@bob" class="u-url mention">'
                        '@<span>bob</span></a></span> <a href="https://social.example/tags/news" '
                        'class="mention hashtag" rel="tag">#<span>news</span></a> '
                        '<a href="https://Blog.Example.net/x"><span class="invisible">https://</span>blog</a></p>'
                    ),
                    "contentMap": {"en": "..."},
                    "attachment": [{"type": "Document", "mediaType": "video/mp4"}],
                    "tag": [{"type": "Mention", "name": "@bob"}, {"type": "Hashtag", "name": "#news"}],
                },
            },
            {
                "id": f"{actor}/statuses/112/activity",
                "type": "Create",
                "actor": actor,
                "published": "2024-05-01T11:00:00Z",
                "object": {
                    "id": f"{actor}/statuses/112",
                    "type": "Note",
                    "published": "2024-05-01T11:00:00Z",
                    "inReplyTo": f"{actor}/statuses/111",
                    "content": "<p>self reply</p>",
                },
            },
            {
                "id": f"{actor}/statuses/113/activity",
                "type": "Create",
                "actor": actor,
                "published": "2024-05-01T12:00:00Z",
                "object": {
                    "id": f"{actor}/statuses/113",
                    "type": "Note",
                    "published": "2024-05-01T12:00:00Z",
                    "inReplyTo": "https://other.example/users/bob/statuses/5",
                    "content": "<p>answer</p>",
                },
            },
            {
                "id": f"{actor}/statuses/114/activity",
                "type": "Announce",
                "actor": actor,
                "published": "2024-05-02T09:00:00Z",
                "object": "https://other.example/users/bob/statuses/6",
            },
            {"id": "x", "type": "Like", "actor": actor, "object": "y"},
        ],
    }
    parsed = one("outbox.json", json.dumps(outbox).encode())
    t = parsed.tweets.set_index("tweet_id")
    assert t.loc["111", "text"] == "Hello <script>alert(1)</script>\nline two\n\n@bob #news https://blog"
    assert (t.loc["111", "n_mentions"], t.loc["111", "n_hashtags"]) == (1, 1)
    assert t.loc["111", "link_domains"] == "blog.example.net"
    assert t.loc["111", "media_type"] == "video" and t.loc["111", "lang"] == "en"
    assert not t.loc["112", "is_reply"] and t.loc["113", "is_reply"]
    assert t.loc["114", "is_retweet"] and t.loc["114", "text"].endswith("/statuses/6")
    assert len(parsed.skipped) == 1 and "Like" in parsed.skipped[0].reason
    assert parsed.rows_read == 5
