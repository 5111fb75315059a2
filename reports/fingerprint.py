"""Fingerprints that survive unrelated edits.

A finding's fingerprint hashes its rule, its file and the flagged code with all whitespace
removed — not its line number — so inserting lines above it or re-indenting it keeps the
fingerprint, while changing the flagged code changes it. Identical code flagged twice in a
file is told apart by its occurrence index.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence

from checks.finding import Finding

_WS = re.compile(r"\s+")


def normalised_code(lines: Sequence[str], start: int, end: int, max_lines: int = 3) -> str:
    chunk = lines[start - 1 : min(end, start + max_lines - 1)]
    return _WS.sub("", "\n".join(chunk))


def assign(findings: Sequence[Finding], read_lines: Callable[[str], Sequence[str] | None]) -> list[Finding]:
    seen: Counter[str] = Counter()
    out = []
    cache: dict[str, Sequence[str] | None] = {}
    for f in findings:
        if f.path not in cache:
            cache[f.path] = read_lines(f.path)
        lines = cache[f.path]
        code = normalised_code(lines, f.start_line, f.end_line) if lines else f.message
        key = f"{f.rule_id}\0{f.path}\0{code}"
        n = seen[key]
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\0{n}".encode("utf-8", "surrogateescape")).hexdigest()[:32]
        out.append(f.model_copy(update={"fingerprint": digest}))
    return out
