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
