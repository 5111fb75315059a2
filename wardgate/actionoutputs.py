"""The GitHub Action's step outputs (action.yml), read from the JSON report through the report's model.

    python -P -m wardgate.actionoutputs REPORT.json >> "$GITHUB_OUTPUT"

`-P` keeps the scanned project's folder off sys.path. No report (wardgate stopped before writing one) or
one that does not read as a report is `verdict=error`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from pydantic import ValidationError

from checks.finding import Severity
from reports.model import Report

COUNTED = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def outputs(report: Report) -> list[str]:
    live = [f for f in report.findings if f.suppression is None]
    return [f"verdict={report.gate.verdict}", f"findings={len(live)}",
            *(f"{s.value}={sum(f.severity is s for f in live)}" for s in COUNTED)]


def main(argv: list[str] | None = None) -> int:
    (path,) = sys.argv[1:] if argv is None else argv
    try:
        report = Report.model_validate_json(Path(path).read_bytes())
    except (OSError, ValidationError):
        print("verdict=error")
        return 0
    print("\n".join(outputs(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
