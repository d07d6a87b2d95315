"""Saved plans, so every teammate sees the same schedule."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.errors import CurationError, NotFound
from curation.store.access import Actor, audit, now, require_role
from curation.store.models import Draft, Schedule


def save_schedule(
    session: Session, workspace_id: int, actor: Actor, name: str, constraints: dict, plan: dict,
    built_for: int | None = None,
) -> Schedule:
    """Save a plan into ``workspace_id``; refused when it was built for another workspace.

    ``built_for`` is the workspace the plan was built in (the page that built it says so); the drafts the
    plan names must belong to this workspace too, so another account's text never lands here.
    """
    require_role(session, workspace_id, actor, "editor")
    if built_for is not None and built_for != workspace_id:
        raise CurationError(f"This plan was built in workspace {built_for}, not in this one ({workspace_id}). "
                            "Open that workspace to save it there, or build a new plan here.")
    named = {int(x["draft_id"]) for part in ("slots", "left_out") for x in plan.get(part, [])}
    if named:
        mine = set(session.scalars(select(Draft.id).where(Draft.workspace_id == workspace_id,
                                                          Draft.id.in_(named))))
        if foreign := sorted(named - mine):
            listed = ", ".join(map(str, foreign))
            raise CurationError(f"This plan names drafts that are not in this workspace ({listed})"
                                ": it was built in another one. Build the plan again in this workspace.")
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
