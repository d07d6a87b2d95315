"""Audience: ratio history from archives, daily CSVs and typed-in counts; bands; follow-back; growth; page; CLI."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from curation.audience.growth import Growth, weekly_growth
from curation.audience.ratio import band, follow_back, follower_ratio, net_follows, ratio_history
from curation.audience.report import audience_reading
from curation.cli import main
from curation.errors import PermissionDenied
from curation.ingest import parse_files
from curation.store.access import Actor
from curation.store.db import make_engine, migrate, session_scope
from curation.store.models import AccountSnapshot, AuditEvent, Workspace
from curation.store.workspaces import create_workspace, set_member
from curation.ui.figures import growth_figure, ratio_band_figure
from curation.workspace.audience import InvalidSnapshot, add_snapshot, build_report, load_audience
from curation.workspace.importer import import_files

HERE = Path(__file__).resolve().parent / "fixtures" / "real"
FOLLOWER_JS = HERE / "archive_follower_js__ajitg25__twitter-analytics__follower.js"
FOLLOWING_JS = HERE / "archive_following_js__denchi__lumeninferiusarchive__following.js"
KAIA = HERE / "x_premium_overview_csv__ayo-klaytn__kaia-devdash__kaiadevintern_account_overview_analytics.csv"
VIANA = HERE / "x_premium_overview_csv__vianarafael__koe__account_overview_analytics.csv"
DEBRUINE = HERE / (
    "analytics_daily_csv__debruine__30DCC-2022__daily_tweet_activity_metrics_LisaDeBruine_20210801_20210901_en.csv"
)
REAL_WS = "Real exports (audience)"
LOCAL = Actor.local_user()


def ids_in(path: Path) -> list[str]:
    """The account ids of a follower.js / following.js, read independently of the ingest package."""
    return re.findall(r'"accountId"\s*:\s*"(\d+)"', path.read_text())


def overview_rows(path: Path) -> dict[date, tuple[int, int]]:
    """(new follows, unfollows) per day of an overview CSV, read with the csv module."""
    out = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            day = datetime.strptime(row["Date"], "%a, %b %d, %Y").date()
            out[day] = (int(row["New follows"]), int(row["Unfollows"]))
    return out


def overview_net(path: Path) -> dict[date, int]:
    return {day: f - u for day, (f, u) in overview_rows(path).items()}


def parsed(*paths: Path):
    return parse_files([(p.name, p.read_bytes()) for p in paths])


def frames(engine: Engine, ws_id: int):
    with session_scope(engine) as s:
        return load_audience(s, ws_id, LOCAL)


def new_workspace(engine: Engine, name: str = "Acme") -> int:
    with session_scope(engine) as s:
        return create_workspace(s, name, LOCAL).id


def import_real(url: str) -> int:
    """A workspace holding the real follower.js, following.js and the kaiadevintern overview CSV."""
    engine = make_engine(url)
    migrate(engine)
    ws_id = new_workspace(engine, REAL_WS)
    import_files(engine, ws_id, LOCAL, [(p.name, p.read_bytes()) for p in (FOLLOWER_JS, FOLLOWING_JS, KAIA)])
    engine.dispose()
    return ws_id


def snaps(*rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["day", "followers", "following", "source"])
    for c in ("followers", "following"):
        frame[c] = frame[c].astype("Int64")
    return frame


NO_NET = net_follows(pd.DataFrame(columns=["day", "follows", "unfollows"]),
                     pd.DataFrame(columns=["created_at", "follows"]), "UTC")


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    "ratio,expected",
    [(0.0, "interpersonal"), (0.8, "interpersonal"), (1.0, "interpersonal"), (1.4999, "interpersonal"),
     (1.5, "mixed"), (4.999, "mixed"), (5.0, "mass communication"), (14.0, "mass communication"),
     (math.inf, "mass communication")],
)
def test_band_edges_split_interpersonal_mixed_and_mass_communication(ratio, expected):
    assert band(ratio) == expected


def test_band_refuses_a_negative_or_missing_ratio():
    with pytest.raises(ValueError):
        band(-1.0)
    with pytest.raises(ValueError):
        band(float("nan"))


def test_ratio_is_unknown_without_counts_and_infinite_when_following_nobody():
    assert follower_ratio(None, 10) is None
    assert follower_ratio(10, 0) == math.inf
    assert follower_ratio(0, 0) is None
    assert follower_ratio(30, 20) == 1.5


# --------------------------------------------------------------------------- real archive lists


def test_real_archive_lists_give_counts_and_follow_back_sets():
    files = {p.format: p for p in parsed(FOLLOWER_JS, FOLLOWING_JS)}
    followers, following = files["archive_followers"].followers, files["archive_following"].following
    assert len(set(followers)) == 76 and set(followers) == set(ids_in(FOLLOWER_JS))
    assert len(set(following)) == 14 and set(following) == set(ids_in(FOLLOWING_JS))
    fb = follow_back(followers, following)
    assert fb.available and (fb.followers, fb.following) == (76, 14)
    assert set(fb.followers_not_followed) == set(followers) - set(following)
    assert set(fb.following_not_following_back) == set(following) - set(followers)
    assert fb.mutual == len(set(followers) & set(following))
    table = fb.frame("followers_not_followed")
    assert list(table.columns) == ["account_id", "profile_link"]
    assert (table["profile_link"] == "https://x.com/i/user/" + table["account_id"]).all()
    assert "76 of your 76 followers" in fb.reading


def test_follow_back_sets_on_a_small_made_up_case_and_without_one_list():
    fb = follow_back(["1", "2", "3"], ["3", "4"])
    assert (fb.followers_not_followed, fb.following_not_following_back, fb.mutual) == (["1", "2"], ["4"], 1)
    missing = follow_back(["1"], None)
    assert not missing.available and missing.followers == 1 and "following.js" in missing.reading


def test_imported_real_archive_stores_a_snapshot_with_its_ratio_and_band(engine):
    ws_id = new_workspace(engine)
    import_files(engine, ws_id, LOCAL, [(p.name, p.read_bytes()) for p in (FOLLOWER_JS, FOLLOWING_JS)])
    with session_scope(engine) as s:
        report = build_report(s, ws_id, LOCAL)
    row = report.history.table.iloc[-1]
    assert (int(row["followers"]), int(row["following"]), row["source"]) == (76, 14, "archive")
    assert row["ratio"] == pytest.approx(76 / 14)
    assert report.band == "mass communication"
    assert report.to_dict()["follow_back"] == {
        "available": True, "as_of": row["day"].isoformat(), "followers": 76, "following": 14, "mutual": 0,
        "followers_not_followed": 76, "following_not_following_back": 14,
    }


# --------------------------------------------------------------------------- daily CSVs -> counts over time


def test_overview_csv_rebuilds_counts_backwards_from_a_typed_in_count(engine):
    ws_id = new_workspace(engine)
    import_files(engine, ws_id, LOCAL, [(KAIA.name, KAIA.read_bytes())])
    with session_scope(engine) as s:
        add_snapshot(s, ws_id, LOCAL, date(2025, 3, 21), 400, 150)
        report = build_report(s, ws_id, LOCAL)
    t = report.history.table.set_index("day")
    net = overview_net(KAIA)
    assert len(net) == 271 and sum(net.values()) == 298 - 43
    assert len(t) == 271 and t.index.min() == date(2024, 6, 24)
    for day in (date(2024, 6, 24), date(2024, 12, 1), date(2025, 3, 20)):
        expected = 400 - sum(v for d, v in net.items() if day < d <= date(2025, 3, 21))
        assert t.at[day, "followers"] == expected
        assert t.at[day, "ratio"] == pytest.approx(expected / 150)
        assert t.at[day, "source"] == "rebuilt from daily CSV" and not t.at[day, "measured"]
    assert t.at[date(2024, 6, 24), "followers"] == 400 - 255 + net[date(2024, 6, 24)] == 146
    assert t.at[date(2025, 3, 21), "source"] == "manual"
    assert any("rebuilt from a measured count" in n for n in report.history.notes)
    assert report.band == "mixed"  # 400 / 150 = 2.67


def test_small_overview_rebuilds_both_ways_around_a_count_in_the_middle():
    daily = parsed(VIANA)[0].daily
    net = net_follows(daily, pd.DataFrame(columns=["created_at", "follows"]), "UTC")
    hist = ratio_history(snaps((date(2025, 8, 23), 100, 50, "manual")), net).table.set_index("day")
    changes = overview_net(VIANA)
    assert sorted(hist.index) == sorted(changes)
    for day in changes:
        if day < date(2025, 8, 23):
            expected = 100 - sum(v for d, v in changes.items() if day < d <= date(2025, 8, 23))
        else:
            expected = 100 + sum(v for d, v in changes.items() if date(2025, 8, 23) < d <= day)
        assert hist.at[day, "followers"] == expected, day
        assert hist.at[day, "following"] == 50


def test_legacy_daily_csv_without_unfollows_is_rebuilt_and_says_so():
    daily = parsed(DEBRUINE)[0].daily
    net = net_follows(daily, pd.DataFrame(columns=["created_at", "follows"]), "UTC")
    # An archive made the day after the export's last row still anchors it.
    history = ratio_history(snaps((date(2021, 9, 1), 1000, 400, "archive")), net)
    t = history.table.set_index("day")
    assert t.index.min() == date(2021, 8, 1) and len(t) == 32
    assert t.at[date(2021, 8, 31), "followers"] == 1000
    assert t.at[date(2021, 8, 1), "followers"] == 1000 - int(daily["follows"].iloc[1:].sum())
    assert any("no unfollows column" in n for n in history.notes)


def test_real_archive_far_from_the_overview_period_is_not_bridged(tmp_path):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    ws_id = import_real(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        report = build_report(s, ws_id, LOCAL)
    assert len(report.history.table) == 1  # the archive count; the 2024-25 CSV does not reach it
    assert any("type in the counts of a day in that period" in n for n in report.history.notes)
    g = report.growth
    assert g.basis == "daily CSV" and g.quality_label.startswith("engagement")
    rows = overview_rows(KAIA)
    monday = date(2024, 12, 2)
    week = [rows[monday + timedelta(days=k)] for k in range(7)]
    by_week = g.table.set_index("week_start")
    assert by_week.at[pd.Timestamp(monday), "follows"] == sum(f for f, _ in week)  # new follows, not net
    assert len(g.table) == 38 and by_week["days"].eq(7).all()
    engine.dispose()


def test_rebuilding_stops_when_daily_follows_imply_negative_followers():
    daily = pd.DataFrame({"day": [date(2025, 1, d) for d in (1, 2, 3)], "follows": [50, 50, 50],
                          "unfollows": [0, 0, 0]})
    for col in ("follows", "unfollows"):
        daily[col] = daily[col].astype("Int64")
    net = net_follows(daily, pd.DataFrame(columns=["created_at", "follows"]), "UTC")
    history = ratio_history(snaps((date(2025, 1, 3), 60, 10, "manual")), net)
    assert list(history.table["followers"]) == [10, 60]
    assert any("fewer than 0 followers" in n for n in history.notes)


def test_per_tweet_follows_fill_days_the_daily_csv_does_not_cover():
    daily = pd.DataFrame({"day": [date(2025, 1, 1)], "follows": [5], "unfollows": [1]})
    for col in ("follows", "unfollows"):
        daily[col] = daily[col].astype("Int64")
    tweets = pd.DataFrame({
        "created_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 10:00", "2025-01-04 10:00"], utc=True),
        "follows": pd.array([99, 3, 2], dtype="Int64"),
    })
    net = net_follows(daily, tweets, "UTC")
    assert list(net["source"]) == ["daily CSV", "tweets", "tweets", "tweets"]
    assert list(net["net"]) == [4.0, 3.0, 0.0, 2.0]
    history = ratio_history(snaps((date(2025, 1, 4), 100, 20, "manual")), net)
    assert list(history.table["followers"]) == [95, 98, 98, 100]  # end-of-day counts: 1 Jan = 100 - 2 - 0 - 3
    assert any("rough" in n for n in history.notes)


def test_a_typed_in_count_wins_over_the_archive_on_the_same_day():
    history = ratio_history(
        snaps((date(2025, 5, 1), 80, 20, "archive"), (date(2025, 5, 1), 90, None, "manual")), NO_NET
    )
    row = history.table.iloc[0]
    assert (row["followers"], row["following"], row["source"]) == (90, 20, "manual")


# --------------------------------------------------------------------------- readings


def test_reading_on_the_demo_names_its_numbers_and_the_band(demo_db):
    engine = make_engine(demo_db)
    with session_scope(engine) as s:
        ws_id = s.scalar(select(Workspace.id))
        report = build_report(s, ws_id, LOCAL)
    engine.dispose()
    text = report.reading
    for piece in ("12,500 followers", "893 accounts", "14.00", "mass communication", "8,000", "+56%"):
        assert piece in text, piece
    assert "13,393 accounts" in text  # following everyone back, when the lists are unknown: up to that many
    assert report.history.table["source"].eq("demo").all() and len(report.history.table) == 53
    assert report.history.summary.startswith("The ratio went from 9.09")
    # The demo's follows are driven by clicks: quality, not volume, went with new followers.
    g = report.growth
    assert g.basis == "tweets" and g.quality_label == "clicks per post"
    assert g.verdict == "quality" and g.rho_quality > 0.3 and g.p_quality < 0.05
    assert f"ρ = {g.rho_quality:.2f}" in g.reading and f"{g.follows_best_quality:.1f}" in report.reading


@pytest.mark.parametrize(
    "followers,following,band_name,advice",
    [(300, 280, "interpersonal", "following back out of politeness"),
     (900, 300, "mixed", "follow back customers, partners"),
     (9000, 600, "mass communication", "keep following curated")],
)
def test_reading_gives_follow_back_advice_for_each_band(followers, following, band_name, advice):
    history = ratio_history(snaps((date(2025, 1, 1), followers, following, "manual")), NO_NET)
    fb = follow_back(None, None)
    text = audience_reading(history, fb, Growth(table=pd.DataFrame()))
    assert f"{followers:,} followers" in text and f"{following:,} accounts" in text and band_name in text
    assert advice in text


def test_reading_shows_what_following_everyone_back_would_do_to_the_ratio():
    history = ratio_history(snaps((date(2025, 1, 1), 4, 2, "archive")), NO_NET)
    fb = follow_back(["1", "2", "3", "4"], ["4", "5"])
    text = audience_reading(history, fb, Growth(table=pd.DataFrame()))
    assert "Following back all 3 followers you do not follow would take you to 5 followed and a ratio of 0.80" in text
    assert "a handful of follows" in text  # 6 accounts in all


def test_no_counts_reading_says_what_to_upload():
    history = ratio_history(snaps(), NO_NET)
    assert history.table.empty
    text = audience_reading(history, follow_back(None, None), Growth(table=pd.DataFrame()))
    assert "follower.js" in text and "type in" in text


def test_growth_with_one_week_of_data_says_too_few_weeks():
    g = weekly_growth(parsed(VIANA)[0].daily, pd.DataFrame(columns=["created_at", "is_retweet", "follows"]), "UTC")
    assert g.verdict == "too few weeks" and "too few" in g.reading


# --------------------------------------------------------------------------- figures


def test_band_chart_has_three_shaded_bands_and_the_ratio_line():
    history = ratio_history(snaps((date(2025, 1, 1), 900, 100, "manual"), (date(2025, 2, 1), 1000, 100, "manual")),
                            NO_NET)
    fig = ratio_band_figure(history)
    assert len(fig.layout.shapes) == 3
    assert [a.text for a in fig.layout.annotations] == ["interpersonal", "mixed", "mass communication"]
    assert list(fig.data[-1].y) == [9.0, 10.0]
    assert ratio_band_figure(ratio_history(snaps(), NO_NET)).data == ()


def test_growth_figure_plots_follows_against_quality_and_volume(demo_db):
    engine = make_engine(demo_db)
    with session_scope(engine) as s:
        report = build_report(s, s.scalar(select(Workspace.id)), LOCAL)
    engine.dispose()
    fig = growth_figure(report.growth)
    markers = [d for d in fig.data if d.mode == "markers"]
    assert len(markers) == 2 and len(markers[1].x) == len(report.growth.table)


# --------------------------------------------------------------------------- store: roles, audit, validation


def test_add_snapshot_needs_an_editor_records_an_audit_event_and_replaces_that_days_entry(engine):
    ws_id = new_workspace(engine)
    owner = LOCAL
    viewer, editor = Actor.signed_in("vera@example.com"), Actor.signed_in("ed@example.com")
    with session_scope(engine) as s:
        set_member(s, ws_id, owner, viewer.email, "viewer")
        set_member(s, ws_id, owner, editor.email, "editor")
        version = s.get(Workspace, ws_id).data_version
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        add_snapshot(s, ws_id, viewer, date(2025, 1, 1), 10, 5)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        add_snapshot(s, ws_id, Actor.signed_in("stranger@example.com"), date(2025, 1, 1), 10, 5)
    with session_scope(engine) as s:
        add_snapshot(s, ws_id, editor, date(2025, 1, 1), 10, 5)
    with session_scope(engine) as s:
        add_snapshot(s, ws_id, editor, date(2025, 1, 1), 12, 6)
    with session_scope(engine) as s:
        rows = s.execute(select(AccountSnapshot.followers, AccountSnapshot.following, AccountSnapshot.source)
                         .where(AccountSnapshot.workspace_id == ws_id)).all()
        assert rows == [(12, 6, "manual")]
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "audience.snapshot")).all()
        assert [(e.actor, e.detail["followers"]) for e in events] == [(editor.email, 10), (editor.email, 12)]
        assert s.get(Workspace, ws_id).data_version == version + 2
        report = build_report(s, ws_id, viewer)  # viewers read
    assert report.history.table["ratio"].tolist() == [2.0]
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        build_report(s, ws_id, Actor.signed_in("stranger@example.com"))


@pytest.mark.parametrize(
    "day,followers,following,message",
    [(date(2025, 1, 1), -1, 5, "between 0"), (date(2025, 1, 1), 5, True, "whole number"),
     (date(2025, 1, 1), 5.5, 5, "whole number"), (date.today() + timedelta(days=3), 5, 5, "outside"),
     (date(2001, 1, 1), 5, 5, "outside"), (datetime(2025, 1, 1), 5, 5, "as a date")],
)
def test_add_snapshot_refuses_counts_or_days_that_cannot_be_right(sqlite_url, day, followers, following, message):
    engine = make_engine(sqlite_url)
    migrate(engine)
    ws_id = new_workspace(engine)
    with pytest.raises(InvalidSnapshot, match=message), session_scope(engine) as s:
        add_snapshot(s, ws_id, LOCAL, day, followers, following)
    engine.dispose()


# --------------------------------------------------------------------------- page (AppTest)

PAGE = str(ROOT / "pages" / "6_audience.py")


def test_audience_page_on_the_demo_shows_the_band_chart_reading_and_growth(demo_copy, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_copy)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Audience"
    assert len(at.get("plotly_chart")) == 2
    text = " ".join(m.value for m in at.markdown)
    assert "12,500 followers" in text.replace("\\", "") and "mass communication" in text
    assert [m.value for m in at.metric][:3] == ["12,500", "893", "14.00"]
    assert at.subheader[0].value == "Follower/friend ratio: mass communication"
    assert "Upload your X archive" in " ".join(m.value for m in at.markdown).replace("\\", "")
    assert not at.error


def test_audience_page_saves_a_typed_in_count_for_an_editor(demo_copy, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_copy)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.date_input[0].set_value(date(2026, 11, 7))
    at.number_input[0].set_value(12600)
    at.number_input[1].set_value(900)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "12,600" and at.metric[2].value == "14.00"


def test_audience_page_with_real_exports_shows_follow_back_counts(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    import_real(url)
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox[0].value == REAL_WS
    values = {m.label: m.value for m in at.metric}
    assert values["Followers"] == "76" and values["Following"] == "14" and values["Ratio"] == "5.43"
    assert values["Follow you, you don't follow"] == "76"
    assert values["You follow, they don't follow back"] == "14"
    assert len(at.get("plotly_chart")) == 2  # band chart, and growth from the overview CSV


# --------------------------------------------------------------------------- command line


def test_cli_audience_json_prints_history_band_follow_back_and_growth(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    import_real(url)
    assert main(["audience", "--db", url, "--workspace", REAL_WS, "--add-snapshot", "2025-03-21", "400", "150",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= {"ratio_history", "band", "reading", "follow_back", "growth"}
    history = payload["ratio_history"]
    assert history[0] == {"day": "2024-06-24", "followers": 146, "following": 150, "ratio": round(146 / 150, 4),
                          "source": "rebuilt from daily CSV"}
    assert history[-1]["source"] == "archive" and history[-1]["ratio"] == round(76 / 14, 4)
    assert payload["band"] == "mass communication"
    assert payload["follow_back"]["followers_not_followed"] == 76
    assert payload["follow_back"]["following_not_following_back"] == 14
    assert payload["growth"]["weeks"] == 38 and payload["growth"]["verdict"] in ("quality", "volume", "both")


def test_python_m_curation_audience_prints_the_band_and_follow_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    import_real(url)
    out = subprocess.run([sys.executable, "-m", "curation", "audience", "--db", url, "--workspace", REAL_WS],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "ratio   5.43" in out and "Band: mass communication" in out
    assert "76 of your 76 followers are accounts you do not follow" in out


def test_cli_refuses_a_malformed_snapshot(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    import_real(url)
    assert main(["audience", "--db", url, "--workspace", REAL_WS, "--add-snapshot", "yesterday", "1", "2"]) == 2
    assert "DAY FOLLOWERS FOLLOWING" in capsys.readouterr().err
