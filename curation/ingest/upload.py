"""Entry point for uploads: detect each file's format from its content and route it to a parser."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pandas as pd

from curation.errors import ImportFailed
from curation.ingest import daily, legacy_analytics, old_archive, x_content
from curation.ingest.csvread import header_cells
from curation.ingest.frames import empty_daily, empty_tweets
from curation.ingest.limits import MAX_FILE_BYTES
from curation.ingest.mastodon import parse_mastodon
from curation.ingest.result import FORMATS, ParsedFile
from curation.ingest.text import UTF8_BOM, TextSource
from curation.ingest.validate import bound_parsed
from curation.ingest.x_archive import (
    ArchiveBundle,
    account_ids,
    grailbird_name,
    invalid_utf8,
    is_manifest,
    parse_archive,
    ytd_name,
)
from curation.ingest.zipread import SafeZip, is_zip

Progress = Callable[[float, str], None]
_T = TypeVar("_T")

_TWEET_TYPES = ("tweet", "tweets")
# Member names inside a zip that we open; everything else (media, account.js, DMs) stays shut.
_TWEETS_MEMBER_RE = re.compile(r"^tweets?(?:-part(\d+))?\.js$")
_NOTE_MEMBER_RE = re.compile(r"^note-tweet(?:-part(\d+))?\.js$")
_FOLLOWER_MEMBER_RE = re.compile(r"^follower(?:-part(\d+))?\.js$")
_FOLLOWING_MEMBER_RE = re.compile(r"^following(?:-part(\d+))?\.js$")
# Any byte that is not whitespace, NUL or part of a BOM: a file without one is empty.
_CONTENT_BYTE = re.compile(rb"[^\s\x00\xef\xbb\xbf\xfe\xff]")
_GRAILBIRD_MEMBER_RE = re.compile(r"(?:^|/)data/js/tweets/\d{4}_\d{2}\.js$", re.IGNORECASE)
# Residual errors from malformed content that slipped past the parsers' own checks.
_CONTENT_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    OverflowError,
    RecursionError,
    csv.Error,
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
)


def parse_files(files: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> list[ParsedFile]:
    """Parse one upload (one or more files); see curation.ingest for the contract.

    Raises ImportFailed naming the file and what to do when any file cannot be read; nothing
    is returned then, so the caller never stores half an upload.
    """
    results: list[ParsedFile] = []
    loose = ArchiveBundle(name="")
    loose_names: list[str] = []
    ignored: list[str] = []
    manifest_name: str | None = None
    total = max(len(files), 1)
    for i, (name, data) in enumerate(files):
        if progress:
            progress(i / total, f"Reading {name}")
        _check_size(name, data)
        if is_zip(data):
            results.extend(_guard(name, lambda n=name, d=data: _parse_zip(n, d)))
            continue
        ytd = ytd_name(data)
        if ytd is not None:
            _add_loose(loose, loose_names, ignored, results, name, data, ytd[0])
            continue
        if is_manifest(data):
            loose.manifest = data
            manifest_name = name
            continue
        results.append(_guard(name, lambda n=name, d=data: _parse_single(n, d)))

    if loose.tweet_parts:
        loose.name = " + ".join(loose_names)
        results.append(_guard(loose.name, lambda: parse_archive(loose, "x_archive")))
    elif manifest_name is not None:
        ignored.append(manifest_name)  # only useful next to tweets.js
    if not loose.tweet_parts and loose.notes:
        note_names = ", ".join(n for n, _ in loose.notes)
        if not results:
            raise ImportFailed(
                f"{note_names} only adds the full text of long posts to tweets.js: upload it "
                "together with tweets.js (or upload the whole archive zip)."
            )
        results[0].warnings.append(f"{note_names} ignored: upload it together with tweets.js.")
    if not results:
        what = ", ".join(ignored) if ignored else "The upload"
        raise ImportFailed(
            f"{what}: no tweets or account data this app uses. Upload tweets.js or the whole "
            f"archive zip, or one of: {_format_list()}."
        )
    if ignored:
        results[0].warnings.append(f"Not used (no tweets in them): {', '.join(ignored)}.")
    for parsed in results:
        bound_parsed(parsed)
    if progress:
        progress(1.0, "Done")
    return results


def _format_list() -> str:
    return "; ".join(FORMATS.values())


def unknown_format(name: str) -> ImportFailed:
    """The message for a file no parser recognises: it names what IS read."""
    return ImportFailed(
        f"{name}: not a format this app reads. Upload one of: {_format_list()}. "
        "Upload the file as exported (not re-saved from a spreadsheet)."
    )


def check_size(name: str, size: int) -> None:
    """Refuse a file over the size limit from its size alone, before anything reads it whole.

    Callers pass what they know without reading: os.stat for a path, ``UploadedFile.size``
    for a Streamlit upload.
    """
    if size > MAX_FILE_BYTES:
        raise ImportFailed(
            f"{name}: {size / 2**20:,.0f} MB is over the {MAX_FILE_BYTES // 2**20} MB limit. "
            "Export a shorter date range, or upload data/tweets.js instead of the whole archive."
        )


def read_paths(paths: Sequence[Path]) -> list[tuple[str, bytes]]:
    """Export files on disk as (name, bytes); every size is checked before any file is read."""
    for path in paths:
        if not path.is_file():
            raise ImportFailed(f"{path} is not a file. Give the path of an export.")
        check_size(path.name, path.stat().st_size)
    return [(path.name, path.read_bytes()) for path in paths]


def read_uploads(files: Sequence[Any]) -> list[tuple[str, bytes]]:
    """Uploaded files (Streamlit's UploadedFile: .name, .size, .getvalue()) as (name, bytes).

    Sizes are checked first, so a file over the limit is refused before it is copied out.
    """
    for f in files:
        check_size(f.name, int(f.size))
    return [(f.name, f.getvalue()) for f in files]


def _check_size(name: str, data: bytes) -> None:
    check_size(name, len(data))
    if _CONTENT_BYTE.search(data) is None:
        raise ImportFailed(f"{name}: the file is empty. Export it again and upload the new file.")


def _guard(name: str, parse: Callable[[], _T]) -> _T:
    """Turn an error from malformed content into ImportFailed; the cause stays chained for logs."""
    try:
        return parse()
    except ImportFailed:
        raise
    except MemoryError:
        raise ImportFailed(f"{name}: too large to read on this server. Upload a smaller export.") from None
    except _CONTENT_ERRORS as exc:
        raise ImportFailed(
            f"{name}: the file is damaged or not an unchanged export ({type(exc).__name__}). "
            "Download it again and upload the file as exported."
        ) from exc


def _add_loose(
    loose: ArchiveBundle,
    loose_names: list[str],
    ignored: list[str],
    results: list[ParsedFile],
    name: str,
    data: bytes,
    kind: str,
) -> None:
    if kind in _TWEET_TYPES:
        loose.tweet_parts.append((name, data))
        loose_names.append(name)
    elif kind == "note_tweet":
        loose.notes.append((name, data))
    elif kind in ("follower", "following"):
        ids = _guard(name, lambda: account_ids(data, name, kind))
        results.append(_accounts_file(name, kind, ids))
    else:
        # Other archive files (likes, DMs, account.js with the e-mail) are not read at all.
        ignored.append(name)


def _accounts_file(name: str, kind: str, ids: list[str]) -> ParsedFile:
    return ParsedFile(
        name=name,
        format="archive_followers" if kind == "follower" else "archive_following",
        tweets=empty_tweets(),
        daily=empty_daily(),
        followers=ids if kind == "follower" else None,
        following=ids if kind == "following" else None,
        rows_read=len(ids),
    )


def _parse_single(name: str, data: bytes) -> ParsedFile:
    gb = grailbird_name(data)
    if gb is not None:
        if not gb.startswith("tweets_"):
            raise unknown_format(name)
        bundle = ArchiveBundle(name=name, grailbird_parts=[(name, data)])
        return parse_archive(bundle, "grailbird")
    head = data[:64].lstrip(UTF8_BOM + b" \t\r\n")
    if head[:1] in (b"{", b"["):
        return _parse_json(name, data)
    return _parse_text(name, data)


def _parse_json(name: str, data: bytes) -> ParsedFile:
    body = data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "utf-8" in exc.msg.lower():
            raise invalid_utf8(name, body) from None
        raise ImportFailed(
            f"{name}: the JSON is cut off or damaged ({exc.msg} at byte {exc.pos}). "
            "Export it again and upload the new file."
        ) from None
    if isinstance(doc, dict) and "orderedItems" in doc:
        return parse_mastodon(name, doc)
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and ("tweet" in doc[0] or "id_str" in doc[0]):
        # tweets.js with its `window.YTD... =` line removed by hand.
        return parse_archive(ArchiveBundle(name=name, tweet_parts=[(name, body)]), "x_archive")
    raise unknown_format(name)


def _parse_text(name: str, data: bytes, display: str | None = None) -> ParsedFile:
    source = TextSource(data, name)
    if not source.head.strip():
        raise ImportFailed(f"{name}: the file is empty. Export it again and upload the new file.")
    cells, _ = header_cells(source.head)
    if legacy_analytics.known_header(cells):
        return legacy_analytics.parse_legacy_analytics(source)
    if x_content.known_header(cells):
        return x_content.parse_x_content(source)
    if daily.is_legacy_daily(cells):
        return daily.parse_daily(source, "legacy_daily")
    if daily.is_overview(cells):
        return daily.parse_daily(source, "x_overview")
    if old_archive.is_tweets_csv(cells):
        return old_archive.parse_tweets_csv(source, display)
    if legacy_analytics.shaped_like(source.head):
        return legacy_analytics.parse_legacy_analytics(source)
    if x_content.shaped_like(source.head):
        return x_content.parse_x_content(source)
    raise unknown_format(name)


def _part_key(path: str, rx: re.Pattern[str]) -> tuple[str, int]:
    base = path.rsplit("/", 1)[-1].lower()
    m = rx.match(base)
    return (path.rsplit("/", 1)[0] if "/" in path else "", int(m.group(1) or 0) if m else 0)


def _parse_zip(name: str, data: bytes) -> list[ParsedFile]:
    zf = SafeZip(data, name)
    bundle = ArchiveBundle(name=name)
    tweets_csv: list[str] = []
    outbox: list[str] = []
    csvs: list[str] = []
    unused: list[str] = []
    by_kind: dict[str, list[str]] = {"tweets": [], "notes": [], "follower": [], "following": []}
    for path in zf.members:
        low = path.lower()
        base = low.rsplit("/", 1)[-1]
        if "__macosx/" in low or base.startswith("._") or base == "account.js":
            continue  # resource forks; account.js holds the e-mail and is never opened
        if _TWEETS_MEMBER_RE.match(base):
            by_kind["tweets"].append(path)
        elif _NOTE_MEMBER_RE.match(base):
            by_kind["notes"].append(path)
        elif _FOLLOWER_MEMBER_RE.match(base):
            by_kind["follower"].append(path)
        elif _FOLLOWING_MEMBER_RE.match(base):
            by_kind["following"].append(path)
        elif base == "manifest.js" and bundle.manifest is None:
            bundle.manifest = zf.read(path)
        elif base == "tweets.csv":
            tweets_csv.append(path)
        elif _GRAILBIRD_MEMBER_RE.search(path):
            bundle.grailbird_parts.append((path, b""))
        elif base == "outbox.json":
            outbox.append(path)
        elif base.endswith(".csv"):
            csvs.append(path)

    for path in sorted(by_kind["tweets"], key=lambda p: _part_key(p, _TWEETS_MEMBER_RE)):
        content = zf.read(path)
        kind = ytd_name(content)
        if kind is not None and kind[0] in _TWEET_TYPES:
            bundle.tweet_parts.append((path, content))
        else:
            unused.append(path)
    for path in sorted(by_kind["notes"], key=lambda p: _part_key(p, _NOTE_MEMBER_RE)):
        bundle.notes.append((path, zf.read(path)))
    for key in ("follower", "following"):
        rx = _FOLLOWER_MEMBER_RE if key == "follower" else _FOLLOWING_MEMBER_RE
        paths = sorted(by_kind[key], key=lambda p, rx=rx: _part_key(p, rx))
        if paths:
            ids: list[str] = []
            for path in paths:
                ids.extend(account_ids(zf.read(path), f"{name}: {path}", key))
            setattr(bundle, key + ("s" if key == "follower" else ""), ids)

    results: list[ParsedFile] = []
    if bundle.tweet_parts:
        results.append(parse_archive(bundle, "x_archive"))
    elif tweets_csv:
        path = tweets_csv[0]
        results.append(_parse_text(f"{name}: {path}", zf.read(path), display=name))
    elif bundle.grailbird_parts:
        paths = sorted(p for p, _ in bundle.grailbird_parts)
        bundle.grailbird_parts = [(p, zf.read(p)) for p in paths]
        bundle.grailbird_parts = [
            (p, d) for p, d in bundle.grailbird_parts if (grailbird_name(d) or "").startswith("tweets_")
        ]
        if bundle.grailbird_parts:
            results.append(parse_archive(bundle, "grailbird"))
    if not bundle.tweet_parts:
        if bundle.followers is not None:
            results.append(_accounts_file(name, "follower", bundle.followers))
        if bundle.following is not None:
            results.append(_accounts_file(name, "following", bundle.following))
    for path in outbox[:1]:
        body = zf.read(path)
        results.append(_parse_json(name, body))
    for path in csvs:
        results.append(_parse_text(f"{name}/{path}", zf.read(path)))
    if not results:
        raise ImportFailed(f"{name}: the zip holds no file this app reads. Upload one of: {_format_list()}.")
    if unused:
        results[0].warnings.append(f"Not tweet files, ignored: {', '.join(unused)}.")
    return results
