"""Drafts: who may change them, and a stale write is refused instead of overwriting a teammate."""

from __future__ import annotations

import pandas as pd
import pytest

from curation.errors import CurationError, PermissionDenied, StaleWrite
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import Score, add_drafts, list_drafts, store_scores, update_draft
from curation.store.workspaces import create_workspace, set_member

OWNER = Actor.local_user()
EDITOR = Actor.signed_in("ed@example.com")
VIEWER = Actor.signed_in("vi@example.com")


@pytest.fixture
def ws(engine):
    with session_scope(engine) as s:
        w = create_workspace(s, "Drafting", OWNER)
        set_member(s, w.id, OWNER, EDITOR.email, "editor")
        set_member(s, w.id, OWNER, VIEWER.email, "viewer")
        return w.id


def test_stale_edit_is_refused_and_nothing_is_lost(engine, ws):
    with session_scope(engine) as s:
        (d,) = add_drafts(s, ws, EDITOR, ["Our guide to dashboards https://x.io/g"])
        draft_id, version = d.id, d.version
    with session_scope(engine) as s:  # teammate approves first
        update_draft(s, ws, OWNER, draft_id, version, status="approved")
    with pytest.raises(StaleWrite, match=r"changed by local@localhost .* Reload"), session_scope(engine) as s:
        update_draft(s, ws, EDITOR, draft_id, version, text="Edited text")
    with session_scope(engine) as s:
        row = list_drafts(s, ws, VIEWER).iloc[0]
        assert (row.status, row.text, row.version) == ("approved", "Our guide to dashboards https://x.io/g", 2)


def test_viewer_reads_but_cannot_write(engine, ws):
    with session_scope(engine) as s:
        (d,) = add_drafts(s, ws, EDITOR, ["hello"])
    with session_scope(engine) as s:
        assert len(list_drafts(s, ws, VIEWER)) == 1
        with pytest.raises(PermissionDenied):
            add_drafts(s, ws, VIEWER, ["x"])
        with pytest.raises(PermissionDenied):
            update_draft(s, ws, VIEWER, d.id, d.version, status="approved")


def test_text_edit_clears_the_old_score_and_scores_do_not_bump_version(engine, ws):
    with session_scope(engine) as s:
        (d,) = add_drafts(s, ws, EDITOR, ["first"])
        store_scores(s, ws, [(d.id, Score(5.0, 2.0, 9.0, 80.0, None))])
    with session_scope(engine) as s:
        row = list_drafts(s, ws, EDITOR).iloc[0]
        assert (row.predicted, row.version) == (5.0, 1)
        update_draft(s, ws, EDITOR, d.id, 1, text="second")
    with session_scope(engine) as s:
        row = list_drafts(s, ws, EDITOR).iloc[0]
        assert row.text == "second" and pd.isna(row.predicted)  # needs rescoring


def test_empty_and_oversized_drafts_are_user_errors(engine, ws):
    with pytest.raises(CurationError, match="needs some text"), session_scope(engine) as s:
        add_drafts(s, ws, EDITOR, ["   "])
    with pytest.raises(CurationError, match="limited to"), session_scope(engine) as s:
        add_drafts(s, ws, EDITOR, ["x" * 5000])


def test_the_same_text_added_twice_within_a_minute_by_the_same_person_is_one_draft(engine, ws):
    with session_scope(engine) as s:
        (first,) = add_drafts(s, ws, EDITOR, ["Our new guide https://x.io/g"])
    with session_scope(engine) as s:  # a second click on "Add to drafts"
        (again,) = add_drafts(s, ws, EDITOR, ["  Our new guide https://x.io/g  "])
        twice = add_drafts(s, ws, EDITOR, ["Pasted twice", "Pasted twice"])
    assert again.id == first.id and len(twice) == 1
    with session_scope(engine) as s:
        assert sorted(list_drafts(s, ws, VIEWER).text) == ["Our new guide https://x.io/g", "Pasted twice"]


def test_the_same_text_from_a_teammate_or_a_minute_later_is_a_new_draft(engine, ws):
    from datetime import timedelta

    from curation.store.models import Draft

    with session_scope(engine) as s:
        (mine,) = add_drafts(s, ws, EDITOR, ["Same words"])
        (theirs,) = add_drafts(s, ws, OWNER, ["Same words"])
        assert theirs.id != mine.id
        s.get(Draft, mine.id).created_at -= timedelta(seconds=61)
    with session_scope(engine) as s:
        (later,) = add_drafts(s, ws, EDITOR, ["Same words"])
    assert later.id not in (mine.id, theirs.id)


def test_a_plan_is_saved_only_into_the_workspace_it_was_built_for(engine, ws):
    from curation.store.schedules import list_schedules, save_schedule

    with session_scope(engine) as s:
        other = create_workspace(s, "Other account", OWNER).id
        (theirs,) = add_drafts(s, other, OWNER, ["Other account's draft"])
        (mine,) = add_drafts(s, ws, OWNER, ["This account's draft"])
    plan = {"slots": [{"draft_id": theirs.id}], "left_out": []}
    with pytest.raises(CurationError, match="built in workspace"), session_scope(engine) as s:
        save_schedule(s, ws, OWNER, "Week", {}, plan, built_for=other)
    with pytest.raises(CurationError, match="not in this workspace"), session_scope(engine) as s:
        save_schedule(s, ws, OWNER, "Week", {}, plan)  # the drafts give it away even without built_for
    with session_scope(engine) as s:
        save_schedule(s, ws, OWNER, "Week", {}, {"slots": [{"draft_id": mine.id}], "left_out": []}, built_for=ws)
        assert [p.name for p in list_schedules(s, ws, OWNER)] == ["Week"]
        assert list_schedules(s, other, OWNER) == []
