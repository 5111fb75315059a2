"""Every suppression edge case: inline (same line, line above, several ids, `--` reason),
reasons for medical rules, unknown ids, expired and unused config entries."""
from __future__ import annotations

from datetime import date

import pytest

from checks.finding import Category, Finding, Severity
from reports.suppress import apply, parse_comments
from wardgate.config import SuppressionEntry


def _f(rule: str = "bandit:B307", line: int = 3, cat: Category = Category.SECURITY, **kw: object) -> Finding:
    return Finding(rule_id=rule, category=cat, severity=Severity.HIGH, tool=rule.partition(":")[0] or "wardgate",
                   path="app.py", start_line=line, end_line=line, message="m", **kw)


def _run(text: str, findings: list[Finding], entries: tuple[SuppressionEntry, ...] = (), **kw: object) -> list[Finding]:
    return apply(findings, read_text=lambda rel: text, files=["app.py"], entries=entries,
                 config_path="wardgate.toml", today=date(2025, 6, 1), **kw)


def _problems(out: list[Finding]) -> list[tuple[str, int]]:
    return [(f.rule_id, f.start_line) for f in out if f.category is Category.WARDGATE]


def test_same_line_with_reason() -> None:
    text = "a = 1\nb = 2\nx = eval(s)  # wardgate: ignore[bandit:B307] trusted admin input\n"
    (f,) = _run(text, [_f()])
    assert f.suppression is not None and f.suppression.justification == "trusted admin input"
    assert f.suppression.kind == "inline" and f.suppression.source == "app.py:3"


def test_line_above_and_dash_reason_and_several_ids() -> None:
    text = "a = 1\n# wardgate: ignore[ruff:F401, bandit:B307] -- reviewed (CLIN-42)\nx = eval(s)\n"
    out = _run(text, [_f()])
    assert out[0].suppression is not None and out[0].suppression.justification == "reviewed (CLIN-42)"
    assert _problems(out) == [("WG011", 2)]  # ruff:F401 matched nothing


def test_comment_two_lines_above_does_not_apply() -> None:
    text = "# wardgate: ignore[bandit:B307] no\n\nx = eval(s)\n"
    out = _run(text, [_f()])
    assert out[0].suppression is None and _problems(out) == [("WG011", 1)]


def test_text_inside_a_string_is_not_a_suppression() -> None:
    text = 'a = 1\nb = 2\nx = eval("# wardgate: ignore[bandit:B307] no")\n'
    out = _run(text, [_f()])
    assert out[0].suppression is None and _problems(out) == []


def test_medical_rule_needs_a_reason() -> None:
    text = "a = 1\nb = 2\nPASSWORD = 'x'  # wardgate: ignore[WG106]\n"
    out = _run(text, [_f("WG106", cat=Category.SECRET)])
    assert out[0].suppression is None
    assert _problems(out) == [("WG008", 3)]


def test_non_medical_rule_without_reason_is_accepted() -> None:
    text = "a = 1\nb = 2\nx = eval(s)  # wardgate: ignore[bandit:B307]\n"
    out = _run(text, [_f()])
    assert out[0].suppression is not None and _problems(out) == []


def test_unknown_rule_and_bare_ignore() -> None:
    text = "a = 1  # wardgate: ignore\nb = 2\nx = eval(s)  # wardgate: ignore[WG9999] typo\n"
    out = _run(text, [_f()])
    assert out[0].suppression is None
    assert sorted(_problems(out)) == [("WG009", 1), ("WG009", 3)]


def test_merged_source_id_suppresses_the_merged_finding() -> None:
    text = "a = 1\nb = 2\nx = 1  # wardgate: ignore[bandit:B105] -- test fixture, not a real key\n"
    out = _run(text, [_f("WG106", cat=Category.SECRET, sources=["bandit:B105"])])
    assert out[0].suppression is not None


def test_config_entry_with_reason_and_glob() -> None:
    entries = (SuppressionEntry(rule="bandit:B307", path="*.py", reason="sandboxed"),)
    out = _run("", [_f()], entries)
    assert out[0].suppression is not None and out[0].suppression.kind == "config"
    assert _problems(out) == []


def test_config_entry_path_has_gitignore_semantics() -> None:
    nested = _f().model_copy(update={"path": "ward/legacy/billing.py"})
    suppressed = [SuppressionEntry(rule="bandit:B307", path=p, reason="frozen") for p in ("legacy", "billing.py")]
    for entry in suppressed:
        assert _run("", [nested], (entry,))[0].suppression is not None, entry.path
    for path in ("/legacy", "ward/legacy/[0-9]*.py"):
        entry = SuppressionEntry(rule="bandit:B307", path=path, reason="frozen")
        assert _run("", [nested], (entry,))[0].suppression is None, path


def test_config_entry_expired_does_not_apply() -> None:
    entries = (SuppressionEntry(rule="bandit:B307", path="**", reason="r", expires=date(2025, 1, 1)),)
    out = _run("", [_f()], entries, config_text='[[suppressions]]\nrule = "bandit:B307"\n')
    assert out[0].suppression is None and _problems(out) == [("WG010", 2)]


def test_config_entry_not_expired_applies() -> None:
    entries = (SuppressionEntry(rule="bandit:B307", reason="r", expires=date(2025, 12, 31)),)
    assert _run("", [_f()], entries)[0].suppression is not None


def test_config_entry_unknown_unused_and_no_reason() -> None:
    entries = (SuppressionEntry(rule="WG9999", reason="r"),
               SuppressionEntry(rule="bandit:B101", path="tests/**", reason="asserts in tests"),
               SuppressionEntry(rule="WG106", path="**"))
    out = _run("", [_f(), _f("WG106", line=5, cat=Category.SECRET)], entries)
    assert all(f.suppression is None for f in out if f.category is not Category.WARDGATE)
    assert sorted(r for r, _ in _problems(out)) == ["WG008", "WG009", "WG011"]


def test_unused_config_entry_not_reported_in_partial_runs() -> None:
    entries = (SuppressionEntry(rule="bandit:B101", reason="r"),)
    assert _problems(_run("", [], entries, partial=True)) == []


@pytest.mark.parametrize("comment", ["# wardgate: ignore[WG101] -- why", "#wardgate:ignore[WG101] why"])
def test_parse_comment_forms(comment: str) -> None:
    (c,) = parse_comments("a.py", f"x = 1  {comment}\n")
    assert c.ids == ["WG101"] and c.reason == "why" and not c.own_line


def test_end_to_end_inline_and_config(repo, wardgate) -> None:
    repo.write("wardgate.toml", '[tools.semgrep]\nenabled = false\n[tools.radon]\nenabled = false\n'
               '[[suppressions]]\nrule = "bandit:B307"\npath = "legacy/**"\nreason = "frozen module"\n')
    repo.write("app.py", 'import subprocess\n\ndef f(s):\n    return eval(s)  # wardgate: ignore[bandit:B307] -- admin\n')
    repo.write("legacy/old.py", "def g(s):\n    return eval(s)\n")
    repo.commit()
    _code, report = wardgate("check", repo.root, "--no-llm", "--fail-on", "medium")
    sup = {f["path"]: f["suppression"] for f in report["findings"] if f["rule_id"] == "bandit:B307"}
    assert sup["app.py"]["justification"] == "admin" and sup["legacy/old.py"]["kind"] == "config"
    assert not any(f["rule_id"].startswith("WG01") for f in report["findings"])
