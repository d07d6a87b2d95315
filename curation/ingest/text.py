"""Byte decoding and the text-derived columns (links, hashtags, mentions) shared by all parsers."""

from __future__ import annotations

import codecs
import functools
import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import ImportFailed

UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Characters that only show up when UTF-8 bytes were read as Windows-1252 and saved again.
_MOJIBAKE_MARKERS = ("Ã", "â€", "ðŸ", "Â ", "Â·")
# The same, as UTF-8 bytes: one pass over the bytes is far faster than searching a large str.
_MOJIBAKE_BYTES = tuple(m.encode("utf-8") for m in _MOJIBAKE_MARKERS)
_MOJIBAKE_BYTES_RE = re.compile(b"|".join(re.escape(m) for m in _MOJIBAKE_BYTES))
# What surely is garbled: "Ã" followed by what cp1252 makes of a UTF-8 continuation byte
# (0x80-0xBF), "â€" or "ðŸ". A bare "Ã" is real text in Portuguese ("NÃO", "MÃE").
_GARBLED_BYTES_RE = re.compile(
    rb"\xc3\x83(?:\xc2[\xa0-\xbf]|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]|\xc6\x92|\xcb[\x86\x9c]"
    rb"|\xe2\x80[\x93-\xba]|\xe2\x82\xac|\xe2\x84\xa2)|\xc3\xa2\xe2\x82\xac|\xc3\xb0\xc5\xb8"
)

# A hashtag is what r"(?<![\w&#＃])[#＃]\d*[^\W\d]" finds (tests check the equivalence):
# not glued to a word, & (an entity) or another #; \w is Unicode, so #日本 counts; it needs
# one non-digit (#2024 is no tag).
_TAG_BODY_RE = re.compile(r"\d*[^\W\d]")
_ASCII_TAG_RE2 = "#[0-9]*[A-Za-z_]"
_INEXACT_TAG_RE2 = r"[A-Za-z0-9_&#]#|＃|#[0-9]*[^\x00-\x7F]|[^\x00-\x7F]#"
# RE2 syntax (Arrow kernels); RE2 has no lookbehind, see count_mentions.
_AT_HANDLE_RE2 = "@[A-Za-z0-9_]"  # X handles are ASCII
_INEXACT_AT_RE2 = "[A-Za-z0-9._%+-]@|＠"
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[@＠][A-Za-z0-9_]")
_URL_START_RE2 = r"(?i)https?://[^/\s?#<>\"'\\]+"  # counts exactly what _HOST_RE finds
_HOST_RE2 = r"(?i)https?://(?P<host>[^/\s?#<>\"'\\]+)"
_TWO_HOSTS_RE2 = r"(?is)https?://(?P<a>[^/\s?#<>\"'\\]+).*?https?://(?P<b>[^/\s?#<>\"'\\]+)"
_HOST_RE = re.compile(r"\s*https?://([^/\s?#<>\"'\\]+)", re.IGNORECASE)
_LEADING_HANDLE_RE2 = r"^[@＠][A-Za-z0-9_]"

# On-platform links (quoted tweets, profiles, media pages) are not "external" links.
_PLATFORM_DOMAINS = ("twitter.com", "x.com")
_PLATFORM_SUFFIXES = (".twitter.com", ".x.com")


# Enough of the file to see its header and first records without decoding all of it.
HEAD_BYTES = 256 * 1024


class TextSource:
    """An uploaded text file: UTF-8 bytes for the fast path, the full text decoded on demand.

    UTF-8 (BOM or not) and UTF-16 with BOM (Excel "Unicode text") are read as such. Windows-1252
    (what Excel writes on Windows) is accepted for CSVs with a warning, because the only other
    way out for the user is finding a text editor; any other undecodable byte fails with its
    offset. Text garbled by a UTF-8 -> cp1252 round trip ("Ã©") is repaired when the whole file
    round-trips cleanly, else left as is with a warning.
    """

    def __init__(self, data: bytes, name: str, allow_cp1252: bool = True) -> None:
        self.name = name
        self.allow_cp1252 = allow_cp1252
        self.warnings: list[str] = []
        self._text: str | None = None
        if data.startswith(_UTF16_BOMS) or _looks_utf16(data):
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError as exc:
                raise ImportFailed(
                    f"{name}: looks like UTF-16 text but byte {exc.start} is invalid. "
                    "Save the file again as 'CSV UTF-8' and upload it."
                ) from None
            self.warnings.append("File was UTF-16 (Excel 'Unicode text'); read it as such.")
            self._set_text(text.lstrip("\ufeff"))
        else:
            self._bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
            self._body = data[self._bom :]
            self.raw = self._body
            if _MOJIBAKE_BYTES_RE.search(self._body):
                self._decode_all()
        if self._text is not None:
            self.head = self._text[:HEAD_BYTES]
        else:
            try:
                self.head = codecs.getincrementaldecoder("utf-8")().decode(self._body[:HEAD_BYTES])
            except UnicodeDecodeError:
                self._decode_all()  # raises, or falls back to cp1252 with a warning
                self.head = self.text[:HEAD_BYTES]

    @property
    def text(self) -> str:
        """The whole file as text (decoded on first use; may add an encoding warning)."""
        if self._text is None:
            self._decode_all()
        assert self._text is not None
        return self._text

    def _set_text(self, text: str) -> None:
        self._text = text
        self.raw = text.encode("utf-8")

    def _decode_all(self) -> None:
        body = self._body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.allow_cp1252 and b"\x00" not in body:
                try:
                    text = body.decode("cp1252")
                except UnicodeDecodeError:
                    pass
                else:
                    self.warnings.append(
                        "File is not UTF-8; read it as Windows-1252 (Excel's default). "
                        "If accented letters or emoji look wrong, export it again as UTF-8."
                    )
                    self._set_text(text)
                    return
            raise ImportFailed(
                f"{self.name}: byte {self._bom + exc.start} is not valid UTF-8 text. Export the file again from "
                "X/Twitter, or save it as 'CSV UTF-8' in your spreadsheet program, and upload that."
            ) from None
        if not _MOJIBAKE_BYTES_RE.search(body):
            self._text = text
            return
        repaired = repair_mojibake(text)
        if repaired is not None:
            self.warnings.append("Text had been garbled by a Windows-1252 round trip (e.g. 'Ã©' for 'é'); repaired it.")
            self._set_text(repaired)
            return
        if _GARBLED_BYTES_RE.search(body):
            self.warnings.append(
                "Some text looks garbled (e.g. 'Ã©' for 'é'): the file was probably opened and "
                "saved in a spreadsheet with the wrong encoding. Export it again to fix the text."
            )
        self._text = text


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without BOM: ASCII text then has a NUL in every other byte."""
    head = data[:200]
    if len(head) < 8:
        return False
    return head[1::2].count(0) > 0.8 * len(head[1::2]) or head[0::2].count(0) > 0.8 * len(head[0::2])


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


def as_arrow(values: Any) -> pa.Array:
    """One contiguous Arrow string array (nulls -> ""); regex kernels are slow on many chunks."""
    if isinstance(values, pd.Series):
        values = pa.array(values.array if values.dtype == "str" else values.astype(object).tolist(), pa.string())
    elif not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(list(values), pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values.fill_null("") if values.null_count else values


def _rows_matching(texts: pa.Array, pattern: str) -> np.ndarray:
    """Row numbers whose text matches; a cheap literal pre-filter before costlier kernels.

    Regex kernels are used even for literals: Arrow's RE2 path beats its plain substring
    search on large arrays.
    """
    found = pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)
    return found.nonzero()[0]


def unescape_html(texts: pa.Array) -> pa.Array:
    """Undo X's HTML escaping once (&amp; -> &). X escapes only &, < and >, so those are
    replaced in bulk; the rare text with any other entity goes through html.unescape."""
    rows = _rows_matching(texts, "&")
    if len(rows) == 0:
        return texts
    sub = pc.take(texts, pa.array(rows))
    amp = pc.count_substring_regex(sub, "&")
    simple = pc.count_substring_regex(sub, "&(?:amp|lt|gt);")
    fixed = pc.replace_substring_regex(pc.replace_substring_regex(sub, "&lt;", "<"), "&gt;", ">")
    fixed = pc.replace_substring_regex(fixed, "&amp;", "&")
    other = pc.greater(amp, simple).to_numpy(zero_copy_only=False)
    if other.any():
        values = fixed.to_pylist()
        originals = sub.to_pylist()
        for i in other.nonzero()[0]:
            values[i] = html.unescape(originals[i])
        fixed = pa.array(values, pa.string())
    mask = np.zeros(len(texts), bool)
    mask[rows] = True
    return pc.replace_with_mask(texts, pa.array(mask), fixed)


def count_hashtags(texts: pa.Array) -> np.ndarray:
    """Hashtags per text (# or fullwidth ＃); #1 is not a hashtag on X.

    Same split as count_mentions: an ASCII RE2 pattern starting with a literal counts the
    common case; texts where it may be wrong (a # glued to a word or to non-ASCII letters, a
    fullwidth ＃) are recounted in Python. (RE2's Unicode classes cost ~20 ms to compile per
    call, which is why the exact rule is not done in RE2.)
    """
    if len(texts) == 0:
        return np.zeros(0, np.int64)
    counts = pc.count_substring_regex(texts, _ASCII_TAG_RE2).to_numpy(zero_copy_only=False)
    counts = counts.astype(np.int64)
    redo = _rows_matching(texts, _INEXACT_TAG_RE2)
    if len(redo):
        subset = pc.take(texts, pa.array(redo)).to_pylist()
        counts[redo] = [_hashtags_in_one(t) for t in subset]
    return counts


def _hashtags_in_one(text: str) -> int:
    # str.split is C-fast; a regex scan of the whole text was 10x slower on big exports.
    parts = text.replace("＃", "#").split("#")
    count = 0
    for i in range(1, len(parts)):
        before = parts[i - 1]
        if before:
            if before[-1].isalnum() or before[-1] in "_&":
                continue
        elif i > 1:
            continue  # "##tag": preceded by another #
        if _TAG_BODY_RE.match(parts[i]):
            count += 1
    return count


def count_mentions(texts: pa.Array) -> np.ndarray:
    """@mentions per text: what _MENTION_RE finds (e-mail addresses are not mentions).

    Bulk path: count "@ + handle character" with an RE2 pattern that starts with a literal and
    so runs fast (RE2 has no lookbehind). Texts where that count may be wrong (an @ glued to a
    word, as in e-mail addresses, or a fullwidth ＠) are recounted with _MENTION_RE in Python.
    """
    if len(texts) == 0:
        return np.zeros(0, np.int64)
    counts = pc.count_substring_regex(texts, _AT_HANDLE_RE2).to_numpy(zero_copy_only=False)
    counts = counts.astype(np.int64)
    redo = _rows_matching(texts, _INEXACT_AT_RE2)
    if len(redo):
        subset = pc.take(texts, pa.array(redo)).to_pylist()
        counts[redo] = [len(_MENTION_RE.findall(t)) for t in subset]
    return counts


def hashtags_in(text: str) -> int:
    """Hashtags in one text."""
    return int(count_hashtags(pa.array([text], pa.string()))[0])


def mentions_in(text: str) -> int:
    """@mentions in one text."""
    return int(count_mentions(pa.array([text], pa.string()))[0])


def url_domain(url: str) -> str | None:
    """Lower-case host without 'www.'; None for on-platform (twitter.com/x.com) or bad URLs."""
    m = _HOST_RE.match(url.strip())
    if m:
        host = m.group(1)
    else:
        try:
            host = urlsplit(url.strip()).hostname or ""
        except ValueError:
            return None
    return _clean_host(host) if host else None


@functools.lru_cache(maxsize=4096)
def _clean_host(host: str) -> str | None:
    # Cached: an account links to the same few sites again and again. Same steps, in the same
    # order, as _clean_hosts.
    host = host.lower().rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host or host in _PLATFORM_DOMAINS or host.endswith(_PLATFORM_SUFFIXES):
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


def link_domains(texts: pa.Array) -> np.ndarray:
    """External domains of the URLs written in each text (t.co when the export shortened them).

    Returns an object array of space-separated domains ("" when none). Most texts hold zero or
    one URL: those are done entirely by Arrow kernels; texts with several URLs in Python.
    """
    out = np.full(len(texts), "", dtype=object)
    if len(texts) == 0:
        return out
    n_urls = pc.count_substring_regex(texts, _URL_START_RE2).to_numpy(zero_copy_only=False)
    single = (n_urls == 1).nonzero()[0]
    if len(single):
        hosts = pc.struct_field(pc.extract_regex(pc.take(texts, pa.array(single)), _HOST_RE2), [0])
        out[single] = _clean_hosts(hosts).to_pylist()
    double = (n_urls == 2).nonzero()[0]
    if len(double):
        # Two URLs is common (a link plus the media's t.co link): still no Python per row.
        pairs = pc.extract_regex(pc.take(texts, pa.array(double)), _TWO_HOSTS_RE2)
        first = _clean_hosts(pc.struct_field(pairs, [0]))
        second = _clean_hosts(pc.struct_field(pairs, [1]))
        second = pc.if_else(pc.equal(first, second), "", second)
        joined = pc.binary_join_element_wise(first, second, " ")
        out[double] = pc.utf8_trim(joined, " ").to_pylist()
    multi = (n_urls > 2).nonzero()[0]
    if len(multi):
        for i, text in zip(multi, pc.take(texts, pa.array(multi)).to_pylist(), strict=True):
            seen: dict[str, None] = {}
            for host in _HOST_RE.findall(text):
                dom = _clean_host(host)
                if dom:
                    seen.setdefault(dom, None)
            out[i] = " ".join(seen)
    return out


def _clean_hosts(hosts: pa.Array) -> pa.Array:
    """_clean_host for a whole array ("" where _clean_host gives None)."""
    hosts = pc.utf8_lower(hosts.fill_null(""))
    for pattern in (r"^.*@", r":.*$", r"\.+$", r"^www\."):
        hosts = pc.replace_substring_regex(hosts, pattern, "")
    platform = pc.or_(
        pc.is_in(hosts, value_set=pa.array(list(_PLATFORM_DOMAINS))),
        pc.match_substring_regex(hosts, r"\.(?:twitter|x)\.com$"),
    )
    return pc.if_else(platform, "", hosts)


def replies_from_text(texts: pa.Array, own: str | None) -> np.ndarray:
    """CSV exports have no reply fields: a reply starts with the other account's @handle.

    A self-reply (a thread) is not a reply; `.@name` tweets were never replies.
    """
    if len(texts) == 0:
        return np.zeros(0, bool)
    is_reply = pc.match_substring_regex(texts, _LEADING_HANDLE_RE2).to_numpy(zero_copy_only=False)
    if own and re.fullmatch(r"[A-Za-z0-9_]{1,15}", own):
        own_rx = rf"^[@＠](?i:{own})(?:[^A-Za-z0-9_]|$)"
        to_self = pc.match_substring_regex(texts, own_rx).to_numpy(zero_copy_only=False)
        is_reply = is_reply & ~to_self
    return is_reply.astype(bool)


_HANDLE_IN_LINK_RE = re.compile(r"(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status", re.IGNORECASE)


def own_handle(links: Iterable[str]) -> str | None:
    """The account's handle (lower case): the most common one in its own status links."""
    counts: dict[str, int] = {}
    for link in links:
        m = _HANDLE_IN_LINK_RE.search(link) if link else None
        if m:
            key = m.group(1).lower()
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None
