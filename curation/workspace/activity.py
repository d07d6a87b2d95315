"""A workspace's activity in words: "a@b.com retrained the model on 1,409 tweets", in the team's timezone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from curation.store.access import as_utc
from curation.store.models import AuditEvent


def _n(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _count(items: Any, one: str, many: str) -> str:
    n = len(items) if isinstance(items, list | tuple) else int(items or 0)
    return f"{n:,} {one if n == 1 else many}"


def _files(names: Any) -> str:
    parts = [p.strip() for p in str(names or "").split(",") if p.strip()]
    return parts[0] if len(parts) == 1 else f"{len(parts)} files"


def _edit(d: Mapping) -> str:
    if "status" in d:
        verb = {"approved": "approved", "rejected": "rejected", "draft": "sent back to draft"}.get(d["status"],
                                                                                                  d["status"])
        return f"{verb} draft #{d.get('id')}" + (" with a comment" if d.get("comment") else "")
    if "text" in d:
        return f"rewrote draft #{d.get('id')}"
    return f"commented on draft #{d.get('id')}"


_SAY: dict[str, Callable[[Mapping], str]] = {
    "model.train": lambda d: f"retrained the model on {_n(d.get('n_train', '?'))} tweets"
                             + (" (using the recent median: the model did not beat it)" if d.get("used") not in
                                (None, "model") else ""),
    "model.options": lambda d: "included replies in learning" if d.get("include_replies") else
                               "left replies out of learning",
    "draft.add": lambda d: f"added {_count(d.get('ids', []), 'draft', 'drafts')}"
                           + (" as approved" if d.get("status") == "approved" else ""),
    "draft.edit": _edit,
    "plan.save": lambda d: f"saved the plan \u201c{d.get('name')}\u201d with "
                           f"{_count(d.get('posts', 0), 'post', 'posts')}",
    "upload": lambda d: f"imported {_files(d.get('files'))}: {_n(d.get('new', 0))} new tweets, "
                        f"{_n(d.get('updated', 0))} updated",
    "upload.delete": lambda d: f"deleted upload #{d.get('upload_id', d.get('id', '?'))}",
    "member.set": lambda d: f"made {d.get('email')} {d.get('role')}",
    "member.remove": lambda d: f"removed {d.get('email')}",
    "workspace.create": lambda d: f"created the workspace \u201c{d.get('name')}\u201d",
    "workspace.timezone": lambda d: f"set the timezone to {d.get('timezone')}",
    "workspace.export": lambda d: "exported the workspace",
    "workspace.restore": lambda d: f"restored an export ({d.get('source')})",
    "audience.snapshot": lambda d: f"typed in follower counts for {d.get('day')}",
    "demo.seed": lambda d: f"loaded the demo with {_n(d.get('tweets', 0))} tweets",
}


def describe(actor: str, action: str, detail: Mapping | None) -> str:
    """One event as a sentence; an action this module does not know reads as its name and details."""
    d = detail or {}
    say = _SAY.get(action)
    try:
        words = say(d) if say else None
    except (TypeError, ValueError, KeyError):
        words = None
    if words is None:
        words = f"{action} " + ", ".join(f"{k} {v}" for k, v in d.items())
    return f"{actor} {words.strip()}"


def activity_frame(events: Iterable[AuditEvent], tz: str) -> pd.DataFrame:
    """Newest first: when (in ``tz``) and what happened, in words."""
    rows = [(pd.Timestamp(as_utc(e.at)).tz_convert(tz), describe(e.actor, e.action, e.detail)) for e in events]
    return pd.DataFrame(rows, columns=["when", "what happened"])
