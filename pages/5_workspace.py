"""Workspace: who is in it, what it holds, what happened."""

import pandas as pd
import streamlit as st

from curation import ui
from curation.stats import workspace_stats
from curation.store.workspaces import list_audit, list_members

st.title("Workspace")
cur = ui.current()
st.write("Members, settings and the history of changes of this workspace.")

with ui.session() as s:
    stats = workspace_stats(s, cur.workspace_id, cur.actor)
    members = [(m.email, m.role, m.added_by) for m in list_members(s, cur.workspace_id, cur.actor)]
    events = [(e.at, e.actor, e.action, e.detail) for e in list_audit(s, cur.workspace_id, cur.actor)]

c = st.columns(4)
c[0].metric("Tweets", stats["tweets"])
c[1].metric("Drafts", stats["drafts"])
c[2].metric("Uploads", stats["uploads"])
c[3].metric("Timezone", stats["timezone"])
st.subheader("Members")
st.dataframe(pd.DataFrame(members, columns=["e-mail", "role", "added by"]), hide_index=True)
st.subheader("Activity")
st.dataframe(pd.DataFrame([(a, w, act, str(d)) for a, w, act, d in events],
                          columns=["when", "who", "what", "detail"]), hide_index=True)
