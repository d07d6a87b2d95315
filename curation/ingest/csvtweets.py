"""Steps shared by the per-tweet analytics CSVs (legacy and new X): clean rows, derive columns."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.ingest.csvread import normalise_header
from curation.ingest.frames import as_of_from_name, empty_daily, later, newest, tweets_frame
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import (
    as_arrow,
    count_hashtags,
    count_mentions,
    link_domains,
    own_handle,
    replies_from_text,
    unescape_html,
)
from curation.ingest.validate import count_warnings

# The account's handle is the same in every row; a sample is enough to find it.
_HANDLE_SAMPLE = 2000


def data_rows(rows: pd.DataFrame, id_pos: int, id_headers: Collection[str]) -> pd.DataFrame:
    """Rows minus repeated header lines (hand-concatenated exports) and fully empty rows."""
    ids = rows[id_pos].str.strip()
    header_again = ids.str.lower().isin(list(id_headers))
    if header_again.any():
        # Rare path: compare exactly as the header is normalised (BOM, quotes, backslash).
        header_again = ids.map(normalise_header).isin(list(id_headers))
    empty = pd.Series(False, index=rows.index)
    if (ids == "").any():
        empty = pd.Series(True, index=rows.index)
        for col in rows.columns:
            cells = rows[col]
            empty &= cells.isna() if cells.dtype.kind == "f" else (cells.str.strip() == "")
    return rows[~(header_again | empty)]


def skip_rows(skipped: list[SkippedRow], numbers: pd.Index, mask: np.ndarray, reason: str | pd.Series) -> None:
    """Record every row under ``mask`` as skipped, with one reason or a per-row one."""
    for pos in mask.nonzero()[0]:
        why = reason if isinstance(reason, str) else str(reason.iloc[pos])
        skipped.append(SkippedRow(int(numbers[pos]), why))


def finish(
    *,
    name: str,
    fmt: str,
    ids: pd.Series,
    times: pd.Series,
    texts: pd.Series,
    links: pd.Series,
    metrics: Mapping[str, pd.Series],
    rows_read: int,
    skipped: list[SkippedRow],
    warnings: list[str],
) -> ParsedFile:
    """Derive the text columns, build the canonical frame, keep one row per id, report."""
    text_arr = unescape_html(as_arrow(texts))
    domains = link_domains(text_arr)
    own = own_handle(links.iloc[:_HANDLE_SAMPLE].tolist())
    bad_counts: dict[str, np.ndarray] = {}
    frame = tweets_frame(
        {
            "tweet_id": as_arrow(ids.str.strip()),
            "created_at": times,
            "text": text_arr,
            "is_reply": replies_from_text(text_arr, own),
            "has_link": domains != "",
            "link_domains": domains,
            "n_hashtags": count_hashtags(text_arr),
            "n_mentions": count_mentions(text_arr),
            **metrics,
        },
        len(ids),
        bad_counts,
    )
    warnings.extend(count_warnings(bad_counts, ids.index))
    frame, dupes = keep_most_impressions(frame)
    if dupes:
        warnings.append(
            f"{dupes} duplicate tweet id(s) (concatenated exports?): kept the row with the most "
            "impressions, which is the newest."
        )
    skipped.sort(key=lambda s: s.row)
    as_of: datetime | None = later(as_of_from_name(name), newest(frame["created_at"]))
    return ParsedFile(
        name=name,
        format=fmt,
        tweets=frame,
        daily=empty_daily(),
        as_of=as_of,
        rows_read=rows_read,
        skipped=skipped,
        warnings=warnings,
        account_handle=own,
    )


def keep_most_impressions(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per tweet id: the one with the most impressions (metrics only grow)."""
    ids = pa.array(frame["tweet_id"].array, pa.string())
    if pc.count_distinct(ids).as_py() == len(ids):  # the usual case, without a pandas hash table
        return frame, 0
    order = frame["impressions"].astype("Float64").fillna(-1.0)
    ranked = frame.assign(_imp=order).sort_values("_imp", ascending=False, kind="stable")
    out = ranked.drop_duplicates("tweet_id", keep="first").drop(columns="_imp")
    return out.sort_index().reset_index(drop=True), len(frame) - len(out)
