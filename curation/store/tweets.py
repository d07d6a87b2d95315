"""Tweets in the database: load as a canonical frame, and merge parsed exports into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Select, String, bindparam, literal, select, type_coerce, update
from sqlalchemy.orm import Session

from curation.schema import METRICS, TWEET_COLUMNS
from curation.store.access import Actor, require_role
from curation.store.db import bulk_execute, bulk_insert, lock_workspace
from curation.store.models import Tweet, TweetUpload

# Which source's text and structure win when two exports describe the same tweet: archives keep
# newlines, media and language; the legacy CSV keeps newlines; the new CSV flattens them.
TEXT_RANK: dict[str, int] = {
    "x_archive": 3,
    "legacy_archive_csv": 3,
    "grailbird": 3,
    "mastodon": 3,
    "demo": 3,
    "legacy_analytics": 2,
    "x_content": 1,
}
STRUCT_COLUMNS: tuple[str, ...] = (
    "created_at",
    "text",
    "is_reply",
    "is_retweet",
    "has_link",
    "link_domains",
    "n_hashtags",
    "n_mentions",
    "media_type",
    "lang",
)
_STATE_COLUMNS = ("pk", "text_rank", "metrics_as_of", "source_format")


def load_tweets(session: Session, workspace_id: int, actor: Actor, include_state: bool = False) -> pd.DataFrame:
    """The workspace's tweets as a canonical frame (schema.TWEET_COLUMNS), oldest first."""
    require_role(session, workspace_id, actor, "viewer")
    # Times come back raw and are parsed in one vectorised step (SQLite's per-row parsing is slow).
    cols = [type_coerce(Tweet.created_at, String).label("created_at") if c == "created_at" else getattr(Tweet, c)
            for c in TWEET_COLUMNS]
    if include_state:
        cols += [Tweet.id.label("pk"), Tweet.text_rank, type_coerce(Tweet.metrics_as_of, String).label("metrics_as_of"),
                 Tweet.source_format]
    stmt = select(*cols).where(Tweet.workspace_id == workspace_id).order_by(Tweet.created_at, Tweet.tweet_id)
    rows = raw_rows(session, stmt)
    names = list(TWEET_COLUMNS) + (list(_STATE_COLUMNS) if include_state else [])
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame = pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in zip(names, columns, strict=True)})
    return normalise_tweets(frame)


def raw_rows(session: Session, stmt: Select) -> list[tuple]:
    """The statement's rows as the driver returns them: no per-value result processing (a third of a
    50k-tweet read); callers normalise the columns in one vectorised step."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args = tuple(params[k] for k in compiled.positiontup) if compiled.positiontup else params
    cursor = conn.connection.driver_connection.cursor()  # same transaction as the session
    try:
        cursor.execute(compiled.string, args)
        return cursor.fetchall()
    finally:
        cursor.close()


def load_for_merge(session: Session, workspace_id: int, actor: Actor) -> pd.DataFrame:
    """The stored rows with their merge state, indexed by tweet_id, read under the workspace's write lock.

    The lock lasts until the caller's transaction ends, so no other import can write between this
    read and the caller's write: concurrent imports take turns, and both of their changes stay.
    """
    require_role(session, workspace_id, actor, "editor")
    lock_workspace(session, workspace_id)
    return load_tweets(session, workspace_id, actor, include_state=True).set_index("tweet_id")


def normalise_tweets(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a tweet frame the canonical dtypes (UTC times, nullable integer metrics)."""
    frame = frame.copy()
    frame["tweet_id"] = frame["tweet_id"].astype(str)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["text"] = frame["text"].fillna("").astype(str)
    frame["link_domains"] = frame["link_domains"].fillna("").astype(str)
    for col in ("is_reply", "is_retweet", "has_link"):
        frame[col] = frame[col].fillna(False).astype(bool)
    for col in ("n_hashtags", "n_mentions"):
        frame[col] = pd.to_numeric(frame[col]).fillna(0).astype(int)
    for col in ("media_type", "lang"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    for col in METRICS:
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    if "metrics_as_of" in frame:
        frame["metrics_as_of"] = pd.to_datetime(frame["metrics_as_of"], utc=True)
    return frame


@dataclass
class MergeCounts:
    """What one file did to the merged frame; ``dirty`` are the ids whose row must be written."""

    new: int
    updated: int
    unchanged: int
    dirty: pd.Index


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise 'not equal', where two missing values are equal."""
    a_na, b_na = a.isna().to_numpy(), b.isna().to_numpy()
    av, bv = a.astype(object).to_numpy(copy=True), b.astype(object).to_numpy(copy=True)
    av[a_na], bv[b_na] = None, None  # pd.NA refuses to be compared
    eq = (av == bv) & ~a_na & ~b_na
    return ~(eq | (a_na & b_na))


def merge_into(
    current: pd.DataFrame, incoming: pd.DataFrame, fmt: str, as_of: datetime | None
) -> tuple[pd.DataFrame, MergeCounts]:
    """Fold one parsed file into ``current`` (indexed by tweet_id) and count new/updated/unchanged.

    Text and structure come from the higher-ranked source (archives over CSVs); each metric takes
    the value of the newest export that has it, and a missing value never replaces a number.
    """
    rank = TEXT_RANK.get(fmt, 0)
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else pd.NaT
    if not pd.isna(as_of_ts) and as_of_ts.tzinfo is None:
        as_of_ts = as_of_ts.tz_localize("UTC")
    inc = normalise_tweets(incoming).drop_duplicates("tweet_id", keep="last").set_index("tweet_id")
    inc["text_rank"] = rank
    inc["metrics_as_of"] = pd.Series(as_of_ts, index=inc.index, dtype="datetime64[ns, UTC]")
    inc["source_format"] = fmt
    inc["pk"] = pd.NA

    new_ids = inc.index.difference(current.index)
    both = inc.index.intersection(current.index)
    if len(both):
        cur = current.loc[both]
        new = inc.loc[both]
        merged = cur.copy()
        take_struct = (new["text_rank"].to_numpy() >= cur["text_rank"].to_numpy())
        for col in STRUCT_COLUMNS:
            candidate = new[col]
            if candidate.dtype == object:  # optional values (media, language): keep what we knew
                candidate = candidate.where(candidate.notna(), cur[col])
            merged[col] = cur[col].where(~take_struct, candidate.astype(cur[col].dtype))
        merged["text_rank"] = np.maximum(cur["text_rank"].to_numpy(), rank)
        merged["source_format"] = cur["source_format"].where(~take_struct, fmt)
        cur_asof = cur["metrics_as_of"]
        # An export of unknown date counts as newer only than rows whose date is unknown too.
        newer = cur_asof.isna().to_numpy()
        if not pd.isna(as_of_ts):
            newer = newer | (cur_asof <= as_of_ts).fillna(False).to_numpy()
        for col in METRICS:
            has_new = new[col].notna().to_numpy()
            take = has_new & (newer | cur[col].isna().to_numpy())
            merged[col] = cur[col].where(~take, new[col])
        if not pd.isna(as_of_ts):
            merged["metrics_as_of"] = cur_asof.where(~newer, as_of_ts)
        changed = np.zeros(len(both), dtype=bool)
        for col in (*STRUCT_COLUMNS, *METRICS):
            changed |= _differs(merged[col], cur[col])
        n_updated = int(changed.sum())
        # A newer export with the same numbers is no update, but its date is worth keeping.
        dirty = changed | _differs(merged["metrics_as_of"], cur_asof)
        current = current.copy()
        merged = merged[dirty]
        if len(merged):
            current.loc[merged.index, merged.columns] = merged
        dirty_ids = merged.index
    else:
        n_updated, dirty_ids = 0, pd.Index([])
    if len(new_ids):
        current = pd.concat([current, inc.loc[new_ids, current.columns]]) if len(current) else inc.loc[new_ids]
    counts = MergeCounts(new=len(new_ids), updated=n_updated, unchanged=len(both) - n_updated,
                         dirty=dirty_ids.append(new_ids))
    return current, counts


def write_merged(
    session: Session,
    workspace_id: int,
    upload_id: int,
    before: pd.DataFrame,
    after: pd.DataFrame,
    dirty: pd.Index,
    touched: pd.Index,
) -> None:
    """Write the ``dirty`` rows of ``after`` (insert new ids, update known ones); link ``touched`` to the upload."""
    value_cols = [c for c in TWEET_COLUMNS if c != "tweet_id"] + ["text_rank", "metrics_as_of", "source_format"]
    table = Tweet.__table__
    rows = after.loc[dirty.unique()]
    is_new = ~rows.index.isin(before.index)
    new_rows = rows[is_new].rename_axis("tweet_id").reset_index()
    if len(new_rows):
        new_rows["workspace_id"] = workspace_id
        new_rows["first_upload_id"] = upload_id
        new_rows["last_upload_id"] = upload_id
        new_rows["created_at"] = pd.to_datetime(new_rows["created_at"], utc=True)
        cols = ["workspace_id", "tweet_id", *value_cols, "first_upload_id", "last_upload_id"]
        bulk_insert(session, table, new_rows[cols])
    upd = rows[~is_new].copy()
    if len(upd):
        upd["b_id"] = before.loc[upd.index, "pk"].astype(int)
        upd["last_upload_id"] = upload_id
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(c) for c in [*value_cols, "last_upload_id"]})
        )
        bulk_execute(session, stmt, upd[["b_id", *value_cols, "last_upload_id"]])
    if len(touched):
        pks = pd.Series(before["pk"].to_numpy(), index=before.index).dropna()
        known = touched.intersection(pks.index)
        links = pks.loc[known].astype("int64").to_numpy()
        if len(links):
            bulk_insert(session, TweetUpload.__table__, pd.DataFrame({"tweet_pk": links, "upload_id": upload_id}))
        if len(new_rows):
            # The ids this upload brought are exactly the rows it inserted: link them inside the
            # database rather than reading 100k primary keys back into Python.
            links_table = TweetUpload.__table__
            session.execute(links_table.insert().from_select(
                ["tweet_pk", "upload_id"],
                select(Tweet.id, literal(upload_id)).where(
                    Tweet.workspace_id == workspace_id, Tweet.first_upload_id == upload_id
                ),
            ))


def tweets_of_upload(
    session: Session, workspace_id: int, actor: Actor, upload_id: int, limit: int = 200
) -> pd.DataFrame:
    """The tweets an upload brought or touched, newest first (for the import preview)."""
    require_role(session, workspace_id, actor, "viewer")
    cols = ["tweet_id", "created_at", "text", "is_reply", "is_retweet", "has_link", "media_type", *METRICS]
    stmt = (
        select(*[getattr(Tweet, c) for c in cols])
        .join(TweetUpload, TweetUpload.tweet_pk == Tweet.id)
        .where(Tweet.workspace_id == workspace_id, TweetUpload.upload_id == upload_id)
        .order_by(Tweet.created_at.desc())
        .limit(limit)
    )
    frame = pd.DataFrame.from_records(session.execute(stmt).all(), columns=cols)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame.dropna(axis=1, how="all")


def merge_in_memory(files: Sequence[tuple[pd.DataFrame, str, datetime | None]]) -> pd.DataFrame:
    """Merge parsed tweet frames (oldest export first) the way an import does, without a database."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in (*TWEET_COLUMNS, *_STATE_COLUMNS)})
    current = normalise_tweets(empty).set_index("tweet_id")
    for tweets, fmt, as_of in files:
        current, _ = merge_into(current, tweets, fmt, as_of)
    return current.reset_index()[list(TWEET_COLUMNS)]
