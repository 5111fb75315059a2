"""Per-request state kept on a middleware instance.

Django builds each middleware class once per process (`BaseHandler.load_middleware`, old- and new-style alike, and
`decorator_from_middleware` once per decorated view) and calls that one instance for every request, from every
thread of a threaded server. An attribute a request hook assigns on `self` is therefore shared by all requests in
flight: a second request overwrites it before the first reads it back. `threading.local()` or the request object
itself are the places for such state, and attributes of those are not reported here (`self._local.user = ...`).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..names import ImportMap
from .patient_data import is_audit_log

if TYPE_CHECKING:
    from .django_models import ModelIndex

# Django's middleware protocol: the hooks it calls on the one instance, each with the request first.
_HOOKS = frozenset({"process_request", "process_view", "process_response", "process_exception",
                    "process_template_response"})
# What a request carries about who sends it: the user, DRF's auth, principals, the session, its headers (tokens).
_IDENTITY = frozenset({"user", "auth", "principal", "session", "COOKIES", "headers", "tenant", "account", "member"})


@dataclass(frozen=True)
class StateWrite:
    """`self.<attr> = value` in a method that runs per request, whose value depends on that request."""
    attr: str
    stmt: ast.stmt
    method: str
    value: ast.expr
    identity: bool  # the value carries who sends the request (the request itself, its user, session, principal)


def is_middleware(cls: ast.ClassDef) -> bool:
    """A class written to Django's middleware protocol: a `process_*` hook taking the request, or a callable
    (`__call__(self, request)`) built with `get_response`."""
    methods = _methods(cls)
    if any(name in _HOOKS and len(fn.args.args) >= 2 for name, fn in methods.items()):
        return True
    init, call = methods.get("__init__"), methods.get("__call__")
    return (init is not None and call is not None and len(call.args.args) >= 2
            and any(a.arg == "get_response" for a in init.args.args))


def request_state(cls: ast.ClassDef) -> list[StateWrite]:
    """Attributes a middleware's request-time methods assign on `self` from the request in hand (or from rows built
    per request), and that some method reads back. Assignments in `__init__` are configuration, not state."""
    methods = _methods(cls)
    read = {n.attr for fn in methods.values() if fn.name != "__init__" for n in ast.walk(fn)
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and _is_self(n.value)}
    out: list[StateWrite] = []
    for name, fn in methods.items():
        if name == "__init__" or _static_or_class(fn):
            continue
        request = _request_param(fn)
        derived, identity = _derived_names(fn, request)
        for stmt in ast.walk(fn):
            if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if not (isinstance(t, ast.Attribute) and _is_self(t.value) and t.attr in read):
                    continue
                mentions = _names_in(stmt.value)
                if mentions & derived or isinstance(stmt.value, ast.Call) and request is None and _builds_row(stmt.value):
                    who = bool(mentions & identity) or request is not None and _identity_of(stmt.value, request)
                    out.append(StateWrite(t.attr, stmt, name, stmt.value, who))
    return sorted(out, key=lambda w: w.stmt.lineno)


def _methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {fn.name: fn for fn in cls.body if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _static_or_class(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod", "property")
               for d in fn.decorator_list)


def _request_param(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The request parameter: named so, or the first after self in a hook."""
    params = [a.arg for a in fn.args.args[1:]]
    if "request" in params:
        return "request"
    if (fn.name in _HOOKS or fn.name == "__call__") and params:
        return params[0]
    return None


def _derived_names(fn: ast.AST, request: str | None) -> tuple[set[str], set[str]]:
    """Local names whose value comes from the request (the request included) and those that carry who sends it
    (identity), by a fixpoint over the function's assignments, `x.update(...)`/`x.append(...)` and `for` targets."""
    if request is None:
        return set(), set()
    derived: set[str] = {request}
    identity: set[str] = set()
    edges: list[tuple[str, ast.AST]] = []
    for n in ast.walk(fn):
        if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and n.value is not None:
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                for base in _target_bases(t):
                    edges.append((base, n.value))
        elif isinstance(n, (ast.For, ast.AsyncFor)):
            for base in _target_bases(n.target):
                edges.append((base, n.iter))
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
              and n.func.attr in ("update", "append", "extend", "setdefault", "add")):
            edges.extend((n.func.value.id, a) for a in n.args)
    changed = True
    while changed:
        changed = False
        for target, value in edges:
            names = _names_in(value)
            if target not in derived and names & derived:
                derived.add(target)
                changed = True
            if target not in identity and (names & identity or _identity_of(value, request)):
                identity.add(target)
                changed = True
    return derived, identity


def _identity_of(value: ast.AST, request: str) -> bool:
    """The request itself, `request.user...`, `request.session[...]`, or the request passed whole to a call
    (`get_tenant(request)`)."""
    if isinstance(value, ast.Name) and value.id == request:
        return True
    for n in ast.walk(value):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == request \
                and n.attr in _IDENTITY:
            return True
        if isinstance(n, ast.Call) and any(isinstance(a, ast.Name) and a.id == request for a in n.args):
            return True
    return False


def _target_bases(t: ast.AST) -> list[str]:
    """Local names an assignment target binds or changes: `x`, `x[k]`, `x.attr` (not `self.attr`), tuples."""
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, (ast.Tuple, ast.List)):
        return [b for e in t.elts for b in _target_bases(e)]
    if isinstance(t, (ast.Subscript, ast.Attribute)) and isinstance(t.value, ast.Name) and t.value.id != "self":
        return [t.value.id]
    return []


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _builds_row(call: ast.Call) -> bool:
    """A helper without the request that builds a row from its arguments (`self.audit_obj = Audit(**data)`):
    state of the request that called it. Only capitalised callees, i.e. classes."""
    f = call.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return name[:1].isupper() and bool(call.args or call.keywords)


def state_by_attribute(cls: ast.ClassDef, imports: ImportMap,
                       models: ModelIndex | None) -> list[tuple[StateWrite, str | None]]:
    """Each attribute a middleware keeps request state in, once: with the audit-log model whose row it holds and the
    first write of such a row (WG209's), or None and its first write (WG333's). Empty for a class that is no
    middleware."""
    if not is_middleware(cls):
        return []
    first: dict[str, tuple[StateWrite, str | None]] = {}
    for w in request_state(cls):
        model = audit_row(w, imports, models)
        kept = first.get(w.attr)
        if kept is None or model is not None and kept[1] is None:
            first[w.attr] = (w, model)
    return list(first.values())


def audit_row(write: StateWrite, imports: ImportMap, models: ModelIndex | None) -> str | None:
    """The audit-log model whose row the state holds (`Audit(**data)`, also `Audit(**data) if data else None`),
    spelled as in the code, or None."""
    callee = _callee(write.value)
    q = imports.qualname(callee) if callee is not None else None
    if not q or models is None:
        return None
    found = models.lookup(q)
    return ast.unparse(callee) if callee is not None and is_audit_log(found.qualname if found else q, models) else None


def _callee(value: ast.expr) -> ast.expr | None:
    if isinstance(value, ast.IfExp):
        return _callee(value.body) or _callee(value.orelse)
    return value.func if isinstance(value, ast.Call) else None
