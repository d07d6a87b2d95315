"""Pure parsing of X/Twitter and Mastodon exports into canonical frames (no database, no UI).

Public API: ``parse_files(files, progress) -> list[ParsedFile]``, ``FORMATS``, ``ParsedFile``,
``SkippedRow``, and ``read_paths`` / ``read_uploads`` / ``check_size``, which refuse a file over
the size limit before it is read whole. Each file's format is detected from its content, never its name; a zip is
opened safely and read as one archive. Bad input raises curation.errors.ImportFailed with a
message that says what to do; no other exception type escapes for malformed content.

Decisions that shape the output are documented where they are made: x_archive (edit chains,
replies and the account id, note tweets, quoted-tweet links), text.TextSource (encodings),
limits and zipread (sizes, zip safety), legacy_analytics (concatenated files, promoted columns),
x_content (times from post ids, junk rows), mastodon (HTML to text, boosts).
"""

from __future__ import annotations

from curation.ingest.result import FORMATS, ParsedFile, SkippedRow
from curation.ingest.upload import check_size, parse_files, read_paths, read_uploads

__all__ = ["FORMATS", "ParsedFile", "SkippedRow", "check_size", "parse_files", "read_paths", "read_uploads"]
