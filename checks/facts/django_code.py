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

from ..names import ImportMap, dotted, last_part, matches
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk
from .guards import AUTHN, AUTHZ, NONE, is_login_gate, method_guard
from .libraries import library_class, neutral
from .urlconf import WRAPPER_LEVELS, NinjaRoute, clean_pattern, collect_ninja, collect_url_node, debug_only_nodes

NAME = "django_code"

_AUTHZ_CALLS = ("has_perm", "has_perms", "has_module_perms", "user_passes_test", "permission_required")
_AUTHN_CALLS = ("login_required",)


@dataclass
class ClassInfo:
    qualname: str
    bases: list[str]
    path: str
    line: int = 0
    perm_classes: list[str] | None = None  # DRF `permission_classes`, qualnames ("" = unresolvable)
    model: str | None = None  # `model = X` or `queryset = X.objects…`
    meta_model: str | None = None  # `class Meta: model = X` (serializers, model forms)
    serializer: str | None = None  # `serializer_class = S`
    http_methods: list[str] | None = None
    methods: list[str] = field(default_factory=list)
    get_permissions: bool = False
    decorators: list[str] = field(default_factory=list)
    writing_methods: list[str] = field(default_factory=list)  # methods that save, create, update or delete
    guard_level: int = NONE  # what its `dispatch()`/`test_func()`... enforce (guards.GUARD_METHODS)
    login_gate: bool = False  # a middleware that turns away anonymous requests
    admin_actions: list[AdminAction] = field(default_factory=list)


@dataclass
class AdminAction:
    """A ModelAdmin action: `@admin.action(permissions=["change"])` or a name in `actions = [...]`."""

    name: str
    line: int
    permissions: list[str] | None  # None: not declared (Django then requires only admin access)


@dataclass
class FileCode:
    classes: list[ClassInfo] = field(default_factory=list)
    admin: list[tuple[str, str]] = field(default_factory=list)  # (admin class, model)
    decorators: list[tuple[str, str]] = field(default_factory=list)  # (function qualname, "authz"|"authn")
    default_perms: list[list[str]] = field(default_factory=list)
    middleware: list[str] = field(default_factory=list)
    url_views: list[str] = field(default_factory=list)
    debug_views: list[str] = field(default_factory=list)  # routed only inside `if settings.DEBUG:`
    db_tables: list[tuple[str, str]] = field(default_factory=list)  # (table, model qualname)
    url_guards: list[tuple[str, list[str]]] = field(default_factory=list)  # (view, wrappers) in urls.py
    installed_apps: list[str] = field(default_factory=list)
    ninja_owners: list[tuple[str, str | None]] = field(default_factory=list)  # (NinjaAPI/Router var, auth)
    ninja_routes: list[NinjaRoute] = field(default_factory=list)
    ninja_links: list[tuple[str, str]] = field(default_factory=list)  # (api var, router) from add_router
    router_views: list[tuple[str, str]] = field(default_factory=list)  # (router var, viewset) from register()
    routers_used: list[str] = field(default_factory=list)  # routers whose `.urls` an active URLconf includes
    urlconf: bool = False  # the file defines `urlpatterns`
    apps_dynamic: bool = False  # INSTALLED_APPS built from something other than a list of strings
    authorizes: str = ""  # a name of an authorization mechanism this file uses (role-less projects use none)
    routes: list[tuple[str, str, str]] = field(default_factory=list)  # (view, pattern, urls module)
    includes: list[tuple[str, str, str]] = field(default_factory=list)  # (urls module, prefix, included module)
    sign_up: list[tuple[str, int]] = field(default_factory=list)  # (included self-registration URLconf, line)
    # `analyst_required = passes_test_factory(is_analyst)`: (module.name, factory) made at module level
    decorator_aliases: list[tuple[str, str]] = field(default_factory=list)
    registration_open: list[tuple[bool | None, int]] = field(default_factory=list)  # REGISTRATION_OPEN = ... (line)


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
    info = ClassInfo(qualname=f"{imports.module}.{node.name}", path=src.path, line=node.lineno,
                     bases=[imports.qualname(b) or "" for b in node.bases],
                     decorators=[imports.qualname(d) or "" for d in node.decorator_list],
                     guard_level=method_guard(node, imports), login_gate=is_login_gate(node, imports))
    info.writing_methods = writing_methods(node)
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.methods.append(stmt.name)
            info.get_permissions |= stmt.name == "get_permissions"
            action = admin_action(stmt, imports)
            if action is not None:
                info.admin_actions.append(action)
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


SAVES = frozenset({"save", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create",
                   "update_or_create"})


def writes_in(fn: ast.AST) -> bool:
    """The code calls a write: `obj.save()`, `X.objects.create(...)`, `qs.update(...)`, `form.save()`."""
    return any(isinstance(n, ast.Call) and _is_write(n) for n in walk(fn))


def _is_write(n: ast.Call) -> bool:
    if not (isinstance(n.func, ast.Attribute) and n.func.attr in SAVES):
        return False
    if n.func.attr == "update" and isinstance(n.func.value, ast.Name) and not (
            n.func.value.id in ("qs", "queryset") or n.func.value.id.endswith(("_qs", "queryset"))):
        return False  # `context.update(...)`, `data.update(...)`: a dict, not a queryset
    return dotted(n.func.value) not in ("cache", "request.session", "self.request.session")


def writing_methods(cls: ast.ClassDef) -> list[str]:
    """Methods that write, directly or through another method of the class (`post()` -> `self._apply()`)."""
    writing: set[str] = set()
    calls: dict[str, set[str]] = {}
    for m in cls.body:
        if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        called = calls.setdefault(m.name, set())
        for n in walk(m):  # one walk per method: its writes and its calls to `self.<method>()`
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                if dotted(n.func.value) == "self":
                    called.add(n.func.attr)
                if m.name not in writing and _is_write(n):
                    writing.add(m.name)
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            if name not in writing and called & writing:
                writing.add(name)
                changed = True
    return sorted(writing)


def _class_list(cls: ast.ClassDef, attr: str) -> list[str]:
    """Names in a class attribute list: `actions = ["archive", discharge_all]`."""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr for t in stmt.targets) \
                and isinstance(stmt.value, (ast.List, ast.Tuple)):
            return [e.value if isinstance(e, ast.Constant) and isinstance(e.value, str) else dotted(e) or ""
                    for e in stmt.value.elts]
    return []


def admin_action(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> AdminAction | None:
    """`@admin.action(description=..., permissions=["change"])` on a function or ModelAdmin method."""
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        q = imports.qualname(target) or dotted(target) or ""
        if q.endswith("admin.action") or q == "django.contrib.admin.decorators.action":
            perms = None
            if isinstance(d, ast.Call):
                kw = next((k.value for k in d.keywords if k.arg == "permissions"), None)
                perms = _string_list(kw, imports) if kw is not None else None
            return AdminAction(name=fn.name, line=fn.lineno, permissions=perms)
    return None


# Names that only appear where a project authorizes beyond login (permissions, roles, object permissions).
AUTHZ_NAMES = frozenset({
    "permission_required", "user_passes_test", "has_perm", "has_perms", "has_object_permission", "PermissionDenied",
    "PermissionRequiredMixin", "UserPassesTestMixin", "GroupRequiredMixin", "DjangoModelPermissions",
    "DjangoObjectPermissions", "BasePermission", "staff_member_required", "superuser_required", "is_staff",
    "is_superuser", "get_objects_for_user", "AutoPermissionViewSetMixin",
})
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
    module_actions = {a.name: a for a in (admin_action(f, imports) for f in src.tree.body
                                          if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))) if a}
    for stmt in src.tree.body:
        if isinstance(stmt, ast.ClassDef):
            info = _class_info(stmt, src, imports)
            info.admin_actions += [module_actions[n] for n in _class_list(stmt, "actions") if n in module_actions]
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
            if kind and not (stmt.args.args and stmt.args.args[0].arg == "request"):  # `@login_and_otp_required()`
                out.decorators.append((f"{imports.module}.{stmt.name}", kind))
        elif isinstance(stmt, (ast.Assign, ast.AugAssign)):
            _settings(stmt, imports, out)
            if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call) and stmt.targets[0].id.islower()):
                factory = imports.qualname(stmt.value.func)
                if factory:
                    out.decorator_aliases.append((f"{imports.module}.{stmt.targets[0].id}", factory))
        collect_ninja(stmt, imports, out)
    debug = debug_only_nodes(src.tree) if "DEBUG" in src.text else set()
    for node in src.nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            q = imports.qualname(node.func) or ""
            if node.func.attr == "register" and len(node.args) >= 2 and ("admin" in q or q.endswith("site.register")):
                out.admin.append((imports.qualname(node.args[1]) or "", imports.qualname(node.args[0]) or ""))
        collect_url_node(node, imports, out, debug_only=id(node) in debug)
    if not src.looks_like_test:
        out.authorizes = next((n.id if isinstance(n, ast.Name) else n.attr for n in src.nodes
                               if (isinstance(n, ast.Name) and n.id in AUTHZ_NAMES)
                               or (isinstance(n, ast.Attribute) and n.attr in AUTHZ_NAMES)), "")
    out.urlconf = any(isinstance(t, ast.Name) and t.id == "urlpatterns" for st in src.tree.body
                      if isinstance(st, (ast.Assign, ast.AugAssign))
                      for t in (st.targets if isinstance(st, ast.Assign) else [st.target]))
    if (out.classes or out.admin or out.decorators or out.default_perms or out.middleware or out.url_views
            or out.installed_apps or out.ninja_owners or out.ninja_routes or out.router_views or out.urlconf
            or out.apps_dynamic or out.authorizes or out.routes or out.includes or out.debug_views
            or out.registration_open or out.decorator_aliases):
        return out
    return None


def _settings(stmt: ast.Assign | ast.AugAssign, imports: ImportMap, out: FileCode) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for t in targets:
        if isinstance(t, ast.Name) and t.id in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            out.middleware.extend(_string_list(stmt.value, imports) or [])
        elif isinstance(t, ast.Name) and t.id == "INSTALLED_APPS":
            apps = _string_list(stmt.value, imports)
            literal = apps is not None and all(
                isinstance(e, ast.Constant) for e in stmt.value.elts)  # type: ignore[attr-defined]
            out.apps_dynamic |= not literal
            out.installed_apps.extend(apps or [])
        elif isinstance(t, ast.Name) and t.id == "REGISTRATION_OPEN":  # django-registration(-redux); default True
            value = stmt.value.value if isinstance(stmt.value, ast.Constant) else None
            out.registration_open.append((value if isinstance(value, bool) else None, stmt.lineno))
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
    debug_views: set[str] = field(default_factory=set)  # routed only when DEBUG is on
    db_tables: dict[str, str] = field(default_factory=dict)
    url_guards: dict[str, list[str]] = field(default_factory=dict)  # view -> wrappers applied in urls.py
    installed_apps: list[str] = field(default_factory=list)
    ninja_owners: dict[str, str | None] = field(default_factory=dict)
    ninja_routes: dict[str, NinjaRoute] = field(default_factory=dict)
    ninja_links: dict[str, str] = field(default_factory=dict)  # router -> api
    packages: set[str] = field(default_factory=set)  # the project's own top-level packages
    router_views: dict[str, list[str]] = field(default_factory=dict)  # viewset -> routers it is registered on
    routers_used: set[str] = field(default_factory=set)
    has_urlconf: bool = False
    routes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # view -> [(pattern, urls module)]
    includes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # included -> [(urls module, prefix)]

    def url_key(self, view: str) -> str:
        """The name URLconfs use for `view`: itself, or its re-export by an enclosing package
        (`views/__init__.py` importing `PatientView` from `views/patient.py`, routed as `views.PatientView`)."""
        if view in self.url_views or view in self.routes or view in self.debug_views or "." not in view:
            return view
        module, name = view.rsplit(".", 1)
        parts = module.split(".")
        for i in range(len(parts) - 1, 0, -1):
            key = f"{'.'.join(parts[:i])}.{name}"
            if key in self.url_views or key in self.debug_views:
                return key
        return view

    def is_url_view(self, view: str) -> bool:
        return self.url_key(view) in self.url_views

    def is_debug_view(self, view: str) -> bool:
        return self.url_key(view) in self.debug_views

    def route(self, view: str) -> str | None:
        """Where a view is reachable, with the prefixes of the URLconfs that include its module
        (`/api/encounters/<int:pk>/summary/`); None when it is not routed in a URLconf wardgate read."""
        for pattern, module in self.routes.get(self.url_key(view), []):
            return "/" + (self._prefix(module, 0) + clean_pattern(pattern)).lstrip("/")
        return None

    def _prefix(self, module: str, depth: int) -> str:
        if depth > 4:
            return ""
        for parent, prefix in self.includes.get(module, []):
            return self._prefix(parent, depth + 1) + clean_pattern(prefix)
        return ""
    apps_known: bool = False  # every INSTALLED_APPS entry is a literal, so "not installed" can be decided
    authorization: str = ""  # evidence that the project authorizes anywhere ("" = login is all it checks)
    sign_up: list[tuple[str, str, int]] = field(default_factory=list)  # (path, included URLconf, line)
    # REGISTRATION_OPEN as set in settings: (value or None when not a literal, path, line); None when unset.
    registration_open: tuple[bool | None, str, int] | None = None
    # Lookups are memoised once `merge` has indexed every class (checks ask the same names often).
    _memo: dict[str, ClassInfo | None] | None = field(default=None, repr=False, compare=False)
    _login: dict[tuple[str, ...], str | None] = field(default_factory=dict, repr=False, compare=False)

    def routed(self, view: str) -> bool | None:
        """Is the view reachable through a URLconf? None when wardgate cannot tell (no URLconf found)."""
        if not self.has_urlconf:
            return None
        if self.is_url_view(view):
            return True
        routers = self.router_views.get(view)
        if routers is None:
            hits = [v for v in self.router_views if v.endswith("." + last_part(view)) and view.endswith(last_part(v))]
            routers = self.router_views[hits[0]] if len(hits) == 1 else None
        if routers is not None:
            return any(r in self.routers_used or last_part(r) in {last_part(u) for u in self.routers_used}
                       for r in routers)
        return None  # neither routed nor registered: maybe reached another way (include of a module list...)

    def installed(self, module: str) -> bool | None:
        """Is the module's Django app in INSTALLED_APPS? None when that cannot be decided."""
        if not self.apps_known or not self.installed_apps:
            return None
        apps = {a.split(".apps.")[0] for a in self.installed_apps}
        # The scan root may sit above Django's import root (manage.py in `openrem/`, app `remapp`
        # analysed as `openrem.remapp`): an app also matches inside the module's dotted path.
        return any(module == a or module.startswith(a + ".") or f".{a}." in f".{module}." for a in apps)

    def in_project(self, ref: str) -> bool:
        return ref.split(".")[0] in self.packages

    def lookup(self, ref: str | None) -> ClassInfo | None:
        if not ref:
            return None
        memo = self._memo
        if memo is not None:
            if ref not in memo:
                memo[ref] = self._lookup(ref)
            return memo[ref]
        return self._lookup(ref)

    def _lookup(self, ref: str) -> ClassInfo | None:
        if ref in self.classes:
            return self.classes[ref]
        candidates = self.by_name.get(last_part(ref), [])
        hits = [q for q in candidates if q.endswith("." + ref) or ref.endswith("." + q)]
        if not hits and "." in ref:  # re-exported by a package: `edc_dashboard.view_mixins.EdcViewMixin`
            package = ref.rsplit(".", 1)[0] + "."
            hits = [q for q in candidates if q.startswith(package)]
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


    def url_guard(self, view: str) -> tuple[int, str]:
        """The strongest guard wrapped around `view` where it is routed (`login_required(...)` in urls.py)."""
        best = (NONE, "")
        for w in self.url_guards.get(self.url_key(view), []):
            kind = self.decorator(w)
            level = WRAPPER_LEVELS.get(last_part(w)) or (AUTHZ if kind == "authz" else AUTHN if kind == "authn" else NONE)
            if level > best[0]:
                best = (level, last_part(w))
        return best

    def ninja_auth(self, view: str) -> tuple[int, str] | None:
        """(level, evidence) of a django-ninja operation; None when `view` is not one. An operation's
        `auth=` wins over its router's, which wins over its NinjaAPI's; `auth=None` opens it."""
        route = self.ninja_routes.get(view)
        if route is None:
            return None
        chain = [(route.auth, "the operation")]
        owner = route.owner
        for _ in range(3):  # operation -> router -> api
            if owner not in self.ninja_owners:
                break
            chain.append((self.ninja_owners[owner], last_part(owner)))
            owner = self.ninja_links.get(owner, "")
        for auth, where in chain:
            if auth is None:
                continue
            if auth == "none":
                return NONE, f"`auth=None` on {where}"
            strength = AUTHN if last_part(auth) in ("django_auth", "SessionAuth", "django_auth_superuser") else AUTHZ
            if last_part(auth) == "django_auth_superuser":
                strength = AUTHZ
            return strength, f"django-ninja auth {last_part(auth)} on {where}"
        return NONE, "no django-ninja auth on the operation, its router or its API"

    def login_middleware(self, vocab: Vocabulary) -> str | None:
        """The installed MIDDLEWARE entry that requires login for every view, if any: Django's
        LoginRequiredMiddleware, a project subclass of it, a configured one, or a project middleware
        whose `__call__` turns anonymous requests away. One defined but not installed does not count."""
        key = tuple(vocab.login_required_middleware)
        if key not in self._login:
            self._login[key] = self._login_middleware(vocab)
        return self._login[key]

    def _login_middleware(self, vocab: Vocabulary) -> str | None:
        for entry in self.middleware:
            if is_login_middleware(entry, vocab):
                return entry
            for a in self.ancestors(entry):
                info = self.lookup(a)
                lib = library_class(a)
                if is_login_middleware(a, vocab) or (lib is not None and lib.login_middleware) or (
                        info is not None and info.login_gate):
                    return entry
        return None

    def unresolved(self, ref: str | None) -> list[str]:
        """Ancestors of `ref` that wardgate cannot read: not in the project, not in the library
        table, not from a package known to add nothing (checks/facts/libraries.py)."""
        out = []
        for a in self.ancestors(ref):
            if a and self.lookup(a) is None and library_class(a) is None and not neutral(a):
                out.append(a)
        return out


def merge(per_file: dict[str, FileCode], vocab: Vocabulary) -> ProjectCode:
    pc = ProjectCode()
    for fc_path, fc in per_file.items():
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
        pc.debug_views.update(fc.debug_views)
        pc.db_tables.update(dict(fc.db_tables))
        for view, wrappers in fc.url_guards:
            pc.url_guards.setdefault(view, []).extend(wrappers)
        pc.installed_apps.extend(fc.installed_apps)
        pc.ninja_owners.update(dict(fc.ninja_owners))
        pc.ninja_routes.update({r.view: r for r in fc.ninja_routes})
        pc.ninja_links.update({router: api for api, router in fc.ninja_links})
        for router, viewset in fc.router_views:
            pc.router_views.setdefault(viewset, []).append(router)
        pc.routers_used.update(r for r in fc.routers_used if r)
        pc.has_urlconf |= fc.urlconf
        for view, pattern, module in fc.routes:
            pc.routes.setdefault(view, []).append((pattern, module))
        for module, prefix, included in fc.includes:
            pc.includes.setdefault(included, []).append((module, prefix))
        pc.sign_up += [(fc_path, target, line) for target, line in fc.sign_up]
        for value, line in fc.registration_open:
            if pc.registration_open is None or pc.registration_open[0] != value:  # settings that disagree: unknown
                pc.registration_open = (value if pc.registration_open is None else None, fc_path, line)
        if fc.authorizes and not pc.authorization:
            pc.authorization = f"{fc.authorizes} in {fc_path}"
    if not pc.authorization:
        for perms in pc.default_perms:
            strong = [p for p in perms if last_part(p) not in ("IsAuthenticated", "AllowAny", "IsAuthenticatedOrReadOnly")]
            if strong:
                pc.authorization = f"DEFAULT_PERMISSION_CLASSES {last_part(strong[0])}"
    for fc in per_file.values():  # decorators made by a project factory guard like the factory's decorator
        for alias, factory in fc.decorator_aliases:
            kind = pc.decorator(factory)
            if kind and alias not in pc.decorators:
                pc.decorators[alias] = kind
    pc.debug_views -= pc.url_views  # also routed outside a DEBUG block: a production endpoint
    pc._memo = {}
    pc.packages = {q.split(".")[0] for q in pc.classes} | {q.split(".")[0] for q in pc.decorators}
    pc.apps_known = bool(pc.installed_apps) and not any(fc.apps_dynamic for fc in per_file.values())
    return pc


def is_login_middleware(name: str, vocab: Vocabulary) -> bool:
    return matches(name, "django.contrib.auth.middleware.LoginRequiredMiddleware", *vocab.login_required_middleware)


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
