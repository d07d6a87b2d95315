"""Small helpers shared by the modelling modules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def json_safe(obj: Any) -> Any:
    """Plain JSON types: numpy scalars unwrapped, tuples as lists, NaN/inf as None."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def utc_list(times: Sequence[pd.Timestamp] | pd.Series | pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Timestamps as tz-aware UTC (naive ones are taken to be UTC already)."""
    out = []
    for t in list(times):
        ts = pd.Timestamp(t)
        out.append(ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC"))
    return out


def iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").isoformat()
