"""Drafts: score a draft, add many, and review them as a team."""

import streamlit as st

from curation import ui
from curation.errors import CurationError
from curation.store.drafts import list_drafts
from curation.ui.cards import model_card, retrain, working
from curation.workspace.drafting import (
    add_and_score,
    apply_review_edits,
    drafts_from_csv,
    effects_frame,
    set_status,
    split_pasted,
)
from curation.workspace.scoring import active_model, latest_card, model_missing_reason, set_include_replies

st.title("Drafts")
st.write("Write or paste drafts, see what each is likely to earn with an honest interval and why, "
         "and review them together: approved drafts go to the Planner.")
cur = ui.current()
BOX, REVIEW = ui.key("one_draft", cur), ui.key("review", cur)  # a draft typed in one workspace stays there

with ui.session() as s:
    card = latest_card(s, cur.workspace_id, cur.actor)
if card is None:
    with working("Checking whether the history is enough for a model"):
        reason = model_missing_reason(ui.engine(), cur.workspace_id, cur.actor)
    st.warning(ui.md_escape(f"No model yet. {reason} Drafts can still be written and reviewed."))
    if cur.can_edit and "replies" in reason and st.button("Learn from our replies too"):
        retrain("Learning from your replies too", lambda: set_include_replies(ui.engine(), cur.workspace_id,
                                                                             cur.actor, True))
        st.rerun()
    with ui.session() as s:
        card = latest_card(s, cur.workspace_id, cur.actor)
label = f"predicted {card['target_label']}" if card else "predicted"
found = active_model(ui.engine(), cur.workspace_id, cur.actor) if card else None


@st.fragment
def score_box() -> None:
    """Typing reruns only this box, not the review table below."""
    text = st.text_area("Draft", key=BOX, placeholder="Type a tweet; the score updates when you click outside.")
    if text.strip() and found:
        model, _ = found
        pred, why = model.predict([text]).iloc[0], model.explain(text)
        c = st.columns(3)
        c[0].metric(label.capitalize(), f"{pred.predicted:.1f}")
        c[1].metric("80 % interval", f"{pred.lower:.1f} – {pred.upper:.1f}")
        c[2].metric("Percentile among your past tweets", f"{pred.percentile:.0f}")
        st.dataframe(effects_frame(why.up, why.down), hide_index=True)
        for hint in why.hints:
            st.text(f"• {hint}")


def add_one() -> None:
    text = st.session_state.get(BOX, "")
    try:
        ids = add_and_score(ui.engine(), cur.workspace_id, cur.actor, [text])
    except CurationError as exc:
        st.session_state["draft_notes"] = [("error", str(exc))]
        return
    st.session_state[BOX] = ""  # the box is ready for the next draft; a second click adds nothing
    st.session_state["draft_notes"] = [("success", f"Added draft #{ids[0]}.")]


st.subheader("Score a draft")
score_box()
if cur.can_edit:
    st.button("Add to drafts", key="add_one", on_click=add_one)
    with st.expander("Add many drafts (paste, or upload a CSV)"):
        pasted = st.text_area("One draft per line, or separate drafts by a blank line", key=ui.key("many", cur))
        if st.button("Add pasted drafts") and pasted.strip():
            ids = ui.run(lambda: add_and_score(ui.engine(), cur.workspace_id, cur.actor, split_pasted(pasted)))
            if ids:
                st.success(f"Added {len(ids)} drafts.")
        upload = st.file_uploader("CSV with a 'text' column", type=["csv"], key="drafts_csv")
        if upload is not None and st.button("Add drafts from CSV"):
            ids = ui.run(lambda: add_and_score(ui.engine(), cur.workspace_id, cur.actor,
                                               drafts_from_csv(upload.getvalue())))
            if ids:
                st.success(f"Added {len(ids)} drafts from {ui.md_escape(upload.name)}.")

st.subheader("Review")
with ui.session() as s:
    drafts = list_drafts(s, cur.workspace_id, cur.actor)
drafts["updated_at"] = drafts["updated_at"].dt.tz_convert(cur.timezone)
if drafts.empty:
    st.info("No drafts yet. Type one above, or paste several.")
else:
    shown = drafts[["id", "text", "status", "comment", "predicted", "lower", "upper", "percentile", "updated_by",
                    "updated_at", "version"]]
    st.data_editor(
        shown, key=REVIEW, hide_index=True, disabled=not cur.can_edit,
        column_order=["text", "status", "comment", "predicted", "lower", "upper", "percentile", "updated_by",
                      "updated_at"],
        column_config={
            "text": st.column_config.TextColumn("draft", width="large"),
            "status": st.column_config.SelectboxColumn("status", options=["draft", "approved", "rejected"]),
            "predicted": st.column_config.NumberColumn(label, format="%.1f", disabled=True),
            "lower": st.column_config.NumberColumn("low (80 %)", format="%.1f", disabled=True),
            "upper": st.column_config.NumberColumn("high (80 %)", format="%.1f", disabled=True),
            "percentile": st.column_config.NumberColumn("percentile", format="%.0f", disabled=True),
            "updated_by": st.column_config.TextColumn("last change by", disabled=True),
            "updated_at": st.column_config.DatetimeColumn(f"at ({cur.timezone})", format="ddd D MMM, HH:mm",
                                                          disabled=True),
        },
    )
    # Callbacks run before the next script run, with the versions this run showed: a teammate's newer
    # change is then refused ("changed by X at T — reload"), never silently overwritten.
    def save_review(seen: object) -> None:
        edits = st.session_state.get(REVIEW, {}).get("edited_rows", {})
        changed, problems = apply_review_edits(ui.engine(), cur.workspace_id, cur.actor, seen, edits)
        st.session_state["draft_notes"] = [("error", p) for p in problems] + (
            [("success", f"Saved {changed} change(s).")] if changed else [])
        del st.session_state[REVIEW]

    def review_one(draft_id: int, seen_version: int, status: str) -> None:
        try:
            set_status(ui.engine(), cur.workspace_id, cur.actor, draft_id, seen_version, status)
        except CurationError as exc:  # shown under the buttons by the run that follows
            st.session_state["draft_notes"] = [("error", str(exc))]

    if cur.can_edit:
        st.button("Save review changes", type="primary", on_click=save_review, args=(shown,),
                  disabled=not st.session_state.get(REVIEW, {}).get("edited_rows"))

    one = st.selectbox("Review one draft", list(drafts["id"]), key=ui.key("review_one", cur),
                       format_func=lambda i: f"#{i} {drafts.set_index('id').loc[i, 'text'][:80]}")
    row = drafts.set_index("id").loc[one]
    st.caption(ui.md_escape(f"Status: {row['status']} · last change by {row['updated_by']} "
                            f"on {row['updated_at']:%a %d %b, %H:%M} ({cur.timezone})"))
    buttons = st.columns(3) if cur.can_edit else []
    for col, (status, verb) in zip(buttons, [("approved", "Approve"), ("rejected", "Reject"),
                                             ("draft", "Back to draft")], strict=False):
        col.button(verb, key=f"set-{status}", disabled=row["status"] == status, on_click=review_one,
                   args=(int(one), int(row["version"]), status))
for kind, note in st.session_state.pop("draft_notes", []):
    (ui.error if kind == "error" else st.success)(note)

if card:
    model_card(card)
    replies = st.toggle("Learn from our replies too", value=bool(card.get("include_replies")),
                        disabled=not cur.can_edit, help="Replies to others are left out by default: they "
                        "rarely carry links and follow a conversation, not a plan.")
    if replies != bool(card.get("include_replies")):
        retrain("Retraining the model", lambda: set_include_replies(ui.engine(), cur.workspace_id, cur.actor,
                                                                   replies))
        st.rerun()
