"""Workspace: members and roles, every change with who and when, uploads, settings, export and deletion."""

from collections.abc import Callable

import streamlit as st

from curation import config, ui
from curation.errors import CurationError
from curation.store.access import ROLES
from curation.store.workspaces import list_audit, remove_member, set_member, set_timezone
from curation.ui.cards import retrain
from curation.workspace.activity import activity_frame
from curation.workspace.backup import export_filename, export_workspace, restore_workspace
from curation.workspace.members import delete_upload, delete_workspace, is_admin, members_frame, uploads_frame
from curation.workspace.refresh import after_data_change
from curation.workspace.stats import workspace_stats

st.title("Workspace")
cur = ui.current()
st.write("Who is in this workspace and what they may do, every change with who and when, the uploads, "
         "settings, and the workspace's data to take away or delete.")
ws, who = cur.workspace_id, cur.actor
WHEN = st.column_config.DatetimeColumn(f"when ({cur.timezone})", format="ddd D MMM YYYY, HH:mm")


def change(fn: Callable, done: str | Callable[[object], str], retrain: bool = False) -> None:
    """Button callback: one change in one transaction; its outcome (and any retraining) shows after the rerun."""
    try:
        with ui.session() as s:
            result = fn(s)
        st.session_state["ws_flash"] = ("ok", done if isinstance(done, str) else done(result))
        st.session_state["ws_retrain"] = retrain  # the data changed: the model and the draft scores follow
    except CurationError as exc:
        st.session_state["ws_flash"] = ("error", str(exc))


def delete_this(typed: str) -> None:
    change(lambda s: delete_workspace(s, ws, who, typed), f"Deleted workspace {cur.name}.")
    if st.session_state["ws_flash"][0] == "ok":
        ui.leave_workspace()  # the next run opens another of the user's workspaces (the sidebar shows which)


@st.dialog("Delete this upload?")
def confirm_upload_delete(upload_id: int, files: str) -> None:
    st.write(f"Upload #{upload_id} ({ui.md_escape(files)}) and the tweets only it brought go; the model is retrained.")
    if st.button("Yes, delete it", type="primary"):
        change(lambda s: delete_upload(s, ws, who, upload_id), f"Deleted upload {upload_id}.", retrain=True)
        st.rerun()


def export() -> bytes:  # built only when the button is pressed
    with ui.session() as s:
        return export_workspace(s, ws, who)


if flash := st.session_state.pop("ws_flash", None):
    if flash[0] == "ok":
        st.success(ui.md_escape(flash[1]))
    else:
        ui.error(flash[1])
if st.session_state.pop("ws_retrain", False):
    reason = retrain("Retraining the model on the changed history", lambda: after_data_change(ui.engine(), ws, who))
    if reason:
        st.info(ui.md_escape(reason))

with ui.session() as s:
    stats = workspace_stats(s, ws, who)
    members = members_frame(s, ws, who)
    uploads = uploads_frame(s, ws, who)
    events = activity_frame(list_audit(s, ws, who, limit=500), cur.timezone)
for frame, column in ((members, "added at"), (uploads, "when (UTC)")):
    frame[column] = frame[column].map(lambda t: t.tz_convert(cur.timezone) if hasattr(t, "tz_convert") else t)

c = st.columns(4)
for col, what in zip(c, ["Tweets", "Drafts", "Uploads"], strict=False):
    col.metric(what, f"{stats[what.lower()]:,}")
c[3].metric("Your role", cur.role)

st.subheader("Members")
st.dataframe(members, hide_index=True, column_config={"added at": WHEN})
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
st.dataframe(events, hide_index=True, column_config={"when": WHEN, "what happened": st.column_config.TextColumn(
    width="large")})

st.subheader("Uploads")
st.dataframe(uploads, hide_index=True, column_config={"when (UTC)": WHEN, "files": st.column_config.TextColumn(
    width="large"), "new": st.column_config.NumberColumn(format="localized")})
if cur.is_owner and len(uploads):
    c = st.columns([4, 1])
    gone = c[0].selectbox("Delete an upload (and the tweets only it brought)", uploads["id"], index=None,
                          key="upload_del", format_func=lambda i: f"#{i}: " + uploads.set_index("id").at[i, "files"])
    if c[1].button("Delete upload", disabled=gone is None):
        confirm_upload_delete(int(gone), uploads.set_index("id").at[gone, "files"])

st.subheader("Settings")
tz = ui.timezone_picker("Timezone (best times, plans and every date on these pages use it)", cur.timezone,
                        key=ui.key("ws_tz", cur), disabled=not cur.can_edit)
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
    with st.expander("Delete this workspace"):  # typing the name is the confirmation
        st.write("Deletes every tweet, upload, draft, plan, member and the activity of this workspace, for everyone. "
                 "Export it first if you may need it. This cannot be undone.")
        typed = st.text_input(f"Type the workspace's name ({ui.md_escape(cur.name)})", key=ui.key("ws_confirm", cur))
        st.button("Delete workspace", type="primary", disabled=typed != cur.name, on_click=delete_this, args=(typed,))

if is_admin(who):
    st.subheader("Another account?")
    st.write("Each account gets its own workspace: its history, drafts and plans stay apart.")
    st.button("Create workspace", on_click=ui.open_new_workspace)  # the sidebar's dialog
