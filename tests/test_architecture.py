"""The apps depend one way (docs/architecture.md): no import from a lower app into a higher one, no cycle.

Reads the source (every ``import``, at module level or inside a function), so a lazy import
counts as much as a top-level one. Layers, lowest first:

    models_ml  <  palimpsest (kernel)  <  jobs  <  archive  <  inscription  <  exchange  <  search  <  web

Migrations are checked too: a migration may depend on its own app's and lower apps' migrations,
except the few written before the split, listed below with the reason they point up.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["models_ml", "palimpsest", "jobs", "archive", "inscription", "exchange", "search", "web"]
RANK = {app: i for i, app in enumerate(LAYERS)}
# Frameworks the ML package must never import (it runs without Django, in the CLI and in workers).
NOT_IN_MODELS_ML = ("django", "rest_framework", "celery", "drf_spectacular", "django_filters")
# Migration dependencies that point up, all written before the apps were split (data and history stay).
HISTORICAL_MIGRATION_EDGES = {
    ("archive", "0002_initial", "inscription", "0001_initial"): "geometry's job/model FKs, before jobs existed",
    ("archive", "0003_collection_dublin_core_page_status", "inscription", "0006_job_parent_batches"): "before the split",
    ("archive", "0004_layout_revisions", "inscription", "0005_reading_traces"): "before the split",
    ("jobs", "0001_initial", "inscription", "0006_job_parent_batches"): "the tables it takes over were made there",
    ("jobs", "0001_initial", "archive", "0001_initial"): "a job's target is an archive row (lazy FK; no code import)",
}


def modules(root: Path = REPO) -> dict[str, Path]:
    """Dotted name → file for every module of the layered packages (migrations are checked separately)."""
    found = {}
    for package in LAYERS:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: Iterable[str]) -> str | None:
    """The longest known module that ``name`` is or lies in (``a.b.c`` → ``a.b`` when c is a function)."""
    known = set(known)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, source: str, is_package: bool, known: Iterable[str]) -> tuple[set[str], set[str]]:
    """(project modules it imports, top-level names of every module it imports)."""
    known = set(known)
    project, roots = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [f"{origin}.{alias.name}" for alias in node.names] + [origin]
        else:
            continue
        for name in names:
            roots.add(name.split(".")[0])
            target = _resolve(name, known)
            if target and target != module:
                project.add(target)
    return project, roots


def graph(found: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    edges, roots = {}, {}
    for name, path in found.items():
        edges[name], roots[name] = imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", found)
        edges[name].discard(name)
    return edges, roots


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports from a lower layer into a higher one."""
    app = lambda m: m.split(".")[0]  # noqa: E731
    return sorted(f"{m} -> {t}" for m, ts in edges.items() for t in ts if RANK[app(t)] > RANK[app(m)])


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The checks below could fail: a planted upward import and a planted cycle are both reported."""
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "jobs" / "runner.py").write_text("def f():\n    from inscription.services import batches\n")
    (tmp_path / "inscription" / "services.py").write_text("from inscription import views\n")
    (tmp_path / "inscription" / "views.py").write_text("from .services import x\n")
    edges, _ = graph(modules(tmp_path))
    assert upward(edges) == ["jobs.runner -> inscription.services"]
    assert cycles(edges) == [["inscription.services", "inscription.views"]]


def test_no_app_imports_a_higher_one() -> None:
    edges, _ = graph(modules())
    assert upward(edges) == []


def test_there_is_no_import_cycle() -> None:
    edges, _ = graph(modules())
    assert cycles(edges) == []


def test_models_ml_never_imports_django_or_the_apps() -> None:
    edges, roots = graph(modules())
    bad = sorted(f"{m} imports {r}" for m, rs in roots.items() if m.startswith("models_ml")
                 for r in rs if r in NOT_IN_MODELS_ML or (r in RANK and r != "models_ml"))
    assert bad == []


@pytest.mark.django_db
def test_migrations_depend_one_way() -> None:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    up = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in RANK:
            continue
        for dep_app, dep_name in migration.dependencies:
            if dep_app in RANK and RANK[dep_app] > RANK[app] and (app, name, dep_app, dep_name) not in HISTORICAL_MIGRATION_EDGES:
                up.append(f"{app}.{name} -> {dep_app}.{dep_name}")
    assert sorted(up) == []
    stale = [edge for edge in HISTORICAL_MIGRATION_EDGES if (edge[0], edge[1]) not in loader.disk_migrations]
    assert stale == []
