"""Downloads: formula-safe CSV for spreadsheets and iCalendar (.ics) for planned posts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pandas as pd
from icalendar import Calendar, Event

from curation.plan.result import Plan

# A cell starting with one of these is a formula (or DDE payload) in Excel, LibreOffice and Sheets.
# Full-width forms are included because some spreadsheet locales normalise them to ASCII.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
UID_DOMAIN = "curation-planner.invalid"
EVENT_MINUTES = 15
SUMMARY_CHARS = 40
_SPACE = re.compile(r"\s+")


def neutralise(value: object) -> object:
    """Prefix a single quote to text that a spreadsheet would evaluate; other values pass unchanged.

    Leading spaces are looked through, since some spreadsheets trim them before parsing.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel picks the encoding) where no text cell or header can run as a formula.

    Numbers stay numbers (a negative count is not text); every string cell, including strings
    that look like numbers, is checked. Used for every CSV download in the app.
    """
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[col] = series.astype("object").map(neutralise)
    buf = io.StringIO()
    out.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8-sig")


def plan_frame(plan: Plan) -> pd.DataFrame:
    """One row per planned post: UTC time, draft, text, predicted target with its interval, and why."""
    label = plan.target_label
    return pd.DataFrame(
        {
            "posting_time_utc": [s.at.tz_convert("UTC").strftime("%Y-%m-%d %H:%M") for s in plan.slots],
            "draft_id": [int(s.draft_id) for s in plan.slots],
            "text": [s.text for s in plan.slots],
            f"predicted_{label}": [round(float(s.predicted), 2) for s in plan.slots],
            f"{label}_low": [round(float(s.lower), 2) for s in plan.slots],
            f"{label}_high": [round(float(s.upper), 2) for s in plan.slots],
            "why": [s.why for s in plan.slots],
        }
    )


def plan_to_csv(plan: Plan) -> bytes:
    """The plan as a formula-safe CSV (see plan_frame for the columns)."""
    return safe_csv(plan_frame(plan))


def _summary(text: str) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return "Post: " + (flat if len(flat) <= SUMMARY_CHARS else flat[:SUMMARY_CHARS].rstrip() + "…")


def event_uid(draft_id: int, at: pd.Timestamp, domain: str = UID_DOMAIN) -> str:
    """Stable UID: the same draft at the same time re-imports as an update, not a duplicate."""
    return f"draft-{int(draft_id)}-{pd.Timestamp(at).tz_convert('UTC'):%Y%m%dT%H%M%SZ}@{domain}"


def plan_to_ics(plan: Plan, calendar_name: str, uid_domain: str = UID_DOMAIN, stamp: datetime | None = None) -> bytes:
    """An iCalendar file with one 15-minute VEVENT per planned post, times in UTC.

    SUMMARY is "Post: " + the first 40 characters; DESCRIPTION holds the full text, the predicted
    target with its interval and the reason. Imports into Google Calendar, Outlook and Apple Calendar.
    """
    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    label = plan.target_label
    cal = Calendar()
    cal.add("prodid", "-//Content curation planner//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", calendar_name)
    cal.add("x-wr-calname", calendar_name)
    for slot in plan.slots:
        start = pd.Timestamp(slot.at).tz_convert("UTC").to_pydatetime()
        event = Event()
        event.add("uid", event_uid(slot.draft_id, slot.at, uid_domain))
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=EVENT_MINUTES))
        event.add("summary", _summary(slot.text))
        event.add(
            "description",
            f"{slot.text}\n\nPredicted {label}: {slot.predicted:.1f} (likely {slot.lower:.1f}–{slot.upper:.1f})"
            f"\nWhy: {slot.why}\nDraft #{int(slot.draft_id)}",
        )
        event.add("transp", "TRANSPARENT")  # a reminder to post, not a busy block
        cal.add_component(event)
    return cal.to_ical()
