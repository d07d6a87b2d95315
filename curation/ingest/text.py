"""Byte decoding and the text-derived columns (links, hashtags, mentions) shared by all parsers."""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from curation.errors import ImportFailed

UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Characters that only show up when UTF-8 bytes were read as Windows-1252 and saved again.
_MOJIBAKE_MARKERS = ("Ã", "â€", "ðŸ", "Â ", "Â·")

# \w is Unicode-aware in Python's re, so #日本 and @名前 style tokens count.
_HASHTAG_RE = re.compile(r"(?<![\w&#])[#＃](?!\d+\b)\w+")
_MENTION_RE = re.compile(r"(?<![\w@])[@＠]\w{1,50}")
_URL_RE = re.compile(r"https?://[^\s<>\"'\u3000]+", re.IGNORECASE)

# On-platform links (quoted tweets, profiles, media pages) are not "external" links.
_PLATFORM_DOMAINS = ("twitter.com", "x.com")


def decode_text(data: bytes, name: str, allow_cp1252: bool) -> tuple[str, list[str]]:
    """Decode an uploaded text file; UTF-8 (BOM or not) and UTF-16 with BOM are accepted.

    Windows-1252 (what Excel writes on Windows) is accepted for CSVs with a warning, because the
    only alternative for the user is finding a text editor; anything else fails with the offset.
    """
    warnings: list[str] = []
    if data.startswith(_UTF16_BOMS) or _looks_utf16(data):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFailed(
                f"{name}: looks like UTF-16 text but byte {exc.start} is invalid. "
                "Save the file again as 'CSV UTF-8' and upload it."
            ) from None
        warnings.append("File was UTF-16 (Excel 'Unicode text'); read it as such.")
        return text.lstrip("\ufeff"), warnings
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if allow_cp1252 and b"\x00" not in data:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                pass
            else:
                warnings.append(
                    "File is not UTF-8; read it as Windows-1252 (Excel's default). "
                    "If accented letters or emoji look wrong, export it again as UTF-8."
                )
                return text, warnings
        raise ImportFailed(
            f"{name}: byte {exc.start} is not valid UTF-8 text. Export the file again from "
            "X/Twitter, or save it as 'CSV UTF-8' in your spreadsheet program, and upload that."
        ) from None
    repaired = repair_mojibake(text)
    if repaired is not None:
        text = repaired
        warnings.append(
            "Text had been garbled by a Windows-1252 round trip (e.g. 'Ã©' for 'é'); repaired it."
        )
    elif any(m in text for m in _MOJIBAKE_MARKERS[:3]):
        warnings.append(
            "Some text looks garbled (e.g. 'Ã©' for 'é'): the file was probably opened and saved "
            "in a spreadsheet with the wrong encoding. Export it again to fix the text."
        )
    return text, warnings


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without BOM: ASCII text then has a NUL in every other byte."""
    head = data[:200]
    if len(head) < 8:
        return False
    return head[1::2].count(0) > 0.8 * len(head[1::2]) or head[0::2].count(0) > 0.8 * len(
        head[0::2]
    )


def repair_mojibake(text: str) -> str | None:
    """Undo a whole-file UTF-8 -> cp1252 mis-read, or None when the text is not such a case.

    Only a round trip that succeeds for the entire file counts, so genuine text with 'Ã'
    (e.g. Portuguese) is never altered.
    """
    if not any(m in text for m in _MOJIBAKE_MARKERS):
        return None
    try:
        fixed = text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return fixed if fixed != text else None


def unescape(texts: Iterable[str]) -> list[str]:
    """HTML-entity unescape (X escapes &, <, >); untouched strings are passed through as is."""
    return [html.unescape(t) if "&" in t else t for t in texts]


def count_hashtags(text: str) -> int:
    """Hashtags in a tweet text; digits-only tags (#1) are not hashtags on X."""
    return len(_HASHTAG_RE.findall(text)) if ("#" in text or "＃" in text) else 0


def count_mentions(text: str) -> int:
    """@mentions in a tweet text (not e-mail addresses)."""
    return len(_MENTION_RE.findall(text)) if ("@" in text or "＠" in text) else 0


def url_domain(url: str) -> str | None:
    """Lower-case host without 'www.'; None for on-platform (twitter.com/x.com) or bad URLs."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if host in _PLATFORM_DOMAINS or host.endswith((".twitter.com", ".x.com")):
        return None
    return host


def join_domains(urls: Iterable[str]) -> str:
    """Space-separated unique external domains, in order of appearance ("" when none)."""
    seen: dict[str, None] = {}
    for url in urls:
        dom = url_domain(url)
        if dom:
            seen.setdefault(dom, None)
    return " ".join(seen)


def domains_in_text(text: str) -> str:
    """External domains of URLs written in the text (t.co when the export shortened them)."""
    if "://" not in text:
        return ""
    return join_domains(_URL_RE.findall(text))


def text_features(texts: list[str]) -> tuple[list[int], list[int], list[str]]:
    """Hashtag count, mention count and link domains for each text, in one pass."""
    tags = [count_hashtags(t) for t in texts]
    ments = [count_mentions(t) for t in texts]
    doms = [domains_in_text(t) for t in texts]
    return tags, ments, doms


_HANDLE_IN_LINK_RE = re.compile(r"(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status", re.IGNORECASE)
_LEADING_HANDLE_RE = re.compile(r"^[@＠]([A-Za-z0-9_]{1,15})")


def own_handle(links: Iterable[str]) -> str | None:
    """The account's handle (lower case): the most common one in its own status links."""
    counts: dict[str, int] = {}
    for link in links:
        m = _HANDLE_IN_LINK_RE.search(link) if link else None
        if m:
            key = m.group(1).lower()
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def starts_as_reply(text: str, own: str | None) -> bool:
    """CSV exports have no reply fields: a reply starts with the other account's @handle.

    A self-reply (a thread) is not a reply; `.@name` tweets were never replies.
    """
    m = _LEADING_HANDLE_RE.match(text)
    return bool(m) and (own is None or m.group(1).lower() != own)
