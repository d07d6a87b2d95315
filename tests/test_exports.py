"""Downloads are safe to open: CSV cells never run as formulas, and the .ics imports one event per post."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from curation.plan.exports import FORMULA_STARTS, event_uid, plan_frame, plan_to_csv, plan_to_ics, safe_csv
from curation.plan.result import LeftOut, Plan, Slot

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
SCRIPT = '<script>alert("x")</script> <b>bold</b> & "quotes"'


def _plan() -> Plan:
    texts = [
        '=HYPERLINK("http://evil.example","click") new guide https://northwind.io/g',
        "+1 for data quality: our checklist https://northwind.io/c",
        "-10% warehouse costs, case study https://northwind.io/cs",
        "@dana_ops thanks, glad it helped!",
        SCRIPT,
        "Ünïcödé 日本語のテキスト 🚀 with a very long tail that goes well past forty characters",
    ]
    start = pd.Timestamp("2026-11-02 14:00", tz="UTC")
    slots = [
        Slot(
            at=start + pd.Timedelta(hours=5 * i),
            draft_id=10 + i,
            text=t,
            predicted=6.5 + i,
            lower=2.25,
            upper=12.0,
            why="Mon 09:00 is one of your reliably good times; strongest draft in the plan",
        )
        for i, t in enumerate(texts)
    ]
    return Plan(
        slots=slots,
        left_out=[LeftOut(99, "gm", "below the quality bar: lower bound 0.1 < bar 4.0")],
        expected_total=40.0,
        curve=[(n, 6.5 * n) for n in range(1, 7)],
        chosen_n=6,
        constraints={"tz": "America/New_York"},
        target_label="clicks",
    )


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_ics_has_one_event_per_slot_at_the_slot_utc_instant() -> None:
    plan = _plan()
    cal = Calendar.from_ical(plan_to_ics(plan, "Northwind posts"))
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(plan.slots)
    assert str(cal.get("x-wr-calname")) == "Northwind posts"
    for event, slot in zip(events, plan.slots, strict=True):
        start = event.decoded("dtstart")
        assert start.tzinfo is not None
        assert pd.Timestamp(start) == slot.at
        assert pd.Timestamp(event.decoded("dtend")) - pd.Timestamp(start) == pd.Timedelta(minutes=15)
        assert str(event.get("uid")) == event_uid(slot.draft_id, slot.at)
        assert event.get("dtstamp") is not None
        summary = str(event.get("summary"))
        assert summary.startswith("Post: ") and len(summary) <= len("Post: ") + 41
        description = str(event.get("description"))
        assert slot.text in description  # the full text, HTML and all, verbatim
        assert "Predicted clicks: " in description and "2.2" in description and "12.0" in description
    assert len({str(e.get("uid")) for e in events}) == len(events)


def test_ics_uids_are_stable_across_exports() -> None:
    plan = _plan()
    first = Calendar.from_ical(plan_to_ics(plan, "A"))
    again = Calendar.from_ical(plan_to_ics(plan, "A", stamp=datetime(2030, 1, 1, tzinfo=UTC)))
    assert [str(e.get("uid")) for e in first.walk("VEVENT")] == [str(e.get("uid")) for e in again.walk("VEVENT")]


def test_long_summary_is_cut_at_40_characters_with_an_ellipsis() -> None:
    cal = Calendar.from_ical(plan_to_ics(_plan(), "A"))
    summaries = [str(e.get("summary")) for e in cal.walk("VEVENT")]
    assert summaries[-1] == "Post: Ünïcödé 日本語のテキスト 🚀 with a very long tail…"


def test_plan_csv_neutralises_formulas_and_keeps_html_verbatim() -> None:
    plan = _plan()
    rows = _cells(plan_to_csv(plan))
    header, body = rows[0], rows[1:]
    assert len(body) == len(plan.slots)
    for row in rows:
        for cell in row:
            assert not cell.startswith(DANGEROUS), cell
    text = [r[header.index("text")] for r in body]
    assert text[0].startswith("'=HYPERLINK(")
    assert text[1] == "'+1 for data quality: our checklist https://northwind.io/c"
    assert text[2].startswith("'-10%") and text[3].startswith("'@dana_ops")
    assert text[4] == SCRIPT
    assert text[5] == plan.slots[5].text
    assert [float(r[header.index("predicted_clicks")]) for r in body] == [s.predicted for s in plan.slots]


def test_safe_csv_leaves_numbers_alone_and_catches_tricky_text() -> None:
    frame = pd.DataFrame(
        {
            "n": [-3, 4],
            "x": [-1.5, 2.0],
            "s": ["\t=cmd|' /C calc'!A0", "  =1+1"],
            "=header": ["\rline", "＝SUM(A1)"],
        }
    )
    rows = _cells(safe_csv(frame))
    assert rows[0] == ["n", "x", "s", "'=header"]
    assert rows[1][:2] == ["-3", "-1.5"]  # real numbers are not text: left as they are
    assert rows[1][2] == "'\t=cmd|' /C calc'!A0"
    assert rows[2][2] == "'  =1+1"
    assert rows[1][3] == "'\rline" and rows[2][3] == "'＝SUM(A1)"


def test_safe_csv_starts_with_a_utf8_bom_for_excel() -> None:
    assert safe_csv(pd.DataFrame({"a": ["é"]})).startswith(b"\xef\xbb\xbf")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=8))
def test_safe_csv_never_writes_a_cell_a_spreadsheet_would_evaluate(texts: list[str]) -> None:
    rows = _cells(safe_csv(pd.DataFrame({"text": texts})))
    assert len(rows) == len(texts) + 1
    for original, (cell,) in zip(texts, rows[1:], strict=True):
        assert not cell.startswith(FORMULA_STARTS)
        assert cell in (original, "'" + original)  # nothing else changes


def test_plan_frame_has_the_interval_and_the_reason() -> None:
    frame = plan_frame(_plan())
    assert list(frame.columns) == [
        "posting_time_utc", "draft_id", "text", "predicted_clicks", "clicks_low", "clicks_high", "why",
    ]  # fmt: skip
    assert frame["posting_time_utc"].iloc[0] == "2026-11-02 14:00"
