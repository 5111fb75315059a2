from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.guards import AUTHN
from ..facts.views import all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# DRF classes and mixins that answer GET with rows.
_READERS = frozenset({"ListModelMixin", "RetrieveModelMixin", "ModelViewSet", "ReadOnlyModelViewSet", "ListAPIView",
                      "RetrieveAPIView", "ListCreateAPIView", "RetrieveUpdateAPIView", "RetrieveDestroyAPIView",
                      "RetrieveUpdateDestroyAPIView"})
_MODELS = ("triage/models.py", """\
    from django.db import models

    class Patient(models.Model):
        date_of_birth = models.DateField()
        first_name = models.CharField(max_length=50)
    """)


_READ_PERMS = ("triage/permissions.py", """\
    from rest_framework import permissions

    class ComplaintPermissions(permissions.DjangoModelPermissions):
        perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}
    """)


class ModelPermissionsOpenReads(Check):
    """## What it does
    Flags a DRF view that serves patient records (a list or a retrieve) and relies on `DjangoModelPermissions`
    alone to decide who may read them, with no row restriction in `get_queryset()`, in a project that elsewhere
    requires a permission for reads (its own permission class maps GET to one). DRF's `perms_map` for the stock
    class asks nothing of GET, HEAD and OPTIONS: the `add`/`change`/`delete` model permissions guard writes only.
    A project that uses the stock class everywhere has chosen login-only reads, and is not flagged.

    ## Why is this bad?
    The team requires a permission to read records elsewhere, yet here every signed-in account (each service token, each
    clinician without the model's permissions) can page through every record. HIPAA §164.312(a)(1) access control;
    §164.308(a)(4) information access management.

    ## Example
    ```python
    class TriageViewSet(viewsets.ModelViewSet):
        queryset = Patient.objects.all()
        serializer_class = PatientSerializer
        permission_classes = [DjangoModelPermissions]
    ```

    Use instead: a subclass whose `perms_map` requires the `view_<model>` permission for GET (Django's view
    permission), or object permissions with a filter backend that restricts the rows.
    """

    code = "WG313"
    name = "model-permissions-open-reads"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 285
    summary = "Patient records readable by any signed-in user under DjangoModelPermissions (GET needs no permission)"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # GET requires the view permission.
        Valid("""\
            from rest_framework import permissions, viewsets
            from triage.models import Patient

            class ViewModelPermissions(permissions.DjangoModelPermissions):
                perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}

            class TriageViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
                permission_classes = [ViewModelPermissions]
            """, path="triage/views.py", files=(_MODELS,)),
        # The stock class everywhere: the project chose login-only reads.
        Valid("""\
            from rest_framework import permissions, viewsets
            from triage.models import Patient

            class TriageViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
                permission_classes = [permissions.DjangoModelPermissions]
            """, path="triage/views.py", files=(_MODELS,)),
        # Writes only: nothing is read back.
        Valid("""\
            from rest_framework import mixins, permissions, viewsets
            from triage.models import Patient

            class TriageViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
                queryset = Patient.objects.all()
                permission_classes = [permissions.DjangoModelPermissions]
            """, path="triage/views.py", files=(_MODELS, _READ_PERMS)),
        # Rows restricted to the requesting user.
        Valid("""\
            from rest_framework import permissions, viewsets
            from triage.models import Patient

            class TriageViewSet(viewsets.ReadOnlyModelViewSet):
                permission_classes = [permissions.DjangoModelPermissions]

                def get_queryset(self):
                    return Patient.objects.filter(created_by=self.request.user)
            """, path="triage/views.py", files=(_MODELS, _READ_PERMS)),
    )
    INVALID = (
        Invalid("""\
            from rest_framework import permissions, viewsets
            from triage.models import Patient

            class ViewModelPermissions(permissions.DjangoModelPermissions):
                perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}

            class TriageViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
                permission_classes = [permissions.DjangoModelPermissions]
            """, line=7, path="triage/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return
        for view in all_views(self.ctx, node):
            cls = view.node
            if not (isinstance(cls, ast.ClassDef) and view.drf and view.models) or view.restricted \
                    or view.unknown or view.unreachable or view.reads != AUTHN:
                continue
            if not any(last_part(p) == "DjangoModelPermissions" and not code.lookup(p) for p in view.perm_classes):
                continue
            norm = self._read_permission_class(code)
            if norm is None:
                continue
            if not self._reads(cls, code):
                continue
            models = ", ".join(last_part(m) for m in view.models)
            self.report(cls, f"{cls.name} serves {models} records with DjangoModelPermissions deciding access, "
                        "whose perms_map asks nothing of GET: any signed-in account can list and read every record "
                        f"(the model permissions guard writes only), while the project's {last_part(norm)} asks a "
                        "permission of GET.",
                        fix="Require the view permission for GET (a DjangoModelPermissions subclass whose perms_map "
                        "maps GET to '%(app_label)s.view_%(model_name)s') or restrict the rows in get_queryset().")

    @staticmethod
    def _read_permission_class(code: ProjectCode) -> str | None:
        """The project's own permission class that asks a permission of GET: the project knows reads need one."""
        return next((q for q, info in sorted(code.classes.items()) if info.get_perms), None)

    def _reads(self, cls: ast.ClassDef, code: ProjectCode) -> bool:
        """The view answers GET with rows: a DRF list/retrieve base or its own get/list/retrieve."""
        q = f"{self.ctx.imports.module}.{cls.name}"
        http = code.attr(q, "http_methods")
        if isinstance(http, list) and "get" not in http:
            return False
        return bool({last_part(a) for a in code.ancestors(q)} & _READERS) or any(
            isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in ("get", "list", "retrieve")
            for m in cls.body)
