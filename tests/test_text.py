"""One definition of a tweet's text: history (through the real importers) and drafts get the same features."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_cases import Tweet, archive_js, archive_tweet, legacy_csv

from curation.ingest import parse_files
from curation.learn.structure import draft_frame, draft_structure, structure_values
from curation.text import (
    count_hashtags,
    count_mentions,
    domains_in,
    has_link,
    has_number,
    hashtags_in,
    is_reply_text,
    link_domains,
    mentions_in,
    plain,
    quoted_posts,
    replies_from_text,
)
from curation.text import has_link as draft_has_link  # the rule the planner applies to drafts

STRUCTURE = ["has_link", "link_domains", "n_hashtags", "n_mentions"]

# (text, the entities X writes into tweets.js for it: urls, hashtags, mentions)
CASES = [
    ("Loved this take https://x.com/someone/status/1234567890", ("https://x.com/someone/status/1234567890",), (), ()),
    ("Old thread https://twitter.com/acme/status/42 worth a read", ("https://twitter.com/acme/status/42",), (), ()),
    ("Year in review #2024 and #tag with @user", (), ("tag",), ("user",)),
    ("Read https://www.Example.com/guide?x=1 now", ("https://www.Example.com/guide?x=1",), (), ()),
    ("Tips & tricks <3 for Q&A #B2B", (), ("B2B",), ()),
    ("Mail hi@example.com or ping @acme_team, see https://blog.example.org/a", ("https://blog.example.org/a",), (),
     ("acme_team",)),
    ("@user thanks! https://example.com and https://example.com/2 and https://other.io #1 #a1", (
        "https://example.com", "https://example.com/2", "https://other.io"), ("a1",), ("user",)),
    ("nothing at all, 3 things", (), (), ()),
]  # fmt: skip
TEXTS = [c[0] for c in CASES]
T0 = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)


def _tweets() -> list[Tweet]:
    return [Tweet(text=t, when=T0 + timedelta(hours=i), id=str(1000 + i)) for i, t in enumerate(TEXTS)]


def _imported_csv() -> pd.DataFrame:
    (parsed,) = parse_files([("tweet_activity_metrics_acme_20250301_20250401_en.csv", legacy_csv(_tweets()))])
    return parsed.tweets.set_index("tweet_id").loc[[str(1000 + i) for i in range(len(TEXTS))]]


def _imported_archive() -> pd.DataFrame:
    objs = [archive_tweet(t, urls=c[1], hashtags=c[2], mentions=c[3]) for t, c in zip(_tweets(), CASES, strict=True)]
    (parsed,) = parse_files([("tweets.js", archive_js(objs))])
    return parsed.tweets.set_index("tweet_id").loc[[str(1000 + i) for i in range(len(TEXTS))]]


@pytest.mark.parametrize("imported", [_imported_csv, _imported_archive], ids=["csv", "tweets.js"])
def test_history_and_draft_get_the_same_structure(imported):
    hist = imported().reset_index(drop=True)
    draft = draft_frame(TEXTS)
    assert hist["text"].tolist() == TEXTS  # HTML entities undone on import; a draft is typed plain
    for col in STRUCTURE:
        assert hist[col].tolist() == draft[col].tolist(), col
    # The model's structure columns (media aside: a draft's is unknown) agree too, in both draft paths.
    domains = ["example.com", "other.io", "blog.example.org"]
    cols = ["has_link", "n_links", "mentions", "hashtags", "hashtags_3plus", "length", "question", "numbers"]
    h = structure_values(hist, domains)
    d = structure_values(draft, domains)
    fast = pd.DataFrame(draft_structure(TEXTS)).reindex(columns=h.columns, fill_value=0.0)
    np.testing.assert_allclose(h[cols + [f"dom:{x}" for x in domains]], d[cols + [f"dom:{x}" for x in domains]])
    np.testing.assert_allclose(h[cols].to_numpy(float), fast[cols].to_numpy(float))
    assert [draft_has_link(t) for t in TEXTS] == hist["has_link"].tolist()


def test_the_fixed_mismatch():
    """A quoted post was 'a link' and #2024 'a hashtag' for drafts only."""
    row = draft_frame(["Loved this https://x.com/a/status/1 #2024"]).iloc[0]
    assert not row["has_link"] and row["link_domains"] == "" and row["n_hashtags"] == 0
    assert quoted_posts("Loved this https://x.com/a/status/1 #2024") == 1
    assert not draft_has_link("see https://twitter.com/a/status/9")
    assert has_number("#2024 was good") and not has_number("#B2B @u2 https://a.io/3")


texts = st.text(alphabet=st.sampled_from(list("ab1 #＃@＠&_.:/?-xcomhtps\u00e9日")), max_size=60) | st.text(max_size=40)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(texts, min_size=1, max_size=5))
def test_text_rules_are_one_rule(batch):
    arr = pa.array(batch, pa.string())
    assert count_hashtags(arr).tolist() == [hashtags_in(t) for t in batch]
    assert count_mentions(arr).tolist() == [mentions_in(t) for t in batch]
    assert link_domains(arr).tolist() == [" ".join(domains_in(t)) for t in batch]
    for t in batch:
        assert hashtags_in(t) >= 0 and mentions_in(t) >= 0 and quoted_posts(t) >= 0
        if "#" not in t and "＃" not in t:
            assert hashtags_in(t) == 0
        if "@" not in t and "＠" not in t:
            assert mentions_in(t) == 0
        assert has_link(t) == bool(domains_in(t))
        assert plain(plain(t)) == plain(t)  # idempotent
        assert (hashtags_in(t), mentions_in(t), domains_in(t)) == (hashtags_in(t), mentions_in(t), domains_in(t))


# A thread by @acme (account id 42): its second and fourth posts reply to its own earlier posts.
THREAD = ["Part one of a thread", "@acme part two", "@dana thanks!", "Part three, no handle", ".@dana said so"]
THREAD_REPLY_TO = {1: ("3000", "42"), 2: ("999", "77"), 3: ("3001", "42")}  # (parent post, parent author)


def test_a_thread_reply_reads_the_same_in_history_and_as_a_draft():
    tweets = [Tweet(text=t, when=T0 + timedelta(hours=i), id=str(3000 + i)) for i, t in enumerate(THREAD)]
    ids = [t.id for t in tweets]
    objs = [archive_tweet(t, *THREAD_REPLY_TO.get(i, (None, None))) for i, t in enumerate(tweets)]
    (archive,) = parse_files([("tweets.js", archive_js(objs))])  # reply fields: the parent's author decides
    (analytics,) = parse_files([("tweet_activity_metrics_acme_20250301_20250401_en.csv", legacy_csv(tweets))])
    assert analytics.account_handle == "acme"  # no reply fields: the text decides, with the account's handle
    expected = [False, False, True, False, False]
    for parsed in (archive, analytics):
        assert parsed.tweets.set_index("tweet_id").loc[ids, "is_reply"].tolist() == expected
    assert draft_frame(THREAD, "acme")["is_reply"].tolist() == expected
    assert [r["is_reply"] for r in draft_structure(THREAD, "acme")] == [float(x) for x in expected]
    assert draft_frame(THREAD)["is_reply"].tolist()[1]  # without the handle an own thread post reads as a reply


_opening = st.tuples(
    st.sampled_from(["", " ", "\t", "\n", "\u3000", "\u00a0", "x", "."]),
    st.sampled_from(["@", "＠"]),
    st.sampled_from(["acme", "ACME", "acme_", "acmex", "Acme_1", "a", "dana"]),
    st.sampled_from(["", " ", "!", ":", "_", "é"]),
    texts,
).map("".join)


@FUZZ
@given(st.lists(texts | _opening, min_size=1, max_size=5),
       st.sampled_from([None, "", "acme", "Acme_1", "a", "not a handle", "x" * 16, "me@mastodon.social"]))
def test_the_reply_rule_is_one_rule(batch, own):
    column = replies_from_text(pa.array(batch, pa.string()), own)
    assert column.dtype == bool and column.tolist() == [is_reply_text(t, own) for t in batch]
    for t in batch:
        assert is_reply_text(t, own) <= is_reply_text(t)  # knowing the handle only ever removes replies
