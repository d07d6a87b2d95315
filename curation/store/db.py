"""Engine and sessions: SQLite by default, any SQLAlchemy URL through DATABASE_URL; migrations on start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Dialect, Engine, Executable, Table, create_engine, event, insert, text
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeEngine

from curation import config
from curation.errors import CurationError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: config.database_url()); SQLite gets foreign keys and WAL."""
    url = url or config.database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if path and path != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # 64 MB of page cache (default 2 MB): a 100k-tweet import maintains its indexes in memory.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (idempotent; safe to call on each start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@lru_cache(maxsize=8)
def engine_for(url: str | None = None) -> Engine:
    """A migrated engine, one per URL per process."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any exception."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


# First key of the PostgreSQL advisory lock one workspace's writers take turns on ("wsmerge").
_WORKSPACE_LOCK = 0x77736D65


def lock_workspace(session: Session, workspace_id: int) -> None:
    """Make this transaction the only writer of the workspace until it ends; call before reading what it merges.

    A merge reads the stored rows, folds files in and writes them back; two at once would each
    overwrite the other's change. PostgreSQL takes a transaction-scoped advisory lock (released on
    commit or rollback); SQLite has one writer per database, so a no-op write takes its write lock
    now, before the reads, instead of at the first real write.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k, :w)"), {"k": _WORKSPACE_LOCK, "w": workspace_id})
    elif conn.dialect.name == "sqlite":
        conn.execute(text("UPDATE workspaces SET data_version = data_version WHERE id = :w"), {"w": workspace_id})
    else:  # any other database: a row lock on the workspace
        conn.execute(text("SELECT id FROM workspaces WHERE id = :w FOR UPDATE"), {"w": workspace_id})


def _driver_values(series: pd.Series, sa_type: TypeEngine, dialect: Dialect) -> list:
    """One column as the values the driver takes, column-wise; what SQLAlchemy's bind processors give."""
    missing = series.isna().to_numpy()
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        utc = series.dt.tz_convert("UTC")
        if dialect.name == "sqlite":  # SQLAlchemy's SQLite DATETIME storage format, vectorised
            text = np.datetime_as_string(utc.dt.tz_localize(None).to_numpy("datetime64[us]"), unit="us")
            if len(text):  # ISO 'T' -> ' ' in place (strftime is 10x slower)
                text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(" ")
            arr = text.astype(object)
            arr[missing] = None
            return arr.tolist()
        arr = np.array(utc.dt.to_pydatetime(), dtype=object)
    elif series.dtype == bool:  # drivers take Python bools as they are: skip the per-value processor
        return series.to_numpy().tolist()
    else:
        arr = series.astype(object).to_numpy(copy=True)
    arr[missing] = None
    values = arr.tolist()
    process = sa_type.dialect_impl(dialect).bind_processor(dialect)
    return values if process is None else [None if v is None else process(v) for v in values]


def bulk_execute(session: Session, stmt: Executable, frame: pd.DataFrame, chunk: int = 20_000) -> None:
    """Execute ``stmt`` once per row of ``frame`` (columns named like its parameters) in driver batches.

    The statement is compiled once and values are converted column by column, which skips the
    per-row parameter processing of ``Connection.execute`` (most of an import's time otherwise).
    """
    conn = session.connection()
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(frame.columns))
    names = list(compiled.positiontup or compiled.binds)
    values = [_driver_values(frame[n], compiled.binds[n].type, dialect) for n in names]
    rows: list = list(zip(*values, strict=True))
    if not compiled.positiontup:
        rows = [dict(zip(names, row, strict=True)) for row in rows]
    for start in range(0, len(rows), chunk):
        conn.exec_driver_sql(compiled.string, rows[start : start + chunk])


def _null_by_default(table: Table, values: pd.Series) -> bool:
    """True when a column left out of an INSERT stores exactly ``values`` (all missing): no default of any kind.

    An archive has no impressions or clicks: leaving those 13 columns out saves binding 1.3 million
    NULLs per 100k tweets (about a third of SQLite's insert work).
    """
    col = table.c[values.name]
    return (
        len(values) > 0
        and col.nullable
        and col.default is None
        and col.server_default is None
        and not col.primary_key
        and bool(values.isna().all())
    )


def bulk_insert(session: Session, table: Table, frame: pd.DataFrame) -> None:
    """Insert the rows of ``frame`` into ``table``: COPY on PostgreSQL, batched executemany elsewhere."""
    conn = session.connection()
    dialect = conn.dialect
    given = [c for c in frame.columns if not _null_by_default(table, frame[c])]
    if given and len(given) < len(frame.columns):
        frame = frame[given]
    if dialect.name != "postgresql" or not len(frame):
        bulk_execute(session, insert(table), frame)
        return
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(c) for c in frame.columns)
    sql = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
    values = [_driver_values(frame[c], table.c[c].type, dialect) for c in frame.columns]
    raw = conn.connection.driver_connection  # same transaction as the session
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    except dialect.dbapi.Error as exc:  # the driver's own error: raise it as SQLAlchemy would (IntegrityError...)
        raise DBAPIError.instance(sql, None, exc, dialect.dbapi.Error, dialect=dialect) from exc


def user_error(exc: BaseException, db: str | None = None) -> str | None:
    """The one-line message for an error the user caused and can fix, or None for a bug (kept as a traceback).

    Domain errors carry their own message; the library errors here only arise from what the user
    gave: a database URL that is malformed or unreachable, a file that cannot be read or written.
    """
    if isinstance(exc, CurationError):
        return str(exc)
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return (f"{db or 'DATABASE_URL'} is not a database URL this app can use. Give --db (or DATABASE_URL) as "
                "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/dbname.")
    if isinstance(exc, OperationalError | InterfaceError):
        first = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
        return (f"Cannot use the database ({first}). Check --db (or DATABASE_URL), that the server is running "
                "and reachable, and that the file or account may be written; then run the command again.")
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"Cannot read or write{where}: {exc.strerror or exc}. Check the path and its permissions."
    return None
