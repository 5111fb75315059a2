"""What a wardgate check is: one class with its metadata, documentation, examples and visitor.

A check's docstring uses ruff's sections (## What it does / ## Why is this bad? / ## Example /
Use instead:) and is what `wardgate explain`, the SARIF help text and the LLM reviewer's rule
context show. Its VALID/INVALID examples are its tests (tests/test_check_examples.py).

Checks never parse: the engine parses each file once with the stdlib `ast` and walks the tree
once, dispatching every node to each check's `visit_<NodeType>` / `leave_<NodeType>` methods.
Project-wide facts (which models are audited, settings defaults…) are in `self.project`.
"""
from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .finding import Category, Confidence, Finding, FlowStep, Severity
from .masking import mask_in
from .names import ImportMap

if TYPE_CHECKING:
    from .index import ProjectIndex
    from .source import SourceFile
    from .vocabulary import Vocabulary

T = TypeVar("T")


@dataclass(frozen=True)
class Valid:
    code: str
    path: str = "app/module.py"
    # Extra files of the same example project (path -> code): registrations, settings…
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Invalid:
    code: str
    line: int  # 1-based line of the expected finding's start, within `code` after dedent
    path: str = "app/module.py"
    files: tuple[tuple[str, str], ...] = ()
    fixed: str | None = None  # expected source after `--fix`, for checks with an autofix


@dataclass
class FileContext:
    """Everything a check may look at for one file."""

    src: SourceFile
    imports: ImportMap
    project: ProjectIndex
    vocab: Vocabulary
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> str:
        return self.src.path

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """An analysis several checks need for this file (e.g. the view analysis), built once."""
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]


class Check:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, reads as "allow …" or names the problem
    category: ClassVar[Category]
    severity: ClassVar[Severity]
    confidence: ClassVar[Confidence] = Confidence.MEDIUM
    cwe: ClassVar[int | None] = None
    summary: ClassVar[str]  # one line
    hipaa: ClassVar[str | None] = None  # the relevant HIPAA safeguard, for secret/phi rules
    VALID: ClassVar[tuple[Valid, ...]] = ()
    INVALID: ClassVar[tuple[Invalid, ...]] = ()

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []

    # -- hooks -----------------------------------------------------------------------------
    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        """Cheap pre-filter: skip files the check can never flag (by path or text)."""
        return True

    def finish(self) -> None:
        """Called after the walk, for checks that decide at the end of the file."""

    # -- helpers ---------------------------------------------------------------------------
    def qualname(self, node: ast.AST | None) -> str | None:
        return self.ctx.imports.qualname(node)

    def report(
        self,
        node: ast.AST,
        message: str,
        *,
        end_node: ast.AST | None = None,
        fix: str | None = None,
        severity: Severity | None = None,
        properties: dict[str, Any] | None = None,
        secret: str | None = None,
        start_line: int | None = None,
        end_line: int | None = None,
        flow: list[FlowStep] | None = None,
    ) -> None:
        """Record a finding. Pass `secret` (the literal) on secret rules: it is masked in the snippet.
        Flow findings pass their `flow` steps, and `start_line` when the range begins at the source; `end_line`
        extends a class's range down to the line inside it that matters (the handler that writes)."""
        start = _start_line(node) if start_line is None else min(start_line, _start_line(node))
        end = getattr(end_node or node, "end_lineno", None) or start
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and end_node is None:
            end = node.lineno  # point at the def/class line, not the whole body
        if end_line is not None:
            end = end_line
        self.findings.append(
            Finding(
                rule_id=self.code,
                category=self.category,
                severity=severity or self.severity,
                tool="wardgate",
                path=self.ctx.path,
                start_line=start,
                end_line=max(start, end),
                start_column=(getattr(node, "col_offset", 0) or 0) + 1,
                message=message,
                cwe=self.cwe,
                confidence=self.confidence,
                fix=fix,
                snippet=_snippet(self.ctx.src.snippet(start, max(start, end)), secret, self.category),
                properties=properties or {},
                flow=flow,
            )
        )

    # -- documentation ---------------------------------------------------------------------
    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")


def _snippet(text: str, secret: str | None, category: Category) -> str | None:
    if secret:
        return mask_in(text, secret)
    # A secret rule that did not say what to mask shows no code at all: never print a secret.
    return None if category is Category.SECRET else text


def _start_line(node: ast.AST) -> int:
    # Decorated functions/classes: DESIGN.md wants the range to include the def/class line,
    # and the labels sit on that line, so start there rather than at the first decorator.
    return getattr(node, "lineno", 1) or 1
