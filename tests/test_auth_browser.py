"""Hosted sign-in in a real browser: Streamlit's st.login against a real OpenID Connect provider on loopback.

The provider is oidc-provider-mock (accepts any client id, issues `email` under Streamlit's default
scopes); its authorization form is filled in like a person would. The browser uses 127.0.0.1
everywhere, exactly as in redirect_uri, so the auth cookie and the callback match.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ARTIFACTS, StreamlitServer, choose_draft, free_port, screenshot, settle
from sqlalchemy import select

from curation.store.access import Actor
from curation.store.db import make_engine, session_scope
from curation.store.drafts import add_drafts
from curation.store.models import Draft, Workspace
from curation.store.workspaces import set_member

pytestmark = pytest.mark.browser

EDITOR, VIEWER, OUTSIDER = "ed@example.com", "vi@example.com", "out@example.com"
DRAFT = "Checklist: 7 things to fix in your dashboards before Q1 https://northwind.io/c"


class OidcProvider:
    """`python -m oidc_provider_mock` on a free loopback port, stopped by its pid."""

    def __init__(self, users: list[dict]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(exist_ok=True)
        self._log = open(ARTIFACTS / f"oidc-{self.port}.log", "w")  # noqa: SIM115 (closed in stop)
        claims = [arg for u in users for arg in ("--user-claims", json.dumps(u))]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port), "--host", "127.0.0.1", *claims],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/.well-known/openid-configuration", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("oidc-provider-mock did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            self.proc.wait(10)
        self._log.close()


def write_secrets(path: Path, provider_url: str) -> Path:
    """The [auth] section Streamlit reads for st.login; {port} is filled in with the server's port."""
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "curation-planner-test"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def hosted(demo_copy: str, tmp_path: Path) -> Iterator[tuple[StreamlitServer, OidcProvider, int, str]]:
    """The app with sign-in on: an editor and a viewer in the demo workspace, one draft to approve."""
    engine = make_engine(demo_copy)
    with session_scope(engine) as s:
        ws = s.scalar(select(Workspace.id))
        set_member(s, ws, Actor.local_user(), EDITOR, "editor")
        set_member(s, ws, Actor.local_user(), VIEWER, "viewer")
        draft_id = add_drafts(s, ws, Actor.local_user(), [DRAFT])[0].id
    engine.dispose()
    provider = OidcProvider([{"sub": e, "email": e, "email_verified": True} for e in (EDITOR, VIEWER, OUTSIDER)])
    server = None
    try:
        secrets_file = write_secrets(tmp_path / "secrets.toml", provider.url)
        server = StreamlitServer(demo_copy, env={"STREAMLIT_SECRETS_FILES": str(secrets_file)})
        yield server, provider, draft_id, demo_copy
    finally:
        if server:
            server.stop()
        provider.stop()


def sign_in(browser, server: StreamlitServer, provider: OidcProvider, email: str):
    """A fresh browser context (its own cookies) signed in as ``email`` through the provider's form."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").click(timeout=30_000)
    page.wait_for_url(f"{provider.url}/oauth2/authorize**", timeout=30_000)
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server.url}/**", timeout=30_000)
    return page


def open_drafts(page, server: StreamlitServer, email: str) -> None:
    page.goto(f"{server.url}/drafts", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Drafts", exact=True).wait_for(timeout=60_000)
    page.get_by_text(f"Signed in as {email}").wait_for(timeout=30_000)
    settle(page)


def test_signed_in_editor_approves_viewer_sees_it_read_only_outsider_sees_nothing(browser, hosted):
    server, provider, draft_id, db_url = hosted
    pages = []
    try:
        editor = sign_in(browser, server, provider, EDITOR)
        pages.append(editor)
        open_drafts(editor, server, EDITOR)
        choose_draft(editor, draft_id, DRAFT)
        editor.get_by_role("button", name="Approve", exact=True).click()
        editor.get_by_text(re.compile(rf"Status: approved · last change by {re.escape(EDITOR)}")).wait_for(
            timeout=30_000)
        screenshot(editor, "auth-editor-approved")

        viewer = sign_in(browser, server, provider, VIEWER)
        pages.append(viewer)
        open_drafts(viewer, server, VIEWER)
        choose_draft(viewer, draft_id, DRAFT)
        viewer.get_by_text(re.compile(rf"Status: approved · last change by {re.escape(EDITOR)}")).wait_for(
            timeout=30_000)
        for verb in ("Approve", "Reject", "Back to draft", "Save review changes"):
            assert viewer.get_by_role("button", name=verb, exact=True).count() == 0, verb
        assert viewer.get_by_text(f"Signed in as {VIEWER} · viewer").is_visible()
        screenshot(viewer, "auth-viewer-read-only")

        outsider = sign_in(browser, server, provider, OUTSIDER)
        pages.append(outsider)
        outsider.get_by_text("no workspace has you as a member yet").wait_for(timeout=30_000)
        for path in ("/drafts", "/workspace", ""):  # deep links too; the last is the clean screenshot
            outsider.goto(f"{server.url}{path}", wait_until="domcontentloaded")
            outsider.get_by_text("Ask a workspace owner to add this e-mail").wait_for(timeout=30_000)
            body = outsider.inner_text("body")
            assert "Northwind" not in body and DRAFT[:20] not in body and "Drafts" not in body
        screenshot(outsider, "auth-outsider-no-data")
    finally:
        for p in pages:
            p.context.close()

    engine = make_engine(db_url)
    with session_scope(engine) as s:
        draft = s.get(Draft, draft_id)
        assert (draft.status, draft.updated_by) == ("approved", EDITOR)
    engine.dispose()
