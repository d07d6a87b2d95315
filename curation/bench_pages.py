"""Benchmark case: a warm page switch (every page of the app, through the router, in the same session)."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from curation.bench import case, timed

PAGES = ["pages/2_insights.py", "pages/3_drafts.py", "pages/4_planner.py", "pages/6_audience.py",
         "pages/5_workspace.py", "pages/1_import.py"]


@case("page_switch_warm", (1, 40))
def _page_switch(scale: int, tmp: Path) -> dict:
    """Seconds from a click on a page link to the page drawn, server side (AppTest), after one visit to each."""
    from streamlit.testing.v1 import AppTest

    from curation.bench import _seeded_db
    from curation.services import after_data_change
    from curation.store.db import engine_for

    url, ws_id, _ = _seeded_db(scale, tmp)
    after_data_change(engine_for(url), ws_id)  # the model exists, as after `make run`
    os.environ["DATABASE_URL"] = url
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=600)
    at.query_params["ws"] = str(ws_id)
    cold, _ = timed(at.run)
    for page in PAGES:  # first visits fill the caches
        at.switch_page(page).run()
    warm: dict[str, float] = {}
    for page in PAGES:
        warm[Path(page).stem.split("_", 1)[1]], _ = timed(lambda p=page: at.switch_page(p).run())
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")
    from curation.stats import workspace_stats
    from curation.store.access import Actor
    from curation.store.db import session_scope

    with session_scope(engine_for(url)) as s:
        tweets = workspace_stats(s, ws_id, Actor.local_user())["tweets"]
    return {"tweets": tweets, "first_run_s": cold, "warm_switch_s": warm,
            "warm_switch_max_s": max(warm.values()), "warm_switch_median_s": round(statistics.median(warm.values()), 3)}
