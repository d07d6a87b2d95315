"""Planner: the few strongest approved drafts at the times that work, and why the rest wait."""

import pandas as pd
import streamlit as st

from curation import ui
from curation.exports import plan_frame, plan_to_csv, plan_to_ics, safe_csv
from curation.planner import WEEKDAYS, PlanConstraints
from curation.planning import curve_figure, curve_reading, make_plan, plan_from_dict, store_plan, timeline_figure
from curation.store.drafts import list_drafts
from curation.store.schedules import list_schedules

st.title("Planner")
st.write("Turn approved drafts into a short schedule: the strongest drafts at the times that work for this "
         "account, no more posts a day than still pay, and every draft left out with its reason.")
cur = ui.current()

with ui.session() as s:
    drafts = list_drafts(s, cur.workspace_id, cur.actor)
approved = drafts[drafts["status"] == "approved"]
choices = dict(zip(drafts["id"], drafts["text"].str.slice(0, 70), strict=True))

with st.form("constraints"):
    c = st.columns(3)
    days = c[0].selectbox("Horizon (days)", [7, 14, 21, 28], index=0)
    tz = c[1].text_input("Timezone", value=cur.timezone)
    gap = c[2].number_input("Minimum gap between posts (hours)", 0.0, 24.0, 3.0, step=0.5)
    weekdays = st.multiselect("Days allowed", list(range(7)), default=[0, 1, 2, 3, 4],
                              format_func=lambda d: WEEKDAYS[d])
    hours = st.slider("Hours allowed (local)", 0, 24, (8, 18))
    c2 = st.columns(2)
    cap = c2[0].number_input("Daily cap (0 = what your history supports)", 0, 20, 0)
    bar = c2[1].number_input("Quality bar (0 = your median for comparable tweets)", 0.0, 1e6, 0.0)
    strict = st.checkbox("Strict bar: the low end of a draft's 80 % interval must reach it, not its prediction")
    picked = st.multiselect("Drafts to include", list(choices), default=list(approved["id"]),
                            format_func=lambda i: f"#{i} {choices[i]}")
    go = st.form_submit_button("Build plan", type="primary")

if go:
    def build():
        constraints = PlanConstraints(tz=tz.strip(), days=days, allowed_weekdays=set(weekdays),
                                      allowed_hours=hours, min_gap_hours=gap, daily_cap=cap or None,
                                      quality_bar=bar or None, bar_on="lower" if strict else "predicted")
        return make_plan(ui.engine(), cur.workspace_id, cur.actor, constraints, draft_ids=[int(i) for i in picked])
    with st.status("Planning: scoring every draft at every free slot", expanded=False) as status:
        plan = ui.run(build)
        status.update(label="Plan ready" if plan else "No plan", state="complete" if plan else "error")
    if plan is not None:
        st.session_state["plan"] = plan.to_dict()
        st.session_state["plan_tz"] = tz.strip()


def show(plan_dict: dict, tz: str, key: str) -> None:
    plan = plan_from_dict(plan_dict)
    k = st.columns(3)
    k[0].metric("Posts planned", len(plan.slots))
    k[1].metric(f"Expected {plan.target_label} in all", f"{plan.expected_total:.1f}")
    k[2].metric("Drafts left out", len(plan.left_out))
    st.plotly_chart(timeline_figure(plan, tz), key=f"timeline-{key}")
    st.dataframe(plan_frame(plan), hide_index=True)
    if plan.left_out:
        st.caption("Left out, and why")
        st.dataframe(pd.DataFrame([o.__dict__ for o in plan.left_out]), hide_index=True)
    st.plotly_chart(curve_figure(plan), key=f"curve-{key}")
    st.markdown(ui.md_escape(curve_reading(plan)))
    d = st.columns(3)
    d[0].download_button("Calendar (.ics)", plan_to_ics(plan, f"{cur.name} posts"), file_name="plan.ics",
                         mime="text/calendar", key=f"ics-{key}")
    d[1].download_button("Table (CSV)", plan_to_csv(plan), file_name="plan.csv", mime="text/csv", key=f"csv-{key}")
    d[2].download_button("Curve (CSV)", safe_csv(pd.DataFrame(plan.curve, columns=["posts", "expected_total"])),
                         file_name="plan-curve.csv", mime="text/csv", key=f"curve-csv-{key}")


if "plan" in st.session_state:
    st.subheader("This plan")
    show(st.session_state["plan"], st.session_state["plan_tz"], "new")
    if cur.can_edit:
        name = st.text_input("Name", value=f"Plan {pd.Timestamp.now(tz=cur.timezone):%Y-%m-%d %H:%M}")
        if st.button("Save plan for the team"):
            saved = ui.run(lambda: store_plan(ui.engine(), cur.workspace_id, cur.actor, name,
                                              plan_from_dict(st.session_state["plan"])))
            if saved:
                st.success(f"Saved as plan #{saved}. Teammates see it below.")

with ui.session() as s:
    saved_plans = [(p.id, p.name, p.created_by, p.created_at, p.plan) for p in
                   list_schedules(s, cur.workspace_id, cur.actor)]
st.subheader("Saved plans")
if not saved_plans:
    st.info("No saved plans yet.")
else:
    pick = st.selectbox("Plan", range(len(saved_plans)),
                        format_func=lambda i: f"#{saved_plans[i][0]} {saved_plans[i][1]} · by {saved_plans[i][2]}")
    show(saved_plans[pick][4], saved_plans[pick][4].get("constraints", {}).get("tz", cur.timezone), "saved")
