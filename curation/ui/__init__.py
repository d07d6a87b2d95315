"""Small Streamlit helpers shared by the pages: engine, acting user, workspace picker, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from streamlit.runtime.pages_manager import PagesManager

from curation import config
from curation.errors import CurationError
from curation.store.access import Actor, role_of
from curation.store.db import session_scope
from curation.store.workspaces import list_workspaces
from curation.team import ephemeral_disk_warning, is_admin, prepare_database
from curation.ui.auth import auth_enabled, explain_and_stop, first_workspace, signed_in_email

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine, seeded = prepare_database(url)  # replicas starting together take turns
    if seeded is not None:  # first start: the demo workspace makes the app useful before any upload
        from curation.services import after_data_change

        after_data_change(engine, seeded)
    return engine


def engine() -> Engine:
    """The app's engine (migrated, demo seeded when the database is empty), one per process."""
    return _engine(config.database_url())


@contextmanager
def session() -> Iterator[Session]:
    with session_scope(engine()) as s:
        yield s


def actor() -> Actor:
    """The acting user: the signed-in e-mail when sign-in is on, else the local single user."""
    if not auth_enabled():
        return Actor.local_user()
    email = signed_in_email()
    if email is None:
        explain_and_stop()
    return Actor.signed_in(email)


@dataclass(frozen=True)
class Current:
    """The workspace a tab is working in and the user's role there."""

    workspace_id: int
    name: str
    timezone: str
    data_version: int
    role: str
    actor: Actor

    @property
    def can_edit(self) -> bool:
        return self.role in ("editor", "owner")

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


def ensure_router() -> None:
    """Send a page run that bypassed app.py back through the router.

    A new server's first visitor who opens a page URL (say /drafts) gets Streamlit's old multipage
    mode: it sees a pages/ folder and runs pages/3_drafts.py without app.py, so without the sign-in
    gate, the page config and the navigation. Streamlit drops that mode for good once st.navigation
    has run; this makes it so, and reruns through app.py, which routes to the same URL.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current() -> Current:
    """Sidebar workspace picker; stops the page with a clear message when there is nothing to show."""
    ensure_router()
    who = actor()
    with session() as s:
        spaces = [(ws.id, ws.name, ws.timezone, ws.data_version) for ws in list_workspaces(s, who)]
        if not spaces and is_admin(who):
            first_workspace(who)
            st.stop()
        if not spaces:
            st.info(
                f"You are signed in as {md_escape(who.email)}, but no workspace has you as a member yet. "
                "Ask a workspace owner to add your e-mail on their Workspace page."
            )
            st.stop()
        names = [name for _, name, _, _ in spaces]
        chosen = st.sidebar.selectbox("Workspace", names, key="workspace_name")
        ws_id, name, tz, version = spaces[names.index(chosen)]
        role = role_of(s, ws_id, who) or "viewer"
    st.sidebar.caption(f"Signed in as {md_escape(who.email)} · {role}")
    if warning := ephemeral_disk_warning(config.database_url()):
        st.sidebar.warning(warning)
    return Current(ws_id, name, tz, version, role, who)


def run(fn: Callable[[], T]) -> T | None:
    """Call ``fn``; show a domain error as st.error (what to do) instead of a traceback."""
    try:
        return fn()
    except CurationError as exc:
        error(str(exc))
        return None


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def md_escape(text: str) -> str:
    """Escape Markdown so user-supplied text (file names, tweet text in messages) shows literally."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def error(message: str) -> None:
    st.error(md_escape(message))
