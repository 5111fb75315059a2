"""Bounded context for a hunk, built from the code itself: the enclosing function or class (libcst),
the fields of the Django models it mentions, and the URL routes of the view. Each piece is a
reference: the request builder cuts references first when the token budget is tight."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..walk import walk
from .hunks import Hunk

_MAX_MODEL_FILES = 200
_WORD = re.compile(r"\b[A-Z][A-Za-z0-9_]+\b")


@dataclass(frozen=True)
class Context:
    scope: str = ""  # the enclosing class header and function, numbered lines
    models: str = ""  # "Model Patient (clinic/models.py): name = CharField(...) ..."
    routes: str = ""  # lines of urls.py naming the view


def build_context(hunk: Hunk, root: Path) -> Context:
    path = root / hunk.path
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Context()
    lines = source.splitlines()
    scope_ranges, names = _enclosing(source, {f.start_line for f in hunk.findings})
    scope = _numbered_ranges(lines, scope_ranges, skip=(hunk.start, hunk.end))
    text = "\n".join(hunk.lines) + "\n" + scope
    models = _model_fields(root, frozenset(_WORD.findall(text)))
    routes = _routes(root, names)
    return Context(scope=scope, models=models, routes=routes)


def _enclosing(source: str, flagged: set[int]) -> tuple[list[tuple[int, int]], list[str]]:
    """Line ranges of the classes (header, decorators, class-level statements) and functions that
    contain a flagged line, and their names."""
    import libcst as cst  # only when a review actually runs: libcst costs ~150 ms to import
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
    except Exception:  # noqa: BLE001 - unparsable code just gets no scope context
        return [], []
    ranges: list[tuple[int, int]] = []
    names: list[str] = []
    for node, pos in positions.items():
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            continue
        first = min([pos.start.line, *(positions[d].start.line for d in node.decorators if d in positions)])
        if not any(first <= n <= pos.end.line for n in flagged):
            continue
        names.append(node.name.value)
        if isinstance(node, cst.FunctionDef):
            ranges.append((first, pos.end.line))
        else:
            body_start = positions[node.body].start.line if node.body in positions else pos.start.line
            ranges.append((first, body_start))
            for stmt in getattr(node.body, "body", ()):
                if isinstance(stmt, cst.SimpleStatementLine) and stmt in positions:
                    ranges.append((positions[stmt].start.line, positions[stmt].end.line))
    return ranges, names


def _numbered_ranges(lines: list[str], ranges: list[tuple[int, int]], skip: tuple[int, int]) -> str:
    keep = sorted({n for a, b in ranges for n in range(a, b + 1) if not skip[0] <= n <= skip[1]})
    out: list[str] = []
    prev = None
    for n in keep:
        if n > len(lines):
            break
        if prev is not None and n != prev + 1:
            out.append("     ...")
        out.append(f"{n:>5} | {lines[n - 1]}")
        prev = n
    return "\n".join(out)


def _model_fields(root: Path, words: frozenset[str]) -> str:
    index = _model_index(root)
    parts = [f"Model {name} ({where}):\n" + "\n".join(f"    {f}" for f in fields)
             for name, (where, fields) in sorted(index.items()) if name in words]
    return "\n".join(parts)


@lru_cache(maxsize=8)
def _model_index(root: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Django model classes in models.py / models/*.py: name -> (path, field lines). Stdlib ast: cheap."""
    files = [p for p in (*root.rglob("models.py"), *root.rglob("models/*.py"))
             if not any(part.startswith(".") or part in ("venv", "node_modules", "site-packages")
                        for part in p.relative_to(root).parts)][:_MAX_MODEL_FILES]
    index: dict[str, tuple[str, tuple[str, ...]]] = {}
    for p in files:
        try:
            src = p.read_text(encoding="utf-8", errors="replace")
            tree = ast.parse(src)
        except (OSError, SyntaxError, ValueError):
            continue
        lines = src.splitlines()
        for node in walk(tree):
            if not isinstance(node, ast.ClassDef) or not node.bases:
                continue
            fields = tuple(lines[s.lineno - 1].strip()[:160] for s in node.body
                           if isinstance(s, (ast.Assign, ast.AnnAssign)) and isinstance(s.value, ast.Call))
            index[node.name] = (p.relative_to(root).as_posix(), fields)
    return index


def _routes(root: Path, names: list[str]) -> str:
    if not names:
        return ""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
    out: list[str] = []
    for p in list(root.rglob("urls.py"))[:50]:
        try:
            for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if pattern.search(line) and ("path(" in line or "url(" in line or "register(" in line):
                    out.append(f"{p.relative_to(root).as_posix()}:{n}: {line.strip()[:200]}")
        except OSError:
            continue
    return "\n".join(out[:20])
