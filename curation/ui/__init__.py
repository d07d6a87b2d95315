"""Small Streamlit helpers shared by the pages: engine, acting user, workspace picker, errors."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from curation import config
from curation.store.access import Actor, role_of
from curation.store.db import session_scope, user_error
from curation.store.workspaces import list_workspaces
from curation.ui.auth import auth_enabled, explain_and_stop, first_workspace, signed_in_email
from curation.workspace.hosting import ephemeral_disk_warning, prepare_database
from curation.workspace.members import is_admin

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine, seeded = prepare_database(url)  # replicas starting together take turns
    if seeded is not None:  # first start: the demo workspace makes the app useful before any upload
        from curation.workspace.refresh import after_data_change

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


PAGES = (  # (script, title, icon, url path); the first is the default page
    ("pages/1_import.py", "Import", ":material/upload_file:", None),
    ("pages/2_insights.py", "Insights", ":material/monitoring:", "insights"),
    ("pages/3_drafts.py", "Drafts", ":material/edit_note:", "drafts"),
    ("pages/4_planner.py", "Planner", ":material/calendar_month:", "planner"),
    ("pages/6_audience.py", "Audience", ":material/diversity_3:", "audience"),
    ("pages/5_workspace.py", "Workspace", ":material/group:", "workspace"),
)
_run = threading.local()  # each script run has its own thread: is this run inside the router?


def app_pages() -> list:
    """The app's pages for st.navigation (app.py and the fresh-server guard use the same list)."""
    return [
        st.Page(str(config.PROJ_ROOT / script), title=title, icon=icon, url_path=url, default=url is None)
        for script, title, icon, url in PAGES
    ]


@contextmanager
def routed() -> Iterator[None]:
    """app.py runs the chosen page inside this, so a page knows the router ran first."""
    _run.routed = True
    try:
        yield
    finally:
        _run.routed = False


def _entry_is_router() -> bool:
    """Whether this run's entry script is app.py (Streamlit installs the entry script as __main__)."""
    entry = getattr(sys.modules.get("__main__"), "__file__", None)
    return entry is not None and Path(entry).resolve() == config.PROJ_ROOT / "app.py"


def ensure_router() -> None:
    """Send a page run that bypassed app.py back through the router.

    A new server's first visitor who opens a page URL (say /drafts) gets Streamlit's old multipage
    mode: it sees a pages/ folder and runs pages/3_drafts.py without app.py, so without the sign-in
    gate, the page config and the navigation. Calling st.navigation ends that mode for the server
    (documented: with st.navigation the pages/ folder is ignored); the rerun then goes through
    app.py, which routes to the same URL. A page run alone (AppTest.from_file on the page) has the page
    itself as the entry script and is left as it is.
    """
    if getattr(_run, "routed", False) or not _entry_is_router():
        return
    st.navigation(app_pages(), position="hidden")
    st.rerun()


WS_PARAM = "ws"  # the URL's ?ws=<id>: page links, reloads and shared links keep the workspace
_PICKER = "ws_picker"
_LAST = "ws_last"  # this tab's last workspace, for a URL typed without ?ws=
_RESOLVED = "_current_of_this_run"


def _choose(spaces: list[tuple[int, str, str, int]]) -> int | None:
    """The workspace id the URL names, or (no ?ws= at all) this tab's last one, else the first; None if the
    URL names one the user cannot see. Never another workspace in place of the one asked for."""
    ids = [sid for sid, *_ in spaces]
    asked = st.query_params.get(WS_PARAM)
    if asked is None:
        last = st.session_state.get(_LAST)
        chosen = last if last in ids else ids[0]
        st.query_params[WS_PARAM] = str(chosen)
        return chosen
    return int(asked) if asked.isdigit() and int(asked) in ids else None


def _picked(ids: dict[str, int]) -> None:
    chosen = ids.get(st.session_state.get(_PICKER))
    if chosen is not None:
        switch_to(chosen)


def switch_to(workspace_id: int) -> None:
    """Make ``workspace_id`` this tab's workspace (the URL follows); the caller reruns."""
    st.query_params[WS_PARAM] = str(workspace_id)
    st.session_state[_LAST] = workspace_id


def _resolve() -> Current:
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
        chosen = _choose(spaces)
        ids = {name: sid for sid, name, _, _ in spaces}  # names are unique (create_workspace sees to it)
        # The picker shows what the URL says, whatever it showed before.
        st.session_state[_PICKER] = next((name for name, sid in ids.items() if sid == chosen), None)
        st.sidebar.selectbox("Workspace", list(ids), key=_PICKER, on_change=_picked, args=(ids,),
                             placeholder="Pick a workspace")
        if is_admin(who):
            st.sidebar.button("New workspace", icon=":material/add:", key="new_ws_open", on_click=open_new_workspace)
            if st.session_state.get(_CREATING):
                new_workspace_dialog(who)
        if chosen is None:
            st.error(f"Workspace {md_escape(str(st.query_params.get(WS_PARAM)))} does not exist or you are not "
                     "a member of it. Pick one of yours in the sidebar, or ask its owner to add you.")
            st.stop()
        st.session_state[_LAST] = chosen
        ws_id, name, tz, version = next(sp for sp in spaces if sp[0] == chosen)
        role = role_of(s, ws_id, who) or "viewer"
    st.sidebar.caption(f"Signed in as {md_escape(who.email)} · {role}")
    if warning := ephemeral_disk_warning(config.database_url()):
        st.sidebar.warning(warning)
    return Current(ws_id, name, tz, version, role, who)


def sidebar(pages: list) -> None:
    """The router's sidebar: workspace picker, then links to every page that carry ``?ws=``."""
    cur = _resolve()
    st.session_state[_RESOLVED] = cur
    with st.sidebar:
        for page in pages:
            st.page_link(page, query_params={WS_PARAM: str(cur.workspace_id)})


def current() -> Current:
    """The workspace this tab is in (the router drew the picker), or the picker drawn here for a page run alone.

    Stops the page with a clear message when there is nothing to show.
    """
    ensure_router()
    resolved = st.session_state.pop(_RESOLVED, None)
    return resolved if resolved is not None else _resolve()


def key(name: str, cur: Current) -> str:
    """A session-state key for this workspace only: a draft typed in one workspace stays there."""
    return f"{name}_{cur.workspace_id}"


def leave_workspace() -> None:
    """After deleting this tab's workspace: forget it, so the next run opens another one of the user's."""
    st.query_params.pop(WS_PARAM, None)
    st.session_state.pop(_LAST, None)


def local(at: object, cur: Current) -> pd.Timestamp:
    """A stored time (UTC; SQLite hands it back without a zone) in the workspace's timezone."""
    stamp = pd.Timestamp(at)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).tz_convert(cur.timezone)


def timezone_picker(label: str, value: str, key: str, disabled: bool = False) -> str:
    """The one timezone picker: every IANA zone name, searchable."""
    zones = timezone_names()
    return st.selectbox(label, zones, index=zones.index(value) if value in zones else zones.index("UTC"), key=key,
                        disabled=disabled)


@st.cache_resource(show_spinner=False)
def timezone_names() -> list[str]:
    from zoneinfo import available_timezones

    return sorted(available_timezones())


_CREATING = "new_ws_dialog"  # open until created or dismissed, so a rerun (typing the name) keeps it open


def open_new_workspace() -> None:
    st.session_state[_CREATING] = True


def _close_new_workspace() -> None:
    st.session_state.pop(_CREATING, None)


@st.dialog("New workspace", on_dismiss=_close_new_workspace)
def new_workspace_dialog(who: Actor) -> None:
    from curation.workspace.members import new_workspace

    st.write("A workspace holds one account's history, drafts and plans. Name it after the account.")
    name = st.text_input("Name", key="new_ws_name", placeholder="Acme on X")
    tz = timezone_picker("Timezone (best times and plans use it)", "UTC", key="new_ws_tz")

    def create() -> int:
        with session() as s:
            return new_workspace(s, name, who, tz).id

    if st.button("Create and open", type="primary", disabled=not name.strip()):
        created = run(create)
        if created is not None:
            _close_new_workspace()
            switch_to(created)
            st.rerun()


def run(fn: Callable[[], T]) -> T | None:
    """Call ``fn``; show a user's error (domain errors, a busy or unreachable database) as st.error, not a traceback."""
    try:
        return fn()
    except Exception as exc:
        message = user_error(exc)
        if message is None:  # a bug: Streamlit shows the traceback
            raise
        error(message)
        return None


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def md_escape(text: str) -> str:
    """Escape Markdown so user-supplied text (file names, tweet text in messages) shows literally."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def error(message: str) -> None:
    st.error(md_escape(message))
