from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.guards import AUTHZ, LEVEL_NAMES, decides_by_user, mentions_user, request_user_names
from ..facts.querysets import parent_map
from ..facts.views import View, all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_MODELS = ("trial/models.py", """\
    from django.db import models

    class Participant(models.Model):
        birthdate = models.DateField()
        facility = models.CharField(max_length=15)
    """)


class ListOnlyRowScope(Check):
    """## What it does
    Flags a view whose `get_queryset()` restricts rows to the requesting user on one branch and returns
    patient rows unrestricted on another, where the branch is chosen by something other than the user: the
    action or the HTTP method (`if self.action == "list": return qs.for_user(user)` ... `return qs`). The
    list shows the user's own patients; retrieve, update and delete, which look rows up through the same
    `get_queryset()`, reach every patient's record by id. A branch chosen by the user's privilege
    (`if user.is_superuser: return qs`) is a decision, not a gap, and is not flagged.

    Also flags a DRF viewset that overrides `list()` to show only the rows the requesting user may see
    (filtered by the user, or kept when a test of the user passes) while it inherits `retrieve`, `update`
    or `destroy` from DRF over an unrestricted `queryset`, with no permission class that authorizes: the
    author's own scoping shows the rows are not everyone's, whatever model they hold.

    ## Why is this bad?
    The restriction shows what the author meant: a user sees only their facility's or care team's
    patients. Restricting only the list hides the other records from the screen but not from the API: any
    signed-in user can read or change them by guessing or enumerating ids (an insecure direct object
    reference, OWASP API1:2023).

    ## Example
    ```python
    def get_queryset(self):
        qs = Participant.objects.all()
        if self.action == "list":
            return qs.for_user(self.request.user)
        return qs
    ```

    Use instead:
    ```python
    def get_queryset(self):
        return Participant.objects.for_user(self.request.user)
    ```
    """

    code = "WG314"
    name = "list-only-row-scope"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Rows restricted to the user for the list, not for the actions that look rows up by id"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # Restricted on every path.
        Valid("""\
            from rest_framework import viewsets
            from trial.models import Participant

            class ParticipantViewSet(viewsets.ModelViewSet):
                def get_queryset(self):
                    qs = Participant.objects.filter(facility=self.request.user.facility)
                    if self.action == "list":
                        return qs.order_by("birthdate")
                    return qs
            """, path="trial/views.py", files=(_MODELS,)),
        # The unrestricted branch is chosen by the user's privilege.
        Valid("""\
            from rest_framework import viewsets
            from trial.models import Participant

            class ParticipantViewSet(viewsets.ModelViewSet):
                def get_queryset(self):
                    if self.request.user.is_superuser:
                        return Participant.objects.all()
                    return Participant.objects.filter(facility=self.request.user.facility)
            """, path="trial/views.py", files=(_MODELS,)),
        # The other branch returns no rows at all.
        Valid("""\
            from rest_framework import viewsets
            from trial.models import Participant

            class ParticipantViewSet(viewsets.ReadOnlyModelViewSet):
                def get_queryset(self):
                    if self.action == "list":
                        return Participant.objects.filter(facility=self.request.user.facility)
                    return Participant.objects.none()
            """, path="trial/views.py", files=(_MODELS,)),
        # list() restricted, and get_queryset() restricts every other action too.
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.response import Response
            from trial.models import Site
            from trial.serializers import SiteSerializer

            class SiteViewSet(viewsets.ModelViewSet):
                serializer_class = SiteSerializer

                def get_queryset(self):
                    return Site.objects.filter(staff=self.request.user)

                def list(self, request, *args, **kwargs):
                    return Response(SiteSerializer(self.get_queryset(), many=True).data)
            """, path="trial/views.py", files=(_MODELS,)),
    )
    INVALID = (
        # list() keeps the user's sites; retrieve, update and destroy come from ModelViewSet over every site.
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.response import Response
            from trial.models import Site
            from trial.serializers import SiteSerializer

            class SiteViewSet(viewsets.ModelViewSet):
                queryset = Site.objects.all()
                serializer_class = SiteSerializer

                def list(self, request, *args, **kwargs):
                    sites = [s for s in Site.objects.all() if request.user in s.staff.all()]
                    return Response(SiteSerializer(sites, many=True).data)
            """, line=6, path="trial/views.py", files=(_MODELS,)),
        Invalid("""\
            from rest_framework import viewsets
            from trial.models import Participant

            class ParticipantViewSet(viewsets.ModelViewSet):
                def get_queryset(self):
                    qs = Participant.objects.all()
                    if self.action == "list":
                        return qs.filter(facility=self.request.user.facility)
                    return qs
            """, line=4, path="trial/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        for view in all_views(self.ctx, node):
            cls = view.node
            if not isinstance(cls, ast.ClassDef) or view.unknown or view.unreachable:
                continue
            if code is not None:
                self._list_override(view, cls, code)
            if not view.models:
                continue
            gq = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "get_queryset"), None)
            gap = _unrestricted_branch(gq) if gq is not None else None
            if gq is None or gap is None:
                continue
            scoped, open_ = gap
            text = ast.unparse(gq)  # the models the queryset names, else every patient model the view touches
            names = [n for n in (m.rsplit(".", 1)[-1] for m in view.models) if n in text] or \
                [m.rsplit(".", 1)[-1] for m in view.models]
            self.report(
                cls,
                f"{cls.name}.get_queryset() restricts {', '.join(names)} rows to "
                f"the requesting user on one branch (line {scoped}) but returns them unrestricted on another "
                f"(line {open_}), chosen by the action or method, not by the user: the actions that take that "
                "branch (retrieve, update, delete by id) reach every patient's rows.",
                fix="Restrict the queryset before branching, so that every action sees only the user's rows.",
            )


    def _list_override(self, view: View, cls: ast.ClassDef, code: ProjectCode) -> None:
        """A viewset whose own `list()` keeps the user's rows while DRF's retrieve/update/destroy, inherited,
        look rows up in the unrestricted queryset."""
        own = {m.name: m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        listing = own.get("list")
        if not view.drf or view.restricted or view.shared[0] >= AUTHZ or listing is None or not decides_by_user(
                listing) or {"get_queryset", "get_object"} & set(own):
            return
        bases = {last_part(a) for a in code.ancestors(f"{self.ctx.imports.module}.{cls.name}")}
        inherited = [action for action, mixin in _DETAIL_ACTIONS
                     if bases & {mixin, *_FULL_VIEWSETS[mixin]} and action not in own]
        if not inherited:
            return
        self.report(
            cls,
            f"{cls.name}.list() shows only the rows the requesting user may see (line {listing.lineno}), but the "
            f"{', '.join(inherited)} it inherits from DRF look rows up by id in its unrestricted queryset, with "
            f"no permission class that authorizes ({LEVEL_NAMES[view.shared[0]]} may call them): a user reaches "
            "any row the list hides by its id.",
            fix="Restrict get_queryset() to the user's rows (list() can then use it), or check each object in a "
            "permission class's has_object_permission().",
        )


# The detail actions DRF's mixins give a viewset, each with its mixin; and the viewsets that bring each mixin.
_DETAIL_ACTIONS = (("retrieve", "RetrieveModelMixin"), ("update", "UpdateModelMixin"),
                   ("destroy", "DestroyModelMixin"))
_FULL_VIEWSETS = {"RetrieveModelMixin": ("ModelViewSet", "ReadOnlyModelViewSet"),
                  "UpdateModelMixin": ("ModelViewSet",), "DestroyModelMixin": ("ModelViewSet",)}


def _unrestricted_branch(fn: ast.FunctionDef) -> tuple[int, int] | None:
    """(line of a return restricted to the user, line of an unrestricted one) when the unrestricted return sits
    under no test of the user and nothing outside the branches restricts the rows first."""
    users = request_user_names(fn)
    top = [s for s in fn.body if not isinstance(s, (ast.If, ast.Return))]
    if any(mentions_user(s, users) for s in top):
        return None  # the rows are restricted (or the user consulted) before any branch
    parents = parent_map(fn)
    returns = [n for n in walk(fn) if isinstance(n, ast.Return) and n.value is not None]
    scoped = [r for r in returns if mentions_user(r, users)]
    if not scoped:
        return None
    for r in returns:
        if r in scoped or _under_user_test(r, parents, users) or _no_rows_or_inherited(r.value):
            continue
        return scoped[0].lineno, r.lineno
    return None


def _no_rows_or_inherited(value: ast.expr | None) -> bool:
    """`qs.none()` returns nothing; `super().get_queryset()` is the base's own decision (read elsewhere)."""
    for n in walk(value) if value is not None else ():
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            receiver = n.func.value
            if n.func.attr == "none" or (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name)
                                         and receiver.func.id == "super"):
                return True
    return False


def _under_user_test(node: ast.AST, parents: dict[ast.AST, ast.AST], users: set[str]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and mentions_user(node.test, users):
            return True
    return False
