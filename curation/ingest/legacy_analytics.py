"""Twitter Analytics per-tweet CSV (2015–2022), in English, Japanese or any language by position.

Only the organic columns are read: the "promoted ..." columns describe paid reach, which the
planner does not learn from. Hand-concatenated monthly files are accepted: repeated header lines
are dropped silently and a tweet id seen twice keeps the row with more impressions (metrics
only grow, so that row is from the later export).
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import ImportFailed
from curation.ingest.csvread import first_record, header_cells, normalise_header, read_table
from curation.ingest.csvtweets import data_rows, finish, skip_rows
from curation.ingest.frames import bad_id_reasons, parse_utc, valid_ids
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import TextSource

# Canonical field per header name. "favorites" is the pre-2015 name of "likes".
_NAMES: dict[str, str] = {
    "tweet id": "id",
    "tweet permalink": "permalink",
    "tweet text": "text",
    "time": "time",
    "impressions": "impressions",
    "engagements": "engagements",
    "retweets": "reposts",
    "replies": "replies",
    "likes": "likes",
    "favorites": "likes",
    "user profile clicks": "profile_visits",
    "url clicks": "url_clicks",
    "hashtag clicks": "hashtag_clicks",
    "detail expands": "detail_expands",
    "permalink clicks": "permalink_clicks",
    "follows": "follows",
    "media views": "media_views",
    # Japanese export (_ja.csv), from FORMATS.md.
    "ツイートid": "id",
    "ツイートの固定リンク": "permalink",
    "ツイート本文": "text",
    "時間": "time",
    "インプレッション": "impressions",
    "エンゲージメント": "engagements",
    "リツイート": "reposts",
    "返信": "replies",
    "いいね": "likes",
    "ユーザープロフィールクリック": "profile_visits",
    "urlクリック数": "url_clicks",
    "ハッシュタグクリック": "hashtag_clicks",
    "詳細クリック": "detail_expands",
    "固定リンクのクリック数": "permalink_clicks",
    "フォローしている": "follows",
    "メディアの再生数": "media_views",
    # Portuguese export (_pt.csv); some cells end in ":" in X's own header.
    "id do tweet": "id",
    "link permanente do tweet": "permalink",
    "texto do tweet": "text",
    "horário": "time",
    "impressões": "impressions",
    "engajamentos": "engagements",
    "respostas": "replies",
    "curtidas": "likes",
    "favoritos": "likes",
    "cliques no perfil do usuário": "profile_visits",
    "cliques no url": "url_clicks",
    "cliques em hashtags": "hashtag_clicks",
    "expansões de detalhes": "detail_expands",
    "cliques no link permanente": "permalink_clicks",
    "seguiram": "follows",
    "visualizações da mídia": "media_views",
}
_TIME_HEADERS = frozenset(k for k, v in _NAMES.items() if v == "time")
ID_HEADERS = frozenset(k for k, v in _NAMES.items() if v == "id")

# The 40-column layout is the same in every language; used when the header is not recognised.
_POSITIONS: dict[int, str] = {
    0: "id",
    1: "permalink",
    2: "text",
    3: "time",
    4: "impressions",
    5: "engagements",
    7: "reposts",
    8: "replies",
    9: "likes",
    10: "profile_visits",
    11: "url_clicks",
    12: "hashtag_clicks",
    13: "detail_expands",
    14: "permalink_clicks",
    17: "follows",
    20: "media_views",
}
_METRIC_FIELDS = tuple(v for v in _POSITIONS.values() if v not in ("id", "permalink", "text", "time"))
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")

POSITION_WARNING = "Header language not recognised: columns mapped by position"


def _norm(cell: str) -> str:
    return normalise_header(cell).rstrip(":").strip()


def known_header(cells: list[str]) -> bool:
    """A header in a language we know (English, older 'favorites' English, Japanese, Portuguese)."""
    norm = [_norm(c) for c in cells]
    return bool(norm) and norm[0] in ID_HEADERS and any(c in _TIME_HEADERS for c in norm)


def shaped_like(text: str) -> bool:
    """Unknown header language, but the rows have the per-tweet layout (id, permalink, text, time)."""
    cells, delim = header_cells(text)
    if len(cells) < 22:
        return False
    rec = first_record(text, delim)
    return len(rec) >= 22 and rec[0].strip().isdigit() and "/status/" in rec[1] and bool(_TIME_RE.match(rec[3].strip()))


def parse_legacy_analytics(source: TextSource) -> ParsedFile:
    """Parse a per-tweet Twitter Analytics export into canonical tweets."""
    name, warnings = source.name, source.warnings
    cells, _ = header_cells(source.head)
    norm = [_norm(c) for c in cells]
    if known_header(cells):
        fields: dict[str, int] = {}
        for pos, cell in enumerate(norm):
            field = _NAMES.get(cell)
            if field and field not in fields:
                fields[field] = pos
    else:
        warnings.append(POSITION_WARNING)
        fields = {f: p for p, f in _POSITIONS.items() if p < len(norm)}
    for needed in ("id", "time"):
        if needed not in fields:
            raise ImportFailed(f"{name}: no '{needed}' column. Upload the per-tweet export as downloaded.")
    metric_cols = [fields[f] for f in _METRIC_FIELDS if f in fields]
    table = read_table(source, columns=sorted(fields.values()), numeric=metric_cols)
    rows = data_rows(table.rows, fields["id"], ID_HEADERS | {norm[fields["id"]]})
    rows_read = len(rows)
    numbers = rows.index
    skipped: list[SkippedRow] = []

    ids = rows[fields["id"]].str.strip()
    if "permalink" in fields:
        ids = _ids_from_permalinks(ids, rows[fields["permalink"]], warnings)
    ok = valid_ids(ids)
    ragged = numbers.isin([num for num, _ in table.ragged])
    skip_rows(skipped, numbers, ragged, f"has more cells than the header's {len(norm)}")
    bad_id = ~ok & ~ragged
    for num, why in zip(numbers[bad_id], bad_id_reasons(ids[bad_id], "tweet id"), strict=True):
        skipped.append(SkippedRow(int(num), why))
    ok &= ~ragged

    time_raw = rows[fields["time"]].str.strip()
    times = _parse_times(time_raw)
    bad_time = ok & times.isna().to_numpy()
    skip_rows(skipped, numbers, bad_time, "time '" + time_raw.str.slice(0, 40) + "' is not a date and time")
    ok &= ~bad_time

    rows = rows[ok]
    empty = pd.Series("", index=rows.index, dtype="str")
    return finish(
        name=name,
        fmt="legacy_analytics",
        ids=ids[ok],
        times=times[ok],
        texts=rows[fields["text"]] if "text" in fields else empty,
        links=rows[fields["permalink"]] if "permalink" in fields else empty,
        metrics={f: rows[fields[f]] for f in _METRIC_FIELDS if f in fields},
        rows_read=rows_read,
        skipped=skipped,
        warnings=warnings,
    )


_PERMALINK_ID_RE = r"/status(?:es)?/(?P<id>\d{1,20})(?:[/?#]|$)"
# A spreadsheet shows ids as 6.008E+17 (4+ significant digits) or keeps 15 of 18-19 digits.
_MANGLED_REL = 1e-3


def _ids_from_permalinks(ids: pd.Series, links: pd.Series, warnings: list[str]) -> pd.Series:
    """Ids a spreadsheet mangled (`6.008E+17`, `600800254800322000`), taken from the permalink.

    Only where the permalink's id rounds to the cell's number (so a wrong link cannot swap
    tweets), or the cell is empty; the warning says how many and why.
    """
    # Only cells that are not plain ids, or end in a zero (a 16-digit id rounded to a sheet's 15
    # significant digits ends in a single one), can be mangled: the usual file costs two vectorised checks.
    id_arr = pa.array(ids.array, pa.string())
    maybe = pc.or_(pc.invert(pa.array(valid_ids(ids))), pc.fill_null(pc.ends_with(id_arr, "0"), False))
    if not pc.any(maybe).as_py():
        return ids
    cand = maybe.to_numpy(zero_copy_only=False).astype(bool)
    sub_links = pa.array(links[cand].array, pa.string())
    link_ids = pc.struct_field(pc.extract_regex(pc.utf8_trim_whitespace(sub_links), _PERMALINK_ID_RE), [0])
    from_link = pd.Series(link_ids.to_pylist(), index=ids.index[cand], dtype=object).fillna("").astype("str")
    from_link = from_link.reindex(ids.index, fill_value="")
    differs = (from_link != "") & (from_link != ids)
    if not differs.any():
        return ids
    cell = pd.to_numeric(ids[differs].str.replace(",", "", regex=False), errors="coerce")
    link_num = pd.to_numeric(from_link[differs], errors="coerce").astype(float)
    close = (cell - link_num).abs() <= _MANGLED_REL * link_num
    take = close.fillna(False) | (ids[differs] == "")
    n = int(take.sum())
    if not n:
        return ids
    out = ids.copy()
    fixed = take[take].index
    out[fixed] = from_link[fixed]
    example = ids[fixed[0]] or "an empty cell"
    warnings.append(
        f"{n} tweet id(s) were damaged (e.g. {example}, as a spreadsheet shows long numbers): took "
        "each id from its Tweet permalink instead. Upload the file as exported to avoid this."
    )
    return out


def _parse_times(raw: pd.Series) -> pd.Series:
    """`2021-04-30 09:32 +0000` (always UTC); ISO variants from re-saved files are accepted too."""
    times = parse_utc(raw, "legacy")
    retry = times.isna() & (raw != "")
    if retry.any():
        # Naive times are taken as UTC, which is what the export wrote before re-saving.
        times[retry] = pd.to_datetime(raw[retry], format="ISO8601", utc=True, errors="coerce")
    return times.astype("datetime64[ns, UTC]")
