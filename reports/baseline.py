"""The baseline: today's accepted findings, so the gate only judges what is new.

The file is sorted, diff-friendly JSON: one entry per (rule, path, fingerprint base) with an
occurrence count. No line numbers (it does not churn when code moves) and no snippets or
messages (it never holds a secret). Applying it marks each finding `unchanged` (the first
`count` occurrences) or `new`; entries with fewer current occurrences are `absent`.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checks.finding import Finding

from .fingerprint import base
from .stats import BaselineEntry

FORMAT = "wardgate-baseline/1"
DEFAULT_FILE = ".wardgate-baseline.json"


class BaselineError(Exception):
    """The baseline file is missing or not a wardgate baseline (exit 2)."""


def build(findings: Sequence[Finding]) -> dict[str, Any]:
    counts: Counter[tuple[str, str, str]] = Counter(
        (f.path, f.rule_id, base(f.fingerprint)) for f in findings if f.suppression is None)
    entries = [{"path": p, "rule_id": r, "fingerprint": fp, "count": n}
               for (p, r, fp), n in sorted(counts.items())]
    return {"format": FORMAT, "findings": entries}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def load(path: Path) -> dict[tuple[str, str, str], int]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON: {exc}") from exc
    return loads(text, str(path))


def loads(text: str, path: str) -> dict[tuple[str, str, str], int]:
    """A baseline from its text (`path` names it in errors: a file, or `BASE:file` read from git)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a wardgate baseline (expected \"format\": \"{FORMAT}\"); "
                            "create one with `wardgate baseline`")
    out: dict[tuple[str, str, str], int] = {}
    for e in data["findings"]:
        try:
            key = (str(e["path"]), str(e["rule_id"]), str(e["fingerprint"]))
            out[key] = out.get(key, 0) + int(e.get("count", 1))
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"{path}: malformed entry {e!r}") from exc
    return out


def apply(findings: Sequence[Finding], baseline: dict[tuple[str, str, str], int],
          paths: set[str] | None = None) -> tuple[list[Finding], list[BaselineEntry]]:
    """Mark findings new/unchanged; return them and the absent entries (limited to `paths`
    when only some files were analysed)."""
    left = dict(baseline)
    out = []
    for f in findings:
        key = (f.path, f.rule_id, base(f.fingerprint))
        if left.get(key, 0) > 0:
            left[key] -= 1
            out.append(f.model_copy(update={"baseline_state": "unchanged"}))
        else:
            out.append(f.model_copy(update={"baseline_state": "new"}))
    absent = [BaselineEntry(path=p, rule_id=r, fingerprint=fp, count=n)
              for (p, r, fp), n in sorted(left.items()) if n > 0 and (paths is None or p in paths)]
    return out, absent
