"""DRF `get_permissions()` read per action and method: which permission classes serve a read, which a write.

`if self.action in ("list", "retrieve"): return [IsAuthenticated()]` gives reads and writes different
guards; a branch wardgate cannot follow makes the whole method unreadable (the view is then trusted).
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..names import dotted, last_part
from ..walk import walk
from .guards import AUTHN, AUTHZ, NONE
from .libraries import neutral

if TYPE_CHECKING:
    from .django_code import ProjectCode


def per_action_levels(fn: ast.FunctionDef, inherited: tuple[int, int],
                      levels: Callable[[ast.expr | None], tuple[int, int] | None]) -> tuple[int, int] | None:
    """(reads, writes) of a `get_permissions()` that picks permission classes per action or method
    (`if self.action in ("list", "retrieve"): return [IsAuthenticated()]`): the weakest classes
    that can serve a read, and a write. None when a test or a returned value cannot be read
    (the caller then trusts the method to authorize)."""
    branches: list[tuple[_Guard, tuple[int, int]]] = []
    assigned: list[tuple[_Guard, tuple[int, int]]] = []
    custom: set[str] = set()

    def visit(stmts: list[ast.stmt], guard: _Guard) -> bool:
        """Record the statements' returns under `guard`; True when every path returns."""
        for st in stmts:
            if isinstance(st, ast.If):
                cond = _action_test(st.test, custom)
                if cond is None:
                    raise _Unreadable
                inside, outside = guard.both(cond), guard.both(cond.negated())
                body_returns = visit(st.body, inside)
                else_returns = visit(st.orelse, outside)
                if body_returns and else_returns:
                    return True
                guard = outside if body_returns else inside if else_returns else guard
            elif isinstance(st, ast.Return):
                found = levels(st.value)
                if found is not None:
                    branches.append((guard, found))
                elif assigned:  # `return [p() for p in permission_classes]`, `return super()...`
                    branches.extend(assigned)
                elif _inherits_permissions(st.value):
                    branches.append((guard, inherited))
                else:
                    raise _Unreadable
                return True
            elif isinstance(st, ast.Assign) and (found := levels(st.value)) is not None:
                assigned.append((guard, found))
            elif assigned and (extra := _appended(st)) is not None:
                # `classes.append(IsSelf)` under a test: those actions need both; the others keep the list as it was
                more = levels(extra)
                if more is None or guard.only is not None and guard.never:
                    raise _Unreadable
                before = list(assigned)
                assigned.clear()
                for g0, (r0, w0) in before:
                    assigned.append((g0.both(guard), (max(r0, more[0]), max(w0, more[1]))))
                    if guard != _Guard():
                        assigned.append((g0.both(guard.negated()), (r0, w0)))
            elif not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)):  # a docstring
                raise _Unreadable
        return False

    try:
        visit(fn.body, _Guard())
    except _Unreadable:
        return None
    reads = [r for g, (r, _w) in branches if g.admits(_READ_ACTIONS | custom)]
    writes = [w for g, (_r, w) in branches if g.admits(_WRITE_ACTIONS | custom)]
    if not branches:
        return None
    return min(reads, default=AUTHZ), min(writes, default=AUTHZ)


class _Unreadable(Exception):
    """A get_permissions() whose branching wardgate does not follow."""


_READ_ACTIONS = frozenset({"list", "retrieve"})
_WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "destroy"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class _Guard:
    """Which actions a branch of get_permissions() serves: those in `only` (None: any) and not in `never`."""

    only: frozenset[str] | None = None
    never: frozenset[str] = frozenset()

    def both(self, other: _Guard) -> _Guard:
        if self.only is None or other.only is None:
            return _Guard(self.only if other.only is None else other.only, self.never | other.never)
        return _Guard(self.only & other.only, self.never | other.never)

    def negated(self) -> _Guard:  # only for a single test: `only` or `never`, not both
        return _Guard(never=self.only) if self.only is not None else _Guard(only=self.never)

    def admits(self, actions: frozenset[str] | set[str]) -> bool:
        return any((self.only is None or a in self.only) and a not in self.never for a in actions)


def _appended(st: ast.stmt) -> ast.expr | None:
    """The permission classes `classes.append(P)`, `classes.extend([P, Q])` or `classes += [P]` adds, as a list."""
    if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Attribute) \
            and len(st.value.args) == 1:
        if st.value.func.attr == "append":
            return ast.List(elts=[st.value.args[0]], ctx=ast.Load())
        if st.value.func.attr == "extend":
            return st.value.args[0]
    if isinstance(st, ast.AugAssign) and isinstance(st.op, ast.Add):
        return st.value
    return None


def _inherits_permissions(value: ast.expr | None) -> bool:
    """`super().get_permissions()` or `[p() for p in self.permission_classes]`."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and \
            value.func.attr == "get_permissions":
        return isinstance(value.func.value, ast.Call) and dotted(value.func.value.func) == "super"
    return isinstance(value, ast.ListComp) and dotted(value.generators[0].iter) == "self.permission_classes"


def _action_test(test: ast.expr, custom: set[str]) -> _Guard | None:
    """`self.action in ("list", "retrieve")`, `self.action == "create"`, `self.request.method in
    SAFE_METHODS` (reads) and their negations; None for any other test."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _action_test(test.operand, custom)
        return inner.negated() if inner is not None else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    subject, op, other = dotted(test.left) or "", test.ops[0], test.comparators[0]
    if isinstance(other, (ast.List, ast.Tuple, ast.Set)):
        values = {e.value for e in other.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        if len(values) != len(other.elts):
            return None
    elif isinstance(other, ast.Constant) and isinstance(other.value, str):
        values = {other.value}
    elif last_part(dotted(other) or "") == "SAFE_METHODS":
        values = set(_SAFE_METHODS)
    else:
        return None
    if subject == "self.action":
        custom |= values - _READ_ACTIONS - _WRITE_ACTIONS
        actions = frozenset(values)
    elif subject in ("self.request.method", "request.method"):
        if not values <= _SAFE_METHODS | {"POST", "PUT", "PATCH", "DELETE"}:
            return None
        actions = (_READ_ACTIONS if values & _SAFE_METHODS else frozenset()) | (
            _WRITE_ACTIONS if values - _SAFE_METHODS else frozenset())
    else:
        return None
    if isinstance(op, (ast.In, ast.Eq)):
        return _Guard(only=actions)
    if isinstance(op, (ast.NotIn, ast.NotEq)):
        return _Guard(never=actions)
    return None




# -- checks made per object --------------------------------------------------------------------------------------
# DRF runs a permission class's `has_permission()` on every request, but its `has_object_permission()` only when the
# view calls `check_object_permissions()`, which `GenericAPIView.get_object()` does: a list, or a handler that fetches
# its row itself (`get_object_or_404(Feed, pk=pk)`), never runs it.
_LOGIN_ONLY = {"AllowAny": NONE, "IsAuthenticated": AUTHN, "IsAuthenticatedOrReadOnly": NONE, "BasePermission": NONE}
OBJECT_CHECK_CALLS = frozenset({"get_object", "check_object_permissions"})


def object_check_kind(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """What a `has_object_permission()` decides: "allows" (every return is True), "reads-open" (it first lets
    every read through: `if request.method in SAFE_METHODS: return True`) or "restricts"."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    returns = [n.value for n in walk(fn) if isinstance(n, ast.Return)]
    if returns and all(isinstance(v, ast.Constant) and v.value is True for v in returns):
        return "allows"
    first = body[0] if body else None
    if isinstance(first, ast.If) and len(first.body) == 1 and isinstance(first.body[0], ast.Return) \
            and isinstance(first.body[0].value, ast.Constant) and first.body[0].value.value is True:
        test = _action_test(first.test, set())
        if test is not None and test.only == _READ_ACTIONS and not test.never:
            return "reads-open"
    return "restricts"


def runs_object_check(cls: ast.ClassDef) -> list[str]:
    """The methods of a view class that run its permission classes' object checks (`self.get_object()`,
    `self.check_object_permissions(request, obj)`)."""
    return [m.name for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in OBJECT_CHECK_CALLS
        for n in walk(m))]


@dataclass(frozen=True)
class ObjectOnly:
    """Permission classes whose only restriction beyond login is made per object."""

    classes: list[str]  # the classes whose `has_object_permission()` restricts
    reads_open: bool  # every one of them lets any caller read
    before: int = NONE  # who passes before the row: anyone, or any signed-in user (IsAuthenticated)


_SIGNED_IN = frozenset({"is_authenticated", "is_active"})


def login_only_test(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """What a `has_permission()` checks when it provably checks no more than who is signed in: every statement is a
    `return` or an `if` on the request method, and every value returned is made of `True`/`False`,
    `request.user`, `request.user.is_authenticated`/`is_active` and tests of the request method (with `and`, `or`,
    `not`, `bool()`). AUTHN when one of them reads the user, NONE when none does (`return request.method in
    SAFE_METHODS`: anyone may read); None for anything else (a role test, a helper call wardgate would have to
    follow)."""
    def signed_in(e: ast.expr) -> bool:
        if isinstance(e, ast.Constant):
            return isinstance(e.value, bool)
        if isinstance(e, ast.Compare) and method_test(e):
            return True  # `request.method in SAFE_METHODS`: who is asking is not read
        if isinstance(e, ast.BoolOp):
            return all(signed_in(v) for v in e.values)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            return signed_in(e.operand)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "bool" and len(e.args) == 1:
            return signed_in(e.args[0])
        d = dotted(e) or ""
        return d in ("request.user", "request.auth") or (
            d.startswith("request.user.") and d.rsplit(".", 1)[1] in _SIGNED_IN | {"is_anonymous"})

    def method_test(e: ast.expr) -> bool:
        return any(dotted(n) == "request.method" for n in walk(e))

    reads_user = False
    todo = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    while todo:
        st = todo.pop()
        if isinstance(st, ast.Return) and st.value is not None and signed_in(st.value):
            reads_user |= any((dotted(n) or "").startswith("request.user") for n in walk(st.value))
        elif isinstance(st, ast.If) and (method_test(st.test) or signed_in(st.test)):
            todo += st.body + st.orelse
        else:
            return None
    return AUTHN if reads_user else NONE


def login_only_permission(code: ProjectCode, name: str) -> int | None:
    """A project permission class that checks no more than who is signed in: the `has_permission()` it runs (its own
    or its nearest project base's) is login-only (`login_only_test`), and no class along its bases restricts per
    object. None when it may authorize, or when what it checks cannot be read (a package base, no
    `has_permission()` of its own)."""
    for a in code.ancestors(name):
        info = code.lookup(a)
        if info is None:
            if a.startswith("rest_framework.") or neutral(a):
                continue
            return None  # a package's permission class: what it checks is unknown
        if info.object_check not in (None, "allows"):
            return None  # it restricts per object: the object-check rules judge it
        if info.permission_test is not None:  # the nearest has_permission() is the one DRF runs
            return info.login_only
    return None


def object_only(code: ProjectCode, names: list[str]) -> ObjectOnly | None:
    """The classes of a view's `permission_classes` that restrict per object, when no class restricts before the row
    (a role test in `has_permission()`, `IsAdminUser`, model permissions) and every class could be read; else None."""
    found: list[str] = []
    reads_open = True
    passes = NONE
    for name in names:
        if not name or "|" in name or "&" in name:
            return None
        if name.startswith("rest_framework."):
            if last_part(name) not in _LOGIN_ONLY:
                return None
            passes = max(passes, _LOGIN_ONLY[last_part(name)])
            continue
        if code.lookup(name) is None:
            return None  # a package's class: wardgate cannot tell where it restricts
        before: int | None = None
        kind: str | None = None
        for a in code.ancestors(name):
            info = code.lookup(a)
            if info is None:
                if last_part(a) in _LOGIN_ONLY:
                    before = _LOGIN_ONLY[last_part(a)] if before is None else before
                    continue
                if a.startswith("rest_framework.") or neutral(a):
                    continue
                return None
            if before is None and info.permission_test is not None:
                before = info.permission_test
            if kind is None and info.object_check is not None:
                kind = info.object_check
        if before is not None and before >= AUTHZ:
            return None
        passes = max(passes, before or NONE)
        if kind in ("restricts", "reads-open"):
            found.append(name)
            reads_open &= kind == "reads-open"
    return ObjectOnly(found, reads_open, passes) if found else None
