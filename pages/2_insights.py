"""Insights: what worked in the account's own history, when, and what posting more does."""

import streamlit as st

from curation import facts, ui
from curation.plan.history import accounts
from curation.ui.charts import finding
from curation.ui.page_data import growth_page, insights_page, result_of
from curation.workspace.planning import history

st.title("Insights")
st.write("What earned clicks in your own history, the times that reliably work, and what posting more "
         "does to each post. Every chart says in one sentence what it shows; download the numbers below it.")
cur = ui.current()

with st.spinner("Reading your history"):
    hist = ui.run(lambda: history(ui.engine(), cur.workspace_id, cur.actor))
if hist is None:
    st.stop()
label = facts.TARGET_LABELS.get(hist.target, hist.target)
handles = list(hist.accounts) or accounts(hist.tweets)
if len(handles) > 1:
    st.warning(ui.md_escape(
        f"This workspace mixes tweets of {len(handles)} accounts ({', '.join('@' + h for h in handles[:6])}"
        f"{' …' if len(handles) > 6 else ''}): every number below blends them. Keep one account per workspace "
        "(New workspace in the sidebar) and import each account's exports there."))
with st.spinner("Working out what earned clicks, when to post and how much"):  # first visit after a change
    found = insights_page(cur.workspace_id, hist, ui.engine())  # cached per data version: a warm visit only draws
if hist.target != "url_clicks":
    st.info("This history has no url-click numbers, so the page shows engagement (likes + reposts) instead.")

st.subheader(f"What earned {label}")
worked = result_of(found["worked"])
if worked:
    finding(found["worked"].figure, worked.reading, worked.table, "what-worked")
    shown = {"text": st.column_config.TextColumn("text", width="large"),
             "posted": st.column_config.DatetimeColumn("posted", format="ddd D MMM YYYY, HH:mm"),
             label: st.column_config.NumberColumn(label, format="%.0f"),
             "impressions": st.column_config.NumberColumn("impressions", format="%.0f")}
    st.caption(f"Top tweets by {label}")
    st.dataframe(worked.top.drop(columns="tweet_id"), hide_index=True, column_config=shown)
    st.caption(f"Bottom tweets by {label}")
    st.dataframe(worked.bottom.drop(columns="tweet_id"), hide_index=True, column_config=shown)

st.subheader("Trend")
tr = result_of(found["trend"])
if tr:
    finding(found["trend"].figure, tr.reading, tr.table, "trend")

st.subheader("Best times to post")
st.caption(f"Weekday × {facts.TIMING_CELL_HOURS}-hour blocks in {hist.tz}: how much more than expected for their "
           "content tweets there earned, shrunk toward 'no difference' where few tweets stand behind a cell. "
           "The Planner places posts by these same cells." + (f" {hist.window}" if hist.window else ""))
bt = result_of(found["best_times"])
if bt:
    finding(found["best_times"].figure, bt.reading, bt.table, "best-times")

st.subheader("Quality over volume")
vol = result_of(found["volume"])
if vol:
    finding(found["volume"].figure, vol.reading, vol.curve, "volume")
    st.metric("Daily cap the history supports", vol.cap, help=vol.cap_rule)
growth_found = growth_page(cur.workspace_id, cur.data_version, cur.actor, ui.engine())
growth = result_of(growth_found)
if growth:
    st.subheader("What moved followers")
    st.caption("The same analysis as on the Audience page: complete weeks of new follows against quality and volume.")
    if growth_found.figure is not None:
        finding(growth_found.figure, growth.reading, growth.table, "follower-growth")
    else:
        st.markdown(ui.md_escape(growth.reading))
