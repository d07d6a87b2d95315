"""Drafts in and out of the app: split pasted text, read a CSV of drafts, apply review edits, card tables."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Engine

from curation.errors import CurationError, StaleWrite
from curation.learn.card import SMALL_HOLDOUT
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.drafts import add_drafts, get_draft, update_draft
from curation.workspace.scoring import rescore_drafts

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


def review_drafts(engine: Engine, workspace_id: int, actor: Actor, draft_ids: list[int], status: str,
                  comment: str | None = None) -> list[tuple[int, str]]:
    """Approve or reject drafts by id (the CLI's review); each against its current version, in one transaction."""
    with session_scope(engine) as s:
        done = []
        for draft_id in draft_ids:
            draft = get_draft(s, workspace_id, actor, draft_id)
            update_draft(s, workspace_id, actor, draft_id, draft.version, status=status, comment=comment)
            done.append((draft_id, status))
    return done


_BASELINES = {"model": "this model", "B0": "the average alone", "B1": "link-or-not alone",
              "B2": "structure and timing, without the words", "B3": "a plain text model (words + structure)"}


def _share(card: Mapping, key: str) -> float | None:
    value = (card.get("metrics", {}).get(key) or {}).get("top20_share")
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def card_sentence(card: Mapping) -> str:
    """The model card in one sentence a marketer reads: what its top fifth earned, beside link-or-not alone."""
    label, n = card.get("target_label", "clicks"), card.get("n_test")
    mine = _share(card, "model")
    if mine is None or not n:
        return "There is not enough recent history to test the model yet; treat its scores as rough guesses."
    said = f"On your latest {int(n):,} tweets, the ones it ranked in its top fifth got {mine * 100:.0f} % of the "
    said += str(label)
    simple = next(((k, v) for k in ("B1", "B2", "B3") if (v := _share(card, k)) is not None), None)
    rough = f" Judged on only {int(n)} tweets, so read it as a rough guide." if n < SMALL_HOLDOUT else ""
    if simple is None:
        return f"{said} (a fifth picked at random gets about 20 %).{rough}"
    return f"{said}; {_BASELINES[simple[0]]} got {simple[1] * 100:.0f} %.{rough}"


def coverage_by_level_text(card: Mapping) -> str | None:
    """How often the 80 % ranges held, per third of the holdout by predicted value; None when not measured."""
    parts = [f"{c / t:.0%}" for c, t in card.get("coverage_by_level") or [] if t]
    if len(parts) != 3:
        return None
    return f"by predicted level (lowest, middle, highest third): {', '.join(parts)}"


def metrics_table(card: Mapping) -> pd.DataFrame:
    """The model card's holdout metrics, model beside baselines, with plain column names (blank, not None)."""
    rows = []
    for key, label in _BASELINES.items():
        m = card.get("metrics", {}).get(key)
        if m:
            rows.append({"predictor": label if key == "model" else f"{key}: {label}",
                         "share of the top fifth": m.get("top20_share"),
                         "ranks like the real order (Spearman)": m.get("spearman"),
                         "typical miss (log scale)": m.get("mae_log1p"),
                         "explains (Poisson D²)": m.get("d2")})
    return pd.DataFrame(rows, columns=["predictor", "share of the top fifth", "ranks like the real order (Spearman)",
                                       "typical miss (log scale)", "explains (Poisson D²)"]).astype(
        {"share of the top fifth": float, "ranks like the real order (Spearman)": float,
         "typical miss (log scale)": float, "explains (Poisson D²)": float})


def effects_frame(up: list[tuple[str, float]], down: list[tuple[str, float]]) -> pd.DataFrame:
    """An explanation as a table: what pushed the prediction up or down, and by how much."""
    rows = [{"what": name, "effect": f"×{eff:.2f}", "direction": "up"} for name, eff in up]
    rows += [{"what": name, "effect": f"×{eff:.2f}", "direction": "down"} for name, eff in down]
    return pd.DataFrame(rows, columns=["what", "effect", "direction"])
