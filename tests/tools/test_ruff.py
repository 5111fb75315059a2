from __future__ import annotations

from pathlib import Path

import pytest

from checks.finding import Category, Severity
from checks.registry import rule_for
from checks.tools import ToolFailure, ruff, run_adapter


def test_unused_import_and_undefined_name(tmp_path: Path, write) -> None:
    rel = write("clinic/views.py", """
        import os


        def view(request):
            return undefined_name
    """)
    result = run_adapter(ruff, tmp_path, [rel])
    by_rule = {f.rule_id: f for f in result.findings}
    f401 = by_rule["ruff:F401"]
    assert (f401.path, f401.start_line, f401.start_column, f401.tool) == ("clinic/views.py", 1, 8, "ruff")
    assert (f401.category, f401.severity) == (Category.QUALITY, Severity.LOW)
    assert f401.snippet == "import os"
    assert f401.help_uri and "unused-import" in f401.help_uri
    f821 = by_rule["ruff:F821"]
    assert (f821.start_line, f821.severity) == (5, Severity.MEDIUM)
    assert result.file_notes == []
    assert rule_for("ruff:F401") is not None


def test_bandit_codes_are_security_and_passwords_have_no_snippet(tmp_path: Path, write) -> None:
    rel = write("settings.py", 'password = "hunter2-not-a-real-secret"\n')
    result = run_adapter(ruff, tmp_path, [rel], {"select": ["S105"]})
    (f,) = result.findings
    assert (f.rule_id, f.category, f.snippet) == ("ruff:S105", Category.SECURITY, None)
    assert "hunter2" not in f.message


def test_syntax_error_is_a_note_not_a_finding(tmp_path: Path, write) -> None:
    bad = write("bad.py", "def f(:\n    pass\n")
    good = write("good.py", "import os\n")
    result = run_adapter(ruff, tmp_path, [bad, good], {"select": ["F", "E9"]})
    assert [f.rule_id for f in result.findings] == ["ruff:F401"]
    (note,) = result.file_notes
    assert (note.rule_id, note.path, note.tool) == ("WG007", "bad.py", "wardgate")
    assert "ruff" in note.message and "syntax error" in note.message


def test_invalid_option_is_a_tool_failure(tmp_path: Path, write) -> None:
    rel = write("a.py", "x = 1\n")
    with pytest.raises(ToolFailure) as exc:
        run_adapter(ruff, tmp_path, [rel], {"extra_args": ["--no-such-option"]})
    assert exc.value.tool == "ruff" and exc.value.exit_code == 2
