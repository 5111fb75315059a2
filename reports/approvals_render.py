"""Approvals, change metrics and test suggestions for the writers (text, Markdown, SARIF).

Pure functions of the Report's `approvals`, `change_metrics` and `test_suggestions` (filled in diff
mode by wardgate/approvals/); every function returns nothing when they are absent.
"""
from __future__ import annotations

from typing import Any

from .model import Report
from .sections import RoleRequirement


def _required(report: Report) -> list[RoleRequirement]:
    return list(report.approvals.required) if report.approvals is not None else []


def _status(req: RoleRequirement, enforced: bool) -> str:
    if not enforced:
        return "required"
    return "approved" if req.approved else "MISSING"


# -- text


def text_lines(report: Report) -> list[str]:
    out: list[str] = []
    a = report.approvals
    if a is not None:
        reqs = _required(report)
        if reqs:
            mode = "enforced" if a.enforced else "informational; enforce with --approved-by"
            out.append(f"Approvals required ({mode}):")
            for r in reqs:
                out.append(f"  {r.role:<17} {_status(r, a.enforced):<9} {r.why}")
                for reason in r.reasons[:5]:
                    out.append(f"{'':>20}{reason.location}: {reason.why}")
                if len(r.reasons) > 5:
                    out.append(f"{'':>20}… {len(r.reasons) - 5} more")
        else:
            out.append("Approvals required: none.")
    m = report.change_metrics
    if m and m.functions:
        t = m.totals
        worse = [f for f in m.functions if (f.complexity_delta or 0) > 0]
        out.append(f"Change metrics: {t.changed_functions} changed function(s); type hints "
                   f"{_pct(t.type_hint_coverage_before)} -> {_pct(t.type_hint_coverage_after)}, docstrings "
                   f"{_pct(t.docstring_coverage_before)} -> {_pct(t.docstring_coverage_after)}"
                   + (f"; complexity up in {len(worse)}" if worse else ""))
    for s in (report.test_suggestions or [])[:10]:
        out.append(f"  test ({s.area}) {s.path}:{s.line}: {s.behaviour}")
    return [*out, ""] if out else []


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:g}%"


def _delta(before: float | None, after: float, delta: float | None) -> str:
    if before is None:
        return f"{after} (new)"
    sign = "+" if delta and delta > 0 else ""
    return f"{before} → {after} ({sign}{delta:g})" if delta else f"{after} (=)"


# -- Markdown


def markdown_approvals(report: Report) -> list[str]:
    """The "Approvals required" section the PR summary starts with: who must sign off, and why in words."""
    a = report.approvals
    if a is None:
        return []
    reqs = _required(report)
    if not reqs:
        return ["## Approvals required", "", ("None: this change touches no schema, authorization, patient "
                "deletion, audit trail, dosing or billing code."), ""]
    enforced = a.enforced
    out = ["## Approvals required", ""]
    for r in reqs:
        first = r.reasons[0] if r.reasons else None
        more = f" (and {len(r.reasons) - 1} more)" if len(r.reasons) > 1 else ""
        because = f": {_esc(first.why)} at `{first.location}`{more}" if first else ""
        out.append(f"- **{r.role}** ({_esc(r.why)}){because}")
    out.append("")
    if not enforced:
        out += ["_Informational: pass `--approved-by` (or set `WARDGATE_APPROVED_BY`) to enforce._", ""]
    out += ["| role | status | why | where |", "|---|---|---|---|"]
    for r in reqs:
        where = "<br>".join(f"`{x.location}` {_esc(x.why)}" for x in r.reasons[:4])
        if len(r.reasons) > 4:
            where += f"<br>… {len(r.reasons) - 4} more"
        status = _status(r, enforced)
        out.append(f"| **{r.role}** | {'**MISSING**' if status == 'MISSING' else status} | {_esc(r.why)} "
                   f"| {where} |")
    return [*out, ""]


def markdown_metrics(report: Report, max_rows: int = 30) -> list[str]:
    out: list[str] = []
    m = report.change_metrics
    if m and m.functions:
        t = m.totals
        out += ["### Change metrics (changed functions, base → head)", "",
                (f"Type-hint coverage {_pct(t.type_hint_coverage_before)} → {_pct(t.type_hint_coverage_after)}"
                f", docstring coverage {_pct(t.docstring_coverage_before)} → "
                f"{_pct(t.docstring_coverage_after)}."), "",
                "| function | complexity | maintainability | docstring | type hints |", "|---|---|---|---|---|"]
        for f in m.functions[:max_rows]:
            doc = ("yes" if f.docstring_after else "no") if f.docstring_before is None else \
                f"{'yes' if f.docstring_before else 'no'} → {'yes' if f.docstring_after else 'no'}"
            hints = f.type_hints_after if f.type_hints_before is None else \
                f"{f.type_hints_before} → {f.type_hints_after}"
            out.append(f"| `{f.path}:{f.line}` `{f.function}` | "
                       f"{_delta(f.complexity_before, f.complexity_after, f.complexity_delta)} | "
                       f"{_delta(f.mi_before, f.mi_after, f.mi_delta)} | {doc} | {hints} |")
        if len(m.functions) > max_rows:
            out.append(f"| … {len(m.functions) - max_rows} more | | | | |")
        out.append("")
    if report.test_suggestions:
        out += ["### Tests this change should have", ""]
        out += [f"- `{s.path}:{s.line}` ({s.area}): {_esc(s.behaviour)}"
                for s in report.test_suggestions[:20]]
        out.append("")
    return out


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# -- SARIF


def sarif_properties(report: Report) -> dict[str, Any]:
    """Run properties (a SARIF property bag accepts any JSON)."""
    out: dict[str, Any] = {}
    if report.approvals is not None:
        out["approvals"] = report.approvals.model_dump(mode="json")
    if report.change_metrics is not None:
        out["changeMetrics"] = report.change_metrics.model_dump(mode="json")
    if report.test_suggestions:
        out["testSuggestions"] = [s.model_dump(mode="json") for s in report.test_suggestions]
    return out


def sarif_notifications(report: Report) -> list[dict[str, Any]]:
    """One toolExecutionNotification per required role: `error` when enforced and missing."""
    a = report.approvals
    if a is None:
        return []
    out = []
    for r in _required(report):
        missing = a.enforced and not r.approved
        first = r.reasons[0] if r.reasons else None
        n: dict[str, Any] = {
            "level": "error" if missing else "note",
            "message": {"text": f"approval by {r.role} {'missing' if missing else 'required'}: {r.why}"
                                + (f" ({first.location}: {first.why})" if first else "")},
            "descriptor": {"id": f"approval/{r.role}"},
            "properties": {"role": r.role, "approved": r.approved, "locations": [x.location for x in r.reasons]},
        }
        if first and first.lines:
            start = int(first.lines.split(",")[0].split("-")[0])
            n["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": first.path,
                                                                         "uriBaseId": "%SRCROOT%"},
                                                    "region": {"startLine": start}}}]
        out.append(n)
    return out
