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
