"""Plain values for JSON and text: one UTC ISO-time helper and one JSON converter for every layer."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd


def iso(value: object, compact: bool = False) -> str | None:
    """A time as UTC ISO 8601 (naive times are taken to be UTC already); a date as YYYY-MM-DD; None stays None.

    ``compact`` gives whole seconds with a "Z" (plan files); otherwise Python's isoformat ("+00:00").
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        ts = pd.Timestamp(value)
        ts = ts.tz_localize(UTC) if ts.tzinfo is None else ts.tz_convert(UTC)
        return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if compact else ts.isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def json_safe(obj: Any) -> Any:
    """Plain JSON types: numpy scalars unwrapped, tuples as lists, sets sorted, times as compact UTC ISO,
    NaN/inf as None."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_safe(v) for v in (sorted(obj) if isinstance(obj, set | frozenset) else obj)]
    if isinstance(obj, pd.Timestamp):
        return iso(obj, compact=True)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
