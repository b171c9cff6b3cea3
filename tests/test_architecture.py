"""Architecture rules the code base keeps (issue: one run contract, no private crossings)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import ringlens

SRC = Path(ringlens.__file__).parent


def _package_of(path: Path) -> str:
    """``ringlens.<subpackage>`` of a module file (the top level counts as ``ringlens``)."""
    rel = path.relative_to(SRC).parts
    return "ringlens" if len(rel) == 1 else f"ringlens.{rel[0]}"


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) of every ringlens import in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ringlens"):
            out.extend((node.module, a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(
                (a.name, None, node.lineno) for a in node.names if a.name.startswith("ringlens")
            )
    return out


def _private_crossings() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        here = _package_of(path)
        for module, name, line in _imports(path):
            parts = module.split(".")
            there = ".".join(parts[:2]) if len(parts) > 1 else "ringlens"
            if there == here:
                continue
            private_module = any(p.startswith("_") for p in parts[1:])
            private_name = name is not None and name.startswith("_") and name != "__version__"
            if private_module or private_name:
                bad.append(f"{path.relative_to(SRC)}:{line}: {module} {name or ''}".strip())
    return bad


def test_no_private_name_is_imported_across_packages() -> None:
    assert _private_crossings() == []


def test_a_public_name_means_one_thing_whatever_was_imported_before() -> None:
    # importing every module (as a long session would) must not rebind a public name
    before = {name: getattr(ringlens, name) for name in ringlens.__all__}
    for mod in pkgutil.walk_packages(ringlens.__path__, "ringlens."):
        if mod.name.startswith(("ringlens.spark", "ringlens.__main__")):
            continue
        importlib.import_module(mod.name)
    after = {name: getattr(ringlens, name) for name in ringlens.__all__}
    assert after == before
    assert callable(ringlens.score) and callable(ringlens.run)


def test_largest_function_is_under_120_lines() -> None:
    longest = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if n >= 120:
                    longest.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({n} lines)")
    assert longest == []


def test_no_exported_name_is_rebound_by_importing_submodules() -> None:
    # importing pkg.sub for the first time sets the attribute pkg.sub: an exported function
    # of that name must not be replaced by the module, whatever order things load in
    pkgs = [
        m.name
        for m in pkgutil.walk_packages(ringlens.__path__, "ringlens.")
        if m.ispkg and not m.name.startswith("ringlens.spark")
    ]
    before = {}
    for name in pkgs:
        pkg = importlib.import_module(name)
        before.update({(name, n): getattr(pkg, n) for n in getattr(pkg, "__all__", [])})
    for mod in pkgutil.walk_packages(ringlens.__path__, "ringlens."):
        if not mod.name.startswith(("ringlens.spark", "ringlens.__main__")):
            importlib.import_module(mod.name)
    changed = [
        f"{pkg}.{n}"
        for (pkg, n), obj in before.items()
        if getattr(importlib.import_module(pkg), n) is not obj
    ]
    assert changed == []
