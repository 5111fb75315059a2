"""What a change rule is: one class that compares the base and the head of a changed file.

A whole-file check asks "is this code bad?"; a change rule asks "did this change make it worse?".
It sees each changed file at both refs (`before`/`after`, parsed with the stdlib `ast`), and the
project model of both refs (`base`/`head`: the merged facts of checks/facts/, the base rebuilt from
the head's per-file facts plus the base versions of the changed files). It compares facts, never
text: a reformat, a renamed local or a moved function leaves the facts equal and the rule quiet.

A rule reports on the head's changed lines (a removal is reported on the lines around it), with
before -> after in the message. Its docstring uses ruff's sections like every check, and its
examples are its tests (tests/changes/test_change_examples.py): `Dangerous` must give one finding on
`line` (of `after`), `Refactor` none.
"""
from __future__ import annotations

import ast
import difflib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..finding import Category, Confidence, Finding, Severity
from ..names import ImportMap
from ..walk import children

if TYPE_CHECKING:
    from ..facts.django_code import ProjectCode
    from ..facts.django_models import ModelIndex
    from ..index import ProjectIndex
    from ..source import SourceFile
    from ..vocabulary import Vocabulary


@dataclass(frozen=True)
class Refactor:
    """A harmless change: the rule must stay quiet."""

    before: str
    after: str
    path: str = "clinic/module.py"
    files: tuple[tuple[str, str], ...] = ()  # unchanged files of the example project


@dataclass(frozen=True)
class Dangerous:
    """A dangerous change: one finding, starting on `line` of `after` (1-based, after dedent)."""

    before: str
    after: str
    line: int
    path: str = "clinic/module.py"
    files: tuple[tuple[str, str], ...] = ()


@dataclass
class FileDelta:
    """One changed file: its text at both refs (None where it does not exist) and its changed lines."""

    path: str  # head path (the base path for a deleted file)
    old_path: str | None  # base path; None for a new file
    before: SourceFile | None
    after: SourceFile | None
    lines: set[int]  # changed lines, head numbering (a pure deletion marks its neighbours)

    @cached_property
    def _opcodes(self) -> list[tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]]:
        a = self.before.lines if self.before is not None else []
        b = self.after.lines if self.after is not None else []
        return difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()

    def head_line(self, base_line: int) -> int:
        """Where a base line is in the head: itself when unchanged, its replacement, or the line
        before it when it was deleted (git marks that one and the next)."""
        for tag, i1, i2, j1, j2 in self._opcodes:
            if i1 <= base_line - 1 < i2:
                if tag == "equal":
                    return j1 + (base_line - 1 - i1) + 1
                return j1 + 1 if tag == "replace" else max(j1, 1)
        return base_line

    @cached_property
    def imports_before(self) -> ImportMap | None:
        return _imports(self.before)

    @cached_property
    def imports_after(self) -> ImportMap | None:
        return _imports(self.after)


def _imports(src: SourceFile | None) -> ImportMap | None:
    if src is None or src.tree is None:
        return None
    return ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)


@dataclass
class ChangeSet:
    """Everything a rule may look at: every changed file, both project models, the whole head tree."""

    deltas: dict[str, FileDelta]
    base: ProjectIndex
    head: ProjectIndex
    vocab: Vocabulary
    files: list[str] = field(default_factory=list)  # every file of the head tree (for callers)
    # Changed data files (JSON, YAML: formulary data), texts only (`tree` is None).
    data: dict[str, FileDelta] = field(default_factory=dict)
    read_head: Callable[[str], str | None] = lambda rel: None  # text of a head file

    def models(self, side: str) -> ModelIndex | None:
        return (self.base if side == "base" else self.head).fact("django_models")

    def code(self, side: str) -> ProjectCode | None:
        return (self.base if side == "base" else self.head).fact("django_code")

    def patient(self, qualname: str | None) -> bool:
        """A patient-data model at either ref (a model dropped by the change was one before it)."""
        return any(m is not None and qualname in m.patient for m in (self.models("base"), self.models("head")))


class ChangeRule:
    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[Category]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence] = Confidence.MEDIUM
    cwe: ClassVar[int | None] = None
    summary: ClassVar[str]
    hipaa: ClassVar[str | None] = None
    VALID: ClassVar[tuple[Refactor, ...]] = ()
    INVALID: ClassVar[tuple[Dangerous, ...]] = ()

    def __init__(self, changes: ChangeSet) -> None:
        self.changes = changes
        self.findings: list[Finding] = []

    def run(self) -> list[Finding]:
        """Compare the two refs; findings go through `report`."""
        raise NotImplementedError

    def report(self, delta: FileDelta, line: int, message: str, *, end_line: int | None = None,
               severity: Severity | None = None, properties: dict[str, Any] | None = None) -> None:
        """A finding on `line` of the head file, moved to the nearest changed line when the fact
        that changed sits elsewhere (a removed registration, a dropped field)."""
        if delta.after is None:
            return  # a deleted file has no head lines; its removals are reported where they land
        start, end = anchor(delta.lines, line, end_line or line)
        self.findings.append(Finding(
            rule_id=self.code, category=self.category, severity=severity or self.severity, tool="wardgate",
            path=delta.path, start_line=start, end_line=end, message=message, cwe=self.cwe,
            confidence=self.confidence, snippet=delta.after.snippet(start, end) or None,
            properties={"change_rule": True, **(properties or {})}))

    def report_unchanged(self, path: str, line: int, message: str, *, cause: str,
                         severity: Severity | None = None, properties: dict[str, Any] | None = None) -> None:
        """A finding in a file the change did not touch, caused by one it deleted (an audit registration
        module removed): it still belongs to the change."""
        text = self.changes.read_head(path) or ""
        lines = text.splitlines()
        self.findings.append(Finding(
            rule_id=self.code, category=self.category, severity=severity or self.severity, tool="wardgate",
            path=path, start_line=line, end_line=line, message=message, cwe=self.cwe, confidence=self.confidence,
            snippet=lines[line - 1] if 1 <= line <= len(lines) else None,
            properties={"change_rule": True, "caused_by": cause, **(properties or {})}))

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


def anchor(lines: set[int], start: int, end: int) -> tuple[int, int]:
    """The changed lines within start..end, else the changed line nearest to it."""
    inside = [n for n in lines if start <= n <= end]
    if inside:
        return min(inside), max(inside)
    if not lines:
        return start, max(start, end)
    best = min(lines, key=lambda n: (min(abs(n - start), abs(n - end)), n))
    return best, best


def scoped_nodes(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """(enclosing qualname, node) for every node, the qualname made of class/function names only,
    so that a function moved to another module keeps its identity."""
    # Depth first, each node before its children, with a stack: nested generators cost a step per level.
    stack: list[tuple[str, Iterator[ast.AST]]] = [("", iter(children(tree)))]
    while stack:
        scope, siblings = stack[-1]
        child = next(siblings, None)
        if child is None:
            stack.pop()
            continue
        yield scope, child
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = f"{scope}.{child.name}" if scope else child.name
        stack.append((scope, iter(children(child))))


def number(node: ast.AST | None) -> float | None:
    """A numeric literal (`400`, `-1`, `2.5`), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Decimal" and node.args:
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, (str, int, float)):
            try:
                return float(arg.value)
            except ValueError:
                return None
    return None


def fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
