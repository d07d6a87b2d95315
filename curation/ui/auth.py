"""Sign-in for hosted teams: Streamlit's OpenID Connect login, the verified e-mail, and the gate before any page."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import streamlit as st

from curation import config
from curation.store.access import Actor


def auth_enabled() -> bool:
    """Hosted mode: an [auth] section in secrets.toml turns on sign-in."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def email_is_verified(claim: object) -> bool:
    """Only ``email_verified: true`` vouches for an address: the boolean, or the string "true" some providers send.

    Anything else ("false", "0", 1, a missing claim) is refused: anyone could have typed the
    address into an account the provider has not checked, and members are known by it.
    """
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def signed_in_email() -> str | None:
    """The signed-in user's e-mail, lower-cased, when the provider vouches for it; else None."""
    if not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "").strip().lower()
    if "@" not in email or not email_is_verified(st.user.get("email_verified")) or email == config.LOCAL_USER:
        return None
    return email


def _stop_at(page: Callable[[], None]) -> NoReturn:
    """Show only ``page`` (no menu of the app's pages) and end this run."""
    st.navigation([st.Page(page, title="Curation planner")], position="hidden").run()
    st.stop()


def _sign_in() -> None:
    st.title("Curation planner")
    st.write("Sign in with your work account to see your team's workspace.")
    st.button("Sign in", on_click=st.login, type="primary")


def _no_verified_email() -> None:
    st.title("Curation planner")
    st.error("Your sign-in did not come with a verified e-mail address, and members are known by their e-mail. "
             "Sign in with an account whose e-mail your provider has verified.")
    st.button("Sign out", on_click=st.logout)


def _not_a_member() -> None:
    from curation import ui

    st.title("Curation planner")
    st.info(f"You are signed in as {ui.md_escape(signed_in_email() or '')}, but no workspace has you as a member "
            "yet. Ask a workspace owner to add this e-mail on their Workspace page, then reload this page.")
    st.button("Sign out", on_click=st.logout)


def explain_and_stop() -> NoReturn:
    """For a page reached without the router (Streamlit runs pages/ directly for a fresh process's first deep
    link): say why there is nothing to show, with the way in, instead of a blank page."""
    if st.user.is_logged_in:
        _no_verified_email()
    else:
        _sign_in()
    st.stop()


def gate() -> None:
    """Stop before any page unless sign-in is off, or the user is signed in and belongs to a workspace."""
    if not auth_enabled():
        return
    if not st.user.is_logged_in:
        _stop_at(_sign_in)
    email = signed_in_email()
    if email is None:
        _stop_at(_no_verified_email)
    from curation import ui  # not at import time: curation.ui imports this module
    from curation.store.workspaces import list_workspaces

    with ui.session() as s:
        member = bool(list_workspaces(s, Actor.signed_in(email)))
    if not member:
        _stop_at(_not_a_member)


def first_workspace(actor: Actor) -> None:
    """An administrator with no workspace at all (e.g. after deleting the last one) creates one here."""
    from curation import ui
    from curation.workspace.members import new_workspace

    st.info("There is no workspace yet. Name one to start; then import your history or restore an export into it "
            "on the Workspace page.")
    name = st.text_input("Workspace name", key="first_ws_name")

    def create() -> str:
        with ui.session() as s:
            return new_workspace(s, name, actor).name

    if st.button("Create workspace", type="primary", disabled=not name.strip()) and ui.run(create):
        st.session_state["workspace_name"] = name.strip()
        st.rerun()
