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

pages = ui.app_pages()
# The menu is drawn by ui.sidebar: its links carry ?ws=<id>, so a page switch keeps the workspace.
page = st.navigation(pages, position="hidden")
ui.sidebar(pages)
with ui.routed():
    page.run()
if auth_enabled():
    st.sidebar.button("Sign out", on_click=st.logout)
