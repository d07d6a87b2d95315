"""Mastodon outbox.json (ActivityPub): posts and boosts of an account that moved from X.

Create activities (Note, and Question = polls) are posts; Announce activities are boosts, kept
with is_retweet=True and the boosted post's URL as text. The id is the numeric status id from
the URL when there is one (Mastodon ids are Snowflake-like), else the full URI. HTML content is
turned into plain text with the standard library's HTMLParser: tags are dropped, never
interpreted, <br> and paragraph breaks become newlines, entities are unescaped. Mastodon exports
have no engagement counts, so every metric is <NA>.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pandas as pd

from curation.errors import ImportFailed
from curation.ingest.frames import empty_daily, newest, tweets_frame
from curation.ingest.limits import MAX_ID_DIGITS, MAX_ROWS
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import join_domains

_STATUS_ID_RE = re.compile(r"/(?:statuses|notes|objects|p/[^/]+)/(\d+)(?:/activity)?/?$")
_BLOCK_TAGS = frozenset({"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"})


class _PlainText(HTMLParser):
    """Collect visible text and the hrefs of ordinary (non-mention, non-hashtag) links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._blocks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            if self._blocks:
                self.parts.append("\n\n")
            self._blocks += 1
        elif tag == "a":
            attr = dict(attrs)
            classes = (attr.get("class") or "").split()
            href = attr.get("href") or ""
            if href and "mention" not in classes and "hashtag" not in classes:
                self.links.append(href)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> tuple[str, list[str]]:
    """Plain text and external link targets of a Mastodon HTML body."""
    parser = _PlainText()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip(), parser.links


def _status_id(uri: str) -> str:
    m = _STATUS_ID_RE.search(uri)
    return m.group(1) if m else uri


def parse_mastodon(name: str, doc: Any) -> ParsedFile:
    """Parse an outbox.json document (already JSON-decoded)."""
    items = doc.get("orderedItems") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ImportFailed(f"{name}: no 'orderedItems' list. Upload outbox.json from the Mastodon archive.")
    if len(items) > MAX_ROWS:
        raise ImportFailed(f"{name}: more than {MAX_ROWS:,} posts; this is beyond the import limit.")
    skipped: list[SkippedRow] = []
    rows: list[dict[str, Any]] = []
    for n, item in enumerate(items, 1):
        try:
            row = _row(item)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            skipped.append(SkippedRow(n, f"not a post ({exc!r:.60})"))
            continue
        if row is None:
            kind = item.get("type") if isinstance(item, dict) else type(item).__name__
            skipped.append(SkippedRow(n, f"activity type {str(kind)[:30]!r} is not a post or boost"))
            continue
        row["n"] = n
        rid = row["id"]
        if not (rid.isdigit() and len(rid) <= MAX_ID_DIGITS):
            skipped.append(SkippedRow(n, f"post id {rid[:40]!r} is not a Mastodon status number"))
            continue
        rows.append(row)
    created = pd.to_datetime(
        pd.Series([r["created_at"] for r in rows], dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    good = [i for i, ok in enumerate(created.notna()) if ok]
    for i, ok in enumerate(created.notna()):
        if not ok:
            skipped.append(SkippedRow(rows[i]["n"], "published time is missing or not a date"))
    rows = [rows[i] for i in good]
    frame = tweets_frame(
        {
            "tweet_id": [r["id"] for r in rows],
            "created_at": created.iloc[good],
            "text": [r["text"] for r in rows],
            "is_reply": [r["is_reply"] for r in rows],
            "is_retweet": [r["is_retweet"] for r in rows],
            "has_link": [bool(r["domains"]) for r in rows],
            "link_domains": [r["domains"] for r in rows],
            "n_hashtags": [r["tags"] for r in rows],
            "n_mentions": [r["mentions"] for r in rows],
            "media_type": [r["media"] for r in rows],
            "lang": [r["lang"] for r in rows],
        },
        len(rows),
    )
    frame = frame.drop_duplicates("tweet_id", keep="first").reset_index(drop=True)
    skipped.sort(key=lambda s: s.row)
    return ParsedFile(
        name=name,
        format="mastodon",
        tweets=frame,
        daily=empty_daily(),
        as_of=newest(frame["created_at"]),
        rows_read=len(items),
        skipped=skipped,
        warnings=["Mastodon exports have no engagement counts: posts are imported without metrics."],
        account_handle=_account(items),
    )


_ACTOR_RE = re.compile(r"^https?://([^/\s]+)/users/([A-Za-z0-9_.-]{1,64})/?$")


def _account(items: list[Any]) -> str | None:
    """`user@host` from the outbox's actor URL (https://host/users/user)."""
    for item in items[:50]:
        actor = item.get("actor") if isinstance(item, dict) else None
        m = _ACTOR_RE.match(actor) if isinstance(actor, str) else None
        if m:
            return f"{m.group(2)}@{m.group(1)}".lower()
    return None


def _row(item: Any) -> dict[str, Any] | None:
    kind = item["type"]
    actor = item.get("actor") or ""
    if kind == "Announce":
        obj = item.get("object")
        target = obj if isinstance(obj, str) else (obj or {}).get("id", "")
        return {
            "n": 0,
            "id": _status_id(str(item["id"])),
            "created_at": item.get("published"),
            "text": str(target),
            "is_reply": False,
            "is_retweet": True,
            "domains": "",
            "tags": 0,
            "mentions": 0,
            "media": None,
            "lang": None,
        }
    if kind != "Create":
        return None
    obj = item["object"]
    if not isinstance(obj, dict):
        return None
    text, links = html_to_text(str(obj.get("content") or ""))
    tags = obj.get("tag") or []
    kinds = [t.get("type") for t in tags if isinstance(t, dict)]
    media = None
    for att in obj.get("attachment") or []:
        mime = str(att.get("mediaType") or "") if isinstance(att, dict) else ""
        if mime.startswith("video/"):
            media = "video"
        elif mime == "image/gif" and media != "video":
            media = "animated_gif"
        elif mime.startswith("image/") and media is None:
            media = "photo"
    reply_to = obj.get("inReplyTo")
    own_prefix = str(actor).rstrip("/") + "/"
    content_map = obj.get("contentMap")
    lang = next(iter(content_map)) if isinstance(content_map, dict) and len(content_map) == 1 else None
    return {
        "n": 0,
        "id": _status_id(str(obj["id"])),
        "created_at": obj.get("published") or item.get("published"),
        "text": text,
        "is_reply": bool(reply_to) and not (bool(actor) and str(reply_to).startswith(own_prefix)),
        "is_retweet": False,
        "domains": join_domains(links),
        "tags": kinds.count("Hashtag"),
        "mentions": kinds.count("Mention"),
        "media": media,
        "lang": lang,
    }
