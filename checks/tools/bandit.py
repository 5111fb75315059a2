"""bandit adapter: `bandit -f json -q FILES` (exit 0 = no issues, 1 = issues found).

| bandit result                                   | wardgate                                              |
|-------------------------------------------------|-------------------------------------------------------|
| test `B608`                                     | rule_id `bandit:B608`, category `security`            |
| issue_severity HIGH / MEDIUM / LOW / UNDEFINED  | severity `high` / `medium` / `low` / `low`            |
| issue_confidence LOW                            | severity one step lower (high->medium->low->info)     |
| `B101` (assert used)                            | severity `info`                                       |
| issue_confidence                                | `confidence` (high / medium / low)                    |
| issue_cwe.id, more_info                         | `cwe`, `help_uri`                                     |
| `errors[]` (a file bandit cannot parse)         | no finding: a `WG007` note for that file              |

Lines and columns: `line_range` gives start/end line, `col_offset` (0-based) becomes a 1-based
column. The snippet is read from the flagged lines of the file itself, not from bandit's `code`
(which adds a line of context on each side).

Secrets: B105/B106/B107 (hardcoded password string / argument / default) put the password in
their message; wardgate masks it with `checks.masking.mask` and copies no snippet for them.

Options (`[tool.wardgate.tools.bandit]`): `skip` (list of test ids, passed as `--skip`),
`extra_args` (list, appended before the files). `# nosec` is not honoured by bandit (`--ignore-nosec`):
see comments.py. The project's `[tool.bandit]` is never read (no `-c`), nor `.bandit` (files are
passed explicitly, and bandit only looks for `.bandit` in folders).

Schema-only migrations (schema_migrations.py) are not passed to bandit unless `extra_args` are set:
bandit provably reports nothing on them, and they are half its time on a typical project.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..finding import Category, Confidence, Finding, Severity
from ..masking import mask
from ..rulemeta import RuleMeta
from .base import (
    DEFAULT_TIMEOUT,
    ParseContext,
    ToolFailure,
    ToolOutput,
    ToolResult,
    execute,
    first_lines,
    load_json,
    skipped_file,
)
from .schema_migrations import bandit_files

NAME = "bandit"
EXECUTABLE = "bandit"

PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})
_SEVERITY = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}
_LOWER = {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW,
          Severity.LOW: Severity.INFO, Severity.INFO: Severity.INFO}
_CONFIDENCE = {"HIGH": Confidence.HIGH, "MEDIUM": Confidence.MEDIUM, "LOW": Confidence.LOW}
# "Possible hardcoded password: 'hunter2'" -> prefix + the repr of the literal
_PASSWORD_MESSAGE = re.compile(r"^(?P<prefix>.*?:\s*)(?P<literal>(?P<q>['\"]).*(?P=q))\s*$", re.DOTALL)

RULES: tuple[RuleMeta, ...] = (
    RuleMeta(
        id="bandit:*", name="bandit", category=Category.SECURITY, severity=Severity.MEDIUM, tool=NAME,
        summary="A bandit security test",
        doc="## What it does\nReports what the bandit security linter found, with bandit's test id "
            "(`bandit:B608`).\n\n## Why is this bad?\nSee the test's page in bandit's documentation "
            "(the finding's help link). Severity follows bandit's, one step lower when bandit's "
            "confidence is low; `B101` (assert) is `info`. Hardcoded passwords (B105-B107) are masked.\n\n"
            "## Example\n```python\nsubprocess.call(cmd, shell=True)  # bandit:B602\n```\n\n"
            "Use instead:\n```python\nsubprocess.call([\"ls\", path])\n```",
        help_uri="https://bandit.readthedocs.io/en/latest/plugins/index.html",
    ),
)


def command(exe: str, files: Sequence[str], options: dict[str, Any]) -> list[str]:
    # --ignore-nosec: wardgate applies `# nosec` itself (comments.py), and never to a security finding
    # without a reasoned wardgate suppression. Files are passed one by one, so no `.bandit` is read.
    cmd = [exe, "-f", "json", "-q", "--ignore-nosec"]
    skip = options.get("skip")
    if skip:
        cmd += ["--skip", ",".join(skip)]
    cmd += [str(a) for a in options.get("extra_args", ())]
    return [*cmd, "--", *files]


def run(exe: str, root: Path, files: Sequence[str], options: dict[str, Any],
          timeout: float = DEFAULT_TIMEOUT, niceness: int = 0) -> ToolResult:
    """bandit on `files` less the schema-only migrations (with `extra_args`, which may add tests: on all)."""
    files = list(files) if options.get("extra_args") else bandit_files(root, files)
    if not files:
        return ToolResult()
    return parse(execute(NAME, command(exe, files, options), root, timeout, niceness),
                 ParseContext(root=root, files=tuple(files), options=options))


def parse(output: ToolOutput, ctx: ParseContext) -> ToolResult:
    report = load_json(NAME, output, ok_codes=(0, 1))
    if not isinstance(report, dict) or "results" not in report:
        raise ToolFailure(NAME, f"printed JSON that is not a bandit report: {first_lines(output.stderr)}",
                          output.returncode)
    result = ToolResult()
    for err in report.get("errors", ()):
        path = ctx.rel(err.get("filename", "?"))
        result.file_notes.append(skipped_file(NAME, path, str(err.get("reason", "unknown error"))))
    for item in report["results"]:
        result.findings.append(_finding(item, ctx))
    return result


def _finding(item: dict[str, Any], ctx: ParseContext) -> Finding:
    test_id = str(item.get("test_id", "B000"))
    path = ctx.rel(item["filename"])
    lines = [int(n) for n in item.get("line_range") or [item.get("line_number", 1)]]
    start, end = max(1, min(lines)), max(1, max(lines))
    message = str(item.get("issue_text", test_id))
    snippet: str | None = ctx.line_text(path, start, end)
    if test_id in PASSWORD_TESTS:
        message, snippet = mask_password_message(message), None
    col = item.get("col_offset")
    end_col = item.get("end_col_offset")
    cwe = (item.get("issue_cwe") or {}).get("id")
    return Finding(
        rule_id=f"bandit:{test_id}", category=Category.SECURITY,
        severity=severity_for(test_id, str(item.get("issue_severity")), str(item.get("issue_confidence"))),
        tool=NAME, path=path, start_line=start, end_line=end, message=message,
        start_column=col + 1 if isinstance(col, int) else None,
        end_column=end_col + 1 if isinstance(end_col, int) and start == end else None,
        cwe=cwe if isinstance(cwe, int) and cwe > 0 else None, help_uri=item.get("more_info"),
        snippet=snippet, confidence=_CONFIDENCE.get(str(item.get("issue_confidence")).upper()),
        properties={"name": item.get("test_name")},
    )


def severity_for(test_id: str, severity: str, confidence: str) -> Severity:
    if test_id == "B101":
        return Severity.INFO
    mapped = _SEVERITY.get(severity.upper(), Severity.LOW)
    return _LOWER[mapped] if confidence.upper() == "LOW" else mapped


def mask_password_message(message: str) -> str:
    """`Possible hardcoded password: 'hunter2'` -> `Possible hardcoded password: '…(7 chars)'`."""
    m = _PASSWORD_MESSAGE.match(message)
    if m is None:
        return "Possible hardcoded password (value masked)"
    try:
        value = ast.literal_eval(m["literal"])
    except (ValueError, SyntaxError):
        value = m["literal"][1:-1]
    return f"{m['prefix']}'{mask(str(value))}'"
