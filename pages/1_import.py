"""Import: upload exports, see what landed, and what was skipped and why."""

import pandas as pd
import streamlit as st

from curation import ui
from curation.ingest import FORMATS
from curation.store.tweets import tweets_of_upload
from curation.ui.cards import retrain, retrain_in_steps
from curation.ui.guide import how_to_get_exports
from curation.ui.tables import FILE_COLUMNS, PREVIEW_COLUMNS, file_table, report_warnings, skipped_table
from curation.workspace.importer import import_files, list_uploads
from curation.workspace.refresh import after_data_change
from curation.workspace.stats import workspace_stats
from curation.workspace.upload_move import import_into_new_workspace

st.title("Import")
st.write("Upload your past tweets: analytics CSVs (old and new), the X data archive (.zip or tweets.js), "
         "old archives (tweets.csv), Mastodon outbox.json. Several files at once are fine.")
cur = ui.current()

with ui.session() as s:
    uploads = list_uploads(s, cur.workspace_id, cur.actor)
if not uploads:
    st.info(ui.md_escape(f"{cur.name} is empty. Upload an export below; the steps for each file are here."))
how_to_get_exports(expanded=not uploads)
with st.expander("Formats read"):
    st.dataframe(pd.DataFrame({"format": list(FORMATS.values())}), hide_index=True)

retrain_slot = None
PAYLOAD = ui.key("moved_files", cur)  # kept only when the upload may belong to another account
if cur.can_edit:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader("Exports", accept_multiple_files=True, key="uploads")
        submitted = st.form_submit_button("Import", type="primary")
    if submitted and files:
        bar = st.progress(0.0, text="Reading files")
        payload = [(f.name, f.getvalue()) for f in files]
        report = ui.run(lambda: import_files(ui.engine(), cur.workspace_id, cur.actor, payload,
                                             progress=lambda frac, msg: bar.progress(min(frac, 1.0), text=msg)))
        bar.empty()
        if report is not None:
            if getattr(report, "other_account", None):
                st.session_state[PAYLOAD] = (report.upload_id, payload)
            st.session_state[ui.key("last_upload", cur)] = report.upload_id
            st.success(f"Imported: {report.new} new, {report.updated} updated, {report.unchanged} unchanged.")
            retrain_slot = st.empty() if report.changed else None  # filled after the report has drawn
            with ui.session() as s:
                uploads = list_uploads(s, cur.workspace_id, cur.actor)
    elif submitted:
        st.warning("Choose one or more files first.")
else:
    st.info("You can view this workspace's uploads; importing needs the editor role.")

if uploads:
    ids = [u.id for u in uploads]
    last = st.session_state.get(ui.key("last_upload", cur))
    chosen = st.selectbox("Import report", ids, index=ids.index(last) if last in ids else 0,
                          format_func=lambda i: next(f"#{u.id} · {ui.local(u.created_at, cur):%a %d %b %Y, %H:%M} · "
                                                     f"{u.filenames}" for u in uploads if u.id == i))
    upload = next(u for u in uploads if u.id == chosen)
    rep = upload.report
    cols = st.columns(4)
    cols[0].metric("New", f"{rep.get('new', 0):,}")
    cols[1].metric("Updated", f"{rep.get('updated', 0):,}")
    cols[2].metric("Unchanged", f"{rep.get('unchanged', 0):,}")
    cols[3].metric("Skipped rows", f"{sum(len(f['skipped']) for f in rep.get('files', [])):,}")
    if rep.get("first"):
        st.caption(f"Tweets from {pd.Timestamp(rep['first']):%d %b %Y} to {pd.Timestamp(rep['last']):%d %b %Y} "
                   f"· by {ui.md_escape(upload.created_by)}")
    st.dataframe(file_table(rep.get("files", [])), hide_index=True, column_config=FILE_COLUMNS)
    for warning in report_warnings(rep):
        st.warning(ui.md_escape(warning))
    other, moved = rep.get("other_account"), st.session_state.get(PAYLOAD)
    if other and cur.can_edit:
        target = rep.get("suggested_workspace") or f"@{other}"
        if moved and moved[0] == upload.id:
            if st.button(f"Import into a new workspace for {target}", type="primary"):
                result = retrain(f"Creating {target} and importing these files there",
                                 lambda: import_into_new_workspace(ui.engine(), cur.actor, target, cur.timezone,
                                                                   moved[1], cur.workspace_id, upload.id))
                if result is not None:
                    st.session_state.pop(PAYLOAD, None)
                    ui.switch_to(result[0])
                    st.rerun()
        else:
            st.caption(ui.md_escape(f"To move it: create a workspace for {target} (sidebar, New workspace), import "
                                    "the same files there, then delete this upload on the Workspace page."))
    skipped = skipped_table(rep.get("files", []))
    if len(skipped):
        with st.expander(f"Skipped rows ({len(skipped):,})"):
            st.dataframe(skipped, hide_index=True, column_config={"reason": st.column_config.TextColumn(width="large")})
    with ui.session() as s:
        preview = tweets_of_upload(s, cur.workspace_id, cur.actor, upload.id)
    st.subheader("Preview of what this upload brought")
    st.dataframe(preview, hide_index=True, column_config=PREVIEW_COLUMNS)

with ui.session() as s:
    stats = workspace_stats(s, cur.workspace_id, cur.actor)
st.subheader("Workspace totals")
c = st.columns(4)
c[0].metric("Tweets", f"{stats['tweets']:,}")
c[1].metric("With a link", f"{stats['with_link']:,}")
c[2].metric("Uploads", f"{stats['uploads']:,}")
c[3].metric("Days of account metrics", f"{stats['daily_days']:,}")
if stats["by_source"]:
    st.dataframe(pd.DataFrame({"source": list(stats["by_source"]), "tweets": list(stats["by_source"].values())}),
                 hide_index=True)

if retrain_slot is not None:  # the report above is on screen; the retrain runs where the user looks
    with retrain_slot.container():
        retrain_in_steps("Updating the model with the new history",
                         lambda step: after_data_change(ui.engine(), cur.workspace_id, cur.actor, step=step))
