"""Scale bench (not in CI): workspaces of big archives on PostgreSQL, imported while app replicas switch pages.

``python -m curation.bench.scale`` (defaults: 10 workspaces x 100,000 tweets, 2 replicas). It makes a
fresh PostgreSQL database, imports a real-shaped X archive into workspace 1 and retrains, starts the
replicas (processes switching through every page of workspace 1, AppTest), then imports and retrains
the other workspaces one after another in a worker process. Prints one JSON object: times per
workspace, page-switch times under that load, the peak memory of each process, the database size,
and which limit it meets first. Shrink it with ``--workspaces 3 --tweets 20000``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from curation.bench.peak import peak_rss_mb

ADMIN_URL = os.environ.get("SCALE_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# The targets: a page switch within 1 s, import + retrain within 8x the bare parse, 1.5 GB a process.
SWITCH_TARGET_S = 1.0
IMPORT_RETRAIN_X_TARGET = 8.0
MEMORY_TARGET_MB = 1500.0


def _database(admin_url: str, name: str, create: bool) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def import_and_retrain(url: str, name: str, archive: Path) -> dict:
    """One workspace: create it, import the archive, retrain (what a user's upload costs)."""
    import orjson

    from curation.store.access import Actor
    from curation.store.db import engine_for, session_scope
    from curation.store.workspaces import create_workspace
    from curation.workspace.importer import import_files
    from curation.workspace.refresh import after_data_change

    data = archive.read_bytes()
    start = time.perf_counter()
    orjson.loads(data[data.index(b"=") + 1:])
    bare = time.perf_counter() - start
    engine = engine_for(url)
    with session_scope(engine) as s:
        ws = create_workspace(s, name, Actor.local_user()).id
    start = time.perf_counter()
    report = import_files(engine, ws, Actor.local_user(), [("tweets.js", data)])
    imported = time.perf_counter() - start
    start = time.perf_counter()
    reason = after_data_change(engine, ws)
    retrained = time.perf_counter() - start
    return {"workspace": ws, "new": report.new, "bare_orjson_s": round(bare, 2), "import_s": round(imported, 2),
            "retrain_s": round(retrained, 2), "import_and_retrain_x_bare": round((imported + retrained) / bare, 1),
            "no_model_reason": reason}


def _worker(url: str, archive: Path, first: int, count: int, out: Path) -> None:
    rows = [import_and_retrain(url, f"scale {i}", archive) for i in range(first, first + count)]
    out.write_text(json.dumps({"workspaces": rows, "peak_rss_mb": peak_rss_mb()}))


def _switch_stats(times: list[list], pages: int) -> dict:
    """Warm switches (after each page's first, cold visit, which fills the caches) and the cold ones apart."""
    cold, warm = times[1:pages + 1], times[pages + 1:]
    out: dict = {"first_run_s": times[0][1], "cold_visit_max_s": max((t for _, t in cold), default=None),
                 "cold_slowest_page": max(cold, key=lambda pt: pt[1])[0] if cold else None, "switches": len(warm)}
    if warm:
        ordered = sorted(t for _, t in warm)
        out |= {"median_s": round(statistics.median(ordered), 3), "p90_s": ordered[int(0.9 * (len(ordered) - 1))],
                "max_s": ordered[-1], "slowest_page": max(warm, key=lambda pt: pt[1])[0]}
    return out


def first_limit(result: dict) -> str:
    """The target the run comes closest to breaking (or breaks), as a sentence."""
    worst: list[tuple[float, str]] = []
    for r in result["replicas"]:
        if r.get("p90_s"):
            worst.append((r["p90_s"] / SWITCH_TARGET_S, f"page switches under load (p90 {r['p90_s']} s, "
                                                        f"target {SWITCH_TARGET_S} s)"))
    for w in result["workspaces"]:
        worst.append((w["import_and_retrain_x_bare"] / IMPORT_RETRAIN_X_TARGET,
                      f"import + retrain at {w['import_and_retrain_x_bare']}x the bare parse (target "
                      f"{IMPORT_RETRAIN_X_TARGET}x): CPU, the retrain dominates"))
    for who, mb in result["peak_rss_mb"].items():
        worst.append((mb / MEMORY_TARGET_MB,
                      f"memory of the {who} process ({mb:.0f} MB, target {MEMORY_TARGET_MB:.0f})"))
    share, what = max(worst)
    return f"{what}: {share:.0%} of its target"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m curation.bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=10, help="workspaces to fill (default 10)")
    parser.add_argument("--tweets", type=int, default=100_000, help="tweets in each workspace's archive (default 100k)")
    parser.add_argument("--replicas", type=int, default=2, help="app processes switching pages meanwhile (default 2)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL URL allowed to CREATE DATABASE")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--worker", nargs=5, metavar=("URL", "ARCHIVE", "FIRST", "COUNT", "OUT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--replica", nargs=4, metavar=("URL", "WS", "STOP", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        url, archive, first, count, out = args.worker
        _worker(url, Path(archive), int(first), int(count), Path(out))
        return 0
    if args.replica:
        from curation.ui.bench_pages import serve_switches

        url, ws, stop, out = args.replica
        serve_switches(url, int(ws), Path(stop), Path(out))
        return 0

    from curation.bench.cases import archive_js, history, varied
    from curation.ui.bench_pages import PAGES

    name = f"curation_scale_{uuid.uuid4().hex[:8]}"
    url = _database(args.admin_url, name, create=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_scale_"))
    began = time.perf_counter()
    try:
        archive = tmp / "tweets.js"
        archive.write_bytes(archive_js(varied(history(args.tweets))))
        first = import_and_retrain(url, "scale 1", archive)  # the workspace the replicas serve
        stop = tmp / "stop"
        me = [sys.executable, "-m", "curation.bench.scale"]
        served_ws = str(first["workspace"])
        replicas = [subprocess.Popen([*me, "--replica", url, served_ws, str(stop), str(tmp / f"r{i}.json")])
                    for i in range(args.replicas)]
        time.sleep(5)  # the replicas draw their first page before the load starts
        start = time.perf_counter()
        subprocess.run([*me, "--worker", url, str(archive), "2", str(args.workspaces - 1), str(tmp / "w.json")],
                       check=True)
        loaded_s = time.perf_counter() - start
        stop.touch()
        for p in replicas:
            p.wait(timeout=900)
        worker = json.loads((tmp / "w.json").read_text())
        served = [json.loads((tmp / f"r{i}.json").read_text()) for i in range(args.replicas)]
        engine = create_engine(url)
        with engine.connect() as conn:
            db_mb = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one() / 1e6
        engine.dispose()
        result = {
            "workspaces_n": args.workspaces, "tweets_each": args.tweets, "replicas_n": args.replicas,
            "cpus": os.cpu_count(), "archive_mb": round(archive.stat().st_size / 1e6, 1),
            "workspaces": [first, *worker["workspaces"]],
            "imports_while_serving_s": round(loaded_s, 1),
            "replicas": [{**_switch_stats(r["switches"], len(PAGES)), "errors": r["errors"]} for r in served],
            "peak_rss_mb": {"bench (first import, archive)": peak_rss_mb(), "import worker": worker["peak_rss_mb"],
                            **{f"replica {i + 1}": r["peak_rss_mb"] for i, r in enumerate(served)}},
            "database_mb": round(db_mb, 1),
            "total_s": round(time.perf_counter() - began, 1),
        }
        result["first_limit"] = first_limit(result)
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            _database(args.admin_url, name, create=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
