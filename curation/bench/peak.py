"""This process's own peak memory, for the benches and the bounded-memory tests."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """Peak resident memory in MB (VmHWM; ru_maxrss can carry a parent's peak across exec)."""
    try:
        with open("/proc/self/status") as f:
            return round(next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024, 1)
    except (OSError, StopIteration):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
