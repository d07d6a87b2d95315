"""Router only: page config, sign-in gate, navigation over pages/."""

import streamlit as st

from curation.ui import auth_enabled
from curation.ui.auth import gate

st.set_page_config(page_title="Curation planner", page_icon=":material/insights:", layout="wide")
gate()  # hosted mode: signed in, with a verified e-mail, and a member of some workspace

pages = [
    st.Page("pages/1_import.py", title="Import", icon=":material/upload_file:", default=True),
    st.Page("pages/2_insights.py", title="Insights", icon=":material/monitoring:"),
    st.Page("pages/3_drafts.py", title="Drafts", icon=":material/edit_note:"),
    st.Page("pages/4_planner.py", title="Planner", icon=":material/calendar_month:"),
    st.Page("pages/6_audience.py", title="Audience", icon=":material/diversity_3:"),
    st.Page("pages/5_workspace.py", title="Workspace", icon=":material/group:"),
]
st.navigation(pages).run()
if auth_enabled():
    st.sidebar.button("Sign out", on_click=st.logout)
