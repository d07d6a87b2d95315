"""The user journey in a real browser: Debian chromium driven by Playwright."""

from __future__ import annotations

import pytest
from conftest import screenshot

pytestmark = pytest.mark.browser

PAGES = ["Import", "Insights", "Drafts", "Planner", "Workspace"]


def open_page(page, base: str, title: str) -> None:
    slug = "" if title == "Import" else title.lower()
    page.goto(f"{base}/{slug}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


@pytest.mark.parametrize("title", PAGES)
def test_every_page_opens_in_chromium(browser, app_server, title):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_page(page, app_server.url, title)
        assert page.get_by_text("Northwind Analytics (demo)").first.is_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, f"page-{title.lower()}")
    finally:
        page.close()
