"""Import: upload exports, see what landed, and what was skipped and why."""

import pandas as pd
import streamlit as st

from curation import ui
from curation.importer import import_files, list_uploads
from curation.ingest import FORMATS, read_uploads
from curation.services import after_data_change
from curation.stats import workspace_stats
from curation.store.tweets import tweets_of_upload
from curation.ui.tables import file_table, skipped_table, warnings_list

st.title("Import")
st.write("Upload your past tweets: analytics CSVs (old and new), the X data archive (.zip or tweets.js), "
         "old archives (tweets.csv), Mastodon outbox.json. Several files at once are fine.")
cur = ui.current()

with st.expander("Formats read"):
    st.dataframe(pd.DataFrame({"format": list(FORMATS.values())}), hide_index=True)

if cur.can_edit:
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader("Exports", accept_multiple_files=True, key="uploads")
        submitted = st.form_submit_button("Import", type="primary")
    if submitted and files:
        bar = st.progress(0.0, text="Reading files")
        report = ui.run(lambda: import_files(ui.engine(), cur.workspace_id, cur.actor, read_uploads(files),
                                             progress=lambda frac, msg: bar.progress(min(frac, 1.0), text=msg)))
        bar.empty()
        if report is not None:
            if report.changed:
                with st.status("Updating the model with the new history", expanded=False):
                    ui.run(lambda: after_data_change(ui.engine(), cur.workspace_id, cur.actor))
            st.session_state["last_upload_id"] = report.upload_id
            st.success(f"Imported: {report.new} new, {report.updated} updated, {report.unchanged} unchanged.")
    elif submitted:
        st.warning("Choose one or more files first.")
else:
    st.info("You can view this workspace's uploads; importing needs the editor role.")

with ui.session() as s:
    uploads = list_uploads(s, cur.workspace_id, cur.actor)
    stats = workspace_stats(s, cur.workspace_id, cur.actor)

if uploads:
    ids = [u.id for u in uploads]
    default = ids.index(st.session_state["last_upload_id"]) if st.session_state.get("last_upload_id") in ids else 0
    chosen = st.selectbox("Import report", ids, index=default,
                          format_func=lambda i: next(f"#{u.id} · {u.created_at:%Y-%m-%d %H:%M} · {u.filenames}"
                                                     for u in uploads if u.id == i))
    upload = next(u for u in uploads if u.id == chosen)
    rep = upload.report
    cols = st.columns(4)
    cols[0].metric("New", rep.get("new", 0))
    cols[1].metric("Updated", rep.get("updated", 0))
    cols[2].metric("Unchanged", rep.get("unchanged", 0))
    cols[3].metric("Skipped rows", sum(len(f["skipped"]) for f in rep.get("files", [])))
    if rep.get("first"):
        st.caption(f"Tweets from {rep['first'][:10]} to {rep['last'][:10]} · by {ui.md_escape(upload.created_by)}")
    st.dataframe(file_table(rep.get("files", [])), hide_index=True)
    for name, warning in warnings_list(rep.get("files", [])):
        st.warning(ui.md_escape(f"{name}: {warning}"))
    skipped = skipped_table(rep.get("files", []))
    if len(skipped):
        with st.expander(f"Skipped rows ({len(skipped)})"):
            st.dataframe(skipped, hide_index=True)
    with ui.session() as s:
        preview = tweets_of_upload(s, cur.workspace_id, cur.actor, upload.id)
    st.subheader("Preview of what this upload brought")
    st.dataframe(preview, hide_index=True)

st.subheader("Workspace totals")
c = st.columns(4)
c[0].metric("Tweets", stats["tweets"])
c[1].metric("With a link", stats["with_link"])
c[2].metric("Uploads", stats["uploads"])
c[3].metric("Days of account metrics", stats["daily_days"])
st.dataframe(pd.DataFrame({"source": list(stats["by_source"]), "tweets": list(stats["by_source"].values())}),
             hide_index=True)
