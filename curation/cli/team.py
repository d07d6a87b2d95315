"""Team and workspace commands: members, export, restore, delete-workspace, delete-upload and uploads."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from curation.cli.common import Subparsers, add_command, emit, engine_of, workspace_id_of
from curation.errors import CurationError
from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.workspaces import get_or_create_workspace, remove_member, set_member
from curation.workspace.backup import export_workspace, restore_workspace
from curation.workspace.members import delete_upload, delete_workspace, members_frame, uploads_frame
from curation.workspace.refresh import after_data_change


def _members_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "add", "remove"])
    p.add_argument("email", nargs="?", help="the member's sign-in e-mail (add, remove)")
    p.add_argument("--role", choices=["viewer", "editor", "owner"], default="viewer", help="role for add")


def _members(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id, actor = workspace_id_of(args, engine), Actor.local_user()
    if args.action != "list" and not args.email:
        raise CurationError(f"Give the e-mail to {args.action}: python -m curation members {args.action} EMAIL")
    with session_scope(engine) as s:
        if args.action == "add":
            set_member(s, ws_id, actor, args.email, args.role)
        elif args.action == "remove":
            remove_member(s, ws_id, actor, args.email)
        frame = members_frame(s, ws_id, actor)
    rows = [{"email": e, "role": r} for e, r in zip(frame["e-mail"], frame["role"], strict=True)]
    emit(args, rows, "\n".join(f"{r['role']:7} {r['email']}" for r in rows))
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, required=True, help="the zip file to write")


def _export(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    with session_scope(engine) as s:
        blob = export_workspace(s, ws_id, Actor.local_user())
    args.out.write_bytes(blob)
    emit(args, {"file": str(args.out), "bytes": len(blob)}, f"Wrote {args.out} ({len(blob):,} bytes).")
    return 0


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a zip made by `export` (the workspace is created if missing)")


def _restore(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CurationError(f"{args.file} is not a file. Give the path of a workspace export zip.")
    data, engine, actor = args.file.read_bytes(), engine_of(args), Actor.local_user()
    with session_scope(engine) as s:  # a new workspace and the restore land together, or neither does
        ws_id = get_or_create_workspace(s, args.workspace, actor).id
        report = restore_workspace(s, ws_id, actor, data, args.file.name)
    after_data_change(engine, ws_id)
    emit(args, asdict(report), f"Restored into {args.workspace!r}: " + ", ".join(
        f"{v} {k.replace('_', ' ')}" for k, v in asdict(report).items()))
    return 0


def _delete_ws_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--confirm", required=True, help="the workspace's exact name")


def _delete_ws(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    with session_scope(engine) as s:
        name = delete_workspace(s, ws_id, Actor.local_user(), args.confirm)
    emit(args, {"deleted": name}, f"Deleted workspace {name!r} and all its data.")
    return 0


def _delete_upload_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("upload_id", type=int, help="the upload's id (see `uploads`)")


def _delete_upload(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    with session_scope(engine) as s:
        removal = delete_upload(s, ws_id, Actor.local_user(), args.upload_id)
    after_data_change(engine, ws_id)
    emit(args, asdict(removal), f"Deleted upload {removal.upload_id} ({removal.files}): {removal.tweets_removed} "
         f"tweets removed, {removal.tweets_kept} kept (other uploads have them), "
         f"{removal.daily_days_removed} account days removed.")
    return 0


def _uploads(args: argparse.Namespace) -> int:
    engine = engine_of(args)
    ws_id = workspace_id_of(args, engine)
    with session_scope(engine) as s:
        frame = uploads_frame(s, ws_id, Actor.local_user())
    emit(args, json.loads(frame.to_json(orient="records", date_format="iso")),
         frame.to_string(index=False) if len(frame) else "No uploads.")
    return 0


def register(sub: Subparsers) -> None:
    """Add this group's subcommands."""
    add_command(sub, "members", "list, add (or change the role of) and remove workspace members",
                _members, _members_args)
    add_command(sub, "export", "export a workspace as a zip of CSVs plus its model card", _export, _export_args)
    add_command(sub, "restore", "load a workspace export into a new, empty workspace", _restore, _restore_args)
    add_command(sub, "delete-workspace", "delete a workspace and all its data (--confirm NAME)",
                _delete_ws, _delete_ws_args)
    add_command(sub, "delete-upload", "delete an upload and the tweets only it brought",
                _delete_upload, _delete_upload_args)
    add_command(sub, "uploads", "list a workspace's uploads with their ids", _uploads)
