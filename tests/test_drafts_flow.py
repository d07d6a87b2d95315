"""Reviewing drafts from the command line, and the model card and activity in plain words."""

from __future__ import annotations

import math

from curation.cli import main
from curation.store.access import Actor
from curation.store.db import engine_for, session_scope
from curation.store.drafts import list_drafts
from curation.workspace.activity import describe
from curation.workspace.drafting import card_sentence, coverage_by_level_text, metrics_table

WS = "Northwind Analytics (demo)"


def test_cli_approves_and_rejects_by_id_with_a_comment(demo_copy, capsys):
    with session_scope(engine_for(demo_copy)) as s:
        waiting = list(list_drafts(s, 1, Actor.local_user(), "draft")["id"][:3])
    assert main(["drafts", "approve", str(waiting[0]), str(waiting[1]), "--comment", "ship it",
                 "--db", demo_copy, "--workspace", WS]) == 0
    assert main(["drafts", "reject", str(waiting[2]), "--db", demo_copy, "--workspace", WS]) == 0
    with session_scope(engine_for(demo_copy)) as s:
        rows = list_drafts(s, 1, Actor.local_user()).set_index("id")
    assert list(rows.loc[waiting, "status"]) == ["approved", "approved", "rejected"]
    assert rows.loc[waiting[0], "comment"] == "ship it"
    assert main(["drafts", "approve", "999999", "--db", demo_copy, "--workspace", WS]) != 0
    assert "does not exist" in capsys.readouterr().err


def test_cli_adding_the_same_approved_draft_twice_keeps_one(demo_copy):
    args = ["drafts", "add", "--text", "One webinar, three takeaways https://northwind.io/w", "--approve",
            "--db", demo_copy, "--workspace", WS]
    assert main(args) == 0 and main(args) == 0
    with session_scope(engine_for(demo_copy)) as s:
        drafts = list_drafts(s, 1, Actor.local_user())
    assert (drafts.text == "One webinar, three takeaways https://northwind.io/w").sum() == 1


CARD = {"target_label": "clicks", "n_test": 353,
        "metrics": {"model": {"top20_share": 0.5603, "spearman": 0.8}, "B0": {"top20_share": 0.2, "spearman": None},
                    "B1": {"top20_share": 0.41, "spearman": float("nan")}}}


def test_the_model_card_opens_with_one_plain_sentence():
    assert card_sentence(CARD) == ("On your latest 353 tweets, the ones it ranked in its top fifth got 56 % of the "
                                   "clicks; link-or-not alone got 41 %.")
    no_b1 = {**CARD, "metrics": {**CARD["metrics"], "B1": {"top20_share": float("nan")}}}
    assert card_sentence(no_b1).endswith("(a fifth picked at random gets about 20 %).")
    assert "not enough recent history" in card_sentence({"metrics": {}})
    small = {**CARD, "n_test": 8}
    assert card_sentence(small).endswith("Judged on only 8 tweets, so read it as a rough guide.")
    assert "rough guide" not in card_sentence({**CARD, "n_test": 20})
    assert coverage_by_level_text({"coverage_by_level": [(8, 10), (4, 5), (3, 4)]}) == (
        "by predicted level (lowest, middle, highest third): 80%, 80%, 75%")
    assert coverage_by_level_text({"coverage_by_level": []}) is None
    assert coverage_by_level_text({}) is None


def test_the_metric_table_has_plain_names_and_blanks_not_none():
    table = metrics_table(CARD)
    assert list(table["predictor"]) == ["this model", "B0: the average alone", "B1: link-or-not alone"]
    spearman = table["ranks like the real order (Spearman)"]
    assert spearman.dtype == float and math.isnan(spearman.iloc[1])


def test_activity_reads_as_sentences():
    assert describe("a@b.com", "model.train", {"id": 9, "target": "url_clicks", "used": "model",
                                                "n_train": 1409}) == "a@b.com retrained the model on 1,409 tweets"
    assert describe("a@b.com", "draft.edit", {"id": 3, "status": "approved"}) == "a@b.com approved draft #3"
    assert describe("a@b.com", "plan.save", {"id": 1, "name": "Week 49", "posts": 5}) == \
        "a@b.com saved the plan \u201cWeek 49\u201d with 5 posts"
    assert describe("a@b.com", "upload", {"files": "a.csv, b.csv", "new": 1200, "updated": 0}) == \
        "a@b.com imported 2 files: 1,200 new tweets, 0 updated"
    assert describe("a@b.com", "something.new", {"x": 1}) == "a@b.com something.new x 1"


def test_cli_activity_lists_changes_in_words(demo_copy, capsys):
    assert main(["drafts", "add", "--text", "A fresh idea", "--db", demo_copy, "--workspace", WS]) == 0
    capsys.readouterr()
    assert main(["activity", "--limit", "3", "--db", demo_copy, "--workspace", WS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "local@localhost added 1 draft" in lines[0] and len(lines) == 3
