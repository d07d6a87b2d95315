"""Features known before posting: no leakage from later tweets, drafts featurised like history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from curation.learn.features import FeatureSpace
from curation.learn.structure import draft_frame
from curation.learn.textblock import TextCounts, text_for_model
from curation.learn.timing import GAP_CAP_MINUTES, AccountState, history_state, time_values

TZ = "America/New_York"


def _history(n: int = 12, start: str = "2026-03-02 13:00") -> pd.DataFrame:
    """n tweets two hours apart; every third is a reply, impressions 100, 200, ..."""
    times = pd.date_range(start, periods=n, freq="2h", tz="UTC")
    texts = [f"Post {i} about data quality https://northwind.io/blog/{i} #data" for i in range(n)]
    return pd.DataFrame(
        {
            "tweet_id": [str(1000 + i) for i in range(n)],
            "created_at": times,
            "text": texts,
            "is_reply": [i % 3 == 2 for i in range(n)],
            "is_retweet": [False] * n,
            "has_link": [True] * n,
            "link_domains": ["northwind.io"] * n,
            "n_hashtags": [1] * n,
            "n_mentions": [0] * n,
            "media_type": [None] * n,
            "impressions": pd.array([100 * (i + 1) for i in range(n)], dtype="Int64"),
            "url_clicks": pd.array([i for i in range(n)], dtype="Int64"),
        }
    )


def test_state_uses_strictly_earlier_posts_and_original_tweets_for_reach():
    tweets = _history(6)
    state = history_state(tweets)
    assert np.isnan(state["reach_level"].iloc[0])  # nothing before the first tweet
    # before tweet 4: originals 0, 1, 3 (2 is a reply) with impressions 100, 200, 400 -> median 200
    assert state["reach_level"].iloc[4] == pytest.approx(np.log1p(200))
    assert state["posts_3h"].iloc[4] == pytest.approx(np.log1p(1))  # one post 2 h before
    assert state["posts_24h"].iloc[4] == pytest.approx(np.log1p(4))
    assert state["gap"].iloc[4] == pytest.approx(np.log1p(120))
    assert state["gap"].iloc[0] == pytest.approx(np.log1p(GAP_CAP_MINUTES))


def test_posts_at_the_same_instant_do_not_see_each_other():
    tweets = _history(3)
    tweets["created_at"] = tweets["created_at"].iloc[0]
    state = history_state(tweets)
    assert (state["posts_24h"] == 0).all()
    assert state["reach_level"].isna().all()


def test_history_order_does_not_matter():
    tweets = _history()
    shuffled = tweets.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(history_state(tweets), history_state(shuffled).loc[tweets.index])


def test_links_become_path_words_and_shorteners_vanish():
    assert text_for_model("New guide https://northwind.io/blog/dq-guide-2").split() == [
        "New",
        "guide",
        "blog",
        "dq",
        "guide",
    ]
    assert text_for_model("Read https://t.co/AbC123xyz now").split() == ["Read", "now"]


def test_draft_structure_comes_from_the_text():
    rows = draft_frame(["@dana thanks! #data #BI #SaaS https://www.northwind.io/x?y=1", "gm everyone"])
    assert rows["is_reply"].tolist() == [True, False]
    assert rows["has_link"].tolist() == [True, False]
    assert rows["link_domains"].tolist() == ["northwind.io", ""]
    assert rows["n_hashtags"].tolist() == [3, 0]
    assert rows["n_mentions"].tolist() == [1, 0]


def test_time_features_are_local_to_the_account():
    # 14:30 UTC on a Monday in March (EST, UTC-5) is 09:30 local: Monday, block 9-12
    onehot = time_values([pd.Timestamp("2026-03-02 14:30", tz="UTC")], TZ)[0]
    assert onehot[0] == 1.0 and onehot[7 + 3] == 1.0 and onehot.sum() == 2.0


def test_counted_text_block_equals_the_persisted_vectorisers():
    tweets = _history(30)
    state = history_state(tweets)
    counts = TextCounts.of(tweets["text"].tolist())
    space = FeatureSpace.fit(tweets, state, TZ, with_reply=False, counts=counts)
    a = space.text_from_counts(counts)
    b = space.text_block(tweets["text"].tolist())
    assert a.shape == b.shape == (30, space.n_text)
    assert abs(a - b).max() < 1e-5


def test_training_part_vocabulary_ignores_holdout_words():
    tweets = _history(20)
    tweets.loc[15:, "text"] = "zebracorn zebracorn launch"
    counts = TextCounts.of(tweets["text"].tolist())
    space = FeatureSpace.fit(
        tweets.iloc[:15], history_state(tweets).iloc[:15], TZ, False, counts=counts.rows(slice(0, 15))
    )
    assert not any("zebracorn" in t for t in space.word.vocabulary_)
    assert space.text_from_counts(counts).shape == (20, space.n_text)


def test_draft_state_follows_recent_history_then_the_usual_rhythm():
    tweets = _history(6)
    typical = {"posts_3h": 0.5, "posts_24h": 1.5, "gap": 5.0}
    state = AccountState.from_history(tweets, typical)
    last = tweets["created_at"].max()
    soon, later = state.at([last + pd.Timedelta("1h"), last + pd.Timedelta("3D")]).to_dict("records")
    assert soon["posts_3h"] == pytest.approx(np.log1p(2)) and soon["gap"] == pytest.approx(np.log1p(60))
    assert later["posts_24h"] == 1.5 and later["gap"] == 5.0
    # reach level: median of the last originals' impressions
    originals = tweets.loc[~tweets["is_reply"], "impressions"].astype(float)
    assert soon["reach_level"] == pytest.approx(np.log1p(np.median(originals)))


def test_fast_draft_structure_matches_the_frame_path():
    texts = [
        "@dana thanks! #data #BI #SaaS https://www.northwind.io/x?y=1 and https://t.co/abc",
        "gm everyone",
        "What is 2 + 2? https://northwind.io/blog/7",
        "",
    ]
    tweets = _history(30)
    space = FeatureSpace.fit(tweets, history_state(tweets), TZ, with_reply=True)
    fast, link = space.draft_struct_block(texts)
    slow = space.struct_block(draft_frame(texts), media_known=False)
    np.testing.assert_allclose(fast, slow)
    assert link.tolist() == [True, False, True, False]


def test_text_counts_are_reused_only_for_the_same_texts() -> None:
    first = TextCounts.of(["Read the guide https://example.com", "gm"])
    assert TextCounts.of(["Read the guide https://example.com", "gm"]) is first
    other = TextCounts.of(["Read the guide https://example.com", "gn"])
    assert other is not first and "gn" in set(other.word_terms) and "gn" not in set(first.word_terms)
    assert TextCounts.of(["Read the guide https://example.com"]).word.shape[0] == 1  # a subset is counted anew


def test_text_block_is_plain_scikit_learn_counted_once():
    """Counts shared across fits, then per-fit weighting, give what a TfidfVectorizer fitted on the rows gives."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    from curation.learn.textblock import CHAR_PARAMS, WORD_PARAMS

    tweets = _history(40)
    tweets.loc[::4, "text"] = "Quick tip: rotate your keys, then audit who can read them"
    tweets.loc[1::5, "text"] = "Quick question about keys and tips"
    docs = [text_for_model(t) for t in tweets["text"]]
    train = slice(0, 30)
    counts = TextCounts.of(tweets["text"].tolist())
    state = history_state(tweets).iloc[train]
    space = FeatureSpace.fit(tweets.iloc[train], state, TZ, False, counts=counts.rows(train))
    blocks = []
    for params, counter, weigher in ((WORD_PARAMS, space.word, space.word_tfidf),
                                     (CHAR_PARAMS, space.char, space.char_tfidf)):  # fmt: skip
        plain = TfidfVectorizer(**params, sublinear_tf=True, min_df=2, dtype=np.float32).fit(docs[train])
        assert list(counter.get_feature_names_out()) == list(plain.get_feature_names_out())
        np.testing.assert_allclose(weigher.idf_, plain.idf_, rtol=1e-6)
        mine = make_pipeline(counter, weigher).transform(docs)  # the two steps compose as a Pipeline
        np.testing.assert_allclose(mine.toarray(), plain.transform(docs).toarray(), atol=1e-6)
        blocks.append(mine)
    from_counts = space.text_from_counts(counts) / space.text_weight
    np.testing.assert_allclose(from_counts.toarray(), np.hstack([b.toarray() for b in blocks]), atol=1e-6)


def test_a_draft_opening_with_the_accounts_own_handle_continues_a_thread():
    tweets = _history(30)
    space = FeatureSpace.fit(tweets, history_state(tweets), TZ, with_reply=True)
    texts = ["@northwind part two of the thread", "@dana thanks!", "gm"]
    col = space.struct_names.index("is_reply")
    raw = draft_frame(texts, "northwind")["is_reply"].tolist()
    assert raw == [False, True, False]
    space.own_handle = "northwind"
    fast, _ = space.draft_struct_block(texts)
    assert fast[0, col] == fast[2, col] != fast[1, col]  # the thread draft sits with the non-replies
    space.own_handle = None
    fast, _ = space.draft_struct_block(texts)
    assert fast[0, col] == fast[1, col] != fast[2, col]  # without the handle it reads as a reply
