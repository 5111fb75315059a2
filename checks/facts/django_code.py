"""Project-wide facts about Django code around the models: classes, admin, settings, decorators.

The permission and audit-trail checks need to see past one file: a custom DRF permission
class defined in `accounts/permissions.py`, a serializer whose `Meta.model` is a patient model,
`REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]` in `settings/base.py`, a ModelAdmin registered with
`admin.site.register(Patient, PatientAdmin)` at the bottom of another module, a project decorator
that wraps `user_passes_test`. Collected per file with the stdlib `ast`, merged once.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from ..names import ImportMap, last_part, matches
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk

NAME = "django_code"

_AUTHZ_CALLS = ("has_perm", "has_perms", "has_module_perms", "user_passes_test", "permission_required")
_AUTHN_CALLS = ("login_required",)


@dataclass
class ClassInfo:
    qualname: str
    bases: list[str]
    path: str
    perm_classes: list[str] | None = None  # DRF `permission_classes`, qualnames ("" = unresolvable)
    model: str | None = None  # `model = X` or `queryset = X.objects…`
    meta_model: str | None = None  # `class Meta: model = X` (serializers, model forms)
    serializer: str | None = None  # `serializer_class = S`
    http_methods: list[str] | None = None
    methods: list[str] = field(default_factory=list)
    get_permissions: bool = False
    decorators: list[str] = field(default_factory=list)


@dataclass
class FileCode:
    classes: list[ClassInfo] = field(default_factory=list)
    admin: list[tuple[str, str]] = field(default_factory=list)  # (admin class, model)
    decorators: list[tuple[str, str]] = field(default_factory=list)  # (function qualname, "authz"|"authn")
    default_perms: list[list[str]] = field(default_factory=list)
    middleware: list[str] = field(default_factory=list)
    url_views: list[str] = field(default_factory=list)
    db_tables: list[tuple[str, str]] = field(default_factory=list)  # (table, model qualname)


def _string_list(node: ast.AST | None, imports: ImportMap) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for e in node.elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                out.append(e.value)
            else:
                out.append(imports.qualname(e) or "")
        return out
    return None


def perm_list(node: ast.AST | None, imports: ImportMap) -> list[str] | None:
    """`[IsAuthenticated, perms.IsCareTeam]`, `(A & B,)` -> qualnames; `A | B` counts as its weakest."""
    if isinstance(node, (ast.List, ast.Tuple)):
        out: list[str] = []
        for e in node.elts:
            if isinstance(e, ast.BinOp) and isinstance(e.op, ast.BitAnd):
                out.extend(perm_list(ast.List(elts=[e.left, e.right]), imports) or [])
            elif isinstance(e, ast.BinOp):  # `A | B`: authorization only if both sides authorize
                out.append("|".join(perm_list(ast.List(elts=[e.left, e.right]), imports) or []))
            elif isinstance(e, ast.Constant) and isinstance(e.value, str):
                out.append(e.value)
            else:
                out.append(imports.qualname(e) or "")
        return out
    return None


def model_ref(node: ast.AST | None, imports: ImportMap) -> str | None:
    """The model behind `X`, `X.objects.filter(...)`, `X._default_manager.all()`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager", "all_objects"):
        node = node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        return imports.qualname(node)
    return None


def _class_info(node: ast.ClassDef, src: SourceFile, imports: ImportMap) -> ClassInfo:
    info = ClassInfo(qualname=f"{imports.module}.{node.name}", path=src.path,
                     bases=[imports.qualname(b) or "" for b in node.bases],
                     decorators=[imports.qualname(d) or "" for d in node.decorator_list])
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.methods.append(stmt.name)
            info.get_permissions |= stmt.name == "get_permissions"
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for m in stmt.body:
                if isinstance(m, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model" for t in m.targets):
                    info.meta_model = model_ref(m.value, imports)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                name = t.id if isinstance(t, ast.Name) else ""
                if name == "permission_classes":
                    info.perm_classes = perm_list(stmt.value, imports) or []
                elif name in ("model", "queryset"):
                    info.model = model_ref(stmt.value, imports)
                elif name == "serializer_class":
                    info.serializer = imports.qualname(stmt.value)
                elif name == "http_method_names":
                    info.http_methods = [m.lower() for m in _string_list(stmt.value, imports) or []]
                elif name == "db_table" and isinstance(stmt.value, ast.Constant):
                    pass
    return info


def decorator_kind(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> str | None:
    """A decorator factory of the project: does its body authorize, or only authenticate?"""
    inner = [n for n in walk(fn) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n is not fn]
    returns_callable = bool(inner) or any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Call) for n in walk(fn))
    if not returns_callable:
        return None
    kind = None
    for n in walk(fn):
        if isinstance(n, ast.Call):
            last = last_part(imports.qualname(n.func)) or (n.func.attr if isinstance(n.func, ast.Attribute) else "")
            if last in _AUTHZ_CALLS:
                return "authz"
            if last in _AUTHN_CALLS:
                kind = "authn"
        elif isinstance(n, ast.Raise) and n.exc is not None:
            if last_part(imports.qualname(n.exc)) == "PermissionDenied":
                return "authz"
    return kind


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileCode | None:
    assert src.tree is not None
    out = FileCode()
    for stmt in src.tree.body:
        if isinstance(stmt, ast.ClassDef):
            info = _class_info(stmt, src, imports)
            out.classes.append(info)
            for d in stmt.decorator_list:  # @admin.register(Patient)
                if isinstance(d, ast.Call) and last_part(imports.qualname(d.func)) == "register" and d.args:
                    q = imports.qualname(d.func) or ""
                    if "admin" in q:
                        for a in d.args:
                            out.admin.append((info.qualname, imports.qualname(a) or ""))
            for m in stmt.body:
                if isinstance(m, ast.ClassDef) and m.name == "Meta":
                    for a in m.body:
                        if (isinstance(a, ast.Assign) and isinstance(a.targets[0], ast.Name)
                                and a.targets[0].id == "db_table" and isinstance(a.value, ast.Constant)
                                and isinstance(a.value.value, str)):
                            out.db_tables.append((a.value.value.lower(), info.qualname))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind = decorator_kind(stmt, imports)
            if kind and stmt.args.args and stmt.args.args[0].arg != "request":
                out.decorators.append((f"{imports.module}.{stmt.name}", kind))
        elif isinstance(stmt, (ast.Assign, ast.AugAssign)):
            _settings(stmt, imports, out)
    for node in src.nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            q = imports.qualname(node.func) or ""
            if node.func.attr == "register" and len(node.args) >= 2 and ("admin" in q or q.endswith("site.register")):
                out.admin.append((imports.qualname(node.args[1]) or "", imports.qualname(node.args[0]) or ""))
        if isinstance(node, ast.Call) and last_part(imports.qualname(node.func)) in ("path", "re_path", "url"):
            if len(node.args) >= 2:
                view = node.args[1]
                if isinstance(view, ast.Call):  # SomeView.as_view()
                    view = view.func.value if isinstance(view.func, ast.Attribute) else view.func
                q = imports.qualname(view)
                if q:
                    out.url_views.append(q)
    if out.classes or out.admin or out.decorators or out.default_perms or out.middleware or out.url_views:
        return out
    return None


def _settings(stmt: ast.Assign | ast.AugAssign, imports: ImportMap, out: FileCode) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for t in targets:
        if isinstance(t, ast.Name) and t.id == "MIDDLEWARE":
            out.middleware.extend(_string_list(stmt.value, imports) or [])
        elif isinstance(t, ast.Name) and t.id == "REST_FRAMEWORK" and isinstance(stmt.value, ast.Dict):
            for k, v in zip(stmt.value.keys, stmt.value.values):
                if isinstance(k, ast.Constant) and k.value == "DEFAULT_PERMISSION_CLASSES":
                    out.default_perms.append(perm_list(v, imports) or [])
        elif (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == "REST_FRAMEWORK"
              and isinstance(t.slice, ast.Constant) and t.slice.value == "DEFAULT_PERMISSION_CLASSES"):
            out.default_perms.append(perm_list(stmt.value, imports) or [])


@dataclass
class ProjectCode:
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    admin_models: dict[str, str] = field(default_factory=dict)
    decorators: dict[str, str] = field(default_factory=dict)
    default_perms: list[list[str]] = field(default_factory=list)
    middleware: list[str] = field(default_factory=list)
    url_views: set[str] = field(default_factory=set)
    db_tables: dict[str, str] = field(default_factory=dict)

    def lookup(self, ref: str | None) -> ClassInfo | None:
        if not ref:
            return None
        if ref in self.classes:
            return self.classes[ref]
        hits = [q for q in self.by_name.get(last_part(ref), []) if q.endswith("." + ref) or ref.endswith("." + q)]
        return self.classes[hits[0]] if len(hits) == 1 else None

    def ancestors(self, ref: str | None) -> list[str]:
        """`ref` and every base it inherits from (qualnames; external bases as written)."""
        out: list[str] = []
        todo = [ref] if ref else []
        while todo:
            q = todo.pop()
            if not q or q in out:
                continue
            out.append(q)
            info = self.lookup(q)
            if info is not None:
                if info.qualname not in out:
                    out.append(info.qualname)
                todo.extend(info.bases)
        return out

    def inherits(self, ref: str | None, pred: Callable[[str], bool]) -> bool:
        return any(pred(a) for a in self.ancestors(ref))

    def attr(self, ref: str | None, name: str) -> object:
        """A class attribute as collected, looked up along the project's bases (MRO order approximated)."""
        for a in self.ancestors(ref):
            info = self.lookup(a)
            if info is not None and getattr(info, name) not in (None, [], False):
                return getattr(info, name)
        return None

    def decorator(self, ref: str | None) -> str | None:
        if not ref:
            return None
        if ref in self.decorators:
            return self.decorators[ref]
        hits = [k for k in self.decorators if k.endswith("." + ref) or ref.endswith("." + k)]
        return self.decorators[hits[0]] if len(hits) == 1 else None


def merge(per_file: dict[str, FileCode], vocab: Vocabulary) -> ProjectCode:
    pc = ProjectCode()
    for fc in per_file.values():
        for c in fc.classes:
            pc.classes[c.qualname] = c
            pc.by_name.setdefault(last_part(c.qualname), []).append(c.qualname)
        for admin_cls, model in fc.admin:
            if admin_cls and model:
                pc.admin_models[admin_cls] = model
        pc.decorators.update(dict(fc.decorators))
        pc.default_perms.extend(fc.default_perms)
        pc.middleware.extend(fc.middleware)
        pc.url_views.update(fc.url_views)
        pc.db_tables.update(dict(fc.db_tables))
    return pc


def is_login_middleware(name: str, vocab: Vocabulary) -> bool:
    return matches(name, "django.contrib.auth.middleware.LoginRequiredMiddleware", *vocab.login_required_middleware)


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
