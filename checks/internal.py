"""wardgate's own problems (category `wardgate`): files it could not analyse, tools that skipped files.

They are findings, not log lines, so that a file never vanishes silently from the report.
"""
from __future__ import annotations

from .finding import Category, Severity
from .rulemeta import RuleMeta

_DOC = """## What it does
{what}

## Why is this bad?
A file that was not analysed is a file whose problems nobody saw. wardgate reports it so the
gate never passes silently over code it could not read.

## Example
{example}

Use instead:
{instead}
"""


def _rule(code: str, name: str, severity: Severity, summary: str, what: str, example: str, instead: str) -> RuleMeta:
    return RuleMeta(id=code, name=name, category=Category.WARDGATE, severity=severity, tool="wardgate",
                    summary=summary, doc=_DOC.format(what=what, example=example, instead=instead))


INTERNAL_RULES: tuple[RuleMeta, ...] = (
    _rule("WG001", "unreadable-file", Severity.MEDIUM, "File could not be read",
          "Reports a file that could not be read (permissions, broken link, I/O error).",
          "`clinic/views.py` is a dangling symlink.", "Fix the file or exclude it in `[tool.wardgate] exclude`."),
    _rule("WG002", "binary-python-file", Severity.MEDIUM, "Binary content in a .py file",
          "Reports a `.py` file with NUL bytes: a compiled or corrupted file under a source name.",
          "A `.pyc` renamed to `.py`.", "Remove it from the tree or exclude it."),
    _rule("WG003", "not-utf8", Severity.MEDIUM, "File is not valid UTF-8",
          "Reports a file that is neither UTF-8 nor has a valid PEP 263 coding declaration.",
          "A Latin-1 file with `é` and no `# -*- coding: latin-1 -*-` line.",
          "Re-save the file as UTF-8 (or declare its encoding)."),
    _rule("WG004", "file-too-large", Severity.MEDIUM, "File is larger than max_file_size",
          "Reports a file above `max_file_size` (default 1,000,000 bytes), typically generated code.",
          "A 5 MB generated protobuf module.", "Exclude generated files, or raise `max_file_size`."),
    _rule("WG005", "syntax-error", Severity.HIGH, "Python syntax error: file not analysed",
          "Reports a file that no Python parser accepts (neither the stdlib `ast` nor libcst).",
          "`def f(:`", "Fix the syntax error; the file is then analysed as usual."),
    _rule("WG006", "newer-python-syntax", Severity.LOW, "Some tools skipped a file with newer Python syntax",
          "Reports a file that libcst, ruff and semgrep parse but the interpreter running wardgate "
          "does not (e.g. Python 3.12 `type` statements on 3.11): wardgate's AST checks, bandit and radon "
          "skipped it.", "`type Vector = list[float]` analysed by wardgate on Python 3.11.",
          "Run wardgate with the Python version the project targets."),
    _rule("WG007", "tool-skipped-file", Severity.LOW, "An external tool could not analyse a file",
          "Reports a file that one external tool (ruff, bandit, radon or semgrep) failed on while the "
          "others analysed it.", "semgrep times out on one very long file.",
          "Read the message: it names the tool and its error."),
)
