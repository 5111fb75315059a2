from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.guards import AUTHN
from ..facts.views import DEFAULT_ALLOW_ANY, NONE, View, all_views, is_generic_view_base
from ..finding import Category, Confidence, Severity
from ..flows.index import NAME as FLOWS
from ..flows.index import FlowIndex
from ..names import last_part
from ..source import SourceFile

_MODELS = ("dose/models.py", """\
    from django.db import models

    class AlertSettings(models.Model):
        alert_level = models.FloatField()
    """)
_URLS = ("dose/urls.py", """\
    from django.urls import path
    from dose import views

    urlpatterns = [path('alerts/<int:pk>/', views.AlertSettingsUpdate.as_view())]
    """)
_API_URLS = ("dose/urls.py", """\
    from django.urls import include, path
    from rest_framework.routers import DefaultRouter
    from dose import views

    router = DefaultRouter()
    router.register('alerts', views.AlertSettingsViewSet)
    urlpatterns = [path('api/', include(router.urls)), path('api/reset/', views.reset_alerts)]
    """)
# Django's generic views that change or delete an existing row.
_EDIT_VIEWS = frozenset({"UpdateView", "DeleteView", "BaseUpdateView", "BaseDeleteView", "DeletionMixin"})
# The handlers of a DRF class view that write (generic views that save through their serializer are WG311's).
_WRITE_HANDLERS = ("post", "put", "patch", "delete", "create", "update", "partial_update", "destroy",
                   "perform_create", "perform_update", "perform_destroy")
# Views that serve people before they have an account or a session: open on purpose.
_SIGN_IN_FLOW = re.compile(r"log_?in|log_?out|sign_?(up|in|out)|regist|password|passwd|token|auth|activat|verif|"
                           r"invit|magic|otp|webhook|callback|health|ping", re.IGNORECASE)


class AnonymousRecordChange(Check):
    """## What it does
    Flags a routed Django `UpdateView` or `DeleteView` that anyone can use without signing in: no
    `LoginRequiredMixin`, `login_required` in urls.py, login-required middleware or check in
    `dispatch()`. Whatever model it edits, an anonymous request can change or delete an existing row.
    Views on patient-data models are WG301's; views no URLconf routes are not flagged.

    Also flags a routed DRF function view (`@api_view`) or `APIView` handler that changes rows (itself or through
    the project functions it calls) while DRF's own default permission, `AllowAny`, applies to it (it names no
    `permission_classes` and the settings set no `DEFAULT_PERMISSION_CLASSES`), when other views of the same module
    require a login: the login was forgotten there, not waived. An explicit `AllowAny` is a choice and is not
    flagged, nor are views that serve sign-in itself (login, sign-up, password reset, tokens, webhooks).

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

    VALID = (
        # AllowAny written out is a decision (a public intake form), not DRF's default left in place.
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.decorators import api_view, permission_classes
            from rest_framework.permissions import AllowAny, IsAuthenticated
            from rest_framework.response import Response
            from dose.models import AlertSettings

            class AlertSettingsViewSet(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]
                queryset = AlertSettings.objects.all()

            @api_view(["POST"])
            @permission_classes([AllowAny])
            def reset_alerts(request):
                AlertSettings.objects.filter(pk=request.data["id"]).update(alert_level=0)
                return Response({})
            """, path="dose/views.py", files=(_MODELS, _API_URLS)),
        # The project requires a login by default: the view names no classes and gets IsAuthenticated.
        Valid("""\
            from rest_framework.decorators import api_view
            from rest_framework.response import Response
            from dose.models import AlertSettings

            @api_view(["POST"])
            def reset_alerts(request):
                AlertSettings.objects.filter(pk=request.data["id"]).update(alert_level=0)
                return Response({})
            """, path="dose/views.py", files=(_MODELS, _API_URLS, ("proj/settings.py", (
            "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated']}\n")))),
        Valid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic.edit import UpdateView
            from dose.models import AlertSettings

            class AlertSettingsUpdate(LoginRequiredMixin, UpdateView):
                model = AlertSettings
                fields = ['alert_level']
            """, path="dose/views.py", files=(_MODELS, _URLS)),
        # Not routed by any URLconf wardgate read.
        Valid("""\
            from django.views.generic.edit import UpdateView
            from dose.models import AlertSettings

            class AlertSettingsUpdate(UpdateView):
                model = AlertSettings
                fields = ['alert_level']
            """, path="dose/views.py",
            files=(_MODELS, ("dose/urls.py", """\
                from django.urls import path

                urlpatterns = []
                """))),
        # Login required for every view by middleware.
        Valid("""\
            from django.views.generic.edit import UpdateView
            from dose.models import AlertSettings

            class AlertSettingsUpdate(UpdateView):
                model = AlertSettings
                fields = ['alert_level']
            """, path="dose/views.py",
            files=(_MODELS, _URLS,
                   ("proj/settings.py", "MIDDLEWARE = ['django.contrib.auth.middleware.LoginRequiredMiddleware']\n"))),
    )
    INVALID = (
        # A function view next to a login-guarded viewset: DRF's default lets anyone post here.
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.decorators import api_view
            from rest_framework.permissions import IsAuthenticated
            from rest_framework.response import Response
            from dose.models import AlertSettings

            class AlertSettingsViewSet(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]
                queryset = AlertSettings.objects.all()

            @api_view(["POST"])
            def reset_alerts(request):
                AlertSettings.objects.filter(pk=request.data["id"]).update(alert_level=0)
                return Response({})
            """, line=12, path="dose/views.py", files=(_MODELS, _API_URLS)),
        Invalid("""\
            from django.views.generic.edit import UpdateView
            from dose.models import AlertSettings

            class AlertSettingsUpdate(UpdateView):
                model = AlertSettings
                fields = ['alert_level']
            """, line=4, path="dose/views.py", files=(_MODELS, _URLS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return
        views = all_views(self.ctx, node)
        self._drf_default_open(views, code)
        for view in views:
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

    def _drf_default_open(self, views: list[View], code: ProjectCode) -> None:
        """DRF views left on DRF's default permission, AllowAny, that change rows, beside views of the same module
        that require a login: the login was forgotten, not waived (an explicit AllowAny is a choice)."""
        guarded = [v.node.name for v in views if v.drf and not v.unknown and min(v.reads, v.writes_level) >= AUTHN]
        if not guarded:
            return
        index: FlowIndex | None = self.ctx.project.fact(FLOWS)
        module = self.ctx.imports.module
        for view in views:
            if (not view.drf or view.unknown or view.unreachable or view.models or view.writes_level != NONE
                    or DEFAULT_ALLOW_ANY not in view.evidence or _SIGN_IN_FLOW.search(view.node.name)):
                continue
            q = f"{module}.{view.node.name}"
            route = code.route(q)
            if route is None or _SIGN_IN_FLOW.search(route):
                continue
            how = _changes_rows(q, view.node, code, index)
            if how is None:
                continue
            others = ", ".join(guarded[:3]) + (f" and {len(guarded) - 3} more" if len(guarded) > 3 else "")
            self.report(view.node, f"{view.node.name} at {route} changes rows{how} and anyone can call it: it sets no "
                        "permission_classes and the project sets no DEFAULT_PERMISSION_CLASSES, so DRF's default, "
                        f"AllowAny, applies; this module's other views require a login ({others}).",
                        fix="Add permission_classes (IsAuthenticated and the project's role or object checks), or set "
                        "DEFAULT_PERMISSION_CLASSES so a view that names none is closed, not open.")


def _changes_rows(q: str, node: ast.AST, code: ProjectCode, index: FlowIndex | None) -> str | None:
    """How the view changes rows (" through save_models() -> ...", "" when its own body does), or None."""
    if isinstance(node, ast.ClassDef):
        if any(is_generic_view_base(last_part(a)) for a in code.ancestors(q)):
            return None  # DRF's generic views: their writes by the client's id are WG311's
        handlers = [f"{q}.{m.name}" for m in node.body
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in _WRITE_HANDLERS]
    else:
        handlers = [q]
    if index is None:
        return None
    for h in handlers:
        path = index.write_path(h)
        if path is not None:
            return f" through {index.shown(path)}" if path else ""
    return None
