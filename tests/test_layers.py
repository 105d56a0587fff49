"""Dependencies point one way, down (DESIGN.md, issue 12): faces -> annotations -> activity,
teams, articles -> the text kernel, which imports nothing of ours. A lower app never imports a
higher one, not even lazily, and no module takes part in an import circle.

Read from the source with ``ast`` (every import statement, at the top or inside a function), not
from ``sys.modules``, so a lazy import counts as much as a top-level one. Tests and migrations
are left out: tests may reach anywhere, and migrations are frozen history."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Each project package's layer; an app may import its own layer or lower, never higher.
LAYERS = {
    "textkernel": 0,
    "activity": 1,
    "teams": 1,
    "articles": 1,
    "annotations": 2,
    "curation": 3,
    "suggestions": 3,
    "opendata": 3,
    "reader": 3,
    "newsroom": 3,
    "config": 4,
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if {"tests", "migrations"} & set(parts):
                continue
            name = ".".join(parts).removesuffix(".__init__")
            found[name] = path
    return found


def _graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (the longest module prefix of each name)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                resolved = resolve(target)
                if resolved and resolved != name:
                    graph[name].add(resolved)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(set(graph) | {t for ts in graph.values() for t in ts}):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_app_imports_a_higher_one():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in _graph().items()
        for target in targets
        if LAYERS[target.split(".")[0]] > LAYERS[module.split(".")[0]]
    )
    assert not upward, "imports pointing up the layers:\n  " + "\n  ".join(upward)


def test_the_text_kernel_imports_nothing_of_ours():
    graph = _graph()
    outside = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == "textkernel"
        for target in targets
        if target.split(".")[0] != "textkernel"
    )
    assert not outside, outside


def test_no_import_circles_between_apps_or_modules():
    graph = _graph()
    apps: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        for target in targets:
            if module.split(".")[0] != target.split(".")[0]:
                apps[module.split(".")[0]].add(target.split(".")[0])
    assert _cycles(apps) == []
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    """The checks above assert an empty list: make sure the finder can find something."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
