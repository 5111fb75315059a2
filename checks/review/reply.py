"""The reviewer's structured answer: the JSON schema sent to the provider, and its pydantic validation."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..finding import Category, Severity

VERDICTS = ("confirmed", "likely_false_positive", "needs_human")
TOOL_NAME = "submit_review"


class FindingVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="the finding id from the request, e.g. F1")
    verdict: Literal["confirmed", "likely_false_positive", "needs_human"]
    rationale: str = Field(max_length=1200)
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str = Field(min_length=1, max_length=600, description="verbatim quote from the hunk")
    fix: str | None = Field(default=None, max_length=1200)
    severity: Severity | None = Field(default=None, description="only to raise the severity")


class ExtraFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$", description="short kebab-case rule id")
    line: int = Field(ge=1)
    category: Category
    severity: Severity
    message: str = Field(max_length=600)
    evidence: str = Field(min_length=1, max_length=600)


class ReviewReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdicts: list[FindingVerdict]
    extra_findings: list[ExtraFinding] = Field(default_factory=list)


def reply_schema() -> dict[str, Any]:
    """A self-contained JSON schema (no $ref) that both Anthropic tools and OpenAI json_schema accept."""
    verdict = {
        "type": "object", "additionalProperties": False,
        "required": ["id", "verdict", "rationale", "confidence", "evidence", "fix", "severity"],
        "properties": {
            "id": {"type": "string"},
            "verdict": {"type": "string", "enum": list(VERDICTS)},
            "rationale": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "evidence": {"type": "string", "description": "verbatim quote from the code between the boundaries"},
            "fix": {"type": ["string", "null"]},
            "severity": {"type": ["string", "null"], "enum": [s.value for s in Severity] + [None]},
        },
    }
    extra = {
        "type": "object", "additionalProperties": False,
        "required": ["id", "line", "category", "severity", "message", "evidence"],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,40}$"},
            "line": {"type": "integer", "minimum": 1},
            "category": {"type": "string", "enum": [c.value for c in Category if c is not Category.WARDGATE]},
            "severity": {"type": "string", "enum": [s.value for s in Severity]},
            "message": {"type": "string"},
            "evidence": {"type": "string"},
        },
    }
    return {"type": "object", "additionalProperties": False, "required": ["verdicts", "extra_findings"],
            "properties": {"verdicts": {"type": "array", "items": verdict},
                           "extra_findings": {"type": "array", "items": extra}}}
