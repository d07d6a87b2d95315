"""The weekly journey in real Chromium: upload, score and approve a draft, see it from a second tab, plan, .ics."""

from __future__ import annotations

import pytest
from conftest import ROOT, StreamlitServer, copy_db, screenshot
from icalendar import Calendar

pytestmark = pytest.mark.browser

REAL = ROOT / "tests" / "fixtures" / "real"
DRAFT = "Case study: how Initech cut forecasting costs by 41% https://northwind.io/cases/initech"


@pytest.fixture(scope="module")
def journey_server(demo_db, tmp_path_factory):
    server = StreamlitServer(copy_db(demo_db, tmp_path_factory.mktemp("journey") / "curation.db"))
    yield server
    server.stop()


def settle(page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=120_000)


def goto(page, base: str, slug: str, title: str) -> None:
    page.goto(f"{base}/{slug}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    settle(page)


def pick_draft(page, text: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text="Review one draft")
    box.locator("input").click()
    box.locator("input").fill(text[:30])
    page.get_by_role("option").filter(has_text=text[:30]).first.wait_for(state="attached")
    page.keyboard.press("Enter")
    settle(page)


def test_upload_score_approve_share_and_plan(browser, journey_server, tmp_path):
    base = journey_server.url
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
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
    pick_draft(page, DRAFT)
    page.get_by_role("button", name="Approve").click()
    settle(page)
    pick_draft(page, DRAFT)
    page.get_by_text("Status: approved").wait_for(timeout=30_000)

    # 3. A teammate in a second browser context sees the approval.
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    mate = other.new_page()
    goto(mate, base, "drafts", "Drafts")
    pick_draft(mate, DRAFT)
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
