"""Running a check on its own VALID/INVALID examples (used by the tests and `wardgate explain`)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from textwrap import dedent

from .base import Check, Invalid, Valid
from .engine import run_checks
from .facts import COLLECTORS
from .finding import Finding
from .vocabulary import Vocabulary


def run_example(check: type[Check], example: Valid | Invalid, vocab: Vocabulary | None = None) -> list[Finding]:
    """Write the example (and its companion files) to a temp project and run `check` on its main file."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {example.path: dedent(example.code), **{p: dedent(c) for p, c in example.files}}
        for rel, code in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code, encoding="utf-8")
        result = run_checks(root, sorted(files), vocab=vocab or Vocabulary(), checks=[check],
                            collectors=COLLECTORS, jobs=1, check_paths=[example.path])
        if result.errors:
            raise AssertionError("; ".join(result.errors))
        problems = [p for p in result.file_problems if p.path == example.path]
        if problems:
            raise AssertionError(problems[0].message)
        return [f for f in result.findings if f.rule_id == check.code]
