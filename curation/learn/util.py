"""Small helpers shared by the modelling modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def utc_list(times: Sequence[pd.Timestamp] | pd.Series | pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Timestamps as tz-aware UTC (naive ones are taken to be UTC already)."""
    out = []
    for t in list(times):
        ts = pd.Timestamp(t)
        out.append(ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC"))
    return out


def clean_count(values: pd.Series) -> pd.Series:
    """Counts as floats; NaN where a stored value is negative, infinite or not a number (left out, never fatal)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v.where(np.isfinite(v) & (v >= 0))
