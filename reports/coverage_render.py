"""Changed-line coverage for the writers: text, Markdown, GitHub annotations, SARIF.

Pure functions of the Report's `coverage` section (reports/coverage_gate.py); each returns nothing
when the run had no `--coverage`. The uncovered changed ranges are named per file everywhere.
"""
from __future__ import annotations

from typing import Any

from .coverage_gate import range_text
from .model import Report
from .sections import Coverage, CoverageTotals, CoveredFile

MAX_FILES = 30  # per text/Markdown report; the JSON and SARIF reports have them all


def _uncovered(cov: Coverage) -> list[CoveredFile]:
    return [f for f in cov.files if f.uncovered]


def _held(report: Report) -> bool:
    return all(c.held for c in report.gate.conditions if c.id.startswith("coverage:"))


def _headline(cov: Coverage | CoverageTotals) -> str:
    if not cov.changed_lines:
        return "no changed executable lines"
    return f"{cov.percent or 0:g}% ({cov.covered} of {cov.changed_lines} changed lines)"


def _ranges(f: CoveredFile) -> str:
    return ", ".join(range_text(r) for r in f.uncovered)


def text_lines(report: Report) -> list[str]:
    cov = report.coverage
    if cov is None:
        return []
    out = [f"Changed-line coverage: {_headline(cov)}, minimum {cov.minimum:g}%"
           + (f"; patient-data and dosage code: {_headline(cov.clinical)}, minimum {cov.clinical.minimum:g}%"
              if cov.clinical is not None else "")]
    files = _uncovered(cov)
    for f in files[:MAX_FILES]:
        out.append(f"  {f.path}: not covered {_ranges(f)}" + (" (patient-data/dosage code)" if f.clinical else ""))
    if len(files) > MAX_FILES:
        out.append(f"  … {len(files) - MAX_FILES} more file(s) with uncovered changed lines")
    if cov.stale:
        out.append(f"  warning: the coverage report names lines past the end of {', '.join(cov.stale[:5])}: "
                   "it was made from other code (re-run the tests on this commit)")
    if cov.not_measured:
        out.append(f"  not in the coverage report (not counted): {', '.join(cov.not_measured[:10])}"
                   + (" …" if len(cov.not_measured) > 10 else ""))
    return [*out, ""]


def markdown_lines(report: Report) -> list[str]:
    cov = report.coverage
    if cov is None:
        return []
    out = ["### Changed-line coverage", "", f"{_headline(cov)}; minimum {cov.minimum:g}%."]
    if cov.clinical is not None:
        out[-1] += f" Patient-data and dosage code: {_headline(cov.clinical)}; minimum {cov.clinical.minimum:g}%."
    files = _uncovered(cov)
    if files:
        out += ["", "| file | uncovered changed lines |", "|---|---|"]
        out += [f"| `{f.path}`{' (clinical)' if f.clinical else ''} | {_ranges(f)} |" for f in files[:MAX_FILES]]
        if len(files) > MAX_FILES:
            out.append(f"| … | {len(files) - MAX_FILES} more file(s) |")
    if cov.stale:
        out += ["", "⚠️ The coverage report names lines past the end of "
                + ", ".join(f"`{p}`" for p in cov.stale[:10]) + ": it was made from other code."]
    if cov.not_measured:
        out += ["", "Not in the coverage report (not counted): "
                + ", ".join(f"`{p}`" for p in cov.not_measured[:20]) + "."]
    return [*out, ""]


def uncovered_annotations(report: Report) -> list[tuple[str, str, int, int, str]]:
    """(level, path, start, end, message) per uncovered range: `warning` when a coverage condition
    failed, else `notice`."""
    cov = report.coverage
    if cov is None:
        return []
    level = "notice" if _held(report) else "warning"
    return [(level, f.path, start, end, f"Changed line{'s' if end > start else ''} {range_text([start, end])} "
             "not covered by the tests (coverage report: " + cov.file + ")")
            for f in _uncovered(cov) for start, end in f.uncovered]


def sarif_notifications(report: Report) -> list[dict[str, Any]]:
    """One notification per file with uncovered changed lines, located at its first range."""
    cov = report.coverage
    if cov is None:
        return []
    level = "note" if _held(report) else "warning"
    out = []
    for f in _uncovered(cov):
        first = f.uncovered[0]
        out.append({
            "level": level,
            "message": {"text": f"{f.path}: changed lines not covered by the tests: {_ranges(f)}"},
            "descriptor": {"id": "coverage/changed-lines"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": first[0], "endLine": first[1]}}}],
            "properties": {"uncovered": f.uncovered, "clinical": f.clinical},
        })
    return out
