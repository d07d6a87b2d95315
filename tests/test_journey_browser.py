"""The weekly journey in real Chromium: upload, score and approve a draft, see it from a second tab, plan, .ics."""

from __future__ import annotations

import time

import pytest
from conftest import ROOT, StreamlitServer, choose_draft, copy_db, screenshot, settle
from icalendar import Calendar

from curation.store.access import Actor
from curation.store.db import engine_for, session_scope
from curation.store.drafts import list_drafts

pytestmark = pytest.mark.browser

REAL = ROOT / "tests" / "fixtures" / "real"
DRAFT = "Case study: how Initech cut forecasting costs by 41% https://northwind.io/cases/initech"


@pytest.fixture(scope="module")
def journey_server(demo_db, tmp_path_factory):
    url = copy_db(demo_db, tmp_path_factory.mktemp("journey") / "curation.db")
    server = StreamlitServer(url)
    yield server, url
    server.stop()


def draft_id_of(db_url: str, text: str, timeout: float = 60) -> int:
    """The id of the draft with this text, once the click that adds it has been handled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine_for(db_url)) as s:
            drafts = list_drafts(s, 1, Actor.local_user())
        found = drafts.loc[drafts.text == text, "id"]
        if len(found):
            return int(found.iloc[0])
        time.sleep(0.3)
    raise AssertionError(f"the draft {text[:30]!r} was never stored")


def goto(page, base: str, slug: str, title: str) -> None:
    page.goto(f"{base}/{slug}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    settle(page)


def test_upload_score_approve_share_and_plan(browser, journey_server, tmp_path):
    server, db_url = journey_server
    base = server.url
    ctx = browser.new_context(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    page = ctx.new_page()

    # 1. Upload real exports on the Import page and read the report.
    goto(page, base, "", "Import")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [str(REAL / "analytics_daily_csv__debruine__30DCC-2022__daily_tweet_activity_metrics_LisaDeBruine_"
                    "20210801_20210901_en.csv"),
         str(REAL / "archive_follower_js__ajitg25__twitter-analytics__follower.js")])
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    page.get_by_text("Imported: 0 new").wait_for(timeout=120_000)
    settle(page)
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "journey-import-report")

    # 2. Score a draft as it is typed, add it, approve it.
    goto(page, base, "drafts", "Drafts")
    area = page.get_by_label("Draft", exact=True)
    area.fill(DRAFT)
    page.get_by_role("heading", name="Score a draft").click()  # leaving the box scores it
    page.get_by_test_id("stMetricLabel").filter(has_text="Predicted clicks").wait_for(timeout=60_000)
    screenshot(page, "journey-draft-scored")
    page.get_by_role("button", name="Add to drafts").click()
    settle(page)
    draft_id = draft_id_of(db_url, DRAFT)
    choose_draft(page, draft_id, DRAFT)
    page.get_by_role("button", name="Approve", exact=True).click()
    page.get_by_text("Status: approved").wait_for(timeout=30_000)

    # 3. A teammate in a second browser context sees the approval.
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    mate = other.new_page()
    goto(mate, base, "drafts", "Drafts")
    choose_draft(mate, draft_id, DRAFT)
    mate.get_by_text("Status: approved · last change by local@localhost").wait_for(timeout=30_000)
    other.close()

    # 4. Build a plan and download it as a calendar.
    goto(page, base, "planner", "Planner")
    page.get_by_test_id("stFormSubmitButton").get_by_role("button").click()
    page.get_by_test_id("stMetricLabel").filter(has_text="Posts planned").first.wait_for(timeout=120_000)
    settle(page)
    screenshot(page, "journey-plan")
    with page.expect_download() as info:
        page.get_by_role("button", name="Calendar (.ics)").first.click()
    path = tmp_path / "plan.ics"
    info.value.save_as(path)
    cal = Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert cal.get("x-wr-calname")
    assert all(e.get("dtstart").dt.tzinfo is not None for e in events)
    ctx.close()
