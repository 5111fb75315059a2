"""Changed-line coverage: how much of the change's executable code its tests ran (seed 000 §21.1's
TestCoverageAnalyzer, as diff-cover and SonarQube's new-code condition do it).

The changed lines of the diff (new numbering) meet coverage.py's executable lines of the same file;
a changed executable line with hits is covered. Two conditions: every changed line against
`min_changed_lines`, and, when configured, the changed lines of clinical files (patient-data or
dosage code) against a stricter minimum. Changed Python files the report does not know are listed as
not measured and do not count: coverage.py only knows what it measured (set `[run] source` so it
reports never-imported modules at 0%).
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from .model import Condition
from .sections import Coverage, CoverageTotals, CoveredFile

if TYPE_CHECKING:  # reading a report (xml, defusedxml) is imported only when --coverage is given
    from .coverage_file import CoverageData, FileCoverage

# Test modules and migrations are rarely measured and never need tests of their own.
_NOT_MEASURED_OK = re.compile(r"(^|/)(tests?/|tests?\.py$|test_[^/]*\.py$|[^/]*_tests?\.py$|conftest\.py$|"
                              r"migrations[^/]*/)")


def evaluate(changed: Mapping[str, Collection[int]], data: CoverageData, *, minimum: float,
             clinical_minimum: float | None = None, clinical: Collection[str] = (),
             line_counts: Mapping[str, int] | None = None) -> Coverage:
    """The coverage section of the report (see `conditions`). `line_counts`: the current length of the
    changed files; a report naming lines past the end was made from other code."""
    files = []
    for path in sorted(changed):
        cov = data.files.get(path)
        if cov is None:
            continue
        lines = cov.executable & set(changed[path])
        if not lines:
            continue
        covered = lines & cov.covered
        files.append(CoveredFile(path=path, changed_lines=len(lines), covered=len(covered),
                                 clinical=path in clinical, uncovered=ranges(sorted(lines - covered), cov)))
    stale = [p for p, n in (line_counts or {}).items() if p in data.files and max(data.files[p].executable, default=0) > n]
    return Coverage(
        file=data.path, format=data.format, **_totals(files, minimum).model_dump(), files=files,
        not_measured=[p for p in sorted(changed) if p.endswith(".py") and p not in data.files
                      and not _NOT_MEASURED_OK.search(p)],
        clinical=_totals([f for f in files if f.clinical], clinical_minimum) if clinical_minimum is not None else None,
        unmapped=len(data.unmapped) or None, stale=sorted(stale) or None)


def _totals(files: list[CoveredFile], minimum: float) -> CoverageTotals:
    n = sum(f.changed_lines for f in files)
    covered = sum(f.covered for f in files)
    return CoverageTotals(changed_lines=n, covered=covered, percent=_floor(covered, n), minimum=minimum,
                          held=covered * 100 >= minimum * n)


def _floor(covered: int, n: int) -> float | None:
    # Rounded down: 79.96% is shown as 79.9%, never as a passing-looking 80%.
    return math.floor(1000 * covered / n) / 10 if n else None


def ranges(missing: list[int], cov: FileCoverage) -> list[list[int]]:
    """[[start, end], ...]: runs of uncovered lines, joined across lines coverage.py does not
    execute (blank lines, comments), so that one untested block is one range."""
    out: list[list[int]] = []
    for n in missing:
        if out and not any(k in cov.executable for k in range(out[-1][1] + 1, n)):
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def conditions(section: Coverage) -> list[Condition]:
    out = [_condition("coverage:changed-lines", "Changed lines covered", section)]
    if section.clinical is not None:
        out.append(_condition("coverage:changed-lines-clinical",
                              "Changed lines in patient-data and dosage code covered", section.clinical))
    return out


def _condition(cid: str, what: str, t: Coverage | CoverageTotals) -> Condition:
    detail = (f"{_pct(t.percent or 0)} ({t.covered} of {t.changed_lines})" if t.changed_lines
              else "no changed executable lines")
    return Condition(id=cid, description=f"{what} ≥ {_pct(t.minimum)}", held=t.held, detail=detail)


def _pct(v: float) -> str:
    return f"{v:g}%"


def range_text(r: list[int]) -> str:
    return str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"
