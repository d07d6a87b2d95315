"""One workspace, one account: an upload of another account is imported, named and warned about."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from ingest_cases import REAL, fixture

from curation.store.access import Actor
from curation.store.db import session_scope
from curation.store.workspaces import create_workspace
from curation.workspace.importer import import_files, tweet_accounts, workspace_accounts

LOCAL = Actor.local_user()
GERARD = "analytics_csv__gtieng__twitter_analytics__gerardtieng_2019_1.csv"
GERARD_2 = "analytics_csv__gtieng__twitter_analytics__gerardtieng_2019_2.csv"
HOPR = "analytics_csv__hoprnet__hopr-community__tweet_activity_metrics_hoprnet_20210201_20210301_en.csv"


def _file(name: str) -> tuple[str, bytes]:
    return name, (REAL / name).read_bytes()


@pytest.fixture
def ws(engine) -> int:
    with session_scope(engine) as s:
        return create_workspace(s, "Gerard", LOCAL).id


def test_same_account_again_gives_no_warning(engine, ws):
    first = import_files(engine, ws, LOCAL, [_file(GERARD)])
    assert first.account_handle == "gerardtieng" and first.warnings == [] and first.other_account is None
    second = import_files(engine, ws, LOCAL, [_file(GERARD_2)])
    assert second.warnings == [] and second.other_account is None and second.new == 140


def test_another_account_is_imported_with_a_warning_naming_both(engine, ws):
    import_files(engine, ws, LOCAL, [_file(GERARD)])
    report = import_files(engine, ws, LOCAL, [_file(HOPR)])
    assert report.new == 93  # imported: the user decides, the report says
    assert (report.account_handle, report.other_account, report.suggested_workspace) == (
        "hoprnet", "gerardtieng", "@hoprnet")
    (warning,) = report.warnings
    assert "@hoprnet" in warning and "@gerardtieng" in warning and "'@hoprnet'" in warning
    assert warning in report.files[0].warnings  # also where the page lists file warnings
    stored = report.to_dict()
    assert stored["other_account"] == "gerardtieng" and stored["files"][0]["account_handle"] == "hoprnet"
    with session_scope(engine) as s:
        assert workspace_accounts(s, ws) == {"gerardtieng": 100, "hoprnet": 93}


def test_an_upload_mixing_two_accounts_says_so(engine, ws):
    report = import_files(engine, ws, LOCAL, [_file(GERARD), _file(HOPR)])
    (warning,) = report.warnings
    assert "mixes accounts" in warning and "@gerardtieng" in warning and "@hoprnet" in warning
    assert report.other_account is None  # the workspace was empty


def test_files_that_do_not_name_an_account_never_warn(engine, ws):
    import_files(engine, ws, LOCAL, [_file(GERARD)])
    for name in ("tweets.csv", "daily_tweet_activity_metrics_LisaDeBruine_20210801_20210901_en.csv"):
        report = import_files(engine, ws, LOCAL, [fixture(name)])
        assert report.warnings == [] and report.account_handle is None


def test_archive_account_from_its_manifest_is_compared(engine, ws):
    import_files(engine, ws, LOCAL, [_file(GERARD)])
    report = import_files(engine, ws, LOCAL, [fixture("tweets.js"), fixture("manifest_2025.js")])
    assert (report.account_handle, report.account_id) == ("ranigupta_20", "1274417026493276160")
    assert report.other_account == "gerardtieng"


def test_cli_import_prints_the_account_warning(sqlite_url):
    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "curation", "import", str(REAL / name), "--db", sqlite_url,
                               "--workspace", "Gerard"], cwd=ROOT, capture_output=True, text=True)

    assert run(GERARD).returncode == 0
    proc = run(HOPR)
    assert proc.returncode == 0, proc.stderr
    assert "(@hoprnet)" in proc.stdout
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("warning:")]
    assert "@hoprnet" in line and "@gerardtieng" in line and "workspace of its own" in line


def test_each_tweet_knows_its_account(engine, ws):
    import_files(engine, ws, LOCAL, [_file(GERARD)])
    import_files(engine, ws, LOCAL, [_file(HOPR)])
    import_files(engine, ws, LOCAL, [fixture("tweets.csv")])
    with session_scope(engine) as s:
        handles = tweet_accounts(s, ws, LOCAL)
    assert handles.value_counts(dropna=False).to_dict() == {"gerardtieng": 100, "hoprnet": 93, None: 1357}
