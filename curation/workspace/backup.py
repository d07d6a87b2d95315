"""Export a workspace to one zip and restore it into an empty workspace."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from curation.errors import CurationError, ImportFailed
from curation.facts import check_timezone
from curation.ingest.zipread import SafeZip
from curation.plain import iso
from curation.plan.exports import safe_csv
from curation.schema import DAILY_METRICS, METRICS, TWEET_COLUMNS
from curation.store.access import ROLES, Actor, audit, bump_data_version, get_workspace, now, require_role
from curation.store.db import bulk_insert, lock_workspace
from curation.store.models import (
    AccountSnapshot,
    AudienceId,
    AuditEvent,
    DailyMetric,
    Draft,
    Member,
    ModelVersion,
    Schedule,
    Tweet,
    TweetUpload,
    Upload,
    Workspace,
)
from curation.store.workspaces import (
    check_email,
    check_role,
)

EXPORT_FORMAT = "curation-workspace-export"
EXPORT_VERSION = 1
_TWEET_STATE = ("text_rank", "source_format", "metrics_as_of", "first_upload_id", "last_upload_id")
_DRAFT_COLUMNS = ("id", "text", "status", "comment", "predicted", "lower", "upper", "percentile", "version",
                  "created_by", "created_at", "updated_by", "updated_at")


# ---------------------------------------------------------------- export


def _escape(value: object) -> object:
    """Mark text starting with a quote, so restore can drop exactly the quote safe_csv adds to formulas."""
    return "'" + value if isinstance(value, str) and value.startswith("'") else value


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    frame = pd.DataFrame(rows, columns=columns)
    for col in frame.columns:
        if not (pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col])):
            frame[col] = frame[col].astype(object).map(_escape)
    return safe_csv(frame)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _rows(session: Session, table: type, workspace_id: int, columns: list[str], order) -> list[dict]:
    stmt = select(*[getattr(table, c) for c in columns]).where(table.workspace_id == workspace_id).order_by(order)
    return [dict(zip(columns, r, strict=True)) for r in session.execute(stmt).all()]


def export_filename(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "workspace"
    return f"{slug}-export-{now():%Y%m%d}.zip"


def export_workspace(session: Session, workspace_id: int, actor: Actor) -> bytes:
    """The whole workspace as a zip of CSVs (tweets, drafts, plans, audit, uploads, members, account
    data) plus workspace.json and the current model card (owners). ``restore_workspace`` reads it back.
    """
    require_role(session, workspace_id, actor, "owner")
    ws = get_workspace(session, workspace_id)
    tcols = [*TWEET_COLUMNS, *_TWEET_STATE]
    tweets = _rows(session, Tweet, workspace_id, ["id", *tcols], Tweet.id)
    for t in tweets:
        t["created_at"], t["metrics_as_of"] = iso(t["created_at"]), iso(t["metrics_as_of"])
    pk_to_id = {t.pop("id"): t["tweet_id"] for t in tweets}
    links = session.execute(select(TweetUpload.tweet_pk, TweetUpload.upload_id)
                            .join(Upload, Upload.id == TweetUpload.upload_id)
                            .where(Upload.workspace_id == workspace_id)
                            .order_by(TweetUpload.upload_id, TweetUpload.tweet_pk)).all()
    uploads = _rows(session, Upload, workspace_id, ["id", "filenames", "formats", "created_by", "created_at", "n_new",
                                                    "n_updated", "n_unchanged", "report"], Upload.id)
    drafts = _rows(session, Draft, workspace_id, list(_DRAFT_COLUMNS), Draft.id)
    plans = _rows(session, Schedule, workspace_id, ["id", "name", "constraints", "plan", "created_by", "created_at"],
                  Schedule.id)
    events = _rows(session, AuditEvent, workspace_id, ["at", "actor", "action", "detail"], AuditEvent.id)
    members = _rows(session, Member, workspace_id, ["email", "role", "added_by", "added_at"], Member.id)
    daily = _rows(session, DailyMetric, workspace_id, ["day", "upload_id", *DAILY_METRICS], DailyMetric.day)
    snaps = _rows(session, AccountSnapshot, workspace_id, ["day", "followers", "following", "source", "upload_id"],
                  AccountSnapshot.id)
    audience = _rows(session, AudienceId, workspace_id, ["kind", "account_id", "upload_id"], AudienceId.id)
    for rows, times, blobs in ((uploads, ("created_at",), ("report",)), (drafts, ("created_at", "updated_at"), ()),
                               (plans, ("created_at",), ("constraints", "plan")), (events, ("at",), ("detail",)),
                               (members, ("added_at",), ()), (daily, ("day",), ()), (snaps, ("day",), ())):
        for r in rows:
            r.update({k: iso(r[k]) for k in times} | {k: _json(r[k]) for k in blobs})
    card = session.scalar(select(ModelVersion.card).where(ModelVersion.workspace_id == workspace_id)
                          .order_by(ModelVersion.id.desc()).limit(1))
    meta = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "name": ws.name, "timezone": ws.timezone,
            "settings": ws.settings or {}, "exported_at": iso(now()), "exported_by": actor.email,
            "counts": {"tweets": len(tweets), "drafts": len(drafts), "plans": len(plans), "audit": len(events),
                       "uploads": len(uploads), "members": len(members)}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("workspace.json", _json(meta))
        zf.writestr("tweets.csv", _csv(tweets, tcols))
        zf.writestr("tweet_uploads.csv", _csv([{"tweet_id": pk_to_id[pk], "upload_id": u} for pk, u in links],
                                              ["tweet_id", "upload_id"]))
        zf.writestr("uploads.csv", _csv(uploads, ["id", "filenames", "formats", "created_by", "created_at", "n_new",
                                                  "n_updated", "n_unchanged", "report"]))
        zf.writestr("drafts.csv", _csv(drafts, list(_DRAFT_COLUMNS)))
        zf.writestr("plans.csv", _csv(plans, ["id", "name", "constraints", "plan", "created_by", "created_at"]))
        zf.writestr("audit.csv", _csv(events, ["at", "actor", "action", "detail"]))
        zf.writestr("members.csv", _csv(members, ["email", "role", "added_by", "added_at"]))
        zf.writestr("daily_metrics.csv", _csv(daily, ["day", "upload_id", *DAILY_METRICS]))
        zf.writestr("account_snapshots.csv", _csv(snaps, ["day", "followers", "following", "source", "upload_id"]))
        zf.writestr("audience.csv", _csv(audience, ["kind", "account_id", "upload_id"]))
        if card is not None:
            zf.writestr("model_card.json", _json(card))
    audit(session, workspace_id, actor, "workspace.export", **meta["counts"])
    return buf.getvalue()


# ---------------------------------------------------------------- restore


@dataclass(frozen=True)
class RestoreReport:
    """What a restore put into the workspace."""

    tweets: int
    drafts: int
    plans: int
    audit_events: int
    uploads: int
    members: int
    daily_days: int


def _read_csv(zf: SafeZip, name: str) -> list[dict]:
    """Rows as dicts of text ('' for empty), with the export's quote-escape undone."""
    if name not in zf.members:
        raise ImportFailed(f"{zf.name}: {name} is missing. Upload a zip made by this app's workspace export.")
    frame = pd.read_csv(io.BytesIO(zf.read(name)), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return [{k: (v[1:] if v.startswith("'") else v) for k, v in r.items()} for r in frame.to_dict("records")]


def _int(v: str) -> int | None:
    return int(float(v)) if v != "" else None


def _float(v: str) -> float | None:
    return float(v) if v != "" else None


def _time(v: str):
    return pd.Timestamp(v).to_pydatetime() if v else None


def _day(v: str) -> date | None:
    return date.fromisoformat(v) if v else None


def _remap_drafts(obj: object, ids: Mapping[int, int]) -> object:
    """Point a saved plan's draft references at the restored drafts' new ids."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "draft_id" and isinstance(v, int | str) and str(v).isdigit():
                out[k] = ids.get(int(v), v)
            elif k == "draft_ids" and isinstance(v, list):
                out[k] = [ids.get(int(x), x) if str(x).isdigit() else x for x in v]
            else:
                out[k] = _remap_drafts(v, ids)
        return out
    if isinstance(obj, list):
        return [_remap_drafts(v, ids) for v in obj]
    return obj


def _ensure_empty(session: Session, workspace_id: int) -> None:
    for table, what in ((Tweet, "tweets"), (Draft, "drafts"), (Schedule, "plans"), (Upload, "uploads")):
        if session.scalar(select(func.count()).select_from(table).where(table.workspace_id == workspace_id)):
            raise CurationError(f"This workspace already has {what}. Restore an export into a new, empty "
                                "workspace, so nothing is mixed or overwritten.")

# What a damaged or hand-edited export raises while it is read (JSON and CSV errors are ValueErrors);
# the database's refusals of what it holds (duplicate ids, values it cannot store) count too.
_DAMAGED = (KeyError, ValueError, IndexError, OverflowError, DataError, IntegrityError)


def restore_workspace(session: Session, workspace_id: int, actor: Actor, data: bytes,
                      filename: str = "export.zip") -> RestoreReport:
    """Load a workspace export into an empty workspace (owners): tweets, uploads and their links,
    drafts, plans, audit history, members, account data and settings. Ids are new; plans follow
    their drafts. Raises ImportFailed when the file is not such an export or is damaged; the
    caller's transaction then rolls back, so nothing is written.
    """
    require_role(session, workspace_id, actor, "owner")
    ws = get_workspace(session, workspace_id)
    lock_workspace(session, workspace_id)  # two restores into one empty workspace take turns
    _ensure_empty(session, workspace_id)
    zf = SafeZip(data, filename)
    if "workspace.json" not in zf.members:
        raise ImportFailed(f"{filename} is not a workspace export (no workspace.json). "
                           "Use the zip from 'Export workspace'.")
    try:
        return _restore_from(session, ws, actor, zf, filename)
    except ImportFailed:
        raise
    except _DAMAGED as exc:
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]
        raise ImportFailed(f"{filename} is damaged or was edited by hand ({type(exc).__name__}: {detail}); nothing "
                           "was restored. Use the zip from 'Export workspace' as it was downloaded.") from exc


def _members_of(rows: list[dict], filename: str) -> list[dict]:
    """members.csv checked: known roles, valid e-mails lower-cased (as sign-in compares them), one row each."""
    best: dict[str, dict] = {}
    for i, r in enumerate(rows, start=2):
        try:
            email, role = check_email(r["email"]), check_role(r["role"])
        except CurationError as exc:
            raise ImportFailed(f"{filename}: members.csv line {i}: {exc} Fix the line or export the workspace "
                               "again.") from None
        if email not in best or ROLES.index(role) > ROLES.index(best[email]["role"]):
            best[email] = {**r, "email": email, "role": role}
    return list(best.values())


def _restore_from(session: Session, ws: Workspace, actor: Actor, zf: SafeZip, filename: str) -> RestoreReport:
    workspace_id = ws.id
    meta = json.loads(zf.read("workspace.json"))
    if (not isinstance(meta, dict) or meta.get("format") != EXPORT_FORMAT
            or int(meta.get("version", 0)) > EXPORT_VERSION):
        raise ImportFailed(f"{filename} is not a workspace export this version of the app can read.")
    if not isinstance(meta.get("settings") or {}, dict):
        raise ImportFailed(f"{filename}: workspace.json has no valid settings. Export the workspace again.")
    members = _members_of(_read_csv(zf, "members.csv"), filename)  # checked before anything is written

    upload_ids: dict[int, int] = {}
    for r in _read_csv(zf, "uploads.csv"):
        up = Upload(workspace_id=workspace_id, filenames=r["filenames"], formats=r["formats"],
                    created_by=r["created_by"], created_at=_time(r["created_at"]), n_new=_int(r["n_new"]) or 0,
                    n_updated=_int(r["n_updated"]) or 0, n_unchanged=_int(r["n_unchanged"]) or 0,
                    report=json.loads(r["report"] or "{}"))
        session.add(up)
        session.flush()
        upload_ids[int(r["id"])] = up.id

    def up_id(v: str) -> int | None:
        return upload_ids.get(int(v)) if v else None

    tweets = []
    for r in _read_csv(zf, "tweets.csv"):
        rec: dict[str, object] = {"workspace_id": workspace_id, "tweet_id": r["tweet_id"], "text": r["text"],
                                  "created_at": _time(r["created_at"]), "link_domains": r["link_domains"],
                                  "media_type": r["media_type"] or None, "lang": r["lang"] or None,
                                  "source_format": r["source_format"], "text_rank": _int(r["text_rank"]) or 0,
                                  "metrics_as_of": _time(r["metrics_as_of"]),
                                  "first_upload_id": up_id(r["first_upload_id"]),
                                  "last_upload_id": up_id(r["last_upload_id"])}
        rec |= {c: r[c] == "True" for c in ("is_reply", "is_retweet", "has_link")}
        rec |= {c: _int(r[c]) or 0 for c in ("n_hashtags", "n_mentions")}
        rec |= {m: _int(r[m]) for m in METRICS}
        tweets.append(rec)
    if tweets:
        frame = pd.DataFrame(tweets)
        ints = [*METRICS, "first_upload_id", "last_upload_id"]  # may be empty: NULL, never 0
        frame[ints] = frame[ints].astype("Int64")
        frame[["created_at", "metrics_as_of"]] = frame[["created_at", "metrics_as_of"]].apply(pd.to_datetime, utc=True)
        bulk_insert(session, Tweet.__table__, frame)
    pks = dict(session.execute(select(Tweet.tweet_id, Tweet.id).where(Tweet.workspace_id == workspace_id)).all())
    pairs = [(pks[r["tweet_id"]], upload_ids[int(r["upload_id"])]) for r in _read_csv(zf, "tweet_uploads.csv")]
    bulk_insert(session, TweetUpload.__table__, pd.DataFrame(pairs, columns=["tweet_pk", "upload_id"], dtype="int64"))

    daily = _read_csv(zf, "daily_metrics.csv")
    session.add_all(DailyMetric(workspace_id=workspace_id, day=_day(r["day"]), upload_id=up_id(r["upload_id"]),
                                **{m: _int(r[m]) for m in DAILY_METRICS}) for r in daily)
    session.add_all(AccountSnapshot(workspace_id=workspace_id, day=_day(r["day"]), followers=_int(r["followers"]),
                                    following=_int(r["following"]), source=r["source"],
                                    upload_id=up_id(r["upload_id"])) for r in _read_csv(zf, "account_snapshots.csv"))
    session.add_all(AudienceId(workspace_id=workspace_id, kind=r["kind"], account_id=r["account_id"],
                               upload_id=up_id(r["upload_id"])) for r in _read_csv(zf, "audience.csv"))

    draft_ids: dict[int, int] = {}
    for r in _read_csv(zf, "drafts.csv"):
        d = Draft(workspace_id=workspace_id, text=r["text"], status=r["status"], comment=r["comment"],
                  version=_int(r["version"]) or 1, created_by=r["created_by"], created_at=_time(r["created_at"]),
                  updated_by=r["updated_by"], updated_at=_time(r["updated_at"]),
                  **{c: _float(r[c]) for c in ("predicted", "lower", "upper", "percentile")})
        session.add(d)
        session.flush()
        draft_ids[int(r["id"])] = d.id
    plans = _read_csv(zf, "plans.csv")
    session.add_all(Schedule(workspace_id=workspace_id, name=r["name"], constraints=json.loads(r["constraints"]),
                             plan=_remap_drafts(json.loads(r["plan"]), draft_ids), created_by=r["created_by"],
                             created_at=_time(r["created_at"])) for r in plans)
    events = _read_csv(zf, "audit.csv")
    session.add_all(AuditEvent(workspace_id=workspace_id, actor=r["actor"], action=r["action"],
                               detail=json.loads(r["detail"] or "{}"), at=_time(r["at"])) for r in events)
    known = {m.email for m in session.scalars(select(Member).where(Member.workspace_id == workspace_id))}
    members = [r for r in members if r["email"] not in known]
    session.add_all(Member(workspace_id=workspace_id, email=r["email"], role=r["role"], added_by=r["added_by"],
                           added_at=_time(r["added_at"])) for r in members)

    ws.timezone = check_timezone(meta.get("timezone") or ws.timezone)
    ws.settings = dict(meta.get("settings") or {})
    report = RestoreReport(tweets=len(tweets), drafts=len(draft_ids), plans=len(plans), audit_events=len(events),
                           uploads=len(upload_ids), members=len(members), daily_days=len(daily))
    audit(session, workspace_id, actor, "workspace.restore", source=meta.get("name"), file=filename, **asdict(report))
    bump_data_version(session, workspace_id)
    return report
