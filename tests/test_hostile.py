"""Hostile-input corpus (issue 13), on SQLite and the real PostgreSQL: every input ends in a clear result.

Each case runs one CLI command in-process against a workspace of 240 tweets and asserts its exit
code and message (a user error: exit 2 and one line on stderr, never a traceback), that the
workspace is unchanged when the input was refused, and that the workspace still trains afterwards.
The bounded cases (huge texts, an archive of many parts, an upload over the size limit) run in one
subprocess per backend whose peak resident memory must stay under 1.5 GB.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import PG_ADMIN_URL, ROOT, _pg_available, skip_or_fail
from sqlalchemy import create_engine, func, select, text

from curation.cli import main as cli_main
from curation.store.db import engine_for, session_scope
from curation.store.models import AuditEvent, Member, Tweet, Upload, Workspace
from curation.ui.auth import email_is_verified
from tests.ingest_cases import Tweet as T
from tests.ingest_cases import archive_js, archive_tweet, base_time, tweets, x_content_csv, zip_bytes

BASE = "base"
N_BASE = 240
PEAK_LIMIT_MB = 1536


# ---------------------------------------------------------------- the database and the base workspace

@dataclass
class Env:
    url: str
    dir: Path
    export: bytes = b""
    files: dict[str, Path] = field(default_factory=dict)

    def file(self, name: str, data: bytes) -> Path:
        path = self.dir / f"{uuid.uuid4().hex[:8]}-{name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """python -m curation ARGV in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def _base_posts() -> list[T]:
    rnd = random.Random(13)
    posts = tweets(N_BASE)
    for t in posts:
        t.url_clicks, t.impressions = rnd.randint(0, 40), rnd.randint(200, 9000)
    return posts


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A database holding the base workspace (trained), and its export zip, shared by the module's cases."""
    tmp = tmp_path_factory.mktemp(f"hostile-{request.param}")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'curation.db'}"
    else:
        if problem := _pg_available():
            skip_or_fail(problem)
        schema = f"h_{uuid.uuid4().hex[:12]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    e = Env(url, tmp)
    try:
        code, _, err = run_cli(["import", str(e.file("base.csv", x_content_csv(_base_posts()))), *db(e)])
        assert code == 0, err
        exported = tmp / "base-export.zip"
        assert run_cli(["export", "--out", str(exported), *db(e)])[0] == 0
        e.export = exported.read_bytes()
        yield e
    finally:
        engine_for.cache_clear()  # the cached engines hold connections to the schema about to go
        if schema:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def db(e: Env, workspace: str = BASE) -> list[str]:
    return ["--db", e.url, "--workspace", workspace]


def snapshot(e: Env, workspace: str = BASE) -> tuple | None:
    """What a refused input must leave as it was: the workspace's rows, numbers, uploads, members, audit."""
    with session_scope(engine_for(e.url)) as s:
        ws = s.scalar(select(Workspace).where(Workspace.name == workspace))
        if ws is None:
            return None
        tw = s.execute(select(func.count(), func.sum(func.length(Tweet.text)), func.sum(Tweet.url_clicks),
                              func.sum(Tweet.impressions), func.count(Tweet.lang))
                       .where(Tweet.workspace_id == ws.id)).one()
        uploads = s.scalar(select(func.count()).select_from(Upload).where(Upload.workspace_id == ws.id))
        members = sorted(s.execute(select(Member.email, Member.role).where(Member.workspace_id == ws.id)).all())
        audit = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.workspace_id == ws.id))
        return tuple(tw), uploads, members, audit, ws.data_version, ws.timezone


# ---------------------------------------------------------------- inputs, built in code

def _archive(rows: list[dict]) -> bytes:
    return archive_js(rows)


_IDS = iter(range(1_900_000_000_000_000_000, 2_000_000_000_000_000_000, 7))


def _one(text_: str = "hello #launch https://t.co/x", **extra: object) -> bytes:
    """tweets.js with one fresh tweet (a new id), its fields overridden by ``extra``."""
    obj = archive_tweet(T(text=text_, when=base_time().replace(month=4), id=str(next(_IDS))))
    obj.update(extra)
    return _archive([obj])


def _export_with(e: Env, replace: dict[str, bytes | None]) -> bytes:
    """The base workspace's export with members replaced (None removes one)."""
    src = zipfile.ZipFile(io.BytesIO(e.export))
    members = {n: src.read(n) for n in src.namelist()}
    for name, data in replace.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    return zip_bytes(members)


def _csv_edit(e: Env, name: str, edit: Callable[[list[list[str]]], list[list[str]]]) -> bytes:
    import csv

    rows = list(csv.reader(io.StringIO(zipfile.ZipFile(io.BytesIO(e.export)).read(name).decode("utf-8-sig"))))
    buf = io.StringIO()
    csv.writer(buf).writerows(edit(rows))
    return _export_with(e, {name: buf.getvalue().encode()})


def _set_col(col: str, value: str, row: int = 1) -> Callable[[list[list[str]]], list[list[str]]]:
    def edit(rows: list[list[str]]) -> list[list[str]]:
        rows[row][rows[0].index(col)] = value
        return rows
    return edit


def _members_csv(*rows: tuple[str, str]) -> bytes:
    lines = ["email,role,added_by,added_at"] + [f"{e},{r},local@localhost,2026-01-01T00:00:00+00:00" for e, r in rows]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class Case:
    """One hostile input: the CLI arguments it makes, the exit code and message it must give."""

    id: str
    argv: Callable[[Env], list[str]]
    code: int
    message: str  # a regex the output (stderr on failure, stdout on success) must match
    keeps_base: bool = True  # the base workspace is exactly as before
    leaves_no_workspace: str | None = None  # a new workspace name that must not exist afterwards
    check: Callable[[Env], None] | None = None
    xfail: str | None = None


def _imp(name: str, build: Callable[[], bytes], workspace: str = BASE) -> Callable[[Env], list[str]]:
    return lambda e: ["import", str(e.file(name, build())), *db(e, workspace)]


def _restore(build: Callable[[Env], bytes], workspace: str = "restored", name: str = "export.zip"):
    return lambda e: ["restore", str(e.file(name, build(e))), *db(e, workspace)]


def _members_of(workspace: str) -> Callable[[Env], None]:
    def check(e: Env) -> None:
        snap = snapshot(e, workspace)
        assert snap is not None
        emails = [m for m, _ in snap[2]]
        assert all(m == m.lower() for m in emails), emails
        assert all(r in ("viewer", "editor", "owner") for _, r in snap[2]), snap[2]
    return check


def _equal_clicks() -> bytes:
    posts = tweets(300, start=base_time().replace(year=2024))
    for t in posts:
        t.url_clicks = 3
    return x_content_csv(posts)


WARN = r"warning|left empty|cut|removed"
CASES: list[Case] = [
    # --- bad numbers and fields: accepted, the bad value left empty with a warning that names the row
    Case("count-negative-string", _imp("tweets.js", lambda: _one(favorite_count="-5")), 0, WARN, keeps_base=False),
    Case("count-negative-int", _imp("tweets.js", lambda: _one(favorite_count=-5)), 0, WARN, keeps_base=False),
    Case("count-fraction", _imp("tweets.js", lambda: _one(retweet_count="2.5")), 0, WARN, keeps_base=False),
    Case("count-nan", _imp("tweets.js", lambda: _one(favorite_count="NaN")), 0, WARN, keeps_base=False),
    Case("count-inf", _imp("tweets.js", lambda: _one(favorite_count="1e400")), 0, WARN, keeps_base=False),
    Case("count-huge", _imp("tweets.js", lambda: _one(favorite_count="9" * 40)), 0, WARN, keeps_base=False),
    Case("count-word", _imp("tweets.js", lambda: _one(favorite_count="many")), 0, WARN, keeps_base=False),
    Case("csv-negative-impressions", _imp("content.csv", lambda: x_content_csv(
        [T(text="negative reach", when=base_time().replace(month=5), impressions=-1)])), 0, WARN, keeps_base=False),
    Case("nul-in-text", _imp("tweets.js", lambda: _one("nul\x00byte here")), 0, WARN, keeps_base=False),
    Case("id-5000-digits", _imp("tweets.js", lambda: _one(id_str="7" * 5000, id="7" * 5000)), 0,
         r"skipped|warning|id", keeps_base=False),
    Case("lang-500-chars", _imp("tweets.js", lambda: _one(lang="x" * 500)), 0, WARN, keeps_base=False),
    Case("text-30k-chars", _imp("tweets.js", lambda: _one("long " * 6_000)), 0, WARN, keeps_base=False),
    Case("html-in-text", _imp("tweets.js", lambda: _one("<script>alert(1)</script> <img src=x onerror=y>")), 0,
         r"1 new", keeps_base=False),
    Case("formula-in-text", _imp("tweets.js", lambda: _one("=HYPERLINK(\"http://evil\",\"x\")")), 0, r"1 new",
         keeps_base=False),
    # --- damaged or hostile files: refused with exit 2, nothing written
    Case("empty-file", _imp("tweets.js", lambda: b""), 2, r"empty"),
    Case("binary-garbage", _imp("data.bin", lambda: bytes(range(256)) * 40), 2, r"."),
    Case("truncated-tweets-js", _imp("tweets.js", lambda: _one()[:-40]), 2, r"."),
    Case("truncated-zip", _imp("archive.zip", lambda: zip_bytes({"data/tweets.js": _one()})[:-30]), 2, r"."),
    Case("zip-bomb", _imp("bomb.zip", lambda: zip_bytes({"data/tweets.js": b"window.YTD.tweets.part0 = ["
                                                         + b" " * (300 * 1024 * 1024) + b"]"})), 2, r"."),
    Case("zip-traversal", _imp("evil.zip", lambda: zip_bytes({"../../etc/passwd": b"root:x:0:0",
                                                              "/abs/tweets.js": b"x"})), 2, r"."),
    Case("csv-header-only", _imp("content.csv", lambda: x_content_csv([])), 0, r"0 rows read", keeps_base=False),
    Case("json-not-tweets", _imp("outbox.json", lambda: b'{"hello": "world"}'), 2, r"."),
    Case("not-a-file", lambda e: ["import", str(e.dir / "missing.csv"), *db(e)], 2, r"not a file"),
    # --- a failed import into a new workspace name leaves nothing behind
    Case("new-workspace-failed-import", lambda e: ["import", str(e.file("x.js", b"garbage")), *db(e, "ghost-import")],
         2, r".", leaves_no_workspace="ghost-import"),
    # --- clear CLI errors
    Case("plan-hours-8", lambda e: ["plan", "--hours", "8", *db(e)], 2, r"--hours.*8-18"),
    Case("plan-hours-backwards", lambda e: ["plan", "--hours", "20-8", *db(e)], 2, r"--hours"),
    Case("plan-weekdays-x", lambda e: ["plan", "--weekdays", "x", *db(e)], 2, r"--weekdays.*0-6"),
    Case("plan-weekdays-9", lambda e: ["plan", "--weekdays", "9", *db(e)], 2, r"--weekdays"),
    Case("plan-start-notadate", lambda e: ["plan", "--start", "notadate", *db(e)], 2, r"--start.*ISO date"),
    Case("plan-days-0", lambda e: ["plan", "--days", "0", *db(e)], 2, r"--days"),
    Case("plan-tz-unknown", lambda e: ["plan", "--tz", "Mars/Olympus", *db(e)], 2, r"[Tt]imezone"),
    Case("unknown-workspace", lambda e: ["stats", *db(e, "no-such-workspace")], 2, r"No workspace named"),
    Case("database-unreachable", lambda e: ["stats", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"], 2,
         r"Cannot use the database"),
    Case("database-url-malformed", lambda e: ["stats", "--db", "not a url"], 2, r"not a database URL"),
    Case("train-all-equal-clicks", lambda e: (run_cli(["import", str(e.file("eq.csv", _equal_clicks())),
                                                        *db(e, "equal-clicks")]),
                                               ["train", "--force", *db(e, "equal-clicks")])[1], 2, r"same clicks"),
    # --- restore validates what it reads
    Case("restore-not-a-zip", _restore(lambda e: b"PK\x03\x04 not really"), 2, r".", leaves_no_workspace="restored"),
    Case("restore-no-workspace-json", _restore(lambda e: _export_with(e, {"workspace.json": None})), 2,
         r"not a workspace export", leaves_no_workspace="restored"),
    Case("restore-bad-json", _restore(lambda e: _export_with(e, {"workspace.json": b"{not json"})), 2,
         r"damaged", leaves_no_workspace="restored"),
    Case("restore-json-list", _restore(lambda e: _export_with(e, {"workspace.json": b"[1, 2]"})), 2,
         r"not a workspace export", leaves_no_workspace="restored"),
    Case("restore-missing-tweets", _restore(lambda e: _export_with(e, {"tweets.csv": None})), 2,
         r"tweets.csv is missing", leaves_no_workspace="restored"),
    Case("restore-role-god", _restore(lambda e: _export_with(e, {
        "members.csv": _members_csv(("a@example.com", "god"))})), 2, r"'god' is not a role",
         leaves_no_workspace="restored"),
    Case("restore-email-at", _restore(lambda e: _export_with(e, {"members.csv": _members_csv(("@", "viewer"))})),
         2, r"not an e-mail", leaves_no_workspace="restored"),
    Case("restore-bad-number", _restore(lambda e: _csv_edit(e, "tweets.csv", _set_col("impressions", "lots"))), 2,
         r"damaged", leaves_no_workspace="restored"),
    Case("restore-bad-time", _restore(lambda e: _csv_edit(e, "tweets.csv", _set_col("created_at", "yesterday"))), 2,
         r"damaged", leaves_no_workspace="restored"),
    Case("restore-duplicate-tweet", _restore(lambda e: _csv_edit(e, "tweets.csv", lambda r: [*r, r[1]])), 2,
         r"damaged", leaves_no_workspace="restored"),
    Case("restore-unknown-upload", _restore(lambda e: _csv_edit(e, "tweet_uploads.csv", _set_col("upload_id", "999"))),
         2, r"damaged", leaves_no_workspace="restored"),
    Case("restore-into-nonempty", lambda e: ["restore", str(e.file("export.zip", e.export)), *db(e)], 2,
         r"already has"),
    Case("restore-mixed-case-emails", lambda e: ["restore", str(e.file("export.zip", _export_with(e, {
        "members.csv": _members_csv(("Boss@Example.COM", "owner"), ("boss@example.com", "viewer"),
                                    ("Ed@Example.com", "editor"))}))), *db(e, "mixed")], 0, r"Restored",
         check=_members_of("mixed")),
    # --- owner and e-mail rules
    Case("member-email-at", lambda e: ["members", "add", "@", *db(e)], 2, r"not an e-mail"),
    Case("member-email-blank-inside", lambda e: ["members", "add", "a b@example.com", *db(e)], 2, r"not an e-mail"),
    Case("member-email-two-at", lambda e: ["members", "add", "a@b@example.com", *db(e)], 2, r"not an e-mail"),
    Case("member-only-owner-demotes-self", lambda e: ["members", "add", "local@localhost", "--role", "viewer", *db(e)],
         2, r"at least one owner"),
    Case("member-only-owner-removed", lambda e: ["members", "remove", "local@localhost", *db(e)], 2,
         r"at least one owner"),
    Case("member-role-unknown", lambda e: ["members", "add", "x@example.com", "--role", "god", *db(e)], 2,
         r"--role"),
]


def totals(e: Env) -> tuple:
    """Rows of every workspace: a refused input adds none (no workspace, member, upload or audit row)."""
    with session_scope(engine_for(e.url)) as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Workspace, Member, Upload, AuditEvent,
                                                                             Tweet))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)]
                                               if c.xfail else []) for c in CASES])
def test_hostile_input(env: Env, case: Case) -> None:
    argv = case.argv(env)  # builds the input (and any workspace the case needs) before anything is measured
    before, rows = snapshot(env), totals(env)
    code, out, err = run_cli(argv)
    said = err if code else out
    assert "Traceback" not in out + err
    assert code == case.code, (code, out[-2000:], err[-2000:])
    assert re.search(case.message, said), said[-2000:]
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err  # one line that says what to do
        assert totals(env) == rows  # nothing written anywhere
    if case.keeps_base:
        assert snapshot(env) == before
    if case.leaves_no_workspace:
        assert snapshot(env, case.leaves_no_workspace) is None
    if case.check:
        case.check(env)
    code, out, err = run_cli(["train", "--force", *db(env)])
    assert code == 0, err  # the workspace still trains afterwards


# ---------------------------------------------------------------- bounded memory, measured in a subprocess

_RUNNER = """
import contextlib, io, json, resource, sys
from curation.cli import main


from curation.bench.peak import peak_rss_mb as peak_mb  # this process's own peak, not pytest's


for name, argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    peak = peak_mb()
    print(json.dumps({"step": name, "code": code, "out": out.getvalue()[-3000:], "err": err.getvalue()[-3000:],
                      "peak_mb": peak}), flush=True)
"""
N_PARTS, PER_PART = 60, 1_000  # 60,000 tweets in 60 tweets-partN.js files of one zip


def _many_parts() -> bytes:
    start = base_time().replace(year=2022)
    members = {}
    for part in range(N_PARTS):
        rows = [archive_tweet(T(text=f"part {part} post {i} #tag https://t.co/{i}", id=str(1_500_000_000_000_000_000
                                + part * PER_PART + i), when=start.replace(day=1 + i % 28, hour=i % 24),
                                likes=i % 17, reposts=i % 5)) for i in range(PER_PART)]
        members[f"data/tweets-part{part}.js"] = archive_js(rows, part=part, indent=None)
    return zip_bytes(members)


@pytest.fixture(scope="module")
def bounded(env: Env) -> dict[str, dict]:
    """The bounded cases run one after another in one fresh process; each step's result and peak so far."""
    over = env.dir / "huge-upload.csv"
    with over.open("wb") as f:  # sparse: 300 MB on paper, nothing on disk, and nothing read if refused by size
        f.truncate(300 * 1024 * 1024)
    steps = [
        ("baseline", ["stats", *db(env)]),
        ("over-size-limit", ["import", str(over), *db(env, "big")]),
        ("history", ["import", str(env.file("base.csv", x_content_csv(_base_posts()))), *db(env, "big")]),
        ("text-5mb", ["import", str(env.file("tweets.js", _one("x" * 5_000_000))), *db(env, "big")]),
        ("text-50mb", ["import", str(env.file("tweets.js", _one("y " * 25_000_000))), *db(env, "big")]),
        ("train-after-huge-texts", ["train", "--force", *db(env, "big")]),
        ("many-parts", ["import", str(env.file("archive.zip", _many_parts())), *db(env, "big")]),
        ("train-after-many-parts", ["train", "--force", *db(env, "big")]),
    ]
    proc = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(steps)], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    results = {r["step"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert len(results) == len(steps), proc.stderr[-3000:]
    return results


BOUNDED = {
    "over-size-limit": (2, r"limit|MB|too large"),
    "history": (0, r"240 new"),
    "text-5mb": (0, r"cut|25,000|25000"),
    "text-50mb": (0, r"cut|25,000|25000"),
    "train-after-huge-texts": (0, r"."),
    "many-parts": (0, f"{N_PARTS * PER_PART} new"),
    "train-after-many-parts": (0, r"."),
}


@pytest.mark.parametrize("step", list(BOUNDED))
def test_bounded_input_stays_under_the_memory_limit(bounded: dict[str, dict], step: str) -> None:
    r = bounded[step]
    print(f"{step}: peak {r['peak_mb']:.0f} MB (process so far)")  # shown with -rP, for the README's numbers
    code, message = BOUNDED[step]
    said = r["err"] if r["code"] else r["out"]
    assert "Traceback" not in r["out"] + r["err"]
    assert r["code"] == code, r
    assert re.search(message, said), said
    assert r["peak_mb"] < PEAK_LIMIT_MB, f"{step}: peak {r['peak_mb']:.0f} MB"
    if step == "over-size-limit":  # refused from its size: nothing near 300 MB was read
        assert r["peak_mb"] < bounded["baseline"]["peak_mb"] + 100, (r["peak_mb"], bounded["baseline"]["peak_mb"])


# ---------------------------------------------------------------- sign-in claims and files kept out of the image

@pytest.mark.parametrize(("claim", "verified"), [
    (True, True), ("true", True), ("TRUE", True), (" true ", True),
    (False, False), ("false", False), ("False", False), ("0", False), (0, False), (1, False), ("1", False),
    ("yes", False), ("", False), (None, False), ([], False), ({"value": True}, False),
])
def test_only_a_true_email_verified_claim_vouches(claim: object, verified: bool) -> None:
    assert email_is_verified(claim) is verified


def test_env_files_stay_out_of_git_and_the_image() -> None:
    for name in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / name).read_text().split(), name
