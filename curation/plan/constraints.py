"""What the user allows a plan to use (horizon, days, hours, gap, cap, bar) and the candidate slots it leaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from curation.errors import CurationError
from curation.facts import check_timezone
from curation.plain import iso

BAR_ON = ("predicted", "lower")


@dataclass(kw_only=True)
class PlanConstraints:
    """What the user allows. Times are local to ``tz``; ``start`` is stored in UTC.

    ``start`` defaults to the next local midnight; a naive ``start`` is read as local time.
    ``allowed_hours`` is half-open: (8, 18) offers slots on the hour from 08:00 to 17:00.
    ``daily_cap`` None takes the cap from volume.volume; ``quality_bar`` None asks a draft to be
    clearly better than the account's typical recent post now (see ``typical_now`` and
    ``clear_bar``). ``bar_on`` says what must reach the bar: the draft's prediction at its best slot
    ("predicted", the default) or the lower end of its 80 % interval ("lower", strict: with honest
    intervals on noisy click counts this admits only drafts predicted at about four times the median).
    """

    tz: str
    start: pd.Timestamp | None = None
    days: int = 7
    allowed_weekdays: set[int] = field(default_factory=lambda: set(range(7)))
    allowed_hours: tuple[int, int] = (8, 18)
    min_gap_hours: float = 3.0
    daily_cap: int | None = None
    quality_bar: float | None = None
    bar_on: str = "predicted"

    def __post_init__(self) -> None:
        if self.bar_on not in BAR_ON:
            raise CurationError(f"The quality bar applies to one of {', '.join(BAR_ON)}, not {self.bar_on!r}.")
        check_timezone(str(self.tz))
        if self.start is None:
            now = pd.Timestamp.now(tz=self.tz)
            self.start = (now.normalize() + pd.DateOffset(days=1)).tz_convert("UTC")
        else:
            start = pd.Timestamp(self.start)
            start = (
                start.tz_localize(self.tz, nonexistent="shift_forward", ambiguous=True) if start.tz is None else start
            )
            self.start = start.tz_convert("UTC")
        if not 1 <= int(self.days) <= 92:
            raise CurationError("Plan between 1 and 92 days ahead.")
        self.days = int(self.days)
        self.allowed_weekdays = {int(d) for d in self.allowed_weekdays}
        if not self.allowed_weekdays or not self.allowed_weekdays <= set(range(7)):
            raise CurationError("Allow at least one weekday (0 = Monday ... 6 = Sunday).")
        lo, hi = (int(h) for h in self.allowed_hours)
        if not 0 <= lo < hi <= 24:
            raise CurationError("Allowed hours must be a range like 8-18 within 0-24, start before end.")
        self.allowed_hours = (lo, hi)
        if not 0 <= float(self.min_gap_hours) <= 72:
            raise CurationError("The minimum gap between posts must be between 0 and 72 hours.")
        self.min_gap_hours = float(self.min_gap_hours)
        if self.daily_cap is not None and int(self.daily_cap) < 1:
            raise CurationError("The daily cap must be at least 1 post.")
        if self.quality_bar is not None and not np.isfinite(self.quality_bar):
            raise CurationError("The quality bar must be a number.")

    @property
    def end(self) -> pd.Timestamp:
        """End of the horizon (exclusive, UTC): ``days`` local calendar days after ``start``."""
        local = self.start.tz_convert(self.tz)
        return (local + pd.DateOffset(days=self.days)).tz_convert("UTC")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe copy (start as ISO UTC)."""
        return {
            "tz": self.tz,
            "start": iso(self.start, compact=True),
            "days": self.days,
            "allowed_weekdays": sorted(self.allowed_weekdays),
            "allowed_hours": list(self.allowed_hours),
            "min_gap_hours": self.min_gap_hours,
            "daily_cap": None if self.daily_cap is None else int(self.daily_cap),
            "quality_bar": None if self.quality_bar is None else float(self.quality_bar),
            "bar_on": self.bar_on,
        }


def candidate_slots(c: PlanConstraints) -> list[pd.Timestamp]:
    """Every allowed on-the-hour local time in [start, end), as UTC timestamps in time order."""
    start_local, end_local = c.start.tz_convert(c.tz), c.end.tz_convert(c.tz)
    days = pd.date_range(start_local.normalize().tz_localize(None), end_local.tz_localize(None).normalize(), freq="D")
    stamps = [
        day + pd.Timedelta(hours=h)
        for day in days
        if day.weekday() in c.allowed_weekdays
        for h in range(c.allowed_hours[0], c.allowed_hours[1])
    ]
    if not stamps:
        return []
    local = pd.DatetimeIndex(stamps).tz_localize(c.tz, nonexistent="shift_forward", ambiguous=True)
    utc = local.tz_convert("UTC").unique().sort_values()
    return [t for t in utc if c.start <= t < c.end]
