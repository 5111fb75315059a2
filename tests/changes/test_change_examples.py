"""Every change rule's documented examples are its tests: `Dangerous` gives one finding on its line,
`Refactor` none (STYLE.md H3, with a base and a head instead of one file)."""
from __future__ import annotations

import inspect
import pkgutil

import pytest

import checks.changes
from checks.changes import ALL_CHANGE_RULES
from checks.changes.base import ChangeRule, Dangerous, Refactor
from checks.changes.testing import changed_lines, run_change_example
from checks.registry import REGISTRY, all_rules

CASES = [(r, e) for r in ALL_CHANGE_RULES for e in (*r.VALID, *r.INVALID)]
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")


@pytest.mark.parametrize(
    ("rule", "example"), CASES,
    ids=[f"{r.code}-{'REFACTOR' if isinstance(e, Refactor) else 'DANGEROUS'}-{i}" for i, (r, e) in enumerate(CASES)],
)
def test_example(rule: type[ChangeRule], example: Refactor | Dangerous) -> None:
    found = run_change_example(rule, example)
    shown = [f"{f.start_line}: {f.message}" for f in found]
    if isinstance(example, Refactor):
        assert found == [], shown
    else:
        assert [f.start_line for f in found] == [example.line], shown
        assert "→" in found[0].message, "a change finding shows before → after"


@pytest.mark.parametrize("rule", ALL_CHANGE_RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule: type[ChangeRule]) -> None:
    doc = inspect.getdoc(rule) or ""
    assert [s for s in SECTIONS if s not in doc] == []
    assert rule.VALID and rule.INVALID, "a change rule needs a harmless and a dangerous example"
    assert rule.summary and rule.name == rule.name.lower()
    if rule.category.value in {"secret", "phi"}:
        assert rule.hipaa


def test_rules_match_modules_and_are_catalogued() -> None:
    modules = {m.name for m in pkgutil.iter_modules(checks.changes.__path__)} - {"base", "testing"}
    assert modules == {r.__module__.rpartition(".")[2] for r in ALL_CHANGE_RULES}
    codes = [r.code for r in ALL_CHANGE_RULES]
    assert len(set(codes)) == len(codes) and not set(codes) & set(REGISTRY)
    assert all(all_rules()[c].tags == ("change",) for c in codes)


def test_changed_lines_like_git() -> None:
    assert changed_lines("a\nb\nc\n", "a\nB\nc\n") == {2}
    assert changed_lines("a\nb\nc\n", "a\nc\n") == {1, 2}  # a pure deletion marks its neighbours
