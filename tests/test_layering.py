"""Dependencies point one way: checks <- reports <- wardgate (DESIGN.md, "Layout").

Imports are read with `ast`, so an import hidden inside a function or under `TYPE_CHECKING` counts too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package and the packages it must never import.
LAYERS = {"checks": ("reports", "wardgate"), "reports": ("wardgate",)}


def imported_modules(tree: ast.AST) -> set[str]:
    """Absolute names of the modules a module imports, anywhere in it (relative imports stay in the package
    and name no other top-level package; `import_module("x")` with a literal name counts)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in ("import_module",
                                                                                            "__import__")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)
    return names


def violations(package: Path, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in sorted(imported_modules(tree)):
            if name.partition(".")[0] in forbidden:
                out.append(f"{path.relative_to(package.parent).as_posix()} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_imports_point_down_only(package: str) -> None:
    assert violations(ROOT / package, LAYERS[package]) == []


def test_the_check_finds_an_upward_import_wherever_it_hides(tmp_path: Path) -> None:
    pkg = tmp_path / "reports"
    (pkg / "writers").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import writers\nfrom checks.finding import Finding\n")
    (pkg / "writers" / "sarif.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import wardgate.config\n"
        "def render():\n    from wardgate.files import path_matches\n"
        "def lazy():\n    return importlib.import_module('wardgate.pipeline')\n")
    assert violations(pkg, LAYERS["reports"]) == [
        "reports/writers/sarif.py imports wardgate.config",
        "reports/writers/sarif.py imports wardgate.files",
        "reports/writers/sarif.py imports wardgate.pipeline",
    ]
    assert violations(pkg, ("ward",)) == []  # a name that merely starts like a package is not it
