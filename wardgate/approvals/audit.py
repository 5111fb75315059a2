"""Audit triggers: audit registrations, history models, audit base classes and decorators, and
audit settings and middleware, added, changed or removed."""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from checks.walk import walk

from .changes import FileChange
from .triggers import Context, Trigger, const, span

if TYPE_CHECKING:
    from checks.vocabulary import Vocabulary


_AUDIT_CALLS = re.compile(r"(auditlog|simple_history|reversion|pghistory|easyaudit)\b.*\b(register|track)\b|"
                          r"HistoricalRecords|register_history", re.IGNORECASE)
_AUDIT_SETTINGS = re.compile(r"^(AUDITLOG_|SIMPLE_HISTORY_|PGHISTORY_|REVERSION_|DJANGO_EASY_AUDIT_)")


def _audit_items(tree: ast.Module, vocab: Vocabulary | None) -> dict[str, list[int]]:
    """Audit registrations, history models and audit settings as text -> lines."""
    bases = tuple(vocab.audit_base_classes) if vocab else ()
    decos = tuple(vocab.audit_decorators) if vocab else ()
    out: dict[str, list[int]] = {}
    for node in walk(tree):
        if isinstance(node, ast.Call) and _AUDIT_CALLS.search(ast.unparse(node.func)):
            out[ast.unparse(node)] = [node.lineno]
        elif isinstance(node, ast.ClassDef):
            if node.name.startswith("Historical") or any(
                    re.search(r"history|audit|pghistory", ast.unparse(b), re.IGNORECASE) for b in node.bases):
                out[f"history model {ast.dump(node)}"] = [node.lineno]
            for b in node.bases:
                if bases and ast.unparse(b).rsplit(".", 1)[-1] in {x.rsplit(".", 1)[-1] for x in bases}:
                    out[f"{node.name}({ast.unparse(b)})"] = span(b)
            for d in node.decorator_list:
                if decos and ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] in {x.rsplit(".", 1)[-1] for x in decos}:
                    out[f"@{ast.unparse(d)} {node.name}"] = span(d)
        elif isinstance(node, ast.Assign) and node in tree.body:
            for t in node.targets:
                if isinstance(t, ast.Name) and _AUDIT_SETTINGS.match(t.id):
                    out[ast.unparse(node)] = span(node)
                elif isinstance(t, ast.Name) and t.id == "MIDDLEWARE":
                    for e in getattr(node.value, "elts", []):
                        s = const(e)
                        if s and re.search(r"history|audit", s, re.IGNORECASE):
                            out[f"middleware {s}"] = [e.lineno]
    return out


def audit_triggers(ctx: Context, fc: FileChange, new: ast.Module, old: ast.Module | None) -> list[Trigger]:
    now = _audit_items(new, ctx.vocab)
    before = _audit_items(old, ctx.vocab) if old is not None else {}
    out: list[Trigger] = []
    for text, lines in now.items():
        if text not in before:
            label = text.split(" ", 2)[0:2] if text.startswith("history model") else None
            name = _history_name(text) if label else text
            why = f"history model `{name}` added or changed" if label else f"audit registration `{name}` added or changed"
            out.append(Trigger("audit", fc.path, lines, why, symbol=name, data={"added": text, "removed": None}))
    for text, lines in before.items():
        if text not in now:
            name = _history_name(text) if text.startswith("history model") else text
            out.append(Trigger("audit", fc.path, sorted(fc.lines)[:2],
                               f"audit registration `{name}` removed (base line {lines[0]})"
                               if not text.startswith("history model") else f"history model `{name}` changed or removed",
                               symbol=name, data={"added": None, "removed": text}))
    # A modified history model appears as a removal plus an addition: keep one trigger per symbol and change.
    seen: set[tuple[str | None, str]] = set()
    unique = []
    for t in out:
        key = (t.symbol, t.why.split(" ")[0])
        if t.why.startswith("history model") and key in seen:
            continue
        seen.add(key)
        unique.append(t)
    return unique


def _history_name(text: str) -> str:
    m = re.search(r"ClassDef\(name='(\w+)'", text)
    return m.group(1) if m else text
