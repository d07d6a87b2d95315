"""An upload that belongs to another account: import it into a workspace of its own, and take it out of this one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from curation.store.access import Actor, role_of
from curation.store.db import session_scope
from curation.workspace.importer import ImportReport, import_files
from curation.workspace.members import delete_upload, new_workspace
from curation.workspace.refresh import after_data_change


def import_into_new_workspace(engine: Engine, actor: Actor, name: str, timezone: str,
                              files: Sequence[tuple[str, bytes]], from_workspace: int | None = None,
                              upload_id: int | None = None) -> tuple[int, ImportReport, bool]:
    """Create workspace ``name``, import ``files`` there and train it; then, when the actor owns
    ``from_workspace``, delete ``upload_id`` from it so the two accounts stay apart.

    Returns the new workspace's id, its import report, and whether the upload left the old workspace
    (the CLI does the same with ``import --workspace NAME`` and ``delete-upload``).
    """
    with session_scope(engine) as s:
        ws_id = new_workspace(s, name, actor, timezone).id
    report = import_files(engine, ws_id, actor, files)
    after_data_change(engine, ws_id, actor)
    removed = False
    if from_workspace is not None and upload_id is not None:
        with session_scope(engine) as s:
            removed = role_of(s, from_workspace, actor) == "owner"
            if removed:
                delete_upload(s, from_workspace, actor, upload_id)
        if removed:
            after_data_change(engine, from_workspace, actor)
    return ws_id, report, removed
