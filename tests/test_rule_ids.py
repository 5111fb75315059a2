"""Rule ids are unique across wardgate's own checks, its internal problems and its semgrep rules
(`all_rules()` is a dict: a repeated id would silently hide one rule's documentation)."""
from __future__ import annotations

from collections import Counter

from checks.internal import INTERNAL_RULES
from checks.registry import ALL_CHECKS, check_meta
from checks.tools import tool_rules


def test_rule_ids_are_unique_across_checks_and_semgrep_rules() -> None:
    ids = Counter(m.id for m in (*INTERNAL_RULES, *(check_meta(c) for c in ALL_CHECKS), *tool_rules()))
    assert [i for i, n in ids.items() if n > 1] == []
