"""What a plan returns: the posts it schedules, the drafts it leaves out and why, as JSON-safe data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from curation.plain import iso, json_safe


@dataclass
class Slot:
    """One planned post."""

    at: pd.Timestamp
    draft_id: int
    text: str
    predicted: float
    lower: float
    upper: float
    why: str


@dataclass
class LeftOut:
    """A draft the plan does not use, with the one reason why."""

    draft_id: int
    text: str
    reason: str


@dataclass
class Plan:
    """A schedule, the drafts left out, and expected total vs number of posts (``curve``)."""

    slots: list[Slot]
    left_out: list[LeftOut]
    expected_total: float
    curve: list[tuple[int, float]]
    chosen_n: int
    constraints: dict[str, Any]
    target_label: str
    stop_reason: str = ""
    nearest: list[dict[str, Any]] = field(default_factory=list)
    suggestion: dict[str, Any] = field(default_factory=dict)
    timing: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: times as ISO UTC strings, numbers as Python floats/ints."""
        return {
            "slots": [
                {
                    "at": iso(s.at, compact=True),
                    "draft_id": int(s.draft_id),
                    "text": str(s.text),
                    "predicted": _num(s.predicted),
                    "lower": _num(s.lower),
                    "upper": _num(s.upper),
                    "why": s.why,
                }
                for s in self.slots
            ],
            "left_out": [{"draft_id": int(o.draft_id), "text": str(o.text), "reason": o.reason} for o in self.left_out],
            "expected_total": _num(self.expected_total),
            "curve": [[int(n), _num(v)] for n, v in self.curve],
            "chosen_n": int(self.chosen_n),
            "constraints": json_safe(self.constraints),
            "target_label": self.target_label,
            "stop_reason": self.stop_reason,
            "nearest": json_safe(self.nearest),
            "suggestion": json_safe(self.suggestion),
            "timing": self.timing,
        }


def _num(x: float) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


# --------------------------------------------------------------------------- slots and inputs
