"""Router only: page config, sign-in gate, navigation over pages/ with the workspace in the URL."""

import streamlit as st

from curation import ui
from curation.ui import auth_enabled
from curation.ui.auth import gate

# An emoji icon: a material-symbol icon is fetched from a font server, which fails offline.
st.set_page_config(page_title="Curation planner", page_icon="📈", layout="wide")
gate()  # hosted mode: signed in, with a verified e-mail, and a member of some workspace

pages = [
    st.Page("pages/1_import.py", title="Import", icon="📥", default=True),
    st.Page("pages/2_insights.py", title="Insights", icon="📊", url_path="insights"),
    st.Page("pages/3_drafts.py", title="Drafts", icon="✏️", url_path="drafts"),
    st.Page("pages/4_planner.py", title="Planner", icon="🗓️", url_path="planner"),
    st.Page("pages/6_audience.py", title="Audience", icon="👥", url_path="audience"),
    st.Page("pages/5_workspace.py", title="Workspace", icon="🏢", url_path="workspace"),
]
# The menu is drawn by ui.sidebar: its links carry ?ws=<id>, so a page switch keeps the workspace.
page = st.navigation(pages, position="hidden")
ui.sidebar(pages)
page.run()
if auth_enabled():
    st.sidebar.button("Sign out", on_click=st.logout)
