"""Read a decoded CSV upload into positional string columns, fast path first, tolerant fallback."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pandas as pd

from curation.errors import ImportFailed
from curation.ingest.limits import MAX_ROWS

# Twitter's CSVs use ",", but a file re-saved by Excel in many locales uses ";" or a tab.
_DELIMITERS = (",", ";", "\t")
# Longest plausible cell: a long post is 25,000 characters; leave headroom for HTML escaping.
_MAX_FIELD_CHARS = 1_000_000


@dataclass
class CsvTable:
    """A CSV's header cells and its records as str columns 0..n-1 ('' where a cell is missing).

    ``rows.index`` is the record number in the file (header = 1), what a spreadsheet shows as the
    row number, so skipped-row reports point at the right place.
    """

    header: list[str]
    rows: pd.DataFrame
    ragged: list[tuple[int, int]]  # (record number, cells) for records with more cells than header


def normalise_header(cell: str) -> str:
    """Header cell compared case-, space- and quote-insensitively (X writes a stray backslash)."""
    return cell.replace("\ufeff", "").strip().strip('"').strip().rstrip("\\").strip().lower()


def first_line(text: str) -> str:
    """The header line (no header cell holds a newline) without BOM or CR."""
    end = text.find("\n")
    line = text if end < 0 else text[:end]
    return line.lstrip("\ufeff").rstrip("\r")


def sniff_delimiter(line: str) -> str:
    """The delimiter that splits the header line into the most cells."""
    return max(_DELIMITERS, key=line.count)


def header_cells(text: str) -> tuple[list[str], str]:
    """Header cells (unnormalised) and the file's delimiter."""
    line = first_line(text)
    delim = sniff_delimiter(line)
    try:
        cells = next(csv.reader([line], delimiter=delim), [])
    except csv.Error:
        cells = []
    return cells, delim


def first_record(text: str, delim: str) -> list[str]:
    """The first data record (for shape checks when the header language is unknown)."""
    reader = csv.reader(io.StringIO(text[:200_000]), delimiter=delim)
    try:
        next(reader, None)
        for rec in reader:
            if any(cell.strip() for cell in rec):
                return rec
    except csv.Error:
        return []
    return []


def read_table(text: str, name: str, raw: bytes | None = None, ragged_ok: bool = False) -> CsvTable:
    """Parse the whole CSV; ``raw`` (the UTF-8 bytes of ``text``) lets pandas skip re-encoding.

    The C parser handles well-formed exports at full speed; files with ragged rows or broken
    quoting fall back to the csv module, which reports them row by row instead of failing.
    """
    header, delim = header_cells(text)
    width = len(header)
    if width == 0:
        raise ImportFailed(f"{name}: the first line has no column names. Upload the file as exported.")
    if not ragged_ok:
        try:
            frame = pd.read_csv(
                io.BytesIO(raw if raw is not None else text.encode("utf-8")),
                sep=delim,
                header=None,
                names=range(width),
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                skiprows=1,
                engine="c",
                encoding="utf-8",
                encoding_errors="strict",
            )
        except (pd.errors.ParserError, ValueError, UnicodeDecodeError):
            pass  # ragged or odd quoting: the tolerant path below says which rows
        except pd.errors.EmptyDataError:
            return CsvTable(header, pd.DataFrame(columns=range(width), dtype=str), [])
        else:
            _check_rows(len(frame), name)
            frame.index = pd.RangeIndex(2, len(frame) + 2)
            return CsvTable(header, frame.fillna(""), [])
    return _read_tolerant(text, name, header, delim)


def _read_tolerant(text: str, name: str, header: list[str], delim: str) -> CsvTable:
    width = len(header)
    records: list[list[str]] = []
    numbers: list[int] = []
    ragged: list[tuple[int, int]] = []
    old_limit = csv.field_size_limit()
    csv.field_size_limit(_MAX_FIELD_CHARS)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        next(reader, None)
        for number, rec in enumerate(reader, start=2):
            if len(rec) > width:
                ragged.append((number, len(rec)))
            elif len(rec) < width:
                rec = rec + [""] * (width - len(rec))
            records.append(rec)
            numbers.append(number)
            if len(records) > MAX_ROWS:
                _check_rows(len(records), name)
    except csv.Error as exc:
        raise ImportFailed(
            f"{name}: the CSV is malformed near row {len(records) + 2} ({exc}). "
            "Upload the file exactly as X/Twitter exported it."
        ) from None
    finally:
        csv.field_size_limit(old_limit)
    full = max((len(r) for r in records), default=width)
    frame = pd.DataFrame(
        [r + [""] * (full - len(r)) for r in records] if full > width else records,
        columns=range(full),
        dtype=object,
    )
    frame.index = pd.Index(numbers, dtype="int64")
    return CsvTable(header, frame, ragged)


def _check_rows(n: int, name: str) -> None:
    if n > MAX_ROWS:
        raise ImportFailed(
            f"{name}: more than {MAX_ROWS:,} rows. Split the export into smaller date ranges."
        )
