"""Which places the reviewer sees: hunks around stage-1 findings, most severe nearest to patient data first.

In diff mode only findings on changed lines are eligible. Findings whose ranges overlap or nearly touch
are merged into one hunk, so several findings in one place cost one request.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..finding import Category, Finding, Severity

MAX_HUNK_LINES = 80
_NEAR_PATIENT = {Category.PHI: 3, Category.PERMISSION: 3, Category.AUDIT_TRAIL: 2, Category.DOSAGE: 2,
                 Category.SECRET: 1}


@dataclass
class Hunk:
    path: str
    start: int  # 1-based, inclusive
    end: int
    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the file's lines start..end

    @property
    def worst(self) -> Severity:
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def priority(self) -> tuple[int, int, int, str, int]:
        """Sort key: most severe first, then nearest to patient data (medical categories, PHI words)."""
        near = max(_NEAR_PATIENT.get(f.category, 0) for f in self.findings)
        text = "\n".join(self.lines).lower()
        touches = any(w in text for w in ("patient", "mrn", "diagnos", "prescri", "dose", "medical"))
        return (-self.worst.rank, -near, -int(touches), self.path, self.start)


def eligible(f: Finding, min_severity: Severity, changed_lines: dict[str, set[int]] | None) -> str | None:
    """None if the finding should be reviewed, else why not."""
    if f.category is Category.WARDGATE or f.tool == "llm":
        return "not reviewable"
    if f.suppression is not None or f.baseline_state == "unchanged" or f.properties.get("advisory"):
        return "already not gating"
    if not f.severity.at_least(min_severity):
        return "below min_severity"
    if changed_lines is not None:
        if f.in_diff is False:
            return "outside the diff"
        lines = changed_lines.get(f.path, set())
        if not any(f.start_line <= n <= f.end_line for n in lines):
            return "outside the diff"
    return None


def build_hunks(findings: Sequence[Finding], root: Path, context_lines: int) -> list[Hunk]:
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    hunks: list[Hunk] = []
    for path, group in sorted(by_path.items()):
        try:
            file_lines = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        n = len(file_lines)
        spans: list[Hunk] = []
        for f in sorted(group, key=lambda f: (f.start_line, f.end_line)):
            end = min(f.end_line, f.start_line + MAX_HUNK_LINES - 1)
            start, end = max(1, f.start_line - context_lines), min(n, end + context_lines)
            if start > n:
                continue
            if spans and start <= spans[-1].end + 1 and end - spans[-1].start < MAX_HUNK_LINES * 2:
                spans[-1].end = max(spans[-1].end, end)
                spans[-1].findings.append(f)
            else:
                spans.append(Hunk(path=path, start=start, end=end, findings=[f]))
        for h in spans:
            h.lines = file_lines[h.start - 1:h.end]
        hunks.extend(spans)
    return sorted(hunks, key=Hunk.priority)
