"""The immutable report every writer renders (JSON contract in ../shared/DESIGN.md).

Typed all the way down: the writers, `wardgate merge` and the GitHub Action read fields, not dict keys.
`docs/report.schema.json` is generated from these models (`python -m reports.schema`). A field that
the JSON leaves out when it is unset is declared with `absent_if_unset`; any other None is written as
null, as the contract has always had it.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from checks.finding import Finding

from .sections import Approvals, ChangeMetrics, Coverage, TestSuggestion
from .stats import Stats

__all__ = ["Condition", "Gate", "Report"]


class Condition(BaseModel):
    """One gate condition, stated in words a reviewer understands, and whether it held."""

    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    held: bool
    detail: str = ""


class Gate(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: str = Field(description='"pass", "fail" or "error" (the analysis did not complete)')
    passed: bool
    fail_on: str
    conditions: list[Condition] = Field(default_factory=list)
    summary: str = ""

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.verdict, 3)


def _unset(value: object) -> bool:
    return value is None


class Report(BaseModel):
    model_config = ConfigDict(frozen=True, title="wardgate report")

    version: str
    root: SkipJsonSchema[str] = Field(default=".", exclude=True)  # where the paths are relative to
    findings: list[Finding]
    gate: Gate
    stats: Stats = Field(default_factory=Stats)
    # Diff mode only (wardgate/approvals/); absent from the JSON elsewhere.
    approvals: Approvals | None = Field(default=None, exclude_if=_unset)
    change_metrics: ChangeMetrics | None = Field(default=None, exclude_if=_unset)
    test_suggestions: list[TestSuggestion] | None = Field(default=None, exclude_if=_unset)
    coverage: Coverage | None = Field(default=None, exclude_if=_unset)  # with --coverage (reports/coverage_gate.py)

    def to_json_dict(self) -> dict[str, Any]:
        # A finding leaves out its unset fields; the sections keep their nulls (see the module docstring).
        out = self.model_dump(mode="json", exclude={"findings"})
        return {"version": out.pop("version"),
                "findings": [f.model_dump(mode="json", exclude_none=True) for f in self.findings], **out}
