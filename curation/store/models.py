"""SQLAlchemy tables: the database is the source of truth for every workspace."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from curation.schema import DAILY_METRICS, METRICS


class Base(DeclarativeBase):
    pass


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    data_version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every data change
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))  # owner | editor | viewer
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Upload(Base):
    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    filenames: Mapped[str] = mapped_column(Text)
    formats: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    n_new: Mapped[int] = mapped_column(Integer, default=0)
    n_updated: Mapped[int] = mapped_column(Integer, default=0)
    n_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict] = mapped_column(JSON)


class Tweet(Base):
    __tablename__ = "tweets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "tweet_id"),
        Index("ix_tweets_ws_created", "workspace_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    tweet_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text, default="")
    is_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    is_retweet: Mapped[bool] = mapped_column(Boolean, default=False)
    has_link: Mapped[bool] = mapped_column(Boolean, default=False)
    link_domains: Mapped[str] = mapped_column(Text, default="")
    n_hashtags: Mapped[int] = mapped_column(Integer, default=0)
    n_mentions: Mapped[int] = mapped_column(Integer, default=0)
    media_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Which kind of source last set the text: archives (2) beat analytics CSVs (1, 0) for text.
    text_rank: Mapped[int] = mapped_column(Integer, default=0)
    source_format: Mapped[str] = mapped_column(String(32))
    metrics_as_of: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"), nullable=True
    )
    last_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"), nullable=True
    )
    # One nullable column per metric (schema.METRICS): NULL is "the export did not say", not 0.
    for _m in METRICS:
        vars()[_m] = mapped_column(BigInteger, nullable=True)
    del _m


class TweetUpload(Base):
    """Which uploads brought or touched a tweet, so deleting an upload removes only what it alone brought."""

    __tablename__ = "tweet_uploads"
    tweet_pk: Mapped[int] = mapped_column(ForeignKey("tweets.id", ondelete="CASCADE"), primary_key=True)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DailyMetric(Base):
    __tablename__ = "daily_metrics"
    __table_args__ = (UniqueConstraint("workspace_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"), nullable=True)
    for _m in DAILY_METRICS:
        vars()[_m] = mapped_column(BigInteger, nullable=True)
    del _m


class AccountSnapshot(Base):
    """Follower and following counts on a day, from an archive, a daily CSV or typed in."""

    __tablename__ = "account_snapshots"
    __table_args__ = (UniqueConstraint("workspace_id", "day", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    followers: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    following: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source: Mapped[str] = mapped_column(String(32))  # archive | manual | demo
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), nullable=True)


class AudienceId(Base):
    """Account ids from an archive's follower.js / following.js (the archive has no names)."""

    __tablename__ = "audience_ids"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # follower | following
    account_id: Mapped[str] = mapped_column(String(32))
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), nullable=True)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(32))
    card: Mapped[dict] = mapped_column(JSON)
    # The skops artifact, so a replica without the file on disk loads it instead of retraining.
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Expectation(Base):
    """The content-only expectation (model.expected_without_time) of one data version, fitted once.

    Every replica reads it instead of refitting (seconds at 50k tweets); ``values`` is JSON
    ``{"tweet_id": [...], "expected": [...]}``, or null when the history was too small to fit it.
    """

    __tablename__ = "expectations"
    __table_args__ = (UniqueConstraint("workspace_id", "data_version", "tz"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    data_version: Mapped[int] = mapped_column(Integer)
    tz: Mapped[str] = mapped_column(String(64))
    values: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Draft(Base):
    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | approved | rejected
    comment: Mapped[str] = mapped_column(Text, default="")
    predicted: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    percentile: Mapped[float | None] = mapped_column(Float, nullable=True)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="SET NULL"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Schedule(Base):
    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    constraints: Mapped[dict] = mapped_column(JSON)
    plan: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=True, index=True
    )
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
