"""Safe reading of uploaded zip files: bounded sizes, no bombs, no nested zips, no path tricks.

Members are never extracted to disk; only the few we parse are inflated, in chunks, and every
bound is checked twice: against the central directory up front and against the bytes actually
produced while streaming, so a member that lies about its size cannot get past the limits.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from curation.errors import ImportFailed
from curation.ingest.limits import (
    MAX_COMPRESSION_RATIO,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_TOTAL_BYTES,
    RATIO_FLOOR_BYTES,
    STREAM_CHUNK_BYTES,
)

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_NESTED_SUFFIXES = (".zip",)


def is_zip(data: bytes) -> bool:
    """Zip by its magic bytes (local header, or the end record of an empty zip)."""
    return data.startswith(ZIP_MAGIC)


def _damaged(name: str) -> ImportFailed:
    return ImportFailed(
        f"{name}: the zip file is damaged or incomplete (the upload may have been cut off). "
        "Download it again and upload the new copy."
    )


class SafeZip:
    """A validated zip: members listed by their '/'-separated path; read() is bounded."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        try:
            self._zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
            raise _damaged(name) from None
        if len(infos) > MAX_ZIP_MEMBERS:
            raise ImportFailed(
                f"{name}: the zip holds {len(infos):,} files; at most {MAX_ZIP_MEMBERS:,} are "
                "accepted. Upload the export itself, not a folder of many files."
            )
        declared = 0
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            path = check_member_name(info.filename, name)
            if info.is_dir():
                continue
            if path.lower().endswith(_NESTED_SUFFIXES):
                raise ImportFailed(
                    f"{name}: contains another zip ({path}). Unzip it and upload the inner export directly."
                )
            _check_ratio(info.file_size, info.compress_size, path, name)
            declared += info.file_size
            if declared > MAX_ZIP_TOTAL_BYTES:
                raise _too_big(name)
            self.members[path] = info
        self._budget = MAX_ZIP_TOTAL_BYTES

    def read(self, path: str) -> bytes:
        """Inflate one member, enforcing its declared size, the ratio and the total budget."""
        info = self.members[path]
        if info.flag_bits & 0x1:
            raise ImportFailed(f"{self.name}: {path} is password-protected. Upload an unencrypted zip.")
        out = bytearray()
        try:
            with self._zf.open(info) as fh:
                while True:
                    chunk = fh.read(STREAM_CHUNK_BYTES)
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > info.file_size:
                        raise _damaged(self.name)
                    _check_ratio(len(out), info.compress_size, path, self.name)
                    if len(out) > self._budget:
                        raise _too_big(self.name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            raise _damaged(self.name) from None
        except NotImplementedError:
            raise ImportFailed(
                f"{self.name}: {path} uses a compression method this app cannot read. "
                "Re-create the zip with standard (Deflate) compression."
            ) from None
        except RuntimeError:  # zipfile's "password required"
            raise ImportFailed(f"{self.name}: {path} is password-protected. Upload an unencrypted zip.") from None
        self._budget -= len(out)
        if bytes(out[:4]) in ZIP_MAGIC:
            raise ImportFailed(
                f"{self.name}: contains another zip ({path}). Unzip it and upload the inner export directly."
            )
        return bytes(out)


def check_member_name(raw: str, name: str) -> str:
    """The member path with '/' separators; absolute paths and '..' are refused outright."""
    path = raw.replace("\\", "/")
    parts = path.split("/")
    if path.startswith("/") or _DRIVE_RE.match(path) or ".." in parts or "\x00" in path:
        raise ImportFailed(
            f"{name}: contains an unsafe file name ({raw[:80]!r}). This is not an export from "
            "X/Twitter or Mastodon; upload the original download."
        )
    return path


def _check_ratio(size: int, compressed: int, path: str, name: str) -> None:
    if size > RATIO_FLOOR_BYTES and size > MAX_COMPRESSION_RATIO * max(compressed, 1):
        raise ImportFailed(
            f"{name}: {path} expands more than {MAX_COMPRESSION_RATIO}x (a 'zip bomb'). Upload the original export."
        )


def _too_big(name: str) -> ImportFailed:
    return ImportFailed(
        f"{name}: unpacks to more than {MAX_ZIP_TOTAL_BYTES // 2**30} GiB. Upload only the export "
        "(for an X archive, the data/tweets*.js files are enough)."
    )
