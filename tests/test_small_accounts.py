"""Small accounts get a card (issue 12): the cross-account prior carries 30-49 tweets; fewer get a clear message."""

from __future__ import annotations

import pandas as pd
import pytest

from curation.cli.model import _card_text
from curation.errors import NotEnoughData
from curation.learn import model, prior
from curation.learn.card import SMALL_HOLDOUT
from curation.learn.data import MIN_TRAIN, MIN_TRAIN_PRIOR
from curation.learn.trained import TrainedModel
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import add_drafts, list_drafts
from curation.store.workspaces import create_workspace
from curation.workspace import evaluation
from curation.workspace.importer import import_files
from curation.workspace.refresh import after_data_change
from curation.workspace.scoring import score_texts, train_workspace

ACCOUNTS = evaluation.accounts()
ROPENSCI = "ropensci-org/ropensci-tweets"  # 37 original tweets with url clicks
HESTEY = "hestey-star/hestys-stock-screener"  # 40 tweets with url clicks, 2 clicked: engagement
DENCHI = "denchi/lumeninferiusarchive"  # 22 tweets with likes or reposts, no clicks
SCCTSI = "scctsi/trial-promoter-app"  # 10 tweets with url clicks
LOCAL = Actor.local_user()


@pytest.fixture(scope="module", params=[ROPENSCI, HESTEY])
def small(request: pytest.FixtureRequest) -> tuple[str, TrainedModel]:
    tweets = evaluation.load_account(ACCOUNTS[request.param])
    return request.param, model.train(tweets, "UTC")  # default settings


def test_the_minimum_is_lower_only_with_the_prior():
    assert prior.load_prior() is not None
    assert model.min_train() == MIN_TRAIN_PRIOR < MIN_TRAIN
    with prior.held_out(None):
        assert model.min_train() == MIN_TRAIN


def test_small_real_accounts_get_a_card_with_default_settings(small):
    name, m = small
    card = m.card
    assert MIN_TRAIN_PRIOR <= card.n_train + card.n_test < MIN_TRAIN
    assert card.target == ("url_clicks" if name == ROPENSCI else "engagement")
    assert set(card.metrics) == {"model", "B0", "B1", "B2", "B3"}
    out = m.predict(["Read our new guide https://example.com/guide", "thanks!"])
    assert (out["lower"] <= out["predicted"]).all() and (out["predicted"] <= out["upper"]).all()
    back = model.loads(model.dumps(m))
    pd.testing.assert_frame_equal(back.predict(["thanks!"]), m.predict(["thanks!"]))


def test_a_small_card_keeps_to_the_prior_and_says_how_much_came_from_it(small):
    _, m = small
    card = m.card
    # below MIN_TRAIN no wording model is chosen without the prior: the plain form shrunk toward it, or B2
    assert card.used == "B2" or "shrunk toward the prior" in card.form
    if "shrunk toward the prior" in card.form:
        assert 0 < card.prior_share < 1
        assert f"About {card.prior_share:.0%} of the score came from a prior learned across" in card.verdict
    else:
        assert card.prior_share == 0.0 and "came from a prior" not in card.verdict


def test_a_small_holdout_is_called_a_rough_guide(small):
    _, m = small
    assert m.card.n_test < SMALL_HOLDOUT
    assert f"Judged on {m.card.n_test} tweets, these numbers are a rough guide" in m.card.verdict
    text = _card_text(m.card.to_dict())  # NaN metrics (B0 cannot rank) print as n/a
    assert "n/a" in text and "rough guide" in text


def test_a_holdout_of_twenty_or_more_is_not_called_rough():
    m = model.train(evaluation.load_account(ACCOUNTS["nandaka-furari/nandaka-furari.github.io"]), "UTC")
    assert m.card.n_test >= SMALL_HOLDOUT and "rough guide" not in m.card.verdict


@pytest.mark.parametrize(("name", "message"), [
    (DENCHI, r"22 original tweets and replies with likes or reposts; need 30\. Upload more history"),
    (SCCTSI, r"10 original tweets with url clicks; need 30\. Upload more history"),
])  # fmt: skip
def test_below_the_new_minimum_the_message_says_what_to_upload(name, message):
    with pytest.raises(NotEnoughData, match=message):
        model.train(evaluation.load_account(ACCOUNTS[name]), "UTC")


def test_eval_real_prints_a_row_for_each_small_account():
    results = [evaluation.evaluate_account(n, ACCOUNTS[n], replay=False) for n in (ROPENSCI, HESTEY, DENCHI)]
    text = evaluation.render(results)
    ropensci = text.split(f"== {ROPENSCI}")[1].split("\n\n")[0]
    assert "train 29  test 8" in ropensci
    for b in evaluation.BASELINES:
        assert f"\n   {b} " in ropensci
    hestey = text.split(f"{HESTEY}: no clicks: engagement target; model Spearman")[1].splitlines()[0]
    assert all(f"{b} " in hestey for b in ("B3", "B2", "B1", "coverage")) and "(train 32, test 8)" in hestey
    assert f"{DENCHI}: not enough data: 22 original tweets and replies with likes or reposts; need 30" in text
    assert evaluation.summary(results)["accounts_with_clicks"] == 1


def test_a_small_workspace_trains_and_scores_its_drafts(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "rOpenSci", LOCAL).id
    import_files(engine, ws, LOCAL, [(p.name, p.read_bytes()) for p in ACCOUNTS[ROPENSCI]])
    with session_scope(engine) as s:
        add_drafts(s, ws, LOCAL, ["New package review: https://ropensci.org/blog/x", "Thanks for coming!"])
    assert after_data_change(engine, ws) is None  # a model, no "too small" reason
    card = train_workspace(engine, ws, LOCAL)
    assert card["n_train"] + card["n_test"] == 37 and "rough guide" in card["verdict"]
    with session_scope(engine) as s:
        drafts = list_drafts(s, ws, LOCAL)
    assert drafts["predicted"].notna().all() and (drafts["model_version_id"] == card["model_version_id"]).all()
    scores = score_texts(engine, ws, LOCAL, ["Our community call https://ropensci.org/commcalls"])
    assert scores["predicted"].notna().all()
