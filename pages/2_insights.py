"""Insights page."""

import streamlit as st

from curation import ui

st.title("Insights")
ui.current()
st.write("What worked in your history, the best times to post, and what posting more does to clicks. "
         "The analyses arrive with the insights work; this page shows nothing until then.")
