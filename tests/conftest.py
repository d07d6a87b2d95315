"""Shared fixtures: databases (SQLite and the real PostgreSQL), a seeded demo, a real browser."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

# Model artifacts written by tests go to a throwaway folder, not the project's models/ cache.
os.environ.setdefault("CURATION_MODELS_DIR", tempfile.mkdtemp(prefix="curation-models-"))

from curation.store.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip with a reason on a developer's machine; under CI=true a skipped real-service test fails."""
    if IN_CI:
        pytest.fail(f"CI requires this test to run: {reason}")
    pytest.skip(reason)


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'curation.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    problem = _pg_available()
    if problem:
        skip_or_fail(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs a test on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the demo workspace seeded the way `make run` seeds it (shared, read-mostly)."""
    path = tmp_path_factory.mktemp("demo") / "curation.db"
    url = f"sqlite:///{path}"
    subprocess.run(
        [sys.executable, "-m", "curation", "init-db", "--seed-demo-if-empty", "--db", url],
        check=True, cwd=ROOT, capture_output=True,
    )
    return url


def copy_db(src_url: str, dest: Path) -> str:
    """A private copy of a SQLite database, for tests that write."""
    src = Path(src_url.split("///", 1)[1])
    eng = create_engine(src_url)
    with eng.connect() as conn:
        conn.exec_driver_sql(f"VACUUM INTO '{dest}'")
    eng.dispose()
    assert dest.exists() and src.exists()
    return f"sqlite:///{dest}"


@pytest.fixture
def demo_copy(demo_db: str, tmp_path: Path) -> str:
    return copy_db(demo_db, tmp_path / "demo-copy.db")


# ---------------------------------------------------------------- browser

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` on a free loopback port, stopped by its pid."""

    def __init__(self, db_url: str, env: dict[str, str] | None = None, port: int | None = None,
                 cwd: Path = ROOT) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ARTIFACTS / f"streamlit-{self.port}.log"
        ARTIFACTS.mkdir(exist_ok=True)
        full_env = {**os.environ, "DATABASE_URL": db_url, **(env or {})}
        self._log = open(self.log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=cwd, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit not healthy after {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait(5)
        self._log.close()


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright's Python API (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        skip_or_fail(f"playwright not installed: {exc}")
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()
    pw.stop()


@pytest.fixture(scope="session")
def app_server(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """One Streamlit server on a private copy of the demo database for the browser tests."""
    url = copy_db(demo_db, tmp_path_factory.mktemp("browser") / "curation.db")
    server = StreamlitServer(url)
    yield server
    server.stop()


_RENDERED = """() => {
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null);
  return shown('[data-testid="stPlotlyChart"]').every(c => c.querySelector('.main-svg'))
    && shown('[data-testid="stSkeleton"]').length === 0;
}"""


def wait_rendered(page, timeout: float = 60_000) -> None:
    """Scroll the main area through so lazy charts draw, then wait until every shown one has."""
    main = page.get_by_test_id("stMain")
    height = int(main.evaluate("m => m.scrollHeight"))
    for top in range(0, height + 800, 800):
        main.evaluate("(m, top) => m.scrollTo(0, top)", top)
        page.wait_for_timeout(80)
    main.evaluate("m => m.scrollTo(0, 0)")
    page.wait_for_function(_RENDERED, timeout=timeout)


def screenshot(page, name: str) -> Path:
    """Save a screenshot under tests/artifacts/; with UPDATE_SCREENSHOTS=1 also the README's copy in docs/."""
    ARTIFACTS.mkdir(exist_ok=True)
    settle(page)  # the script run is over: a page still computing would be pictured half drawn
    wait_rendered(page)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        (DOCS_SHOTS / path.name).write_bytes(path.read_bytes())
    return path


def settle(page) -> None:
    """Wait until the script run is over (Streamlit's running indicator is gone)."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


def choose_draft(page, draft_id: int, text: str) -> None:
    """Pick the draft in the Drafts page's 'Review one draft' select, by typing its label (the list filters)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    label = f"#{draft_id} {text[:30]}"
    select = page.get_by_test_id("stSelectbox").filter(has_text="Review one draft")
    box = select.get_by_role("combobox")
    for _ in range(3):  # a rerun that lands while typing closes the list: try again once it is over
        settle(page)
        box.click()
        box.press_sequentially(label)
        try:
            page.get_by_role("option", name=re.compile(f"^#{draft_id} ")).wait_for(timeout=10_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        box.press("Enter")
        settle(page)
        if box.input_value().startswith(f"#{draft_id} "):
            return
    raise AssertionError(f"could not pick draft #{draft_id} in 'Review one draft': {box.input_value()!r}")
