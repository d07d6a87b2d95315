"""Workspace export, restore into an empty workspace, deletion, and upload removal: nothing lost, nothing left."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from curation.cli import main as cli_main
from curation.errors import CurationError, ImportFailed
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import add_drafts, list_drafts, update_draft
from curation.store.models import (
    AccountSnapshot,
    AudienceId,
    AuditEvent,
    DailyMetric,
    Draft,
    Member,
    Schedule,
    Tweet,
    TweetUpload,
    Upload,
    Workspace,
)
from curation.store.schedules import list_schedules, save_schedule
from curation.store.tweets import load_tweets
from curation.store.workspaces import create_workspace, list_members, set_member
from curation.workspace.backup import export_workspace, restore_workspace
from curation.workspace.hosting import ephemeral_disk_warning
from curation.workspace.importer import import_files
from curation.workspace.members import delete_upload, delete_workspace

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
LOCAL = Actor.local_user()
ANALYTICS = "analytics_csv__ropensci-org__ropensci-tweets__tweet_activity_metrics_rOpenSci_20161201_20170101_en.csv"
ARCHIVE = "archive_tweets_js__ajitg25__twitter-analytics__tweets.js"
DAILY = "analytics_daily_csv__debruine__30DCC-2022__daily_tweet_activity_metrics_LisaDeBruine_20210801_20210901_en.csv"
FOLLOWERS = "archive_follower_js__ajitg25__twitter-analytics__follower.js"
# Texts a CSV round trip or a spreadsheet could mangle.
TRICKY = ["=HYPERLINK(\"http://evil\")", "'quoted already", "+1 for dashboards", "-minus", "@team see this",
          "NA", "null", "line one\nline two, with \"quotes\"", "  =spaced formula", "émoji 🚀 ünïcode"]


def _file(name: str) -> tuple[str, bytes]:
    return name, (REAL / name).read_bytes()


def _head(name: str, rows: int) -> tuple[str, bytes]:
    """The first ``rows`` records of a CSV export, as a second, overlapping upload."""
    lines = (REAL / name).read_bytes().decode("utf-8").splitlines(keepends=True)
    return f"first-{rows}-{name}", "".join(lines[: rows + 1]).encode("utf-8")


def _count(engine, model, ws_id) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(model.workspace_id == ws_id))


@pytest.fixture
def source(engine) -> int:
    """A workspace with uploads of every kind, drafts (some tricky), a plan, members and history."""
    with session_scope(engine) as s:
        ws = create_workspace(s, "Source", LOCAL, timezone="Europe/Berlin").id
        set_member(s, ws, LOCAL, "ed@example.com", "editor")
        set_member(s, ws, LOCAL, "vi@example.com", "viewer")
    import_files(engine, ws, LOCAL, [_file(ARCHIVE), _file(FOLLOWERS)])
    import_files(engine, ws, LOCAL, [_file(ANALYTICS), _file(DAILY)])
    editor = Actor.signed_in("ed@example.com")
    with session_scope(engine) as s:
        drafts = add_drafts(s, ws, editor, ["Our guide to dashboards https://x.io/g", *TRICKY])
        ids = [d.id for d in drafts]
    with session_scope(engine) as s:
        update_draft(s, ws, editor, ids[0], 1, status="approved", comment="  =ship it")
        save_schedule(s, ws, editor, "Next week", {"max_per_day": 2},
                      {"slots": [{"draft_id": ids[0], "at": "2026-11-30T09:00:00+00:00"}], "draft_ids": ids[:2]})
    return ws


def _snapshot(engine, ws: int) -> dict:
    """Everything a restore must reproduce, without the ids that are new in another workspace."""
    with session_scope(engine) as s:
        tweets = load_tweets(s, ws, LOCAL, include_state=True).drop(columns=["pk"])
        drafts = list_drafts(s, ws, LOCAL).drop(columns=["id", "model_version_id"]).sort_values("text")
        plans = [(p.name, p.constraints, p.created_by) for p in list_schedules(s, ws, LOCAL)]
        audit = sorted((e.actor, e.action, json.dumps(e.detail, sort_keys=True, default=str))
                       for e in s.scalars(select(AuditEvent).where(AuditEvent.workspace_id == ws)))
        members = sorted((m.email, m.role) for m in list_members(s, ws, LOCAL))
        uploads = sorted((u.filenames, u.n_new) for u in s.scalars(select(Upload).where(Upload.workspace_id == ws)))
        sole = sorted(
            (fn, n) for fn, n in s.execute(
                select(Upload.filenames, func.count()).join(TweetUpload, TweetUpload.upload_id == Upload.id)
                .where(Upload.workspace_id == ws).group_by(Upload.filenames)
            ).all()
        )
        tz = s.get(Workspace, ws).timezone
    return {"tweets": tweets.reset_index(drop=True), "drafts": drafts.reset_index(drop=True), "plans": plans,
            "audit": audit, "members": members, "uploads": uploads, "links": sole, "timezone": tz,
            "daily": _count(engine, DailyMetric, ws), "audience": _count(engine, AudienceId, ws),
            "snapshots": _count(engine, AccountSnapshot, ws)}


def test_export_then_restore_into_an_empty_workspace_loses_nothing(engine, source):
    before = _snapshot(engine, source)
    with session_scope(engine) as s:
        blob = export_workspace(s, source, LOCAL)
    names = set(zipfile.ZipFile(io.BytesIO(blob)).namelist())
    assert {"tweets.csv", "drafts.csv", "plans.csv", "audit.csv", "workspace.json"} <= names

    with session_scope(engine) as s:
        target = create_workspace(s, "Restored", LOCAL).id
    with session_scope(engine) as s:
        report = restore_workspace(s, target, LOCAL, blob, "source.zip")
    after = _snapshot(engine, target)

    assert (report.tweets, report.drafts, report.plans) == (len(before["tweets"]), len(before["drafts"]), 1)
    pd.testing.assert_frame_equal(after["tweets"], before["tweets"])
    pd.testing.assert_frame_equal(after["drafts"], before["drafts"])
    assert {t.strip() for t in TRICKY} <= set(after["drafts"]["text"])  # drafts are stored stripped
    for key in ("plans", "members", "uploads", "links", "timezone", "daily", "audience", "snapshots"):
        assert after[key] == before[key], key
    # Every exported event is back; the only new ones say who created the workspace and restored it.
    restored_events = list(after["audit"])
    for event in before["audit"]:
        restored_events.remove(event)
    assert sorted(a for _, a, _ in restored_events) == ["workspace.create", "workspace.restore"]


def test_restored_plans_point_at_the_restored_drafts(engine, source):
    with session_scope(engine) as s:
        blob = export_workspace(s, source, LOCAL)
        target = create_workspace(s, "Restored", LOCAL).id
    with session_scope(engine) as s:
        restore_workspace(s, target, LOCAL, blob)
    with session_scope(engine) as s:
        (plan,) = list_schedules(s, target, LOCAL)
        drafts = list_drafts(s, target, LOCAL).set_index("id")
        slot_draft = plan.plan["slots"][0]["draft_id"]
        assert drafts.loc[slot_draft, "text"] == "Our guide to dashboards https://x.io/g"
        assert drafts.loc[slot_draft, "comment"] == "  =ship it"
        assert all(i in drafts.index for i in plan.plan["draft_ids"])


def test_export_csvs_cannot_run_as_spreadsheet_formulas(engine, source):
    with session_scope(engine) as s:
        blob = export_workspace(s, source, LOCAL)
    drafts = pd.read_csv(io.BytesIO(zipfile.ZipFile(io.BytesIO(blob)).read("drafts.csv")), dtype=str,
                         keep_default_na=False, encoding="utf-8-sig")
    texts = set(drafts["text"]) | set(drafts["comment"])
    assert not [t for t in texts if t.lstrip(" ")[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://evil\")" in texts and "''quoted already" in texts


def test_restore_refuses_a_workspace_with_data_and_files_that_are_not_exports(engine, source):
    with session_scope(engine) as s:
        blob = export_workspace(s, source, LOCAL)
    with pytest.raises(CurationError, match="already has tweets"), session_scope(engine) as s:
        restore_workspace(s, source, LOCAL, blob)
    with session_scope(engine) as s:
        target = create_workspace(s, "Empty", LOCAL).id
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("tweets.csv", "tweet_id\n1\n")
    with pytest.raises(ImportFailed, match="not a workspace export"), session_scope(engine) as s:
        restore_workspace(s, target, LOCAL, other.getvalue(), "random.zip")
    with pytest.raises(ImportFailed, match="damaged"), session_scope(engine) as s:
        restore_workspace(s, target, LOCAL, b"not a zip at all", "broken.zip")
    assert _count(engine, Tweet, target) == 0 and _count(engine, Upload, target) == 0


def test_deleting_a_workspace_needs_its_exact_name_and_removes_everything(engine, source):
    with session_scope(engine) as s:
        other = create_workspace(s, "Other", LOCAL).id
        add_drafts(s, other, LOCAL, ["keep me"])
    with pytest.raises(CurationError, match="Type the workspace's name exactly"), session_scope(engine) as s:
        delete_workspace(s, source, LOCAL, "source")
    assert _count(engine, Tweet, source) > 0
    with session_scope(engine) as s:
        assert delete_workspace(s, source, LOCAL, "Source") == "Source"
    for model in (Tweet, Upload, DailyMetric, AudienceId, AccountSnapshot, Draft, Schedule, Member, AuditEvent):
        assert _count(engine, model, source) == 0, model.__name__
    with session_scope(engine) as s:
        assert s.get(Workspace, source) is None
        assert s.scalar(select(func.count()).select_from(TweetUpload)) == 0
        trace = s.scalars(select(AuditEvent).where(AuditEvent.workspace_id.is_(None))).one()
        assert (trace.action, trace.detail["name"], trace.actor) == ("workspace.delete", "Source", LOCAL.email)
        assert [d for d in list_drafts(s, other, LOCAL)["text"]] == ["keep me"]


def test_deleting_an_upload_removes_only_what_it_alone_brought(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "Uploads", LOCAL).id
    full = import_files(engine, ws, LOCAL, [_file(ANALYTICS)]).upload_id
    part = import_files(engine, ws, LOCAL, [_head(ANALYTICS, 5)]).upload_id
    with session_scope(engine) as s:
        removal = delete_upload(s, ws, LOCAL, full)
    assert (removal.tweets_removed, removal.tweets_kept) == (37 - 5, 5)
    with session_scope(engine) as s:
        left = s.scalars(select(Tweet).where(Tweet.workspace_id == ws)).all()
        assert len(left) == 5
        assert {(t.first_upload_id, t.last_upload_id) for t in left} == {(part, part)}
        assert s.get(Upload, full) is None
        assert s.scalars(select(AuditEvent.action).where(AuditEvent.workspace_id == ws)).all()[-1] == "upload.delete"
    with session_scope(engine) as s:
        assert delete_upload(s, ws, LOCAL, part).tweets_removed == 5
    assert _count(engine, Tweet, ws) == 0


def test_deleting_an_upload_keeps_account_days_another_upload_may_have_repeated(engine):
    with session_scope(engine) as s:
        ws = create_workspace(s, "Days", LOCAL).id
    first = import_files(engine, ws, LOCAL, [_file(DAILY)]).upload_id
    second = import_files(engine, ws, LOCAL, [_head(DAILY, 3)]).upload_id
    with session_scope(engine) as s:
        assert delete_upload(s, ws, LOCAL, first).daily_days_removed == 0
    assert _count(engine, DailyMetric, ws) == 31
    with session_scope(engine) as s:
        ws2 = create_workspace(s, "Days alone", LOCAL).id
    only = import_files(engine, ws2, LOCAL, [_file(DAILY), _file(FOLLOWERS)]).upload_id
    with session_scope(engine) as s:
        removal = delete_upload(s, ws2, LOCAL, only)
    assert (removal.daily_days_removed, removal.audience_removed) == (31, 76)
    assert _count(engine, DailyMetric, ws2) == 0 and _count(engine, AudienceId, ws2) == 0
    assert second is not None


def test_cli_exports_restores_and_deletes(engine, source, db_url, tmp_path, capsys):
    out = tmp_path / "source.zip"
    assert cli_main(["export", "--db", db_url, "--workspace", "Source", "--out", str(out)]) == 0
    assert cli_main(["restore", str(out), "--db", db_url, "--workspace", "Copy", "--json"]) == 0
    restored = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert restored["tweets"] == _count(engine, Tweet, source)
    assert cli_main(["members", "add", "New@Example.com", "--role", "editor", "--db", db_url,
                     "--workspace", "Copy"]) == 0
    assert "editor  new@example.com" in capsys.readouterr().out
    assert cli_main(["members", "remove", "new@example.com", "--db", db_url, "--workspace", "Copy"]) == 0
    assert "new@example.com" not in capsys.readouterr().out
    assert cli_main(["delete-workspace", "--confirm", "copy", "--db", db_url, "--workspace", "Copy"]) == 2
    assert "exactly" in capsys.readouterr().err
    assert cli_main(["delete-workspace", "--confirm", "Copy", "--db", db_url, "--workspace", "Copy"]) == 0
    with session_scope(engine) as s:
        upload_id = s.scalars(select(Upload.id).where(Upload.workspace_id == source)).first()
    assert cli_main(["delete-upload", str(upload_id), "--db", db_url, "--workspace", "Source"]) == 0
    assert "Deleted upload" in capsys.readouterr().out


@pytest.mark.parametrize(
    "url,env,root,warns",
    [
        ("sqlite:////mount/src/app/data/curation.db", {}, Path("/mount/src/app"), True),
        ("sqlite:///data/curation.db", {"HOSTNAME": "streamlit"}, Path("/app"), True),
        ("sqlite:///data/curation.db", {"EPHEMERAL_DISK": "1"}, Path("/app"), True),
        ("sqlite:///data/curation.db", {}, Path("/home/me/planner"), False),
        ("postgresql+psycopg://u@db/x", {"EPHEMERAL_DISK": "1"}, Path("/mount/src/app"), False),
    ],
)
def test_sqlite_on_an_ephemeral_disk_is_warned_about(url, env, root, warns):
    message = ephemeral_disk_warning(url, env, root)
    assert (message is not None) == warns
    if warns:
        assert "DATABASE_URL" in message and "lost" in message


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_workspace_page_lets_an_owner_manage_members_and_delete_only_with_the_typed_name(demo_copy, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", demo_copy)
    at = AppTest.from_file(str(ROOT / "pages/5_workspace.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    at.text_input(key="member_email").set_value("New@Example.com")
    at.selectbox(key="member_role").set_value("editor")
    _button(at, "Add or change").click().run()
    assert "new@example.com is now editor" in at.success[0].value.replace("\\", "")
    members = at.dataframe[0].value
    assert members.loc[members["e-mail"] == "new@example.com", "role"].tolist() == ["editor"]
    assert "local@localhost made new@example.com editor" in at.dataframe[1].value["what happened"].tolist()

    confirm = next(t for t in at.text_input if t.label.startswith("Type the workspace's name"))
    confirm.set_value("northwind").run()
    assert _button(at, "Delete workspace").disabled
    confirm = next(t for t in at.text_input if t.label.startswith("Type the workspace's name"))
    confirm.set_value("Northwind Analytics (demo)").run()
    _button(at, "Delete workspace").click().run()
    assert not at.exception, at.exception
    assert "There is no workspace yet" in at.info[0].value  # it was the only one: start a new one
    at.text_input(key="first_ws_name").set_value("Fresh start").run()
    _button(at, "Create workspace").click().run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox[0].value == "Fresh start"
    assert "Deleted workspace Northwind Analytics (demo)" in at.success[0].value.replace("\\", "")


def test_replicas_starting_together_on_postgresql_migrate_and_seed_once(pg_url):
    from concurrent.futures import ThreadPoolExecutor

    from curation.workspace.hosting import prepare_database

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: prepare_database(pg_url), range(3)))
    seeded = [ws for _, ws in results if ws is not None]
    assert len(seeded) == 1  # one replica seeded; the others waited and found it done
    engine = results[0][0]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Workspace)) == 1
