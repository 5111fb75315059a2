from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from checks.finding import Category, Confidence, Severity
from checks.tools import ToolFailure, bandit, run_adapter

SOURCE = """
    import subprocess


    def run(cmd, patient_id, cursor):
        subprocess.call(cmd, shell=True)
        cursor.execute("SELECT * FROM patient WHERE id = %s" % patient_id)
        assert patient_id
"""


def test_shell_and_sql_injection(tmp_path: Path, write) -> None:
    rel = write("clinic/db.py", SOURCE)
    result = run_adapter(bandit, tmp_path, [rel])
    by_rule = {f.rule_id: f for f in result.findings}
    b602 = by_rule["bandit:B602"]
    assert (b602.path, b602.start_line, b602.start_column) == ("clinic/db.py", 5, 5)
    assert (b602.category, b602.severity, b602.confidence, b602.cwe) == (
        Category.SECURITY, Severity.HIGH, Confidence.HIGH, 78)
    assert b602.snippet == "    subprocess.call(cmd, shell=True)"
    assert b602.help_uri and "b602" in b602.help_uri
    b608 = by_rule["bandit:B608"]
    assert (b608.start_line, b608.cwe) == (6, 89)
    assert by_rule["bandit:B101"].severity is Severity.INFO
    assert result.file_notes == []


@pytest.mark.parametrize(("severity", "confidence", "expected"), [
    ("HIGH", "HIGH", Severity.HIGH), ("HIGH", "LOW", Severity.MEDIUM), ("MEDIUM", "MEDIUM", Severity.MEDIUM),
    ("MEDIUM", "LOW", Severity.LOW), ("LOW", "HIGH", Severity.LOW), ("LOW", "LOW", Severity.INFO),
])
def test_severity_mapping(severity: str, confidence: str, expected: Severity) -> None:
    assert bandit.severity_for("B602", severity, confidence) is expected


def test_hardcoded_password_is_masked(tmp_path: Path, write) -> None:
    secret = "Zx9-hunter2-clinic-db"
    rel = write("settings.py", f"""
        DB_PASSWORD = "{secret}"


        def connect(password="{secret}"):
            return login(password="{secret}")
    """)
    result = run_adapter(bandit, tmp_path, [rel])
    found = {f.rule_id for f in result.findings}
    assert {"bandit:B105", "bandit:B106", "bandit:B107"} <= found
    for f in result.findings:
        assert secret not in f.model_dump_json()
        if f.rule_id in {"bandit:B105", "bandit:B106", "bandit:B107"}:
            assert f.snippet is None
            assert "(21 chars)" in f.message


def test_mask_password_message_keeps_prefix() -> None:
    assert bandit.mask_password_message("Possible hardcoded password: 'it''s'") .startswith(
        "Possible hardcoded password: '")
    assert "hunter" not in bandit.mask_password_message("Possible hardcoded password: 'hunter2'")
    assert bandit.mask_password_message("odd") == "Possible hardcoded password (value masked)"


def test_syntax_error_is_a_note(tmp_path: Path, write) -> None:
    bad = write("bad.py", "def f(:\n    pass\n")
    good = write("good.py", "import subprocess\nsubprocess.call('ls', shell=True)\n")
    result = run_adapter(bandit, tmp_path, [bad, good])
    (note,) = result.file_notes
    assert (note.rule_id, note.path) == ("WG007", "bad.py")
    assert "bandit" in note.message
    assert {f.path for f in result.findings} == {"good.py"}


def test_skip_option(tmp_path: Path, write) -> None:
    rel = write("a.py", SOURCE)
    result = run_adapter(bandit, tmp_path, [rel], {"skip": ["B101", "B404"]})
    assert not {"bandit:B101", "bandit:B404"} & {f.rule_id for f in result.findings}


def test_invalid_option_is_a_tool_failure(tmp_path: Path, write) -> None:
    rel = write("a.py", "x = 1\n")
    with pytest.raises(ToolFailure) as exc:
        run_adapter(bandit, tmp_path, [rel], {"extra_args": ["--no-such-option"]})
    assert exc.value.tool == "bandit" and exc.value.exit_code == 2


def test_missing_executable_is_a_tool_failure(tmp_path: Path, write, monkeypatch) -> None:
    rel = write("a.py", "x = 1\n")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    missing = SimpleNamespace(NAME="bandit", EXECUTABLE="no-such-bandit", RULES=())  # not in wardgate's env either
    with pytest.raises(ToolFailure, match="not found next to wardgate's Python .* or on PATH"):
        run_adapter(missing, tmp_path, [rel])
