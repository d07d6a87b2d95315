"""Byte decoding and the text-derived columns (links, hashtags, mentions) shared by all parsers."""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import ImportFailed

# The rules live in curation.text (history and drafts share them); parsers import them from here. CSV
# exports have no reply fields: replies_from_text reads a reply from the text, as drafts are read.
from curation.text import _rows_matching
from curation.text import count_hashtags as count_hashtags
from curation.text import count_mentions as count_mentions
from curation.text import hashtags_in as hashtags_in
from curation.text import join_domains as join_domains
from curation.text import link_domains as link_domains
from curation.text import mentions_in as mentions_in
from curation.text import replies_from_text as replies_from_text
from curation.text import url_domain as url_domain

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
