"""A pull-request summary for `$GITHUB_STEP_SUMMARY`: the verdict first, then the gate's
conditions, then one table per severity with links to file and line. Capped in length (GitHub
allows 1 MiB per step summary; people read far less) with a count of what was left out; lines
stay short enough for a 100-column terminal except the table rows' links."""
from __future__ import annotations

import os
import textwrap
from collections import Counter

from checks.finding import Finding, Severity

from .. import approvals_render
from ..gate import counts_against_gate
from ..model import Report

MAX_ROWS = 50  # per severity
MAX_CHARS = 60_000
WIDTH = 100  # rows with relative links fit a 100-column terminal
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


def render(report: Report, *, link_base: str | None = None, max_rows: int = MAX_ROWS, **_: object) -> str:
    base = (link_base or link_base_from_env() or "").rstrip("/")
    gate = report.gate
    # In diff mode the summary starts with the approvals: who must sign off, and why in words.
    out = approvals_render.markdown_approvals(report)
    out += [f"## {_ICON.get(gate.verdict, '')} wardgate: gate {gate.verdict.upper()}", "",
            *textwrap.wrap(gate.summary, WIDTH), ""]
    out += ["| condition | held | detail |", "|---|---|---|"]
    for c in gate.conditions:
        out.append(f"| {_cell(c.description, 60)} | {'yes' if c.held else '**no**'} | {_cell(c.detail, 60)} |")
    counting = [f for f in report.findings if counts_against_gate(f)]
    quiet = len(report.findings) - len(counting)
    counts = Counter(f.severity for f in counting)
    out += ["", *textwrap.wrap(f"{len(report.findings)} finding(s): {len(counting)} count against the gate"
            + (f" ({', '.join(f'{counts[s]} {s.value}' for s in Severity if counts.get(s))})" if counts else "")
            + (f", {quiet} do not (suppressed, baselined or outside the diff)" if quiet else "") + ".", WIDTH)]
    if "diff" in report.stats:
        out.append(f"Diff-aware: compared with `{report.stats['diff'].get('base', '')}`.")
    left_out = 0
    ordered = sorted(report.findings, key=lambda f: (not counts_against_gate(f), f.path, f.start_line))
    for sev in Severity:
        rows = [f for f in ordered if f.severity is sev]
        if not rows:
            continue
        out += ["", f"### {sev.value.capitalize()} ({len(rows)})", "", "| where | rule | status | message |",
                "|---|---|---|---|"]
        for f in rows[:max_rows]:
            target = f"{f.path}#L{f.start_line}" + (f"-L{f.end_line}" if f.end_line > f.start_line else "")
            href = f"{base}/{target}" if base else target
            head = f"| [{_cell(f.path, 40)}:{f.start_line}]({href}) | `{f.rule_id}` | {_status(f)} | "
            out.append(head + _cell(f.message, max(30, WIDTH - 2 - len(head))) + " |")
        if len(rows) > max_rows:
            left_out += len(rows) - max_rows
            out.append(f"| … | | | {len(rows) - max_rows} more {sev.value} finding(s) not shown |")
    metrics = approvals_render.markdown_metrics(report)
    if metrics:
        out += ["", *metrics]
    errors = report.stats.get("errors", [])
    if errors:
        out += ["", "### Analysis errors", ""] + [f"- {_cell(e, 200)}" for e in errors[:20]]
    text = "\n".join(out)
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS].rsplit("\n", 1)[0]
        left_out += text[len(cut):].count("\n| [")
        text = cut
    if left_out:
        text += (f"\n\n_{left_out} finding(s) left out of this summary; "
                 "the JSON or SARIF report has them all._")
    return text + "\n"
