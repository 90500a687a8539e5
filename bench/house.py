"""The shape of the house, measured: import floors, top-level modules, function lengths, test:code.

Run from a checkout: ``python bench/house.py [ROOT]`` (default: the checkout this file is in).
It reads the source as text (``ast``), imports nothing, and prints

- the number of floors of the import graph of ``gateway`` (the longest chain of modules each
  importing the next, imports inside functions included, cycles counted as one floor), by
  module and folded to top-level packages (a module lying flat at the top counts as one);
- the modules and lines that lie flat at ``gateway/``'s top level;
- the longest functions (generated code aside: ``mapping/fastpath.py`` is the generated
  engine's runtime and stays);
- the test:code line ratio.

mypy and the repeated-block count come from their own tools (``mypy gateway``, ``duplicates``);
``docs/performance.md`` lists the figures before and after the architecture issue.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

LONG = 80


def modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under the package."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The gateway modules ``name`` imports (anywhere in the file), resolved to known modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    resolved = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


def floors(graph: dict[str, set[str]]) -> int:
    """Longest chain in the graph, each strongly connected component counted once (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            cid = len(set(component.values()))
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component[member] = cid
                if member == node:
                    break

    sys.setrecursionlimit(10_000)
    for node in graph:
        if node not in index:
            visit(node)
    edges: dict[int, set[int]] = {c: set() for c in component.values()}
    for node, targets in graph.items():
        for target in targets:
            if component[node] != component[target]:
                edges[component[node]].add(component[target])
    depth: dict[int, int] = {}

    def height(c: int) -> int:
        if c not in depth:
            depth[c] = 1 + max((height(n) for n in edges[c]), default=0)
        return depth[c]

    return max((height(c) for c in edges), default=0)


def packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph folded to ``gateway``'s top-level packages (a flat module counts as its own)."""

    def top(name: str) -> str:
        return ".".join(name.split(".")[:2])

    folded: dict[str, set[str]] = {}
    for node, targets in graph.items():
        folded.setdefault(top(node), set()).update(top(t) for t in targets if top(t) != top(node))
    for targets in list(folded.values()):
        for target in targets:
            folded.setdefault(target, set())
    return folded


def functions(path: Path) -> Iterator[tuple[int, str, int]]:
    """(length in lines, name, first line) of every function in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            yield node.end_lineno - node.lineno + 1, node.name, node.lineno


def lines(paths: list[Path]) -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in paths)


def main(root: Path) -> None:
    package = root / "gateway"
    known = modules(package)
    graph = {name: imports_of(name, path, known) & set(known) for name, path in known.items()}
    top = [p for p in package.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    longest = sorted(
        (
            (length, f"{path.relative_to(root)}:{line} {name}")
            for path in known.values()
            if path.name != "fastpath.py" and "migrations" not in path.parts
            for length, name, line in functions(path)
        ),
        reverse=True,
    )
    code = lines(list(known.values()))
    tests = lines(list((root / "tests").rglob("*.py")))
    print(f"floors of the import graph: {floors(graph)} modules, {floors(packages(graph))} packages")
    print(f"modules at gateway/'s top level: {len(top)} ({lines(top)} lines)")
    print(f"functions over {LONG} lines: {sum(1 for length, _ in longest if length > LONG)}")
    for length, where in longest[:5]:
        print(f"  {length:4d}  {where}")
    print(f"lines: gateway {code}, tests {tests}, test:code {tests / code:.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
