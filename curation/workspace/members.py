"""A workspace's people and data: admins, members, audit, uploads, and deleting an upload or a workspace."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from curation import config
from curation.errors import CurationError, NotFound, PermissionDenied
from curation.store.access import Actor, as_utc, audit, bump_data_version, get_workspace, require_role
from curation.store.models import (
    AccountSnapshot,
    AudienceId,
    AuditEvent,
    DailyMetric,
    Draft,
    Expectation,
    Member,
    ModelVersion,
    Schedule,
    Tweet,
    TweetUpload,
    Upload,
    Workspace,
)
from curation.store.workspaces import (
    create_workspace,
    list_members,
)

# ---------------------------------------------------------------- who administers


def is_admin(actor: Actor) -> bool:
    """Local single-user mode, the CLI and ADMIN_EMAILS administer every workspace."""
    return actor.local or actor.email in config.admin_emails()


def new_workspace(session: Session, name: str, actor: Actor, timezone: str = "UTC") -> Workspace:
    """Create a workspace; when hosted, only ADMIN_EMAILS may (they then add the first members)."""
    if not is_admin(actor):
        raise PermissionDenied("Only the administrators named in ADMIN_EMAILS can create workspaces. Ask one of them.")
    return create_workspace(session, name, actor, timezone)


# ---------------------------------------------------------------- display frames


def members_frame(session: Session, workspace_id: int, actor: Actor) -> pd.DataFrame:
    rows = [(m.email, m.role, m.added_by, as_utc(m.added_at)) for m in list_members(session, workspace_id, actor)]
    return pd.DataFrame(rows, columns=["e-mail", "role", "added by", "added at"])


def audit_frame(session: Session, workspace_id: int, actor: Actor, limit: int = 500) -> pd.DataFrame:
    """Newest first: when, who, what, and the details as plain text."""
    require_role(session, workspace_id, actor, "viewer")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.workspace_id == workspace_id).order_by(AuditEvent.id.desc()).limit(limit)
    ).all()
    rows = [(as_utc(e.at), e.actor, e.action, _detail_text(e.detail)) for e in events]
    return pd.DataFrame(rows, columns=["when (UTC)", "who", "what", "detail"])


def _detail_text(detail: Mapping | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (detail or {}).items())


def uploads_frame(session: Session, workspace_id: int, actor: Actor) -> pd.DataFrame:
    """Uploads newest first, with how many tweets each is the only source of."""
    require_role(session, workspace_id, actor, "viewer")
    uploads = session.scalars(select(Upload).where(Upload.workspace_id == workspace_id).order_by(Upload.id.desc()))
    sole = _sole_links(workspace_id)
    only = dict(session.execute(select(sole.c.upload_id, func.count()).group_by(sole.c.upload_id)).all())
    rows = [(u.id, as_utc(u.created_at), u.created_by, u.filenames, u.formats, u.n_new, u.n_updated, only.get(u.id, 0))
            for u in uploads]
    return pd.DataFrame(rows, columns=["id", "when (UTC)", "by", "files", "formats", "new", "updated",
                                       "only in this upload"])


# ---------------------------------------------------------------- deleting


@dataclass(frozen=True)
class UploadRemoval:
    """What deleting one upload removed, and what it left because other uploads brought it too."""

    upload_id: int
    files: str
    tweets_removed: int
    tweets_kept: int
    daily_days_removed: int
    audience_removed: int
    snapshots_removed: int


def _sole_links(workspace_id: int) -> Subquery:
    """(upload_id, tweet_pk) of the workspace's tweets that exactly one upload brought or touched."""
    shared = select(TweetUpload.tweet_pk).group_by(TweetUpload.tweet_pk).having(func.count() > 1)
    return (select(TweetUpload.upload_id, TweetUpload.tweet_pk)
            .join(Upload, Upload.id == TweetUpload.upload_id)
            .where(Upload.workspace_id == workspace_id, TweetUpload.tweet_pk.not_in(shared))
            .subquery())


def delete_upload(session: Session, workspace_id: int, actor: Actor, upload_id: int) -> UploadRemoval:
    """Remove an upload and what only it brought (owners). Tweets other uploads also had stay.

    Account-level daily rows record only the upload that first brought each day, so they go only
    when no other upload of the workspace brought daily rows (they may have repeated those days).
    """
    require_role(session, workspace_id, actor, "owner")
    upload = session.get(Upload, upload_id)
    if upload is None or upload.workspace_id != workspace_id:
        raise NotFound(f"Upload {upload_id} does not exist in this workspace (deleted already?). Reload the list.")
    linked = select(TweetUpload.tweet_pk).where(TweetUpload.upload_id == upload_id)
    links = _sole_links(workspace_id)
    sole = select(links.c.tweet_pk).where(links.c.upload_id == upload_id)
    n_linked = session.scalar(select(func.count()).select_from(linked.subquery())) or 0
    n_sole = session.scalar(select(func.count()).select_from(sole.subquery())) or 0
    session.execute(delete(Tweet).where(Tweet.id.in_(sole)).execution_options(synchronize_session=False))
    # The tweets that stay no longer count this upload as their first or last source.
    for column, pick in ((Tweet.first_upload_id, func.min), (Tweet.last_upload_id, func.max)):
        other = (select(pick(TweetUpload.upload_id)).where(TweetUpload.tweet_pk == Tweet.id,
                                                            TweetUpload.upload_id != upload_id)
                 .scalar_subquery())
        session.execute(update(Tweet).where(Tweet.workspace_id == workspace_id, column == upload_id)
                        .values({column: other}).execution_options(synchronize_session=False))
    others_daily = session.scalar(select(func.count()).select_from(DailyMetric).where(
        DailyMetric.workspace_id == workspace_id, DailyMetric.upload_id.is_not(None),
        DailyMetric.upload_id != upload_id))
    other_uploads = session.scalars(select(Upload.report).where(Upload.workspace_id == workspace_id,
                                                                Upload.id != upload_id)).all()
    others_brought_days = bool(others_daily) or any(
        f.get("daily_days") for rep in other_uploads for f in (rep or {}).get("files", []))
    daily = 0
    if not others_brought_days:
        daily = session.execute(delete(DailyMetric).where(DailyMetric.upload_id == upload_id)).rowcount
    else:
        session.execute(update(DailyMetric).where(DailyMetric.upload_id == upload_id).values(upload_id=None))
    audience = session.execute(delete(AudienceId).where(AudienceId.upload_id == upload_id)).rowcount
    snaps = session.execute(delete(AccountSnapshot).where(AccountSnapshot.upload_id == upload_id)).rowcount
    session.execute(delete(TweetUpload).where(TweetUpload.upload_id == upload_id))
    files = upload.filenames
    session.delete(upload)
    removal = UploadRemoval(upload_id, files, n_sole, n_linked - n_sole, daily, audience, snaps)
    audit(session, workspace_id, actor, "upload.delete", **asdict(removal))
    bump_data_version(session, workspace_id)
    return removal


def delete_workspace(session: Session, workspace_id: int, actor: Actor, confirm: str) -> str:
    """Delete a workspace and everything in it (owners), once ``confirm`` is its exact name.

    Returns the name. The deletion itself stays in the audit log, outside any workspace.
    """
    require_role(session, workspace_id, actor, "owner")
    ws = get_workspace(session, workspace_id)
    if confirm.strip() != ws.name:
        raise CurationError(f"Type the workspace's name exactly ({ws.name}) to confirm the deletion.")
    uploads = select(Upload.id).where(Upload.workspace_id == workspace_id)
    session.execute(delete(TweetUpload).where(TweetUpload.upload_id.in_(uploads)))
    # Children before parents, so this holds whether or not the database enforces ON DELETE CASCADE.
    for table in (Tweet, DailyMetric, AccountSnapshot, AudienceId, Draft, Schedule, ModelVersion, Expectation,
                  Upload, Member, AuditEvent):
        session.execute(delete(table).where(table.workspace_id == workspace_id)
                        .execution_options(synchronize_session=False))
    name = ws.name
    session.delete(ws)
    audit(session, None, actor, "workspace.delete", id=workspace_id, name=name)
    shutil.rmtree(config.MODELS_DIR / str(workspace_id), ignore_errors=True)  # this replica's model cache
    return name
