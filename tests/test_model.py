"""The content model: honest time-ordered evaluation, known demo effects recovered, safe persistence."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from curation.errors import CurationError, NotEnoughData
from curation.ingest import parse_files
from curation.learn import card as card_mod
from curation.learn import model
from curation.learn.data import prepare
from curation.learn.persist import TRUSTED_TYPES
from curation.learn.trained import TrainedModel
from curation.workspace.demo import DEMO_TIMEZONE, demo_tweets

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
USEFUL = "New guide: data quality in 7 steps https://northwind.io/blog/1"
PROMO = "Book a demo of Forecast this week https://northwind.io/demo"
FILLER = "gm everyone"
TAGGED = USEFUL + " #data #analytics #SaaS"


def local(ts: str) -> pd.Timestamp:
    return pd.Timestamp(ts, tz=DEMO_TIMEZONE).tz_convert("UTC")


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return demo_tweets()


@pytest.fixture(scope="module")
def trained(demo: pd.DataFrame) -> TrainedModel:
    return model.train(demo, DEMO_TIMEZONE)


def real_tweets(pattern: str) -> pd.DataFrame:
    path = next(REAL.glob(pattern))
    return parse_files([(path.name, path.read_bytes())])[0].tweets


# --------------------------------------------------------------------------- evaluation


def test_model_beats_structure_and_time_baseline_on_holdout(trained):
    card = trained.card
    assert card.target == "url_clicks" and card.target_label == "clicks"
    assert card.used == "model"
    m = card.metrics
    assert m["model"]["spearman"] > max(m["B1"]["spearman"], m["B2"]["spearman"])
    assert m["model"]["d2"] > m["B2"]["d2"] > m["B0"]["d2"]
    assert m["model"]["top20_share"] > 0.4
    assert "Spearman" in card.verdict and "clicks" in card.verdict


def test_verdict_says_when_the_recent_median_ranked_better(trained):
    assert "recent median alone" not in trained.card.verdict  # the demo's model beats B1 by far
    card = copy.deepcopy(trained.card)
    card.metrics["B1"]["spearman"] = card.metrics["model"]["spearman"] + 0.2
    verdict = card_mod.verdict(card)
    assert f"ranked better ({card.metrics['B1']['spearman']:.2f})" in verdict


def test_verdict_hedges_a_model_that_barely_ranks(trained):
    assert "signal is weak" not in trained.card.verdict
    card = copy.deepcopy(trained.card)
    card.metrics["model"]["spearman"], card.metrics["B2"]["spearman"] = 0.15, 0.04
    verdict = card_mod.verdict(card)
    assert "barely ranks" in verdict and "signal is weak" in verdict and "pick the strongest" not in verdict


def test_holdout_is_the_latest_fifth_never_shuffled(trained, demo):
    card = trained.card
    # replies are learned from (and held out) when validation kept them: the card says which
    learned = ~demo["is_retweet"] & (~demo["is_reply"] | card.include_replies)
    originals = demo.loc[learned].sort_values("created_at")
    assert card.n_train + card.n_test == len(originals)
    assert card.n_test == pytest.approx(0.2 * len(originals), abs=2)
    train_max = originals["created_at"].iloc[card.n_train - 1]
    test_min = originals["created_at"].iloc[card.n_train]
    assert train_max < test_min == pd.Timestamp(card.test_from)
    assert len(card.holdout) == card.n_test
    actual = [a for _, a in card.holdout]
    assert actual == originals["url_clicks"].iloc[card.n_train :].astype(float).tolist()


def test_candidates_compared_on_time_ordered_validation(trained):
    cands = trained.card.candidates
    # B3 (the plain form) is a candidate; B2 (no text) is the fallback; count models only on larger accounts
    assert set(cands) == {"B3", "ridge_log1p", "poisson", "rate_x_impressions", "B2"}
    assert sum(c["chosen"] for c in cands.values()) == 1.0
    chosen = max(cands.values(), key=lambda c: c["chosen"])
    # one-standard-error rule: the chosen form is within one SE of the best on the pooled validation tweets
    se = 1 / np.sqrt(chosen["n_valid"] - 1)
    assert chosen["spearman"] >= max(c["spearman"] for c in cands.values()) - se - 1e-9
    assert chosen["n_valid"] >= 0.35 * trained.card.n_train  # pooled rolling-origin blocks, not one small fold


def test_interval_covers_about_80_percent_of_the_holdout(trained):
    assert 0.72 <= trained.card.interval_coverage <= 0.9
    out = trained.predict([USEFUL, PROMO, FILLER])
    assert (out["lower"] <= out["predicted"]).all() and (out["predicted"] <= out["upper"]).all()
    assert out["percentile"].between(0, 100).all()


def test_card_is_json_safe_with_the_agreed_keys(trained):
    d = trained.card.to_dict()
    assert {"target", "n_train", "n_test", "metrics", "interval_coverage", "used"} <= set(d)
    assert set(d["metrics"]) == {"model", "B0", "B1", "B2", "B3"}
    for row in d["metrics"].values():
        assert set(row) == {"spearman", "poisson_deviance", "d2", "mae_log1p", "top20_share"}
    assert orjson.loads(orjson.dumps(d)) == d  # no NaN, numpy or tuples left
    assert {"sklearn", "numpy", "pandas", "skops", "python"} <= set(d["versions"])
    assert len(d["fingerprint"]) == 16


# --------------------------------------------------------------------------- known demo effects


def test_useful_link_beats_promo_link_and_filler(trained):
    p = trained.predict([USEFUL, PROMO, FILLER])["predicted"].to_numpy()
    assert p[0] > 2.0 * p[1]
    assert p[0] > 20 * max(p[2], 0.05)


def test_three_hashtags_lower_the_prediction(trained):
    plain, tagged = trained.predict([USEFUL, TAGGED])["predicted"]
    assert tagged < 0.85 * plain
    exp = trained.explain(TAGGED)
    assert any(label == "3+ hashtags" and effect < 1 for label, effect in exp.down)
    assert any("3+ hashtags" in h and "%" in h for h in exp.hints)


def test_mid_morning_slot_beats_evening_for_the_same_text(trained):
    slots = [local("2026-11-03 10:00"), local("2026-11-03 19:00")]
    pred, lower, upper = trained.predict_grid([USEFUL, PROMO, TAGGED], slots)
    assert pred.shape == lower.shape == upper.shape == (3, 2)
    assert (pred[:, 0] > 1.15 * pred[:, 1]).all()
    # the grid agrees with predict() at the same slot
    one = trained.predict([USEFUL], at=[slots[1]])["predicted"].iloc[0]
    assert one == pytest.approx(pred[0, 1])


def test_explanation_names_link_and_words(trained):
    exp = trained.explain(USEFUL, at=local("2026-11-03 10:00"), top=10)
    ups = dict(exp.up)
    assert any(label.startswith("has a link") for label in ups)
    assert any(label == "the word 'guide'" for label in ups)
    assert any(label.startswith("posted Tue 10:00") for label in ups)
    assert all(effect > 1 for effect in ups.values()) and all(e < 1 for _, e in exp.down)
    gm = trained.explain(FILLER)
    assert ("no link" in dict(gm.down)) and dict(gm.down)["no link"] < 0.7


def test_explain_many_gives_what_explain_gives_one_draft_at_a_time(trained, demo):
    texts = [USEFUL, PROMO, FILLER, TAGGED, "", "guide guide? @ann 2026 https://t.co/x", *demo["text"].iloc[:40]]
    slots = [local("2026-11-03 10:00") + pd.Timedelta(hours=7 * i) for i in range(len(texts))]
    assert trained.explain_many(texts, slots) == [trained.explain(t, s) for t, s in zip(texts, slots, strict=True)]
    assert trained.explain_many(texts) == [trained.explain(t) for t in texts]
    assert trained.explain_many([]) == []


def test_batched_word_effects_equal_the_per_draft_char_gram_attribution(trained, demo):
    from curation.learn.explain import batch_text_contributions

    texts = [USEFUL, TAGGED, "Data, data and more data: the guide", *demo["text"].iloc[40:80]]
    batch = batch_text_contributions(trained.space, trained._w_text, texts)
    for text, got in zip(texts, batch, strict=True):
        want = trained._explainer.contributions(text)
        assert got.keys() == want.keys()
        assert all(abs(got[k] - want[k]) < 1e-5 for k in want)


def test_hints_give_the_link_effect_in_numbers_only_when_relevant(trained):
    no_link = trained.explain(FILLER).hints
    link_hint = [h for h in no_link if "link" in h]
    assert link_hint and any(ch.isdigit() for ch in link_hint[0]) and "add a link" in link_hint[0]
    assert not any("add a link" in h for h in trained.explain(USEFUL).hints)


def test_default_time_is_the_accounts_usual_slot(trained):
    slot = pd.Timestamp(trained.default_slot)
    assert slot > pd.Timestamp(trained.card.window[1])
    a = trained.predict([USEFUL, PROMO])
    b = trained.predict([USEFUL, PROMO], at=[slot, slot])
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- data rules


def test_engagement_fallback_when_there_are_no_url_clicks(demo):
    archive = demo.assign(url_clicks=pd.array([pd.NA] * len(demo), dtype="Int64"))
    m = model.train(archive, DEMO_TIMEZONE)
    assert m.card.target == "engagement" and m.card.target_label == "engagement"
    assert "engagement" in m.card.verdict and "clicks" not in m.card.verdict
    assert m.predict([USEFUL])["predicted"].iloc[0] > 0


def test_not_enough_data_says_what_is_missing(demo):
    from curation.learn import prior

    assert prior.load_prior() is not None  # the shipped prior lowers the minimum to MIN_TRAIN_PRIOR
    few = demo.loc[~demo["is_reply"]].head(24)
    with pytest.raises(NotEnoughData, match=r"24 original tweets with url clicks; need 30\. Upload more history"):
        model.train(few, DEMO_TIMEZONE)
    no_metrics = few.assign(url_clicks=pd.NA, likes=pd.NA, reposts=pd.NA)
    with pytest.raises(NotEnoughData, match="need 30"):
        model.train(no_metrics, DEMO_TIMEZONE)
    with prior.held_out(None), pytest.raises(NotEnoughData, match=r"32 original tweets with url clicks; need 50\."):
        model.train(demo.loc[~demo["is_reply"]].head(32), DEMO_TIMEZONE)  # no prior: a model needs 50 on its own


def test_replies_and_retweets_learned_only_when_asked(demo):
    retweets = demo.head(40).assign(tweet_id=lambda d: d["tweet_id"] + "9", is_retweet=True)
    tweets = pd.concat([demo, retweets], ignore_index=True)
    n_orig = int((~demo["is_reply"]).sum())
    assert len(prepare(tweets, DEMO_TIMEZONE).rows) == n_orig
    assert len(prepare(tweets, DEMO_TIMEZONE, include_replies=True).rows) == len(demo)
    assert len(prepare(tweets, DEMO_TIMEZONE, include_replies=True, include_retweets=True).rows) == len(tweets)


def test_click_poor_account_falls_back_to_engagement_and_says_why():
    tweets = real_tweets("x_premium_content_csv__ayo-klaytn*")  # kaiadevintern: 5 of 103 originals clicked
    m = model.train(tweets, "Asia/Seoul")
    assert m.card.target == "engagement"
    assert "got a click" in m.card.verdict
    assert m.card.n_train + m.card.n_test == 103


def test_real_analytics_export_with_replies_trains_and_reports_baselines():
    tweets = real_tweets("analytics_csv__debruine*")
    alone = model.train(tweets, "Europe/London", include_replies=False)  # "never": 37 originals, carried by the prior
    assert alone.card.n_train + alone.card.n_test == 37 and not alone.card.include_replies
    m = model.train(tweets, "Europe/London")  # default: 37 originals are too few alone, the replies count
    assert m.card.target == "url_clicks" and m.card.n_train + m.card.n_test == 119
    assert m.card.include_replies and "37 original tweets and 82 replies" in m.card.learned_from
    assert "82 replies" in m.card.verdict
    assert m.card.used in {"model", "B2"}
    assert m.predict(["New paper: https://psyarxiv.com/abc"]).shape == (1, 4)


def test_expected_without_time_is_cross_fitted_in_time_order(demo):
    e = model.expected_without_time(demo, DEMO_TIMEZONE)
    originals = demo.loc[~demo["is_reply"]].sort_values("created_at")
    assert e.index.tolist() == originals["tweet_id"].tolist()
    assert e.sum() == pytest.approx(originals["url_clicks"].sum())
    assert (e >= 0).all() and e.notna().all()
    # a tweet's expected value comes from a model that never saw it: a wild outcome barely moves it
    # (only through the overall rescaling), while the blocks trained on it do move
    first = originals.loc[originals["has_link"], "tweet_id"].iloc[10]
    changed = demo.copy()
    changed.loc[changed["tweet_id"] == first, "url_clicks"] = 500
    e2 = model.expected_without_time(changed, DEMO_TIMEZONE)
    ratio = e2 / e
    block = len(originals) // 5
    first_block = originals.iloc[:block]
    same_block = ratio[first_block.loc[first_block["has_link"], "tweet_id"]]
    assert same_block.max() / same_block.min() < 1.02  # one common rescaling, nothing learned from the change
    later = ratio[originals.iloc[block:].loc[lambda d: d["has_link"], "tweet_id"]]
    assert later.max() / later.min() > 1.05  # the blocks whose model saw the change did move


# --------------------------------------------------------------------------- persistence


def test_skops_round_trip_predicts_identically(trained):
    blob = model.dumps(trained)
    back = model.loads(blob)
    texts = [USEFUL, PROMO, FILLER, TAGGED]
    pd.testing.assert_frame_equal(trained.predict(texts), back.predict(texts))
    slots = [local("2026-11-03 10:00"), local("2026-11-04 19:00")]
    for a, b in zip(trained.predict_grid(texts, slots), back.predict_grid(texts, slots), strict=True):
        np.testing.assert_allclose(a, b)
    assert back.card.to_dict() == trained.card.to_dict()
    assert back.explain(USEFUL) == trained.explain(USEFUL)


def test_artifact_holds_no_pickle_and_only_trusted_types(trained):
    blob = model.dumps(trained)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        names = z.namelist()
        assert all(n.endswith((".npy", ".json")) for n in names)
        assert b"pickle" not in z.read("schema.json").lower()
    assert set(sio.get_untrusted_types(data=blob)) <= set(TRUSTED_TYPES)
    for path in map(str, Path("curation/learn").glob("*.py")):
        source = (Path(__file__).resolve().parents[1] / path).read_text()
        assert "import pickle" not in source and "joblib" not in source and "trusted=True" not in source


@pytest.mark.parametrize("intruder", [len, LogisticRegression()])
def test_loads_refuses_types_outside_the_allow_list(trained, intruder):
    good = sio.loads(model.dumps(trained), trusted=list(TRUSTED_TYPES))
    crafted = sio.dumps({**good, "extra": intruder}, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(CurationError, match="types this app never loads"):
        model.loads(crafted)
    with pytest.raises(CurationError):
        model.loads(b"not a zip at all")


def test_an_artifact_of_another_model_release_is_retrained_not_loaded(trained):
    payload = sio.loads(model.dumps(trained), trusted=list(TRUSTED_TYPES))
    meta = orjson.loads(payload["meta"]) | {"model_version": "5"}
    old = sio.dumps({**payload, "meta": orjson.dumps(meta).decode()}, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(CurationError, match="another release of the model: retrain the model"):
        model.loads(old)


def test_the_accounts_handle_travels_with_the_model(demo):
    trained = model.train(demo, DEMO_TIMEZONE, own_handle="northwind")
    back = model.loads(model.dumps(trained))
    assert back.space.own_handle == "northwind"
    col = back.space.struct_names.index("is_reply")
    struct, _ = back.space.draft_struct_block(["@northwind part two", "part two", "@dana part two"])
    assert struct[0, col] == struct[1, col] != struct[2, col]  # a thread post scores as a non-reply


# --------------------------------------------------------------------------- batch scoring (its speed: make bench)


def test_batch_and_grid_scoring_agree_with_scoring_one_draft_at_a_time(trained):
    texts = [f"{USEFUL} variant {i}" for i in range(1000)]
    many = trained.predict(texts)
    assert len(many) == 1000 and np.isfinite(many[["predicted", "lower", "upper"]].to_numpy()).all()
    assert many["predicted"].iloc[7] == pytest.approx(trained.predict([texts[7]])["predicted"].iloc[0])
    slots = list(pd.date_range("2026-11-02 12:00", periods=200, freq="2h", tz="UTC"))
    pred, _, _ = trained.predict_grid(texts[:100], slots)
    assert pred.shape == (100, 200)
    one = trained.predict([texts[3]], at=[slots[5]])["predicted"].iloc[0]
    assert pred[3, 5] == pytest.approx(one)


def test_metrics_of_an_empty_block_are_undefined_not_an_error():
    from curation.learn import fitting

    out = fitting.metrics(np.zeros(0), np.zeros(0))
    assert set(out) >= {"spearman", "poisson_deviance", "d2", "mae_log1p", "top20_share"}
    assert all(np.isnan(v) for v in out.values())


# --------------------------------------------------------------------------- interval calibration under drift


def _drifted(seed: int, n: int = 3000):
    """Clicks whose level rises and swings over time; the model sees the recent level (as recent_level)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    t = np.arange(n)
    level = 0.5 + 2.5 * t / n + 0.4 * np.sin(t / 150)
    y = np.round(np.expm1(np.maximum(level + rng.normal(0, 0.45, n), 0)))
    lag = np.concatenate([[0.0], [np.mean(np.log1p(y[max(0, i - 20) : i])) for i in range(1, n)]])
    return sp.csr_matrix(np.column_stack([lag, rng.normal(size=n)])), y


def test_calibration_blocks_are_as_long_as_the_scoring_horizon():
    from curation.learn import fitting

    assert fitting.horizon_blocks(1000, 250) == [(500, 750), (750, 1000)]
    assert fitting.horizon_blocks(60, 30) == [(30, 60)]  # a block needs 20 earlier rows to learn from
    assert fitting.horizon_blocks(30, 30) == []


def test_interval_calibrated_at_the_horizon_covers_about_80_percent_of_later_drifted_tweets():
    from curation.learn import fitting

    covered = []
    for seed in range(4):
        X, y = _drifted(seed)
        n, cut = len(y), 2400
        ones, link = np.ones(n), np.zeros(n, bool)
        cand = fitting.Candidate("m", "ridge_log1p", 3.0, X, True, 0)
        r, f, idx = fitting.horizon_residuals(cand, y, ones, ones, cut, n - cut)
        assert idx.min() == cut - 2 * (n - cut) and idx.max() == cut - 1  # only tweets before the holdout
        _, q = fitting.calibrate("ridge_log1p", r, link[idx], f)
        coef, b = fitting.fit_form("ridge_log1p", 3.0, X[:cut], y[:cut])
        lo, hi = fitting.count_bounds(fitting.log_score("ridge_log1p", coef, b, X[cut:], ones[cut:]), link[cut:], q)
        covered.append(np.mean((y[cut:] >= lo) & (y[cut:] <= hi)))
    assert 0.75 <= np.mean(covered) <= 0.88, covered
