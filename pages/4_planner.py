"""Planner: the few strongest approved drafts at the times that work, and why the rest wait."""

import pandas as pd
import streamlit as st

from curation import ui
from curation.facts import WEEKDAYS
from curation.plan.constraints import PlanConstraints
from curation.plan.exports import plan_to_csv, plan_to_ics, safe_csv
from curation.store.drafts import list_drafts
from curation.store.schedules import list_schedules
from curation.ui.figures import curve_figure, timeline_figure
from curation.workspace.planning import (
    curve_reading,
    empty_reading,
    make_plan,
    plan_from_dict,
    plan_table,
    store_plan,
)

st.title("Planner")
st.write("Turn approved drafts into a short schedule: the strongest drafts at the times that work for this "
         "account, no more posts a day than still pay, and every draft left out with its reason.")
cur = ui.current()
PLAN, ASKED = ui.key("plan", cur), ui.key("plan_asked", cur)

with ui.session() as s:
    drafts = list_drafts(s, cur.workspace_id, cur.actor)
approved = drafts[drafts["status"] == "approved"]
choices = dict(zip(drafts["id"], drafts["text"].str.slice(0, 70), strict=True))

with st.form("constraints"):
    c = st.columns(3)
    days = c[0].selectbox("Horizon (days)", [7, 14, 21, 28], index=0)
    with c[1]:
        tz = ui.timezone_picker("Timezone", cur.timezone, key=ui.key("plan_tz_pick", cur))
    gap = c[2].number_input("Minimum gap between posts (hours)", 0.0, 24.0, 3.0, step=0.5)
    weekdays = st.multiselect("Days allowed", list(range(7)), default=[0, 1, 2, 3, 4],
                              format_func=lambda d: WEEKDAYS[d])
    hours = st.slider("Hours allowed (local)", 0, 24, (8, 18))
    c2 = st.columns(2)
    cap = c2[0].number_input("Daily cap (0 = what your history supports)", 0, 50, 0)
    bar = c2[1].number_input("Quality bar (0 = clearly better than your typical recent post now)", 0.0, 1e6, 0.0)
    strict = st.checkbox("Strict bar: the low end of a draft's 80 % interval must reach it, not its prediction")
    picked = st.multiselect("Drafts to include", list(choices), default=list(approved["id"]),
                            format_func=lambda i: f"#{i} {choices[i]}")
    go = st.form_submit_button("Build plan", type="primary")


def build(asked: dict) -> None:
    def plan():
        constraints = PlanConstraints(tz=asked["tz"], days=asked["days"], allowed_weekdays=set(asked["weekdays"]),
                                      allowed_hours=asked["hours"], min_gap_hours=asked["gap"],
                                      daily_cap=asked["cap"] or None, quality_bar=asked["bar"] or None,
                                      bar_on="lower" if asked["strict"] else "predicted")
        return make_plan(ui.engine(), cur.workspace_id, cur.actor, constraints, draft_ids=asked["drafts"])
    with st.status("Planning: scoring every draft at every free slot", expanded=False) as status:
        made = ui.run(plan)
        done = made is not None and bool(made.slots)
        status.update(label=f"Plan ready: {len(made.slots)} posts" if done else "Nothing to schedule yet",
                      state="complete" if made is not None else "error")
    if made is not None:
        st.session_state[PLAN] = {"plan": made.to_dict(), "tz": asked["tz"]}
        st.session_state[ASKED] = asked


if go:
    build({"tz": tz, "days": days, "weekdays": list(weekdays), "hours": tuple(hours), "gap": gap, "cap": cap,
           "bar": bar, "strict": strict, "drafts": [int(i) for i in picked]})


def offer(plan, key: str) -> None:
    """One click to plan again with the bar or cap that admits the drafts that came closest."""
    asked, sug = st.session_state.get(ASKED), plan.suggestion
    if key != "new" or asked is None or not sug:
        return
    cols = st.columns(2)
    if "quality_bar" in sug and cols[0].button(f"Plan again with a bar of {sug['quality_bar']:g}", key="again-bar"):
        build({**asked, "bar": float(sug["quality_bar"])})
        st.rerun()
    if "daily_cap" in sug and cols[1].button(f"Plan again with a cap of {sug['daily_cap']} a day", key="again-cap"):
        build({**asked, "cap": int(sug["daily_cap"])})
        st.rerun()


def show(plan_dict: dict, tz: str, key: str) -> None:
    plan = plan_from_dict(plan_dict)
    if plan.timing:
        st.caption(ui.md_escape(f"Timing, as on the Insights page: {plan.timing}"))
    if not plan.slots:
        st.warning(ui.md_escape(empty_reading(plan)))
        offer(plan, key)
    else:
        k = st.columns(3)
        k[0].metric("Posts planned", len(plan.slots))
        k[1].metric(f"Expected {plan.target_label} in all", f"{plan.expected_total:.1f}")
        k[2].metric("Drafts left out", len(plan.left_out))
        st.plotly_chart(timeline_figure(plan, tz), key=f"timeline-{key}")
        st.dataframe(plan_table(plan, tz), hide_index=True,
                     column_config={"text": st.column_config.TextColumn(width="large"),
                                    "why": st.column_config.TextColumn(width="large")})
    if plan.left_out:
        st.caption("Left out, and why")
        st.dataframe(pd.DataFrame([o.__dict__ for o in plan.left_out]), hide_index=True,
                     column_config={"text": st.column_config.TextColumn(width="large"),
                                    "reason": st.column_config.TextColumn(width="large")})
        if plan.slots:
            offer(plan, key)
    if not plan.slots:
        return
    st.plotly_chart(curve_figure(plan), key=f"curve-{key}")
    st.markdown(ui.md_escape(curve_reading(plan)))
    d = st.columns(3)
    d[0].download_button("Calendar (.ics)", plan_to_ics(plan, f"{cur.name} posts"), file_name="plan.ics",
                         mime="text/calendar", key=f"ics-{key}", on_click="ignore")
    d[1].download_button("Table (CSV)", plan_to_csv(plan), file_name="plan.csv", mime="text/csv", key=f"csv-{key}",
                         on_click="ignore")
    d[2].download_button("Curve (CSV)", safe_csv(pd.DataFrame(plan.curve, columns=["posts", "expected_total"])),
                         file_name="plan-curve.csv", mime="text/csv", key=f"curve-csv-{key}", on_click="ignore")


if PLAN in st.session_state:
    st.subheader("This plan")
    current = st.session_state[PLAN]
    show(current["plan"], current["tz"], "new")
    if cur.can_edit and current["plan"]["slots"]:
        name = st.text_input("Name", key=ui.key("plan_name", cur),
                             value=f"Plan {pd.Timestamp.now(tz=cur.timezone):%Y-%m-%d}")
        if st.button("Save plan for the team"):
            saved = ui.run(lambda: store_plan(ui.engine(), cur.workspace_id, cur.actor, name,
                                              plan_from_dict(current["plan"])))
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
