from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile
from ..walk import walk

# DRF classes through which a viewset answers PATCH with `partial_update`.
_PATCHING = frozenset({"ModelViewSet", "UpdateModelMixin", "UpdateAPIView", "RetrieveUpdateAPIView",
                       "RetrieveUpdateDestroyAPIView"})

_VIEWSET = """\
    from rest_framework import viewsets
    from clinic.models import Study
    from clinic.permissions import IsCoordinator, IsDoctor

    class StudyViewSet(viewsets.ModelViewSet):
        queryset = Study.objects.all()
        permission_classes = [IsDoctor]

        def get_permissions(self):
            if self.action in ["create", "update", "destroy"]:
                return [IsCoordinator()]
            return super().get_permissions()
    """


class PatchSkipsUpdatePermission(Check):
    """## What it does
    Flags a DRF view's `get_permissions()` (or `get_queryset()`) that gives the `update` action a branch of its own
    (`if self.action in ["create", "update", "destroy"]: return [IsCoordinator()]`) but not `partial_update`, in a
    view that answers PATCH (a `ModelViewSet`, `UpdateModelMixin` or generic update view, PATCH not removed from
    `http_method_names`). DRF routes PUT to `update` and PATCH to `partial_update`: the second falls through to the
    view's default, weaker permissions.

    ## Why is this bad?
    The author meant only coordinators to change a study; any user the default admits changes it all the same by
    sending PATCH instead of PUT. HIPAA §164.312(a)(1) access control; §164.308(a)(4) information access management.

    ## Example
    ```python
    def get_permissions(self):
        if self.action in ["create", "update", "destroy"]:
            return [IsCoordinator()]
        return super().get_permissions()
    ```

    Use instead:
    ```python
        if self.action in ["create", "update", "partial_update", "destroy"]:
    ```
    """

    code = "WG326"
    name = "patch-skips-update-permission"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 285
    summary = "get_permissions() guards update (PUT) but lets partial_update (PATCH) fall through"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        Valid(_VIEWSET.replace('"update", "destroy"', '"update", "partial_update", "destroy"'),
              path="clinic/views.py"),
        # PATCH is not served.
        Valid(_VIEWSET.replace("        permission_classes = [IsDoctor]\n",
                               "        permission_classes = [IsDoctor]\n"
                               '        http_method_names = ["get", "post", "put", "delete"]\n'),
              path="clinic/views.py"),
        # A read-only viewset has no partial_update.
        Valid(_VIEWSET.replace("viewsets.ModelViewSet", "viewsets.ReadOnlyModelViewSet"), path="clinic/views.py"),
    )
    INVALID = (
        Invalid(_VIEWSET, line=10, path="clinic/views.py"),
        # The same with `==`.
        Invalid(_VIEWSET.replace('self.action in ["create", "update", "destroy"]', 'self.action == "update"'),
                line=10, path="clinic/views.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test) and "update" in src.text

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return
        q = f"{self.ctx.imports.module}.{node.name}"
        if not any(last_part(a) in _PATCHING for a in code.ancestors(q)) or not _serves_patch(code, q):
            return
        for m in node.body:
            if not (isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == "get_permissions"):
                continue
            for n in walk(m):
                if isinstance(n, ast.If) and _names_update_only(n.test):
                    self.report(n, f"{node.name}.get_permissions() gives `update` (PUT) its own permissions here but "
                                "not `partial_update` (PATCH): a PATCH falls through to the view's default "
                                "permissions and changes what a PUT may not.",
                                fix='Name "partial_update" wherever "update" is named.')


def _serves_patch(code: ProjectCode, q: str) -> bool:
    methods = code.attr(q, "http_methods")
    return not isinstance(methods, list) or "patch" in methods


def _names_update_only(test: ast.expr) -> bool:
    """A test of `self.action` naming "update" and not "partial_update"."""
    compares = [n for n in walk(test) if isinstance(n, ast.Compare) and any(
        dotted(x) == "self.action" for x in (n.left, *n.comparators))]
    if not compares:
        return False
    names = {c.value for n in compares for side in (n.left, *n.comparators)
             for c in (side.elts if isinstance(side, (ast.List, ast.Tuple, ast.Set)) else [side])
             if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return "update" in names and "partial_update" not in names
