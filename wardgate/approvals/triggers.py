"""What a detector reports (a `Trigger`: a kind of change, where, and why), what it sees (a
`Context`), and the small AST helpers the detectors share."""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.facts.django_code import ProjectCode
    from checks.facts.django_models import ModelIndex
    from checks.vocabulary import Vocabulary

    from .changes import ChangeSet


@dataclass
class Trigger:
    kind: str  # a ChangeKind, or "finding" / "path"
    path: str
    lines: list[int]
    why: str
    symbol: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def where(self) -> str:
        return f"{self.path}:{ranges(self.lines)}" if self.lines else self.path


def ranges(lines: Iterable[int]) -> str:
    nums = sorted(set(lines))
    out: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ",".join(out)


def span(node: ast.AST) -> list[int]:
    start = getattr(node, "lineno", 1)
    return list(range(start, (getattr(node, "end_lineno", None) or start) + 1))


@dataclass
class Context:
    changes: ChangeSet
    models: ModelIndex | None
    code: ProjectCode | None
    vocab: Vocabulary | None
    # The base's project model (diff mode, from checks/changes/): facts compared across the change.
    base_models: ModelIndex | None = None
    base_code: ProjectCode | None = None


def kwarg(call: ast.Call, name: str, pos: int) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return call.args[pos] if len(call.args) > pos else None


def const(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None




def functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str | None, str]]:
    """(function, enclosing class name, qualname) for every function, methods included."""
    def visit(body: list[ast.stmt], cls: str | None, prefix: str) -> Iterator[Any]:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield stmt, cls, prefix + stmt.name
                yield from visit(stmt.body, cls, prefix + stmt.name + ".")
            elif isinstance(stmt, ast.ClassDef):
                yield from visit(stmt.body, stmt.name, prefix + stmt.name + ".")
    return visit(tree.body, None, "")




def head_lines(old_text: str | None, new_text: str | None, base_line: int) -> list[int]:
    """Where a base line is in the head: itself when kept, its replacement, or the two lines around
    it when it was deleted (as git marks a deletion)."""
    import difflib

    a, b = (old_text or "").splitlines(), (new_text or "").splitlines()
    for tag, i1, i2, j1, _j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if i1 <= base_line - 1 < i2:
            if tag == "equal":
                return [j1 + base_line - i1]
            return [j1 + 1] if tag == "replace" else [n for n in (j1, j1 + 1) if 1 <= n <= max(len(b), 1)]
    return [base_line]


def clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


