"""What happens after data changes: retrain the model and rescore drafts (shared by UI and CLI)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from curation.store.access import Actor


def after_data_change(
    engine: Engine, workspace_id: int, actor: Actor | None = None, step: Callable[[str], None] | None = None
) -> str | None:
    """Bring derived state up to date after an import or a demo seed.

    Retrains the model, then fits the content-only expectation Insights and the Planner use and
    stores it for this data version, so no page visit (in any replica) fits it again.
    ``step`` hears each stage as it starts (the Import page shows them while the user waits).
    Returns a plain-language reason when no model could be trained (too little history), else None.
    """
    from curation.workspace.expectation import refresh
    from curation.workspace.scoring import retrain_quietly

    actor = actor or Actor.local_user()
    if step:
        step("Training the model on the whole history")
    reason = retrain_quietly(engine, workspace_id, actor)
    if step:
        step("Fitting what content alone earns, for Insights and the Planner")
    refresh(engine, workspace_id, actor)
    return reason
