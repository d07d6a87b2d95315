"""Domain errors: each message tells the user what to do next."""

from __future__ import annotations


class CurationError(Exception):
    """An error the user can cause and fix; pages show it with st.error, the CLI exits 2."""


class ImportFailed(CurationError):
    """An upload could not be read; nothing was written."""


class NotEnoughData(CurationError):
    """The workspace lacks the history a computation needs."""


class PermissionDenied(CurationError):
    """The acting user's role does not allow this action."""


class StaleWrite(CurationError):
    """Someone else changed the record since it was read."""


class NotFound(CurationError):
    """A workspace, draft, upload or schedule that does not exist."""


def user_error(exc: BaseException, db: str | None = None) -> str | None:
    """The one-line message for an error the user caused and can fix, or None for a bug (kept as a traceback).

    Domain errors carry their own message; the library errors here only arise from what the user
    gave: a database URL that is malformed or unreachable, a file that cannot be read or written.
    """
    from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

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
