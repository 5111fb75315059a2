"""Files written for Python 3.12+ (PEP 695 type parameters, PEP 758 except clauses) are read by the AST checks
through a rewrite that keeps every line in place; bandit and radon still skip them, and WG006 says so."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from checks import registry
from checks.engine import run_checks
from checks.facts import COLLECTORS
from checks.newer_syntax import rewrite
from checks.vocabulary import Vocabulary

NEWER = '''\
type PatientId = int
type Pair[T] = tuple[T, T]


class Repository[ModelType: object](dict[str, ModelType]):
    def first[T](self, items: list[T]) -> T:
        try:
            return items[0]
        except IndexError, KeyError:
            raise
        try:
            return items[1]
        except* ValueError, TypeError as group:
            raise group

SECRET_KEY = "v3ry-r3al-l00king-s3cret-k3y-9f8a7s6d5f4g3h2j1k0l"
'''


def test_rewrite_keeps_every_line_where_it_was() -> None:
    result = rewrite(NEWER)
    assert result is not None
    text, kinds = result
    assert kinds == ["PEP 695 type parameters", "PEP 695 type statements", "PEP 758 except clauses"]
    assert text.count("\n") == NEWER.count("\n")
    tree = ast.parse(text)
    secret = next(n for n in ast.walk(tree) if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "SECRET_KEY")
    assert secret.lineno == 16
    handlers = [n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)]
    assert [ast.unparse(h.type) for h in handlers if h.type] == ["(IndexError, KeyError)", "(ValueError, TypeError)"]
    assert [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)] == ["Repository"]


@pytest.mark.parametrize("source", [
    "x = f'{'nested'}'\n",  # PEP 701 f-string: not rewritten
    "def f[\n    T,\n](x): pass\n",  # type parameters over several lines: not rewritten
    "def broken(:\n",  # a real syntax error
    "type = 3\ntype(x)\n",  # `type` as a plain name is valid 3.11 and left alone
    "try:\n    f()\nexcept IOError, e:\n    log(e)\n",  # Python 2 binding `e`, not PEP 758: python2_syntax's
    "try:\n    f()\nexcept socket.error, exc:\n    log(exc)\n",
])
def test_what_cannot_or_need_not_be_rewritten_is_left_alone(source: str) -> None:
    assert rewrite(source) is None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="these files parse natively on 3.12+")
def test_the_checks_read_newer_files_and_wg006_says_what_was_skipped(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "settings.py").write_text(NEWER)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = run_checks(tmp_path, ["proj/settings.py"], vocab=Vocabulary(), checks=registry.ALL_CHECKS,
                        collectors=COLLECTORS, jobs=1)
    assert [(f.rule_id, f.start_line) for f in result.findings if f.rule_id == "WG101"] == [("WG101", 16)]
    assert result.newer_syntax == ["proj/settings.py"] and result.parsed == ["proj/settings.py"]
    (problem,) = result.file_problems
    assert problem.rule_id == "WG006" and "rewritten in place" in problem.message
    assert "bandit and radon skipped" in problem.message
