"""Project-wide facts about Django code around the models: classes, admin, settings, decorators.

The permission and audit-trail checks need to see past one file: a custom DRF permission
class defined in `accounts/permissions.py`, a serializer whose `Meta.model` is a patient model,
`REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]` in `settings/base.py`, a ModelAdmin registered with
`admin.site.register(Patient, PatientAdmin)` at the bottom of another module, a project decorator
that wraps `user_passes_test`. Collected per file with the stdlib `ast`, merged once.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..names import ImportMap, dotted, last_part, matches
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk
from .drf_permissions import login_only_test, object_check_kind, runs_object_check
from .guards import (
    ACCESS_WORDS,
    AUTHN,
    AUTHZ,
    NONE,
    body_level,
    is_login_gate,
    key_read,
    login_exemptions,
    mentions_user,
    method_guard,
    raises_permission_denied,
    refuses_anonymous,
    refuses_caller,
    refuses_failed_test,
    role_attributes,
)
from .libraries import library_class, neutral
from .module_loading import imported_names, unloaded_modules
from .sign_up import SignUp, open_sign_up, signup_answer
from .urlconf import (
    WRAPPER_LEVELS,
    NinjaRoute,
    callback_decorators,
    clean_pattern,
    collect_ninja,
    collect_url_node,
    debug_only_nodes,
    pattern_wrappers,
    unread_pattern_calls,
)

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
    # get_permission_object() (django-guardian, django-rules) checks another object than the one the view serves
    permission_object_other: bool = False
    permission_object_line: int = 0
    raising_methods: list[str] = field(default_factory=list)  # methods that raise (refuse) somewhere in their body
    get_perms: bool = False  # a DRF permission class whose `perms_map` asks a permission of GET
    user_queryset: bool = False  # its get_queryset() reads the requesting user (a mixin restricting rows)
    queryset_methods: list[str] = field(default_factory=list)  # a QuerySet/Manager's methods returning its rows
    decorators: list[str] = field(default_factory=list)
    # `dispatch()` and HTTP handlers (`get()`, `post()`...) -> what decorates them (`method_decorator(x)` as x)
    handler_decorators: dict[str, list[str]] = field(default_factory=dict)
    # handlers that call the next definition along the MRO (`return super().dispatch(...)`): its decorators apply
    handlers_calling_super: list[str] = field(default_factory=list)
    writing_methods: list[str] = field(default_factory=list)  # methods that save, create, update or delete
    guard_level: int = NONE  # what its `dispatch()`/`test_func()`... enforce (guards.GUARD_METHODS)
    login_gate: bool = False  # a middleware that turns away anonymous requests
    # a login gate's exemptions: settings it reads, path patterns of its own
    login_exempt: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    admin_actions: list[AdminAction] = field(default_factory=list)
    app_name: str | None = None  # an AppConfig's `name`: the app an INSTALLED_APPS entry naming it installs
    # An allauth adapter's `is_open_for_signup()`: (its literal answer, or the setting it returns and that setting's
    # default); ("?", None) when it decides otherwise. None: the class does not define it.
    signup: tuple[bool | str, bool | None] | None = None
    # A DRF permission class: what its own `has_permission()` checks (None: not defined here) and what its own
    # `has_object_permission()` decides (drf_permissions.object_check_kind; None: not defined here).
    permission_test: int | None = None
    login_only: int | None = None  # its `has_permission()` checks at most the login (drf_permissions.login_only_test)
    permission_user_attrs: list[str] = field(default_factory=list)  # what its `has_permission()` reads off the user
    object_check: str | None = None
    object_checking_methods: list[str] = field(default_factory=list)  # methods calling get_object()/check_object_...
    filter_backends: list[str] | None = None  # DRF `filter_backends` ("": unreadable)
    auth_classes: list[str] | None = None  # DRF `authentication_classes` (None: not set, or unreadable)
    auth_classes_line: int = 0
    # a DRF authentication class whose authenticate() never answers None: a request without its credentials is refused
    requires_credentials: bool = False


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
    # a module of an `admin` package (`trial.admin.ae_review`): its dotted name, whether it is the package's
    # `__init__`, and what it imports (Django imports only `<app>.admin`; the rest only through it)
    admin_module: str = ""
    admin_init: bool = False
    admin_imports: list[str] = field(default_factory=list)
    form_uses: list[str] = field(default_factory=list)  # form and serializer class names the code uses
    model_perms: list[str] = field(default_factory=list)  # Django model permissions required (`app.change_box`)
    request_secrets: list[str] = field(default_factory=list)  # literals a request's token is compared with
    decorators: list[tuple[str, str]] = field(default_factory=list)  # (function qualname, "authz"|"authn")
    default_perms: list[list[str]] = field(default_factory=list)
    default_filters: list[list[str]] = field(default_factory=list)  # DEFAULT_FILTER_BACKENDS ("": unreadable)
    default_auth: list[list[str]] = field(default_factory=list)  # DEFAULT_AUTHENTICATION_CLASSES ("": unreadable)
    # (decorator, path, line, the functions its wrapper hands the request to)
    unread_decorators: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    unread_routes: list[tuple[str, str, int]] = field(default_factory=list)  # (callee, path, line) in urlpatterns
    kwarg_keys: list[tuple[str, list[str]]] = field(default_factory=list)  # (function, URL captures it reads)
    middleware: list[str] = field(default_factory=list)
    middleware_line: int = 0  # where MIDDLEWARE is assigned
    url_views: list[str] = field(default_factory=list)
    debug_views: list[str] = field(default_factory=list)  # routed only inside `if settings.DEBUG:`
    db_tables: list[tuple[str, str]] = field(default_factory=list)  # (table, model qualname)
    url_guards: list[tuple[str, list[str]]] = field(default_factory=list)  # (view, wrappers) in urls.py
    installed_apps: list[str] = field(default_factory=list)
    ninja_owners: list[tuple[str, str | None]] = field(default_factory=list)  # (NinjaAPI/Router var, auth)
    ninja_routes: list[NinjaRoute] = field(default_factory=list)
    ninja_links: list[tuple[str, str]] = field(default_factory=list)  # (api var, router) from add_router
    ninja_permissions: list[tuple[str, list[str] | None]] = field(default_factory=list)  # (controller, permissions)
    router_views: list[tuple[str, str]] = field(default_factory=list)  # (router var, viewset) from register()
    routers_used: list[str] = field(default_factory=list)  # routers whose `.urls` an active URLconf includes
    router_links: list[tuple[str, str]] = field(default_factory=list)  # (router, router whose registry takes its)
    urlconf: bool = False  # the file defines `urlpatterns`
    apps_dynamic: bool = False  # INSTALLED_APPS built from something other than a list of strings
    authorizes: str = ""  # a name of an authorization mechanism this file uses (role-less projects use none)
    routes: list[tuple[str, str, str]] = field(default_factory=list)  # (view, pattern, urls module)
    includes: list[tuple[str, str, str]] = field(default_factory=list)  # (urls module, prefix, included module)
    sign_up: list[tuple[str, int]] = field(default_factory=list)  # (included self-registration URLconf, line)
    # `analyst_required = passes_test_factory(is_analyst)`: (module.name, factory) made at module level
    decorator_aliases: list[tuple[str, str]] = field(default_factory=list)
    registration_open: list[tuple[bool | None, int]] = field(default_factory=list)  # REGISTRATION_OPEN = ... (line)
    # `def wrap(u): u.callback = login_required(u.callback)`: (function, decorators always applied, on some branches)
    callback_wrappers: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    pattern_wrappers: list[str] = field(default_factory=list)  # functions applied to each of the module's patterns
    string_settings: list[tuple[str, list[str]]] = field(default_factory=list)  # settings = [strings] (paths...)
    # Settings that are switches: (name, the literal bool or None when computed, line)
    flag_settings: list[tuple[str, bool | None, int]] = field(default_factory=list)
    # Top-level functions taking a user: (qualname, authorizes in its own body, project calls it makes).
    user_checks: list[tuple[str, bool, list[str]]] = field(default_factory=list)
    enforcers: list[str] = field(default_factory=list)  # user checks that raise PermissionDenied themselves
    # methods taking a user: (name, raises/denies itself, names of the methods it calls on objects)
    method_checks: list[tuple[str, bool, list[str]]] = field(default_factory=list)
    plain_functions: list[str] = field(default_factory=list)  # top-level functions taking no user, never refusing


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


def _returns_own_object(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """get_permission_object() hands over the view's own object (`self.get_object()`, `self.object`, super's)."""
    for n in walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in (
                "get_object", "get_permission_object"):
            return True
        if isinstance(n, ast.Attribute) and n.attr == "object" and isinstance(n.value, ast.Name) \
                and n.value.id == "self":
            return True
    return False


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


# The methods a class-based view answers requests with: decorators on them guard those requests.
HANDLERS = frozenset({"dispatch", "get", "post", "put", "patch", "delete", "head"})


def is_extra_action(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap | None = None) -> bool:
    """A DRF viewset's extra action (`@action(detail=True)`): it answers requests of its own."""
    return any(last_part((imports.qualname(t) if imports is not None else None) or dotted(t) or "") == "action"
               for d in fn.decorator_list for t in [d.func if isinstance(d, ast.Call) else d])


def unwrapped_decorators(decorators: list[ast.expr], imports: ImportMap) -> list[str]:
    """Qualnames of the decorators, `method_decorator(x)` / `method_decorator([x, y])` read as x (and y)."""
    out: list[str] = []
    for d in decorators:
        target = d.func if isinstance(d, ast.Call) else d
        q = imports.qualname(target) or ""
        if last_part(q) == "method_decorator" and isinstance(d, ast.Call) and d.args:
            inner = d.args[0]
            items = inner.elts if isinstance(inner, (ast.List, ast.Tuple)) else [inner]
            out += [imports.qualname(i.func if isinstance(i, ast.Call) else i) or "" for i in items]
        else:
            out.append(q)
    return out


def _calls_super(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`super().dispatch(...)` (or `super(Cls, self).dispatch(...)`) in the method `dispatch`."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == fn.name
               and isinstance(n.func.value, ast.Call) and isinstance(n.func.value.func, ast.Name)
               and n.func.value.func.id == "super" for n in walk(fn))


def _class_info(node: ast.ClassDef, src: SourceFile, imports: ImportMap) -> ClassInfo:
    info = ClassInfo(qualname=f"{imports.module}.{node.name}", path=src.path, line=node.lineno,
                     bases=[imports.qualname(b) or "" for b in node.bases],
                     decorators=[imports.qualname(d) or "" for d in node.decorator_list],
                     guard_level=method_guard(node, imports), login_gate=is_login_gate(node, imports))
    if info.login_gate:
        info.login_exempt = login_exemptions(node)
    info.writing_methods = writing_methods(node)
    info.object_checking_methods = runs_object_check(node)
    info.requires_credentials = _requires_credentials(node, imports)
    # (a mixin a project's managers share, `ModelForUserManagerMixin.for_user()`, is named for them)
    if {last_part(b) for b in info.bases} & _QUERYSET_BASES or node.name.endswith(("ManagerMixin", "QuerySetMixin")):
        info.queryset_methods = [m.name for m in node.body if isinstance(m, ast.FunctionDef) and _returns_own_rows(m)]
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.methods.append(stmt.name)
            if stmt.name in HANDLERS and stmt.decorator_list:
                info.handler_decorators[stmt.name] = unwrapped_decorators(stmt.decorator_list, imports)
            if stmt.name in HANDLERS and _calls_super(stmt):
                info.handlers_calling_super.append(stmt.name)
            if stmt.name == "is_open_for_signup":
                info.signup = signup_answer(stmt)
            elif stmt.name == "has_permission":
                info.permission_test = body_level(stmt, imports)
                info.login_only = login_only_test(stmt)
                info.permission_user_attrs = sorted(role_attributes(stmt))
            elif stmt.name == "has_object_permission":
                info.object_check = object_check_kind(stmt)
            info.get_permissions |= stmt.name == "get_permissions"
            if any(isinstance(n, ast.Raise) for n in walk(stmt)):
                info.raising_methods.append(stmt.name)
            if stmt.name == "get_permission_object":
                info.permission_object_line = stmt.lineno
                info.permission_object_other = not _returns_own_object(stmt)
            # a mixin's get_queryset(), or a DRF filter backend's filter_queryset(), restricting rows to the user
            info.user_queryset |= stmt.name in ("get_queryset", "filter_queryset") and mentions_user(stmt, set())
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
                elif name == "filter_backends":
                    info.filter_backends = perm_list(stmt.value, imports) or [""]
                elif name == "authentication_classes":
                    info.auth_classes = perm_list(stmt.value, imports)
                    info.auth_classes_line = stmt.lineno
                elif name in ("model", "queryset"):
                    info.model = model_ref(stmt.value, imports)
                elif name == "serializer_class":
                    info.serializer = imports.qualname(stmt.value)
                elif name == "http_method_names":
                    info.http_methods = [m.lower() for m in _string_list(stmt.value, imports) or []]
                elif name == "perms_map":
                    info.get_perms = _get_perms(stmt.value)
                elif name == "name" and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str) \
                        and any(last_part(b) == "AppConfig" for b in info.bases):
                    info.app_name = stmt.value.value
    return info


_QUERYSET_BASES = frozenset({"QuerySet", "Manager", "BaseManager"})


def _returns_own_rows(fn: ast.FunctionDef) -> bool:
    """`def open(self): return self.filter(...)`: every value it returns is a chain on itself (`self.filter()`,
    `self.get_queryset().exclude()`, `super().all()`), so it hands back rows of the same model."""
    returns = [n.value for n in walk(fn) if isinstance(n, ast.Return)]

    def rooted(expr: ast.AST | None) -> bool:
        while isinstance(expr, (ast.Call, ast.Attribute, ast.Subscript)):
            if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "super":
                return True
            expr = expr.func if isinstance(expr, ast.Call) else expr.value
        return isinstance(expr, ast.Name) and expr.id == "self"

    return bool(returns) and all(isinstance(r, ast.Call) and rooted(r) for r in returns)


def _get_perms(value: ast.expr) -> bool:
    """A DRF `perms_map` that asks a permission of GET: `{..., "GET": ["%(app_label)s.view_%(model_name)s"]}`."""
    return isinstance(value, ast.Dict) and any(
        isinstance(k, ast.Constant) and k.value == "GET" and isinstance(v, (ast.List, ast.Tuple)) and bool(v.elts)
        for k, v in zip(value.keys, value.values))


# (`save_base()` is Model.save() without its hooks: it still writes the row and sends the save signals)
SAVES = frozenset({"save", "save_base", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create",
                   "update_or_create"})


def writes_in(fn: ast.AST, imports: ImportMap | None = None) -> bool:
    """The code calls a write: `obj.save()`, `X.objects.create(...)`, `qs.update(...)`, `form.save()`. With the
    module's imports, `save()` of an object a document or image library made (`p = canvas.Canvas(buf)`) is not."""
    nodes = walk(fn)
    made = _made_by_file_libraries(nodes, imports) if imports is not None else set()
    return any(isinstance(n, ast.Call) and is_write(n) and not (
        n.func.attr == "save" and isinstance(n.func.value, ast.Name) and n.func.value.id in made)  # type: ignore[attr-defined]
        for n in nodes)


# Libraries whose objects have a `save()` that writes a file, not a row (PDF canvases, workbooks, images, archives).
FILE_LIBRARIES = frozenset({"reportlab", "openpyxl", "xlsxwriter", "xlwt", "PIL", "docx", "pptx", "fpdf", "fitz",
                            "matplotlib", "pandas", "zipfile", "tarfile", "qrcode", "barcode", "weasyprint", "PyPDF2",
                            "pypdf", "imageio", "cairo", "svgwrite"})


def _made_by_file_libraries(nodes: Iterable[ast.AST], imports: ImportMap) -> set[str]:
    """Local names assigned the result of a call into a file library (`wb = openpyxl.Workbook()`)."""
    out: set[str] = set()
    for n in nodes:
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and (
                (imports.qualname(n.value.func) or "").split(".")[0] in FILE_LIBRARIES):
            out.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return out


def is_write(n: ast.Call) -> bool:
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
                if m.name not in writing and is_write(n):
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
    if refuses_failed_test(fn, imports):  # `_passes(view_func, is_member)`: user_passes_test's shape
        return "authz"
    view = _wrapped_view(fn)
    kind = "authn" if inner and (refuses_anonymous(fn, imports, view) or _gates_on_request_test(fn, view)) else None
    if kind is None and inner and request_callees(fn, view, imports):
        kind = UNREAD_CHECK  # unless something below decides (and, once the project is known, its own code is called)
    for n in walk(fn):
        if isinstance(n, ast.Call):
            last = last_part(imports.qualname(n.func)) or (n.func.attr if isinstance(n.func, ast.Attribute) else "")
            if last in _AUTHZ_CALLS:
                return "authz"
            if last in _AUTHN_CALLS:
                kind = "authn"
        elif isinstance(n, ast.Raise) and n.exc is not None and last_part(imports.qualname(n.exc)) == "PermissionDenied":
            # Raised for anonymous users only (`if request.user.is_anonymous: raise PermissionDenied`): a login.
            if body_level(fn, imports) >= AUTHZ:
                return "authz"
            kind = "authn"
        elif isinstance(n, ast.Return) and refuses_caller(n.value, imports):
            # Answers 401/403: to anonymous users (a login), or to callers without a credential it lists (a partner's
            # API token, a signature): the latter admits named callers only.
            signed_in = any(isinstance(m, ast.Attribute) and m.attr in ("is_authenticated", "is_anonymous")
                            for m in walk(fn))
            kind = "authn" if signed_in else "authz"
    return kind


def _wrapped_view(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name a decorator gives the view it wraps: its first parameter, or, for a factory taking none
    (`@credential_check()` returns the decorator), the first parameter of the decorator it defines."""
    if fn.args.args:
        return fn.args.args[0].arg
    return next((f.args.args[0].arg for f in walk(fn) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and f is not fn and f.args.args and f.args.args[0].arg != "request"), None)


def _returned_decorator(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> list[str]:
    """The project function a decorator-shaped function returns a call of, when the function takes the view and
    passes it on: `return other_required(view_func)`, or from its wrapper `return check_and_call(view_func, *args,
    **kwargs)` (the checks live in a function the wrapper hands the view to)."""
    if not fn.args.args or fn.args.args[0].arg in ("self", "request"):
        return []
    first = fn.args.args[0].arg
    returns = [st for st in fn.body if isinstance(st, ast.Return)]
    returns += [st for inner in walk(fn) if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner is not fn
                for st in inner.body if isinstance(st, ast.Return)]
    return [q for st in returns if isinstance(st.value, ast.Call)
            for q in [imports.qualname(st.value.func)] if q and "." in q and any(
                isinstance(n, ast.Name) and n.id == first for n in walk(st.value))][:1]


def kwarg_keys(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The view's keyword arguments (its URL captures) a decorator or check function reads: `kwargs["study_id"]`,
    `kwargs.get("study_id")`, for the `**kwargs` of the function or of its wrapper."""
    names = {f.args.kwarg.arg for f in walk(fn) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             and f.args.kwarg is not None}
    reads = [key_read(n) for n in walk(fn)]
    return sorted({r[1] for r in reads if r is not None and isinstance(r[0], ast.Name) and r[0].id in names})


# A decorator kind: its wrapper hands the request to the project's own code before the view runs
# (`request.researcher = api_get_and_validate_researcher(request)`), which may refuse it: unknown, not "no check".
UNREAD_CHECK = "unknown"


def request_callees(fn: ast.FunctionDef | ast.AsyncFunctionDef, view: str | None, imports: ImportMap) -> list[str]:
    """The functions a decorator's wrapper hands the request to, where it also calls the view (`request.researcher =
    validate_api_key(request)`); whether they are the project's is decided once the project is known."""
    if view is None:
        return []
    out: list[str] = []
    for inner in walk(fn):
        if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) or inner is fn:
            continue
        calls = [c for c in walk(inner) if isinstance(c, ast.Call)]
        if any(dotted(c.func) == view for c in calls):
            out += [q for c in calls for q in [imports.qualname(c.func) or ""] if "." in q and any(
                isinstance(a, ast.Name) and a.id == "request" for a in c.args)]
    return out


_TURNED_AWAY = re.compile(r"redirect|login|abort|forbidden|denied|unauthori[sz]ed", re.IGNORECASE)


def _gates_on_request_test(fn: ast.FunctionDef | ast.AsyncFunctionDef, view: str | None) -> bool:
    """A decorator whose wrapper calls the view only when a check of the request passes, and otherwise sends the
    caller to the login page or refuses them: `if check_is_logged_in(request): return view(...)` / `else: return
    do_login_page_redirect(request)` (a session login kept by hand). The check is a function given the request,
    not a test of its method or headers."""
    if view is None:
        return False
    for inner in walk(fn):
        if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) or inner is fn:
            continue
        request = {a.arg for a in inner.args.args if a.arg == "request"} | {  # `request: HttpRequest = args[0]`
            t.id for st in walk(inner) if isinstance(st, (ast.Assign, ast.AnnAssign))
            for t in (st.targets if isinstance(st, ast.Assign) else [st.target])
            if isinstance(t, ast.Name) and t.id == "request"}
        blocks = [b for n in walk(inner) for b in (getattr(n, "body", None), getattr(n, "orelse", None))
                  if isinstance(b, list)]
        for block in blocks:
            for i, n in enumerate(block):
                if not isinstance(n, ast.If):
                    continue
                test = n.test.operand if isinstance(n.test, ast.UnaryOp) and isinstance(n.test.op, ast.Not) else n.test
                if not (isinstance(test, ast.Call) and any(isinstance(a, ast.Name) and a.id in request
                                                           for a in test.args)):
                    continue
                calls_view = [any(isinstance(c, ast.Call) and dotted(c.func) == view for s in b for c in walk(s))
                              for b in (n.body, n.orelse)]
                # `if ok(request): return view(...)` then the refusal after it, or in its `else`
                refusing = (n.orelse or block[i + 1:]) if calls_view[0] else n.body
                if calls_view[0] != calls_view[1] and any(
                        isinstance(s, ast.Return) and isinstance(s.value, ast.Call)
                        and _TURNED_AWAY.search(dotted(s.value.func) or "") for s in refusing):
                    return True
    return False


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileCode | None:
    assert src.tree is not None
    out = FileCode()
    module_actions = {a.name: a for a in (admin_action(f, imports) for f in src.tree.body
                                          if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))) if a}
    for stmt in src.tree.body:
        if isinstance(stmt, ast.ClassDef):
            _collect_class(stmt, src, imports, module_actions, out)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind = decorator_kind(stmt, imports)
            if kind == UNREAD_CHECK:
                out.unread_decorators.append((f"{imports.module}.{stmt.name}", src.path, stmt.lineno,
                                              request_callees(stmt, _wrapped_view(stmt), imports)))
            elif kind and not (stmt.args.args and stmt.args.args[0].arg == "request"):  # `@login_and_otp_required()`
                out.decorators.append((f"{imports.module}.{stmt.name}", kind))
            elif not kind:  # `return login_active_required(_policies(view_func))`: guards as the decorator it returns
                out.decorator_aliases += [(f"{imports.module}.{stmt.name}", r) for r in _returned_decorator(stmt, imports)]
            keys = kwarg_keys(stmt)
            if keys:
                out.kwarg_keys.append((f"{imports.module}.{stmt.name}", keys))
            check = _user_check(stmt, imports)
            if check:
                out.user_checks.append(check)
                if raises_permission_denied(stmt, imports):
                    out.enforcers.append(check[0])
            elif not raises_permission_denied(stmt, imports):  # `DynamicDonorForm(is_admin, ...)`: builds, no check
                out.plain_functions.append(f"{imports.module}.{stmt.name}")
        elif isinstance(stmt, (ast.Assign, ast.AugAssign)):
            _settings(stmt, imports, out)
            if src.looks_like_settings:
                out.string_settings += _string_setting(stmt)
                out.flag_settings += _flag_setting(stmt)
            alias = _decorator_alias(stmt, imports)
            if alias:
                out.decorator_aliases.append(alias)
        collect_ninja(stmt, imports, out)
    debug = debug_only_nodes(src.tree) if "DEBUG" in src.text else set()
    for node in src.nodes:
        if type(node) is not ast.Call and type(node) is not ast.Attribute and type(node) is not ast.Assign:
            continue  # only calls (`path()`, `register()`), `.urls` and nested routes' names say anything here
        registered = _site_registration(node, imports)
        if registered:
            out.admin.append(registered)
        collect_url_node(node, imports, out, debug_only=id(node) in debug)
        if not src.looks_like_test:
            out.model_perms += _model_permissions(node)
    if not src.looks_like_test and "request" in src.text:
        out.request_secrets = sorted({lit for n in src.nodes if type(n) is ast.Compare for lit in _request_secret(n)})
    if ".admin." in f"{imports.module}." and not src.looks_like_test:
        out.admin_module, out.admin_init = imports.module, src.is_package_init
        out.admin_imports = imported_names(src, imports)
    out.form_uses = sorted({n.id if isinstance(n, ast.Name) else n.attr for n in src.nodes
                            if isinstance(n, (ast.Name, ast.Attribute))
                            and (n.id if isinstance(n, ast.Name) else n.attr).endswith(_FORM_SUFFIXES)})
    if not src.looks_like_test:
        out.authorizes = _authorization_name(src.nodes)
    out.urlconf = "urlpatterns" in src.text and _defines_urlpatterns(src.tree)
    loops = _callback_wrappers(src, imports, out) if "callback" in src.text else []
    if out.urlconf:
        out.pattern_wrappers += pattern_wrappers(src.nodes, imports) + loops
        own = imports.module.split(".")[0]
        out.unread_routes = [(callee, src.path, line) for callee, line in unread_pattern_calls(src.tree, imports)
                             if callee.split(".")[0] != own]
    return out if _has_project_facts(out) else None


def _callback_wrappers(src: SourceFile, imports: ImportMap, out: FileCode) -> list[str]:
    """Project functions that decorate URL patterns, and module-level loops that decorate every pattern
    (`for u in urlpatterns: u.callback = login_required(u.callback)`, returned)."""
    assert src.tree is not None
    loops: list[str] = []
    for stmt in src.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            always, some = callback_decorators(stmt.body, imports)
            if always or some:
                out.callback_wrappers.append((f"{imports.module}.{stmt.name}", always, some))
        elif isinstance(stmt, ast.For):
            always, some = callback_decorators(stmt.body, imports)
            if always or some:
                q = f"{imports.module}.<loop {stmt.lineno}>"
                out.callback_wrappers.append((q, always, some))
                loops.append(q)
    return loops


def _collect_class(stmt: ast.ClassDef, src: SourceFile, imports: ImportMap,
                   module_actions: dict[str, AdminAction], out: FileCode) -> None:
    info = _class_info(stmt, src, imports)
    info.admin_actions += [module_actions[n] for n in _class_list(stmt, "actions") if n in module_actions]
    out.classes.append(info)
    out.method_checks += [c for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                          for c in [_method_check(m, imports)] if c]
    for d in stmt.decorator_list:  # @admin.register(Patient)
        if (isinstance(d, ast.Call) and last_part(imports.qualname(d.func)) == "register" and d.args
                and "admin" in (imports.qualname(d.func) or "")):
            out.admin += [(info.qualname, imports.qualname(a) or "") for a in d.args]
    table = _meta_db_table(stmt)
    if table:
        out.db_tables.append((table.lower(), info.qualname))
    keys = _permission_kwarg_keys(stmt)
    if keys:
        out.kwarg_keys.append((info.qualname, keys))


def _requires_credentials(cls: ast.ClassDef, imports: ImportMap) -> bool:
    """A DRF authentication class whose `authenticate()` refuses a request without its credentials (`raise
    AuthenticationFailed`) and never answers None ("not mine, ask the next one"): DRF stops at the exception, so no
    anonymous request reaches a view it authenticates."""
    fn = next((m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
               and m.name == "authenticate"), None)
    if fn is None or not fn.body or not isinstance(fn.body[-1], (ast.Return, ast.Raise)):
        return False
    returns = [n for n in walk(fn) if isinstance(n, ast.Return)]
    if any(r.value is None or isinstance(r.value, ast.Constant) and r.value.value is None for r in returns):
        return False
    return any(isinstance(n, ast.Raise) and n.exc is not None and last_part(
        imports.qualname(n.exc.func if isinstance(n.exc, ast.Call) else n.exc) or "") in (
        "AuthenticationFailed", "NotAuthenticated") for n in walk(fn))


def _permission_kwarg_keys(cls: ast.ClassDef) -> list[str]:
    """The URL captures a DRF permission class checks: `view.kwargs["patient_pk"]` in its `has_permission()`."""
    found: set[str] = set()
    for m in cls.body:
        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == "has_permission" \
                and len(m.args.args) >= 3:
            view = m.args.args[2].arg
            for n in walk(m):
                read = key_read(n)
                if read is not None and dotted(read[0]) == f"{view}.kwargs":
                    found.add(read[1])
    return sorted(found)


def _meta_db_table(cls: ast.ClassDef) -> str | None:
    """`class Meta: db_table = "..."` of a model class."""
    for meta in (m for m in cls.body if isinstance(m, ast.ClassDef) and m.name == "Meta"):
        for s in meta.body:
            if (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id == "db_table"
                    and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)):
                return s.value.value
    return None


def _decorator_alias(stmt: ast.Assign | ast.AugAssign, imports: ImportMap) -> tuple[str, str] | None:
    """(module.name, factory) of `analyst_required = passes_test_factory(is_analyst)` at module level."""
    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call) and stmt.targets[0].id.islower()):
        factory = imports.qualname(stmt.value.func)
        if factory:
            return f"{imports.module}.{stmt.targets[0].id}", factory
    return None


def _user_check(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> tuple[str, bool, list[str]] | None:
    """A function that takes the user (`def check_project_permissions(project, user)`): whether its body
    authorizes (raises PermissionDenied, tests a role or a permission) and which functions it calls, so that
    a wrapper around such a check authorizes too."""
    if not any("user" in a.arg or a.arg == "request" for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)):
        return None  # (a helper given the request reads the user from it: `update_note_handler(request, ...)`)
    calls = sorted({q for n in walk(fn) if isinstance(n, ast.Call) for q in [imports.qualname(n.func)]
                    if q and "." in q and not q.startswith(("django.", "builtins."))})
    return f"{imports.module}.{fn.name}", body_level(fn, imports) >= AUTHZ, calls


def _method_check(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> tuple[str, bool, list[str]] | None:
    """A method that takes a user (`def check_can_write(self, user)`, `def get_for_user(cls, user, pk)`): whether
    it authorizes, and the methods it calls on objects (`obj.check_permission(user)`), to follow."""
    if not any("user" in a.arg for a in (*fn.args.args[1:], *fn.args.kwonlyargs)):
        return None
    calls = sorted({n.func.attr for n in walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)})
    return fn.name, body_level(fn, imports) >= AUTHZ, calls


def _authorizing_methods(checks: list[tuple[str, bool, list[str]]]) -> set[str]:
    """Names of project methods that check a user's access (raise PermissionDenied, test a permission), themselves
    or through such a method (to depth 3). A name counts only when every method so named and taking a user does."""
    out: set[str] = set()
    for _ in range(4):
        verdict: dict[str, bool] = {}
        for name, authorizes, calls in checks:
            verdict[name] = verdict.get(name, True) and (authorizes or bool(out.intersection(calls)))
        out = {name for name, ok in verdict.items() if ok}
    return out


_MODEL_PERM = re.compile(r"^\w+\.(add|change|delete|view)_\w+$")
_PERM_CALLS = frozenset({"permission_required", "has_perm", "has_perms"})


def _model_permissions(node: ast.AST) -> list[str]:
    """Django model permissions a decorator, a view attribute or a check requires: `@permission_required(
    "app.change_box")`, `permission_required = ("app.view_box",)`, `user.has_perm("app.delete_box")`."""
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            node.func.id if isinstance(node.func, ast.Name) else ""
        values = node.args[:1] if name in _PERM_CALLS else []
        values += [k.value for k in node.keywords if k.arg in ("perm", "perms") and name in _PERM_CALLS]
    elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "permission_required"
                                              for t in node.targets):
        values = [node.value]
    else:
        return []
    elts = [e for v in values for e in (v.elts if isinstance(v, (ast.List, ast.Tuple, ast.Set)) else [v])]
    return [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
            and _MODEL_PERM.match(e.value)]


# Request parameters and headers that carry a credential.
# (by the word it ends with: `token`, `X-Api-Key`, `HTTP_AUTHORIZATION`; not `token_type`, whose values are names)
_CREDENTIAL_KEY = re.compile(r"(^|[_-])(token|secret|password|passwd|pass|key|signature|auth|authorization)$|^(token|key)$",
                             re.IGNORECASE)


def _request_secret(cmp: ast.Compare) -> list[str]:
    """The literal of `request.GET.get("token") == "8d63..."` (either side, `!=` and `in` too): a credential the
    code accepts from whoever sends it."""
    sides = [cmp.left, *cmp.comparators]
    reads = [n for side in sides for n in walk(side) if _reads_request_credential(n)]
    if not reads:
        return []
    out = []
    for side in sides:
        elts = side.elts if isinstance(side, (ast.List, ast.Tuple, ast.Set)) else [side]
        out += [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str) and len(e.value) >= 8]
    return out


def _reads_request_credential(node: ast.AST) -> bool:
    """`request.GET.get("token")`, `request.POST["api_key"]`, `request.headers.get("X-Api-Key")`,
    `request.META["HTTP_AUTHORIZATION"]`."""
    read = key_read(node)
    if read is None:
        return False
    source = dotted(read[0]) or ""
    parts = source.split(".")
    return (parts[-2:-1] == ["request"] or parts[:1] == ["request"]) and parts[-1] in (
        "GET", "POST", "headers", "META", "data", "query_params", "COOKIES") and _CREDENTIAL_KEY.search(read[1]) is not None


def _site_registration(node: ast.AST, imports: ImportMap) -> tuple[str, str] | None:
    """(admin class, model) of `admin.site.register(Model, ModelAdmin)`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register"
            and len(node.args) >= 2):
        return None
    q = imports.qualname(node.func) or ""
    if "admin" not in q and not q.endswith("site.register"):
        return None
    return imports.qualname(node.args[1]) or "", imports.qualname(node.args[0]) or ""


def _authorization_name(nodes: Iterable[ast.AST]) -> str:
    """The first name of an authorization mechanism the file uses, or ""."""
    return next((n.id if isinstance(n, ast.Name) else n.attr for n in nodes
                 if (isinstance(n, ast.Name) and n.id in AUTHZ_NAMES)
                 or (isinstance(n, ast.Attribute) and n.attr in AUTHZ_NAMES)), "")


def _defines_urlpatterns(tree: ast.Module) -> bool:
    """`urlpatterns = [...]`, `urlpatterns: list[URLPattern] = []`, `urlpatterns += [...]`, or `urlpatterns.extend(...)`
    on a list imported from elsewhere (a project helper appending each route)."""
    return any(isinstance(t, ast.Name) and t.id == "urlpatterns" for st in tree.body
               if isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign))
               for t in (st.targets if isinstance(st, ast.Assign) else [st.target])) or any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("extend", "append")
        and isinstance(n.func.value, ast.Name) and n.func.value.id == "urlpatterns" for n in walk(tree))


def _has_project_facts(out: FileCode) -> bool:
    """Whether the file adds anything to the project model (most files add nothing and are not kept)."""
    return bool(out.classes or out.admin or out.decorators or out.default_perms or out.middleware or out.url_views
                or out.installed_apps or out.ninja_owners or out.ninja_routes or out.router_views or out.urlconf
                or out.ninja_permissions
                or out.unread_decorators or out.kwarg_keys
                or out.apps_dynamic or out.authorizes or out.routes or out.includes or out.debug_views
                or out.registration_open or out.decorator_aliases or out.callback_wrappers or out.pattern_wrappers
                or out.router_links or out.user_checks or out.method_checks or out.enforcers or out.string_settings
                or out.flag_settings or out.default_filters or out.default_auth or out.admin_module or out.form_uses
                or out.model_perms or out.request_secrets
                or out.plain_functions)


def _string_setting(stmt: ast.Assign | ast.AugAssign) -> list[tuple[str, list[str]]]:
    """`LOGIN_EXEMPT_URLS = [r"^api/", ...]`: a setting that is a list of strings; or a URL, written out or as the
    default of an environment lookup (`LAB_URL = os.environ.get("LAB_URL", "https://lis.trust.internal/")`)."""
    value = stmt.value
    if isinstance(value, (ast.List, ast.Tuple)) and value.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts):
        strings = [e.value for e in value.elts]  # type: ignore[attr-defined]
    else:
        candidates = [value] if isinstance(value, ast.Constant) else [
            *value.args[1:2], *(k.value for k in value.keywords if k.arg == "default")] if isinstance(value, ast.Call) else []
        strings = [c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)
                   and ("://" in c.value or _CLASS_PATH.fullmatch(c.value))]
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [(t.id, strings) for t in targets if strings and isinstance(t, ast.Name) and t.id.isupper()]


_CLASS_PATH = re.compile(r"[a-z_][\w.]*\.[A-Z]\w*")  # "clinic.users.adapters.AccountAdapter"


def _flag_setting(stmt: ast.Assign | ast.AugAssign) -> list[tuple[str, bool | None, int]]:
    """`ACCOUNT_ALLOW_REGISTRATION = True` (the literal), or `= env.bool("...", True)` (None: decided at run time)."""
    value = stmt.value
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        flag: bool | None = value.value
    elif isinstance(value, (ast.Call, ast.BoolOp, ast.Compare, ast.UnaryOp, ast.Name, ast.Attribute)):
        flag = None
    else:
        return []
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return [(t.id, flag, stmt.lineno) for t in targets if isinstance(t, ast.Name) and t.id.isupper()]


def _settings(stmt: ast.Assign | ast.AugAssign, imports: ImportMap, out: FileCode) -> None:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for t in targets:
        if isinstance(t, ast.Name) and t.id in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            out.middleware.extend(_string_list(stmt.value, imports) or [])
            out.middleware_line = out.middleware_line or stmt.lineno
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
            # A key repeated in the literal keeps its last value, as Python does.
            values = [v for k, v in zip(stmt.value.keys, stmt.value.values)
                      if isinstance(k, ast.Constant) and k.value == "DEFAULT_PERMISSION_CLASSES"]
            if values:
                out.default_perms.append(perm_list(values[-1], imports) or [])
            filters = [v for k, v in zip(stmt.value.keys, stmt.value.values)
                       if isinstance(k, ast.Constant) and k.value == "DEFAULT_FILTER_BACKENDS"]
            if filters:
                out.default_filters.append(perm_list(filters[-1], imports) or [""])
            auth = [v for k, v in zip(stmt.value.keys, stmt.value.values)
                    if isinstance(k, ast.Constant) and k.value == "DEFAULT_AUTHENTICATION_CLASSES"]
            if auth:
                out.default_auth.append(perm_list(auth[-1], imports) or [""])
        elif (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == "REST_FRAMEWORK"
              and isinstance(t.slice, ast.Constant) and t.slice.value == "DEFAULT_PERMISSION_CLASSES"):
            out.default_perms.append(perm_list(stmt.value, imports) or [])


# Library filter backends that keep only the rows the requesting user has object permissions on.
USER_FILTERS = frozenset({"ObjectPermissionsFilter", "DRYPermissionFiltersBase"})


@dataclass
class ProjectCode:
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    admin_models: dict[str, str] = field(default_factory=dict)
    form_uses: set[str] = field(default_factory=set)  # form/serializer class names used by loaded code
    # how often the code requires each Django model permission: `app.change_box` -> 3
    model_perms: dict[str, int] = field(default_factory=dict)
    # literal credentials the code accepts from a request (`request.GET.get("token") == "8d63..."`) -> where
    request_secrets: dict[str, str] = field(default_factory=dict)
    unloaded_admin_models: set[str] = field(default_factory=set)  # models registered in never-imported admin modules
    decorators: dict[str, str] = field(default_factory=dict)
    default_perms: list[list[str]] = field(default_factory=list)
    default_filters: list[list[str]] = field(default_factory=list)
    default_auth: list[list[str]] = field(default_factory=list)
    # Decorators that hand the request to project code wardgate does not follow before the view runs: where defined
    unread_decorators: dict[str, tuple[str, int]] = field(default_factory=dict)
    # URL patterns made by a library's factory (`crudlfap.site.get_urlpattern()`): (callee, path, line)
    unread_routes: list[tuple[str, str, int]] = field(default_factory=list)
    kwarg_keys: dict[str, set[str]] = field(default_factory=dict)  # function -> the view's keyword arguments it reads
    decorator_alias_targets: list[tuple[str, str]] = field(default_factory=list)  # (decorator, what it guards as)
    middleware: list[str] = field(default_factory=list)
    middleware_at: list[tuple[str, int]] = field(default_factory=list)  # (path, line) of each MIDDLEWARE setting
    url_views: set[str] = field(default_factory=set)
    debug_views: set[str] = field(default_factory=set)  # routed only when DEBUG is on
    db_tables: dict[str, str] = field(default_factory=dict)
    url_guards: dict[str, list[str]] = field(default_factory=dict)  # view -> wrappers applied in urls.py
    # function decorating URL patterns -> (decorators applied on every call, only on some branches)
    callback_wrappers: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    installed_apps: list[str] = field(default_factory=list)
    ninja_owners: dict[str, str | None] = field(default_factory=dict)
    ninja_routes: dict[str, NinjaRoute] = field(default_factory=dict)
    ninja_links: dict[str, str] = field(default_factory=dict)  # router -> api
    ninja_permissions: dict[str, list[str] | None] = field(default_factory=dict)  # ninja-extra controller -> perms
    packages: set[str] = field(default_factory=set)  # the project's own top-level packages
    router_views: dict[str, list[str]] = field(default_factory=dict)  # viewset -> routers it is registered on
    routers_used: set[str] = field(default_factory=set)
    router_links: dict[str, list[str]] = field(default_factory=dict)  # router -> routers that serve its registry
    has_urlconf: bool = False
    routes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # view -> [(pattern, urls module)]
    includes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # included -> [(urls module, prefix)]
    authorizers: set[str] = field(default_factory=set)  # project functions that check a user's access (raise/deny)
    authorizing_methods: set[str] = field(default_factory=set)  # ...and names of such methods (`check_can_write`)
    user_methods: set[str] = field(default_factory=set)  # names of project methods taking a user
    enforcers: set[str] = field(default_factory=set)  # project functions that turn the user away (raise), not predicates
    user_functions: set[str] = field(default_factory=set)  # every top-level project function taking a user
    plain_functions: set[str] = field(default_factory=set)  # ...and those taking none that never refuse
    string_settings: dict[str, list[str]] = field(default_factory=dict)
    # switch settings: name -> (literal value, or None when computed or when settings modules disagree, path, line)
    flag_settings: dict[str, tuple[bool | None, str, int]] = field(default_factory=dict)

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
    _qs_methods: set[str] | None = field(default=None, repr=False, compare=False)

    def open_sign_up(self) -> SignUp:
        """Can anyone create an account, why, and where that is decided (facts/sign_up.py)."""
        return open_sign_up(self)

    def routed(self, view: str) -> bool | None:
        """Is the view reachable through a URLconf? None when wardgate cannot tell (no URLconf found)."""
        if not self.has_urlconf:
            return None
        if self.is_url_view(view):
            return True
        routers = self.router_views.get(view)
        if routers is None:
            hits = [v for v in self.router_views if v.endswith("." + last_part(view)) and view.endswith(last_part(v))]
            if len(hits) > 1:  # same-named viewsets of two apps: the one re-exported by an enclosing package
                hits = [v for v in hits if view.startswith(v.rsplit(".", 1)[0] + ".")]
            routers = self.router_views[hits[0]] if len(hits) == 1 else None
        if routers is not None:
            used = {last_part(u) for u in self.routers_used}
            return any(r in self.routers_used or last_part(r) in used for r in self._serving(routers))
        return None  # neither routed nor registered: maybe reached another way (include of a module list...)

    def _serving(self, routers: list[str]) -> set[str]:
        """The routers and every router whose registry took theirs (`a.registry.extend(b.registry)`)."""
        out, todo = set(), list(routers)
        while todo:
            r = todo.pop()
            if r not in out:
                out.add(r)
                todo += self.router_links.get(r, [])
        return out

    def installed(self, module: str) -> bool | None:
        """Is the module's Django app in INSTALLED_APPS? None when that cannot be decided."""
        if not self.apps_known or not self.installed_apps:
            return None
        apps = {self._app_module(a) for a in self.installed_apps}
        # The scan root may sit above Django's import root (manage.py in `openrem/`, app `remapp`
        # analysed as `openrem.remapp`): an app also matches inside the module's dotted path.
        return any(module == a or module.startswith(a + ".") or f".{a}." in f".{module}." for a in apps)

    def _app_module(self, entry: str) -> str:
        """The app an INSTALLED_APPS entry installs: a module, or an AppConfig class whose `name` says which
        (`config.apps.ConsentAppConfig` installs `crateweb.consent`, which need not be its own package)."""
        info = self.lookup(entry)
        if info is not None and info.app_name:
            return info.app_name
        return entry.split(".apps.")[0]

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

    def filters_rows_by_user(self, ref: str | None) -> bool:
        """A filter backend of the view (its own `filter_backends`, else DEFAULT_FILTER_BACKENDS) keeps only the rows
        the requesting user may see: django-guardian's object-permission filters, or a project backend whose
        `filter_queryset()` reads the user (`filter_by_permission(queryset, user=request.user)`)."""
        backends = self.attr(ref, "filter_backends")
        names = backends if isinstance(backends, list) else [b for bs in self.default_filters for b in bs]
        return any(last_part(b) in USER_FILTERS or any(
            info is not None and info.user_queryset for info in map(self.lookup, self.ancestors(b))) for b in names if b)

    def queryset_method(self, name: str) -> bool:
        """A project QuerySet or Manager defines `name` and it returns rows of the same model."""
        if self._qs_methods is None:
            self._qs_methods = {m for c in self.classes.values() for m in c.queryset_methods}
        return name in self._qs_methods

    def authorizes(self, ref: str | None) -> bool | None:
        """Does a call to `ref` check the user's access? None when it is not a project function taking a user
        (a library's check, or something wardgate did not read)."""
        if not ref:
            return None
        if ref in self.authorizers:
            return True
        return False if ref in self.user_functions or ref in self.plain_functions else None

    def credentials_required(self, auth_classes: list[str] | None) -> str | None:
        """The authentication class among `auth_classes` (a view's, else DEFAULT_AUTHENTICATION_CLASSES) that refuses
        every request without its credentials, if any: DRF stops at it, and the authenticators before it answer
        None for an anonymous request."""
        chosen = auth_classes if auth_classes is not None else (self.default_auth[-1] if self.default_auth else [])
        for a in chosen:
            info = self.lookup(a)
            if info is not None and any(i is not None and i.requires_credentials
                                        for i in map(self.lookup, self.ancestors(info.qualname))):
                return info.qualname
        return None

    def method_authorizes(self, name: str) -> bool | None:
        """Does a call of a method so named (`donor.randomise(active_user=user)`) check the user's access? None
        when no project method of that name takes a user (a library's, or something wardgate did not read)."""
        if name in self.authorizing_methods:
            return True
        return False if name in self.user_methods else None

    def checked_captures(self, ref: str | None) -> set[str]:
        """The URL captures an access decorator reads (what its check is about: `study_id`), itself or through the
        check function its wrapper hands the view to."""
        if not ref:
            return set()
        found = set(self.kwarg_keys.get(ref, set()))
        for alias, target in self.decorator_alias_targets:
            if alias == ref:
                found |= self.kwarg_keys.get(target, set())
        return found

    def decorator(self, ref: str | None) -> str | None:
        if not ref:
            return None
        if ref in self.decorators:
            return self.decorators[ref]
        hits = [k for k in self.decorators if k.endswith("." + ref) or ref.endswith("." + k)]
        return self.decorators[hits[0]] if len(hits) == 1 else None


    def url_guard(self, view: str) -> tuple[int, str]:
        """The strongest guard wrapped around `view` where it is routed (`login_required(...)` in urls.py, or
        applied to the pattern's callback by a project function)."""
        best = (NONE, "")
        for w in self.url_guards.get(self.url_key(view), []):
            wrapper = self._callback_wrapper(w)
            for d in wrapper[0] if wrapper is not None else [w]:
                level = self._wrapper_level(d)
                if level > best[0]:
                    best = (level, last_part(d) if wrapper is None else f"{last_part(d)} (by {last_part(w)})")
        return best

    def url_guard_unknown(self, view: str) -> str:
        """Why the guard urls.py wraps around `view` cannot be known: a project function decorates the pattern's
        callback on some branches only (which ones depends on the pattern)."""
        for w in self.url_guards.get(self.url_key(view), []):
            wrapper = self._callback_wrapper(w)
            if wrapper is not None and wrapper[1]:
                return (f"{last_part(w)}() in urls.py applies {', '.join(last_part(d) for d in wrapper[1])} to some "
                        "patterns only")
        return ""

    def _callback_wrapper(self, ref: str) -> tuple[list[str], list[str]] | None:
        if ref in self.callback_wrappers:
            return self.callback_wrappers[ref]
        hits = [k for k in self.callback_wrappers if k.endswith("." + ref) or ref.endswith("." + k)]
        return self.callback_wrappers[hits[0]] if len(hits) == 1 else None

    def _wrapper_level(self, ref: str) -> int:
        kind = self.decorator(ref)
        return WRAPPER_LEVELS.get(last_part(ref)) or (AUTHZ if kind == "authz" else AUTHN if kind == "authn" else NONE)

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
        level, evidence = NONE, "no django-ninja auth on the operation, its router or its API"
        for auth, where in chain:
            if auth is None:
                continue
            if auth == "none":
                level, evidence = NONE, f"`auth=None` on {where}"
                break
            level, evidence = self._ninja_auth_level(auth), f"django-ninja auth {last_part(auth)} on {where}"
            break
        perms = route.permissions if route.permissions is not None else self.ninja_permissions.get(route.owner)
        if perms is not None:  # ninja-extra: every permission class must pass
            level = max([level, *(self._ninja_permission_level(p) for p in perms)])
            shown = ", ".join(last_part(p) for p in perms) or "none"
            evidence = f"{evidence}; permissions {shown}"
        return level, evidence

    def _ninja_auth_level(self, auth: str) -> int:
        """django-ninja's `django_auth` (and a class declared as a login in checks/library_models.toml, or a
        project subclass of one) signs the caller in; its superuser auth, or any other class, may check more."""
        if last_part(auth) in ("django_auth", "SessionAuth"):
            return AUTHN
        for a in self.ancestors(auth):
            lib = library_class(a)
            if lib is not None and lib.auth:
                return AUTHN if lib.auth == "authn" else AUTHZ
        return AUTHZ

    def _ninja_permission_level(self, perm: str) -> int:
        """ninja-extra's permission classes as DRF's: AllowAny lets anyone in, IsAuthenticated any signed-in user;
        IsAdminUser, a project class or one wardgate cannot read may check more."""
        name = last_part(perm)
        if name == "AllowAny":
            return NONE
        if name in ("IsAuthenticated", "IsAuthenticatedOrReadOnly"):
            return AUTHN
        return AUTHZ

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

    def login_exempt_path(self, view: str, vocab: Vocabulary) -> bool:
        """The project's login middleware lets the view through: its route matches one of the middleware's
        exempt path patterns (its own list, or a settings list it reads), or a settings list of public views
        names it. False when the route is unknown."""
        entry = self.login_middleware(vocab)
        settings, literals, view_settings = self._login_exemptions(entry)
        if any(view == v or view.endswith("." + v) or v.endswith("." + view)
               for name in view_settings for v in self.string_settings.get(name, [])):
            return True
        patterns = literals + [p for name in settings for p in self.string_settings.get(name, [])]
        route = self.route(view) if patterns else None
        if route is None:
            return False
        for p in patterns:
            try:
                if _matches_every_path(p):  # `""`, `"/"`: a list of exact paths (`path in settings.X`), not prefixes
                    continue
                if re.match(p, route.lstrip("/")) or re.match(p, route):
                    return True
            except re.error:
                continue
        return False

    def _login_exemptions(self, entry: str | None) -> tuple[list[str], list[str], list[str]]:
        """(settings of exempt path patterns, literal patterns, settings of exempt view names) of a login gate:
        read from the project's own middleware, or declared for a package's (checks/library_models.toml)."""
        for a in self.ancestors(entry):
            info = self.lookup(a)
            if info is not None and info.login_gate:
                return info.login_exempt[0], info.login_exempt[1], []
            lib = library_class(a)
            if lib is not None and lib.login_middleware:
                return list(lib.exempt_path_settings), [], list(lib.exempt_view_settings)
        return [], [], []

    def login_exempt_decorators(self, vocab: Vocabulary) -> set[str]:
        """Last names of the decorators (and mixins) that take a view out of the login middleware's reach."""
        out = {"login_not_required"}
        for a in self.ancestors(self.login_middleware(vocab)):
            lib = library_class(a)
            if lib is not None:
                out |= {last_part(d) for d in lib.exempt_decorators}
        return out

    def unknown_login_middleware(self, vocab: Vocabulary) -> str | None:
        """An installed middleware from a package wardgate cannot read, named like access control
        (`cardinal_pythonlib.django.middleware.LoginRequiredMiddleware`): it may require login for every
        view, so a view's authentication is unknown rather than absent. None when a known gate is installed."""
        if self.login_middleware(vocab):
            return None
        for entry in self.middleware:
            if self.unresolved(entry) and ACCESS_WORDS.search(last_part(entry)):
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


def _matches_every_path(pattern: str) -> bool:
    """A login middleware meant to exempt every path would be no gate: such a pattern is an exact path."""
    return all(re.match(pattern, probe) or re.match(pattern, probe.lstrip("/"))  # as login_exempt_path matches
               for probe in ("/wardgate-probe/a/", "/zz-other-probe/"))


def merge(per_file: dict[str, FileCode], vocab: Vocabulary) -> ProjectCode:
    pc = ProjectCode()
    unloaded = _unloaded_admin_modules(per_file)
    for fc_path, fc in per_file.items():
        _add_file(pc, fc_path, fc, loaded=fc.admin_module not in unloaded)
    if not pc.authorization:
        pc.authorization = _default_authorization(pc.default_perms)
    checks = [c for fc in per_file.values() for c in fc.user_checks]
    pc.authorizers, pc.user_functions = _authorizers(checks), {q for q, _, _ in checks}
    pc.plain_functions = {q for fc in per_file.values() for q in fc.plain_functions}
    raising = {q for fc in per_file.values() for q in fc.enforcers}  # and those calling them enforce too
    pc.enforcers = _authorizers([(q, q in raising, calls) for q, _, calls in checks])
    method_checks = [c for fc in per_file.values() for c in fc.method_checks]
    pc.authorizing_methods = _authorizing_methods(method_checks)
    pc.user_methods = {name for name, _, _ in method_checks}
    aliases = [a for fc in per_file.values() for a in fc.decorator_aliases]
    pc.decorator_alias_targets = aliases
    for _ in range(3):  # decorators made by a project factory guard like the factory's decorator, through chains
        for alias, factory in aliases:  # `nurse_required = user_passes_test(in_groups(...))` too
            kind = pc.decorator(factory) or ("authz" if last_part(factory) in ("user_passes_test", "permission_required")
                                             and factory.startswith("django.") else None)
            if kind and alias not in pc.decorators:
                pc.decorators[alias] = kind
    pc.debug_views -= pc.url_views  # also routed outside a DEBUG block: a production endpoint
    pc._memo = {}
    pc.packages = {q.split(".")[0] for q in pc.classes} | {q.split(".")[0] for q in pc.decorators}
    for fc in per_file.values():  # a decorator handing the request to the project's own code: unknown (json.load is not)
        for q, path, line, callees in fc.unread_decorators:
            if q not in pc.decorators and any(pc.in_project(c) for c in callees):
                pc.decorators[q] = UNREAD_CHECK
                pc.unread_decorators[q] = (path, line)
        # a project function's path() calls are read where it is defined; only a library's factory is unknown
        pc.unread_routes += [r for r in fc.unread_routes if not pc.in_project(r[0])]
    pc.apps_known = bool(pc.installed_apps) and not any(fc.apps_dynamic for fc in per_file.values())
    return pc


def _authorizers(checks: list[tuple[str, bool, list[str]]]) -> set[str]:
    """Functions taking a user that authorize, themselves or through such a function they call (to depth 3)."""
    out = {q for q, authorizes, _ in checks if authorizes}
    for _ in range(3):
        out |= {q for q, _, calls in checks if out.intersection(calls)}
    return out


_FORM_SUFFIXES = ("Form", "FormSet", "Serializer")


def _unloaded_admin_modules(per_file: dict[str, FileCode]) -> set[str]:
    """Modules of an `admin` package that its `__init__` never imports, directly or through the package's other
    modules: Django's autodiscovery imports `<app>.admin` only, so their registrations never run (an EDC app's
    admin of a model marked "not used", its import commented out)."""
    return unloaded_modules("admin", {fc.admin_module: fc.admin_imports for fc in per_file.values() if fc.admin_module})


def _add_file(pc: ProjectCode, fc_path: str, fc: FileCode, *, loaded: bool = True) -> None:
    """One file's facts into the project's; `loaded` False for an admin module Django never imports."""
    for name, values in fc.string_settings:
        pc.string_settings.setdefault(name, []).extend(values)
    for name, flag, line in fc.flag_settings:
        seen = pc.flag_settings.get(name)
        pc.flag_settings[name] = (flag, fc_path, line) if seen is None else (seen[0] if seen[0] == flag else None,
                                                                             *seen[1:])
    for c in fc.classes:
        pc.classes[c.qualname] = c
        pc.by_name.setdefault(last_part(c.qualname), []).append(c.qualname)
    if loaded:
        pc.admin_models.update({admin_cls: model for admin_cls, model in fc.admin if admin_cls and model})
        pc.form_uses.update(fc.form_uses)
        for perm in fc.model_perms:
            pc.model_perms[perm] = pc.model_perms.get(perm, 0) + 1
        for literal in fc.request_secrets:
            pc.request_secrets.setdefault(literal, fc_path)
    else:
        pc.unloaded_admin_models.update(model for _admin_cls, model in fc.admin if model)
    pc.decorators.update(dict(fc.decorators))
    pc.default_perms.extend(fc.default_perms)
    pc.default_filters.extend(fc.default_filters)
    pc.default_auth.extend(fc.default_auth)
    pc.kwarg_keys.update({q: set(keys) for q, keys in fc.kwarg_keys})
    pc.middleware.extend(fc.middleware)
    if fc.middleware_line:
        pc.middleware_at.append((fc_path, fc.middleware_line))
    pc.url_views.update(fc.url_views)
    pc.debug_views.update(fc.debug_views)
    pc.db_tables.update(dict(fc.db_tables))
    for view, wrappers in fc.url_guards:
        pc.url_guards.setdefault(view, []).extend(wrappers)
    for view in fc.url_views:  # `[wrap(u) for u in patterns]`: every pattern of the module is wrapped
        pc.url_guards.setdefault(view, []).extend(fc.pattern_wrappers)
    pc.callback_wrappers.update({q: (always, some) for q, always, some in fc.callback_wrappers})
    pc.installed_apps.extend(fc.installed_apps)
    pc.ninja_owners.update(dict(fc.ninja_owners))
    pc.ninja_routes.update({r.view: r for r in fc.ninja_routes})
    pc.ninja_links.update({router: api for api, router in fc.ninja_links})
    pc.ninja_permissions.update(dict(fc.ninja_permissions))
    for router, viewset in fc.router_views:
        pc.router_views.setdefault(viewset, []).append(router)
    pc.routers_used.update(r for r in fc.routers_used if r)
    for source, target in fc.router_links:
        pc.router_links.setdefault(source, []).append(target)
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


def _default_authorization(default_perms: list[list[str]]) -> str:
    """A DRF default permission class stronger than a login, as the project's authorization, or ""."""
    authorization = ""
    for perms in default_perms:
        strong = [p for p in perms if last_part(p) not in ("IsAuthenticated", "AllowAny", "IsAuthenticatedOrReadOnly")]
        if strong:
            authorization = f"DEFAULT_PERMISSION_CLASSES {last_part(strong[0])}"
    return authorization


def is_login_middleware(name: str, vocab: Vocabulary) -> bool:
    return matches(name, "django.contrib.auth.middleware.LoginRequiredMiddleware", *vocab.login_required_middleware)


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
