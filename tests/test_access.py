"""Who may do what, enforced in `curation` itself: every role x every repository action, and workspaces
stay apart (a member of one cannot read or change another), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from curation.errors import CurationError, NotFound, PermissionDenied
from curation.plan.constraints import PlanConstraints
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import add_drafts, get_draft, list_drafts, update_draft
from curation.store.models import AuditEvent, Workspace
from curation.store.schedules import get_schedule, list_schedules, save_schedule
from curation.store.tweets import load_tweets, tweets_of_upload
from curation.store.workspaces import (
    create_workspace,
    find_workspace,
    list_audit,
    list_members,
    list_workspaces,
    remove_member,
    set_member,
    set_timezone,
)
from curation.workspace.audience import add_snapshot, build_report, load_audience
from curation.workspace.backup import export_workspace, restore_workspace
from curation.workspace.drafting import add_and_score, apply_review_edits
from curation.workspace.importer import import_files, list_uploads
from curation.workspace.members import (
    audit_frame,
    delete_upload,
    delete_workspace,
    members_frame,
    new_workspace,
    uploads_frame,
)
from curation.workspace.planning import history, make_plan, store_plan
from curation.workspace.scoring import active_model, latest_card, rescore_drafts, score_texts, train_workspace
from curation.workspace.stats import workspace_stats

TINY = Path(__file__).resolve().parent / "fixtures" / "real" / (
    "analytics_csv__scctsi__trial-promoter-app__tweet_activity_metrics_TCORSStgOrg_20170401_20170408_en.csv")
LOCAL = Actor.local_user()
ADMIN = "admin@example.com"
ACTORS = {
    "outsider": Actor.signed_in("out@example.com"),  # signed in, member of nothing
    "neighbour": Actor.signed_in("nb@example.com"),  # owner of another workspace only
    "viewer": Actor.signed_in("vi@example.com"),
    "editor": Actor.signed_in("ed@example.com"),
    "owner": Actor.signed_in("own@example.com"),
    "admin": Actor.signed_in(ADMIN),  # ADMIN_EMAILS: owner of every workspace
    "local": LOCAL,  # zero-config single-user mode and the CLI
}
RANK = {"outsider": -1, "neighbour": -1, "viewer": 0, "editor": 1, "owner": 2, "admin": 2, "local": 2}
NEED = {"viewer": 0, "editor": 1, "owner": 2}
MEMBER_ROLES = ("viewer", "editor", "owner")


@dataclass
class World:
    """Workspace "A" with one upload, two drafts and a plan; "B" next door, owned by the neighbour."""

    engine: object
    ws: int
    upload_id: int
    draft_id: int
    schedule_id: int
    baseline: int = 0  # audit events before the call under test (set again after any preparation)

    def prepared(self) -> None:
        """Preparation done: from here on, a refused call must not write."""
        self.baseline = _audit_count(self.engine)

    def scratch(self, role: str, name: str) -> int:
        """An empty workspace where the role has the same standing as in A (for destructive actions)."""
        with session_scope(self.engine) as s:
            ws = create_workspace(s, name, LOCAL).id
            if role in MEMBER_ROLES:
                set_member(s, ws, LOCAL, ACTORS[role].email, role)
        return ws

    def version(self) -> tuple[str, int]:
        with session_scope(self.engine) as s:
            d = get_draft(s, self.ws, LOCAL, self.draft_id)
            return d.status, d.version


@pytest.fixture
def world(engine, monkeypatch) -> World:
    monkeypatch.setenv("ADMIN_EMAILS", ADMIN)
    with session_scope(engine) as s:
        ws = create_workspace(s, "A", LOCAL).id
        for role in MEMBER_ROLES:
            set_member(s, ws, LOCAL, ACTORS[role].email, role)
        other = create_workspace(s, "B", LOCAL).id
        set_member(s, other, LOCAL, ACTORS["neighbour"].email, "owner")
    upload_id = import_files(engine, ws, LOCAL, [(TINY.name, TINY.read_bytes())]).upload_id
    with session_scope(engine) as s:
        draft_id = add_drafts(s, ws, LOCAL, ["A guide to dashboards https://x.io/g", "gm"])[0].id
        schedule_id = save_schedule(s, ws, LOCAL, "Week", {"days": 7}, {"slots": [{"draft_id": draft_id}]}).id
    return World(engine, ws, upload_id, draft_id, schedule_id)


def _in_session(fn: Callable) -> Callable[[World, str, Actor], object]:
    def run(w: World, role: str, actor: Actor) -> object:
        with session_scope(w.engine) as s:
            return fn(s, w, role, actor)

    return run


def _update_draft(s, w: World, role: str, actor: Actor) -> object:
    status, version = w.version()
    return update_draft(s, w.ws, actor, w.draft_id, version, status="approved" if status != "approved" else "draft")


def _review(w: World, role: str, actor: Actor) -> object:
    status, version = w.version()
    shown = pd.DataFrame([{"id": w.draft_id, "version": version}])
    changed, problems = apply_review_edits(w.engine, w.ws, actor, shown,
                                           {0: {"status": "rejected" if status != "rejected" else "draft"}})
    if not changed:  # the review table reports refusals instead of raising, one per row
        raise PermissionDenied(problems[0])
    return changed


def _remove_member(s, w: World, role: str, actor: Actor) -> object:
    set_member(s, w.ws, LOCAL, f"leaving-{role}@example.com", "viewer")
    return remove_member(s, w.ws, actor, f"leaving-{role}@example.com")


def _restore(w: World, role: str, actor: Actor) -> object:
    with session_scope(w.engine) as s:
        blob = export_workspace(s, w.ws, LOCAL)
    target = w.scratch(role, f"restore-{role}")
    w.prepared()
    with session_scope(w.engine) as s:
        return restore_workspace(s, target, actor, blob)


def _delete_workspace(w: World, role: str, actor: Actor) -> object:
    target = w.scratch(role, f"doomed-{role}")
    w.prepared()
    with session_scope(w.engine) as s:
        return delete_workspace(s, target, actor, f"doomed-{role}")


def _delete_upload(w: World, role: str, actor: Actor) -> object:
    again = import_files(w.engine, w.ws, LOCAL, [(TINY.name, TINY.read_bytes())]).upload_id
    w.prepared()
    with session_scope(w.engine) as s:
        return delete_upload(s, w.ws, actor, again)


def _find(s, w: World, role: str, actor: Actor) -> object:
    return find_workspace(s, "A", actor)


# action -> (least role that may do it, call). "Allowed" means no PermissionDenied; model-dependent calls may
# still answer NotEnoughData on this tiny history, which is not an authorization outcome.
ACTIONS: dict[str, tuple[str, Callable[[World, str, Actor], object]]] = {
    # reading
    "find_workspace": ("viewer", _in_session(_find)),
    "workspace_stats": ("viewer", _in_session(lambda s, w, r, a: workspace_stats(s, w.ws, a))),
    "load_tweets": ("viewer", _in_session(lambda s, w, r, a: load_tweets(s, w.ws, a))),
    "tweets_of_upload": ("viewer", _in_session(lambda s, w, r, a: tweets_of_upload(s, w.ws, a, w.upload_id))),
    "list_uploads": ("viewer", _in_session(lambda s, w, r, a: list_uploads(s, w.ws, a))),
    "uploads_frame": ("viewer", _in_session(lambda s, w, r, a: uploads_frame(s, w.ws, a))),
    "list_drafts": ("viewer", _in_session(lambda s, w, r, a: list_drafts(s, w.ws, a))),
    "get_draft": ("viewer", _in_session(lambda s, w, r, a: get_draft(s, w.ws, a, w.draft_id))),
    "list_schedules": ("viewer", _in_session(lambda s, w, r, a: list_schedules(s, w.ws, a))),
    "get_schedule": ("viewer", _in_session(lambda s, w, r, a: get_schedule(s, w.ws, a, w.schedule_id))),
    "list_members": ("viewer", _in_session(lambda s, w, r, a: list_members(s, w.ws, a))),
    "members_frame": ("viewer", _in_session(lambda s, w, r, a: members_frame(s, w.ws, a))),
    "list_audit": ("viewer", _in_session(lambda s, w, r, a: list_audit(s, w.ws, a))),
    "audit_frame": ("viewer", _in_session(lambda s, w, r, a: audit_frame(s, w.ws, a))),
    "latest_card": ("viewer", _in_session(lambda s, w, r, a: latest_card(s, w.ws, a))),
    "active_model": ("viewer", lambda w, r, a: active_model(w.engine, w.ws, a)),
    "score_texts": ("viewer", lambda w, r, a: score_texts(w.engine, w.ws, a, ["a draft"])),
    "history": ("viewer", lambda w, r, a: history(w.engine, w.ws, a)),
    "load_audience": ("viewer", _in_session(lambda s, w, r, a: load_audience(s, w.ws, a))),
    "build_report": ("viewer", _in_session(lambda s, w, r, a: build_report(s, w.ws, a))),
    "make_plan": ("viewer", lambda w, r, a: make_plan(w.engine, w.ws, a, PlanConstraints(tz="UTC"))),
    # Scores are derived from the model, not anyone's edit: any reader may refresh them.
    "rescore_drafts": ("editor", lambda w, r, a: rescore_drafts(w.engine, w.ws, a)),
    # editing
    "import_files": ("editor", lambda w, r, a: import_files(w.engine, w.ws, a, [(TINY.name, TINY.read_bytes())])),
    "add_drafts": ("editor", _in_session(lambda s, w, r, a: add_drafts(s, w.ws, a, [f"new draft by {r}"]))),
    "add_and_score": ("editor", lambda w, r, a: add_and_score(w.engine, w.ws, a, [f"scored draft by {r}"])),
    "update_draft": ("editor", _in_session(_update_draft)),
    "apply_review_edits": ("editor", _review),
    "save_schedule": ("editor", _in_session(lambda s, w, r, a: save_schedule(s, w.ws, a, "P", {}, {"slots": []}))),
    "store_plan": ("editor", lambda w, r, a: store_plan(w.engine, w.ws, a, "P", _Plan())),
    "add_snapshot": ("editor", _in_session(lambda s, w, r, a: add_snapshot(s, w.ws, a, date(2026, 1, 5), 120, 80))),
    "set_timezone": ("editor", _in_session(lambda s, w, r, a: set_timezone(s, w.ws, a, "Europe/Berlin"))),
    "train_workspace": ("editor", lambda w, r, a: train_workspace(w.engine, w.ws, a)),
    # owning
    "set_member": ("owner", _in_session(lambda s, w, r, a: set_member(s, w.ws, a, f"new-{r}@example.com", "viewer"))),
    "remove_member": ("owner", _in_session(_remove_member)),
    "export_workspace": ("owner", _in_session(lambda s, w, r, a: export_workspace(s, w.ws, a))),
    "restore_workspace": ("owner", _restore),
    "delete_upload": ("owner", _delete_upload),
    "delete_workspace": ("owner", _delete_workspace),
}


class _Plan:
    """The least a stored plan needs (store_plan only serialises it)."""

    def to_dict(self) -> dict:
        return {"constraints": {}, "slots": []}


def _audit_count(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("action", ACTIONS)
def test_every_role_may_do_exactly_what_its_role_allows(world, action):
    need, call = ACTIONS[action]
    wrong = []
    for role, actor in ACTORS.items():
        allowed = RANK[role] >= NEED[need]
        world.prepared()
        try:
            call(world, role, actor)
            outcome = True
        except PermissionDenied:
            outcome = False
            # A refused call leaves no trace of a change (not even an audit event).
            assert _audit_count(world.engine) == world.baseline, f"{role} {action}: refused but wrote"
        except CurationError:  # a domain answer past the role check (e.g. not enough data) still means allowed
            outcome = True
        if outcome != allowed:
            wrong.append(f"{role}: {'allowed' if outcome else 'refused'}")
    assert not wrong, f"{action} needs {need}; " + ", ".join(wrong)


def test_a_member_of_one_workspace_cannot_reach_anothers_records_by_id(world):
    """The neighbour owns B; every id of A addressed through B is refused or simply not there."""
    nb = ACTORS["neighbour"]
    with session_scope(world.engine) as s:
        b = find_workspace(s, "B", nb).id
        assert [w.name for w in list_workspaces(s, nb)] == ["B"]
        assert {w.name for w in list_workspaces(s, ACTORS["viewer"])} == {"A"}
        assert list_workspaces(s, ACTORS["outsider"]) == []
        with pytest.raises(NotFound):
            get_draft(s, b, nb, world.draft_id)
        with pytest.raises(NotFound):
            update_draft(s, b, nb, world.draft_id, 1, status="rejected")
        with pytest.raises(NotFound):
            get_schedule(s, b, nb, world.schedule_id)
        with pytest.raises(NotFound):
            delete_upload(s, b, nb, world.upload_id)
        assert tweets_of_upload(s, b, nb, world.upload_id).empty
        assert list_drafts(s, b, nb).empty and load_tweets(s, b, nb).empty
    with session_scope(world.engine) as s:  # and A is untouched
        assert get_draft(s, world.ws, LOCAL, world.draft_id).status == "draft"
        assert len(load_tweets(s, world.ws, LOCAL)) == 10


def test_only_administrators_create_workspaces(world):
    for role, actor in ACTORS.items():
        with session_scope(world.engine) as s:
            if role in ("admin", "local"):
                assert new_workspace(s, f"made by {role}", actor).name == f"made by {role}"
            else:
                with pytest.raises(PermissionDenied, match="ADMIN_EMAILS"):
                    new_workspace(s, f"made by {role}", actor)


def test_roles_change_and_removal_take_effect_at_once(world):
    ed = ACTORS["editor"]
    with session_scope(world.engine) as s:
        set_member(s, world.ws, ACTORS["owner"], ed.email, "viewer")
    with pytest.raises(PermissionDenied, match="viewer"), session_scope(world.engine) as s:
        add_drafts(s, world.ws, ed, ["no longer allowed"])
    with session_scope(world.engine) as s:
        remove_member(s, world.ws, ACTORS["owner"], ed.email)
    with pytest.raises(PermissionDenied, match="not a member"), session_scope(world.engine) as s:
        list_drafts(s, world.ws, ed)
    with session_scope(world.engine) as s:
        actions = [e.action for e in list_audit(s, world.ws, LOCAL)]
        assert actions[:2] == ["member.remove", "member.set"]


# ---------------------------------------------------------------- hosted mode, as the pages show it (AppTest)

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
        "client_id": "planner", "client_secret": "not-secret",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}


def _hosted(db_url: str, path: str, user: dict, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", db_url)
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    return at.run()


def _signed_in(email: str, verified: bool | str | None = True) -> dict:
    user = {"is_logged_in": True, "email": email}
    if verified is not None:
        user["email_verified"] = verified
    return user


@pytest.fixture
def hosted_db(demo_copy: str) -> str:
    from curation.store.db import make_engine

    engine = make_engine(demo_copy)
    with session_scope(engine) as s:
        ws = s.scalar(select(Workspace.id))
        set_member(s, ws, LOCAL, ACTORS["viewer"].email, "viewer")
        set_member(s, ws, LOCAL, ACTORS["owner"].email, "owner")
    engine.dispose()
    return demo_copy


OWNER_CONTROLS = {"Add or change", "Remove", "Delete upload", "Delete workspace", "Create workspace", "Restore"}


def test_router_lets_in_only_members_with_a_verified_email(hosted_db, monkeypatch):
    at = _hosted(hosted_db, "app.py", {"is_logged_in": False}, monkeypatch)
    assert [b.label for b in at.button] == ["Sign in"] and not at.sidebar.selectbox
    at = _hosted(hosted_db, "app.py", _signed_in("vi@example.com", verified=False), monkeypatch)
    assert "verified e-mail" in at.error[0].value and not at.sidebar.selectbox
    at = _hosted(hosted_db, "app.py", _signed_in("out@example.com"), monkeypatch)
    assert "no workspace has you as a member" in at.info[0].value and not at.sidebar.selectbox
    assert not at.dataframe and not at.metric
    for unverified in (None, "false", "0"):  # a missing claim or a string that is not "true" vouches for nothing
        at = _hosted(hosted_db, "app.py", _signed_in("vi@example.com", verified=unverified), monkeypatch)
        assert "verified e-mail" in at.error[0].value and not at.sidebar.selectbox
    at = _hosted(hosted_db, "app.py", _signed_in("Vi@Example.com", verified="true"), monkeypatch)
    assert not at.exception, at.exception
    assert at.sidebar.selectbox[0].value.startswith("Northwind") and at.title[0].value == "Import"


def test_workspace_page_shows_a_viewer_no_owner_controls_and_an_owner_all(hosted_db, monkeypatch):
    at = _hosted(hosted_db, "pages/5_workspace.py", _signed_in("vi@example.com"), monkeypatch)
    assert not at.exception, at.exception
    assert not OWNER_CONTROLS & {b.label for b in at.button}
    assert not at.get("download_button") and at.selectbox(key=next(k for k in at.session_state
                                                                   if str(k).startswith("ws_tz_"))).disabled
    assert at.metric[3].value == "viewer"
    at = _hosted(hosted_db, "pages/5_workspace.py", _signed_in("own@example.com"), monkeypatch)
    assert not at.exception, at.exception
    assert {"Add or change", "Remove", "Delete upload", "Delete workspace"} <= {b.label for b in at.button}
    assert len(at.get("download_button")) == 1  # the export
    assert "Create workspace" not in {b.label for b in at.button}  # only ADMIN_EMAILS create workspaces
    monkeypatch.setenv("ADMIN_EMAILS", "boss@example.com")
    at = _hosted(hosted_db, "pages/5_workspace.py", _signed_in("boss@example.com"), monkeypatch)
    assert "Create workspace" in {b.label for b in at.button} and at.metric[3].value == "owner"
