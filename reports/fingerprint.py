"""Fingerprints that survive unrelated edits.

A finding's fingerprint hashes its rule, its file and the flagged code with all whitespace
removed — not its line number — so inserting lines above it or re-indenting it keeps the
fingerprint, while changing the flagged code changes it. Identical code flagged twice in a
file is told apart by an occurrence suffix: `<32 hex>` for the first, `<32 hex>.2` for the
second, and so on (`base()` strips it; the baseline counts occurrences of the base).

Secret findings hash their masked snippet, never the raw line, so neither the fingerprint nor
SARIF's `primaryLocationLineHash` is a hash of a secret that could be guessed offline.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence

from checks.finding import Category, Finding

_WS = re.compile(r"\s+")
LINE_HASH = "primaryLocationLineHash"


def normalised_code(lines: Sequence[str], start: int, end: int, max_lines: int = 3) -> str:
    chunk = lines[start - 1 : min(end, start + max_lines - 1)]
    return _WS.sub("", "\n".join(chunk))


def base(fingerprint: str) -> str:
    """The fingerprint without its occurrence suffix."""
    return fingerprint.partition(".")[0]


def _digest(text: str, n: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:n]


def _code(f: Finding, lines: Sequence[str] | None, max_lines: int = 3) -> str:
    if f.category is Category.SECRET:
        return _WS.sub("", f.snippet or f.message)
    if lines and f.start_line <= len(lines):
        return normalised_code(lines, f.start_line, f.end_line, max_lines)
    return _WS.sub("", f.message)


def assign(findings: Sequence[Finding], read_lines: Callable[[str], Sequence[str] | None]) -> list[Finding]:
    """Set `fingerprint` and `properties.primaryLocationLineHash` on every finding (in order)."""
    seen: Counter[str] = Counter()
    seen_line: Counter[str] = Counter()
    cache: dict[str, Sequence[str] | None] = {}
    out = []
    for f in findings:
        if f.path not in cache:
            cache[f.path] = read_lines(f.path)
        lines = cache[f.path]
        key = f"{f.rule_id}\0{f.path}\0{_code(f, lines)}"
        seen[key] += 1
        digest = _digest(key) + (f".{seen[key]}" if seen[key] > 1 else "")
        line_key = _digest(f"{f.path}\0{_code(f, lines, max_lines=1)}", 16)
        seen_line[line_key] += 1
        props = {**f.properties, LINE_HASH: f"{line_key}:{seen_line[line_key]}"}
        out.append(f.model_copy(update={"fingerprint": digest, "properties": props}))
    return out
