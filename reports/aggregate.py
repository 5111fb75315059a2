"""Merge and de-duplicate: the same problem at the same place, reported by several tools, is
one finding. It keeps the most specific rule (wardgate's own > semgrep > the others), the
highest severity, and lists the other rule ids in `sources`.

"The same problem" is decided by a concept key: ruff's flake8-bandit codes `S1xx` are bandit's
`B1xx`; bandit's hard-coded password tests and every secret-category rule are "secret"; the
medical categories are their own concept. Two findings merge when they share path, start line
and concept.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from checks.finding import Category, Finding

_SECRET_TOOL_RULES = frozenset({"bandit:B105", "bandit:B106", "bandit:B107", "ruff:S105", "ruff:S106",
                                "ruff:S107"})
_BANDIT_LIKE = re.compile(r"^(?:bandit:B|ruff:S)(\d{3})$")
_DEBUG_PAGES = frozenset({"WG601"})
_TOOL_RANK = {"wardgate": 3, "semgrep": 2, "llm": 0}


def concept(f: Finding) -> str | None:
    """What problem a finding is about, across tools; None when it only merges with itself."""
    if f.rule_id in _SECRET_TOOL_RULES or f.category is Category.SECRET:
        return "secret"
    if f.category.is_medical:
        return str(f.category.value)
    if f.rule_id in _DEBUG_PAGES:  # DEBUG = True: where WG512 says the debug pages show patient records, one finding
        return Category.PHI.value
    m = _BANDIT_LIKE.match(f.rule_id)
    if m:
        return f"bandit-{m[1]}"
    if f.category is Category.WARDGATE:
        return None
    return f.rule_id.rpartition(":")[2].lower()  # semgrep and ruff sharing a code name


def specificity(f: Finding) -> tuple[int, int, int, int]:
    # A change rule (checks/changes/) says what the change did (before -> after): it names the group.
    return (_TOOL_RANK.get(f.tool, 1), f.category.is_medical, bool(f.properties.get("change_rule")), f.severity.rank)


def merge_group(group: Sequence[Finding]) -> Finding:
    keep = max(group, key=specificity)
    if len(group) == 1:
        return keep
    severity = max((f.severity for f in group), key=lambda s: s.rank)
    sources = list(dict.fromkeys([*keep.sources, *(r for f in group if f is not keep
                                                     for r in (f.rule_id, *f.sources))]))
    sources = [s for s in sources if s != keep.rule_id]
    return keep.model_copy(update={"severity": severity, "sources": sources,
                                   "end_line": max(keep.end_line, keep.start_line),
                                   "cwe": keep.cwe or next((f.cwe for f in group if f.cwe), None)})


def deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    groups: dict[tuple[str, int, str], list[Finding]] = {}
    singles: list[Finding] = []
    for f in findings:
        key = concept(f)
        if key is None:
            singles.append(f)
        else:
            groups.setdefault((f.path, f.start_line, key), []).append(f)
    merged = [merge_group(g) for g in groups.values()]
    return sorted([*singles, *merged], key=Finding.sort_key)
