"""Strict sign-in through a real OpenID Connect provider: only email_verified true lets a member in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import StreamlitServer, settle
from sqlalchemy import select
from test_auth_browser import OidcProvider, sign_in, write_secrets

from curation.store.access import Actor
from curation.store.db import make_engine, session_scope
from curation.store.models import Workspace
from curation.store.workspaces import set_member

pytestmark = pytest.mark.browser

REFUSED = "did not come with a verified e-mail address"
# Every one of them is a member of the demo workspace: only the claim decides.
USERS = {
    "str-false@example.com": "false",
    "str-zero@example.com": "0",
    "missing@example.com": None,
    "int-one@example.com": 1,
    "str-true@example.com": "true",
    "bool-true@example.com": True,
}


@pytest.fixture
def provider_app(demo_copy: str, tmp_path: Path) -> Iterator[tuple[StreamlitServer, OidcProvider]]:
    engine = make_engine(demo_copy)
    with session_scope(engine) as s:
        ws = s.scalar(select(Workspace.id))
        for email in USERS:
            set_member(s, ws, Actor.local_user(), email, "editor")
    engine.dispose()
    claims = [{"sub": e, "email": e} | ({} if v is None else {"email_verified": v}) for e, v in USERS.items()]
    provider = OidcProvider(claims)
    server = None
    try:
        server = StreamlitServer(demo_copy, env={
            "STREAMLIT_SECRETS_FILES": str(write_secrets(tmp_path / "secrets.toml", provider.url))})
        yield server, provider
    finally:
        if server:
            server.stop()
        provider.stop()


def test_only_a_verified_email_signs_in(browser, provider_app) -> None:
    server, provider = provider_app
    for email, claim in USERS.items():
        page = sign_in(browser, server, provider, email)
        try:
            settle(page)
            if claim is True or claim == "true":
                page.get_by_text(f"Signed in as {email}").wait_for(timeout=60_000)
                assert not page.get_by_text(REFUSED).count()
            else:  # the same message as the boolean false, and nothing of the workspace
                page.get_by_text(REFUSED).wait_for(timeout=60_000)
                assert not page.get_by_text("Signed in as").count(), email
                assert not page.get_by_test_id("stSidebar").get_by_text("Northwind").count(), email
        finally:
            page.context.close()
