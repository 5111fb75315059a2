"""The same problem from two tools is one finding: most specific rule, highest severity, sources."""
from __future__ import annotations

from checks.finding import Category, Finding, Severity
from reports.aggregate import deduplicate


def _f(rule: str, tool: str, cat: Category, sev: Severity, line: int = 2) -> Finding:
    return Finding(rule_id=rule, category=cat, severity=sev, tool=tool, path="s.py", start_line=line,
                   end_line=line, message=rule)


def test_bandit_and_wardgate_secret_merge() -> None:
    (f,) = deduplicate([_f("bandit:B105", "bandit", Category.SECURITY, Severity.LOW),
                        _f("WG106", "wardgate", Category.SECRET, Severity.HIGH),
                        _f("ruff:S105", "ruff", Category.SECURITY, Severity.CRITICAL)])
    assert (f.rule_id, f.severity, f.sources) == ("WG106", Severity.CRITICAL, ["bandit:B105", "ruff:S105"])


def test_semgrep_outranks_ruff_and_bandit_codes_merge() -> None:
    (f,) = deduplicate([_f("ruff:S307", "ruff", Category.SECURITY, Severity.MEDIUM),
                        _f("bandit:B307", "bandit", Category.SECURITY, Severity.MEDIUM)])
    assert f.rule_id in ("ruff:S307", "bandit:B307") and len(f.sources) == 1
    (g,) = deduplicate([_f("bandit:B106", "bandit", Category.SECURITY, Severity.LOW),
                        _f("hardcoded-token", "semgrep", Category.SECRET, Severity.HIGH)])
    assert (g.rule_id, g.severity, g.sources) == ("hardcoded-token", Severity.HIGH, ["bandit:B106"])


def test_debug_true_is_one_finding_where_the_debug_pages_show_patient_data() -> None:
    """WG601 (semgrep: DEBUG = True) and WG512 (the served settings of a project with patient records) on one line."""
    (f,) = deduplicate([_f("WG601", "semgrep", Category.SECURITY, Severity.MEDIUM),
                        _f("WG512", "wardgate", Category.PHI, Severity.HIGH)])
    assert (f.rule_id, f.category, f.severity, f.sources) == ("WG512", Category.PHI, Severity.HIGH, ["WG601"])
    (alone,) = deduplicate([_f("WG601", "semgrep", Category.SECURITY, Severity.MEDIUM)])
    assert (alone.rule_id, alone.category) == ("WG601", Category.SECURITY)


def test_different_lines_or_problems_stay_apart() -> None:
    out = deduplicate([_f("bandit:B105", "bandit", Category.SECURITY, Severity.LOW, line=2),
                       _f("WG106", "wardgate", Category.SECRET, Severity.HIGH, line=3),
                       _f("ruff:F401", "ruff", Category.QUALITY, Severity.LOW, line=3),
                       _f("WG007", "wardgate", Category.WARDGATE, Severity.LOW, line=3),
                       _f("WG007", "wardgate", Category.WARDGATE, Severity.LOW, line=3)])
    assert len(out) == 5


def test_real_run_merges_bandit_b105_into_the_secret_rule(repo, wardgate) -> None:
    repo.write("clinic/settings.py", 'password = "hunter2hunter2"\n')
    code, report = wardgate("check", repo.root, "--no-llm")
    (f,) = [f for f in report["findings"] if f["start_line"] == 1]
    assert f["rule_id"].startswith("WG1") and "bandit:B105" in f["sources"] and code == 1
