"""Every page opens without an exception, says what it is for, and shows the workspace the URL names (AppTest)."""

from __future__ import annotations

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from curation.store.access import Actor
from curation.store.db import engine_for, session_scope
from curation.store.workspaces import create_workspace

PAGES = {
    "pages/1_import.py": "Import",
    "pages/2_insights.py": "Insights",
    "pages/3_drafts.py": "Drafts",
    "pages/4_planner.py": "Planner",
    "pages/6_audience.py": "Audience",
    "pages/5_workspace.py": "Workspace",
}
DEMO = "Northwind Analytics (demo)"


@pytest.fixture
def app_env(demo_copy, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_copy)
    return demo_copy


@pytest.fixture
def empty_ws(app_env) -> int:
    """A second, empty workspace ("Acme") beside the demo."""
    with session_scope(engine_for(app_env)) as s:
        return create_workspace(s, "Acme", Actor.local_user(), "Europe/Berlin").id


def router() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)


def shown_workspace(at: AppTest) -> str:
    return at.sidebar.selectbox(key="ws_picker").value


def link_params(at: AppTest) -> set[str]:
    return {link.proto.query_string for link in at.get("page_link")}


@pytest.mark.parametrize("path,title", PAGES.items())
def test_every_page_opens(app_env, path, title):
    at = AppTest.from_file(str(ROOT / path), default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.title[0].value == title
    assert at.sidebar.selectbox[0].value.startswith("Northwind")


@pytest.mark.parametrize("path,title", PAGES.items())
def test_every_page_opens_on_an_empty_workspace(empty_ws, path, title):
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    at.query_params["ws"] = str(empty_ws)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == title and shown_workspace(at) == "Acme"
    assert not at.get("plotly_chart")  # no empty chart anywhere: a sentence and the way to fill it instead


def test_router_opens_import_first_and_puts_the_workspace_in_the_url(app_env):
    at = router().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Import" and shown_workspace(at) == DEMO
    assert at.query_params["ws"] == "1"
    assert link_params(at) == {"ws=1"} and len(at.get("page_link")) == len(PAGES)


def test_the_workspace_picked_stays_across_page_switches_and_reloads(empty_ws):
    at = router().run()
    at.sidebar.selectbox(key="ws_picker").select("Acme").run()
    assert not at.exception, at.exception
    assert at.query_params["ws"] == str(empty_ws) and link_params(at) == {f"ws={empty_ws}"}
    for path, title in PAGES.items():
        at.switch_page(path).run()
        assert not at.exception, at.exception
        assert at.title[0].value == title and shown_workspace(at) == "Acme", title
    reloaded = router()  # a new session (a reload, a shared link) with only the URL to go by
    reloaded.query_params["ws"] = str(empty_ws)
    reloaded.switch_page("pages/2_insights.py").run()
    assert shown_workspace(reloaded) == "Acme" and reloaded.title[0].value == "Insights"


def test_an_unknown_workspace_in_the_url_is_an_error_never_another_workspace(app_env):
    at = router()
    at.query_params["ws"] = "99"
    at.switch_page("pages/2_insights.py").run()
    assert not at.exception, at.exception
    assert "Workspace 99 does not exist" in at.error[0].value
    assert shown_workspace(at) is None and not at.metric and not at.get("plotly_chart")


def test_audience_with_counts_draws_its_charts_and_without_says_so_once(empty_ws):
    at = AppTest.from_file(str(ROOT / "pages/6_audience.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 2 and at.metric[0].label == "Followers"
    at.query_params["ws"] = str(empty_ws)
    at.run()
    said = [m.value for m in at.info] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert sum("No follower/following counts yet" in t for t in said) == 1, said
    assert not at.get("plotly_chart") and not at.metric


def test_new_workspace_in_the_sidebar_creates_it_and_switches_to_it(app_env):
    # The page alone: under AppTest a router run restarts through app.py after a click (see ui.ensure_router).
    at = AppTest.from_file(str(ROOT / "pages/1_import.py"), default_timeout=120).run()
    at.sidebar.button(key="new_ws_open").click().run()
    at.text_input(key="new_ws_name").input("Initech").run()
    next(b for b in at.button if b.label == "Create and open").click().run()
    assert not at.exception, at.exception
    assert shown_workspace(at) == "Initech" and at.query_params["ws"] != "1"
    assert "Initech is empty" in at.info[0].value  # the first-run guide, with the upload box
    assert at.get("file_uploader")


def test_insights_shows_the_audience_follower_growth_reading(app_env):
    audience = AppTest.from_file(str(ROOT / "pages/6_audience.py"), default_timeout=120).run()
    insights = AppTest.from_file(str(ROOT / "pages/2_insights.py"), default_timeout=120).run()
    assert not audience.exception and not insights.exception
    on_insights = {m.value for m in insights.markdown}
    moved = [m.value for m in audience.markdown if "weekly new follows vs" in m.value]
    assert moved and moved[0] in on_insights
    assert "What moved followers" in [h.value for h in insights.subheader]
