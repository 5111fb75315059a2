"""Suppressions: inline `# wardgate: ignore[RULE_ID] reason` comments and config entries.

A comment applies to a finding that starts on its line, or, when the comment stands on a line of
its own, on the next line. Several ids may be given comma-separated; the reason may follow
`--`. An id matches a finding's rule or any of its merged `sources`. Problems with suppressions
are findings themselves (WG008-WG011, category `wardgate`):

- WG008: no reason for a medical-category rule (the suppression does not apply);
- WG009: a bare `ignore` or an unknown rule id;
- WG010: an expired config entry (it does not apply);
- WG011: a suppression that matches nothing;
- WG014: a tool's own comment (`# noqa`, `# nosec`, `# nosemgrep`, see checks/tools/comments.py)
  on a medical or security finding that no wardgate suppression explains (the finding stands).
Suppressed findings stay in the report with their justification; they never fail the gate.
"""
from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from checks.finding import Category, Finding, Severity, Suppression
from checks.pathmatch import path_matches
from checks.registry import rule_for

IGNORE = re.compile(r"#\s*wardgate:\s*ignore\b(?:\[(?P<ids>[^\]]*)\])?(?P<rest>.*)$")
NO_REASON = "(no reason given)"


@dataclass
class Comment:
    path: str
    line: int
    own_line: bool
    ids: list[str]
    reason: str
    used: set[str] = field(default_factory=set)


def parse_comments(path: str, text: str) -> list[Comment]:
    """The suppression comments of one file (real comments only, never text in strings)."""
    if "wardgate" not in text:
        return []
    out = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = [tokenize.TokenInfo(tokenize.COMMENT, line[line.index("#"):], (i, line.index("#")), (i, 0), line)
                  for i, line in enumerate(text.splitlines(), 1) if "#" in line]
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = IGNORE.search(tok.string)
        if m is None:
            continue
        ids = [i.strip() for i in (m["ids"] or "").split(",") if i.strip()]
        reason = m["rest"].strip()
        reason = reason[2:].strip() if reason.startswith("--") else reason
        own_line = tok.line[: tok.start[1]].strip() == ""
        out.append(Comment(path=path, line=tok.start[0], own_line=own_line, ids=ids, reason=reason))
    return out


def _problem(rule: str, path: str, line: int, message: str, severity: Severity, **props: Any) -> Finding:
    return Finding(rule_id=rule, category=Category.WARDGATE, severity=severity, tool="wardgate", path=path,
                   start_line=max(1, line), end_line=max(1, line), message=message, properties=props)


def _names(f: Finding, rule: str) -> bool:
    return rule == f.rule_id or rule in f.sources


def _medical(f: Finding) -> bool:
    return f.category.is_medical


def apply(
    findings: Sequence[Finding],
    *,
    read_text: Callable[[str], str | None],
    files: Iterable[str],
    entries: Sequence[Any] = (),
    config_path: str | None = None,
    config_text: str = "",
    today: date | None = None,
    partial: bool = False,
) -> list[Finding]:
    """Suppress findings; return them plus the suppression problems found.

    `files` are the files whose comments are read (the analysed ones). `partial` (a diff run,
    which does not see every finding) leaves out "unused config entry" problems; shard runs keep
    them marked `config_suppression`, and `wardgate merge` keeps those that every shard reported."""
    today = today or date.today()
    comments: dict[tuple[str, int], list[Comment]] = {}
    problems: list[Finding] = []
    all_comments: list[Comment] = []
    for rel in files:
        text = read_text(rel)
        for c in parse_comments(rel, text or ""):
            all_comments.append(c)
            target = c.line + 1 if c.own_line else c.line
            comments.setdefault((rel, target), []).append(c)
            if not c.ids:
                problems.append(_problem("WG009", rel, c.line, "`# wardgate: ignore` names no rule: write "
                                         "`# wardgate: ignore[RULE_ID] reason`", Severity.MEDIUM))
            for named in c.ids:
                if rule_for(named) is None:
                    problems.append(_problem("WG009", rel, c.line, f"suppression names unknown rule {named!r} "
                                             "(`wardgate rules` lists them)", Severity.MEDIUM))
                    c.used.add(named)  # reported once, as unknown, not again as unused
    cfg_path = config_path or "wardgate.toml"
    live: list[tuple[int, Any]] = []
    for i, e in enumerate(entries):
        line = _line_of(config_text, e.rule)
        if rule_for(e.rule) is None:
            problems.append(_problem("WG009", cfg_path, line, f"config suppression names unknown rule {e.rule!r}",
                                     Severity.MEDIUM, run_wide=True))
        elif e.expires is not None and e.expires < today:
            problems.append(_problem("WG010", cfg_path, line, f"config suppression of {e.rule} for {e.path!r} "
                                     f"expired on {e.expires.isoformat()}: it no longer applies",
                                     Severity.MEDIUM, run_wide=True))
        else:
            live.append((i, e))
    used_entries: set[int] = set()
    no_reason_reported: set[tuple[str, int, str]] = set()
    out: list[Finding] = []
    for f in findings:
        suppression = None
        for c in comments.get((f.path, f.start_line), []):
            rid = next((r for r in c.ids if _names(f, r)), None)
            if rid is None:
                continue
            c.used.add(rid)
            if not c.reason and _medical(f):
                if (c.path, c.line, rid) not in no_reason_reported:
                    no_reason_reported.add((c.path, c.line, rid))
                    problems.append(_problem("WG008", c.path, c.line, f"suppression of {f.rule_id} "
                                             f"({f.category.value}) needs a reason: "
                                             f"`# wardgate: ignore[{rid}] -- why`", Severity.MEDIUM))
                continue
            suppression = Suppression(kind="inline", justification=c.reason or NO_REASON,
                                      source=f"{c.path}:{c.line}")
            break
        if suppression is None:
            for i, e in live:
                if _names(f, e.rule) and path_matches(f.path, [e.path]):
                    used_entries.add(i)
                    if not e.reason.strip() and _medical(f):
                        continue  # reported once below
                    suppression = Suppression(kind="config", justification=e.reason.strip() or NO_REASON,
                                              source=f"{cfg_path}: rule={e.rule} path={e.path}")
                    break
        out.append(f if suppression is None else f.model_copy(update={"suppression": suppression}))
    for i, e in live:
        meta = rule_for(e.rule)
        if i in used_entries and not e.reason.strip() and meta is not None and meta.category.is_medical:
            problems.append(_problem("WG008", cfg_path, _line_of(config_text, e.rule), f"config suppression of "
                                     f"{e.rule} ({meta.category.value}) needs a reason; it does not apply",
                                     Severity.MEDIUM, run_wide=True))
        if i not in used_entries and not partial:
            unused = _problem("WG011", cfg_path, _line_of(config_text, e.rule), f"config suppression of {e.rule} "
                              f"for {e.path!r} matches no finding", Severity.LOW, run_wide=True,
                              config_suppression=i)
            problems.append(unused)
    for f in out:
        comment = f.properties.get("tool_comment")
        if comment and f.suppression is None:
            problems.append(_problem("WG014", f.path, f.start_line, f"`{comment}` would hide {f.rule_id} "
                                     f"({f.category.value}); tool comments do not silence medical or security "
                                     f"findings: it stands. Explain it with `# wardgate: ignore[{f.rule_id}] -- why`",
                                     Severity.MEDIUM))
    for c in all_comments:
        for rid in c.ids:
            if rid not in c.used:
                problems.append(_problem("WG011", c.path, c.line, f"suppression of {rid} matches no finding "
                                         "on this line" + ("" if not c.own_line else " or the next"),
                                         Severity.LOW))
    return [*out, *problems]


def _line_of(text: str, rule: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if re.search(rf"""rule\s*=\s*["']{re.escape(rule)}["']""", line):
            return n
    return 1
