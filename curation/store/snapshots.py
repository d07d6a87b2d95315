"""Follower/following snapshots: one row per workspace, day and source (typed in, or from an archive)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.store.models import AccountSnapshot


def snapshot_of(session: Session, workspace_id: int, day: date, source: str,
                upload_id: int | None = None) -> AccountSnapshot:
    """The workspace's snapshot of ``day`` from ``source``, added (with ``upload_id``) when there is none yet."""
    snap = session.scalar(
        select(AccountSnapshot).where(
            AccountSnapshot.workspace_id == workspace_id,
            AccountSnapshot.day == day,
            AccountSnapshot.source == source,
        )
    )
    if snap is None:
        snap = AccountSnapshot(workspace_id=workspace_id, day=day, source=source, upload_id=upload_id)
        session.add(snap)
    return snap
