"""Drafts: add, list, edit with optimistic concurrency, and store their scores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from curation.errors import CurationError, NotFound, StaleWrite
from curation.store.access import Actor, as_utc, audit, now, require_role
from curation.store.models import Draft

STATUSES = ("draft", "approved", "rejected")
REPEAT_WINDOW = timedelta(minutes=1)  # a second click on "Add" (or a re-run CLI line) is not a second draft
MAX_DRAFT_CHARS = 4000  # X's long posts; anything longer is a paste accident


@dataclass(frozen=True)
class Score:
    """A model's prediction for one draft."""

    predicted: float
    lower: float
    upper: float
    percentile: float
    model_version_id: int | None


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise CurationError("A draft needs some text.")
    if len(text) > MAX_DRAFT_CHARS:
        raise CurationError(f"A draft is limited to {MAX_DRAFT_CHARS} characters; this one has {len(text)}.")
    return text


def add_drafts(
    session: Session, workspace_id: int, actor: Actor, texts: Iterable[str], status: str = "draft"
) -> list[Draft]:
    """Add drafts (editor role); returns them with ids, in the order given, each text once.

    The same text added again by the same person within a minute is the same draft (returned, not
    added twice): a double click or a repeated command must not make the team review duplicates.
    """
    require_role(session, workspace_id, actor, "editor")
    if status not in STATUSES:
        raise CurationError(f"Status must be one of {', '.join(STATUSES)}.")
    cleaned = [_clean_text(t) for t in texts]
    if not cleaned:
        raise CurationError("No drafts given. Type one, paste several, or upload a CSV with a 'text' column.")
    at = now()
    recent = {d.text: d for d in session.scalars(
        select(Draft).where(Draft.workspace_id == workspace_id, Draft.created_by == actor.email,
                            Draft.text.in_(set(cleaned))).order_by(Draft.id)
    ) if as_utc(d.created_at) >= as_utc(at) - REPEAT_WINDOW}
    fresh: dict[str, Draft] = {}
    for text in cleaned:
        if text not in recent and text not in fresh:
            fresh[text] = Draft(workspace_id=workspace_id, text=text, status=status, comment="", version=1,
                                created_by=actor.email, created_at=at, updated_by=actor.email, updated_at=at)
    session.add_all(fresh.values())
    session.flush()
    if fresh:
        audit(session, workspace_id, actor, "draft.add", ids=[d.id for d in fresh.values()], status=status)
    return [recent.get(t) or fresh[t] for t in dict.fromkeys(cleaned)]


def list_drafts(session: Session, workspace_id: int, actor: Actor, status: str | None = None) -> pd.DataFrame:
    """Drafts sorted by predicted value (best first, unscored last), as a frame."""
    require_role(session, workspace_id, actor, "viewer")
    stmt = select(Draft).where(Draft.workspace_id == workspace_id)
    if status:
        stmt = stmt.where(Draft.status == status)
    rows = session.scalars(stmt).all()
    cols = ["id", "text", "status", "comment", "predicted", "lower", "upper", "percentile", "version",
            "created_by", "updated_by", "updated_at", "model_version_id"]
    frame = pd.DataFrame([{c: getattr(d, c) for c in cols} for d in rows], columns=cols)
    frame["updated_at"] = pd.to_datetime(frame["updated_at"].map(as_utc), utc=True)
    return frame.sort_values(["predicted", "id"], ascending=[False, True], na_position="last", ignore_index=True)


def get_draft(session: Session, workspace_id: int, actor: Actor, draft_id: int) -> Draft:
    require_role(session, workspace_id, actor, "viewer")
    draft = session.get(Draft, draft_id)
    if draft is None or draft.workspace_id != workspace_id:
        raise NotFound(f"Draft {draft_id} does not exist in this workspace (deleted?). Reload the list.")
    return draft


def update_draft(
    session: Session,
    workspace_id: int,
    actor: Actor,
    draft_id: int,
    expected_version: int,
    *,
    text: str | None = None,
    status: str | None = None,
    comment: str | None = None,
) -> Draft:
    """Change a draft if nobody changed it since ``expected_version`` was read; else raise StaleWrite."""
    require_role(session, workspace_id, actor, "editor")
    draft = get_draft(session, workspace_id, actor, draft_id)
    values: dict[str, object] = {}
    if text is not None and _clean_text(text) != draft.text:
        values["text"] = _clean_text(text)
        # The old score belonged to the old text.
        values.update(predicted=None, lower=None, upper=None, percentile=None, model_version_id=None)
    if status is not None and status != draft.status:
        if status not in STATUSES:
            raise CurationError(f"Status must be one of {', '.join(STATUSES)}.")
        values["status"] = status
    if comment is not None and comment != draft.comment:
        values["comment"] = comment
    if not values:
        return draft
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.version == expected_version)
        .values(**values, version=Draft.version + 1, updated_by=actor.email, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        session.refresh(draft)
        raise StaleWrite(
            f"Draft {draft_id} was changed by {draft.updated_by} at {as_utc(draft.updated_at):%Y-%m-%d %H:%M} UTC "
            "after you loaded it. Reload to see their version, then make your change again."
        )
    session.refresh(draft)
    audit(session, workspace_id, actor, "draft.edit", id=draft_id, **{k: v for k, v in values.items()
                                                                      if k in ("status", "comment", "text")})
    return draft


def store_scores(session: Session, workspace_id: int, scores: Sequence[tuple[int, Score]]) -> None:
    """Write model scores. Scoring is the system's work, so it does not bump a draft's version."""
    for draft_id, sc in scores:
        session.execute(
            update(Draft)
            .where(Draft.id == draft_id, Draft.workspace_id == workspace_id)
            .values(predicted=sc.predicted, lower=sc.lower, upper=sc.upper, percentile=sc.percentile,
                    model_version_id=sc.model_version_id)
            .execution_options(synchronize_session=False)
        )
