from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..flows.sources import spelled_request
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

# Where a request carries what the client chose to send.
_CLIENT_ATTRS = frozenset({"data", "POST", "GET", "query_params", "REQUEST", "json"})
# Fields that name who acts on a row, whatever model they point to.
_ACTOR_NAMES = frozenset({"user", "owner", "author", "creator", "created_by", "updated_by", "modified_by",
                          "submitted_by", "uploaded_by", "requested_by"})
_NEGATIVE = (ast.NotEq, ast.IsNot, ast.NotIn)
_CASTS = frozenset({"int", "str", "UUID", "uuid.UUID"})

_MODELS = ("clinic/models.py", """\
    from django.conf import settings
    from django.db import models

    class Professional(models.Model):
        user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Visit(models.Model):
        professional = models.ForeignKey(Professional, on_delete=models.PROTECT)
        patient = models.ForeignKey("Patient", on_delete=models.PROTECT)
        notes = models.TextField()
    """)
_VIEW = """\
    from rest_framework import generics, status
    from rest_framework.response import Response
    from clinic.models import Visit

    class VisitDetail(generics.RetrieveUpdateAPIView):
        queryset = Visit.objects.all()

        def update(self, request, *args, **kwargs):
            visit = self.get_object()
            if visit.professional.id != request.data['professional']['id']:
                return Response('Only its author may change a visit', status=status.HTTP_403_FORBIDDEN)
            return super().update(request, *args, **kwargs)
    """


class OwnerCheckOnClientId(Check):
    """## What it does
    Flags an ownership check that compares a row's owner with an id the client sent: `if visit.professional.id !=
    request.data["professional"]["id"]: return 403`, `if obj.owner_id != int(request.POST["owner"]): raise ...`. The
    row's field is one that names who acts on it: a relation to the user model, to a profile linked to the user model
    (`Professional.user`), or a field called `owner`, `author`, `created_by` and the like; the request names the same
    field; and the branch refuses (returns or raises). A handler that also compares that field with `request.user`
    is not reported.

    ## Why is this bad?
    The check reads like "only the author may change this record", but the author's id is whatever the client puts
    in the payload: anyone who can call the endpoint copies the owner's id from the record they just read and passes.
    HIPAA §164.312(a)(1) access control; §164.312(d) person or entity authentication.

    ## Example
    ```python
    if visit.professional.id != request.data["professional"]["id"]:
        return Response(status=403)
    ```

    Use instead: compare with the authenticated caller,
    `if visit.professional.user_id != request.user.id: raise PermissionDenied`.
    """

    code = "WG328"
    name = "owner-check-on-client-id"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Ownership check compares the owner with an id the client sends"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        Valid(_VIEW.replace("request.data['professional']['id']", "request.user.professional.id"),
              path="clinic/views.py", files=(_MODELS,)),
        # The payload's patient must match the visit's: a consistency check on data, not on who acts.
        Valid(_VIEW.replace("visit.professional.id != request.data['professional']['id']",
                            "visit.patient.id != request.data['patient']['id']"), path="clinic/views.py",
              files=(_MODELS,)),
        # The client's id is checked against the caller first.
        Valid(_VIEW.replace("            visit = self.get_object()\n",
                            "            visit = self.get_object()\n"
                            "            if request.data['professional']['id'] != request.user.professional.id:\n"
                            "                raise PermissionError\n"), path="clinic/views.py", files=(_MODELS,)),
        # Nothing is refused: the client's id only decides what is recorded.
        Valid(_VIEW.replace("return Response('Only its author may change a visit', "
                            "status=status.HTTP_403_FORBIDDEN)", "request.data['co_signed'] = True"),
              path="clinic/views.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid(_VIEW, line=10, path="clinic/views.py", files=(_MODELS,)),
        Invalid("""\
            from django.core.exceptions import PermissionDenied

            def edit_note(request, note):
                owner = int(request.POST.get('owner_id'))
                if note.owner_id != owner:
                    raise PermissionDenied
                note.save()
            """, line=5, path="notes/views.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        ifs = [n for n in walk(node) if isinstance(n, ast.If)]
        if not ifs or not any(spelled_request(n) for n in walk(node) if isinstance(n, (ast.Name, ast.Attribute))):
            return
        client = _client_values(node)
        checked_by_user = _fields_compared_with_user(node)
        nested = _inside_nested_functions(node)
        for stmt in ifs:
            if id(stmt) in nested:
                continue
            for cmp in _comparisons(stmt.test):
                found = _owner_vs_client(cmp, client)
                if found is None:
                    continue
                field, key = found
                if field in checked_by_user or not self._actor(field):
                    continue
                branch = stmt.body if isinstance(cmp.ops[0], _NEGATIVE) else stmt.orelse
                if not any(isinstance(s, (ast.Return, ast.Raise)) for s in branch):
                    continue
                self.report(stmt, f"Only the row's {field} may go on, but `{ast.unparse(cmp)}` takes who that is "
                            f"from `{key}` as the client sent it: anyone can send the {field}'s id and pass.",
                            fix=f"Compare `{field}` with the authenticated caller (`request.user`, or the caller's "
                            "profile), never with an id from the request.")
                break

    visit_AsyncFunctionDef = visit_FunctionDef

    def _actor(self, field: str) -> bool:
        """`field` names who acts: a known actor name, or a relation to the user model or to a user's profile."""
        if field in _ACTOR_NAMES:
            return True
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if models is None:
            return False
        for m in models.models.values():
            f = m.fields.get(field)
            if f is not None and f.target and (_user_model(f.target) or _profile(models, f.target)):
                return True
        return False


def _user_model(target: str) -> bool:
    return "AUTH_USER_MODEL" in target or last_part(target) in ("User", "get_user_model")


def _profile(models: ModelIndex, target: str) -> bool:
    """A model with a one-to-one (or foreign key) relation to the user model: a staff member's profile."""
    m = models.lookup(target)
    return m is not None and any(f.target and f.kind in ("OneToOneField", "ForeignKey") and _user_model(f.target)
                                 for f in m.fields.values())


def _inside_nested_functions(outer: ast.AST) -> set[int]:
    """Ids of the nodes of functions defined inside `outer`: they are judged on their own visit."""
    return {id(n) for fn in walk(outer) if fn is not outer
            and isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for n in walk(fn)}


def _comparisons(test: ast.expr) -> list[ast.Compare]:
    if isinstance(test, ast.BoolOp):
        return [c for v in test.values for c in _comparisons(v)]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _comparisons(test.operand)
    return [test] if isinstance(test, ast.Compare) and len(test.ops) == 1 else []


def _request_key(node: ast.expr) -> str | None:
    """The first key of a value read from what the client sent: `request.data["professional"]["id"]` and
    `int(request.POST.get("owner_id"))` -> "professional", "owner_id"."""
    while isinstance(node, ast.Call) and last_part(ast.unparse(node.func)) in _CASTS and node.args:
        node = node.args[0]
    key: str | None = None
    while True:
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                key = node.slice.value
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            key = node.args[0].value
            node = node.func.value
        else:
            break
    if isinstance(node, ast.Attribute) and node.attr in _CLIENT_ATTRS and spelled_request(node.value):
        return key
    return None


def _client_values(fn: ast.AST) -> dict[str, str]:
    """Local names holding a value the client sent: `owner = int(request.POST.get("owner_id"))` -> owner_id."""
    out: dict[str, str] = {}
    for n in walk(fn):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            key = _request_key(n.value)
            if key:
                out[n.targets[0].id] = key
    return out


def _owner_field(node: ast.expr) -> str | None:
    """`visit.professional.id` / `.pk`, `note.owner_id`, `note.owner` -> the row's field; None for the request's own
    attributes and for anything that is not an attribute of an object."""
    if not isinstance(node, ast.Attribute) or _mentions_request(node):
        return None
    if node.attr in ("id", "pk") and isinstance(node.value, ast.Attribute):
        return node.value.attr
    if node.attr.endswith("_id") and len(node.attr) > 3:
        return node.attr[:-3]
    return node.attr if isinstance(node.value, ast.Name) and node.value.id != "self" else None


def _mentions_request(node: ast.expr) -> bool:
    return any(spelled_request(n) for n in walk(node) if isinstance(n, ast.expr))


def _owner_vs_client(cmp: ast.Compare, client: dict[str, str]) -> tuple[str, str] | None:
    """(row field, request key) when one side is a row's field and the other the same field as the client sent it."""
    for a, b in ((cmp.left, cmp.comparators[0]), (cmp.comparators[0], cmp.left)):
        field = _owner_field(a)
        key = _request_key(b) or (client.get(b.id) if isinstance(b, ast.Name) else None)
        if field and key and key in (field, f"{field}_id", f"{field}Id"):
            return field, key
    return None


def _fields_compared_with_user(fn: ast.AST) -> set[str]:
    """Row fields (or client keys) the handler also compares with the authenticated user."""
    out: set[str] = set()
    for n in walk(fn):
        if isinstance(n, ast.Compare) and len(n.ops) == 1:
            sides = (n.left, n.comparators[0])
            if any(isinstance(s, ast.expr) and "request.user" in ast.unparse(s) for s in sides):
                for s in sides:
                    field = _owner_field(s) or _request_key(s)
                    if field:
                        out.update({field, field.removesuffix("_id")})
    return out
