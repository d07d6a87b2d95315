"""Workspaces and their members: create, find, list, settings."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.errors import CurationError, NotFound
from curation.facts import check_timezone
from curation.store.access import ROLES, Actor, audit, get_workspace, now, require_role, role_of
from curation.store.models import AuditEvent, Member, Workspace

# One "@" with something on each side and no blanks: what sign-in e-mails look like (local@localhost too).
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def check_email(email: str) -> str:
    """``email`` lower-cased and trimmed (as sign-in compares it), or a CurationError that says what is wrong."""
    clean = str(email).strip().lower()
    if not _EMAIL.fullmatch(clean) or len(clean) > 254:
        raise CurationError(f"{clean!r} is not an e-mail address. Members are known by their sign-in e-mail, "
                            "e.g. name@example.com.")
    return clean


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CurationError(f"{role!r} is not a role. Role must be owner, editor or viewer.")
    return role


def create_workspace(session: Session, name: str, actor: Actor, timezone: str = "UTC") -> Workspace:
    """A new workspace whose first owner is the actor."""
    name = name.strip()
    if not name:
        raise CurationError("Give the workspace a name.")
    if session.scalar(select(Workspace.id).where(Workspace.name == name)) is not None:
        raise CurationError(f"A workspace named {name!r} exists already. Pick another name.")
    ws = Workspace(name=name, timezone=check_timezone(timezone), settings={}, data_version=0, created_at=now())
    session.add(ws)
    session.flush()
    session.add(Member(workspace_id=ws.id, email=actor.email, role="owner", added_by=actor.email, added_at=now()))
    audit(session, ws.id, actor, "workspace.create", name=name)
    return ws


def find_workspace(session: Session, name: str, actor: Actor) -> Workspace:
    """The workspace called ``name`` that the actor may read."""
    ws = session.scalar(select(Workspace).where(Workspace.name == name))
    if ws is None:
        raise NotFound(f"No workspace named {name!r}. Create it, or run `python -m curation demo`.")
    require_role(session, ws.id, actor, "viewer")
    return ws


def get_or_create_workspace(session: Session, name: str, actor: Actor, timezone: str = "UTC") -> Workspace:
    ws = session.scalar(select(Workspace).where(Workspace.name == name))
    if ws is None:
        return create_workspace(session, name, actor, timezone)
    require_role(session, ws.id, actor, "viewer")
    return ws


def list_workspaces(session: Session, actor: Actor) -> list[Workspace]:
    """Workspaces the actor can see, oldest first."""
    all_ws = session.scalars(select(Workspace).order_by(Workspace.id)).all()
    return [ws for ws in all_ws if role_of(session, ws.id, actor) is not None]


def set_timezone(session: Session, workspace_id: int, actor: Actor, timezone: str) -> None:
    require_role(session, workspace_id, actor, "editor")
    ws = get_workspace(session, workspace_id)
    ws.timezone = check_timezone(timezone)
    audit(session, workspace_id, actor, "workspace.timezone", timezone=timezone)


def list_members(session: Session, workspace_id: int, actor: Actor) -> list[Member]:
    require_role(session, workspace_id, actor, "viewer")
    return list(session.scalars(select(Member).where(Member.workspace_id == workspace_id).order_by(Member.email)))


def set_member(session: Session, workspace_id: int, actor: Actor, email: str, role: str) -> Member:
    """Add a member or change their role (owners only)."""
    require_role(session, workspace_id, actor, "owner")
    email, role = check_email(email), check_role(role)
    member = session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.email == email))
    if member is None:
        member = Member(workspace_id=workspace_id, email=email, role=role, added_by=actor.email, added_at=now())
        session.add(member)
    else:
        if member.role == "owner" and role != "owner" and _owner_count(session, workspace_id) == 1:
            raise CurationError("A workspace keeps at least one owner. Make someone else owner first.")
        member.role = role
    audit(session, workspace_id, actor, "member.set", email=email, role=role)
    return member


def _owner_count(session: Session, workspace_id: int) -> int:
    owners = select(Member.id).where(Member.workspace_id == workspace_id, Member.role == "owner")
    return len(session.scalars(owners.with_for_update()).all())


def remove_member(session: Session, workspace_id: int, actor: Actor, email: str) -> None:
    require_role(session, workspace_id, actor, "owner")
    email = email.strip().lower()  # as set_member stores it
    member = session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.email == email))
    if member is None:
        raise NotFound(f"{email} is not a member of this workspace.")
    if member.role == "owner" and _owner_count(session, workspace_id) == 1:
        raise CurationError("A workspace keeps at least one owner. Make someone else owner first.")
    session.delete(member)
    audit(session, workspace_id, actor, "member.remove", email=email)


def list_audit(session: Session, workspace_id: int, actor: Actor, limit: int = 200) -> list[AuditEvent]:
    require_role(session, workspace_id, actor, "viewer")
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
