"""ruff adapter: `ruff check --output-format json --exit-zero --no-cache FILES`.

ruff runs with `--isolated`: the scanned project's own ruff configuration (pyproject.toml, ruff.toml)
is not read, so it cannot ignore rules or files; the selection is wardgate's (`select`). It runs
with `--ignore-noqa`, and wardgate applies `# noqa` itself (comments.py): a `# noqa` never hides a
`security` (S) finding. Files are passed explicitly, so no `exclude` hides them. F401 is not reported
in a package's `__init__.py`, where importing a name re-exports it.

| ruff result                                                  | wardgate                                  |
|--------------------------------------------------------------|-------------------------------------------|
| any code `X123`                                              | rule_id `ruff:X123`, tool `ruff`          |
| flake8-bandit codes `S…`                                     | category `security`, severity `low`       |
| every other code                                             | category `quality`, severity `low`        |
| `F821 F811 F823 F631 F632 F701 F702 F704 F706 F707` (bugs)   | severity `medium`                         |
| syntax errors (`invalid-syntax`, `E999`), `E902` (I/O error) | no finding: one `WG007` note per file     |

Columns are ruff's 1-based columns; `help_uri` is the rule's page; ruff's rule name is kept in
`properties["name"]`. The snippet is read from the file, except for S105/S106/S107 (hardcoded
passwords), which carry no snippet: never print a secret.

Options (`[tool.wardgate.tools.ruff]`): `select` (list of codes or prefixes; `[]`: ruff's defaults), `extra_args` (list, appended before the files).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..finding import Category, Finding, Severity
from ..rulemeta import RuleMeta
from .base import ParseContext, ToolOutput, ToolResult, load_json, skipped_file

NAME = "ruff"
EXECUTABLE = "ruff"

#: pyflakes codes that are real bugs (undefined names, redefinitions, `is` with literals, misplaced
#: `break`/`return`…), not style.
BUG_CODES = frozenset({"F821", "F811", "F823", "F631", "F632", "F701", "F702", "F704", "F706", "F707"})
#: codes that mean "ruff could not read or parse this file"
_SKIP_CODES = frozenset({"E999", "E902", "invalid-syntax", "syntax-error"})
#: hardcoded-password codes: the flagged line holds the secret, so no snippet is copied
_SECRET_CODES = frozenset({"S105", "S106", "S107"})

RULES: tuple[RuleMeta, ...] = (
    RuleMeta(
        id="ruff:*", name="ruff", category=Category.QUALITY, severity=Severity.LOW, tool=NAME,
        summary="A ruff lint rule",
        doc="## What it does\nReports what the ruff linter found, with ruff's own rule code "
            "(`ruff:F401`).\n\n## Why is this bad?\nSee the rule's page in ruff's documentation "
            "(`ruff rule CODE`). pyflakes bugs (F821, F811, F823, F631, F632, F70x) are `medium`, "
            "flake8-bandit `S` codes are `security`, everything else is `quality`/`low`.\n\n"
            "## Example\n```python\nimport os  # ruff:F401, never used\n```\n\nUse instead:\n"
            "remove the import, or configure ruff in the project's pyproject.toml.",
        help_uri="https://docs.astral.sh/ruff/rules/",
    ),
)


def command(exe: str, files: Sequence[str], options: dict[str, Any]) -> list[str]:
    # --isolated: the scanned project's ruff config (select, ignore, per-file-ignores) cannot change
    # what wardgate sees; --ignore-noqa: wardgate applies noqa comments itself (comments.py).
    cmd = [exe, "check", "--output-format", "json", "--exit-zero", "--no-cache", "--isolated", "--ignore-noqa",
           # A package __init__ that imports names re-exports them: Python's convention, not dead code.
           "--per-file-ignores", "__init__.py:F401"]
    select = options.get("select")
    if select:
        cmd += ["--select", ",".join(select)]
    cmd += [str(a) for a in options.get("extra_args", ())]
    return [*cmd, "--", *files]


def parse(output: ToolOutput, ctx: ParseContext) -> ToolResult:
    # --exit-zero: any non-zero code is a crash (2: bad config or arguments)
    items = load_json(NAME, output, ok_codes=(0,))
    result = ToolResult()
    skipped: set[str] = set()
    for item in items:
        path = ctx.rel(item["filename"])
        code = item.get("code") or "invalid-syntax"
        loc, end = item.get("location") or {}, item.get("end_location") or {}
        line = int(loc.get("row") or 1)
        if code in _SKIP_CODES or item.get("name") == "invalid-syntax":
            if path not in skipped:
                skipped.add(path)
                reason = f"{'syntax error' if code != 'E902' else 'read error'}: {item.get('message', '')}"
                result.file_notes.append(skipped_file(NAME, path, f"{reason} (line {line})", line))
            continue
        end_line = max(line, int(end.get("row") or line))
        result.findings.append(Finding(
            rule_id=f"ruff:{code}", category=category_for(code), severity=severity_for(code), tool=NAME,
            path=path, start_line=line, end_line=end_line, message=item.get("message", code),
            start_column=loc.get("column"), end_column=end.get("column"), help_uri=item.get("url"),
            snippet=None if code in _SECRET_CODES else ctx.line_text(path, line, end_line),
            properties={"name": item.get("name")},
        ))
    return result


def category_for(code: str) -> Category:
    return Category.SECURITY if code.startswith("S") and code[1:].isdigit() else Category.QUALITY


def severity_for(code: str) -> Severity:
    return Severity.MEDIUM if code in BUG_CODES else Severity.LOW
