"""Patient-deletion triggers: changed code that deletes patient records (ORM or SQL)."""
from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from checks.walk import walk

from .changes import FileChange
from .triggers import Context, Trigger, clip, functions, span

if TYPE_CHECKING:
    from checks.facts.querysets import Scope


def _module_name(path: str) -> str:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def deletion_triggers(ctx: Context, fc: FileChange, new: ast.Module) -> list[Trigger]:
    if ctx.models is None or ctx.code is None or ".delete(" not in (fc.new_text or "") and "DELETE" not in (
            fc.new_text or "").upper():
        return []
    from checks.facts.querysets import Scope, sql_text
    from checks.names import ImportMap

    imports = ImportMap.build(new, _module_name(fc.path), fc.path.endswith("__init__.py"))
    out: list[Trigger] = []
    for fn, cls, qual in functions(new):
        klass = f"{imports.module}.{cls}" if cls else None
        scope = Scope.of(fn, imports, ctx.models, ctx.code, klass)
        for node in walk(fn):
            if not isinstance(node, ast.Call) or not fc.touches(node.lineno, node.end_lineno or node.lineno):
                continue
            model, bulk = None, False
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("delete", "_raw_delete"):
                recv = node.func.value
                model = scope.model_of(recv)
                bulk = model is not None
                if model is None:
                    model = _instance_model(recv, fn, scope)
            elif isinstance(node.func, ast.Attribute) and node.func.attr in ("execute", "executemany", "raw"):
                sql = sql_text(node.args[0] if node.args else None, scope.env)
                for m in re.finditer(r"\bDELETE\s+FROM\s+[\"`\[]?(\w+)", sql, re.IGNORECASE):
                    model, bulk = scope.table_model(m.group(1)), True
            if model is None or model not in ctx.models.patient:
                continue
            name = model.rsplit(".", 1)[-1]
            how = "bulk-deletes" if bulk else "deletes"
            stmt_text = ast.unparse(node)
            out.append(Trigger("patient-delete", fc.path, span(node),
                               f"`{qual}` {how} `{name}` records (`{clip(stmt_text)}`)", symbol=qual,
                               data={"model": name, "bulk": bulk, "call": stmt_text,
                                     "audited": ctx.models.audited.get(model)}))
    return out


def _instance_model(recv: ast.expr, fn: ast.AST, scope: Scope) -> str | None:
    """`p = Patient.objects.get(...)`, `get_object_or_404(Patient, ...)`, `for p in Patient.objects...`,
    `self.get_object()` / `self.object` / `perform_destroy(self, instance)` in a view of a patient model."""
    if isinstance(recv, ast.Call) and isinstance(recv.func, ast.Attribute):
        if recv.func.attr in ("get", "first", "last", "earliest", "latest", "get_or_create"):
            return scope.model_of(recv.func.value)
        if recv.func.attr == "get_object":
            return scope.class_model()
    if isinstance(recv, ast.Call) and (getattr(recv.func, "id", "") or getattr(recv.func, "attr", "")) in (
            "get_object_or_404",) and recv.args:
        return scope._model(scope.imports.qualname(recv.args[0]))
    if isinstance(recv, ast.Attribute) and isinstance(recv.value, ast.Name) and recv.value.id == "self" and \
            recv.attr == "object":
        return scope.class_model()
    if isinstance(recv, ast.Name):
        for value in scope.env.get(recv.id, []):
            found = _instance_model(value, fn, scope)
            if found:
                return found
        for node in walk(fn):
            if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name) and \
                    node.target.id == recv.id:
                found = scope.model_of(node.iter)
                if found:
                    return found
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name == "perform_destroy" and any(
                a.arg == recv.id for a in fn.args.args[1:]):
            return scope.class_model()
    return None
