"""Drafts page."""

import streamlit as st

from curation import ui

st.title("Drafts")
ui.current()
st.write("Write or paste drafts, see predicted clicks with an honest interval and why, "
         "and review them as a team. Scoring arrives with the model work.")
