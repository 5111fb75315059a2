"""The terminal report: the verdict in plain words first; then the critical and high findings that
count against the gate, then the rest, each part grouped by file; coloured on a TTY; counts last."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import groupby

from checks.finding import Finding, Severity
from checks.registry import rule_for

from .. import approvals_render, coverage_render
from ..gate import counts_against_gate, plural
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

    gate = report.gate
    verdict = c(_GREEN if gate.passed else _RED, gate.verdict.upper())
    out: list[str] = [f"{verdict} — {gate.summary}", ""]
    findings = sorted(report.findings, key=Finding.sort_key)
    first = [f for f in findings if counts_against_gate(f) and f.severity.at_least(Severity.HIGH)]
    rest = [f for f in findings if not (counts_against_gate(f) and f.severity.at_least(Severity.HIGH))]
    for title, part in (("Critical and high", first), ("Other findings", rest)):
        if part:
            out += [c(_BOLD, f"{title} ({len(part)})"), ""]
            out += _by_file(part, c)
    failed = [f"{name}: {t.message}" for name, t in report.stats.tools.items() if t.status == "failed"]
    for line in failed:
        out.append(c(_RED, f"tool failure — {line}"))
    for err in report.stats.errors:
        out.append(c(_RED, f"error — {err}"))
    out.extend(approvals_render.text_lines(report))
    out.extend(coverage_render.text_lines(report))
    out.append(f"{counts_line(report)} {verdict}")
    return "\n".join(out) + "\n"


def _by_file(findings: list[Finding], c: Callable[[str, str], str]) -> list[str]:
    out: list[str] = []
    groups = [list(g) for _, g in groupby(findings, key=lambda f: f.path)]
    groups.sort(key=lambda g: -max(f.severity.rank for f in g))  # stable: files with a critical first
    for group in groups:
        out.append(c(_BOLD, group[0].path))
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
    return out


def counts_line(report: Report) -> str:
    """"12 findings in 4 files (2 critical, 5 high, 5 medium); 9 files analysed." and what does not count."""
    counting = Counter(f.severity for f in report.findings if counts_against_gate(f))
    parts = [f"{counting[s]} {s.value}" for s in Severity if counting.get(s)]
    quiet = len(report.findings) - sum(counting.values())
    with_findings = len({f.path for f in report.findings})
    line = f"{plural(len(report.findings), 'finding')} in {plural(with_findings, 'file')}"
    if parts:
        line += f" ({', '.join(parts)})"
    line += f"; {plural(report.stats.files_analysed, 'file')} analysed"
    if quiet:
        line += f"; {quiet} not counted (suppressed, baselined, outside the diff or advisory)"
    return line + "."


def render_statistics(report: Report, *, color: bool = False, **_: object) -> str:
    """`--statistics`: findings per rule, most first (like `ruff --statistics`), the tools that ran
    with their executable and version, then the counts and the verdict."""
    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    per_rule = Counter(f.rule_id for f in report.findings)
    worst = {f.rule_id: f.severity for f in sorted(report.findings, key=lambda f: f.severity.rank)}
    names = {f.rule_id: str(f.properties.get("name") or _rule_name(f.rule_id)) for f in report.findings}
    width = max((len(r) for r in per_rule), default=0)
    out = [f"{n:>6}  {rule:<{width}}  {c(_COLOURS[worst[rule]], f'{worst[rule].value:<8}')}  {names[rule]} "
           f"({plural(len({f.path for f in report.findings if f.rule_id == rule}), 'file')})"
           for rule, n in sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0]))]
    out.append("")
    for name, t in report.stats.tools.items():
        ran = f"{t.version} ({t.executable})" if t.executable else ""
        out.append(f"{name:<8} {t.status} {ran}".rstrip())
    verdict = c(_GREEN if report.gate.passed else _RED, report.gate.verdict.upper())
    out += ["", f"{verdict} — {report.gate.summary}", counts_line(report)]
    return "\n".join(out) + "\n"


def _rule_name(rule_id: str) -> str:
    meta = rule_for(rule_id)
    return meta.name if meta is not None else rule_id
