"""docs/rules/ is generated from the rules' own documentation and checked in: it must not drift.
`wardgate explain` shows each rule's documentation, the tools' own for ruff and bandit rules."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from checks.registry import all_rules, help_uri
from checks.rulemeta import DOCS_BASE, is_own
from wardgate.ruledocs import pages

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "rules"


def test_checked_in_pages_match_the_rules() -> None:
    expected = pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted(name for name in expected.keys() | on_disk.keys() if expected.get(name) != on_disk.get(name))
    assert stale == [], f"docs/rules/ is out of date ({stale[:5]}): run `python -m wardgate.ruledocs`"


def test_every_own_rule_links_to_its_page() -> None:
    own = [rule_id for rule_id in all_rules() if is_own(rule_id)]
    assert len(own) >= 30
    for rule_id in own:
        assert help_uri(rule_id) == f"{DOCS_BASE}/{rule_id}.md"
        assert (DOCS / f"{rule_id}.md").is_file()


def explain(rule: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wardgate", "explain", rule], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize(("typed", "expected"), [
    ("wg101", "## Why is this bad?"),
    ("WG601", "semgrep reports: DEBUG is hard-coded to True"),  # wardgate's semgrep rule: its message
    ("ruff:f401", "# unused-import (F401)"),  # `ruff rule F401`
    ("Bandit:b608", "B608: Test for SQL injection"),  # bandit's plugin documentation
    ("bandit:B301", "Pickle and modules that wrap it"),  # a blacklisted call: the blacklist's section
])
def test_explain_any_case_shows_the_rules_own_documentation(typed: str, expected: str) -> None:
    proc = explain(typed)
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout
    assert "shell=True" not in proc.stdout or typed.lower().startswith("bandit:b60")


def test_explain_unknown_rule_exits_2() -> None:
    proc = explain("WG999")
    assert proc.returncode == 2 and "unknown rule" in proc.stderr
