"""Hosting checks and startup: the ephemeral-disk warning and the migrated, seeded engine replicas share."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from curation import config
from curation.store.db import engine_for, session_scope
from curation.store.models import (
    Workspace,
)

_TRUTHY = {"1", "true", "yes", "on"}


# ---------------------------------------------------------------- hosting checks


def ephemeral_disk_warning(url: str, environ: Mapping[str, str] | None = None, root: Path | None = None) -> str | None:
    """A warning when the database is a SQLite file on a disk that a restart wipes, else None.

    Streamlit Community Cloud runs apps from /mount/src/<repo> on a disk that does not survive a
    reboot; EPHEMERAL_DISK=1 says the same for any other host (a container without a volume).
    """
    env = os.environ if environ is None else environ
    if not url.startswith("sqlite"):
        return None
    root = root or config.PROJ_ROOT
    cloud = str(root).startswith("/mount/src") or env.get("HOSTNAME", "") == "streamlit"
    if not (cloud or env.get("EPHEMERAL_DISK", "").strip().lower() in _TRUTHY):
        return None
    return ("This app keeps its data in a SQLite file on a disk that is wiped when the app restarts: "
            "uploads, drafts and plans will be lost. Set DATABASE_URL to a managed PostgreSQL database "
            "(see the README, 'Deploying').")


# ---------------------------------------------------------------- starting replicas

_STARTUP_LOCK = 0x6375726174696F6E  # "curation": the PostgreSQL advisory lock replicas take while starting


@contextmanager
def _startup_lock(url: str) -> Iterator[None]:
    """Replicas that start together take turns migrating and seeding (PostgreSQL; SQLite has one process)."""
    if not url.startswith("postgresql"):
        yield
        return
    locker = create_engine(url, poolclass=NullPool)
    try:
        with locker.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _STARTUP_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _STARTUP_LOCK})
    finally:
        locker.dispose()


def prepare_database(url: str | None = None, seed_if_empty: bool = True) -> tuple[Engine, int | None]:
    """The migrated engine, and the demo workspace's id when this call seeded an empty database.

    Safe when N replicas start at once on one PostgreSQL database: one migrates and seeds, the
    others wait and then find the work done. Training on the seeded data is left to the caller.
    """
    from curation.workspace.demo import seed_demo

    url = url or config.database_url()
    with _startup_lock(url):
        engine = engine_for(url)
        if not seed_if_empty:
            return engine, None
        with session_scope(engine) as session:
            empty = session.scalar(select(func.count()).select_from(Workspace)) == 0
        return engine, (seed_demo(engine) if empty else None)
