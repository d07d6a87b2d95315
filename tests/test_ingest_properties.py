"""Properties of the new parser code: every date form, ids from permalinks, counts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.ingest import parse_files
from curation.ingest.frames import FIRST_SNOWFLAKE_ID, TIME_LAYOUTS, parse_utc, to_counts

PROPS = settings(max_examples=200, deadline=None, database=None)

instants = st.datetimes(min_value=datetime(2006, 3, 21), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
# Every form the exports have written a time in over the years (see docs/FORMATS.md).
FORMS = {
    "archive": "%a %b %d %H:%M:%S %z %Y",  # Fri Jul 31 10:00:00 +0000 2009
    "old_csv": "%Y-%m-%d %H:%M:%S %z",  # 2017-10-31 19:47:25 +0000 (tweets.csv, later Grailbird)
    "iso": "%Y-%m-%dT%H:%M:%S%z",  # manifest, note-tweet, re-saved files
}


@PROPS
@given(when=instants, offset=offsets, form=st.sampled_from(sorted(FORMS)), layout=st.sampled_from(sorted(TIME_LAYOUTS)))
def test_any_known_form_parses_to_the_same_instant_under_any_layout(when, offset, form, layout):
    when = when.replace(microsecond=0)
    stamp = when.astimezone(offset).strftime(FORMS[form])
    got = parse_utc(pd.Series([stamp, "", "not a date"]), layout)
    assert got.iloc[0] == pd.Timestamp(when)
    assert got.iloc[1:].isna().all()


@PROPS
@given(when=instants, layout=st.sampled_from(sorted(TIME_LAYOUTS)))
def test_minute_resolution_legacy_times_parse_under_any_layout(when, layout):
    when = when.replace(second=0, microsecond=0)
    got = parse_utc(pd.Series([when.strftime("%Y-%m-%d %H:%M +0000")]), layout)
    assert got.iloc[0] == pd.Timestamp(when)


ids = st.integers(min_value=FIRST_SNOWFLAKE_ID * 1000, max_value=2**63 - 1)
HEADER = "Tweet id,Tweet permalink,Tweet text,time,impressions,engagements,engagement rate,retweets,replies,favorites"


def _row(cell: str, link_id: int) -> str:
    return f"{cell},https://twitter.com/acme/status/{link_id},text,2015-05-19 23:08 +0000,10,1,0.1,0,0,1"


def _excel(tid: int, digits: int) -> str:
    """What a spreadsheet shows for a long id: 6.008E+17 (digits significant) or 15 digits then zeros."""
    if digits >= 15:
        return str(round(tid, 15 - len(str(tid))))  # exact integer rounding, as the sheet shows it
    return f"{tid:.{digits - 1}E}"


@PROPS
@given(tid=ids, digits=st.integers(min_value=4, max_value=15))
def test_a_mangled_id_is_taken_from_its_permalink(tid, digits):
    data = "\n".join([HEADER, _row(_excel(tid, digits), tid)]).encode()
    (p,) = parse_files([("t.csv", data)])
    assert list(p.tweets["tweet_id"]) == [str(tid)]
    if _excel(tid, digits) != str(tid):
        assert any("Tweet permalink" in w for w in p.warnings)


@PROPS
@given(tid=ids, other=ids, digits=st.integers(min_value=4, max_value=14))
def test_a_permalink_far_from_the_mangled_id_is_not_taken(tid, other, digits):
    cell = _excel(tid, digits)
    if abs(float(cell) - other) <= 1e-3 * other:
        return  # the two ids are indistinguishable at this precision
    (p,) = parse_files([("t.csv", "\n".join([HEADER, _row(cell, other), _row(str(tid), tid)]).encode())])
    assert list(p.tweets["tweet_id"]) == [str(tid)]
    assert [s.row for s in p.skipped] == [2]


@PROPS
@given(values=st.lists(st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "-", "abc", "1,234", " 7 ", None]),
), max_size=30))
def test_counts_are_whole_and_non_negative_or_empty_and_flagged(values):
    cells = [None if v is None else str(v) for v in values]
    counts, bad = to_counts(cells)
    assert len(counts) == len(values) == len(bad)
    for raw, got, flagged in zip(cells, counts, bad, strict=True):
        text = None if raw is None else raw.strip().replace(",", "")
        if text in (None, "", "-"):
            assert got is pd.NA and not flagged
            continue
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        whole = math.isfinite(number) and number >= 0 and number == math.floor(number) and number < 2.0**62
        if whole:
            assert got == int(number) and not flagged
        else:
            assert got is pd.NA and flagged


def test_a_16_digit_id_rounded_to_15_significant_digits_is_taken_from_its_permalink():
    # found by hypothesis: the sheet shows 1923926941535210, a plain-looking id ending in one zero
    tid = 1_923_926_941_535_206
    data = "\n".join([HEADER, _row(_excel(tid, 15), tid)]).encode()
    (p,) = parse_files([("t.csv", data)])
    assert list(p.tweets["tweet_id"]) == [str(tid)]
