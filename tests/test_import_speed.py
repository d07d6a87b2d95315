"""The import's speed measures keep behaviour: the collector comes back as it was, NULL columns stay NULL."""

from __future__ import annotations

import gc
import threading

import pandas as pd
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select

from curation.ingest import parse_files, x_archive
from curation.ingest.x_archive import gc_paused
from curation.store.db import bulk_insert, session_scope


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_gc_paused_holds_the_collector_and_restores_it(collector_on):
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds it
    assert gc.isenabled()


def test_gc_paused_restores_the_collector_after_an_error(collector_on):
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("parse failed")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_off(collector_on):
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_gc_paused_overlapping_threads_restore_once_the_last_ends(collector_on):
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other)
    with gc_paused():
        t.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    t.join(5)
    assert gc.isenabled()


def test_parse_archive_reads_with_the_collector_held_and_gives_it_back(collector_on, monkeypatch):
    seen: list[bool] = []
    collect = x_archive._collect

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return collect(*args, **kwargs)

    monkeypatch.setattr(x_archive, "_collect", spy)
    data = (b'window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "full_text": "hello", '
            b'"created_at": "Mon Jan 01 10:00:00 +0000 2024", "favorite_count": "3"}}]')
    (parsed,) = parse_files([("tweets.js", data)])
    assert seen == [False]
    assert gc.isenabled()
    assert parsed.tweets["tweet_id"].tolist() == ["1"]


def test_bulk_insert_leaves_out_only_all_missing_columns_without_default(tmp_path):
    meta = MetaData()
    table = Table(
        "t", meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(10)),
        Column("plain", Integer, nullable=True),  # all missing below: left out, stored NULL
        Column("with_default", Integer, nullable=True, default=7),  # all missing: kept, so NULL, not 7
        Column("with_server_default", Integer, nullable=True, server_default="5"),  # all missing: kept (NULL)
        Column("partly", Integer, nullable=True),
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    meta.create_all(engine)
    frame = pd.DataFrame({
        "name": ["a", "b"],
        "plain": pd.Series([None, None], dtype="Int64"),
        "with_default": pd.Series([None, None], dtype="Int64"),
        "with_server_default": pd.Series([None, None], dtype="Int64"),
        "partly": pd.Series([None, 4], dtype="Int64"),
    })
    with session_scope(engine) as s:
        bulk_insert(s, table, frame)
    with engine.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.name)).all()
    assert [tuple(r)[1:] for r in rows] == [("a", None, None, None, None), ("b", None, None, None, 4)]
