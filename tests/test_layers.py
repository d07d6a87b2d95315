"""The layers hold: adapters import the domain, never the reverse; the pure packages touch no store."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ("curation.ingest", "curation.learn", "curation.plan", "curation.audience", "curation.text",
        "curation.facts", "curation.plain", "curation.schema", "curation.errors", "curation.config")
ADAPTERS = ("curation.ui", "curation.cli", "curation.__main__")
NOT_FOR_PURE = ("curation.store", "curation.workspace", "curation.bench", *ADAPTERS, "sqlalchemy", "alembic")


def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "curation").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every module name an import in ``path`` names, lazy imports included, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return found


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


MODULES = _modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_streamlit_and_plotly_only_in_ui(name):
    if _under(name, ("curation.ui",)):
        return
    tops = {i.split(".")[0] for i in _imports(name, MODULES[name])}
    assert not tops & {"streamlit", "plotly"}, f"{name} imports Streamlit or Plotly; move that code to curation/ui/"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _under(n, PURE)))
def test_pure_packages_import_no_store_use_case_or_adapter(name):
    bad = sorted(i for i in _imports(name, MODULES[name]) if _under(i, NOT_FOR_PURE))
    assert not bad, f"{name} is pure (frames in, results out) but imports {bad}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not _under(n, ADAPTERS)))
def test_the_domain_never_imports_an_adapter(name):
    bad = sorted(i for i in _imports(name, MODULES[name]) if _under(i, ("curation.cli", "curation.ui")))
    assert not bad or _under(name, ("curation.bench",)), f"{name} imports an adapter: {bad}"


def test_the_checker_sees_a_violation():
    """The rules above can fail: a made-up pure module importing the store is caught."""
    fake = ROOT / "tests" / "artifacts" / "fake_pure.py"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("from curation.store.db import engine_for\nimport streamlit as st\n", encoding="utf-8")
    found = _imports("curation.plan.fake", fake)
    assert _under("curation.store.db", NOT_FOR_PURE) and any(_under(i, NOT_FOR_PURE) for i in found)
    assert "streamlit" in {i.split(".")[0] for i in found}


def _curation_imports(path: Path) -> list[tuple[str, str, int]]:
    """Every ``from curation... import name`` in a file, function-level ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("curation"):
            found += [(node.module, a.name, node.lineno) for a in node.names]
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_import_of_the_project_resolves_lazy_ones_too(name):
    """A function-level import is only run when its function is: a moved name must still be found."""
    missing = []
    for module, attr, line in _curation_imports(MODULES[name]):
        mod = importlib.import_module(module)
        if not hasattr(mod, attr) and importlib.util.find_spec(f"{module}.{attr}") is None:
            missing.append(f"line {line}: {module}.{attr}")
    assert not missing, f"{name} imports names that do not exist: {missing}"
