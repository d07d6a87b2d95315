"""The user journey in a real browser: Debian chromium driven by Playwright."""

from __future__ import annotations

import pytest
from conftest import StreamlitServer, copy_db, screenshot
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = ["Import", "Insights", "Drafts", "Planner", "Audience", "Workspace"]


def open_page(page, base: str, title: str) -> None:
    slug = "" if title == "Import" else title.lower()
    page.goto(f"{base}/{slug}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    expect(page.get_by_role("combobox", name="Workspace")).to_have_value("Northwind Analytics (demo)", timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
                           timeout=60_000)
    page.wait_for_timeout(500)  # let charts finish drawing before the screenshot


@pytest.mark.parametrize("title", PAGES)
def test_every_page_opens_in_chromium(browser, app_server, title):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    try:
        open_page(page, app_server.url, title)
        screenshot(page, f"page-{title.lower()}")
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        page.close()


def test_a_page_url_on_a_fresh_server_goes_through_the_router(browser, demo_db, tmp_path):
    # Streamlit's old multipage mode would run pages/3_drafts.py without app.py (no gate, no navigation).
    server = StreamlitServer(copy_db(demo_db, tmp_path / "fresh.db"))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{server.url}/drafts", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Drafts", exact=True).wait_for(timeout=60_000)
        nav = page.get_by_test_id("stSidebar")  # the router's links, each carrying the workspace
        expect(nav.get_by_role("link", name="Planner", exact=True)).to_have_attribute("href", "planner?ws=1",
                                                                                     timeout=30_000)
        assert nav.get_by_role("link", name="app", exact=True).count() == 0
    finally:
        page.close()
        server.stop()
