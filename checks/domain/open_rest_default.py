from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..secrets import development_only
from ..source import SourceFile

# Where DRF's view classes live (its generic views and viewsets build on rest_framework.views.APIView).
_DRF_VIEW_MODULES = ("rest_framework.views.", "rest_framework.generics.", "rest_framework.viewsets.")
_OPEN = frozenset({"AllowAny"})

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)
        date_of_birth = models.DateField()
    """)
_API = ("clinic/api.py", """\
    from rest_framework import viewsets
    from clinic.models import Patient

    class PatientViewSet(viewsets.ModelViewSet):
        queryset = Patient.objects.all()
    """)
_URLS = ("clinic/urls.py", """\
    from rest_framework.routers import DefaultRouter
    from clinic.api import PatientViewSet

    router = DefaultRouter()
    router.register("patients", PatientViewSet)
    urlpatterns = router.urls
    """)
_SETTINGS = """\
    INSTALLED_APPS = ["rest_framework", "clinic"]
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    }
    """


class OpenRestDefault(Check):
    """## What it does
    Flags the `REST_FRAMEWORK` settings of a served settings module when its default permission lets anyone in
    (`DEFAULT_PERMISSION_CLASSES` set to `AllowAny`, or not set, which is DRF's own `AllowAny`) and routed DRF views
    over patient data rely on that default (no `permission_classes` or `get_permissions()` of their own or of their
    project bases). Reported once, where the default is set (or on `REST_FRAMEWORK` when it is missing), naming the
    views that inherit it. A project whose every view sets its own permissions is not flagged, nor are development-only
    settings.

    ## Why is this bad?
    One line decides for every API view that forgets its own: the patient endpoints answer anonymous callers, and a
    new view written tomorrow starts open. It is also the fix for all of them at once. HIPAA §164.312(a)(1) access
    control; §164.312(d) person or entity authentication.

    ## Example
    ```python
    REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]}
    ```

    Use instead: `"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]` (or a role check),
    and mark the few public views `permission_classes = [AllowAny]`.
    """

    code = "WG331"
    name = "open-rest-default"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 276
    summary = "DRF default permission lets anyone in, and patient API views rely on it"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        Valid(_SETTINGS.replace("permissions.AllowAny", "permissions.IsAuthenticated"), path="proj/settings.py",
              files=(_MODELS, _API, _URLS)),
        # Every view sets its own permissions.
        Valid(_SETTINGS, path="proj/settings.py", files=(_MODELS, _URLS, (_API[0], _API[1].replace(
            "        queryset", "        permission_classes = [IsAdminUser]\n        queryset").replace(
            "from rest_framework import viewsets",
            "from rest_framework import viewsets\n    from rest_framework.permissions import IsAdminUser")))),
    )
    INVALID = (
        Invalid(_SETTINGS, line=4, path="proj/settings.py", files=(_MODELS, _API, _URLS)),
        # No default at all: DRF's own is AllowAny.
        Invalid(_SETTINGS.replace('        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],\n',
                                  ""), line=2, path="proj/settings.py", files=(_MODELS, _API, _URLS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return src.looks_like_settings and not src.looks_like_test and "REST_FRAMEWORK" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None or models is None or not models.patient or development_only(self.ctx):
            return
        if any(last_part(p) not in _OPEN for perms in code.default_perms for p in perms):
            return  # some settings module sets a real default (or one wardgate cannot read)
        anchor = _anchor(node)
        if anchor is None:
            return
        relying = _relying_views(code, models)
        if not relying:
            return
        names = ", ".join(last_part(q) for q in relying[:3]) + (f" and {len(relying) - 3} more"
                                                               if len(relying) > 3 else "")
        what = "is AllowAny" if isinstance(anchor, ast.expr) else "is not set, so DRF's own AllowAny applies"
        self.report(anchor, f"The REST framework's default permission {what}, and {len(relying)} routed API view(s) "
                    f"over patient data rely on it ({names}): each answers anonymous callers.",
                    fix='Set "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"] (or a role '
                    "check) and give the few public views permission_classes = [AllowAny].")


def _anchor(tree: ast.Module) -> ast.AST | None:
    """The DEFAULT_PERMISSION_CLASSES value of the module's REST_FRAMEWORK dict, or the assignment when the key is
    missing; None when the module does not assign REST_FRAMEWORK as a literal dict."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "REST_FRAMEWORK"
                                                for t in stmt.targets) and isinstance(stmt.value, ast.Dict):
            for k, v in zip(stmt.value.keys, stmt.value.values):
                if isinstance(k, ast.Constant) and k.value == "DEFAULT_PERMISSION_CLASSES":
                    return v
            return stmt
    return None


def _relying_views(code: ProjectCode, models: ModelIndex) -> list[str]:
    """Routed DRF class views over patient data with no permission_classes or get_permissions() of their own or
    of their project bases."""
    out = []
    for q, info in sorted(code.classes.items()):
        if info.path.startswith("<") or code.routed(q) is not True:
            continue
        ancestors = code.ancestors(q)
        if not any(a.startswith(_DRF_VIEW_MODULES) for a in ancestors):
            continue
        if code.attr(q, "perm_classes") is not None or code.attr(q, "get_permissions"):
            continue
        model = code.attr(q, "model")
        serializer = code.attr(q, "serializer")
        if not isinstance(model, str) and isinstance(serializer, str):
            model = code.attr(serializer, "meta_model")
        found = models.lookup(model) if isinstance(model, str) else None
        if found is not None and found.qualname in models.patient:
            out.append(q)
    return out
