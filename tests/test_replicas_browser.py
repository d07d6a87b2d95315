"""Two Streamlit processes on one PostgreSQL database behave as one app (stateless replicas).

Each browser tab talks to its own replica, as behind a load balancer with sticky sessions. What one
tab changes, the other sees on reload; a tab that acts on a draft someone changed since it loaded
it is refused with who changed it and when, and the teammate's change stays.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, StreamlitServer, choose_draft, screenshot
from sqlalchemy import select

from curation.store.access import Actor
from curation.store.db import make_engine, session_scope
from curation.store.drafts import add_drafts
from curation.store.models import Draft, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.pg]

DRAFT = "New guide: cohort analysis in 5 steps https://northwind.io/blog/cohorts"


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path) -> Iterator[tuple[StreamlitServer, StreamlitServer, int]]:
    """The database prepared once (as a deploy's init step does), then two app processes on it."""
    subprocess.run([sys.executable, "-m", "curation", "init-db", "--seed-demo-if-empty", "--db", pg_url],
                   check=True, cwd=ROOT, capture_output=True)
    engine = make_engine(pg_url)
    with session_scope(engine) as s:
        draft_id = add_drafts(s, s.scalar(select(Workspace.id)), Actor.local_user(), [DRAFT])[0].id
    engine.dispose()
    # Separate model caches: a replica without the artifact file loads the model from the database.
    servers = []
    try:
        for name in ("one", "two"):
            servers.append(StreamlitServer(pg_url, env={"CURATION_MODELS_DIR": str(tmp_path / name)}))
        yield servers[0], servers[1], draft_id
    finally:
        for server in servers:
            server.stop()


def open_draft(page, server: StreamlitServer, draft_id: int) -> None:
    """The Drafts page of this replica, with the draft picked in 'Review one draft'."""
    page.goto(f"{server.url}/drafts", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Drafts", exact=True).wait_for(timeout=60_000)
    choose_draft(page, draft_id, DRAFT)


def test_two_replicas_share_approvals_and_refuse_a_stale_edit(browser, replicas, pg_url, tmp_path):
    one, two, draft_id = replicas
    tab1 = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab2 = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        open_draft(tab1, one, draft_id)
        tab1.get_by_text("Status: draft").wait_for(timeout=30_000)
        tab1.get_by_role("button", name="Approve", exact=True).click()
        tab1.get_by_text("Status: approved").wait_for(timeout=30_000)

        open_draft(tab2, two, draft_id)  # the other process, loading from the database
        tab2.get_by_text("Status: approved · last change by local@localhost").wait_for(timeout=30_000)
        screenshot(tab2, "replica-two-sees-approval")

        # Both tabs now show version 2. Replica one rejects it; tab 2 has not reloaded and sends it back
        # to draft, acting on what it saw: refused, with who and when.
        open_draft(tab1, one, draft_id)
        tab1.get_by_role("button", name="Reject", exact=True).click()
        tab1.get_by_text("Status: rejected").wait_for(timeout=30_000)
        tab2.get_by_role("button", name="Back to draft", exact=True).click()
        refusal = r"changed by local@localhost at \d{4}-\d\d-\d\d \d\d:\d\d UTC after you loaded it\. Reload"
        tab2.get_by_text(re.compile(refusal)).wait_for(timeout=30_000)
        screenshot(tab2, "replica-two-stale-refused")

        # The owner's export, downloaded from replica two, holds replica one's decision.
        tab2.goto(f"{two.url}/workspace", wait_until="domcontentloaded")
        tab2.get_by_role("heading", name="Workspace", exact=True).wait_for(timeout=60_000)
        with tab2.expect_download(timeout=60_000) as download:
            tab2.get_by_role("button", name="Export workspace (.zip)").click()
        with zipfile.ZipFile(download.value.path()) as export:
            drafts = pd.read_csv(export.open("drafts.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert drafts.loc[drafts["id"] == str(draft_id), "status"].tolist() == ["rejected"]
    finally:
        tab1.close()
        tab2.close()

    assert draft_state(pg_url, draft_id) == ("rejected", 3)  # the teammate's rejection stands
    # Each replica scored drafts with the model it loaded from the database and cached on its own disk.
    assert list((tmp_path / "one").rglob("*.skops")) and list((tmp_path / "two").rglob("*.skops"))


def draft_state(url: str, draft_id: int) -> tuple[str, int]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            draft = s.get(Draft, draft_id)
            return draft.status, draft.version
    finally:
        engine.dispose()
