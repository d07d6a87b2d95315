"""Train a workspace's model, keep its versions, and score drafts with it (shared by UI and CLI)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from curation import config
from curation.errors import NotEnoughData
from curation.learn import model
from curation.learn.trained import TrainedModel
from curation.store.access import Actor, audit, get_workspace, now, require_role, role_of
from curation.store.db import session_scope
from curation.store.drafts import Score, list_drafts, store_scores
from curation.store.models import ModelVersion
from curation.store.tweets import load_tweets
from curation.workspace.importer import tweet_handles


def artifact_path(workspace_id: int, fingerprint: str) -> Path:
    return config.MODELS_DIR / str(workspace_id) / f"{fingerprint}.skops"


def latest_version(session: Session, workspace_id: int) -> ModelVersion | None:
    return session.scalar(
        select(ModelVersion).where(ModelVersion.workspace_id == workspace_id).order_by(ModelVersion.id.desc()).limit(1)
    )


def latest_card(session: Session, workspace_id: int, actor: Actor) -> dict | None:
    """The current model card (as stored), or None when no model could be trained yet."""
    require_role(session, workspace_id, actor, "viewer")
    mv = latest_version(session, workspace_id)
    return dict(mv.card) | {"model_version_id": mv.id} if mv else None


def train_workspace(engine: Engine, workspace_id: int, actor: Actor, force: bool = False) -> dict:
    """Fit, evaluate and store the workspace's model; rescore its drafts. Returns the card.

    Skips the fit when the data has not changed since the last model (unless ``force``).
    Raises NotEnoughData when the history is too small to learn from.
    """
    with session_scope(engine) as s:
        require_role(s, workspace_id, actor, "editor")
        ws = get_workspace(s, workspace_id)
        tz, version, settings = ws.timezone, ws.data_version, dict(ws.settings or {})
        current = latest_version(s, workspace_id)
        if current is not None and not force and current.card.get("data_version") == version \
                and current.card.get("timezone") == tz:
            return dict(current.card) | {"model_version_id": current.id}
        tweets = load_tweets(s, workspace_id, actor)
        handles = Counter(h for h in tweet_handles(s, workspace_id, actor) if h)
    # No setting yet: the model decides by validation whether the replies help (issue 12).
    replies = settings.get("include_replies")
    trained = model.train(tweets, tz, include_replies=None if replies is None else bool(replies),
                          own_handle=handles.most_common(1)[0][0] if handles else None)  # drafts read as history
    card = trained.card.to_dict() | {"data_version": version, "timezone": tz}
    blob = model.dumps(trained)
    path = artifact_path(workspace_id, trained.card.fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    with session_scope(engine) as s:
        mv = ModelVersion(workspace_id=workspace_id, fingerprint=trained.card.fingerprint, target=trained.card.target,
                          card=card, artifact=blob, created_at=now())
        s.add(mv)
        s.flush()
        audit(s, workspace_id, actor, "model.train", id=mv.id, target=card["target"], used=card["used"],
              n_train=card["n_train"])
        mv_id = mv.id
    _load.cache_clear()
    rescore_drafts(engine, workspace_id, actor)
    return card | {"model_version_id": mv_id}


@lru_cache(maxsize=16)
def _load(model_version_id: int, fingerprint: str, workspace_id: int, engine: Engine) -> TrainedModel:
    # Keyed by the engine object (one per database per process), never by a URL that holds a password.
    path = artifact_path(workspace_id, fingerprint)
    if path.exists():
        return model.loads(path.read_bytes())
    # A replica without the file: the database keeps the artifact; write it back as a cache.
    with session_scope(engine) as s:
        blob = s.get(ModelVersion, model_version_id).artifact
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return model.loads(blob)


def active_model(engine: Engine, workspace_id: int, actor: Actor) -> tuple[TrainedModel, int] | None:
    """The workspace's current model and its version id, or None when there is none yet."""
    with session_scope(engine) as s:
        require_role(s, workspace_id, actor, "viewer")
        mv = latest_version(s, workspace_id)
        if mv is None:
            return None
        key = (mv.id, mv.fingerprint)
        stale = mv.card.get("versions", {}).get("model") != model.MODEL_VERSION
    if stale:  # saved by an older release of the model code: refit on the same data
        card = train_workspace(engine, workspace_id, Actor.local_user(), force=True)
        key = (card["model_version_id"], card["fingerprint"])
    return _load(key[0], key[1], workspace_id, engine), key[0]


def score_texts(engine: Engine, workspace_id: int, actor: Actor, texts: Sequence[str],
                at: Sequence[pd.Timestamp] | None = None) -> pd.DataFrame:
    """Predicted value, interval and percentile for each text (no storing)."""
    found = active_model(engine, workspace_id, actor)
    if found is None:
        raise NotEnoughData("This workspace has no model yet: import tweets with metrics first "
                            f"(at least {model.min_train()} original tweets with the target).")
    trained, _ = found
    return trained.predict(list(texts), at)


def rescore_drafts(engine: Engine, workspace_id: int, actor: Actor, only_unscored: bool = False) -> int:
    """Score the workspace's drafts with the current model and store the scores (an editor's action)."""
    with session_scope(engine) as s:
        require_role(s, workspace_id, actor, "editor")
    found = active_model(engine, workspace_id, actor)
    if found is None:
        return 0
    trained, mv_id = found
    with session_scope(engine) as s:
        drafts = list_drafts(s, workspace_id, actor)
        if only_unscored:
            drafts = drafts[drafts["predicted"].isna() | (drafts["model_version_id"] != mv_id)]
        if drafts.empty:
            return 0
        preds = trained.predict(drafts["text"].tolist())
        store_scores(s, workspace_id, [
            (int(i), Score(float(p.predicted), float(p.lower), float(p.upper), float(p.percentile), mv_id))
            for i, p in zip(drafts["id"], preds.itertuples(), strict=True)
        ])
    return len(drafts)


def set_include_replies(engine: Engine, workspace_id: int, actor: Actor, include: bool) -> dict | None:
    """Learn from the account's replies too (or not), then retrain; returns the new card (None if too little data)."""
    with session_scope(engine) as s:
        require_role(s, workspace_id, actor, "editor")
        ws = get_workspace(s, workspace_id)
        ws.settings = {**(ws.settings or {}), "include_replies": bool(include)}
        audit(s, workspace_id, actor, "model.options", include_replies=bool(include))
    try:
        return train_workspace(engine, workspace_id, actor, force=True)
    except NotEnoughData:
        return None


def model_missing_reason(engine: Engine, workspace_id: int, actor: Actor) -> str:
    """Why the workspace has no model: tries to train (cheap when data is short) and returns what is missing."""
    with session_scope(engine) as s:
        can_train = role_of(s, workspace_id, actor) in ("editor", "owner")
    if not can_train:
        return "An editor's next import will train it."
    return retrain_quietly(engine, workspace_id, actor) or "It has just been trained: reload the page."


def retrain_quietly(engine: Engine, workspace_id: int, actor: Actor) -> str | None:
    """Retrain after a data change; returns the reason when the history is too small, else None."""
    try:
        train_workspace(engine, workspace_id, actor)
    except NotEnoughData as exc:
        return str(exc)
    return None
