"""Render a finding: its chart, its one-sentence reading, and a download of the numbers behind it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from curation.plan.exports import safe_csv
from curation.ui import md_escape


def finding(fig: go.Figure, reading: str, table: pd.DataFrame, name: str) -> None:
    st.plotly_chart(fig, key=f"chart-{name}")
    st.markdown(md_escape(reading))
    st.download_button("Download the numbers (CSV)", safe_csv(table), file_name=f"{name}.csv", mime="text/csv",
                       key=f"dl-{name}", on_click="ignore")
