"""URLconfs, routers and django-ninja: where each view is reachable and what urls.py wraps around it.

`path("x/", login_required(views.chart))`, `path("api/", include("clinic.urls"))`,
`router.register("patients", PatientViewSet)` + `include(router.urls)`, and django-ninja's
`NinjaAPI(auth=...)` / `Router(auth=...)` / `@api.get(..., auth=...)`. Patterns can also be decorated after they
are built: `urlpatterns = [wrap(u) for u in patterns]` with a project `wrap()` that sets
`u.callback = login_required(u.callback)`, or the same assignment in a loop over the patterns.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..names import ImportMap, dotted, last_part
from ..walk import walk
from .guards import AUTHN, AUTHZ

if TYPE_CHECKING:
    from .django_code import FileCode


@dataclass
class NinjaRoute:
    """A django-ninja operation: `@api.get("/x", auth=...)` on a function."""

    view: str  # function qualname (`module.Controller.method` for a django-ninja-extra controller's route)
    owner: str  # qualname of the NinjaAPI/Router object (or ninja-extra controller) it is registered on
    auth: str | None  # None: not given (inherited); "none": `auth=None`; else the auth's qualname
    permissions: list[str] | None = None  # ninja-extra's `permissions=[...]`; None: not given (inherited)


def callback_decorators(body: list[ast.stmt], imports: ImportMap) -> tuple[list[str], list[str]]:
    """The decorators `pattern.callback = D(pattern.callback)` applies in `body`: (on every pass, only on some
    branches). One inside an `if` depends on the pattern (its name, a list passed in): not every view gets it."""
    always: list[str] = []
    some: list[str] = []

    def visit(stmts: list[ast.stmt], nested: bool) -> None:
        for st in stmts:
            if isinstance(st, ast.Assign) and _decorates_callback(st):
                name = imports.qualname(st.value.func) or ""  # type: ignore[attr-defined]
                (some if nested else always).append(name)
            for field in ("body", "orelse", "handlers", "finalbody"):
                inner = getattr(st, field, None)
                if isinstance(inner, list) and not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                     ast.ClassDef)):
                    visit([s for s in inner if isinstance(s, ast.stmt)],
                          nested or isinstance(st, (ast.If, ast.Try, ast.While)))

    visit(body, False)
    return always, [d for d in some if d not in always]


def _decorates_callback(st: ast.Assign) -> bool:
    t, v = st.targets[0], st.value
    return (len(st.targets) == 1 and isinstance(t, ast.Attribute) and t.attr == "callback" and isinstance(v, ast.Call)
            and bool(v.args) and isinstance(v.args[0], ast.Attribute) and v.args[0].attr == "callback")


def pattern_wrappers(nodes: list[ast.AST], imports: ImportMap) -> list[str]:
    """Functions applied to each URL pattern of the module: `[wrap(u, **cfg) for u in patterns]`, `map(wrap, ...)`."""
    out: list[str] = []
    for n in nodes:
        if isinstance(n, ast.ListComp) and isinstance(n.elt, ast.Call) and n.elt.args and len(n.generators) == 1 \
                and isinstance(n.elt.args[0], ast.Name) and isinstance(n.generators[0].target, ast.Name) \
                and n.elt.args[0].id == n.generators[0].target.id:
            name = imports.qualname(n.elt.func)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "map" and n.args:
            name = imports.qualname(n.args[0])
        else:
            continue
        if name and not name.startswith("django."):
            out.append(name)
    return out


# Calls in `urlpatterns` that add no views over project data: static files, debug tools, wrappers of readable
# patterns, and allauth's provider sign-in callbacks.
_NO_VIEWS = frozenset({"static", "staticfiles_urlpatterns", "debug_toolbar_urls", "i18n_patterns",
                       "format_suffix_patterns", "patterns", "path", "re_path", "url", "include",
                       "default_urlpatterns"})


def unread_pattern_calls(tree: ast.Module, imports: ImportMap) -> list[tuple[str, int]]:
    """(callee, line) of each entry of `urlpatterns` built by a call wardgate cannot see into:
    `urlpatterns = [crudlfap.site.get_urlpattern(), ...]`. The views such a call serves are routed, but where and
    behind what is unknown (a library's URL factory); the caller decides whether the callee is project code."""
    out: list[tuple[str, int]] = []
    for st in tree.body:
        if isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and st.value is not None and any(
                isinstance(t, ast.Name) and t.id == "urlpatterns"
                for t in (st.targets if isinstance(st, ast.Assign) else [st.target])):
            entries = _list_entries(st.value)
        elif (isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Attribute)
              and st.value.func.attr in ("append", "extend") and isinstance(st.value.func.value, ast.Name)
              and st.value.func.value.id == "urlpatterns" and st.value.args):
            arg = st.value.args[0]
            entries = [arg] if st.value.func.attr == "append" else _list_entries(arg)
        else:
            continue
        for e in entries:
            call = e.value if isinstance(e, ast.Starred) else e
            if not isinstance(call, ast.Call):
                continue
            callee = imports.qualname(call.func) or dotted(call.func) or ""
            if callee and last_part(callee) not in _NO_VIEWS and not callee.startswith("django."):
                out.append((callee, call.lineno))
    return out


def _list_entries(node: ast.expr) -> list[ast.expr]:
    """The entries of `[...]`, `[...] + [...]` and `[...] + static(...)` (a call added whole is one entry)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _list_entries(node.left) + _list_entries(node.right)
    return [node] if isinstance(node, ast.Call) else []


def _is_include(node: ast.expr, imports: ImportMap) -> bool:
    return isinstance(node, ast.Call) and last_part(imports.qualname(node.func) or "") == "include"


def _url_view(node: ast.expr, imports: ImportMap) -> tuple[str | None, list[str]]:
    """The view of a `path()` argument and the wrappers applied to it in urls.py:
    `login_required(PatientView.as_view())`, `permission_required("clinic.view_patient")(views.chart)`."""
    wrappers: list[str] = []
    while isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "as_view":  # SomeView.as_view()
            node = func.value
            break
        name = imports.qualname(func.func if isinstance(func, ast.Call) else func)
        if name:
            wrappers.append(name)
        if not node.args:
            return None, wrappers
        node = node.args[0]
    return imports.qualname(node), wrappers


WRAPPER_LEVELS = {"login_required": AUTHN, "permission_required": AUTHZ, "user_passes_test": AUTHZ,
                   "staff_member_required": AUTHZ, "superuser_required": AUTHZ}
_NINJA_METHODS = ("get", "post", "put", "patch", "delete", "api_operation")


def _auth_kw(call: ast.Call, imports: ImportMap) -> str | None:
    """The `auth=` of a NinjaAPI/Router/operation: None when not given, "none" for `auth=None`."""
    kw = next((k.value for k in call.keywords if k.arg == "auth"), None)
    if kw is None:
        return None
    if isinstance(kw, ast.Constant) and kw.value is None:
        return "none"
    if isinstance(kw, (ast.List, ast.Tuple)):
        names = [imports.qualname(e.func if isinstance(e, ast.Call) else e) or "auth" for e in kw.elts]
        return "none" if not names else names[0]
    return imports.qualname(kw.func if isinstance(kw, ast.Call) else kw) or "auth"


# django-ninja-extra's route decorators on controller methods: `@route.get(...)`, `@http_post(...)`.
_EXTRA_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "generic"})
_EXTRA_HTTP = frozenset({"http_get", "http_post", "http_put", "http_patch", "http_delete", "http_generic"})


def _perms_kw(call: ast.Call, imports: ImportMap) -> list[str] | None:
    """ninja-extra's `permissions=[A, B()]` (qualnames); None when not given."""
    kw = next((k.value for k in call.keywords if k.arg == "permissions"), None)
    if kw is None:
        return None
    elts = kw.elts if isinstance(kw, (ast.List, ast.Tuple)) else [kw]
    return [imports.qualname(e.func if isinstance(e, ast.Call) else e) or "permission" for e in elts]


def _collect_controller(cls: ast.ClassDef, imports: ImportMap, out: FileCode) -> None:
    """django-ninja-extra: `@api_controller("/x", auth=..., permissions=[...])` on a class whose methods carry
    `@route.get(...)` / `@http_get(...)`: each such method is an operation, registered on the controller."""
    ctrl = next((d for d in cls.decorator_list if (imports.qualname(d.func if isinstance(d, ast.Call) else d) or "")
                 .startswith("ninja_extra") and last_part(imports.qualname(d.func if isinstance(d, ast.Call) else d)
                                                          or "") == "api_controller"), None)
    if ctrl is None:
        return
    owner = f"{imports.module}.{cls.name}"
    out.ninja_owners.append((owner, _auth_kw(ctrl, imports) if isinstance(ctrl, ast.Call) else None))
    out.ninja_permissions.append((owner, _perms_kw(ctrl, imports) if isinstance(ctrl, ast.Call) else None))
    for m in cls.body:
        if not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for d in m.decorator_list:
            if not isinstance(d, ast.Call):
                continue
            name = imports.qualname(d.func) or ""
            if name.startswith("ninja_extra") and (last_part(name) in _EXTRA_HTTP or (
                    isinstance(d.func, ast.Attribute) and d.func.attr in _EXTRA_ROUTES
                    and last_part(imports.qualname(d.func.value) or "") == "route")):
                out.ninja_routes.append(NinjaRoute(view=f"{owner}.{m.name}", owner=owner, auth=_auth_kw(d, imports),
                                                   permissions=_perms_kw(d, imports)))
                break


def collect_ninja(stmt: ast.stmt, imports: ImportMap, out: FileCode) -> None:
    """django-ninja: `api = NinjaAPI(auth=...)`, `router = Router(...)`, `@router.get(...)` functions; and
    django-ninja-extra's `NinjaExtraAPI`, controllers and `api.register_controllers(...)`."""
    if isinstance(stmt, ast.ClassDef) and stmt.decorator_list:
        _collect_controller(stmt, imports, out)
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute) \
            and stmt.value.func.attr == "register_controllers":
        api = imports.qualname(stmt.value.func.value) or ""
        out.ninja_links += [(api, c) for c in (imports.qualname(a) for a in stmt.value.args) if api and c]
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
        callee = imports.qualname(stmt.value.func) or ""
        if (callee.startswith("ninja.") and last_part(callee) in ("NinjaAPI", "Router")) or (
                callee.startswith("ninja_extra") and last_part(callee) in ("NinjaExtraAPI", "Router")):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    out.ninja_owners.append((f"{imports.module}.{t.id}", _auth_kw(stmt.value, imports)))
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for d in stmt.decorator_list:
            if (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in _NINJA_METHODS
                    and isinstance(d.func.value, (ast.Name, ast.Attribute))):
                owner = imports.qualname(d.func.value) or ""
                out.ninja_routes.append(NinjaRoute(view=f"{imports.module}.{stmt.name}", owner=owner,
                                                   auth=_auth_kw(d, imports)))
    elif (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute)
          and stmt.value.func.attr == "add_router" and len(stmt.value.args) >= 2):
        api = imports.qualname(stmt.value.func.value) or ""
        router = imports.qualname(stmt.value.args[1]) or ""
        if api and router:
            out.ninja_links.append((api, router))


def debug_only_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes in the body of `if settings.DEBUG:` / `if DEBUG:` (not `if DEBUG or ...`: that may run)."""
    out: set[int] = set()
    for node in walk(tree):
        if isinstance(node, ast.If) and (dotted(node.test) or "").rsplit(".", 1)[-1] == "DEBUG":
            for stmt in node.body:
                out.update(id(n) for n in walk(stmt))
    return out


def collect_url_node(node: ast.AST, imports: ImportMap, out: FileCode, debug_only: bool = False) -> None:
    """Routes, includes, routers and wrappers from one node of a URLconf (any module may hold one)."""
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and _registration(node.value, imports)):
        # drf-extensions' nested routes: `patients = router.register(...)` then `patients.register(...)` puts the
        # nested viewset in `router`'s registry
        nested = node.value.func.value  # type: ignore[attr-defined]
        out.router_links.append((imports.qualname(node.targets[0]) or node.targets[0].id,
                                 imports.qualname(nested) or dotted(nested) or ""))
    if _registration(node, imports):
        prefix, viewset = _register_args(node)  # type: ignore[arg-type]
        assert prefix is not None and viewset is not None
        _router_registration(node.func.value, prefix, viewset, imports, out)  # type: ignore[attr-defined]
    elif isinstance(node, ast.Attribute) and node.attr == "urls" and isinstance(node.value, (ast.Name, ast.Attribute)):
        out.routers_used.append(imports.qualname(node.value) or dotted(node.value) or "")
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "extend"
          and _registry_of(node.func.value) is not None and node.args and _registry_of(node.args[0]) is not None):
        # `global_router.registry.extend(app_router.registry)`: the app router's viewsets are served by the other
        target, source = _registry_of(node.func.value), _registry_of(node.args[0])
        out.router_links.append((imports.qualname(source) or dotted(source) or "",
                                 imports.qualname(target) or dotted(target) or ""))
    if isinstance(node, ast.Call) and last_part(imports.qualname(node.func)) in ("path", "re_path", "url"):
        _path_call(node, imports, out, debug_only)
    elif isinstance(node, ast.Call) and last_part(imports.qualname(node.func) or "") == "patterns" and node.args:
        _old_patterns(node, imports, out, debug_only)


def _old_patterns(call: ast.Call, imports: ImportMap, out: FileCode, debug_only: bool) -> None:
    """Django < 1.10: `patterns(prefix, (regex, view, kwargs, name), url(...), ...)`; a view may be a dotted string,
    completed by the prefix (`patterns("clinic.views", (r"^$", "index"))`). url() entries are read as url() calls."""
    prefix = call.args[0].value if isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str) else ""
    for entry in call.args[1:]:
        if not (isinstance(entry, ast.Tuple) and len(entry.elts) >= 2 and isinstance(entry.elts[0], ast.Constant)
                and isinstance(entry.elts[0].value, str)):
            continue
        pattern, view = entry.elts[0].value, entry.elts[1]
        if _is_include(view, imports):
            _include(view, pattern, entry.lineno, imports, out)
        elif isinstance(view, ast.Constant) and isinstance(view.value, str):
            q = f"{prefix}.{view.value}" if prefix else view.value
            (out.debug_views if debug_only else out.url_views).append(q)
            if not debug_only:
                out.routes.append((q, pattern, imports.module))
        else:
            _route(view, pattern, imports, out, debug_only)


def _registry_of(node: ast.expr) -> ast.expr | None:
    """The router of `router.registry`."""
    return node.value if isinstance(node, ast.Attribute) and node.attr == "registry" else None


def _path_call(call: ast.Call, imports: ImportMap, out: FileCode, debug_only: bool) -> None:
    """path(route, view) or path(route, view=view), path(route=..., view=...); `view` may be an include()."""
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    route_arg = call.args[0] if call.args else kw.get("route") or kw.get("regex")
    view_arg = call.args[1] if len(call.args) >= 2 else kw.get("view")
    if route_arg is None or view_arg is None:
        return
    pattern = route_arg.value if isinstance(route_arg, ast.Constant) and isinstance(route_arg.value, str) else "?"
    if _is_include(view_arg, imports):
        _include(view_arg, pattern, call.lineno, imports, out)
    else:
        _route(view_arg, pattern, imports, out, debug_only)


def _registration(node: ast.AST, imports: ImportMap) -> bool:
    """`router.register("patients", PatientViewSet)`, also `register(r"patients", viewset=PatientViewSet)` (not the
    admin site's `register`)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register"
            and None not in _register_args(node) and "admin" not in (imports.qualname(node.func) or ""))


def _register_args(call: ast.Call) -> tuple[ast.expr | None, ast.expr | None]:
    """(prefix, viewset) of DRF's `register(prefix, viewset, basename=None)`, by position or keyword."""
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    prefix = call.args[0] if call.args else kw.get("prefix")
    viewset = call.args[1] if len(call.args) >= 2 else kw.get("viewset")
    return prefix, viewset


def _router_registration(router_node: ast.expr, prefix: ast.expr, viewset_node: ast.expr, imports: ImportMap,
                         out: FileCode) -> None:
    """`router.register("patients", PatientViewSet)`: the viewset is routed under the router's prefix."""
    router = imports.qualname(router_node) or dotted(router_node) or ""
    viewset = imports.qualname(viewset_node)
    if router and viewset:
        out.router_views.append((router, viewset))
        if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
            out.routes.append((viewset, f"{prefix.value.strip('^$/')}/", f"<{last_part(router)}>"))


def _route(view_arg: ast.expr, pattern: str, imports: ImportMap, out: FileCode, debug_only: bool) -> None:
    """`path("p/<int:pk>/", views.chart)`: a routed view, and the decorators wrapped around it in urls.py."""
    q, wrappers = _url_view(view_arg, imports)
    if q and debug_only:
        out.debug_views.extend(imports.star_candidates(q) or [q])
    elif q:
        for view in imports.star_candidates(q) or [q]:  # only a candidate that is a real view matches
            out.url_views.append(view)
            out.routes.append((view, pattern, imports.module))
            if wrappers:
                out.url_guards.append((view, wrappers))


def _include(view_arg: ast.expr, pattern: str, line: int, imports: ImportMap, out: FileCode) -> None:
    """`path("api/", include("clinic.urls"))` or `include(router.urls)`: the included URLconf and its prefix."""
    target = view_arg.args[0] if view_arg.args else None  # type: ignore[attr-defined]
    if isinstance(target, ast.Constant) and isinstance(target.value, str):
        out.includes.append((imports.module, pattern, target.value))
        if target.value in SIGN_UP_URLCONFS:
            out.sign_up.append((target.value, line))
    elif isinstance(target, ast.Attribute) and target.attr == "urls":
        out.includes.append((imports.module, pattern,
                             f"<{last_part(imports.qualname(target.value) or dotted(target.value) or '')}>"))


# URLconfs of django-registration(-redux) backends that let anyone create an account
# (`admin_approval` needs an administrator and is not here). REGISTRATION_OPEN = False closes them.
SIGN_UP_URLCONFS = frozenset({
    "registration.backends.simple.urls", "registration.backends.default.urls", "registration.backends.hmac.urls",
    "registration.backends.model_activation.urls", "django_registration.backends.one_step.urls",
    "django_registration.backends.activation.urls",
    "allauth.urls", "allauth.account.urls",
    # django-rest-auth and dj-rest-auth register through allauth (its adapter decides)
    "rest_auth.registration.urls", "dj_rest_auth.registration.urls",
})


def clean_pattern(pattern: str) -> str:
    """A URL pattern as people read it: `^patients/(?P<pk>\\d+)/$` -> `patients/(?P<pk>\\d+)/`."""
    return pattern.lstrip("^").rstrip("$")
