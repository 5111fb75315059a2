"""Every check's documented examples are its tests (STYLE.md H3)."""
from __future__ import annotations

import inspect
import pkgutil
from textwrap import dedent

import pytest

import checks.domain
from checks.base import Check, Invalid, Valid
from checks.registry import ALL_CHECKS, REGISTRY
from checks.testing import run_example

CASES = [(c, e) for c in ALL_CHECKS for e in (*c.VALID, *c.INVALID)]
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:")


@pytest.mark.parametrize(
    ("check", "example"), CASES,
    ids=[f"{c.code}-{'VALID' if isinstance(e, Valid) else 'INVALID'}-{i}" for i, (c, e) in enumerate(CASES)],
)
def test_example(check: type[Check], example: Valid | Invalid) -> None:
    found = run_example(check, example)
    if isinstance(example, Valid):
        assert found == [], [f"{f.start_line}: {f.message}" for f in found]
    else:
        assert [f.start_line for f in found] == [example.line], [f"{f.start_line}: {f.message}" for f in found]
        if example.fixed is not None:
            assert check.autofix(dedent(example.code), found) == dedent(example.fixed)  # type: ignore[attr-defined]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.code)
def test_an_autofix_shows_its_output_on_every_flagged_example(check: type[Check]) -> None:
    fixed = [e for e in check.INVALID if e.fixed is not None]
    if hasattr(check, "autofix"):
        assert len(fixed) == len(check.INVALID), "a rule with an autofix states the fixed code of each example"
    else:
        assert fixed == [], "`fixed` on a rule without an autofix"


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.code)
def test_check_is_documented(check: type[Check]) -> None:
    doc = inspect.getdoc(check) or ""
    assert [s for s in SECTIONS if s not in doc] == []
    assert check.VALID and check.INVALID, "a check needs at least one good and one bad example"
    assert check.summary and check.name == check.name.lower()
    if check.category.value in {"secret", "phi"}:
        assert check.hipaa, "secret and PHI rules name the relevant HIPAA safeguard"


def test_registry_matches_modules() -> None:
    modules = {m.name for m in pkgutil.iter_modules(checks.domain.__path__)}
    assert modules == {c.__module__.rpartition(".")[2] for c in ALL_CHECKS}
    assert len(REGISTRY) == len(ALL_CHECKS), "check codes must be unique"
