"""The tools' own suppression comments, applied by wardgate instead of the tools.

ruff runs with `--ignore-noqa`, bandit with `--ignore-nosec` and semgrep with `--disable-nosem`,
so that a comment in the scanned code can never make a finding vanish unseen. wardgate then
applies the comments itself, by the tool that reported the finding:

| tool    | comment                                   | covers                              |
|---------|-------------------------------------------|-------------------------------------|
| ruff    | `# noqa`, `# noqa: F401,E711`             | every code / the codes listed       |
| bandit  | `# nosec`, `# nosec B602, B607`           | every test / the test ids or names  |
| semgrep | `# nosemgrep`, `# nosemgrep: WG601`       | every rule / the rule ids listed    |

A covered finding in `quality` is dropped, as the tool would have done. A covered finding in a
medical category or `security` stays and is marked `properties["tool_comment"]`: the suppression
stage reports it as an unexplained suppression (WG014) unless a `# wardgate: ignore[...]` with a
reason suppresses it. A comment is looked for on every line the finding spans.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..finding import Category, Finding

_CODES = r"(?P<codes>[\w.\-]+(?:\s*[,\s]\s*[\w.\-]+)*)"
_COMMENTS = {
    "ruff": re.compile(r"#\s*noqa(?::\s*" + _CODES + ")?", re.IGNORECASE),
    "bandit": re.compile(r"#\s*nosec\b(?:[:\s]\s*" + _CODES + ")?"),
    "semgrep": re.compile(r"#\s*nosem(?:grep)?\b(?::\s*" + _CODES + ")?"),
}


def covering_comment(f: Finding, line: str) -> str | None:
    """The tool comment on `line` that covers `f`, as written; None if there is none."""
    pattern = _COMMENTS.get(f.tool)
    m = pattern.search(line) if pattern is not None and "#" in line else None
    if m is None:
        return None
    codes = {c for c in re.split(r"[,\s]+", m["codes"] or "") if c}
    if f.tool == "bandit":  # bandit reads `# nosec` followed by prose as a blanket nosec
        codes = {c for c in codes if re.fullmatch(r"B\d{3}|[a-z]+(?:_[a-z0-9]+)+", c)}
    if not codes:
        return m.group(0).strip()
    names = {f.rule_id, f.rule_id.partition(":")[2], str(f.properties.get("name") or ""),
             str(f.properties.get("check_id") or "")}
    return m.group(0).strip() if codes & names else None


def apply(findings: Sequence[Finding], read_lines: Callable[[str], list[str] | None]) -> list[Finding]:
    """Honour tool comments on `quality` findings; mark the rest (see the module docstring)."""
    cache: dict[str, list[str]] = {}
    out: list[Finding] = []
    for f in findings:
        if f.tool not in _COMMENTS:
            out.append(f)
            continue
        if f.path not in cache:
            cache[f.path] = read_lines(f.path) or []
        lines = cache[f.path]
        comment = next((c for n in range(f.start_line, f.end_line + 1) if 1 <= n <= len(lines)
                        if (c := covering_comment(f, lines[n - 1])) is not None), None)
        if comment is None:
            out.append(f)
        elif f.category.is_medical or f.category is Category.SECURITY:
            out.append(f.model_copy(update={"properties": {**f.properties, "tool_comment": comment}}))
        # else: a quality finding the tool's comment covers, dropped as the tool would have
    return out
