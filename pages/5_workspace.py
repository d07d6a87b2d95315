"""Workspace: members and roles, every change with who and when, uploads, settings, export and deletion."""

from collections.abc import Callable
from zoneinfo import available_timezones

import streamlit as st

from curation import config, ui
from curation.errors import CurationError
from curation.services import after_data_change
from curation.stats import workspace_stats
from curation.store.access import ROLES
from curation.store.workspaces import remove_member, set_member, set_timezone
from curation.team import (
    audit_frame,
    delete_upload,
    delete_workspace,
    export_filename,
    export_workspace,
    is_admin,
    members_frame,
    new_workspace,
    restore_workspace,
    uploads_frame,
)

st.title("Workspace")
cur = ui.current()
st.write("Who is in this workspace and what they may do, every change with who and when, the uploads, "
         "settings, and the workspace's data to take away or delete.")
ws, who = cur.workspace_id, cur.actor


def change(fn: Callable, done: str | Callable[[object], str], retrain: bool = False) -> None:
    """Button callback: one change in one transaction; its outcome is shown after the rerun."""
    try:
        with ui.session() as s:
            result = fn(s)
        if retrain:  # the data changed: the model and the draft scores follow
            after_data_change(ui.engine(), ws, who)
        st.session_state["ws_flash"] = ("ok", done if isinstance(done, str) else done(result))
    except CurationError as exc:
        st.session_state["ws_flash"] = ("error", str(exc))


def delete_this(typed: str) -> None:
    change(lambda s: delete_workspace(s, ws, who, typed), f"Deleted workspace {cur.name}.")
    st.session_state.pop("workspace_name", None)  # the sidebar picks another workspace


def export() -> bytes:
    with ui.session() as s:
        return export_workspace(s, ws, who)


if flash := st.session_state.pop("ws_flash", None):
    if flash[0] == "ok":
        st.success(ui.md_escape(flash[1]))
    else:
        ui.error(flash[1])

with ui.session() as s:
    stats = workspace_stats(s, ws, who)
    members = members_frame(s, ws, who)
    uploads = uploads_frame(s, ws, who)
    events = audit_frame(s, ws, who)

c = st.columns(4)
c[0].metric("Tweets", stats["tweets"])
c[1].metric("Drafts", stats["drafts"])
c[2].metric("Uploads", stats["uploads"])
c[3].metric("Your role", cur.role)

st.subheader("Members")
st.dataframe(members, hide_index=True)
if admins := sorted(config.admin_emails()):
    st.caption("Owners of every workspace by configuration (ADMIN_EMAILS): " + ui.md_escape(", ".join(admins)))
if cur.is_owner:
    c = st.columns([3, 1, 1])
    c[0].text_input("E-mail the person signs in with", key="member_email", placeholder="name@company.com")
    c[1].selectbox("Role", ROLES, key="member_role")
    c[2].button("Add or change", on_click=lambda: change(
        lambda s: set_member(s, ws, who, st.session_state.member_email, st.session_state.member_role),
        lambda m: f"{m.email} is now {m.role}."))
    c = st.columns([4, 1])
    c[0].selectbox("Remove a member", members["e-mail"], index=None, key="member_remove")
    c[1].button("Remove", disabled=not st.session_state.get("member_remove"), on_click=lambda: change(
        lambda s: remove_member(s, ws, who, st.session_state.member_remove),
        f"Removed {st.session_state.member_remove}."))
else:
    st.caption("Viewers read everything; editors also upload, write drafts and plans; owners manage members "
               "and can export or delete the workspace. Ask an owner to change your role.")

st.subheader("Activity")
st.dataframe(events, hide_index=True)

st.subheader("Uploads")
st.dataframe(uploads, hide_index=True)
if cur.is_owner and len(uploads):
    c = st.columns([4, 1])
    c[0].selectbox("Delete an upload (and the tweets only it brought)", uploads["id"], index=None, key="upload_del",
                   format_func=lambda i: f"#{i}: " + uploads.set_index("id").at[i, "files"])
    c[1].button("Delete upload", disabled=st.session_state.get("upload_del") is None, on_click=lambda: change(
        lambda s: delete_upload(s, ws, who, int(st.session_state.upload_del)),
        f"Deleted upload {st.session_state.upload_del}.", retrain=True))

st.subheader("Settings")
zones = sorted(available_timezones())
tz = st.selectbox("Timezone (best times and plans use it)", zones, key=f"ws_tz_{ws}", disabled=not cur.can_edit,
                  index=zones.index(cur.timezone) if cur.timezone in zones else None)
if cur.can_edit:
    st.button("Save timezone", disabled=tz == cur.timezone, on_click=lambda: change(
        lambda s: set_timezone(s, ws, who, tz), f"Timezone set to {tz}.", retrain=True))

if cur.is_owner:
    st.subheader("Your data")
    st.write("Export the whole workspace (tweets, drafts, plans, activity, uploads, members, model card) as a zip "
             "of CSV files. An export restores into a new, empty workspace.")
    st.download_button("Export workspace (.zip)", data=export, file_name=export_filename(cur.name),
                       mime="application/zip", on_click="ignore")
    if not (stats["tweets"] or stats["drafts"] or stats["uploads"]):
        restore = st.file_uploader("Restore an export into this empty workspace", type=["zip"], key="restore_zip")
        if restore is not None:
            st.button("Restore", type="primary", on_click=lambda: change(
                lambda s: restore_workspace(s, ws, who, restore.getvalue(), restore.name),
                f"Restored {restore.name}.", retrain=True))
    with st.expander("Delete this workspace"):
        st.write("Deletes every tweet, upload, draft, plan, member and the activity of this workspace, for everyone. "
                 "Export it first if you may need it. This cannot be undone.")
        typed = st.text_input(f"Type the workspace's name ({cur.name}) to confirm", key=f"ws_confirm_{ws}")
        st.button("Delete workspace", type="primary", disabled=typed != cur.name, on_click=delete_this, args=(typed,))


if is_admin(who):
    with st.expander("New workspace"):
        st.text_input("Name", key="new_ws_name")
        st.selectbox("Timezone", zones, index=zones.index("UTC"), key="new_ws_tz")
        st.button("Create workspace", on_click=lambda: change(
            lambda s: new_workspace(s, st.session_state.new_ws_name, who, st.session_state.new_ws_tz),
            f"Created {st.session_state.new_ws_name}; pick it in the sidebar."))
