"""Metadata of every rule wardgate can report, whatever tool found it (for `rules`, `explain`, SARIF)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .finding import Category, Severity


class RuleMeta(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    category: Category
    severity: Severity
    tool: str
    summary: str
    doc: str = ""  # Markdown with the ruff sections
    cwe: int | None = None
    hipaa: str | None = None
    help_uri: str | None = None
    confidence: str | None = None
    tags: tuple[str, ...] = ()


#: Each of wardgate's own rules (no `tool:` prefix) has a page generated from its documentation
#: (`python -m wardgate.ruledocs`, checked in under docs/rules/, tests/test_rule_docs.py).
DOCS_BASE = "https://github.com/wardgate/wardgate/blob/main/docs/rules"


def is_own(rule_id: str) -> bool:
    return ":" not in rule_id and not rule_id.endswith("*")


def docs_url(rule_id: str) -> str:
    return f"{DOCS_BASE}/{rule_id}.md"
