"""What happens after data changes: retrain the model and rescore drafts (shared by UI and CLI)."""

from __future__ import annotations

from sqlalchemy import Engine


def after_data_change(engine: Engine, workspace_id: int) -> None:
    """Bring derived state up to date after an import or a demo seed."""
