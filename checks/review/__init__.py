"""Stage 2: the LLM reviewer of flagged hunks (checks/review/reviewer.py has the run).

`review_findings` is the pipeline's single entry point. The package imports its parts lazily: the
configuration (`checks.review.config`) is read on every run, while the reviewer and the provider SDKs
load only when a review runs, which keeps a `--no-llm` pre-commit hook fast.
"""
from __future__ import annotations

from typing import Any

__all__ = ["LLMConfig", "review_findings"]


def __getattr__(name: str) -> Any:
    if name == "review_findings":
        from .reviewer import review_findings

        return review_findings
    if name == "LLMConfig":
        from .config import LLMConfig

        return LLMConfig
    raise AttributeError(name)
