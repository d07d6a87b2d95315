"""Every page opens without an exception and says what it is for (AppTest)."""

from __future__ import annotations

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

PAGES = {
    "pages/1_import.py": "Import",
    "pages/2_insights.py": "Insights",
    "pages/3_drafts.py": "Drafts",
    "pages/4_planner.py": "Planner",
    "pages/5_workspace.py": "Workspace",
}


@pytest.fixture
def app_env(demo_copy, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_copy)
    return demo_copy


@pytest.mark.parametrize("path,title", PAGES.items())
def test_every_page_opens(app_env, path, title):
    at = AppTest.from_file(str(ROOT / path), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == title
    assert at.sidebar.selectbox[0].value.startswith("Northwind")


def test_router_opens_import_first(app_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Import"
