from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.views import NONE, all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_MODELS = ("dose/models.py", "from django.db import models\n\nclass AlertSettings(models.Model):\n"
           "    alert_level = models.FloatField()\n")
_URLS = ("dose/urls.py", "from django.urls import path\nfrom dose import views\n\n"
         "urlpatterns = [path('alerts/<int:pk>/', views.AlertSettingsUpdate.as_view())]\n")
_VIEW = ("from django.views.generic.edit import UpdateView\nfrom dose.models import AlertSettings\n\n"
         "class AlertSettingsUpdate({bases}UpdateView):\n    model = AlertSettings\n    fields = ['alert_level']\n")
# Django's generic views that change or delete an existing row.
_EDIT_VIEWS = frozenset({"UpdateView", "DeleteView", "BaseUpdateView", "BaseDeleteView", "DeletionMixin"})


class AnonymousRecordChange(Check):
    """## What it does
    Flags a routed Django `UpdateView` or `DeleteView` that anyone can use without signing in: no
    `LoginRequiredMixin`, `login_required` in urls.py, login-required middleware or check in
    `dispatch()`. Whatever model it edits, an anonymous request can change or delete an existing row.
    Views on patient-data models are WG301's; views no URLconf routes are not flagged.

    ## Why is this bad?
    A hospital system's other tables steer patient care: alert thresholds, PACS and lab
    interfaces, pseudonymisation settings, clinic and staff lists. A form that lets anyone rewrite
    them turns off a dose alert or re-points where images and results go, with no account to
    trace it to (HIPAA §164.312(a)(1) access control).

    ## Example
    ```python
    class AlertSettingsUpdate(UpdateView):
        model = AlertSettings
        fields = ["alert_level"]
    ```

    Use instead:
    ```python
    class AlertSettingsUpdate(LoginRequiredMixin, PermissionRequiredMixin, UpdateView):
        permission_required = "dose.change_alertsettings"
        model = AlertSettings
        fields = ["alert_level"]
    ```
    """

    code = "WG306"
    name = "anonymous-record-change"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 306
    summary = "Anyone can change or delete records through an unprotected edit view"

    VALID = [
        Valid(_VIEW.format(bases="LoginRequiredMixin, ").replace(
            "from django.views", "from django.contrib.auth.mixins import LoginRequiredMixin\nfrom django.views"),
              path="dose/views.py", files=(_MODELS, _URLS)),
        # Not routed by any URLconf wardgate read.
        Valid(_VIEW.format(bases=""), path="dose/views.py",
              files=(_MODELS, ("dose/urls.py", "from django.urls import path\n\nurlpatterns = []\n"))),
        # Login required for every view by middleware.
        Valid(_VIEW.format(bases=""), path="dose/views.py",
              files=(_MODELS, _URLS, ("proj/settings.py", "MIDDLEWARE = "
                                      "['django.contrib.auth.middleware.LoginRequiredMiddleware']\n"))),
    ]
    INVALID = [
        Invalid(_VIEW.format(bases=""), line=4, path="dose/views.py", files=(_MODELS, _URLS)),
    ]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return
        for view in all_views(self.ctx, node):
            q = f"{self.ctx.imports.module}.{view.node.name}"
            if (view.unknown or view.unreachable or view.models or not view.writes or view.writes_level != NONE
                    or not isinstance(view.node, ast.ClassDef) or not code.is_url_view(q)):
                continue
            edit = next((last_part(a) for a in code.ancestors(q) if last_part(a) in _EDIT_VIEWS), None)
            if edit is None:
                continue
            model = code.attr(q, "model")
            what = f"{last_part(model)} rows" if isinstance(model, str) else "rows"
            self.report(view.node, f"View {view.node.name} at {code.route(q)} is a {edit} that anyone can use "
                        f"without signing in: an anonymous request can change or delete {what}.",
                        fix="Add LoginRequiredMixin and PermissionRequiredMixin (or wrap it in login_required and "
                        "permission_required in urls.py).")
