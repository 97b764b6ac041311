"""The package's shape: no import circle, and no asset module asks which profile it runs in.

Imports are read from the source (ast), function-level ones included, so a circle hidden by an
import inside a function is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import platform_assets

PACKAGE = Path(platform_assets.__file__).parent
# the composition root and the profile's wiring sit on top and may import anything
ROOTS = {"platform_assets.definitions", "platform_assets.profile"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Platform modules `name` imports anywhere in its body (resolved to a known module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative import
                pkg = (
                    name.split(".")[: -node.level]
                    if path.name != "__init__.py"
                    else name.split(".")[: len(name.split(".")) - node.level + 1]
                )
                base = ".".join([*pkg, node.module])
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            if t in known and t != name:
                found.add(t)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state and (cycle := visit(m)):
                return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (cycle := visit(n)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle_among_the_packages_modules():
    graph = import_graph()
    # a package's __init__ that re-exports its modules is not a circle with them
    graph = {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}
    cycle = _find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_only_the_wiring_reads_the_profile():
    """`current_profile` is read by the profile's wiring and the CLI's entry, never by a zone."""
    allowed = ROOTS | {"platform_assets.settings", "platform_assets.cli"}
    askers = sorted(
        name
        for name, path in _modules().items()
        if "current_profile" in path.read_text() and name not in allowed
    )
    assert askers == []


def test_the_readmes_layout_names_every_package_and_top_level_module():
    readme = (PACKAGE.parent / "README.md").read_text()
    block = readme.split("### Layout", 1)[1].split("```", 2)[1]
    listed = {
        line.split()[0].rstrip("/")
        for line in block.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    }
    present = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    present |= {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    present = {n for n in present if n != "sources"} | {
        f"sources/{p.name}" for p in (PACKAGE / "sources").iterdir() if (p / "__init__.py").exists()
    }
    assert listed == present
