"""The JSON report: the contract of ../shared/DESIGN.md, one object, nothing else on stdout."""
from __future__ import annotations

import json

from ..model import Report


def render(report: Report, **_: object) -> str:
    return json.dumps(report.to_json_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
