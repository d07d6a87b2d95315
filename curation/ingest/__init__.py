"""Pure parsing of X/Twitter and Mastodon exports into canonical frames (no database, no UI).

Public API: ``parse_files(files, progress) -> list[ParsedFile]``, ``FORMATS``, ``ParsedFile``,
``SkippedRow``. Each file's format is detected from its content, never its name. Decisions that
shape the output (edit chains, links, encodings, limits) are documented in the modules:
x_archive (edits, replies, note tweets, quoted links), text (encodings), limits, zipread.
"""

from __future__ import annotations

from curation.ingest.result import FORMATS, ParsedFile, SkippedRow
from curation.ingest.upload import parse_files

__all__ = ["FORMATS", "ParsedFile", "SkippedRow", "parse_files"]
