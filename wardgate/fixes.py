"""`wardgate check --fix`: apply the libcst autofixes that checks declare (`Check.autofix`).

Only mechanical, safe fixes are offered (e.g. a hard-coded SECRET_KEY becomes an environment
lookup). A fix that fails to apply, or yields code that no longer parses, is skipped.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from checks.finding import Finding
from checks.registry import REGISTRY


def apply_fixes(root: Path, findings: Sequence[Finding]) -> int:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        check = REGISTRY.get(f.rule_id)
        if check is not None and hasattr(check, "autofix") and f.suppression is None:
            by_file[f.path].append(f)
    fixed = 0
    for rel, items in sorted(by_file.items()):
        path = root / rel
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        new = text
        for rule_id in sorted({f.rule_id for f in items}):
            candidate = REGISTRY[rule_id].autofix(new, [f for f in items if f.rule_id == rule_id])  # type: ignore[attr-defined]
            if candidate is None or candidate == new:
                continue
            try:
                ast.parse(candidate)
            except SyntaxError:
                print(f"wardgate: fix for {rule_id} in {rel} skipped: it would not parse", file=sys.stderr)
                continue
            fixed += sum(1 for f in items if f.rule_id == rule_id)
            new = candidate
        if new != text:
            path.write_text(new, encoding="utf-8")
    return fixed
