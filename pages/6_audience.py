"""Audience: follower/friend ratio and its band, follow-back lists, and what moved followers."""

from datetime import date

import streamlit as st

from curation import ui
from curation.plan.exports import safe_csv
from curation.ui.figures import growth_figure, ratio_band_figure
from curation.ui.page_data import audience_report
from curation.workspace.audience import add_snapshot

st.title("Audience")
cur = ui.current()
st.write("Should you follow back everyone who follows you? Your follower/friend ratio over time, what it says "
         "about how you use X, and whether your best tweets or your busiest weeks brought new followers.")


def save_counts(day: date, followers: int, following: int) -> bool:
    with ui.session() as s:
        add_snapshot(s, cur.workspace_id, cur.actor, day, followers, following)
    return True


report = ui.run(lambda: audience_report(cur.workspace_id, cur.data_version, cur.actor, ui.engine()))
if report is None:
    st.stop()
history, fb, growth = report.history, report.follow_back, report.growth

st.subheader(f"Follower/friend ratio: {report.band}" if report.band else "Follower/friend ratio")
latest = history.table[history.table["ratio"].notna()].tail(1)
if len(latest):
    row, c = latest.iloc[0], st.columns(3)
    c[0].metric("Followers", f"{int(row['followers']):,}")
    c[1].metric("Following", f"{int(row['following']):,}")
    c[2].metric("Ratio", f"{row['ratio']:.2f}" if row["ratio"] != float("inf") else "∞")
if len(history.table):
    st.plotly_chart(ratio_band_figure(history))
    st.caption(ui.md_escape(history.summary))
    st.markdown(ui.md_escape(report.reading))
    st.download_button("Download the counts (CSV)", safe_csv(history.table), file_name="audience_ratio_history.csv",
                       mime="text/csv", key="dl_history", on_click="ignore")
else:  # said once, with the way to fill it; no empty chart
    st.info(ui.md_escape(report.reading))
for note in history.notes:
    st.caption(ui.md_escape(note))

with st.expander("Type in the counts of a day", expanded=history.table.empty and cur.can_edit):
    if cur.can_edit:
        with st.form("snapshot", clear_on_submit=True):
            cols = st.columns(3)
            day = cols[0].date_input("Day", value=date.today(), max_value=date.today())
            followers = cols[1].number_input("Followers", min_value=0, step=1, value=0)
            following = cols[2].number_input("Following", min_value=0, step=1, value=0)
            saved = st.form_submit_button("Save counts", type="primary")
        if saved:
            done = ui.run(lambda: save_counts(day, int(followers), int(following)))
            if done:
                st.success(f"Saved {int(followers):,} followers and {int(following):,} following for {day}.")
                st.rerun()
    else:
        st.info("Typing in counts needs the editor role; you can view everything here.")


st.subheader("Follow-back")
st.write(ui.md_escape(fb.reading))
if fb.available:
    c = st.columns(3)
    c[0].metric("Follow you, you don't follow", f"{len(fb.followers_not_followed):,}")
    c[1].metric("You follow, they don't follow back", f"{len(fb.following_not_following_back):,}")
    c[2].metric("Mutual", f"{fb.mutual:,}")
    st.caption("IDs only: an archive has no names. Open a profile link to see who it is. Nothing here follows "
               "or unfollows anyone; that stays your decision.")
    links = {"profile_link": st.column_config.LinkColumn("profile")}
    for key, title in (("followers_not_followed", "Follow you, you don't follow them"),
                       ("following_not_following_back", "You follow, they don't follow back")):
        frame = fb.frame(key)
        with st.expander(f"{title} ({len(frame):,})"):
            st.dataframe(frame, hide_index=True, column_config=links)
            st.download_button("Download (CSV)", safe_csv(frame), file_name=f"{key}.csv", mime="text/csv",
                               key=f"dl_{key}", on_click="ignore")

st.subheader("What moved followers: quality or volume")
if len(growth.table):
    st.plotly_chart(growth_figure(growth))
    if not growth.reading.startswith(growth.summary):  # the reading often opens with the summary
        st.caption(ui.md_escape(growth.summary))
    st.markdown(ui.md_escape(growth.reading))
    st.download_button("Download the weekly numbers (CSV)", safe_csv(growth.table),
                       file_name="audience_growth_by_week.csv", mime="text/csv", key="dl_growth", on_click="ignore")
else:
    st.info(ui.md_escape(growth.reading))
