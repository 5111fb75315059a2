"""Files still written in Python 2 are read by the AST checks through a rewrite that keeps every line in place;
the tools, which parse Python 3, skip them, and WG016 says so."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from checks.python2_syntax import rewrite

LEGACY = '''\
import logging
from clinic.models import Patient
log = logging.getLogger(__name__)


def show(pk):
\tpatient = Patient.objects.get(pk=pk)
        print "admitted", patient.nhs_number
\ttry:
\t    log.info("seen %s" % patient.full_name)
\texcept Exception, e:
\t    raise ValueError, "no such patient"
\tif pk <> 0L:
\t    return `patient`
'''
MODELS = '''\
from django.db import models


class Patient(models.Model):
    full_name = models.CharField(max_length=80)
    nhs_number = models.CharField(max_length=10)
'''


def test_rewrite_keeps_every_line_where_it_was() -> None:
    text = rewrite(LEGACY)
    assert text is not None and text.count("\n") == LEGACY.count("\n")
    tree = ast.parse(text)
    calls = {ast.unparse(n.func): n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert calls["print"] == 8 and calls["log.info"] == 10 and calls["repr"] == 14
    handler = next(n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler))
    assert (handler.lineno, handler.name) == (11, "e")
    assert next(n for n in ast.walk(tree) if isinstance(n, ast.Raise)).lineno == 12


def test_a_file_without_a_final_newline_is_read() -> None:
    assert rewrite('print "x"') == 'print("x")\n'


@pytest.mark.parametrize("source", [
    "def broken(:\n",  # a real syntax error in either language
    "print( 'a'.format( )\n    1)\n",  # broken in Python 2 as well
    "x = f'{'nested'}'\n",  # newer Python 3, not Python 2
])
def test_what_is_not_python2_is_left_alone(source: str) -> None:
    assert rewrite(source) is None


def test_a_python2_file_is_checked_and_reported_once(tmp_path: Path) -> None:
    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic" / "__init__.py").write_text("")
    (tmp_path / "clinic" / "models.py").write_text(MODELS)
    (tmp_path / "clinic" / "tasks.py").write_text(LEGACY)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--format", "json"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    in_legacy = [(f["rule_id"], f["start_line"]) for f in report["findings"] if f["path"] == "clinic/tasks.py"]
    assert ("WG501", 8) in in_legacy and ("WG501", 10) in in_legacy  # the PHI checks read the Python 2 file
    assert [r for r, _ in in_legacy if r.startswith("WG0")] == ["WG016"]  # reported once, not as unparsable
    assert all(not r.startswith(("ruff:", "bandit:", "radon:", "semgrep:")) for r, _ in in_legacy)
    assert report["stats"]["files_not_analysed"] == 0


def test_a_python2_except_clause_binds_its_name(tmp_path: Path) -> None:
    """`except IOError, e:` alone (no print statement) is Python 2: the handler binds `e`; it does not catch a
    class called `e`, as Python 3.14's unparenthesised `except A, B:` would (WG016, not WG006)."""
    from checks.source import SourceFile, load_source

    (tmp_path / "legacy.py").write_text("try:\n    f()\nexcept IOError, e:\n    log(e)\n")
    src = load_source(tmp_path, "legacy.py")
    assert isinstance(src, SourceFile) and src.python2 and not src.rewritten and src.tree is not None
    handler = next(n for n in ast.walk(src.tree) if isinstance(n, ast.ExceptHandler))
    assert handler.name == "e" and handler.type is not None and ast.unparse(handler.type) == "IOError"
