"""The Firehose transform's code asset: the platform modules its handler imports, nothing else.

The Lambda runs the platform's own `streams/transform.lambda_handler` (so records are checked
against the same event contract as everywhere else). Its asset holds the handler's module and
every platform module that one imports, found by reading the imports (ast), so the asset's hash
changes only when that code changes. pyarrow comes from the AWS SDK for pandas layer.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import platform_assets

PACKAGE = Path(platform_assets.__file__).parent
ROOT = PACKAGE.parent


def _path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return {m for m in found if m.split(".")[0] == "platform_assets" and _path(m)}


def closure(module: str) -> list[Path]:
    """The files of `module`, the platform modules it imports (transitively) and their packages."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # a module's packages run their __init__ first
            parent = ".".join(parts[:i])
            if parent not in seen and _path(parent):
                seen.add(parent)
                todo.append(parent)
        if name not in seen and _path(name):
            seen.add(name)
        todo += [m for m in _imported(_path(name)) if m not in seen] if _path(name) else []
    return sorted({_path(m) for m in seen})


def stage(module: str, into: Path) -> Path:
    """Copy the closure of `module` into `into` (the asset folder) and return it."""
    if into.exists():
        shutil.rmtree(into)
    for src in closure(module):
        dest = into / src.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)  # contents only: the asset hash stays put
    return into
