"""GitHub workflow commands (`::error file=…,line=…::message`).

GitHub shows at most 10 error and 10 warning annotations per step (50 per job), so the most
severe findings that count against the gate come first (on changed lines in diff-aware runs),
and a final `::notice` says how many were left out."""
from __future__ import annotations

from checks.finding import Finding, Severity

from ..coverage_render import uncovered_annotations
from ..gate import counts_against_gate
from ..model import Report

PER_LEVEL = 10
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "notice", Severity.INFO: "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _priority(f: Finding) -> tuple[int, int, int, str, int]:
    return (not counts_against_gate(f), f.in_diff is False, -f.severity.rank, f.path, f.start_line)


def render(report: Report, **_: object) -> str:
    shown: dict[str, int] = {"error": 0, "warning": 0, "notice": 0}
    left = 0
    out = []
    candidates = [f for f in report.findings if f.suppression is None and f.baseline_state != "unchanged"]
    for f in sorted(candidates, key=_priority):
        level = _LEVEL[f.severity] if counts_against_gate(f) else "notice"
        if shown[level] >= PER_LEVEL:
            left += 1
            continue
        shown[level] += 1
        title = f"{f.rule_id} ({f.severity.value}, {f.category.value})"
        props = f"file={_escape_prop(f.path)},line={f.start_line},endLine={max(f.end_line, f.start_line)}"
        if f.start_column:
            props += f",col={f.start_column}"
        out.append(f"::{level} {props},title={_escape_prop(title)}::{_escape_data(f.message)}")
    for level, path, start, end, message in uncovered_annotations(report):  # after the findings: they rank first
        if shown[level] >= PER_LEVEL:
            left += 1
            continue
        shown[level] += 1
        out.append(f"::{level} file={_escape_prop(path)},line={start},endLine={end},"
                   f"title=wardgate changed-line coverage::{_escape_data(message)}")
    gate = report.gate
    summary = f"wardgate gate {gate.verdict}: {gate.summary}"
    if left:
        summary += f" {left} more annotation(s) left out (GitHub shows {PER_LEVEL} per level per step)."
    out.append(f"::{'notice' if gate.passed else 'error'} title=wardgate::{_escape_data(summary)}")
    return "\n".join(out) + "\n"
