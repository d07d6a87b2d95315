"""One home for paths and settings read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJ_ROOT / "data"
# Trained artifacts are a cache (the database keeps each model too); CURATION_MODELS_DIR moves it.
MODELS_DIR = Path(os.environ.get("CURATION_MODELS_DIR") or PROJ_ROOT / "models")
DEFAULT_DB_PATH = DATA_DIR / "curation.db"

# Local single-user mode acts as this user; hosted mode uses the signed-in e-mail instead.
LOCAL_USER = "local@localhost"


def database_url() -> str:
    """DATABASE_URL if set (any SQLAlchemy URL), else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Hosted providers hand out postgres:// URLs; SQLAlchemy wants a driver name.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{DEFAULT_DB_PATH}"


def admin_emails() -> set[str]:
    """E-mails that become owners of every workspace they sign in to (ADMIN_EMAILS, comma-separated)."""
    raw = os.environ.get("ADMIN_EMAILS", "")
    return {e.strip().lower() for e in raw.split(",") if e.strip()}
