"""`make bench`: measured figures (seconds, peak memory, sizes) as one JSON object.

Each case runs in its own subprocess so its peak RSS is its own. Add a case with @case.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from curation.bench.peak import peak_rss_mb

CASES: dict[str, tuple[Callable[[int, Path], dict], tuple[int, ...]]] = {}


def case(name: str, sizes: tuple[int, ...]) -> Callable:
    """Register a benchmark case run once per size (the meaning of size is the case's own)."""

    def wrap(fn: Callable[[int, Path], dict]) -> Callable[[int, Path], dict]:
        CASES[name] = (fn, sizes)
        return fn

    return wrap


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - start, 3), out


def seeded_db(scale: int, tmp: Path) -> tuple[str, int, float]:
    """A fresh SQLite database with the demo seeded at ``scale``: its URL, workspace id and seeding time."""
    from curation.store.db import engine_for
    from curation.workspace.demo import seed_demo

    url = f"sqlite:///{tmp / 'bench.db'}"
    seconds, ws_id = timed(lambda: seed_demo(engine_for(url), scale=scale))
    return url, int(ws_id), seconds


@case("demo_seed", (1, 10, 50))
def _demo_seed(scale: int, tmp: Path) -> dict:
    from curation.store.access import Actor
    from curation.store.db import engine_for, session_scope
    from curation.workspace.stats import workspace_stats

    url, ws_id, seed_s = seeded_db(scale, tmp)
    with session_scope(engine_for(url)) as s:
        stats_s, stats = timed(lambda: workspace_stats(s, ws_id, Actor.local_user()))
    return {"tweets": stats["tweets"], "seed_s": seed_s, "stats_s": stats_s}


@case("page_switch_warm", (1, 40))
def _page_switch_warm(scale: int, tmp: Path) -> dict:
    """A warm page switch through the router, every page (the case drives the app with AppTest)."""
    from curation.ui.bench_pages import page_switch

    url, ws_id, _ = seeded_db(scale, tmp)
    return page_switch(url, ws_id)


def run_one(name: str, size: int) -> dict:
    fn, _ = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        figures = fn(size, Path(tmp))
    return {"size": size, **figures, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> int:
    """Run every registered case (each size in its own process) and print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m curation.bench")
    parser.add_argument("--case", help="run only this case")
    parser.add_argument("--size", type=int, help="with --case: only this size (runs in-process)")
    args = parser.parse_args(argv)
    if args.case and args.size is not None:
        print(json.dumps(run_one(args.case, args.size)))
        return 0
    results: dict[str, list[dict]] = {}
    for name, (_, sizes) in CASES.items():
        if args.case and name != args.case:
            continue
        for size in sizes:
            proc = subprocess.run(
                [sys.executable, "-m", "curation.bench", "--case", name, "--size", str(size)],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                results.setdefault(name, []).append({"size": size, "error": proc.stderr.strip()[-500:]})
            else:
                results.setdefault(name, []).append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"{name} size={size} done", file=sys.stderr)
    print(json.dumps({"machine": {"python": sys.version.split()[0]}, "cases": results}, indent=2))
    return 0
