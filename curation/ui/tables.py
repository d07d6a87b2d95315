"""Frames shaped for display: import reports and upload lists, with how their columns read on screen."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from curation.workspace.importer import FileReport


def file_table(files: list[FileReport] | list[dict]) -> pd.DataFrame:
    """One row per file of an import report."""
    rows = [f if isinstance(f, dict) else f.__dict__ for f in files]
    return pd.DataFrame(
        [
            {
                "file": r["name"],
                "format": r["format"],
                "rows read": r["rows_read"],
                "new": r["new"],
                "updated": r["updated"],
                "unchanged": r["unchanged"],
                "skipped": len(r["skipped"]),
                "account days": r.get("daily_days", 0),
                "followers": r.get("followers"),
                "following": r.get("following"),
            }
            for r in rows
        ]
    )


def skipped_table(files: list[FileReport] | list[dict]) -> pd.DataFrame:
    rows = [f if isinstance(f, dict) else f.__dict__ for f in files]
    return pd.DataFrame(
        [{"file": r["name"], "row": s["row"], "reason": s["reason"]} for r in rows for s in r["skipped"]],
        columns=["file", "row", "reason"],
    )


def warnings_list(files: list[FileReport] | list[dict]) -> list[tuple[str, str]]:
    rows = [f if isinstance(f, dict) else f.__dict__ for f in files]
    return [(r["name"], w) for r in rows for w in r["warnings"]]


def report_warnings(report: Mapping) -> list[str]:
    """Every warning of a stored import report, the upload's own and each file's, once each."""
    said = [str(w) for w in report.get("warnings") or []]
    said += [f"{name}: {w}" for name, w in warnings_list(report.get("files", []))
             if str(w) not in said]
    return list(dict.fromkeys(said))


_COUNT = st.column_config.NumberColumn(format="localized")
FILE_COLUMNS = {"file": st.column_config.TextColumn(width="large"), "rows read": _COUNT, "new": _COUNT,
                "updated": _COUNT, "unchanged": _COUNT, "skipped": _COUNT, "followers": _COUNT, "following": _COUNT}
PREVIEW_COLUMNS = {
    "tweet_id": st.column_config.TextColumn("tweet"),
    "created_at": st.column_config.DatetimeColumn("posted (UTC)", format="ddd D MMM YYYY, HH:mm"),
    "text": st.column_config.TextColumn(width="large"),
    "url_clicks": st.column_config.NumberColumn("link clicks", format="localized"),
    "impressions": _COUNT,
}
