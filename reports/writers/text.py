"""The terminal report: grouped by file, coloured by severity on a TTY, a summary line last."""
from __future__ import annotations

from collections import Counter
from itertools import groupby

from checks.finding import Finding, Severity

from .. import approvals_render, coverage_render
from ..gate import counts_against_gate
from ..model import Report

_COLOURS = {
    Severity.CRITICAL: "\033[1;37;41m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET, _BOLD, _DIM, _GREEN, _RED = "\033[0m", "\033[1m", "\033[2m", "\033[1;32m", "\033[1;31m"


def render(report: Report, *, color: bool = False, **_: object) -> str:
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    out: list[str] = []
    findings = sorted(report.findings, key=Finding.sort_key)
    for path, group in groupby(findings, key=lambda f: f.path):
        out.append(c(_BOLD, path))
        for f in group:
            sev = c(_COLOURS[f.severity], f"{f.severity.value:<8}")
            where = f"{f.start_line}" + (f"-{f.end_line}" if f.end_line != f.start_line else "")
            tags = []
            if f.suppression:
                tags.append(f"suppressed: {f.suppression.justification}")
            if f.baseline_state == "unchanged":
                tags.append("baseline")
            if f.in_diff is False:
                tags.append("outside diff")
            if f.review and f.review.verdict not in ("unreviewed",):
                tags.append(f"LLM: {f.review.verdict}")
            tag = c(_DIM, f" [{'; '.join(tags)}]") if tags else ""
            out.append(f"  {where:>7}  {sev} {f.rule_id:<14} {f.category.value:<11} {f.message}{tag}")
            if f.fix and counts_against_gate(f) and f.severity.at_least(Severity.HIGH):
                out.append(c(_DIM, f"{'':>19}fix: {f.fix}"))
        out.append("")
    tools = report.stats.get("tools", {})
    failed = [f"{name}: {t.get('message', '')}" for name, t in tools.items() if t.get("status") == "failed"]
    for line in failed:
        out.append(c(_RED, f"tool failure — {line}"))
    for err in report.stats.get("errors", []):
        out.append(c(_RED, f"error — {err}"))
    out.extend(approvals_render.text_lines(report))
    out.extend(coverage_render.text_lines(report))
    counts = Counter(f.severity for f in report.findings if counts_against_gate(f))
    parts = [f"{counts[s]} {s.value}" for s in Severity if counts.get(s)]
    quiet = len(report.findings) - sum(counts.values())
    files = report.stats.get("files_analysed", 0)
    line = f"{len(report.findings)} finding(s) in {files} file(s)"
    if parts:
        line += f" ({', '.join(parts)})"
    if quiet:
        line += f"; {quiet} not counted (suppressed, baselined, outside the diff or advisory)"
    verdict = report.gate.verdict.upper()
    colour = _GREEN if report.gate.passed else _RED
    out.append(f"{line}. {c(colour, verdict)}: {report.gate.summary}")
    return "\n".join(out) + "\n"
