"""Page data cached at the edge: computed once per workspace and data version, shared by every session of a process.

Keys are the workspace id, its data version and the view's settings (never a database URL, which
may carry a password); an import bumps the data version, so the next visit computes afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from curation.audience.report import AudienceReport
from curation.plan.best_times import best_times
from curation.plan.volume import volume
from curation.plan.worked import trend, what_worked
from curation.store.access import Actor
from curation.store.db import user_error
from curation.ui import figures
from curation.workspace.audience import build_report
from curation.workspace.planning import History


@dataclass(frozen=True)
class Outcome:
    """One analysis: its finding and figure, or the message of the domain error it raised."""

    value: Any = None
    figure: Any = None
    error: str | None = None


def _attempt(compute: Callable[[], Any], draw: Callable[[Any], Any]) -> Outcome:
    try:
        value = compute()
    except Exception as exc:
        message = user_error(exc)
        if message is None:  # a bug: the page shows the traceback
            raise
        return Outcome(error=message)
    return Outcome(value, draw(value) if value else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _insights(workspace_id: int, data_version: int, tz: str, target: str, database: int,
              _hist: History) -> dict[str, Outcome]:
    t, e = _hist.tweets, _hist.expected
    return {
        "worked": _attempt(lambda: what_worked(t, tz, target), figures.what_worked_figure),
        "trend": _attempt(lambda: trend(t, tz, target), figures.trend_figure),
        "best_times": _attempt(lambda: best_times(t, tz, e, target), figures.best_times_figure),
        "volume": _attempt(lambda: volume(t, tz, e, target), figures.volume_figure),
    }


def insights_page(workspace_id: int, hist: History, database: object) -> dict[str, Outcome]:
    """Every Insights finding with its figure, for this data version (the caller has checked the viewer role).

    ``database`` is the app's engine: its identity keeps two databases in one process (tests) apart.
    """
    return _insights(workspace_id, hist.data_version, hist.tz, hist.target, id(database), hist)


@st.cache_data(show_spinner=False, max_entries=32)
def _audience(workspace_id: int, data_version: int, email: str, database: int, _actor: Actor) -> AudienceReport:
    from curation.ui import session

    with session() as s:
        return build_report(s, workspace_id, _actor)


def audience_report(workspace_id: int, data_version: int, actor: Actor, database: object) -> AudienceReport:
    """The Audience page's report for this data version and user, built once for Audience and Insights alike."""
    return _audience(workspace_id, data_version, actor.email, id(database), actor)


@st.cache_data(show_spinner=False, max_entries=16)
def _growth(workspace_id: int, data_version: int, email: str, database: int, _actor: Actor) -> Outcome:
    def compute() -> Any:
        return _audience(workspace_id, data_version, email, database, _actor).growth

    return _attempt(compute, lambda g: figures.growth_figure(g) if len(g.table) else None)


def growth_page(workspace_id: int, data_version: int, actor: Actor, database: object) -> Outcome:
    """What moved followers: the Audience page's one analysis (audience.weekly_growth), for Insights to show too."""
    return _growth(workspace_id, data_version, actor.email, id(database), actor)


def result_of(outcome: Outcome) -> Any:
    """The outcome's finding; its error shown as st.error (as ui.run would) and None instead."""
    if outcome.error is not None:
        from curation.ui import error

        error(outcome.error)
    return outcome.value
