"""Which model a queryset expression belongs to, within one function (light data flow).

Not a collector: helpers shared by the audit-trail and permission checks. Resolves
`Patient.objects.filter(...)`, a local variable assigned from a queryset earlier in the function
(`stale = Encounter.objects.filter(...); stale.update(...)`), a ModelAdmin action's `queryset`
parameter (the admin's registered model), `self.get_queryset()` / `self.model` in a view with
`model`/`queryset`, and raw SQL table names (`clinic_encounter` -> `clinic.models.Encounter`).
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..names import ImportMap, dotted, last_part, matches
from ..walk import children, walk
from .django_code import ProjectCode
from .django_models import ModelIndex
from .libraries import version_admin_base
from .orm_relations import Relations, project_relations
from .raw_sql import DYN, parse_sql

QS_METHODS = frozenset({
    "filter", "exclude", "all", "select_related", "prefetch_related", "order_by", "only", "defer",
    "distinct", "annotate", "alias", "using", "select_for_update", "none", "reverse", "extra",
    "values", "values_list", "get_queryset", "filter_by", "active",
})
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager", "all_objects"})
_ROW_GETTERS = frozenset({"get", "first", "last", "latest", "earliest", "create"})
_NO_RELATIONS = Relations()
# Manager methods of the audit libraries that return querysets of audit rows: reversion's
# `Version.objects.get_for_model(M)` / `get_for_object(obj)` / `get_deleted(M)`, auditlog's
# `LogEntry.objects.get_for_object(obj)` / `get_for_objects(qs)` / `get_for_model(M)`.
TRAIL_MANAGER_METHODS = frozenset({
    "get_for_model", "get_for_object", "get_for_object_reference", "get_for_objects", "get_deleted",
})
_ADMIN_BASES = ("ModelAdmin", "SimpleHistoryAdmin", "VersionAdmin", "InlineModelAdmin", "TabularInline",
                "StackedInline")


@dataclass
class Scope:
    imports: ImportMap
    models: ModelIndex
    code: ProjectCode
    cls: str | None = None  # qualname of the enclosing class
    env: dict[str, list[ast.expr]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # parameter -> model qualname
    fn: ast.AST | None = None  # the function analysed

    @classmethod
    def of(cls, fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap, models: ModelIndex,
           code: ProjectCode, klass: str | None) -> Scope:
        scope = cls(imports=imports, models=models, code=code, cls=klass, fn=fn)
        for n in walk(fn):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        scope.env.setdefault(t.id, []).append(n.value)
            elif isinstance(n, (ast.AnnAssign, ast.NamedExpr)) and isinstance(n.target, ast.Name) and n.value:
                scope.env.setdefault(n.target.id, []).append(n.value)
        if klass and code.inherits(klass, lambda b: last_part(b) in _ADMIN_BASES or version_admin_base(b)):
            model = scope.class_model() or scope._subclass_admin_model()
            if model:
                for a in fn.args.args:
                    if a.arg in ("queryset", "qs"):
                        scope.params[a.arg] = model
        return scope

    def _subclass_admin_model(self) -> str | None:
        """A shared admin base's rows (`AuditedModelAdmin.lock_records(self, request, queryset)`): those of the
        models registered with its subclasses, a patient model first (the one a finding names)."""
        found = sorted(m for m in (self._model(model) for admin, model in self.code.admin_models.items()
                                   if self.cls in self.code.ancestors(admin)[1:]) if m)
        return next((m for m in found if m in self.models.patient), found[0] if found else None)

    def class_model(self) -> str | None:
        if not self.cls:
            return None
        for a in self.code.ancestors(self.cls):
            if a in self.code.admin_models:
                return self._model(self.code.admin_models[a])
        ref = self.code.attr(self.cls, "model")
        if isinstance(ref, str):
            return self._model(ref)
        ser = self.code.attr(self.cls, "serializer")
        if isinstance(ser, str):
            return self._model(self.code.attr(ser, "meta_model"))  # type: ignore[arg-type]
        return None

    def instance_of(self, expr: ast.AST, depth: int = 0) -> str | None:
        """Model of a row a name holds: `x = Model.objects.get(...)`, `get_object_or_404(Model, ...)`."""
        if depth > 6 or not isinstance(expr, ast.Name):
            return None
        for v in self.env.get(expr.id, []):
            if not isinstance(v, ast.Call):
                continue
            if isinstance(v.func, ast.Attribute) and v.func.attr in _ROW_GETTERS:
                found = self.model_of(v.func.value, depth + 1)
            elif last_part(self.imports.qualname(v.func) or "") == "get_object_or_404" and v.args:
                found = self.model_of(v.args[0], depth + 1) or self._model(self.imports.qualname(v.args[0]))
            else:
                continue
            if found:
                return found
        return None

    def _registry_model(self, expr: ast.expr) -> str | None:
        """A model class taken from Django's app registry by its label: `model_cls = apps.get_model("clinic.visit")`
        or `apps.get_model("clinic", "Visit")` (also `django_apps.get_model(...)`), directly or in a local name."""
        values = self.env.get(expr.id, []) if isinstance(expr, ast.Name) else [expr]
        for v in values:
            if not (isinstance(v, ast.Call) and (dotted(v.func) or "").rsplit(".", 1)[-1] == "get_model"):
                continue
            parts = [a.value for a in v.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            label = ".".join(parts) if len(parts) == 2 else parts[0] if len(parts) == 1 and "." in parts[0] else None
            if not label or label.count(".") != 1:
                continue
            found = self._model(label)
            if found and f".{label.split('.')[0]}." in f".{found}":  # the app must be the label's, not a namesake's
                return found
        return None

    def _model(self, ref: str | None) -> str | None:
        m = self.models.lookup(ref)
        return m.qualname if m is not None and m.qualname in self.models.django else None

    def model_of(self, expr: ast.AST | None, depth: int = 0) -> str | None:
        """Model qualname of a queryset/manager expression, or None."""
        if expr is None or depth > 6:
            return None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            meth, base = expr.func.attr, expr.func.value
            if meth == "get_queryset" and _is_self_or_super(base):
                return self.class_model()
            if meth in QS_METHODS or self.code.queryset_method(meth):  # `Encounter.objects.open().filter()`
                return self.model_of(base, depth + 1)
            return None
        if isinstance(expr, ast.Attribute):
            if _is_self(expr.value) and expr.attr in ("model", "queryset"):
                return self.class_model()
            if expr.attr in MANAGERS:
                if isinstance(expr.value, ast.Attribute) and _is_self(expr.value.value) and expr.value.attr == "model":
                    return self.class_model()
                return self._model(self.imports.qualname(expr.value)) or self._registry_model(expr.value)
            if _is_self(expr.value) and expr.attr == "queryset":
                return self.class_model()
            if expr.attr == "queryset":  # another view's rows: `ClientList.queryset.filter(zone=z)`
                other = self.code.lookup(self.imports.qualname(expr.value))
                ref = self.code.attr(other.qualname, "model") if other is not None else None
                if isinstance(ref, str):
                    return self._model(ref)
            owner = self.instance_of(expr.value, depth + 1)  # `submission.visits`, `patient.visit_set`
            return project_relations(self.models).get(owner, _NO_RELATIONS).many.get(expr.attr) if owner else None
        if isinstance(expr, ast.Name):
            if expr.id in self.params:
                return self.params[expr.id]
            for value in self.env.get(expr.id, []):
                found = self.model_of(value, depth + 1)
                if found:
                    return found
        return None

    def is_history(self, expr: ast.AST | None, depth: int = 0) -> bool:
        """`Patient.history.filter(...)`, `patient.history.all()`, `HistoricalPatient.objects…`,
        `Version.objects.get_for_model(Patient).filter(...)` (audit-library manager methods)."""
        if expr is None or depth > 6:
            return False
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and (
                expr.func.attr in QS_METHODS or expr.func.attr in TRAIL_MANAGER_METHODS):
            return self.is_history(expr.func.value, depth + 1)
        if isinstance(expr, ast.Attribute):
            if expr.attr == "history":
                return True
            if expr.attr in MANAGERS:
                return is_trail_model(self.imports.qualname(expr.value))
            return False
        if isinstance(expr, ast.Name):
            return any(self.is_history(v, depth + 1) for v in self.env.get(expr.id, []))
        return False

    def table_model(self, table: str) -> str | None:
        table = table.lower()
        if table in self.code.db_tables:
            return self._model(self.code.db_tables[table])
        for q in self.models.django:
            if default_table(q) == table:
                return q
        return None


_TRAIL_MODELS = ("auditlog.models.LogEntry", "django.contrib.admin.models.LogEntry", "reversion.models.Version",
                 "reversion.models.Revision", "pghistory.models.Events", "easyaudit.models.CRUDEvent")


def is_trail_model(qualname: str | None) -> bool:
    if not qualname:
        return False
    name = last_part(qualname)
    if re.fullmatch(r"Historical[A-Z]\w*", name):
        return True
    return any(qualname == t or qualname.endswith("." + t) for t in _TRAIL_MODELS) or matches(
        qualname, "auditlog.models.LogEntry", "reversion.models.Version")


def is_trail_table(table: str) -> bool:
    t = table.lower()
    return t in ("auditlog_logentry", "django_admin_log", "reversion_version", "reversion_revision") or bool(
        re.fullmatch(r"\w+_historical\w+", t))


def default_table(model_qualname: str) -> str:
    parts = model_qualname.split(".")
    app = parts[-2]
    if "models" in parts[:-1]:
        i = len(parts) - 2 - parts[:-1][::-1].index("models")
        app = parts[i - 1] if i >= 1 else app
    return f"{app}_{parts[-1].lower()}".lower()


def sql_write_tables(node: ast.AST | None, scope_env: dict[str, list[ast.expr]] | None = None) -> list[str]:
    """Tables written by a SQL string literal (or f-string, or a local assigned one), parsed with sqlglot."""
    text = sql_text(node, scope_env or {})
    return [w.table for w in parse_sql(text).writes] if text else []


def sql_text(node: ast.AST | None, env: dict[str, list[ast.expr]], depth: int = 0) -> str:
    if node is None or depth > 3:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else DYN
                       for v in node.values)
    if isinstance(node, ast.BinOp):
        return sql_text(node.left, env, depth + 1) + sql_text(node.right, env, depth + 1)
    if isinstance(node, ast.Name):
        return "; ".join(sql_text(v, env, depth + 1) for v in env.get(node.id, []))
    return ""


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _is_self_or_super(node: ast.AST) -> bool:
    return _is_self(node) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                              and node.func.id == "super")


def statement_of(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST:
    cur = node
    while not isinstance(cur, ast.stmt) and cur in parents:
        cur = parents[cur]
    return cur


def parent_map(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in walk(tree) for child in children(parent)}


def functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]]:
    """Top-level functions and the methods of top-level classes, each with its class."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt, None
        elif isinstance(stmt, ast.ClassDef):
            for m in stmt.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield m, stmt
        elif isinstance(stmt, (ast.If, ast.Try)):  # `if TYPE_CHECKING` / optional imports: rare, skip
            continue
