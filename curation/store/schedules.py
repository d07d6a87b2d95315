"""Saved plans, so every teammate sees the same schedule."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.errors import NotFound
from curation.store.access import Actor, audit, now, require_role
from curation.store.models import Schedule


def save_schedule(
    session: Session, workspace_id: int, actor: Actor, name: str, constraints: dict, plan: dict
) -> Schedule:
    require_role(session, workspace_id, actor, "editor")
    sched = Schedule(workspace_id=workspace_id, name=name.strip() or "Plan", constraints=constraints, plan=plan,
                     created_by=actor.email, created_at=now())
    session.add(sched)
    session.flush()
    audit(session, workspace_id, actor, "plan.save", id=sched.id, name=sched.name, posts=len(plan.get("slots", [])))
    return sched


def list_schedules(session: Session, workspace_id: int, actor: Actor) -> list[Schedule]:
    require_role(session, workspace_id, actor, "viewer")
    return list(session.scalars(
        select(Schedule).where(Schedule.workspace_id == workspace_id).order_by(Schedule.id.desc())
    ))


def get_schedule(session: Session, workspace_id: int, actor: Actor, schedule_id: int) -> Schedule:
    require_role(session, workspace_id, actor, "viewer")
    sched = session.get(Schedule, schedule_id)
    if sched is None or sched.workspace_id != workspace_id:
        raise NotFound(f"Plan {schedule_id} does not exist in this workspace.")
    return sched
