from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.guards import AUTHN
from ..facts.views import View, all_views, served_model_refs
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# Django model permissions the project's own views require before they act on a model.
_WRITE_ACTIONS = ("add", "change", "delete")
# How often the project must require a model's permissions before they are its rule for that model.
_MIN_USES = 3

_LAB = ("lab/models.py", """\
    from django.db import models

    class Box(models.Model):
        label = models.CharField(max_length=20, unique=True)
        freezer = models.CharField(max_length=20)
    """)
# The web pages require the box permissions, four times.
_PAGES = ("lab/views.py", """\
    from django.contrib.auth.decorators import permission_required
    from django.shortcuts import get_object_or_404, render
    from lab.models import Box

    @permission_required("lab.view_box", raise_exception=True)
    def boxes(request):
        return render(request, "boxes.html", {"boxes": Box.objects.all()})

    @permission_required("lab.add_box", raise_exception=True)
    def add_box(request):
        Box.objects.create(label=request.POST["label"], freezer=request.POST["freezer"])

    @permission_required("lab.change_box", raise_exception=True)
    def move_box(request, pk):
        Box.objects.filter(pk=pk).update(freezer=request.POST["freezer"])

    @permission_required("lab.delete_box", raise_exception=True)
    def retire_box(request, pk):
        get_object_or_404(Box, pk=pk).delete()
    """)
_URLS = ("lab/urls.py", """\
    from django.urls import include, path
    from rest_framework.routers import DefaultRouter
    from lab.api import BoxViewSet

    router = DefaultRouter()
    router.register("boxes", BoxViewSet)
    urlpatterns = [path("api/", include(router.urls))]
    """)
_API = """\
            from rest_framework import permissions, serializers, viewsets
            from lab.models import Box

            class BoxSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Box
                    fields = ["label", "freezer"]

            class BoxViewSet(viewsets.ModelViewSet):
                queryset = Box.objects.all()
                serializer_class = BoxSerializer
                permission_classes = [permissions.IsAuthenticated]
"""


class ModelPermissionBypass(Check):
    """## What it does
    Flags a DRF view (a viewset or a generic API view) that lets any signed-in user change, or read, the rows
    of a model whose Django model permissions the project's own code requires elsewhere, three times or more
    (`@permission_required("lab.change_box")`, `permission_required = "lab.view_box"` on a view,
    `user.has_perm("lab.delete_box")`). Writes are compared with the `add`/`change`/`delete` permissions, reads
    with `view`. Only views a URLconf is seen to route (a router whose `urls` are included) are judged; a view whose
    rows are restricted to the requesting user, whose permission classes decide per object, or that uses DRF's
    `DjangoModelPermissions` (which checks the model's permissions; what it asks of GET is WG313's) is not flagged.

    ## Why is this bad?
    The project's rule for that model is its permission: the web pages check it, so only a role holding it (a
    lab group, the basic-science team) acts on those rows. An API endpoint over the same rows that asks only for
    a login gives every account (a researcher of another study, a service token) what the pages keep to that
    role, and nothing on the endpoint shows it; hiding the link in a front end is no access control. HIPAA
    §164.312(a)(1) access control; §164.308(a)(4) information access management.

    ## Example
    ```python
    class BoxViewSet(viewsets.ModelViewSet):
        queryset = Box.objects.all()
        serializer_class = BoxSerializer
        permission_classes = [permissions.IsAuthenticated]  # the pages require lab.*_box
    ```

    Use instead:
    ```python
        permission_classes = [permissions.DjangoModelPermissions]  # or a subclass that maps GET to view_box
    ```
    """

    code = "WG325"
    name = "model-permission-bypass"
    category = Category.PERMISSION
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 285
    summary = "API view lets any signed-in user act on a model whose permissions the project's pages require"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # The viewset requires the model's permissions too.
        Valid(_API.replace("[permissions.IsAuthenticated]", "[permissions.DjangoModelPermissions]"),
              path="lab/api.py", files=(_LAB, _PAGES, _URLS)),
        # The pages require the permissions only twice: no rule of the project's yet.
        Valid(_API, path="lab/api.py", files=(_LAB, _URLS, ("lab/views.py", _PAGES[1].split(
            '    @permission_required("lab.change_box"')[0]))),
        # Each user sees and changes only their own boxes.
        Valid(_API.replace("                queryset = Box.objects.all()\n", """\
                def get_queryset(self):
                    return Box.objects.filter(owner=self.request.user)
"""),
              path="lab/api.py", files=((_LAB[0], _LAB[1] + """\
        owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    """), _PAGES, _URLS)),
        # Not routed: the router's urls are never included.
        Valid(_API, path="lab/api.py", files=(_LAB, _PAGES, (_URLS[0], _URLS[1].replace(
            '[path("api/", include(router.urls))]', '[]')))),
    )
    INVALID = (
        Invalid(_API, line=9, path="lab/api.py", files=(_LAB, _PAGES, _URLS)),
        # Read-only, while the pages require the view permission (three times).
        Invalid(_API.replace("viewsets.ModelViewSet", "viewsets.ReadOnlyModelViewSet"), line=9, path="lab/api.py",
                files=(_LAB, _URLS, ("lab/views.py", _PAGES[1].replace('"lab.add_box"', '"lab.view_box"').replace(
                    '"lab.change_box"', '"lab.view_box"')))),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test) and "rest_framework" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None or not code.model_perms:
            return
        for view in all_views(self.ctx, node):
            if not (view.drf and isinstance(view.node, ast.ClassDef)) or view.unknown or view.unreachable \
                    or view.restricted or view.object_only is not None:
                continue
            if code.routed(f"{self.ctx.imports.module}.{view.node.name}") is not True:
                continue  # a norm of the project's is held against the endpoints a URLconf is seen to serve
            if any(last_part(p).startswith(("DjangoModelPermissions", "DjangoObjectPermissions"))
                   for p in view.perm_classes):
                continue  # the model permissions are required here (what DRF's class asks of GET is WG313's)
            model = next((m.name for ref in served_model_refs(code, self.ctx.imports, view.node)
                          for m in [models.lookup(ref)] if m is not None and m.qualname in models.django), None)
            if model is None:
                continue
            if view.writes and view.writes_level <= AUTHN:
                what, perms = "change", _required(code, model, _WRITE_ACTIONS)
            elif view.reads <= AUTHN:
                what, perms = "read", _required(code, model, ("view",))
            else:
                continue
            if sum(perms.values()) < _MIN_USES:
                continue
            named = ", ".join(f"`{p}`" for p in sorted(perms))
            self.report(view.node, f"{view.node.name} lets {_who(view.writes_level if what == 'change' else view.reads)} "
                        f"{what} {model} rows ({_guard(view)}), while the project's own "
                        f"code requires {named} {sum(perms.values())} times before it acts on them: the API "
                        f"gives every account what the permission keeps to a role.",
                        fix=f"Require {model}'s model permissions here too (DjangoModelPermissions, or a permission "
                        "class of the project's that checks them).")


def _required(code: ProjectCode, model: str, actions: tuple[str, ...]) -> dict[str, int]:
    """The project's uses of `model`'s permissions for `actions` (`lab.change_box` -> 2)."""
    suffixes = tuple(f".{a}_{model.lower()}" for a in actions)
    return {p: n for p, n in code.model_perms.items() if p.endswith(suffixes)}


def _guard(view: View) -> str:
    if view.perm_classes:
        return "permission classes " + ", ".join(last_part(p) for p in view.perm_classes)
    return view.guard or "no permission class"


def _who(level: int) -> str:
    return "any signed-in user" if level == AUTHN else "anyone"

