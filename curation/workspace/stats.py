"""Workspace statistics: tweet counts, date span, metric coverage, uploads."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from curation.schema import METRICS
from curation.store.access import Actor, as_utc, get_workspace, require_role
from curation.store.models import DailyMetric, Draft, Tweet, Upload


def workspace_stats(session: Session, workspace_id: int, actor: Actor) -> dict:
    """Counts a user checks first: tweets, span, share of tweets having each metric, uploads."""
    require_role(session, workspace_id, actor, "viewer")
    ws = get_workspace(session, workspace_id)
    where = Tweet.workspace_id == workspace_id
    metric_counts = [func.count(getattr(Tweet, m)) for m in METRICS]
    row = session.execute(
        select(
            func.count(Tweet.id),
            func.min(Tweet.created_at),
            func.max(Tweet.created_at),
            func.sum(func.cast(Tweet.is_retweet, Tweet.n_hashtags.type)),
            func.sum(func.cast(Tweet.is_reply, Tweet.n_hashtags.type)),
            func.sum(func.cast(Tweet.has_link, Tweet.n_hashtags.type)),
            *metric_counts,
        ).where(where)
    ).one()
    n = row[0] or 0
    by_source = dict(
        session.execute(
            select(Tweet.source_format, func.count()).where(where).group_by(Tweet.source_format)
        ).all()
    )
    uploads = session.scalar(select(func.count()).select_from(Upload).where(Upload.workspace_id == workspace_id))
    days = session.scalar(
        select(func.count()).select_from(DailyMetric).where(DailyMetric.workspace_id == workspace_id)
    )
    drafts = session.scalar(select(func.count()).select_from(Draft).where(Draft.workspace_id == workspace_id))
    return {
        "workspace": ws.name,
        "timezone": ws.timezone,
        "tweets": n,
        "retweets": int(row[3] or 0),
        "replies": int(row[4] or 0),
        "with_link": int(row[5] or 0),
        "first": as_utc(row[1]).isoformat() if row[1] else None,
        "last": as_utc(row[2]).isoformat() if row[2] else None,
        "coverage": {m: (round(c / n, 4) if n else 0.0) for m, c in zip(METRICS, row[6:], strict=True)},
        "by_source": by_source,
        "uploads": uploads or 0,
        "daily_days": days or 0,
        "drafts": drafts or 0,
        "data_version": ws.data_version,
    }
