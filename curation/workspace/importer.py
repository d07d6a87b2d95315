"""Import uploaded exports into a workspace: parse, merge, and write in one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from curation import ingest
from curation.errors import ImportFailed
from curation.ingest.x_archive import gc_paused
from curation.schema import DAILY_METRICS, TWEET_COLUMNS
from curation.store.access import Actor, audit, bump_data_version, now, require_role
from curation.store.db import session_scope
from curation.store.models import AudienceId, DailyMetric, Tweet, Upload
from curation.store.snapshots import snapshot_of
from curation.store.tweets import load_for_merge, merge_into, write_merged

Progress = Callable[[float, str], None]


@dataclass
class FileReport:
    name: str
    format: str
    rows_read: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)  # {"row", "reason"}
    warnings: list[str] = field(default_factory=list)
    daily_days: int = 0
    followers: int | None = None
    following: int | None = None
    account_handle: str | None = None  # lower case, no "@"; None when the file does not say
    account_id: str | None = None


@dataclass
class ImportReport:
    """What one upload did: per file and in total.

    ``account_handle`` is the account this upload belongs to (lower case, no "@"; Mastodon as
    ``user@host``). When the workspace already holds another account's tweets, ``other_account``
    is that account and ``suggested_workspace`` a workspace name for this upload (the page
    offers to import there); ``warnings`` says so in words (also in the file's own warnings).
    """

    files: list[FileReport]
    new: int
    updated: int
    unchanged: int
    first: str | None
    last: str | None
    upload_id: int | None = None
    account_handle: str | None = None
    account_id: str | None = None
    other_account: str | None = None
    suggested_workspace: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def changed(self) -> bool:
        return self.new + self.updated > 0 or any(f.daily_days or f.followers or f.following for f in self.files)


def _merge_daily(session: Session, workspace_id: int, upload_id: int, daily: pd.DataFrame) -> int:
    """Upsert account-level daily rows; a metric the file lacks keeps its stored value."""
    if daily.empty:
        return 0
    existing = {
        row.day: row
        for row in session.scalars(
            select(DailyMetric).where(
                DailyMetric.workspace_id == workspace_id, DailyMetric.day.in_(list(daily["day"]))
            )
        )
    }
    for rec in daily.to_dict("records"):
        day: date = rec["day"]
        row = existing.get(day)
        if row is None:
            row = DailyMetric(workspace_id=workspace_id, day=day, upload_id=upload_id)
            session.add(row)
        for metric in DAILY_METRICS:
            value = rec.get(metric)
            if value is not None and not pd.isna(value):
                setattr(row, metric, int(value))
    return len(daily)


def _store_audience(session: Session, workspace_id: int, upload_id: int, parsed: ingest.ParsedFile) -> None:
    """Follower/following ids and a snapshot of their counts at the export's date."""
    day = (parsed.as_of or now()).date()
    for kind, ids in (("follower", parsed.followers), ("following", parsed.following)):
        if ids is None:
            continue
        # An archive lists everyone at that date: replace the previous list of this kind.
        session.execute(delete(AudienceId).where(AudienceId.workspace_id == workspace_id, AudienceId.kind == kind))
        session.add_all(
            AudienceId(workspace_id=workspace_id, kind=kind, account_id=str(a), upload_id=upload_id)
            for a in dict.fromkeys(ids)
        )
    snap = snapshot_of(session, workspace_id, day, "archive", upload_id)
    if parsed.followers is not None:
        snap.followers = len(set(parsed.followers))
    if parsed.following is not None:
        snap.following = len(set(parsed.following))


def at_handle(handle: str) -> str:
    """How an account is shown: `@name` (X) or `@user@host` (Mastodon)."""
    return f"@{handle}"


def workspace_accounts(session: Session, workspace_id: int, exclude_upload: int | None = None) -> Counter[str]:
    """Accounts of the workspace's earlier uploads, by how many tweets each brought.

    Keys are handles, or ``id:<digits>`` for uploads that only named the numeric account id
    (a tweets.js without manifest). Uploads made before accounts were recorded do not count.
    """
    counts: Counter[str] = Counter()
    rows = session.execute(
        select(Upload.id, Upload.report).where(Upload.workspace_id == workspace_id)
    ).all()
    for upload_id, report in rows:
        if upload_id == exclude_upload or not isinstance(report, dict):
            continue
        key = _account_key(report.get("account_handle"), report.get("account_id"))
        if key:
            counts[key] += max(int(report.get("new") or 0) + int(report.get("updated") or 0), 1)
    return counts


def tweet_accounts(session: Session, workspace_id: int, actor: Actor) -> pd.Series:
    """Each stored tweet's account handle (index tweet_id; None where its upload did not say).

    The account is the one of the upload that first brought the tweet, so Insights can warn
    when a workspace mixes accounts: ``tweets.assign(account_handle=tweets.tweet_id.map(...))``.
    """
    require_role(session, workspace_id, actor, "viewer")
    handles = {
        upload_id: report.get("account_handle") if isinstance(report, dict) else None
        for upload_id, report in session.execute(
            select(Upload.id, Upload.report).where(Upload.workspace_id == workspace_id)
        )
    }
    rows = session.execute(
        select(Tweet.tweet_id, Tweet.first_upload_id).where(Tweet.workspace_id == workspace_id)
    ).all()
    return pd.Series([handles.get(u) for _, u in rows], index=[t for t, _ in rows], dtype=object, name="account_handle")


def tweet_handles(session: Session, workspace_id: int, actor: Actor) -> list[str | None]:
    """The account handles of the uploads that first brought the workspace's tweets (one per upload).

    The set tweet_accounts would give, from one DISTINCT query instead of a row per tweet.
    """
    require_role(session, workspace_id, actor, "viewer")
    firsts = set(session.scalars(
        select(Tweet.first_upload_id).where(Tweet.workspace_id == workspace_id).distinct()
    ))
    return [
        report.get("account_handle") if isinstance(report, dict) else None
        for upload_id, report in session.execute(
            select(Upload.id, Upload.report).where(Upload.workspace_id == workspace_id)
        )
        if upload_id in firsts
    ]


def _account_key(handle: object, account_id: object) -> str | None:
    if isinstance(handle, str) and handle:
        return handle
    if isinstance(account_id, str) and account_id:
        return f"id:{account_id}"
    return None


def _shown(key: str) -> str:
    return f"the account with id {key[3:]}" if key.startswith("id:") else at_handle(key)


def _check_account(session: Session, workspace_id: int, upload_id: int, report: ImportReport,
                   parsed: Sequence[ingest.ParsedFile]) -> None:
    """One workspace, one account: warn when this upload's account is not the workspace's."""
    keys: Counter[str] = Counter()
    for p in parsed:
        key = _account_key(p.account_handle, p.account_id)
        if key:
            keys[key] += max(len(p.tweets), 1)
    if not keys:
        return
    mine = keys.most_common(1)[0][0]
    first = next((p for p in parsed if _account_key(p.account_handle, p.account_id) == mine), None)
    report.account_handle = first.account_handle if first else None
    report.account_id = first.account_id if first else None
    if report.account_id is None:
        report.account_id = next((p.account_id for p in parsed if p.account_id), None)
    if len(keys) > 1:
        others = ", ".join(_shown(k) for k in keys if k != mine)
        report.warnings.append(
            f"This upload mixes accounts: {_shown(mine)} and {others}. One workspace should hold one "
            "account, or the model learns a mix of audiences: import each account into its own workspace."
        )
    existing = workspace_accounts(session, workspace_id, exclude_upload=upload_id)
    if not existing or mine in existing:
        return
    theirs = existing.most_common(1)[0][0]
    # A handle and a bare account id cannot be compared: say nothing rather than guess.
    if mine.startswith("id:") != theirs.startswith("id:"):
        return
    report.other_account = theirs
    report.suggested_workspace = f"account {mine[3:]}" if mine.startswith("id:") else at_handle(mine)
    report.warnings.append(
        f"This upload is from {_shown(mine)}, but this workspace holds {_shown(theirs)}'s tweets. "
        "Mixing accounts makes the model and the insights wrong for both. Import it into a "
        f"workspace of its own (for example '{report.suggested_workspace}'), or delete this upload."
    )


def oldest_first(parsed: Sequence[ingest.ParsedFile]) -> list[ingest.ParsedFile]:
    """Files in the order their numbers were taken (undated first), so the newest numbers stay."""
    return sorted(parsed, key=lambda p: (p.as_of is not None, p.as_of or 0))


def import_parsed(
    session: Session,
    workspace_id: int,
    actor: Actor,
    parsed: Sequence[ingest.ParsedFile],
    progress: Progress | None = None,
) -> ImportReport:
    """Merge parsed files into the workspace inside the caller's transaction."""
    require_role(session, workspace_id, actor, "editor")
    if not parsed:
        raise ImportFailed("No files to import. Choose one or more exports.")
    upload = Upload(
        workspace_id=workspace_id,
        filenames=", ".join(p.name for p in parsed),
        formats=", ".join(sorted({p.format for p in parsed})),
        created_by=actor.email,
        created_at=now(),
        report={},
    )
    session.add(upload)
    session.flush()

    before = load_for_merge(session, workspace_id, actor)  # other imports of the workspace wait from here
    current = before
    touched: list[pd.Index] = []
    dirty: list[pd.Index] = []
    by_file: dict[int, FileReport] = {}
    for step, p in enumerate(oldest_first(parsed)):
        if progress:
            progress(0.5 + 0.4 * step / len(parsed), f"Merging {p.name}")
        rep = FileReport(
            name=p.name,
            format=p.format,
            rows_read=p.rows_read,
            skipped=[{"row": s.row, "reason": s.reason} for s in p.skipped],
            warnings=list(p.warnings),
            followers=len(set(p.followers)) if p.followers is not None else None,
            following=len(set(p.following)) if p.following is not None else None,
            account_handle=p.account_handle,
            account_id=p.account_id,
        )
        if len(p.tweets):
            current, counts = merge_into(current, p.tweets[list(TWEET_COLUMNS)], p.format, p.as_of)
            rep.new, rep.updated, rep.unchanged = counts.new, counts.updated, counts.unchanged
            touched.append(pd.Index(p.tweets["tweet_id"].astype(str)))
            dirty.append(counts.dirty)
        rep.daily_days = _merge_daily(session, workspace_id, upload.id, p.daily)
        if p.followers is not None or p.following is not None:
            _store_audience(session, workspace_id, upload.id, p)
        by_file[id(p)] = rep
    reports = [by_file[id(p)] for p in parsed]  # in the order the user gave them
    if progress:
        progress(0.9, "Writing to the database")
    def union(parts: list[pd.Index]) -> pd.Index:
        return parts[0].append(parts[1:]).unique() if parts else pd.Index([])

    write_merged(session, workspace_id, upload.id, before, current, union(dirty), union(touched))

    times = pd.concat([p.tweets["created_at"] for p in parsed if len(p.tweets)]) if any(
        len(p.tweets) for p in parsed
    ) else pd.Series([], dtype="datetime64[ns, UTC]")
    report = ImportReport(
        files=reports,
        new=sum(r.new for r in reports),
        updated=sum(r.updated for r in reports),
        unchanged=sum(r.unchanged for r in reports),
        first=times.min().isoformat() if len(times) else None,
        last=times.max().isoformat() if len(times) else None,
        upload_id=upload.id,
    )
    _check_account(session, workspace_id, upload.id, report, parsed)
    if report.warnings:
        # Also on the files, so every view that lists file warnings shows it.
        for rep in reports:
            if _account_key(rep.account_handle, rep.account_id):
                rep.warnings.extend(w for w in report.warnings if w not in rep.warnings)
                break
    upload.n_new, upload.n_updated, upload.n_unchanged = report.new, report.updated, report.unchanged
    upload.report = report.to_dict()
    audit(session, workspace_id, actor, "upload", upload_id=upload.id, files=upload.filenames, new=report.new,
          updated=report.updated)
    if report.changed:
        bump_data_version(session, workspace_id)
    return report


def import_files(
    engine: Engine,
    workspace_id: int,
    actor: Actor,
    files: Sequence[tuple[str, bytes]],
    progress: Progress | None = None,
) -> ImportReport:
    """Parse and import uploaded files as one transaction: all of it lands, or none of it.

    Raises ImportFailed (nothing written) when any file cannot be read.
    """
    with session_scope(engine) as session:
        require_role(session, workspace_id, actor, "editor")

    def parse_progress(frac: float, msg: str) -> None:
        if progress:
            progress(0.5 * frac, msg)

    parsed = ingest.parse_files(files, progress=parse_progress)
    # The merge and the write build a few million short-lived acyclic objects too (rows for the driver).
    with gc_paused(), session_scope(engine) as session:
        report = import_parsed(session, workspace_id, actor, parsed, progress)
    if progress:
        progress(1.0, "Done")
    return report


def describe(report: ImportReport) -> list[str]:
    """The report as plain lines (the CLI prints them): per file, its warnings, the total."""
    lines: list[str] = []
    for f in report.files:
        who = f" ({at_handle(f.account_handle)})" if f.account_handle else ""
        lines.append(f"{f.name}{who}: {f.format}, {f.rows_read} rows read, {f.new} new, {f.updated} updated, "
                     f"{f.unchanged} unchanged, {len(f.skipped)} skipped")
        lines.extend(f"  warning: {w}" for w in f.warnings if w not in report.warnings)
    lines.append(f"Total: {report.new} new, {report.updated} updated, {report.unchanged} unchanged "
                 f"({report.first} to {report.last})")
    lines.extend(f"warning: {w}" for w in report.warnings)
    return lines


def list_uploads(session: Session, workspace_id: int, actor: Actor) -> list[Upload]:
    require_role(session, workspace_id, actor, "viewer")
    return list(session.scalars(select(Upload).where(Upload.workspace_id == workspace_id).order_by(Upload.id.desc())))
