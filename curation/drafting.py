"""Drafts in and out of the app: split pasted text, read a CSV of drafts, apply review edits, card tables."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine

from curation.errors import CurationError, StaleWrite
from curation.scoring import rescore_drafts
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import add_drafts, update_draft

MAX_CSV_BYTES = 5_000_000
MAX_DRAFTS_PER_ADD = 1000


def split_pasted(text: str) -> list[str]:
    """Drafts from pasted text: blank-line separated when there are blank lines, else one per line."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return []
    parts = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    return [p.strip() for p in parts if p.strip()]


def drafts_from_csv(data: bytes) -> list[str]:
    """Texts from a CSV with a 'text' column (or a single column); raises CurationError otherwise."""
    if len(data) > MAX_CSV_BYTES:
        raise CurationError(f"That CSV is over {MAX_CSV_BYTES // 1_000_000} MB; drafts files are small. "
                            "Check you picked the right file.")
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CurationError("The drafts CSV is not UTF-8 text. Save it as 'CSV UTF-8' and upload again.") from exc
    rows = list(csv.reader(io.StringIO(decoded)))
    if not rows:
        raise CurationError("The drafts CSV is empty. Put one draft per row under a 'text' header.")
    header = [h.strip().lower() for h in rows[0]]
    if "text" in header:
        col, body = header.index("text"), rows[1:]
    elif len(header) == 1:
        col, body = 0, rows  # a single unnamed column: every row is a draft
    else:
        raise CurationError("The drafts CSV needs a column named 'text' (one draft per row).")
    texts = [r[col].strip() for r in body if len(r) > col and r[col].strip()]
    if len(texts) > MAX_DRAFTS_PER_ADD:
        raise CurationError(f"{len(texts)} drafts in one file; add at most {MAX_DRAFTS_PER_ADD} at a time.")
    return texts


def add_and_score(
    engine: Engine, workspace_id: int, actor: Actor, texts: list[str], status: str = "draft"
) -> list[int]:
    """Store new drafts and score them with the current model (when there is one)."""
    if len(texts) > MAX_DRAFTS_PER_ADD:
        raise CurationError(f"Add at most {MAX_DRAFTS_PER_ADD} drafts at a time.")
    with session_scope(engine) as s:
        ids = [d.id for d in add_drafts(s, workspace_id, actor, texts, status)]
    rescore_drafts(engine, workspace_id, actor, only_unscored=True)
    return ids


def apply_review_edits(
    engine: Engine, workspace_id: int, actor: Actor, shown: pd.DataFrame, edited_rows: Mapping[int, Mapping]
) -> tuple[int, list[str]]:
    """Apply st.data_editor edits (row position -> changed columns), each with its own version check.

    Returns how many drafts changed and the messages of edits that were refused (stale or invalid);
    a refused edit does not stop the others.
    """
    changed, problems = 0, []
    for pos, edits in edited_rows.items():
        row = shown.iloc[int(pos)]
        fields = {k: v for k, v in edits.items() if k in ("text", "status", "comment")}
        if not fields:
            continue
        try:
            with session_scope(engine) as s:
                update_draft(s, workspace_id, actor, int(row["id"]), int(row["version"]), **fields)
            changed += 1
        except (StaleWrite, CurationError) as exc:
            problems.append(str(exc))
    if changed:
        rescore_drafts(engine, workspace_id, actor, only_unscored=True)
    return changed, problems


def set_status(engine: Engine, workspace_id: int, actor: Actor, draft_id: int, version: int, status: str) -> bool:
    """Approve, reject or return one draft to draft (refused with a reload message if it changed meanwhile)."""
    with session_scope(engine) as s:
        update_draft(s, workspace_id, actor, draft_id, version, status=status)
    return True


def metrics_table(card: Mapping) -> pd.DataFrame:
    """The model card's holdout metrics, model beside baselines, with plain column names."""
    names = {"model": "this model", "B0": "B0: average", "B1": "B1: recent level (link / no link)",
             "B2": "B2: structure + time, no text"}
    rows = []
    for key, label in names.items():
        m = card.get("metrics", {}).get(key)
        if m:
            rows.append({"predictor": label, "rank agreement (Spearman)": m.get("spearman"),
                         "share of clicks in its top 20 %": m.get("top20_share"),
                         "error on log scale (MAE)": m.get("mae_log1p"), "Poisson D²": m.get("d2")})
    return pd.DataFrame(rows)


def holdout_figure(card: Mapping) -> go.Figure:
    """Predicted vs actual on the tweets the model never saw."""
    pairs = card.get("holdout") or []
    label = card.get("target_label", "clicks")
    fig = go.Figure()
    if pairs:
        pred, actual = zip(*pairs, strict=True)
        fig.add_scatter(x=list(pred), y=list(actual), mode="markers", name="held-out tweets", opacity=0.6)
        top = max(max(pred), max(actual)) * 1.05
        fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="perfect", line={"dash": "dot"})
    fig.update_layout(xaxis_title=f"predicted {label}", yaxis_title=f"actual {label}", height=380,
                      margin={"t": 30}, xaxis_type="log", yaxis_type="log")
    return fig


def effects_frame(up: list[tuple[str, float]], down: list[tuple[str, float]]) -> pd.DataFrame:
    """An explanation as a table: what pushed the prediction up or down, and by how much."""
    rows = [{"what": name, "effect": f"×{eff:.2f}", "direction": "up"} for name, eff in up]
    rows += [{"what": name, "effect": f"×{eff:.2f}", "direction": "down"} for name, eff in down]
    return pd.DataFrame(rows, columns=["what", "effect", "direction"])
