"""Who may do what: the acting user, roles, and the check every repository function makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from curation import config
from curation.errors import NotFound, PermissionDenied
from curation.store.models import AuditEvent, Member, Workspace

ROLES = ("viewer", "editor", "owner")
_RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Actor:
    """The user a call acts for. ``local`` is the zero-config single-user mode (and the CLI)."""

    email: str
    local: bool = False

    @classmethod
    def local_user(cls) -> Actor:
        return cls(config.LOCAL_USER, local=True)

    @classmethod
    def signed_in(cls, email: str) -> Actor:
        return cls(email.strip().lower(), local=False)


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC, so say so."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def role_of(session: Session, workspace_id: int, actor: Actor) -> str | None:
    """The actor's role in the workspace, or None when not a member."""
    if actor.local or actor.email in config.admin_emails():
        return "owner"
    return session.scalar(
        select(Member.role).where(Member.workspace_id == workspace_id, Member.email == actor.email)
    )


def require_role(session: Session, workspace_id: int, actor: Actor, need: str) -> str:
    """Raise PermissionDenied unless the actor has at least role ``need`` in the workspace."""
    role = role_of(session, workspace_id, actor)
    if role is None:
        raise PermissionDenied(
            f"{actor.email} is not a member of this workspace. Ask one of its owners to add you."
        )
    if _RANK[role] < _RANK[need]:
        raise PermissionDenied(
            f"Your role here is {role}; this needs {need}. Ask a workspace owner to change your role."
        )
    return role


def get_workspace(session: Session, workspace_id: int) -> Workspace:
    ws = session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound(f"Workspace {workspace_id} does not exist (it may have been deleted). Reload.")
    return ws


def audit(session: Session, workspace_id: int | None, actor: Actor, action: str, **detail: object) -> None:
    """Record who did what and when, in the same transaction as the change."""
    session.add(AuditEvent(workspace_id=workspace_id, actor=actor.email, action=action, detail=detail, at=now()))


def bump_data_version(session: Session, workspace_id: int) -> int:
    """Mark the workspace's data as changed so caches keyed by data_version refresh everywhere."""
    ws = get_workspace(session, workspace_id)
    ws.data_version = (ws.data_version or 0) + 1
    return ws.data_version
