"""Frames shaped for display: import reports and upload lists."""

from __future__ import annotations

import pandas as pd

from curation.importer import FileReport


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
