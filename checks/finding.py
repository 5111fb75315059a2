"""The one `Finding` model every stage speaks (JSON contract in ../shared/DESIGN.md)."""
from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 … info=0."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Category(str, enum.Enum):
    AUDIT_TRAIL = "audit-trail"
    PERMISSION = "permission"
    DOSAGE = "dosage"
    SECRET = "secret"
    PHI = "phi"
    SECURITY = "security"
    QUALITY = "quality"
    WARDGATE = "wardgate"

    @property
    def is_medical(self) -> bool:
        """The five medical-domain categories (stricter suppression and LLM policy)."""
        return self in MEDICAL_CATEGORIES


MEDICAL_CATEGORIES = frozenset(
    {Category.AUDIT_TRAIL, Category.PERMISSION, Category.DOSAGE, Category.SECRET, Category.PHI}
)


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Suppression(BaseModel):
    """Why a finding does not count against the gate; kept so auditors can see it."""

    model_config = ConfigDict(frozen=True)

    kind: str  # "inline" | "config" | "llm"
    justification: str
    status: str = "accepted"  # SARIF: accepted | underReview
    source: str | None = None  # "path:line" of the comment or the config entry


class Review(BaseModel):
    """The LLM reviewer's verdict on one finding (stage 2)."""

    model_config = ConfigDict(frozen=True)

    verdict: str  # confirmed | likely_false_positive | needs_human | unreviewed | rejected
    rationale: str = ""
    confidence: float | None = None
    evidence: str | None = None
    fix: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    note: str | None = None  # e.g. why it stayed unreviewed or was rejected


class FlowStep(BaseModel):
    """One step of a data flow (source, call, sink); `path`/`line` are None for a call step."""

    model_config = ConfigDict(frozen=True)

    label: str
    path: str | None = None
    line: int | None = None


class Finding(BaseModel):
    """One problem at one place. Frozen: stages derive new findings with `model_copy`."""

    model_config = ConfigDict(frozen=True, use_enum_values=False)

    rule_id: str
    category: Category
    severity: Severity
    tool: str  # wardgate | ruff | bandit | radon | semgrep | llm
    path: str  # POSIX, relative to the scan root
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    message: str
    fingerprint: str = ""
    start_column: int | None = None  # 1-based
    end_column: int | None = None
    cwe: int | None = None
    help_uri: str | None = None
    snippet: str | None = None
    fix: str | None = None
    confidence: Confidence | None = None
    review: Review | None = None
    suppression: Suppression | None = None
    baseline_state: str | None = None  # new | unchanged | absent
    sources: list[str] = Field(default_factory=list)  # other tools/rules that reported the same problem
    in_diff: bool | None = None  # diff-aware runs: does the range touch changed lines?
    properties: dict[str, Any] = Field(default_factory=dict)
    flow: list[FlowStep] | None = None  # flow findings: source -> … -> sink (SARIF codeFlows)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.start_line, -self.severity.rank, self.rule_id)


def worst(severities: list[Severity]) -> Severity | None:
    return max(severities, key=lambda s: s.rank) if severities else None
