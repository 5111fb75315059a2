"""The immutable report every writer renders (JSON contract in ../shared/DESIGN.md)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from checks.finding import Finding


class Condition(BaseModel):
    """One gate condition, stated in words a reviewer understands, and whether it held."""

    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    held: bool
    detail: str = ""


class Gate(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: str  # "pass" | "fail" | "error"
    passed: bool
    fail_on: str
    conditions: list[Condition] = Field(default_factory=list)
    summary: str = ""

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.verdict, 3)


class ToolStat(BaseModel):
    name: str
    status: str  # ok | failed | disabled | skipped
    seconds: float = 0.0
    files: int = 0
    findings: int = 0
    message: str = ""
    executable: str = ""  # the program that ran (wardgate's own environment first, then PATH)
    version: str = ""


class Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    root: str = Field(default=".", exclude=True)
    findings: list[Finding]
    gate: Gate
    stats: dict[str, Any] = Field(default_factory=dict)
    # Diff mode only (wardgate/approvals/); None elsewhere, so absent from the JSON.
    approvals: dict[str, Any] | None = None  # required roles, why, the triggering path:lines
    change_metrics: dict[str, Any] | None = None  # changed functions before/after (radon, docstrings, hints)
    test_suggestions: list[dict[str, Any]] | None = None  # behaviours a test should pin down
    coverage: dict[str, Any] | None = None  # changed-line coverage, with --coverage (reports/coverage_gate.py)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
