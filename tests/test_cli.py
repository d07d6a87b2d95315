"""`python -m curation`: the headless twin of the UI."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

from curation.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation", *args], cwd=ROOT, capture_output=True, text=True)


def test_stats_json_on_demo(demo_db, capsys):
    assert main(["stats", "--db", demo_db, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert 1300 <= stats["tweets"] <= 1700
    assert stats["coverage"]["url_clicks"] == 1.0
    assert stats["coverage"]["bookmarks"] == 0.0
    assert stats["first"] < stats["last"]
    assert stats["uploads"] == 1 and stats["drafts"] >= 10


def test_unknown_workspace_is_a_user_error(demo_db):
    proc = run_cli("stats", "--db", demo_db, "--workspace", "Nobody")
    assert proc.returncode == 2
    assert "No workspace named 'Nobody'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_init_db_seeds_only_an_empty_database(sqlite_url, capsys):
    assert main(["init-db", "--db", sqlite_url, "--seed-demo-if-empty"]) == 0
    assert "Seeded" in capsys.readouterr().out
    assert main(["init-db", "--db", sqlite_url, "--seed-demo-if-empty"]) == 0
    assert "Seeded" not in capsys.readouterr().out
