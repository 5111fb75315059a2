"""Audit triggers: audit registrations, the audit parts of models (a `HistoricalRecords()` field, an
audited base class or decorator), audit settings and middleware, added, changed or removed; and, from
the project model of both refs, every model of the file whose audit mechanism changed."""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from checks.facts.libraries import library_class
from checks.names import ImportMap
from checks.source import SourceFile, import_root_depth
from checks.walk import walk

from .changes import FileChange
from .triggers import Context, Trigger, const, head_lines, span

if TYPE_CHECKING:
    from checks.vocabulary import Vocabulary


_AUDIT_CALLS = re.compile(r"(auditlog|simple_history|reversion|pghistory|easyaudit)\b.*\b(register|track)\b|"
                          r"register_history", re.IGNORECASE)
_AUDIT_SETTINGS = re.compile(r"^(AUDITLOG_|SIMPLE_HISTORY_|PGHISTORY_|REVERSION_|DJANGO_EASY_AUDIT_)")


def _audit_items(tree: ast.Module, vocab: Vocabulary | None, imports: ImportMap | None = None,
                 models: set[str] | None = None) -> dict[str, list[int]]:
    """Audit registrations, the audit parts of model classes and audit settings as text -> lines.

    A class counts only when the project model says it is a Django model (`models`): a viewset
    whose base is called `HistoryMixin` is not a history model."""
    bases = tuple(vocab.audit_base_classes) if vocab else ()
    decos = tuple(vocab.audit_decorators) if vocab else ()
    out: dict[str, list[int]] = {}
    for node in walk(tree):
        if isinstance(node, ast.Call) and _AUDIT_CALLS.search(ast.unparse(node.func)):
            out[ast.unparse(node)] = [node.lineno]
        elif isinstance(node, ast.ClassDef):
            qual = f"{imports.module}.{node.name}" if imports is not None and imports.module else node.name
            if models is not None and qual not in models:
                continue
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and \
                        "HistoricalRecords" in ast.unparse(stmt.value.func):
                    out[f"{node.name}.{ast.unparse(stmt.targets[0])} = {ast.unparse(stmt.value)}"] = span(stmt)
            for b in node.bases:
                ref = imports.qualname(b) if imports is not None else None
                lib = library_class(ref)
                if (bases and ast.unparse(b).rsplit(".", 1)[-1] in {x.rsplit(".", 1)[-1] for x in bases}) or (
                        lib is not None and lib.audit):
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
    head_models = ctx.models.django if ctx.models is not None else None
    base_models = ctx.base_models.django if ctx.base_models is not None else head_models
    now = _audit_items(new, ctx.vocab, _imports(ctx, fc.path, new), head_models)
    before = _audit_items(old, ctx.vocab, _imports(ctx, fc.old_path or fc.path, old), base_models) \
        if old is not None else {}
    out: list[Trigger] = []
    for text, lines in now.items():
        if text not in before:
            out.append(Trigger("audit", fc.path, lines, f"audit registration `{text}` added or changed", symbol=text,
                               data={"added": text, "removed": None}))
    for text, lines in before.items():
        if text not in now:
            out.append(Trigger("audit", fc.path, head_lines(fc.old_text, fc.new_text, lines[0]),
                               f"audit registration `{text}` removed (base line {lines[0]})", symbol=text,
                               data={"added": None, "removed": text}))
    out.extend(_mechanism_changes(ctx, fc))
    return out


def _imports(ctx: Context, path: str, tree: ast.Module | None) -> ImportMap | None:
    if tree is None:
        return None
    src = SourceFile(path=path, text="", package_depth=import_root_depth(ctx.changes.root, path))
    return ImportMap.build(tree, src.module, src.is_package_init)


def _mechanism_changes(ctx: Context, fc: FileChange) -> list[Trigger]:
    """Models defined in this file whose audit mechanism (as the project model resolves it) differs
    between the base and the head: the fact, whatever line caused it."""
    if ctx.models is None or ctx.base_models is None:
        return []
    out = []
    for q, m in ctx.models.models.items():
        if m.path != fc.path or q not in ctx.models.django:
            continue
        was, now = ctx.base_models.audited.get(q), ctx.models.audited.get(q)
        if was != now and q not in ctx.models.unknown_audit:
            out.append(Trigger("audit", fc.path, [m.line], f"audit of `{m.name}`: {was or 'none'} → {now or 'none'}"
                               + (" (removed)" if was and not now else ""), symbol=m.name,
                               data={"added": now, "removed": was}))
    return out
