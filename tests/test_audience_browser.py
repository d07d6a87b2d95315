"""The Audience page in a real browser: Debian chromium driven by Playwright."""

from __future__ import annotations

import pytest
from conftest import screenshot

pytestmark = pytest.mark.browser


def test_audience_page_opens_in_chromium_with_the_band_chart(browser, app_server):
    page = browser.new_page(viewport={"width": 1400, "height": 2600})
    try:
        page.goto(f"{app_server.url}/audience", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Audience", exact=True).wait_for(timeout=60_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
        charts = page.locator('[data-testid="stPlotlyChart"]')
        charts.first.wait_for(timeout=60_000)
        assert charts.count() == 2
        # The band chart draws its three shaded bands and their names.
        band_chart = charts.first
        band_chart.locator(".main-svg").first.wait_for(timeout=30_000)
        for name in ("interpersonal", "mixed", "mass communication"):
            assert band_chart.get_by_text(name, exact=True).count() >= 1, name
        workspace = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
        assert "Northwind Analytics (demo)" in workspace.inner_html()
        assert page.get_by_text("mass communication band").first.is_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "page-audience")
    finally:
        page.close()
