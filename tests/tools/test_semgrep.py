from __future__ import annotations

import time
from pathlib import Path

import pytest

from checks.finding import Category, Confidence, Severity
from checks.tools import ToolFailure, run_adapter, semgrep

FIXTURES = Path(__file__).parent / "fixtures"

RULES = FIXTURES / "rules"
SOURCE = """
    import subprocess


    def export(cmd):
        subprocess.call(cmd, shell=True)
        return eval(cmd)
"""


def test_own_rule_finding(tmp_path: Path, write) -> None:
    rel = write("clinic/export.py", SOURCE)
    result = run_adapter(semgrep, tmp_path, [rel], {"rules_dir": str(RULES)})
    (f,) = result.findings
    assert (f.rule_id, f.tool, f.path, f.start_line, f.end_line, f.start_column) == (
        "WG999", "semgrep", "clinic/export.py", 5, 5, 5)
    assert (f.category, f.severity, f.cwe, f.confidence) == (
        Category.SECURITY, Severity.HIGH, 78, Confidence.MEDIUM)
    assert f.snippet == "    subprocess.call(cmd, shell=True)"  # read from the file, not "requires login"
    assert f.message == "subprocess called with shell=True"
    assert result.file_notes == []


def test_extra_rules(tmp_path: Path, write) -> None:
    rel = write("a.py", SOURCE)
    result = run_adapter(semgrep, tmp_path, [rel],
                         {"rules_dir": str(RULES), "extra_rules": [str(FIXTURES / "extra")]})
    by_rule = {f.rule_id: f for f in result.findings}
    assert set(by_rule) == {"WG999", "semgrep:no-eval"}
    extra = by_rule["semgrep:no-eval"]
    assert (extra.category, extra.severity, extra.start_line) == (Category.QUALITY, Severity.HIGH, 6)


def test_rule_metadata() -> None:
    (meta,) = (semgrep.rule_meta(r) for r in semgrep.own_rules(RULES).values())
    assert (meta.id, meta.category, meta.severity, meta.cwe, meta.summary) == (
        "WG999", Category.SECURITY, Severity.HIGH, 78, "Shell command built by the caller")
    assert any(m.id == "semgrep:*" for m in semgrep.RULES)


def test_mapping_helpers() -> None:
    assert semgrep.category_for({"category": "phi"}) is Category.PHI
    assert semgrep.category_for({"category": "injection"}) is Category.SECURITY
    assert semgrep.category_for({}) is Category.SECURITY
    assert semgrep.severity_for({}, "ERROR") is Severity.HIGH
    assert semgrep.severity_for({}, "WARNING") is Severity.MEDIUM
    assert semgrep.severity_for({}, "INFO") is Severity.LOW
    assert semgrep.severity_for({"wardgate-severity": "critical"}, "INFO") is Severity.CRITICAL
    assert semgrep.cwe_of(["CWE-532: Insertion of Sensitive Information into Log File"]) == 532


def test_partial_parse_is_a_note(tmp_path: Path, write) -> None:
    rel = write("bad.py", "import subprocess\nsubprocess.call(x, shell=True)\nx = = = ((\nclass\n")
    result = run_adapter(semgrep, tmp_path, [rel], {"rules_dir": str(RULES)})
    (note,) = result.file_notes
    assert (note.rule_id, note.path, note.start_line) == ("WG007", "bad.py", 3)
    assert "semgrep" in note.message


def test_missing_config_is_a_tool_failure(tmp_path: Path, write) -> None:
    rel = write("a.py", SOURCE)
    with pytest.raises(ToolFailure, match="extra_rules"):
        run_adapter(semgrep, tmp_path, [rel],
                    {"rules_dir": str(RULES), "extra_rules": [str(tmp_path / "no")]})


def test_crash_is_a_tool_failure(tmp_path: Path, write) -> None:
    rel = write("a.py", SOURCE)
    with pytest.raises(ToolFailure) as exc:
        run_adapter(semgrep, tmp_path, [rel], {"rules_dir": str(RULES), "extra_args": ["--no-such-option"]})
    assert exc.value.tool == "semgrep" and exc.value.exit_code not in (0, 1)


def test_no_rules_skips_semgrep(tmp_path: Path, write) -> None:
    rel = write("a.py", SOURCE)
    (tmp_path / "empty-rules").mkdir()
    assert run_adapter(semgrep, tmp_path, [rel], {"rules_dir": str(tmp_path / "empty-rules")}).findings == []


@pytest.mark.slow
def test_experimental_cli_matches_python_cli(tmp_path: Path, write) -> None:
    files = [write("a.py", SOURCE), write("pkg/b.py", SOURCE.replace("cmd", "command")),
             write("bad.py", "import subprocess\nsubprocess.call(x, shell=True)\nx = = = ((\n")]
    options = {"rules_dir": str(RULES), "extra_rules": [str(FIXTURES / "extra")]}
    start = time.perf_counter()
    fast = run_adapter(semgrep, tmp_path, files, {**options, "experimental": True})
    middle = time.perf_counter()
    slow = run_adapter(semgrep, tmp_path, files, {**options, "experimental": False})
    assert len(fast.findings) == 5
    # properties["check_id"] differs (the Python CLI prefixes the config's absolute path): not compared
    assert sorted(_key(f) for f in fast.findings) == sorted(_key(f) for f in slow.findings)
    assert [n.model_dump() for n in fast.file_notes] == [n.model_dump() for n in slow.file_notes]
    assert middle - start < time.perf_counter() - middle


def _key(f) -> str:
    return f.model_copy(update={"properties": {}}).model_dump_json()
