"""A pull-request summary for `$GITHUB_STEP_SUMMARY`: the verdict in plain words first, the gate's
conditions, then the findings by severity, each with its whole message, the fix, a link to the
file and line and a link to the rule's documentation. Every critical and high finding is listed,
up to MAX_ROWS of each lower severity; the whole summary stays within GitHub's limit for a step
summary (1 MiB), and a final line counts what was left out. Text is wrapped at 100 columns (only
lines with links may be longer)."""
from __future__ import annotations

import os
import re
import textwrap
from collections import Counter
from urllib.parse import quote

from checks.finding import Finding, Severity
from checks.registry import help_uri

from .. import approvals_render, coverage_render
from ..gate import counts_against_gate, plural
from ..model import Report

MAX_ROWS = 100  # per severity below high
MAX_BYTES = 1024 * 1024 - 4096  # GitHub's step-summary limit, with room for the closing line
WIDTH = 100  # rows with relative links fit a 100-column terminal
_BLOCK_START = re.compile(r"[-+*#>|]|\d+[.)]")
_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}


def link_base_from_env() -> str | None:
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    return f"{server}/{repo}/blob/{sha}" if server and repo and sha else None


def _cell(text: str, limit: int = 90) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(f: Finding) -> str:
    if f.suppression is not None:
        return "suppressed"
    if f.baseline_state == "unchanged":
        return "baseline"
    if f.in_diff is False:
        return "outside diff"
    return "**new**" if f.baseline_state == "new" or f.in_diff else "counts"


def render(report: Report, *, link_base: str | None = None, max_rows: int = MAX_ROWS,
           max_bytes: int = MAX_BYTES, **_: object) -> str:
    base = (link_base or link_base_from_env() or "").rstrip("/")
    gate = report.gate
    # In diff mode the summary starts with the approvals: who must sign off, and why in words.
    out = approvals_render.markdown_approvals(report)
    out += [f"## {_ICON.get(gate.verdict, '')} wardgate: {gate.verdict.upper()} — {_inline(gate.summary)}", ""]
    out += ["| condition | held | detail |", "|---|---|---|"]
    for c in gate.conditions:
        out.append(f"| {_cell(c.description, 60)} | {'yes' if c.held else '**no**'} | {_cell(c.detail, 60)} |")
    counting = [f for f in report.findings if counts_against_gate(f)]
    quiet = len(report.findings) - len(counting)
    counts = Counter(f.severity for f in counting)
    files = len({f.path for f in report.findings})
    out += ["", *textwrap.wrap(
        f"{plural(len(report.findings), 'finding')} in {plural(files, 'file')} "
        f"({plural(report.stats.files_analysed, 'file')} analysed): {len(counting)} count against the gate"
        + (f" ({', '.join(f'{counts[s]} {s.value}' for s in Severity if counts.get(s))})" if counts else "")
        + (f", {quiet} do not (suppressed, baselined or outside the diff)" if quiet else "") + ".", WIDTH)]
    if report.stats.diff is not None:
        out.append(f"Diff-aware: compared with `{report.stats.diff.base}`.")
    sections: list[list[str]] = []
    left_out = 0
    ordered = sorted(report.findings, key=lambda f: (not counts_against_gate(f), f.path, f.start_line))
    for sev in Severity:
        rows = [f for f in ordered if f.severity is sev]
        if not rows:
            continue
        limit = len(rows) if sev.at_least(Severity.HIGH) else max_rows
        sections.append(["", f"### {sev.value.capitalize()} ({len(rows)})", ""])
        for f in rows[:limit]:
            sections.append(_item(f, base))
        if len(rows) > limit:
            left_out += len(rows) - limit
            sections.append([f"- … {len(rows) - limit} more {sev.value} finding(s) not shown"])
    tail: list[str] = []
    coverage = coverage_render.markdown_lines(report)
    if coverage:
        tail += ["", *coverage]
    metrics = approvals_render.markdown_metrics(report)
    if metrics:
        tail += ["", *metrics]
    errors = report.stats.errors
    if errors:
        tail += ["", "### Analysis errors", ""] + [f"- {_inline(e)}" for e in errors[:20]]
    budget = max_bytes - _size(out) - _size(tail)
    for block in sections:  # in order of severity: what does not fit is the least severe
        if _size(block) > budget:
            left_out += sum(line.startswith("- **[") for line in block)
            continue
        budget -= _size(block)
        out += block
    text = "\n".join(out + tail)
    if left_out:
        text += (f"\n\n_{left_out} finding(s) left out of this summary; "
                 "the JSON or SARIF report has them all._")
    return text + "\n"


def _item(f: Finding, base: str) -> list[str]:
    """One finding: where, rule (linked to its docs) and status; then its whole message and the fix."""
    target = f"{f.path}#L{f.start_line}" + (f"-L{f.end_line}" if f.end_line > f.start_line else "")
    href = quote(f"{base}/{target}" if base else target, safe="/:#")
    doc = help_uri(f.rule_id, f.help_uri)
    rule = f"[`{f.rule_id}`]({doc})" if doc else f"`{f.rule_id}`"
    lines = [f"- **[{_inline(f.path)}:{f.start_line}]({href})** · {rule} · {f.category.value} · {_status(f)}"]
    paragraphs = [_inline(f.message)] + ([f"**Fix:** {_inline(f.fix)}"] if f.fix else [])
    for text in paragraphs:  # each on its own line of the list item (a trailing backslash breaks the line)
        lines[-1] += "\\"
        wrapped = textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="  ")
        starts_block = any(_BLOCK_START.match(line.strip()) for line in wrapped[1:])
        lines += [f"  {text}"] if starts_block else wrapped  # a wrapped "- x" would start a list
    return lines


def _inline(text: str) -> str:
    """One paragraph of Markdown text: whitespace folded; `<` outside code spans escaped, so that
    GitHub shows `<int:pk>` instead of dropping it as an HTML tag."""
    parts = " ".join(text.split()).split("`")
    return "`".join(p if i % 2 else p.replace("<", "\\<") for i, p in enumerate(parts))


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)
