"""Facts several layers share, defined once: label wording, weekday names, cell size and the timezone check."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from curation.errors import CurationError

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# How each model target is worded on screen ("clicks", not "url_clicks").
TARGET_LABELS: dict[str, str] = {"url_clicks": "clicks", "engagement": "engagement"}
# Insights and Planner best-time cells: weekday x 4-hour blocks, 6 per day, 42 per week.
TIMING_CELL_HOURS = 4


def check_timezone(tz: str) -> str:
    """Return ``tz`` if it is an IANA zone name, else raise a CurationError that says so."""
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CurationError(
            f"Unknown timezone {tz!r}. Use an IANA name such as Europe/Berlin or America/New_York "
            "(the workspace settings list them)."
        ) from exc
    return tz
