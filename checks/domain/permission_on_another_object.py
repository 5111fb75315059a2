from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ClassInfo, ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.user_scope import view_model
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# Django's views that serve one object, fetched by `get_object()` from the URL's pk or slug.
_SINGLE_OBJECT = frozenset({"UpdateView", "DeleteView", "DetailView", "BaseUpdateView", "BaseDeleteView",
                            "BaseDetailView"})

_MODELS = ("studies/models.py", """\
    from django.db import models

    class Study(models.Model):
        slug = models.SlugField()

    class AccessRequest(models.Model):
        study = models.ForeignKey(Study, on_delete=models.CASCADE)
        user = models.ForeignKey("auth.User", on_delete=models.CASCADE)
        status = models.CharField(max_length=9)
    """)
_URLS = ("studies/urls.py", """\
    from django.urls import path
    from studies.views import AccessRequestUpdate

    urlpatterns = [path("<slug>/requests/<int:pk>/", AccessRequestUpdate.as_view())]
    """)
_VIEW = """\
            from django.shortcuts import get_object_or_404
            from django.views.generic import UpdateView
            from guardian.mixins import PermissionRequiredMixin
            from studies.models import AccessRequest, Study

            class AccessRequestUpdate(PermissionRequiredMixin, UpdateView):
                model = AccessRequest
                fields = ["status"]
                permission_required = "studies.change_study"

                def get_permission_object(self):
                    return get_object_or_404(Study, slug=self.kwargs["slug"])
            """


class PermissionOnAnotherObject(Check):
    """## What it does
    Flags a routed Django single-object view (UpdateView, DeleteView, DetailView) whose permission check is made on
    another object (`get_permission_object()` returns the study named by the URL's slug, for django-guardian's or
    django-rules' PermissionRequiredMixin) while the object it serves comes from Django's own `get_object()` by the
    URL's pk, out of every row of its model: nothing ties that row to the object checked (no `get_queryset()` or
    `get_object()` of the view or its project bases). Reported on each routed view, and once on the project base that
    defines `get_permission_object()`.

    ## Why is this bad?
    An editor of one study edits another study's access request (and grants themselves access to its patient
    data) by putting their own study's slug and the other request's id in the URL. HIPAA §164.312(a)(1) access
    control; §164.308(a)(4) information access management.

    ## Example
    ```python
    class AccessRequestUpdate(PermissionRequiredMixin, UpdateView):
        model = AccessRequest
        permission_required = "studies.change_study"

        def get_permission_object(self):
            return get_object_or_404(Study, slug=self.kwargs["slug"])
    ```

    Use instead: serve only the checked object's rows,
    `def get_queryset(self): return AccessRequest.objects.filter(study=self.get_permission_object())`.
    """

    code = "WG322"
    name = "permission-on-another-object"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Single-object view checks permission on one object and serves any row of another"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        Valid(_VIEW + """\

                def get_queryset(self):
                    return AccessRequest.objects.filter(study=self.get_permission_object())
            """, path="studies/views.py", files=(_MODELS, _URLS)),
        Valid(_VIEW.replace('get_object_or_404(Study, slug=self.kwargs["slug"])', "self.get_object()"),
              path="studies/views.py", files=(_MODELS, _URLS)),
    )
    INVALID = (
        Invalid(_VIEW, line=6, path="studies/views.py", files=(_MODELS, _URLS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None:
            return
        module = self.ctx.imports.module
        for cls in (s for s in node.body if isinstance(s, ast.ClassDef)):
            q = f"{module}.{cls.name}" if module else cls.name
            info = code.classes.get(q)
            if info is None:
                continue
            if code.routed(q) is True:
                definer = _serves_any_row_checked_elsewhere(code, q)
                if definer is not None:
                    self.report(cls, f"{cls.name} checks permission on {last_part(definer.qualname)}."
                                f"get_permission_object() ({definer.path}:{definer.permission_object_line}), another "
                                f"object than the {_model_name(code, models, q)} it serves, which Django's get_object() "
                                "takes by the URL's id from every row: a user allowed on one object reaches any "
                                f"{_model_name(code, models, q)}.",
                                severity=self._severity(code, models, q),
                                fix="Serve only the rows of the object checked: a get_queryset() filtered by "
                                "get_permission_object().")
            elif info.permission_object_other:
                users = sorted(c for c in code.classes if c != q and code.routed(c) is True
                               and q in code.ancestors(c) and _serves_any_row_checked_elsewhere(code, c) is info)
                if users:
                    self.report(cls, f"{cls.name}.get_permission_object() checks another object than the one its "
                                f"views serve, and nothing ties the row get_object() takes from the URL to it: "
                                f"{', '.join(last_part(u) for u in users)} serve any row of their models to a user "
                                "allowed on one object.",
                                severity=max((self._severity(code, models, u) for u in users), key=lambda s: s.rank),
                                fix="Add a get_queryset() that keeps the rows of get_permission_object().")

    @staticmethod
    def _severity(code: ProjectCode, models: ModelIndex | None, q: str) -> Severity:
        model = view_model(code, models, q) if models is not None else None
        return Severity.HIGH if models is None or model in models.patient else Severity.MEDIUM


def _serves_any_row_checked_elsewhere(code: ProjectCode, q: str) -> ClassInfo | None:
    """The project class whose get_permission_object() checks another object, when the view at `q` serves one
    object through Django's own get_object() from its whole model (no get_queryset()/get_object() in the project's
    part of its MRO); else None."""
    ancestors = code.ancestors(q)
    if not any(last_part(a) in _SINGLE_OBJECT for a in ancestors):
        return None
    definer: ClassInfo | None = None
    for a in ancestors:
        info = code.lookup(a)
        if info is None:
            continue
        if {"get_queryset", "get_object"} & set(info.methods):
            return None
        if definer is None and "get_permission_object" in info.methods:
            definer = info
    return definer if definer is not None and definer.permission_object_other else None


def _model_name(code: ProjectCode, models: ModelIndex | None, q: str) -> str:
    model = view_model(code, models, q) if models is not None else None
    return last_part(model) if model else "row"
