"""Running a change rule on its own examples: the base and the head written to two temp projects."""
from __future__ import annotations

import difflib
import tempfile
from pathlib import Path
from textwrap import dedent

from ..engine import run_checks
from ..facts import COLLECTORS
from ..finding import Finding
from ..vocabulary import Vocabulary
from . import Version, compare
from .base import ChangeRule, Dangerous, Refactor


def changed_lines(before: str, after: str) -> set[int]:
    """Head lines a `git diff -U0` marks: replaced and inserted lines; a pure deletion marks its neighbours."""
    out: set[int] = set()
    sm = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, _i1, _i2, j1, j2 in sm.get_opcodes():
        if tag in ("replace", "insert"):
            out.update(range(j1 + 1, j2 + 1))
        elif tag == "delete":
            out.update(n for n in (j1, j1 + 1) if n >= 1)
    return out


def run_change_example(rule: type[ChangeRule], example: Refactor | Dangerous,
                       vocab: Vocabulary | None = None) -> list[Finding]:
    vocab = vocab or Vocabulary()
    before, after = dedent(example.before), dedent(example.after)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {**{p: dedent(c) for p, c in example.files}, example.path: after}
        for rel, code in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code, encoding="utf-8")
        head = run_checks(root, sorted(files), vocab=vocab, checks=(), collectors=COLLECTORS, jobs=1)
        version = Version(path=example.path, old_path=example.path if before else None, before=before or None,
                          after=after, lines=changed_lines(before, after))
        done = compare(root, [version], head=head.project, head_per_file=head.per_file, vocab=vocab,
                                   collectors=COLLECTORS, files=sorted(files),
                                   read_head=lambda rel: (root / rel).read_text(encoding="utf-8"), rules=[rule])
        if done.errors:
            raise AssertionError("; ".join(done.errors))
        return [f for f in done.findings if f.rule_id == rule.code]
