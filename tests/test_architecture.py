"""The layers of ARCHITECTURE.md, checked on the code's own imports.

Every import counts: at module level, inside functions and under ``TYPE_CHECKING``.
A module of ``monitor/`` that is not placed in a layer below fails the check, so a
new module is put in its layer on purpose, not by accident.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "crawlers", "alerts")

# monitor/ holds both the core and the application layer (the layout is fixed by
# PRODUCT.md), so the application's modules are named; the rest of monitor/ is core.
APP_MODULES = (
    "monitor.actions",  # incident actions deliver what they queued through alerts/
    "monitor.backtest",
    "monitor.cli",
    "monitor.cycle",
    "monitor.digest",
    "monitor.service",
    "monitor.web",
)
# Alembic's scripts are loaded by Alembic, not imported.
NOT_MODULES = ("monitor.migrations",)

CORE, CRAWLERS, ALERTS, APP = "core", "crawlers", "alerts", "app"
# What each layer may import (besides itself).
MAY_IMPORT = {
    CORE: {CORE},
    CRAWLERS: {CORE, CRAWLERS},
    ALERTS: {CORE, ALERTS},
    APP: {CORE, CRAWLERS, ALERTS, APP},
}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_of(module: str) -> str:
    """The layer a module of repmon's packages belongs to."""
    top = module.split(".")[0]
    if top == "crawlers":
        return CRAWLERS
    if top == "alerts":
        return ALERTS
    return APP if _within(module, APP_MODULES) else CORE


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool


def modules_under(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of the packages."""
    found: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if not _within(name, NOT_MODULES):
                found[name] = path
    return found


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".")
            if path.name != "__init__.py":
                base = base[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name`` imports mod.
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
    out = []
    for name in names:
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known:
            out.append(name)
    return out


def imports_of(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    """Every import from one of the packages' modules to another, wherever it is written."""
    known = modules_under(root, packages)
    found: list[Import] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def visit(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(module, path, child, known):
                        if target != module:
                            found.append(Import(module, target, child.lineno, in_function))
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        visit(tree, False)
    return found


def upward_imports(imports: list[Import]) -> list[Import]:
    """Imports from a layer to one it may not import."""
    return [i for i in imports if layer_of(i.imported) not in MAY_IMPORT[layer_of(i.importer)]]


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for i in imports:
        graph[i.importer].add(i.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def _describe(imports: list[Import]) -> str:
    return "\n".join(
        f"{i.importer} ({layer_of(i.importer)}) imports {i.imported} ({layer_of(i.imported)}) at line {i.line}"
        + (" inside a function" if i.in_function else "")
        for i in imports
    )


def test_no_layer_imports_a_layer_above_it_or_beside_it():
    bad = upward_imports(imports_of(ROOT))
    assert not bad, "imports against ARCHITECTURE.md's layers:\n" + _describe(bad)


def test_the_packages_have_no_import_cycles():
    cycles = import_cycles(imports_of(ROOT))
    assert not cycles, "import cycles: " + "; ".join(" ⇄ ".join(c) for c in cycles)


def test_every_application_module_named_in_the_layer_map_exists():
    known = modules_under(ROOT)
    missing = [m for m in APP_MODULES if not any(_within(k, (m,)) for k in known)]
    assert not missing, f"APP_MODULES names modules that are gone: {missing}"


# The checker itself must be able to fail: a small tree with each fault in it.


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    return tmp_path


def test_a_core_module_importing_a_crawler_inside_a_function_is_reported(tmp_path):
    root = _tree(tmp_path, {
        "monitor/store.py": "def f():\n    from crawlers.items import X\n",
        "crawlers/items.py": "X = 1\n",
    })
    bad = upward_imports(imports_of(root))
    assert [(i.importer, i.imported, i.in_function) for i in bad] == [("monitor.store", "crawlers.items", True)]


def test_alerts_importing_crawlers_is_reported_as_a_sideways_import(tmp_path):
    root = _tree(tmp_path, {"alerts/x.py": "import crawlers.y\n", "crawlers/y.py": ""})
    assert [(i.importer, i.imported) for i in upward_imports(imports_of(root))] == [("alerts.x", "crawlers.y")]


def test_the_application_layer_may_import_every_layer(tmp_path):
    root = _tree(tmp_path, {
        "monitor/service.py": "from crawlers import runner\nfrom alerts.outbox import enqueue\nfrom monitor import store\n",
        "crawlers/runner.py": "", "alerts/outbox.py": "", "monitor/store.py": "",
    })
    assert upward_imports(imports_of(root)) == []


def test_a_loop_of_relative_imports_is_reported_as_a_cycle(tmp_path):
    root = _tree(tmp_path, {
        "monitor/a.py": "from .b import x\n",
        "monitor/b.py": "from . import c\nx = 1\n",
        "monitor/c.py": "def f():\n    from monitor.a import y\n",
    })
    assert import_cycles(imports_of(root)) == [["monitor.a", "monitor.b", "monitor.c"]]


@pytest.mark.parametrize("module, layer", [
    ("monitor.store", CORE), ("monitor.sentiment.scorer", CORE), ("monitor.cli.run_cmd", APP),
    ("monitor.web.app", APP), ("monitor.web.pages", APP), ("monitor.actions", APP), ("monitor.service", APP),
    ("crawlers.spiders.weibo", CRAWLERS), ("alerts.slack", ALERTS),
])
def test_modules_sit_in_the_layers_architecture_md_draws(module, layer):
    assert layer_of(module) == layer
