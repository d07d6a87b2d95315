"""Read a decoded CSV upload into positional string columns, fast path first, tolerant fallback."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from curation.errors import ImportFailed
from curation.ingest.limits import MAX_ROWS
from curation.ingest.text import TextSource

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


def read_table(
    source: TextSource,
    ragged_ok: bool = False,
    columns: Sequence[int] | None = None,
    numeric: Sequence[int] = (),
) -> CsvTable:
    """Parse the whole CSV; ``columns`` are read (all when None), ``numeric`` ones as floats.

    Arrow's CSV reader handles well-formed exports at full speed; ``numeric`` columns come out
    as float64 with NaN for "-" or blanks (the caller turns them into counts). A file where one
    of them holds text (a repeated header line in a concatenated export) is read again with all
    columns as str. Files with ragged rows or broken quoting fall back to the csv module, which
    reports them row by row instead of failing. Blank lines are not records in any path.
    """
    name = source.name
    header, delim = header_cells(source.head)
    width = len(header)
    if width == 0:
        raise ImportFailed(f"{name}: the first line has no column names. Upload the file as exported.")
    if not ragged_ok:
        wanted = [i for i in (columns if columns is not None else range(width)) if i < width]
        floats = [i for i in numeric if i in wanted]
        table = _read_arrow(source.raw, delim, width, wanted, floats) if floats else None
        if table is None:
            table = _read_arrow(source.raw, delim, width, wanted, [])
        if table is not None:
            _check_rows(table.num_rows, name)
            frame = table.to_pandas()
            frame.columns = [int(c[1:]) for c in frame.columns]
            frame.index = pd.RangeIndex(2, table.num_rows + 2)
            return CsvTable(header, frame, [])
    return _read_tolerant(source.text, name, header, delim)


def _read_arrow(data: bytes, delim: str, width: int, wanted: list[int], floats: list[int]) -> pa.Table | None:
    names = [f"c{i}" for i in range(width)]
    types = dict.fromkeys(names, pa.string())
    types.update({names[i]: pa.float64() for i in floats})
    try:
        return pacsv.read_csv(
            io.BytesIO(data),
            # One thread is faster here: the files are small next to Arrow's block size.
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[i] for i in wanted],
                column_types=types,
                null_values=["", "-"],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None  # ragged rows, odd quoting, a giant cell, text in a number column


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
        number = 1
        for rec in reader:
            if not rec:
                continue  # a blank line is not a record (as in the fast path)
            number += 1
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
    if full > width:
        records = [r + [""] * (full - len(r)) for r in records]
    frame = pd.DataFrame(records, columns=range(full), dtype=object).astype("str")
    frame.index = pd.Index(numbers, dtype="int64")
    return CsvTable(header, frame, ragged)


def _check_rows(n: int, name: str) -> None:
    if n > MAX_ROWS:
        raise ImportFailed(f"{name}: more than {MAX_ROWS:,} rows. Split the export into smaller date ranges.")
