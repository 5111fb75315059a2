"""How code guards itself: the access level a function body, decorator or middleware enforces.

Levels: NONE = anyone, AUTHN = a signed-in user, AUTHZ = an authorized user (a permission, a role
test, an object permission, a raised PermissionDenied). Shared by the project's fact collectors (a
mixin's `dispatch()`, a project middleware's `__call__`) and the view analysis.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable

from ..names import ImportMap, dotted, last_part, matches
from ..walk import walk

NONE, AUTHN, AUTHZ = 0, 1, 2
LEVEL_NAMES = {NONE: "anyone", AUTHN: "any signed-in user", AUTHZ: "authorized users"}
# Names that say a decorator or middleware from an unreadable package is access control (`@require_role`).
ACCESS_WORDS = re.compile(r"login|auth|perm|role|require|access|staff|group|allow|restrict|member|otp|verified",
                          re.IGNORECASE)
# Methods of a class that run before every request it serves, so a check in them guards the view.
GUARD_METHODS = ("dispatch", "setup", "test_func", "has_permission", "check_permissions", "initial")
_LOGIN_REDIRECTS = ("redirect_to_login", "redirect", "HttpResponseRedirect", "HttpResponseForbidden",
                    "HttpResponseNotAllowed", "JsonResponse", "HttpResponse")


def body_level(body: ast.AST, imports: ImportMap, tokens: bool = True) -> int:
    """A used `has_perm()`, a raised PermissionDenied or a role test authorizes; `is_authenticated` authenticates.
    So does a row looked up by a secret the URL carries (an invitation or reset token), unless `tokens` is False."""
    level = NONE
    aliases = _user_aliases(body)
    # PermissionDenied raised for an unverified second factor or an inactive account refuses strangers,
    # not roles: `if not request.user.is_verified(): raise PermissionDenied`.
    authn_raises = {id(r) for n in walk(body) if isinstance(n, ast.If) and _authn_only(n.test, aliases)
                    for st in n.body for r in walk(st) if isinstance(r, ast.Raise)}
    # A role attribute guards only where it decides something (a test, a returned verdict, a stored flag),
    # not where it is logged or listed for a template.
    deciding = {id(x) for n in walk(body) for part in _decisions(n) for x in walk(part)}
    params = {a.arg for a in body.args.args} if isinstance(body, (ast.FunctionDef, ast.AsyncFunctionDef)) else set()
    # names holding what the URL captured (`reset_key = kwargs.get("reset_key")`) count as the parameters do, and so
    # do names holding what the client posted (`token = json.loads(request.body).get("patient_token")`): a secret the
    # caller sends is the same capability in the body as in the URL
    params |= {t.id for n in walk(body) if isinstance(n, ast.Assign) and _url_key(n.value) is not None
               for t in n.targets if isinstance(t, ast.Name)}
    sent = params | _client_names(body)  # (for secret lookups only: a test of a posted value is a check)
    for n in walk(body):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in (
                "has_perm", "has_perms", "has_object_permission", "check_object_permissions"):
            level = AUTHZ if not (_is_bare(n, body) or _only_picks_redirect(n, body)) \
                or n.func.attr == "check_object_permissions" else level
        elif isinstance(n, ast.Raise) and n.exc is not None and last_part(imports.qualname(n.exc)) in (
                "PermissionDenied", "PermissionDeniedError"):
            level = max(level, AUTHN) if id(n) in authn_raises else AUTHZ
        elif isinstance(n, ast.Attribute) and n.attr in ("is_staff", "is_superuser", "groups") and id(n) in deciding:
            level = AUTHZ
        elif isinstance(n, ast.Attribute) and n.attr in ("is_authenticated", "is_anonymous"):
            level = max(level, AUTHN)
        elif isinstance(n, ast.If) and any(isinstance(a, ast.Call) and _requester_row_exists(a) for a in walk(n.test)):
            level = max(level, AUTHN)  # `if User.objects.filter(id=request.user.id).exists():` a signed-in user
        elif isinstance(n, (ast.If, ast.IfExp, ast.While, ast.Assert)) and _tests_role(n.test, aliases):
            level = AUTHZ
        elif isinstance(n, ast.If) and _tests_request_role(n.test) and any(
                _refuses(st, imports, not_found=True) for b in n.body for st in walk(b) if isinstance(st, ast.stmt)):
            level = AUTHZ  # `if not request.is_opportunity_pm: raise Http404()`: refused unless the role is there
        elif tokens and isinstance(n, ast.Call) and (any(k.arg and _SECRET_KEY.search(k.arg) and _url_value(k.value, sent)
                                              for k in n.keywords) or any(_url_secret(a) for a in n.args)):
            # `get_object_or_404(Invite, token=token)`, `Signup.objects.get(link_token=kwargs["token"])`,
            # `try_authenticate(self.kwargs["token"])`: the row a secret in the URL names, to its holder
            level = AUTHZ
        elif isinstance(n, ast.If) and _denied_by_predicate(n.test) and any(
                isinstance(st, (ast.Raise, ast.Return)) for st in n.body):
            # `if not MRSRequest(id=uuid).is_allowed(request): return HttpResponseBadRequest()`, `if not
            # is_wetlab_manager(request): return render(request, "error.html")`: the rest of the view runs only
            # when a predicate over the caller's request (session, token, user, groups) holds
            level = AUTHZ
        elif isinstance(n, ast.If) and not _authn_only(n.test, aliases) and not any(
                isinstance(a, ast.Attribute) and a.attr == "method" for a in walk(n.test)) and not _only_params_and_settings(
                n.test, params) and any(
                isinstance(st, ast.Return) and refuses_caller(st.value, imports) for st in (*n.body, *n.orelse)):
            # `if token != response.token: return HttpResponseForbidden()` (a per-row credential), `if not
            # is_manager: return HttpResponse(status=403)`, `if p.is_member(user): ... else: return Response(status=403)`:
            # a test other than the login, failed with 403
            level = AUTHZ
    return level


# Predicates that decide whether the caller may act: `is_allowed(request)`, `can_edit(request.user)`,
# `is_wetlab_manager(request)`; not what the request is (`is_ajax`) nor whether it is signed in.
_CALLER_PREDICATE = re.compile(r"^(is_)?(allowed|permitted|authori[sz]ed)$|^(has|can|may|user_can)_\w+$|^is_\w+$")


def _denied_by_predicate(test: ast.expr) -> bool:
    """`not pred(request)` (alone or in an `or`): a permission predicate over the request, its user or session."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    return any(isinstance(p, ast.UnaryOp) and isinstance(p.op, ast.Not) and _asks_about_caller(p.operand)
               for p in parts)


def _asks_about_caller(call: ast.expr) -> bool:
    if not (isinstance(call, ast.Call) and isinstance(call.func, (ast.Name, ast.Attribute))):
        return False
    name = call.func.id if isinstance(call.func, ast.Name) else call.func.attr
    return _CALLER_PREDICATE.match(name) is not None and name not in _REQUEST_OWN | _AUTHN_ATTRS and any(
        (dotted(a) or "").split(".")[0] == "request" or (dotted(a) or "").startswith("self.request") for a in call.args)


_CLIENT_PARTS = frozenset({"body", "POST", "GET", "data", "query_params", "headers", "META"})


def _client_names(body: ast.AST) -> set[str]:
    """Local names bound to what the client sent (`data = json.loads(request.body)`, then `token = data.get(...)`),
    not to the requesting user."""
    names: set[str] = set()
    for _ in range(2):
        for n in walk(body):
            if not isinstance(n, ast.Assign):
                continue
            reads_client = any(isinstance(x, ast.Attribute) and x.attr in _CLIENT_PARTS and dotted(x.value) in (
                "request", "self.request") for x in walk(n.value)) or any(
                isinstance(x, ast.Name) and x.id in names for x in walk(n.value))
            if reads_client and not mentions_user(n.value, set()):
                names.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return names


def _url_value(node: ast.expr, params: set[str]) -> bool:
    """A value the URL captured: a parameter of the view function, or `kwargs[...]` / `self.kwargs[...]`."""
    return (isinstance(node, ast.Name) and node.id in params) or _url_key(node) is not None


def _url_secret(node: ast.expr) -> bool:
    """`kwargs["token"]`, `self.kwargs.get("link_token")`: a URL capture named as a secret."""
    key = _url_key(node)
    return key is not None and _SECRET_KEY.search(key) is not None


def _url_key(node: ast.expr) -> str | None:
    """The key of `kwargs["k"]`, `self.kwargs["k"]`, `kwargs.get("k")`; None for anything else."""
    read = key_read(node)
    return read[1] if read is not None and dotted(read[0]) in ("kwargs", "self.kwargs") else None


def key_read(node: ast.AST) -> tuple[ast.expr, str] | None:
    """`x["k"]` or `x.get("k")` -> (x, "k"); None for anything else."""
    if isinstance(node, ast.Subscript):
        holder, key = node.value, node.slice
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        holder, key = node.func.value, node.args[0]
    else:
        return None
    return (holder, key.value) if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _only_params_and_settings(test: ast.expr, params: set[str]) -> bool:
    """`if pk not in settings.ALLOWED_NUMBERS`: the test weighs only what the URL names against configuration, so
    it decides what may be acted on, not who may act."""
    roots = {(dotted(n) or "").split(".")[0] for n in walk(test) if isinstance(n, ast.Name)}
    return bool(roots) and roots <= params | {"settings"}


def raises_permission_denied(node: ast.AST, imports: ImportMap) -> bool:
    """`raise PermissionDenied` (or `PermissionDenied("...")`) anywhere in `node`."""
    return any(isinstance(n, ast.Raise) and n.exc is not None and last_part(imports.qualname(n.exc) or "")
               == "PermissionDenied" for n in walk(node))


def refuses_caller(value: ast.expr | None, imports: ImportMap) -> bool:
    """`return JsonResponse({...}, status=401)`, `return HttpResponseForbidden()`, django-ninja's `return 403, None`:
    a refusal of the caller."""
    if isinstance(value, ast.Tuple) and value.elts and isinstance(value.elts[0], ast.Constant):
        return value.elts[0].value in (401, 403)
    if not isinstance(value, ast.Call):
        return False
    name = last_part(imports.qualname(value.func) or "")
    if name in ("HttpResponseForbidden", "HttpResponseUnauthorized"):
        return True
    if name == "HttpResponse" and value.args and isinstance(value.args[0], ast.Constant) and value.args[0].value in (
            401, 403):
        return True  # `return HttpResponse(403)`: meant as a refusal (it answers 200 with the body "403", but no data)
    if name == "abort" and value.args and all(isinstance(c, ast.Constant) and c.value in (401, 403) for c in (
            [value.args[0].body, value.args[0].orelse] if isinstance(value.args[0], ast.IfExp) else [value.args[0]])):
        return True  # werkzeug's `abort(403)` (`abort(401 if ios else 403)`), and projects that keep the idiom
    return any(k.arg == "status" and (isinstance(k.value, ast.Constant) and k.value.value in (401, 403)
                                      or last_part(dotted(k.value) or "") in _REFUSAL_CODES) for k in value.keywords)


# DRF's names for the refusal status codes (`status=status.HTTP_403_FORBIDDEN`).
_REFUSAL_CODES = ("HTTP_401_UNAUTHORIZED", "HTTP_403_FORBIDDEN")


def _decisions(n: ast.AST) -> list[ast.AST]:
    """The parts of `n` that decide: an if/while/assert test, a returned value, a value stored in a name."""
    if isinstance(n, (ast.If, ast.IfExp, ast.While, ast.Assert)):
        return [n.test]
    if isinstance(n, ast.Return) and n.value is not None:
        return [n.value]
    if isinstance(n, ast.Assign) and all(isinstance(t, ast.Name) for t in n.targets) and not isinstance(
            n.value, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):  # a listing for a menu decides nothing
        return [n.value]
    return []


def method_guard(cls: ast.ClassDef, imports: ImportMap) -> int:
    """The level a class's request-time methods (`dispatch()`, `test_func()`...) enforce; a `get_object()` that
    looks the row up by a secret the URL carries (`filter(pk=..., token=self.kwargs["token"])`) gives the row to
    whoever holds the link only."""
    methods = [m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    level = max((body_level(m, imports) for m in methods if m.name in GUARD_METHODS), default=NONE)
    if any(m.name == "get_object" and _capability_lookup(m) for m in methods):
        level = AUTHZ
    return level


def _capability_lookup(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(n, ast.Call) and any(
        k.arg and _SECRET_KEY.search(k.arg) and _url_value(k.value, set()) for k in n.keywords) for n in walk(fn))


def is_login_gate(cls: ast.ClassDef, imports: ImportMap) -> bool:
    """A middleware class that turns away anonymous requests: in its `__call__`/`process_view`/
    `process_request`, a branch on `is_authenticated` (or `is_anonymous`) answers with a redirect to the
    login page, an error response or PermissionDenied instead of calling the view. A middleware that
    tests the user and lets anonymous requests through (`return None`) is no gate. One that answers
    through the view wrapped in `login_required` (`return login_required(view_func)(request, ...)`) is one."""
    for m in cls.body:
        if not (isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                and m.name in ("__call__", "process_view", "process_request")):
            continue
        if any(isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Call)
               and matches(imports.qualname(n.value.func.func), "django.contrib.auth.decorators.login_required")
               for n in walk(m)):
            return True
        if refuses_anonymous(m, imports):
            return True
    return False


def refuses_anonymous(fn: ast.AST, imports: ImportMap, view: str | None = None) -> bool:
    """A branch on `is_authenticated` (or `is_anonymous`) in `fn` answers an anonymous request with a redirect to
    the login page, an error response or PermissionDenied, directly or under a further test (an exempt path). In
    a decorator wrapping `view` (its parameter), any answer there that is not the view's counts
    (`return logout_redirect(request)`, a project helper)."""
    def refuses(st: ast.stmt) -> bool:
        return _refuses(st, imports) or (view is not None and isinstance(st, ast.Return) and st.value is not None
                                         and not any(isinstance(c, ast.Call) and dotted(c.func) == view
                                                     for c in walk(st.value)))
    for n in walk(fn):
        if not (isinstance(n, ast.If) and _anonymous_test(n.test)):
            continue
        # The branch an anonymous request takes: a refusal in the other one (a signed-in user's idle session
        # logged out and sent to the login page) turns nobody anonymous away. Unknown: the `if` body.
        anonymous = _for_anonymous(n.test)
        branch = n.orelse if anonymous is False else n.body
        if any(refuses(s) for b in branch for s in walk(b) if isinstance(s, ast.stmt)):
            return True
    return _refused_after_signed_in_branch(fn, refuses)


# What Django's AnonymousUser has; any other attribute of the requesting user (`doctorprofile`, `email`,
# `get_full_name`) raises AttributeError for an anonymous request.
_ANONYMOUS_USER_ATTRS = frozenset({
    "id", "pk", "username", "is_staff", "is_active", "is_superuser", "groups", "user_permissions", "is_anonymous",
    "is_authenticated", "get_username", "get_user_permissions", "get_group_permissions", "get_all_permissions",
    "has_perm", "has_perms", "has_module_perms", "check_password", "set_password", "save", "delete", "natural_key"})
_WRITE_CALLS = frozenset({"save", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create",
                          "update_or_create", "execute"})


def anonymous_crash(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> tuple[str, int] | None:
    """`request.user.doctorprofile` read by a statement of the view's own body (not under a test) before anything is
    returned, and before anything is written unless the view runs in one transaction (`@transaction.atomic`): an
    anonymous request raises there, so it gets an error, not the data, and its writes are rolled back. The attribute
    and its line; None when the view may answer or write before it."""
    atomic = any(last_part(imports.qualname(d.func if isinstance(d, ast.Call) else d) or "") == "atomic"
                 for d in fn.decorator_list)
    for i, st in enumerate(fn.body):
        if isinstance(st, (ast.If, ast.Try, ast.For, ast.While, ast.With, ast.AsyncWith, ast.AsyncFor, ast.Match,
                           ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # a conditional or deferred read may not run
        attr = next((n for n in walk(st) if isinstance(n, ast.Attribute) and dotted(n.value) == "request.user"
                     and n.attr not in _ANONYMOUS_USER_ATTRS and not n.attr.startswith("__")), None)
        if attr is None:
            continue
        before = fn.body[:i]
        if any(isinstance(n, ast.Return) for b in before for n in walk(b)):
            return None
        if not atomic and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                              and n.func.attr in _WRITE_CALLS for b in [*before, st] for n in walk(b)):
            return None
        return attr.attr, attr.lineno
    return None


def _refused_after_signed_in_branch(fn: ast.AST, refuses: Callable[[ast.stmt], bool]) -> bool:
    """`if request.user.is_authenticated: ... return` followed by `return redirect(login_url)`: an anonymous request
    skips the branch and meets the next statement that ends the function (two-factor middlewares' shape)."""
    for parent in walk(fn):
        for block in (getattr(parent, f, None) for f in ("body", "orelse", "finalbody")):
            if not isinstance(block, list):
                continue
            for i, st in enumerate(block):
                if not (isinstance(st, ast.If) and _for_anonymous(st.test) is False and not st.orelse):
                    continue
                end = next((nxt for nxt in block[i + 1:] if isinstance(nxt, (ast.Return, ast.Raise))), None)
                if end is not None and refuses(end):
                    return True
    return False


def refuses_failed_test(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """A decorator factory in the manner of `user_passes_test`: it calls a test it was given (one of its
    parameters) on the request or the user and refuses the request when the test fails
    (`if not test(request): raise Http404()`), whatever the test checks."""
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
    for n in walk(fn):
        if not isinstance(n, ast.If):
            continue
        test = n.test.operand if isinstance(n.test, ast.UnaryOp) and isinstance(n.test.op, ast.Not) else n.test
        if (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id in params and test.args
                and any(_refuses(s, imports, not_found=True) for b in n.body for s in walk(b)
                        if isinstance(s, ast.stmt))):
            return True
    return False


def _requester_row_exists(test: ast.expr) -> bool:
    """`User.objects.filter(id=request.user.id).exists()`: a row of a model's own manager whose primary key is the
    requester's. An anonymous user's id is None, and no primary key is NULL, so the test is False for them."""
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "exists"
            and isinstance(test.func.value, ast.Call) and isinstance(test.func.value.func, ast.Attribute)
            and test.func.value.func.attr == "filter"):
        return False
    manager = test.func.value.func.value
    if not (isinstance(manager, ast.Attribute) and manager.attr == "objects" and isinstance(manager.value, ast.Name)):
        return False  # `org.users.filter(id=request.user.id)`: membership of a related set authorizes
    return any(k.arg in ("id", "pk") and dotted(k.value) in _REQUESTER_PKS for k in test.func.value.keywords)


def _anonymous_test(test: ast.expr) -> bool:
    """The test tells signed-in users from anonymous ones (`is_authenticated`, `is_anonymous`, a lookup of the
    requester's own row by primary key)."""
    return any((isinstance(a, ast.Attribute) and a.attr in ("is_authenticated", "is_anonymous"))
               or (isinstance(a, ast.Call) and _requester_row_exists(a)) for a in walk(test))


def _for_anonymous(test: ast.expr) -> bool | None:
    """The test's value for an anonymous user (`is_authenticated` False, `is_anonymous` True, the requester's row
    by primary key absent), None when other conditions decide it."""
    if isinstance(test, ast.Attribute) and test.attr in ("is_authenticated", "is_anonymous"):
        return test.attr == "is_anonymous"
    if _requester_row_exists(test):
        return False
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr in (
            "is_authenticated", "is_anonymous") and not test.args:  # Django < 1.10 spelled them as methods
        return test.func.attr == "is_anonymous"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _for_anonymous(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [_for_anonymous(v) for v in test.values]
        decisive = isinstance(test.op, ast.And) and False in values or isinstance(test.op, ast.Or) and True in values
        if decisive:
            return isinstance(test.op, ast.Or)
        return None if None in values else isinstance(test.op, ast.And)
    return None


def login_exemptions(cls: ast.ClassDef) -> tuple[list[str], list[str]]:
    """What a login middleware may let through: the settings it reads (`settings.LOGIN_EXEMPT_URLS`) and the
    strings of its own class-level lists (`EXEMPT = [r"^api/"]`), to be matched against URL paths."""
    settings = sorted({n.attr for n in walk(cls) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                       and n.value.id == "settings"})
    literals = [e.value for st in cls.body if isinstance(st, ast.Assign) and isinstance(st.value, (ast.List, ast.Tuple))
                for e in st.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return settings, literals


def _refuses(stmt: ast.stmt, imports: ImportMap, not_found: bool = False) -> bool:
    """`return redirect_to_login(...)`, `return HttpResponseForbidden()`, `raise PermissionDenied`; with
    `not_found`, also `raise Http404` (a check that hides what the caller may not see)."""
    if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Call):
        return last_part(imports.qualname(stmt.value.func) or dotted(stmt.value.func) or "") in _LOGIN_REDIRECTS
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        return last_part(imports.qualname(stmt.exc) or dotted(stmt.exc) or "") in (
            ("PermissionDenied", "Http404") if not_found else ("PermissionDenied",))
    return False


def request_user_names(body: ast.AST) -> set[str]:
    """Local names bound to the requesting user or to something read from it."""
    local = _local_names(body)
    return _bound_names(body, lambda value, names: _read_from_user(value, names, local))


def _local_names(body: ast.AST) -> set[str]:
    """Parameters and names assigned in `body`: the objects a call's receiver may be (`form.save(user)`), as
    opposed to modules (`utils.samples.save_recorded(rows, user)`, a function call)."""
    out = {n.id for n in walk(body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    out |= {a.arg for n in walk(body) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for a in (*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs)}
    return out


# QuerySet and Manager methods that read rows: handed the user, what they return is chosen by the user.
_ROW_READS = frozenset({"get", "filter", "exclude", "all", "first", "last", "latest", "earliest", "get_or_create",
                        "update_or_create", "values", "values_list", "select_related", "prefetch_related",
                        "order_by", "distinct", "annotate", "only", "defer", "in_bulk", "none"})
# A scoping method by its name: `for_user(user)`, `visible_to(user)`, `accessible_by(user)`.
_SCOPING = re.compile(r"^(for|visible|accessible|allowed|owned|available)(_\w+)?$|user")


def _read_from_user(value: ast.expr, names: set[str], local: set[str]) -> bool:
    """`value` is read from the requesting user (`request.user.profile`, `Doctor.objects.get(user=user)`,
    `user.is_staff`), not what a method of a local object the user was handed returns (`form.save(user)`,
    `mailer.send(user)`): that is the form's row or the mailer's answer, not the user's. A function, a module's
    (`utils.save_rows(rows, user)`) included, may read the user: what it returns counts as read from it."""
    if not mentions_user(value, names):
        return False
    call: ast.expr = value
    while isinstance(call, (ast.Attribute, ast.Subscript)):
        call = call.value
    if not isinstance(call, ast.Call):
        return True
    if isinstance(call.func, ast.Name):
        # a class handed the user (`DonorForm(data, user=user)`) makes a form or a service, not a read of the
        # user; a `Q(owner=user)` is a filter on it, and a function (`get_profile(user)`) may read it
        return not call.func.id[:1].isupper() or call.func.id == "Q"
    if not isinstance(call.func, ast.Attribute):
        return True
    root = call.func.value
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and root.id not in local and root.id not in ("self", "cls") \
            and not root.id[:1].isupper():
        return True  # `utils.samples.save_recorded(rows, user)`: a module's function
    return (mentions_user(call.func.value, names) or call.func.attr in _ROW_READS
            or _SCOPING.search(call.func.attr) is not None)


def _user_aliases(body: ast.AST) -> set[str]:
    """Local names for the requesting user or its profile: `user = request.user`, `p = user.profile`."""
    return _bound_names(body, lambda value, names: isinstance(value, (ast.Attribute, ast.Name))
                        and _is_user(value, names))


def _bound_names(body: ast.AST, binds: Callable[[ast.expr, set[str]], bool]) -> set[str]:
    """Names assigned a value that `binds` accepts, given the names found so far (two passes, so
    that an alias of an alias counts)."""
    names: set[str] = set()
    for _ in range(2):
        for n in walk(body):
            if isinstance(n, ast.Assign) and binds(n.value, names):
                names.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return names



# The requesting user: a view's, a class view's, and a django-ninja-extra controller's (`self.context.request`).
REQUEST_USER = ("request.user", "self.request.user", "self.context.request.user")
_REQUESTER_PKS = frozenset(f"{u}.{key}" for u in REQUEST_USER for key in ("id", "pk"))


# Role tests on the requesting user: `request.user.role != "doctor"`, `user.user_type == 2`,
# `request.user.is_patient()`, `self.request.user.profile.designation in CLINICIANS`.
_ROLE_ATTR = re.compile(r"(user_|account_)?(role|roles|type|designation)$"
                        r"|is_(?!authenticated$|anonymous$|active$|verified$)\w+$")
# Lookup keywords naming a secret the caller holds (a capability URL: an invitation or reset token).
# (`project_key`, a slug, is no secret; `reset_key` and `activation_key` are)
_SECRET_KEY = re.compile(r"(^|_)(token|secret|signature)$|^(reset|activation|api|access|invite|invitation|"
                         r"confirmation|verification|auth|one_time)_key$")
# HttpRequest's own predicates: what the request is, not who sent it.
_REQUEST_OWN = frozenset({"is_ajax", "is_secure", "is_htmx"})
# What a user is, not what they may do: signed in, second factor verified (django-otp), account active.
_AUTHN_ATTRS = frozenset({"is_authenticated", "is_anonymous", "is_verified", "is_active"})


def _authn_only(test: ast.expr, aliases: set[str]) -> bool:
    """The test reads only authentication predicates of the requesting user."""
    attrs = [n for n in walk(test) if isinstance(n, ast.Attribute)]
    return any(a.attr in _AUTHN_ATTRS for a in attrs) and not _tests_role(test, aliases) and not any(
        a.attr in ("has_perm", "has_perms", "groups", "is_staff", "is_superuser") for a in attrs)


def _is_user(node: ast.expr, aliases: set[str]) -> bool:
    d = dotted(node) or ""
    return d.startswith(REQUEST_USER) or d.split(".")[0] in aliases


def user_aliases(body: ast.AST) -> set[str]:
    """Local names for the requesting user or its profile (`user = self.request.user`)."""
    return _user_aliases(body)


def role_attributes(node: ast.AST, aliases: set[str] | None = None) -> set[str]:
    """The roles of the requesting user that `node` reads: `user.is_employee`, `request.user.role`,
    `hasattr(request.user, "patient_profile")`; not whether they are signed in."""
    names = _user_aliases(node) if aliases is None else aliases
    out = {n.attr for n in walk(node) if isinstance(n, ast.Attribute) and _ROLE_ATTR.match(n.attr)
           and n.attr not in _REQUEST_OWN and _is_user(n.value, names)}
    out |= {n.args[1].value for n in walk(node) if isinstance(n, ast.Call) and dotted(n.func) == "hasattr"
            and len(n.args) == 2 and _is_user(n.args[0], names) and isinstance(n.args[1], ast.Constant)
            and isinstance(n.args[1].value, str)}
    return out


def _tests_role(test: ast.expr, aliases: set[str]) -> bool:
    """`test` (of an if/while/assert) reads a role of the requesting user."""
    return any(isinstance(n, ast.Attribute) and _ROLE_ATTR.match(n.attr) and _is_user(n.value, aliases)
               for n in walk(test))


def _tests_request_role(test: ast.expr) -> bool:
    """`test` reads a role a project middleware put on the request (`request.is_opportunity_pm`: HttpRequest has
    no such attribute of its own)."""
    return any(isinstance(n, ast.Attribute) and _ROLE_ATTR.match(n.attr) and n.attr not in _REQUEST_OWN
               and dotted(n.value) in ("request", "self.request") for n in walk(test))


def decides_by_user(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """The function tests something about the requesting user, or looks rows up through the user."""
    users = request_user_names(fn)
    return any(isinstance(n, (ast.If, ast.IfExp, ast.While, ast.Assert)) and mentions_user(n.test, users)
               and not (isinstance(n, ast.If) and picks_redirect(n)) or
               isinstance(n, ast.comprehension) and any(mentions_user(c, users) for c in n.ifs)
               for n in walk(fn)) or looks_up_by_user(fn)


def consults_user(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """Broader than `decides_by_user`: the function also hands the requesting user to a call that may decide
    (`Patient.get_for_user(request.user, pk)`, `check_can_write(user)`), not only to one that records or
    shows it (`create(owner=user)`, `log.info(user)`, `render(...)`)."""
    if decides_by_user(fn):
        return True
    users = request_user_names(fn)
    return any(isinstance(n, ast.Call) and last_part(dotted(n.func) or "") not in _RECORDING_CALLS and any(
        mentions_user(a, users) for a in [*n.args, *(k.value for k in n.keywords)]) for n in walk(fn))


# Calls that record, send or show the user they are given, deciding nothing.
_RECORDING_CALLS = frozenset({"create", "update", "save", "get_or_create", "update_or_create", "add", "set", "append",
                              "debug", "info", "warning", "error", "exception", "critical", "log", "send", "delay",
                              "apply_async", "format", "render", "Response", "JsonResponse", "HttpResponse", "dict",
                              "str", "print"})


def decorated_for_access(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, imports: ImportMap) -> bool:
    """A decorator whose name speaks of access control (`@patient_questionnaire_access`,
    `@method_decorator(require_role("nurse"))`): it decides something, even where wardgate cannot read what."""
    return any(ACCESS_WORDS.search(last_part(imports.qualname(n) or dotted(n) or "")) for d in fn.decorator_list
               for n in walk(d) if isinstance(n, (ast.Name, ast.Attribute)))


def looks_up_by_user(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """The function looks rows up by the requesting user: `filter(owner=request.user)`, `user.studies.get()`."""
    users = request_user_names(fn)
    for n in walk(fn):
        if isinstance(n, ast.Call):
            name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            if name in _USER_LOOKUPS and any(mentions_user(v, users) for v in [*n.args, *(k.value for k in n.keywords)]):
                return True
            if isinstance(n.func, ast.Attribute) and name in ("filter", "get", "all") and \
                    mentions_user(n.func.value, users):
                return True  # through the user's own relations: `request.user.studies.get(pk=pk)`
            if isinstance(n.func, ast.Attribute) and name not in _RECORDING_CALLS and _on_manager(n.func.value) and any(
                    mentions_user(a, users) for a in [*n.args, *(k.value for k in n.keywords)]):
                return True  # a project manager's scope: `Entity.objects.filter_for_user(request.user)`
    return False


def _on_manager(receiver: ast.expr) -> bool:
    """`Model.objects`, `Model.objects.filter(...)`: a queryset or its manager."""
    return any(isinstance(n, ast.Attribute) and n.attr == "objects" for n in walk(receiver))


# Lookups whose arguments, when they name the requesting user, scope the rows to that user.
_USER_LOOKUPS = frozenset({"filter", "get", "exclude", "get_object_or_404", "get_list_or_404", "Q", "for_user"})


def mentions_user(node: ast.AST, names: set[str]) -> bool:
    for n in walk(node):
        d = dotted(n) if isinstance(n, (ast.Attribute, ast.Name)) else None
        if d and (d.startswith(REQUEST_USER) or d in names):
            return True
    return False


_REDIRECTS = frozenset({"redirect", "HttpResponseRedirect", "reverse_lazy"})


def _only_picks_redirect(call: ast.Call, body: ast.AST) -> bool:
    """`if request.user.has_perm("app.view_scale"): return redirect("scale_list") else: return redirect("item_create")`:
    the test only picks where to send the caller next (after the work is done); neither branch refuses."""
    tests = [n for n in walk(body) if isinstance(n, ast.If) and any(x is call for x in walk(n.test))]
    return bool(tests) and all(picks_redirect(n) for n in tests)


def picks_redirect(n: ast.If) -> bool:
    """Both branches only redirect, to pages that are no refusal (not a login or a denial page)."""
    return bool(n.orelse) and all(
        isinstance(st, ast.Return) and isinstance(st.value, ast.Call)
        and last_part(dotted(st.value.func) or "") in _REDIRECTS
        and not re.search(r"login|denied|forbidden|403", ast.unparse(st.value), re.IGNORECASE)
        for st in (*n.body, *n.orelse))


def _is_bare(call: ast.Call, body: ast.AST) -> bool:
    for n in walk(body):
        if isinstance(n, ast.Expr) and n.value is call:
            return True
    return False
