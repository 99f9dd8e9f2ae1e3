"""The structure docs/ARCHITECTURE.md describes, checked: anyone can see it hold."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "validator"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every validator module each module imports, at module level or inside a function."""
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("validator"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph[name].add(full if full in modules else str(node.module))
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name.startswith("validator"))
    return graph


def test_no_import_circle() -> None:
    modules = _modules()
    graph = _imports(modules)
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = (*path[path.index(name) :], name)
            raise AssertionError("import circle: " + " -> ".join(cycle))
        if name in done or name not in modules:
            return
        for target in sorted(graph.get(name, ())):
            if target != name and not name.startswith(target + "."):  # a package's children
                visit(target, (*path, name))
        done.add(name)

    for name in sorted(modules):
        visit(name, ())


def test_small_units_where_the_redesign_set_a_bound() -> None:
    def lines(path: Path) -> int:
        return len(path.read_text(encoding="utf-8").splitlines())

    assert lines(PACKAGE / "cli.py") < 350
    too_big = {p.name: lines(p) for p in (PACKAGE / "gateway").glob("*.py") if lines(p) > 350}
    assert not too_big


def test_the_core_imports_nothing_of_the_emulator() -> None:
    graph = _imports(_modules())
    for core in ("validator.config", "validator.pipeline", "validator.orchestrate"):
        assert not [t for t in graph[core] if t.startswith("validator.emulator")], core


def test_only_the_transport_talks_http() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        names |= {
            str(n.module).split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module and n.level == 0
        }
        if path != PACKAGE / "gateway" / "transport.py":
            assert not names & {"github", "requests"}, path
