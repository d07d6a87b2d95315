"""Workspaces and their members: create, find, list, settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.errors import CurationError, NotFound
from curation.store.access import Actor, audit, get_workspace, now, require_role, role_of
from curation.store.models import AuditEvent, Member, Workspace


def check_timezone(tz: str) -> str:
    """Return ``tz`` if it is an IANA zone name, else raise a CurationError that says so."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CurationError(
            f"Unknown timezone {tz!r}. Use an IANA name such as Europe/Berlin or America/New_York."
        ) from exc
    return tz


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
    email = email.strip().lower()
    if "@" not in email:
        raise CurationError(f"{email!r} is not an e-mail address. Members are known by their sign-in e-mail.")
    if role not in ("owner", "editor", "viewer"):
        raise CurationError("Role must be owner, editor or viewer.")
    member = session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.email == email))
    if member is None:
        member = Member(workspace_id=workspace_id, email=email, role=role, added_by=actor.email, added_at=now())
        session.add(member)
    else:
        member.role = role
    audit(session, workspace_id, actor, "member.set", email=email, role=role)
    return member


def remove_member(session: Session, workspace_id: int, actor: Actor, email: str) -> None:
    require_role(session, workspace_id, actor, "owner")
    email = email.strip().lower()  # as set_member stores it
    member = session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.email == email))
    if member is None:
        raise NotFound(f"{email} is not a member of this workspace.")
    owners = session.scalars(
        select(Member).where(Member.workspace_id == workspace_id, Member.role == "owner")
    ).all()
    if member.role == "owner" and len(owners) == 1:
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
