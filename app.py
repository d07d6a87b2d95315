"""Router only: page config, sign-in gate, navigation over pages/ with the workspace in the URL."""

import streamlit as st

from curation import ui
from curation.ui import auth_enabled
from curation.ui.auth import gate

# The tab's icon is an emoji (drawn by the browser): a material-symbol favicon is fetched from a font
# server, which fails offline. Set here, before st.navigation, so no page icon replaces it; the page icons
# below come from the font Streamlit serves itself.
st.set_page_config(page_title="Curation planner", page_icon="📈", layout="wide")
gate()  # hosted mode: signed in, with a verified e-mail, and a member of some workspace

pages = [
    st.Page("pages/1_import.py", title="Import", icon=":material/upload_file:", default=True),
    st.Page("pages/2_insights.py", title="Insights", icon=":material/monitoring:", url_path="insights"),
    st.Page("pages/3_drafts.py", title="Drafts", icon=":material/edit_note:", url_path="drafts"),
    st.Page("pages/4_planner.py", title="Planner", icon=":material/calendar_month:", url_path="planner"),
    st.Page("pages/6_audience.py", title="Audience", icon=":material/diversity_3:", url_path="audience"),
    st.Page("pages/5_workspace.py", title="Workspace", icon=":material/group:", url_path="workspace"),
]
# The menu is drawn by ui.sidebar: its links carry ?ws=<id>, so a page switch keeps the workspace.
page = st.navigation(pages, position="hidden")
ui.sidebar(pages)
page.run()
if auth_enabled():
    st.sidebar.button("Sign out", on_click=st.logout)
