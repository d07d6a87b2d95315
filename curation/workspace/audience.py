"""Reading and writing a workspace's audience data: snapshots, daily follows, id lists, the report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from curation.audience.ratio import id_key
from curation.audience.report import AudienceData, AudienceReport, audience_report
from curation.errors import CurationError
from curation.store.access import Actor, audit, bump_data_version, get_workspace, require_role
from curation.store.models import AccountSnapshot, AudienceId, DailyMetric, Tweet
from curation.store.snapshots import snapshot_of

EARLIEST_DAY = date(2006, 3, 21)  # the first tweet


class InvalidSnapshot(CurationError):
    """Typed-in follower/following counts that cannot be right."""


# --------------------------------------------------------------------------- loading and writing
_DAILY_COLS = ("follows", "unfollows", "tweets_published", "url_clicks", "likes", "reposts")
_TWEET_COLS = ("created_at", "is_retweet", "url_clicks", "likes", "reposts", "follows")


def load_audience(session: Session, workspace_id: int, actor: Actor) -> AudienceData:
    """Snapshots, daily follows, per-tweet follows and the archive's id lists of a workspace."""
    require_role(session, workspace_id, actor, "viewer")
    ws = get_workspace(session, workspace_id)
    snaps = pd.DataFrame(
        session.execute(
            select(AccountSnapshot.day, AccountSnapshot.followers, AccountSnapshot.following, AccountSnapshot.source)
            .where(AccountSnapshot.workspace_id == workspace_id)
            .order_by(AccountSnapshot.day)
        ).all(),
        columns=["day", "followers", "following", "source"],
    )
    daily = pd.DataFrame(
        session.execute(
            select(DailyMetric.day, *[getattr(DailyMetric, c) for c in _DAILY_COLS])
            .where(DailyMetric.workspace_id == workspace_id)
            .order_by(DailyMetric.day)
        ).all(),
        columns=["day", *_DAILY_COLS],
    )
    tweets = pd.DataFrame(
        session.execute(
            select(*[getattr(Tweet, c) for c in _TWEET_COLS]).where(Tweet.workspace_id == workspace_id)
        ).all(),
        columns=list(_TWEET_COLS),
    )
    tweets["created_at"] = pd.to_datetime(tweets["created_at"], utc=True)
    for frame, cols in ((daily, _DAILY_COLS), (tweets, _TWEET_COLS[2:]), (snaps, ("followers", "following"))):
        for c in cols:
            frame[c] = pd.to_numeric(frame[c]).astype("Int64")
    ids: dict[str, list[str]] = {"follower": [], "following": []}
    for kind, account_id in session.execute(
        select(AudienceId.kind, AudienceId.account_id).where(AudienceId.workspace_id == workspace_id)
    ):
        ids.setdefault(kind, []).append(account_id)
    archive = snaps[snaps["source"] == "archive"]

    def id_list(kind: str, column: str) -> list[str] | None:
        # No rows can mean "no list uploaded" or "an uploaded list of nobody": the archive snapshot tells.
        if ids[kind] or (archive[column].notna() & (archive[column] == 0)).any():
            return sorted(ids[kind], key=id_key)
        return None

    return AudienceData(
        name=ws.name,
        tz=ws.timezone or "UTC",
        snapshots=snaps,
        daily=daily,
        tweets=tweets,
        followers_ids=id_list("follower", "followers"),
        following_ids=id_list("following", "following"),
        ids_as_of=archive["day"].max() if len(archive) else None,
    )


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidSnapshot(f"The {what} count must be a whole number, not {value!r}.")
    if not 0 <= int(value) < 10**10:
        raise InvalidSnapshot(f"The {what} count must be between 0 and 9,999,999,999; {value:,} is not.")
    return int(value)


def add_snapshot(
    session: Session, workspace_id: int, actor: Actor, day: date, followers: int, following: int
) -> AccountSnapshot:
    """Record typed-in follower/following counts for a day (editors); a second entry that day replaces the first.

    Raises PermissionDenied for viewers and InvalidSnapshot for counts or dates that cannot be right.
    """
    require_role(session, workspace_id, actor, "editor")
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidSnapshot(f"Give the day as a date (YYYY-MM-DD), not {day!r}.")
    latest = datetime.now(UTC).date() + timedelta(days=1)  # a day ahead: the user's timezone may be ahead of UTC
    if not EARLIEST_DAY <= day <= latest:
        raise InvalidSnapshot(
            f"{day.isoformat()} is outside {EARLIEST_DAY.isoformat()} to today. Give the day you read the counts."
        )
    followers = _check_count(followers, "followers")
    following = _check_count(following, "following")
    snap = snapshot_of(session, workspace_id, day, "manual")
    snap.followers, snap.following = followers, following
    audit(session, workspace_id, actor, "audience.snapshot", day=day.isoformat(), followers=followers,
          following=following)
    bump_data_version(session, workspace_id)
    return snap


def build_report(session: Session, workspace_id: int, actor: Actor) -> AudienceReport:
    """Load a workspace's audience data and analyse it (viewers may)."""
    return audience_report(load_audience(session, workspace_id, actor))
