"""`wardgate explain RULE`: a rule's documentation, in any case (`wg101`, `Bandit:b608`).

wardgate's own rules print their docstring (or their semgrep rule's metadata) and examples; a
tool's rule prints the tool's own documentation: `ruff rule CODE` for ruff, the test plugin's
docstring for bandit (the blacklist section for B3xx/B4xx calls and imports).
"""
from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from textwrap import dedent, indent

from checks.registry import REGISTRY, canonical_id, help_uri, rule_for
from checks.rulemeta import RuleMeta
from checks.tools.base import find_executable
from checks.tools.semgrep import own_rules


def explain(text: str) -> str | None:
    """The documentation to print, or None for an unknown rule."""
    rule_id = canonical_id(text)
    meta = rule_for(rule_id) if rule_id else None
    if rule_id is None or meta is None:
        return None
    tool, _, code = rule_id.partition(":")
    own = {"ruff": ruff_doc, "bandit": bandit_doc}.get(tool)
    body = own(code) if own is not None and code else None
    out = [f"{meta.id} ({meta.name}) — {meta.summary}",
           f"category: {meta.category.value}   default severity: {meta.severity.value}   tool: {meta.tool}"
           + (f"   CWE-{meta.cwe}" if meta.cwe else "")]
    if meta.hipaa:
        out.append(f"HIPAA: {meta.hipaa}")
    out += ["", body or meta.doc or meta.summary]
    if own is not None and body is None:
        out.append(f"\n({tool}'s own documentation of {code} is not available here.)")
    out += _semgrep_rule(meta) + _examples(meta)
    link = help_uri(rule_id)
    if link:
        out += ["", f"Documentation: {link}"]
    return "\n".join(out).rstrip() + "\n"


def _semgrep_rule(meta: RuleMeta) -> list[str]:
    """wardgate's own semgrep rules: the message semgrep reports and the rule's references."""
    rule = own_rules().get(meta.id) if meta.tool == "semgrep" else None
    if rule is None:
        return []
    refs = (rule.get("metadata") or {}).get("references") or []
    return (["", "semgrep reports: " + " ".join(str(rule.get("message", "")).split())]
            + (["", "References:", *(f"  {r}" for r in refs)] if refs else []))


def _examples(meta: RuleMeta) -> list[str]:
    check = REGISTRY.get(meta.id)
    if check is None or not (check.VALID or check.INVALID):
        return []
    out = ["", "More examples (these are also the rule's tests):"]
    for ex in check.INVALID[:3]:
        out.append(f"\n  flagged (line {ex.line}, {ex.path}):\n{indent(dedent(ex.code).rstrip(), '    ')}")
    for ok in check.VALID[:3]:
        out.append(f"\n  not flagged ({ok.path}):\n{indent(dedent(ok.code).rstrip(), '    ')}")
    return out


def ruff_doc(code: str) -> str | None:
    """`ruff rule CODE`, from the ruff wardgate runs."""
    exe = find_executable("ruff")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "rule", code], capture_output=True, text=True, timeout=60, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def bandit_doc(test_id: str) -> str | None:
    """bandit's documentation of one test: its plugin's docstring (or its module's), or the
    section of the blacklist modules' docstrings for a blacklisted call or import."""
    try:
        from bandit.core import extension_loader
    except ImportError:
        return None
    manager = extension_loader.MANAGER
    plugin = manager.plugins_by_id.get(test_id)
    if plugin is not None:
        doc = inspect.getdoc(plugin.plugin) or ""
        if test_id not in doc:
            doc = inspect.cleandoc(sys.modules[plugin.plugin.__module__].__doc__ or "")
        return doc.strip() or None
    if test_id not in manager.blacklist_by_id:
        return None
    for name in ("bandit.blacklists.calls", "bandit.blacklists.imports"):
        doc = importlib.import_module(name).__doc__ or ""
        section = re.search(rf"^{test_id}: .*?(?=^B\d{{3}}: |\Z)", doc, re.MULTILINE | re.DOTALL)
        if section:
            return section.group(0).strip()
    entry = manager.blacklist_by_id[test_id]
    return f"{entry['name']}: {entry['message']}"
