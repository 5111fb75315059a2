"""Change metrics: what a change does to the health of the functions it touches (seeds/000 §23.2).

For every function whose lines the diff touches, before (the base ref, matched by qualified name)
and after: cyclomatic complexity from radon's own `cc_visit` (so the numbers are radon's), the
maintainability index from radon's `mi_visit` on the function's own source (dedented), whether it has
a docstring, and its type-hint coverage (annotated parameters and return, `self`/`cls` excluded).
Per file, radon's module MI before and after. Thresholds (`MetricsConfig`) become gate conditions (reports/gate.py).
"""
from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from radon.complexity import cc_visit
from radon.metrics import mi_visit

from checks.source import DEFAULT_MAX_FILE_SIZE
from checks.walk import walk
from reports.sections import (
    ChangeMetrics,
    FileMaintainability,
    FunctionChange,
    MetricThresholds,
    MetricTotals,
)

from .changes import ChangeSet
from .config import MetricsConfig


@dataclass
class FunctionMetrics:
    name: str  # radon's fullname: Class.method or function
    lineno: int
    endline: int
    complexity: int
    maintainability: float
    docstring: bool
    hints: int  # annotated slots
    slots: int  # annotatable slots


def function_source(text: str, lineno: int, endline: int) -> str:
    """The function's lines (decorators excluded, as radon's lineno is the `def`), dedented."""
    return textwrap.dedent("\n".join(text.splitlines()[lineno - 1 : endline])) + "\n"


def _hints(fn: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> tuple[int, int]:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    if is_method and args and args[0].arg in ("self", "cls") and not any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list):
        args = args[1:]
    args += [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
    annotated = sum(a.annotation is not None for a in args) + (fn.returns is not None)
    return annotated, len(args) + 1


def measure(text: str | None, wanted: Callable[[str, int, int], bool] | None = None) -> dict[str, FunctionMetrics]:
    """The functions and methods of a module (radon's blocks), keyed by radon's fullname; only those
    `wanted(fullname, lineno, endline)` accepts (the maintainability index is costly to compute)."""
    if text is None or len(text) > DEFAULT_MAX_FILE_SIZE:  # not analysed: reported as WG004 instead
        return {}
    try:
        tree = ast.parse(text)
        blocks = cc_visit(text)
    except (SyntaxError, ValueError):
        return {}
    nodes: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {
        n.lineno: n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out: dict[str, FunctionMetrics] = {}
    for b in blocks:
        if not hasattr(b, "is_method"):  # a radon Class block: its methods are listed on their own
            continue
        node = nodes.get(b.lineno)
        if node is None or (wanted is not None and not wanted(b.fullname, b.lineno, b.endline)):
            continue
        hints, slots = _hints(node, b.is_method)
        try:
            mi = round(float(mi_visit(function_source(text, b.lineno, b.endline), True)), 2)
        except (SyntaxError, ValueError):
            mi = 0.0
        out.setdefault(b.fullname, FunctionMetrics(
            name=b.fullname, lineno=b.lineno, endline=b.endline, complexity=b.complexity, maintainability=mi,
            docstring=ast.get_docstring(node) is not None, hints=hints, slots=slots))
    return out


def module_mi(text: str | None) -> float | None:
    if text is None or len(text) > DEFAULT_MAX_FILE_SIZE:
        return None
    try:
        return round(float(mi_visit(text, True)), 2)
    except (SyntaxError, ValueError):
        return None


def compute(changes: ChangeSet, cfg: MetricsConfig) -> ChangeMetrics:
    functions: list[FunctionChange] = []
    files: list[FileMaintainability] = []
    before_hints = before_slots = after_hints = after_slots = 0
    before_docs = before_n = after_docs = after_n = 0
    for fc in changes.python():
        if fc.path.split("/")[-2:-1] == ["migrations"]:
            continue
        now = measure(fc.new_text, lambda _name, start, end: fc.touches(start, end))  # noqa: B023 - used at once
        changed = list(now.values())
        old = measure(fc.old_text, lambda name, _start, _end: name in now)  # noqa: B023 - used at once
        if not changed:
            continue
        files.append(FileMaintainability(path=fc.path, mi_before=module_mi(fc.old_text), mi_after=module_mi(fc.new_text)))
        for m in sorted(changed, key=lambda m: m.lineno):
            b = old.get(m.name)
            after_hints, after_slots = after_hints + m.hints, after_slots + m.slots
            after_docs, after_n = after_docs + m.docstring, after_n + 1
            if b is not None:
                before_hints, before_slots = before_hints + b.hints, before_slots + b.slots
                before_docs, before_n = before_docs + b.docstring, before_n + 1
            functions.append(_function_change(fc.path, m, b))

    def pct(a: int, n: int) -> float | None:
        return round(100.0 * a / n, 1) if n else None

    return ChangeMetrics(
        functions=functions, files=files,
        totals=MetricTotals(changed_functions=len(functions),
                            type_hint_coverage_before=pct(before_hints, before_slots),
                            type_hint_coverage_after=pct(after_hints, after_slots),
                            docstring_coverage_before=pct(before_docs, before_n),
                            docstring_coverage_after=pct(after_docs, after_n)),
        thresholds=MetricThresholds.model_validate(cfg.model_dump(exclude={"enabled"})))


def _function_change(path: str, m: FunctionMetrics, b: FunctionMetrics | None) -> FunctionChange:
    """One changed function, after (`m`) and before (`b`, None when it is new)."""
    return FunctionChange(
        path=path, function=m.name, line=m.lineno, status="changed" if b else "new",
        complexity_before=b.complexity if b else None, complexity_after=m.complexity,
        complexity_delta=m.complexity - b.complexity if b else None,
        mi_before=b.maintainability if b else None, mi_after=m.maintainability,
        mi_delta=round(m.maintainability - b.maintainability, 2) if b else None,
        docstring_before=b.docstring if b else None, docstring_after=m.docstring,
        type_hints_before=f"{b.hints}/{b.slots}" if b else None, type_hints_after=f"{m.hints}/{m.slots}")
