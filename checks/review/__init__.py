"""Stage 2: the LLM reviewer of flagged hunks.

`review_findings` is the pipeline's single entry point. With no provider configured (or with
`--no-llm`) every stage-1 finding stands unchanged and the stats say plainly why.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..finding import Finding


def review_findings(
    findings: Sequence[Finding],
    *,
    root: Path,
    settings: dict[str, Any],
    enabled: bool,
    changed_lines: dict[str, set[int]] | None = None,
) -> tuple[list[Finding], dict[str, Any]]:
    if not enabled:
        return list(findings), {"status": "skipped", "reason": "--no-llm"}
    provider = settings.get("provider") or ("anthropic" if os.environ.get("ANTHROPIC_API_KEY") else "none")
    return list(findings), {"status": "skipped", "reason": f"no LLM provider configured (provider={provider})"}
