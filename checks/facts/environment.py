"""Reading installed packages the project builds on, from the project's own environment.

When a view's mixin or a model's base class comes from an installed package (an EDC library, OPAL, a
shared auth package), wardgate reads that package's source, read-only and never imported, and
collects the same facts from it as from the project. The environment is found through
`[tool.wardgate] python = "..."` (an interpreter or a virtualenv folder), `VIRTUAL_ENV`, or a `.venv/`
or `venv/` folder in the tree. A base found nowhere stays `unknown`.
"""
from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..names import ImportMap
from ..source import SourceFile
from .libraries import library_class, neutral

if TYPE_CHECKING:
    from ..index import FileFacts

MAX_FILES = 300  # an upper bound on package modules read per run
ROUNDS = 4  # bases of bases of bases...
_MAX_BYTES = 1_000_000


def site_packages(root: Path, python: str | None = None) -> list[Path]:
    """The site-packages folders of the project's environment, first match wins."""
    candidates: list[Path] = []
    if python:
        p = Path(python)
        p = p if p.is_absolute() else root / p
        candidates.append(p.parent.parent if p.is_file() else p)
    candidates += [root / ".venv", root / "venv"]
    if os.environ.get("VIRTUAL_ENV"):  # last: in CI it is often wardgate's own environment
        candidates.append(Path(os.environ["VIRTUAL_ENV"]))
    found: list[Path] = []
    for env in candidates:
        for site in sorted(env.glob("lib/python3*/site-packages")) + sorted(env.glob("Lib/site-packages")):
            if site.resolve() not in {f.resolve() for f in found}:
                found.append(site)
    return found


def module_file(sites: Iterable[Path], module: str) -> tuple[Path, Path] | None:
    """(site, file) of an importable module: `pkg/mod.py` or `pkg/mod/__init__.py`."""
    rel = Path(*module.split("."))
    for site in sites:
        for candidate in (rel.with_suffix(".py"), rel / "__init__.py"):
            f = site / candidate
            if f.is_file():
                return site, f
    return None


def wanted_modules(refs: Iterable[str]) -> set[str]:
    """Modules that may define these unresolved names: `pkg.mod.Class` -> pkg.mod (and pkg.mod.Class
    itself, when it names a module re-exporting the class)."""
    out: set[str] = set()
    for ref in refs:
        if not ref or library_class(ref) is not None or neutral(ref) or "." not in ref:
            continue
        out.add(ref.rsplit(".", 1)[0])
    return out


# What a module lookup found: (file, mtime_ns, size), or None when no site has the module.
Found = tuple[str, int, int] | None


def collect_environment(sites: list[Path], unresolved: Callable[[list[tuple[str, FileFacts]]], set[str]],
                        project_facts: list[tuple[str, FileFacts]],
                        collect: Callable[[SourceFile, ImportMap], dict[str, Any]],
                        lookups: dict[str, Found] | None = None) -> list[tuple[str, FileFacts]]:
    """Facts of the package modules the project's unresolved bases live in, followed `ROUNDS` deep.
    `unresolved(facts)` names what is still unknown given all facts so far; `collect` runs the collectors.
    Every module looked up is recorded in `lookups`: the result holds while `lookups_current` says so."""
    if not sites:
        return []
    found: list[tuple[str, FileFacts]] = []
    seen: set[str] = set()
    reexported: set[str] = set()  # modules a package __init__ imports a wanted name from
    for _ in range(ROUNDS):
        missing = unresolved(project_facts + found)
        todo = sorted((wanted_modules(missing) | reexported) - seen)
        reexported = set()
        if not todo:
            break
        for module in todo:
            seen.add(module)
            if len(seen) > MAX_FILES:
                return found
            hit = module_file(sites, module)
            if lookups is not None:
                lookups[module] = _found(hit)
            if hit is None:
                continue
            site, path = hit
            src = _load(site, path)
            if src is None or src.tree is None:
                continue
            imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
            found.append((src.path, collect(src, imports)))
            names = {ref.rsplit(".", 1)[1] for ref in missing if ref.rsplit(".", 1)[0] == module}
            for node in src.tree.body:  # `from .mixins import WardStaffMixin` in a package __init__
                if isinstance(node, ast.ImportFrom) and any(a.name in names or a.name == "*" for a in node.names):
                    target = imports.qualname(ast.Name(id=next(a.asname or a.name for a in node.names
                                                               if a.name in names or a.name == "*")))
                    base = _resolve_from(src.module, src.is_package_init, node)
                    if base:
                        reexported.add(base)
                    elif target:
                        reexported.add(target.rsplit(".", 1)[0])
    return found


def lookups_current(sites: list[Path], lookups: dict[str, Found]) -> bool:
    """Whether every module lookup of an earlier run finds the same file, unchanged (a package installed,
    upgraded or removed since then makes the environment's facts stale). Costs a few stats per module."""
    return all(_found(module_file(sites, module)) == found for module, found in lookups.items())


def _found(hit: tuple[Path, Path] | None) -> Found:
    if hit is None:
        return None
    try:
        st = hit[1].stat()
    except OSError:
        return None
    return str(hit[1]), st.st_mtime_ns, st.st_size


def _resolve_from(module: str, is_init: bool, node: ast.ImportFrom) -> str | None:
    """The absolute module of `from .mixins import X` inside `module`."""
    if not node.level:
        return node.module
    parts = module.split(".") if is_init else module.split(".")[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else [])) or None


def _load(site: Path, path: Path) -> SourceFile | None:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return None
    rel = path.relative_to(site).as_posix()
    # `<env>/edc_model/models.py`: shown as from the environment, imported as `edc_model.models`.
    return SourceFile(path=f"<env>/{rel}", text=text, tree=tree, package_depth=1)
