"""A new user's journey in real Chromium on a real export: new workspace, upload, every page, reload, score,
approve, plan, rename and save the plan, download the .ics; the workspace never changes under the user."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ROOT, StreamlitServer, choose_draft, copy_db, screenshot, settle
from icalendar import Calendar
from playwright.sync_api import expect

from curation.store.access import Actor
from curation.store.db import engine_for, session_scope
from curation.store.drafts import list_drafts
from curation.store.schedules import list_schedules

pytestmark = pytest.mark.browser

REAL = ROOT / "tests" / "fixtures" / "real"
EXPORTS = sorted(REAL.glob("analytics_csv__hoprnet__*"))  # five months of one account's analytics, 174 tweets
WS = "HOPR on X"
DRAFT = "HOPR node runners: the new staking guide is live https://hoprnet.org/staking"
MORE = ["Thread: how HOPR mixes packets so nobody can see who talks to whom https://hoprnet.org/mixnet",
        "AMA tomorrow 16:00 CET with the HOPR core team, bring your questions",
        "Release notes for the new node version https://medium.com/hoprnet/release"]
PAGES = {"Import": "", "Insights": "insights", "Drafts": "drafts", "Planner": "planner", "Audience": "audience",
         "Workspace": "workspace"}


@pytest.fixture(scope="module")
def journey_server(demo_db, tmp_path_factory):
    url = copy_db(demo_db, tmp_path_factory.mktemp("journey") / "curation.db")
    server = StreamlitServer(url)
    yield server, url
    server.stop()


def draft_id_of(db_url: str, ws: int, text: str, timeout: float = 60) -> int:
    """The id of the draft with this text, once the click that adds it has been handled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine_for(db_url)) as s:
            drafts = list_drafts(s, ws, Actor.local_user())
        found = drafts.loc[drafts.text == text, "id"]
        if len(found):
            return int(found.iloc[0])
        time.sleep(0.3)
    raise AssertionError(f"the draft {text[:30]!r} was never stored")


def workspace_in_url(page) -> str:
    return parse_qs(urlparse(page.url).query).get("ws", [""])[0]


def shows(page, title: str, ws_id: str) -> None:
    """The page is ``title``, in workspace WS, and the URL names it."""
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    settle(page)
    expect(page.get_by_role("combobox", name="Workspace")).to_have_value(WS, timeout=30_000)
    assert workspace_in_url(page) == ws_id, page.url
    assert page.get_by_test_id("stException").count() == 0


def visit(page, title: str, ws_id: str) -> None:
    """Through the sidebar's own link, as a user would."""
    page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(re.compile(rf"/{PAGES[title]}\?ws={ws_id}$"), timeout=30_000)
    shows(page, title, ws_id)


def test_new_workspace_upload_every_page_reload_score_approve_plan_save_ics(browser, journey_server, tmp_path):
    server, db_url = journey_server
    ctx = browser.new_context(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    outside: list[str] = []  # no request may leave the machine (icons, fonts, scripts)
    ctx.on("request", lambda r: None if r.url.startswith((server.url, "data:", "blob:")) else outside.append(r.url))
    page = ctx.new_page()

    # 1. First run: the demo opens; "New workspace" in the sidebar creates one and switches to it.
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_role("heading", name="Import", exact=True).wait_for(timeout=60_000)
    settle(page)
    page.get_by_test_id("stSidebar").get_by_role("button", name="New workspace").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill(WS)
    dialog.get_by_label("Name", exact=True).press("Tab")
    dialog.get_by_role("button", name="Create and open").click()
    expect(page.get_by_role("combobox", name="Workspace")).to_have_value(WS, timeout=60_000)
    ws_id = workspace_in_url(page)
    assert ws_id and ws_id != "1"
    page.get_by_text(f"{WS} is empty").wait_for(timeout=30_000)
    page.get_by_text("Where do I get these files?").wait_for()
    screenshot(page, "journey-first-run")

    # 2. Upload a real account's analytics exports; the model is trained where the upload happened.
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(p) for p in EXPORTS])
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    page.get_by_text("Imported: 174 new").wait_for(timeout=180_000)
    shows(page, "Import", ws_id)
    screenshot(page, "journey-import-report")

    # 3. Every page through the sidebar, then a reload: the workspace stays HOPR everywhere.
    for title in ["Insights", "Drafts", "Planner", "Audience", "Workspace"]:
        visit(page, title, ws_id)
        screenshot(page, f"journey-{title.lower()}")
    page.reload(wait_until="domcontentloaded")
    shows(page, "Workspace", ws_id)
    page.get_by_text("retrained the model on").first.wait_for(state="attached", timeout=30_000)  # in words

    # 4. Score a draft as it is typed, add it (the box clears), approve it.
    visit(page, "Drafts", ws_id)
    area = page.get_by_label("Draft", exact=True)
    area.fill(DRAFT)
    page.get_by_role("heading", name="Score a draft").click()  # leaving the box scores it (only the box reruns)
    page.get_by_test_id("stMetricLabel").filter(has_text="Predicted").first.wait_for(timeout=60_000)
    screenshot(page, "journey-draft-scored")
    page.get_by_role("button", name="Add to drafts").click()
    draft_id = draft_id_of(db_url, int(ws_id), DRAFT)
    expect(area).to_have_value("", timeout=30_000)
    choose_draft(page, draft_id, DRAFT)
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_text("Status: approved").wait_for(timeout=30_000)
    shows(page, "Drafts", ws_id)

    # A few more drafts pasted at once, approved one by one, so the plan has a week to fill.
    page.get_by_text("Add many drafts (paste, or upload a CSV)").click()
    page.get_by_label("One draft per line, or separate drafts by a blank line").fill("\n".join(MORE))
    page.get_by_role("button", name="Add pasted drafts").click()
    page.get_by_text(f"Added {len(MORE)} drafts.").wait_for(timeout=60_000)
    for text in MORE:
        choose_draft(page, draft_id_of(db_url, int(ws_id), text), text)
        page.get_by_role("button", name="Approve", exact=True).click()
        page.get_by_text("Status: approved").wait_for(timeout=30_000)
    approved = {draft_id, *(draft_id_of(db_url, int(ws_id), t) for t in MORE)}

    # 5. Plan, rename the plan, save it for the team, download the calendar.
    visit(page, "Planner", ws_id)
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    page.get_by_role("heading", name="This plan").wait_for(timeout=180_000)
    settle(page)
    name = page.get_by_label("Name", exact=True)
    name.fill("HOPR launch week")
    name.press("Enter")
    settle(page)
    page.get_by_role("button", name="Save plan for the team").click()
    page.get_by_text("Saved as plan").wait_for(timeout=60_000)
    shows(page, "Planner", ws_id)
    screenshot(page, "journey-plan")
    with page.expect_download() as info:
        page.get_by_role("button", name="Calendar (.ics)").first.click()
    path = tmp_path / "plan.ics"
    info.value.save_as(path)
    cal = Calendar.from_ical(path.read_bytes())
    assert cal.get("x-wr-calname") and all(e.get("dtstart").dt.tzinfo for e in cal.walk("VEVENT"))
    ctx.close()
    assert outside == []

    # 6. In the database: the plan is HOPR's, under the typed name, and the demo has no new plan.
    with session_scope(engine_for(db_url)) as s:
        plans = list_schedules(s, int(ws_id), Actor.local_user())
        demo_plans = list_schedules(s, 1, Actor.local_user())
    assert [p.name for p in plans] == ["HOPR launch week"]
    assert {sl["draft_id"] for p in plans for sl in p.plan["slots"]} <= approved
    assert all(p.name != "HOPR launch week" for p in demo_plans)
