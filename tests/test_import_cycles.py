"""No import cycle among the repo's modules: the library, the services, the tests and the benchmarks.

Imports at any depth count (a cycle hidden in a function body is still a cycle, only deferred);
imports under ``if TYPE_CHECKING:`` do not (they never run). ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg`` itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# (folder that is on sys.path, the module names found under it)
ROOTS = [REPO / "shared", *sorted(p for p in (REPO / "services").iterdir() if p.is_dir()), REPO, REPO / "bench"]


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for root in ROOTS:
        files = ((root / "tests").rglob("*.py") if root == REPO else
                 root.glob("*.py") if root.name == "bench" else root.rglob("*.py"))
        for f in files:
            parts = list(f.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and "build" not in parts:
                mods.setdefault(".".join(parts), f)
    return mods


def _imports(tree: ast.AST):
    """Import nodes anywhere, except inside ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.orelse:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    yield stmt
                yield from _imports(stmt)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def _targets(mods: dict[str, Path], name: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in mods}
    if node.level:
        package = name if mods[name].name == "__init__.py" else name.rpartition(".")[0]
        parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    out = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in mods:
            out.add(f"{base}.{alias.name}")
        elif base in mods:
            out.add(base)
    return out


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: {t for node in _imports(ast.parse(path.read_text())) for t in _targets(mods, name, node)} - {name}
            for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                scc = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    scc.append(w)
                    if w == v:
                        break
                if len(scc) > 1:
                    found.append(sorted(scc))
    return found


def test_the_walk_sees_the_repo():
    graph = import_graph()
    assert {"vidsift.jobs", "vidsift.transport", "vidsift_splitter.stage", "tests.infra"} <= set(graph)
    assert "vidsift.layout" in graph["vidsift.jobs"]  # ``from . import layout``


def test_the_detector_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    assert cycles(import_graph()) == []
