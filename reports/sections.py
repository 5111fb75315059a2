"""The diff-mode sections of the report: approvals, change metrics, test suggestions, changed-line coverage.

wardgate/approvals/ and wardgate/coverage.py fill them; reports/gate.py turns them into gate conditions;
the writers render them (reports/approvals_render.py, reports/coverage_render.py).
"""
from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from .fields import Section, absent_if_unset

# -- approvals


class Reason(Section):
    """One thing in the change that requires a role: a detected kind of change, a finding, a path."""

    kind: str
    why: str
    path: str
    lines: str = Field(description='Changed lines, as ranges: "3-5,9"')
    location: str = Field(description='"path:lines"')
    symbol: str | None = absent_if_unset()

    def order(self) -> tuple[str, int, str, str]:
        """By place, then kind and words: one run and a merge of shards list a role's reasons alike."""
        first = self.lines.split(",")[0].split("-")[0]
        return self.path, int(first) if first else 0, self.kind, self.why


def join_whys(whys: Iterable[str]) -> str:
    """A role's reasons in words, from every rule that required it: sorted, so shards agree."""
    return "; ".join(sorted({w for w in whys if w}))


class RoleRequirement(Section):
    role: str
    why: str
    approved: bool | None = Field(description="None while approvals are not enforced (no --approved-by)")
    reasons: list[Reason]


class Approvals(Section):
    enforced: bool
    approved_by: list[str]
    required: list[RoleRequirement]
    missing: list[str]
    base: str
    unknown_roles: list[str] = absent_if_unset([])


# -- change metrics


class FunctionChange(Section):
    path: str
    function: str
    line: int
    status: str = Field(description='"new" or "changed"')
    complexity_before: int | None
    complexity_after: int
    complexity_delta: int | None
    mi_before: float | None
    mi_after: float
    mi_delta: float | None
    docstring_before: bool | None
    docstring_after: bool
    type_hints_before: str | None = Field(description='"annotated/annotatable"')
    type_hints_after: str


class FileMaintainability(Section):
    path: str
    mi_before: float | None
    mi_after: float | None


class MetricTotals(Section):
    changed_functions: int
    type_hint_coverage_before: float | None
    type_hint_coverage_after: float | None
    docstring_coverage_before: float | None
    docstring_coverage_after: float | None


class MetricThresholds(Section):
    """`[tool.wardgate.approvals.metrics]`; None switches a threshold off."""

    max_complexity: int | None = 15
    min_maintainability: float | None = None
    type_hints_must_not_fall: bool = True
    docstrings_must_not_fall: bool = False


class ChangeMetrics(Section):
    functions: list[FunctionChange]
    files: list[FileMaintainability]
    totals: MetricTotals
    thresholds: MetricThresholds


class TestSuggestion(Section):
    __test__ = False  # not a pytest class

    area: str
    path: str
    line: int
    symbol: str
    behaviour: str


# -- changed-line coverage


class CoverageTotals(Section):
    changed_lines: int
    covered: int
    percent: float | None
    minimum: float
    held: bool


class CoveredFile(Section):
    path: str
    changed_lines: int
    covered: int
    clinical: bool
    uncovered: list[list[int]] = Field(description="[[start, end], ...] runs of uncovered changed lines")


class Coverage(Section):
    file: str
    format: str
    changed_lines: int
    covered: int
    percent: float | None
    minimum: float
    held: bool
    files: list[CoveredFile]
    not_measured: list[str]
    clinical: CoverageTotals | None = absent_if_unset()
    unmapped: int | None = absent_if_unset()
    stale: list[str] | None = absent_if_unset()
