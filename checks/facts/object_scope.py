"""Rows a request handler fetches by an id the client sent, and what ties them to the caller.

An insecure direct object reference (CWE-639) is a lookup such as `Visit.objects.get(pk=request.POST["visit"])`
whose row nothing relates to the requesting user: the lookup names neither the user nor an object whose
access the handler checked, and no check on the row follows. Whether that matters depends on the project (a
hospital's clinicians may open every patient), so the rule asking this module also needs evidence that rows
are not open to every caller: the handler checks access to some *other* object (`authorized`), or the module's
other handlers restrict the same model to the requesting user (`restricted`).

Not a collector: one function at a time, with light local data flow (names bound from request values, from
the requesting user, from the rows fetched).
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..names import ImportMap, dotted, last_part
from ..walk import walk
from .django_code import ProjectCode, is_extra_action
from .django_models import ModelIndex
from .guards import mentions_user, request_user_names

# What a client sends: query string, form or JSON body, files, headers, and the URL's own captures.
_REQUEST_PARTS = frozenset({"GET", "POST", "data", "body", "query_params", "FILES", "headers", "COOKIES",
                            "resolver_match", "kwargs"})
# What a form or serializer bound to the request hands back.
_BOUND = frozenset({"cleaned_data", "validated_data", "initial_data"})
# QuerySet calls and shortcuts that pick rows.
LOOKUPS = frozenset({"get", "filter", "exclude", "get_object_or_404", "get_list_or_404", "in_bulk"})
_SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})
# Django's and DRF's own object checks: a row handed to them is checked.
_OBJECT_CHECKS = frozenset({"has_perm", "has_perms", "has_object_permission", "check_object_permissions"})
_IGNORED = frozenset({"self", "cls", "request"})
# Django's model and form methods that store rows: they check no access unless the project's own override does.
_PERSISTENCE = frozenset({"save", "delete", "save_m2m", "full_clean", "is_valid"})


@dataclass
class Lookup:
    node: ast.Call
    model: str  # qualname
    keys: list[str]  # the keyword arguments that carry the client's ids
    target: str | None  # the name the rows are bound to


@dataclass
class HandlerScope:
    """What one request handler fetches, checks and restricts."""
    unscoped: list[Lookup] = field(default_factory=list)  # by a client id, tied to nothing
    # (object, line, its model when known) the handler checks access to
    authorized: list[tuple[str, int, str | None]] = field(default_factory=list)
    restricted: dict[str, bool] = field(default_factory=dict)  # models it restricts to the requesting user ->
    # whether through a relation to the user model (rows owned by users: `Answer.objects.filter(user=request.user)`)
    owner_by_id: set[str] = field(default_factory=set)  # models it fetches by a client id *and* the user
    through_user: set[str] = field(default_factory=set)  # models it reads through the user (`user.children.all()`)
    # models it reads through the project's own row scope, a manager method handed the user (`for_user(user)`)
    project_scoped: set[str] = field(default_factory=set)


def is_request_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function given the request (`def v(request, pk)`, `def post(self, request)`), or a method that reads
    `self.request`/`self.kwargs`."""
    if any(a.arg == "request" for a in (*fn.args.posonlyargs, *fn.args.args)):
        return True
    if is_extra_action(fn):
        return True  # its URL captures come in as keyword arguments
    return any(isinstance(n, ast.Attribute) and n.attr in ("request", "kwargs") and isinstance(n.value, ast.Name)
               and n.value.id == "self" for n in walk(fn))


def analyse(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap, models: ModelIndex,
            code: ProjectCode, client: frozenset[str] = frozenset(), users: frozenset[str] = frozenset()) -> HandlerScope:
    """`client`: parameters that carry what the client sent besides a request's (a serializer's `attrs`); `users`:
    attributes of the handler's own class read from the requesting user (`self._children_ids`)."""
    return _Handler(fn, imports, models, code, client, users).scope()


def user_attributes(cls: ast.ClassDef) -> frozenset[str]:
    """`self.<name>` for the methods and properties of a class view that read the requesting user (a cached
    `_children_ids` of the user's children): what they give is the user's."""
    methods = [m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    out = {f"self.{m.name}" for m in methods if m.name not in ("get", "post", "put", "patch", "delete", "dispatch")
           and mentions_user(m, set())}
    for m in methods:  # `self._children_ids = Child.objects.filter(user=self.request.user)` in get_queryset()
        users = request_user_names(m)
        out |= {dotted(t) or "" for n in walk(m) if isinstance(n, ast.Assign) and mentions_user(n.value, users)
                for t in n.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                and t.value.id == "self"}
    return frozenset(out - {""})


def relates(models: ModelIndex, model: str, other: str | None, depth: int = 2) -> bool:
    """`model` points at `other` through its relations (`SavedVariant.family` -> Family), within `depth` hops."""
    if other is None or depth < 0:
        return False
    info = models.lookup(model)
    if info is None:
        return False
    if info.qualname == other:
        return True
    return any(relates(models, t.qualname, other, depth - 1) for f in info.fields.values() if f.target
               for t in [models.lookup(f.target)] if t is not None and t.qualname != info.qualname)


class _Handler:
    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap, models: ModelIndex,
                 code: ProjectCode, client: frozenset[str] = frozenset(), users: frozenset[str] = frozenset()) -> None:
        self.fn, self.imports, self.models, self.code = fn, imports, models, code
        self.users = request_user_names(fn) | users
        self.bindings = bindings(fn)
        takes_request = any(a.arg == "request" for a in (*fn.args.posonlyargs, *fn.args.args))
        # A handler's other parameters are the URL's captures (or what its view passes on).
        seeds = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)
                 if a.arg not in _IGNORED} if takes_request else set()
        if fn.args.kwarg is not None:
            seeds.add(fn.args.kwarg.arg)
        seeds |= client
        self.client = self._closure(seeds - self.users, self._sends)

    # -- data flow ----------------------------------------------------------------------------
    def _closure(self, names: set[str], seed: Callable[[ast.AST], bool] | None = None) -> set[str]:
        """Names bound (transitively) from `names`, or from an expression `seed` accepts."""
        out = set(names)
        for _ in range(3):
            for target, value in self.bindings:
                if target not in out and not _inherited_answer(value) and (
                        _mentions(value, out) or (seed is not None and seed(value))):
                    out.add(target)
        return out

    def _sends(self, node: ast.AST) -> bool:
        """`node` reads something the client sent (not the requesting user)."""
        for n in walk(node):
            if isinstance(n, ast.Attribute):
                if n.attr in _BOUND:
                    return True
                d = dotted(n) or ""
                parts = d.split(".")
                if parts[:1] == ["request"] and len(parts) > 1 and parts[1] in _REQUEST_PARTS:
                    return True
                if parts[:2] == ["self", "request"] and len(parts) > 2 and parts[2] in _REQUEST_PARTS:
                    return True
                if parts[:2] == ["self", "kwargs"]:
                    return True
        return False

    def _from_client(self, node: ast.AST) -> bool:
        return _mentions(node, self.client) or self._sends(node)

    # -- lookups --------------------------------------------------------------------------------
    def _lookup(self, call: ast.Call) -> tuple[str, ast.AST | None] | None:
        """(model, receiver) of `M.objects....get(...)` or `get_object_or_404(M, ...)`."""
        name = call.func.attr if isinstance(call.func, ast.Attribute) else \
            call.func.id if isinstance(call.func, ast.Name) else ""
        if name not in LOOKUPS:
            return None
        if name in _SHORTCUTS:
            if last_part(self.imports.qualname(call.func) or "") not in _SHORTCUTS or not call.args:
                return None
            model = self._chain_model(call.args[0])
            return (model, call.args[0]) if model else None
        if not isinstance(call.func, ast.Attribute):
            return None
        model = self._chain_model(call.func.value)
        return (model, call.func.value) if model else None

    def _scoped_by_user(self, call: ast.Call) -> str | None:
        """The model of `M.<manager>.<method>(user)`, a project Manager or QuerySet method (returning the model's
        rows) handed the requesting user: the rows it returns are those the project lets that user see."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr not in LOOKUPS and self.code.queryset_method(func.attr)
                and any(mentions_user(v, self.users) for v in (*call.args, *(k.value for k in call.keywords)))):
            return None
        return self._chain_model(func.value)

    def _chain_model(self, node: ast.AST) -> str | None:
        while True:
            if isinstance(node, ast.Call):
                node = node.func
            elif isinstance(node, (ast.Attribute, ast.Name)):
                info = self.models.lookup(self.imports.qualname(node)) if dotted(node) else None
                if info is not None and info.qualname in self.models.django:
                    return info.qualname
                if not isinstance(node, ast.Attribute):
                    return None
                node = node.value
            else:
                return None

    def _client_keys(self, call: ast.Call, model: str) -> list[str]:
        """The keywords that pick rows by an id the client sent: the primary key, a unique field or a relation."""
        keys = []
        for k in call.keywords:
            if k.arg is None or not self._from_client(k.value):
                continue
            base = k.arg.split("__")[0]
            f = self.models.find_field(model, base) or (
                self.models.find_field(model, base[:-3]) if base.endswith("_id") else None)
            if base in ("pk", "id") or (f is not None and (f.unique or f.target)) or (
                    f is None and self._through_link(model, k.arg)):
                keys.append(k.arg)
        if last_part(call.func.attr if isinstance(call.func, ast.Attribute) else "") == "in_bulk" and call.args \
                and self._from_client(call.args[0]):
            keys.append("in_bulk")
        return keys

    def _through_link(self, model: str, key: str) -> bool:
        """`ambulancecall__ambulance_id`: back along a link row's relation to `model`, then forward along its relation
        to another object, which the client names: the rows linked to that object."""
        parts = key.split("__")
        link = self.models.reverse_relation(model, parts[0]) if len(parts) >= 2 else None
        if link is None:
            return False
        f = self.models.find_field(link.qualname, parts[1]) or (
            self.models.find_field(link.qualname, parts[1][:-3]) if parts[1].endswith("_id") else None)
        return f is not None and f.target is not None

    def _owned(self, call: ast.Call, model: str) -> bool:
        """The lookup restricts rows through the model's relation to the user model (`user=request.user`)."""
        for k in call.keywords:
            f = self.models.find_field(model, (k.arg or "").split("__")[0])
            if f is not None and f.target and mentions_user(k.value, self.users) and self._user_model(f.target):
                return True
        return False

    def _through_user(self, call: ast.Call) -> str | None:
        """The model of `request.user.children.filter(...)`: rows read through a relation from the user
        (`Child.user = ForeignKey(User, related_name="children")`), so only the user's own."""
        if not (isinstance(call.func, ast.Attribute) and call.func.attr in LOOKUPS | {"all"}
                and isinstance(call.func.value, ast.Attribute) and mentions_user(call.func.value.value, self.users)):
            return None
        name = call.func.value.attr
        for m in self.models.models.values():
            for f in m.fields.values():
                if f.target and (f.related_name == name or f.related_name is None and name == f"{m.name.lower()}_set") \
                        and m.qualname in self.models.django and self._user_model(f.target):
                    return m.qualname
        return None

    def _user_model(self, target: str) -> bool:
        if "AUTH_USER_MODEL" in target or last_part(target) in ("User", "get_user_model", "AbstractUser"):
            return True
        info = self.code.lookup(target)
        return info is not None and any(last_part(a) in ("AbstractUser", "AbstractBaseUser")
                                        for a in self.code.ancestors(info.qualname))

    # -- checks ---------------------------------------------------------------------------------
    def _checked_names(self) -> list[tuple[set[str], int, bool]]:
        """Objects whose access the handler checks, with the line and whether a check call did it: handed with
        the user to a project check function or to Django's `has_perm`, or tested together with the user."""
        out = []
        for n in walk(self.fn):
            if isinstance(n, ast.Call) and self._is_check_call(n):
                out.append((self._objects(n.args + [k.value for k in n.keywords]), n.lineno, True))
            elif isinstance(n, (ast.If, ast.IfExp, ast.While, ast.Assert)) and self._involves_user(n.test):
                # `if donor.closed and not user.is_admin`: only the parts that read the user relate rows to it
                parts = n.test.values if isinstance(n.test, ast.BoolOp) else [n.test]
                out.append((self._objects([p for p in parts if self._involves_user(p) and not self._acts_as(p)]),
                            n.lineno, False))
        return [c for c in out if c[0]]

    def _is_check_call(self, call: ast.Call) -> bool:
        if isinstance(call.func, ast.Attribute) and call.func.attr in _OBJECT_CHECKS:
            return True
        args = call.args + [k.value for k in call.keywords]
        return self.code.authorizes(self.imports.qualname(call.func)) is True and any(
            mentions_user(a, self.users) for a in args)

    def _acts_as(self, test: ast.AST) -> bool:
        """`donor.randomise(active_user=user)`: a project method that takes the user only to act as them, no check."""
        test = test.operand if isinstance(test, ast.UnaryOp) else test
        if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute)) \
                or mentions_user(test.func.value, self.users):
            return False
        verdict = self.code.method_authorizes(test.func.attr)
        return verdict is False or verdict is None and test.func.attr in _PERSISTENCE

    def _makes_form(self, call: ast.Call) -> bool:
        """`DonorForm(user.is_admin, data, instance=donor)`: a Django form or DRF serializer is handed the row to
        edit it; building one checks no access."""
        return any(a.startswith(("django.forms.", "rest_framework.serializers."))
                   for a in self.code.ancestors(self.imports.qualname(call.func)))

    def _involves_user(self, test: ast.AST) -> bool:
        return mentions_user(test, self.users) or any(
            isinstance(n, ast.Call) and self._is_check_call(n) for n in walk(test))

    def _objects(self, nodes: Sequence[ast.AST]) -> set[str]:
        """The local names (not the user, the request or self) that `nodes` read."""
        return {n.id for node in nodes for n in walk(node) if isinstance(n, ast.Name)
                and n.id not in _IGNORED and n.id not in self.users and not mentions_user(n, self.users)}

    def _handed_to_unknown_check(self, rows: set[str]) -> bool:
        """The rows go, with the user, to something wardgate cannot read (a method of the row such as
        `search.delete_model(request.user)`, a library's check): it may check them, so they count as checked.
        A project function known not to check (it reads the user only to record who acted) does not."""
        for n in walk(self.fn):
            if isinstance(n, ast.Call) and self.code.authorizes(self.imports.qualname(n.func)) is not False \
                    and not self._acts_as(n) and not self._makes_form(n):
                args = [*n.args, *(k.value for k in n.keywords)]
                on_row = isinstance(n.func, ast.Attribute) and _mentions(n.func.value, rows)
                if (on_row or any(_mentions(a, rows) for a in args)) and any(mentions_user(a, self.users) for a in args):
                    return True
        return False

    def _rows(self) -> dict[str, str | None]:
        """Names bound to rows the handler fetched, with their model when the binding says it
        (`family = Family.objects.get(...)` -> Family; `project = family.project` -> unknown)."""
        seeds: dict[str, str | None] = {}
        for t, v in self.bindings:
            for n in walk(v):
                if isinstance(n, ast.Call):
                    found = self._lookup(n)
                    if found is not None or (isinstance(n.func, ast.Attribute) and n.func.attr == "get_object"):
                        seeds[t] = found[0] if found and _inner_call(v) is n else seeds.get(t)
                        break
        return {name: seeds.get(name) for name in self._closure(set(seeds))}

    def scope(self) -> HandlerScope:
        out = HandlerScope()
        checks = self._checked_names()
        checked = self._closure(set().union(*(names for names, _, _ in checks))) if checks else set()
        # `project = family.project` then the project checked: the family is one the user may reach, and so is what
        # is filtered by it
        owners = {r.id for t, v in self.bindings if t in checked and isinstance(v, ast.Attribute)
                  for r in [_read_off(v)] if isinstance(r, ast.Name) and r.id not in self.users and r.id not in _IGNORED}
        if owners - checked:
            checked = self._closure(checked | owners)
        rows = self._rows()
        # Evidence that access here is per object: a checked row, or a client-chosen id handed to a check.
        for names, line, call in checks:
            objects = sorted(names & (set(rows) | (self.client if call else set())))
            if objects:
                out.authorized.append((objects[0], line, rows.get(objects[0])))
        assigned = {id(v): t for t, v in self.bindings}
        # `M.objects.filter(pk=pk).exists()`: a yes/no about an id, no row handed out
        probes = {id(n.func.value) for n in walk(self.fn) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Attribute) and n.func.attr in ("exists", "count")}
        # `lab in user.labs.all()`: a membership test, no rows handed out
        probes |= {id(c) for n in walk(self.fn) if isinstance(n, ast.Compare) for c in n.comparators}
        for n in walk(self.fn):
            if not isinstance(n, ast.Call) or id(n) in probes:
                continue
            found = self._lookup(n)
            if found is None:
                own = self._through_user(n)
                if own is not None:  # `request.user.children.filter(...)`: the user's own rows
                    out.through_user.add(own)
                scoped = self._scoped_by_user(n)
                if scoped is not None:  # `Organ.objects.for_user(request.user)`: the project's own row scope
                    out.restricted[scoped] = out.restricted.get(scoped, False)
                    out.project_scoped.add(scoped)
                continue
            model, receiver = found
            values: list[ast.AST] = [k.value for k in n.keywords]
            values += n.args[1:] if isinstance(n.func, ast.Name) else n.args
            if receiver is not None:
                values.append(receiver)
            keys = self._client_keys(n, model)
            if any(mentions_user(v, self.users) for v in values):
                out.restricted[model] = out.restricted.get(model, False) or self._owned(n, model)
                if keys:  # `Query.objects.get(id=query_id, user=request.user)`
                    out.owner_by_id.add(model)
                continue
            if not keys or any(_mentions(v, checked) for v in values):
                continue
            # the row, or what is read off it (`study = Response.objects.get(id=rid).study`: checking the study
            # checks the row the client named)
            target = assigned.get(id(n)) or next((t for t, v in self.bindings
                                                  if _inner_call(v) is n or _inner_call(_read_off(v)) is n), None)
            fetched = self._closure({target}) if target else set()
            if fetched & checked or self._handed_to_unknown_check(fetched):
                continue
            out.unscoped.append(Lookup(n, model, keys, target))
        return out


def bindings(fn: ast.AST) -> list[tuple[str, ast.AST]]:
    """(name, value) for every simple binding in the function: assignments, loop targets, `with ... as`."""
    out: list[tuple[str, ast.AST]] = []
    for n in walk(fn):
        if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            out += [(t.id, n.value) for tt in targets for t in _bound_names(tt)]
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
            out += [(t.id, n.iter) for t in walk(n.target) if isinstance(t, ast.Name)]
        elif isinstance(n, ast.withitem) and n.optional_vars is not None:
            out += [(t.id, n.context_expr) for t in walk(n.optional_vars) if isinstance(t, ast.Name)]
        elif isinstance(n, ast.NamedExpr):
            out.append((n.target.id, n.value))
    return out


def _bound_names(target: ast.AST) -> list[ast.Name]:
    """The names an assignment target binds: `a`, `a, b`, `[a, *b]`; not the object of `row.field = ...` or
    `rows[i] = ...`, which stays what it was."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _bound_names(e)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _inherited_answer(value: ast.AST) -> bool:
    """`super().create(request, ...)`: the base view's answer (the row it just made), not what the client sent."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(
        value.func.value, ast.Call) and isinstance(value.func.value.func, ast.Name) and value.func.value.func.id == "super"


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return bool(names) and any(isinstance(n, ast.Name) and n.id in names for n in walk(node))


def _read_off(value: ast.AST) -> ast.AST:
    """`call().study.site` -> `call()`: the object an attribute chain is read off."""
    while isinstance(value, ast.Attribute):
        value = value.value
    return value


def _inner_call(value: ast.AST) -> ast.AST | None:
    """The lookup inside `X.objects.filter(...).first()` / `list(...)`: the call the bound value starts from."""
    node = value
    while isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call):
            node = node.func.value
        elif isinstance(node.func, ast.Name) and node.args and isinstance(node.args[0], ast.Call):
            node = node.args[0]
        else:
            return node
    return node
