"""What happens after data changes: retrain the model and rescore drafts (shared by UI and CLI)."""

from __future__ import annotations

from sqlalchemy import Engine

from curation.store.access import Actor


def after_data_change(engine: Engine, workspace_id: int, actor: Actor | None = None) -> str | None:
    """Bring derived state up to date after an import or a demo seed.

    Returns a plain-language reason when no model could be trained (too little history), else None.
    """
    from curation.scoring import retrain_quietly

    return retrain_quietly(engine, workspace_id, actor or Actor.local_user())
