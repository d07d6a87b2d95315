"""Planner page."""

import streamlit as st

from curation import ui

st.title("Planner")
ui.current()
st.write("Turn approved drafts into a short schedule of the strongest ones at your best times. "
         "Planning arrives with the planner work.")
