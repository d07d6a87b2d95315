"""The page-switch benchmark: every page of the app, through the router, in one warm session (AppTest)."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

PAGES = ["pages/2_insights.py", "pages/3_drafts.py", "pages/4_planner.py", "pages/6_audience.py",
         "pages/5_workspace.py", "pages/1_import.py"]


def page_switch(url: str, ws_id: int) -> dict:
    """Seconds from a page link's click to the page drawn, server side, after one visit to each page."""
    from streamlit.testing.v1 import AppTest

    from curation.store.access import Actor
    from curation.store.db import engine_for, session_scope
    from curation.workspace.refresh import after_data_change
    from curation.workspace.stats import workspace_stats

    after_data_change(engine_for(url), ws_id)  # the model exists, as after `make run`
    with session_scope(engine_for(url)) as s:
        tweets = workspace_stats(s, ws_id, Actor.local_user())["tweets"]
    os.environ["DATABASE_URL"] = url
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=600)
    at.query_params["ws"] = str(ws_id)
    start = time.perf_counter()
    at.run()
    first = round(time.perf_counter() - start, 3)
    first_visit: dict[str, float] = {}
    for page in PAGES:  # first visits fill the caches (the expectation is read from the database, not fitted)
        start = time.perf_counter()
        at.switch_page(page).run()
        first_visit[Path(page).stem.split("_", 1)[1]] = round(time.perf_counter() - start, 3)
    warm: dict[str, float] = {}
    for page in PAGES:
        start = time.perf_counter()
        at.switch_page(page).run()
        warm[Path(page).stem.split("_", 1)[1]] = round(time.perf_counter() - start, 3)
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")
    return {"tweets": tweets, "first_run_s": first, "first_visit_s": first_visit, "warm_switch_s": warm,
            "warm_switch_max_s": max(warm.values()), "warm_switch_median_s": round(statistics.median(warm.values()), 3)}


def serve_switches(url: str, ws_id: int, stop: Path, out: Path) -> None:
    """One app replica for the scale bench: switch through every page until ``stop`` exists; write the times to ``out``.

    Times are per switch, server side (AppTest), while other processes import and retrain.
    """
    import json

    from streamlit.testing.v1 import AppTest

    from curation.bench.peak import peak_rss_mb

    os.environ["DATABASE_URL"] = url
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=600)
    at.query_params["ws"] = str(ws_id)
    start = time.perf_counter()
    at.run()
    times: list[tuple[str, float]] = [("first_run", round(time.perf_counter() - start, 3))]
    errors: list[str] = []
    while not stop.exists():
        for page in PAGES:
            start = time.perf_counter()
            at.switch_page(page).run()
            times.append((Path(page).stem.split("_", 1)[1], round(time.perf_counter() - start, 3)))
            if at.exception:
                errors.append(f"{page}: {at.exception[0].message}"[:300])
            if stop.exists():
                break
    out.write_text(json.dumps({"switches": times, "errors": errors[:5], "peak_rss_mb": peak_rss_mb()}))
