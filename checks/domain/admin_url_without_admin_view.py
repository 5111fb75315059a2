from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import NAME as CODE
from ..facts.django_code import ProjectCode, unwrapped_decorators
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..facts.guards import AUTHN, body_level, decorated_for_access, refuses_anonymous
from ..finding import Category, Confidence, Severity
from ..names import last_part

_ROUTES = frozenset({"path", "re_path", "url"})
_ADMIN_BASES = frozenset({"AdminSite", "ModelAdmin", "VersionAdmin", "SimpleHistoryAdmin", "ImportExportModelAdmin",
                          "ImportExportActionModelAdmin"})
# Decorators that keep a view to signed-in (staff) users.
_GUARDS = frozenset({"login_required", "staff_member_required", "permission_required", "user_passes_test",
                     "superuser_required", "admin_view"})


_MODELS = (("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=12)
        date_of_birth = models.DateField()

    class Service(models.Model):
        label = models.CharField(max_length=80)
    """),)


def _wrapped_by_admin_view(view: ast.expr) -> bool:
    """`self.admin_view(v)`, `self.admin_site.admin_view(v)`, `admin.site.admin_view(v)`."""
    return isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute) and view.func.attr == "admin_view"


class AdminUrlWithoutAdminView(Check):
    """## What it does
    Flags a view that a Django `AdminSite` or `ModelAdmin` adds in `get_urls()` (`path("backup/", self.backup)`)
    without wrapping it in `self.admin_view(...)` (`self.admin_site.admin_view(...)` on a ModelAdmin), when the view
    itself neither carries a login or permission decorator nor turns anonymous requests away in its body, and it
    touches patient data (it names a patient-data model). A view wardgate cannot read (imported from another module,
    made by a factory) is not judged.

    ## Why is this bad?
    The admin's staff login, `has_permission()` and CSRF-safe caching come from `admin_view()`; Django's
    documentation says every custom admin view must be wrapped in it. An unwrapped view is served under the admin's
    URL prefix, so it looks protected in review, but it answers anyone who knows the path: a patient search, a task
    board or a data backup becomes public.

    ## Example
    ```python
    class ClinicSite(admin.AdminSite):
        def get_urls(self):
            return [path("patient/<int:pk>/", self.patient_summary)] + super().get_urls()
    ```

    Use instead:
    ```python
    class ClinicSite(admin.AdminSite):
        def get_urls(self):
            return [path("patient/<int:pk>/", self.admin_view(self.patient_summary))] + super().get_urls()
    ```
    """

    code = "WG334"
    name = "admin-url-without-admin-view"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 306
    summary = "Custom admin URL served without admin_view(): no staff login or permission check"

    VALID = (
        Valid("""\
            from django.contrib import admin
            from django.urls import path
            from clinic.models import Patient

            class ClinicSite(admin.AdminSite):
                def get_urls(self):
                    return [path("summary/<int:pk>/", self.admin_view(self.summary))] + super().get_urls()

                def summary(self, request, pk):
                    return Patient.objects.get(pk=pk)
            """, path="clinic/admin.py", files=_MODELS),
        # The view checks the login itself.
        Valid("""\
            from django.contrib import admin
            from django.urls import path
            from clinic.models import Patient

            class ExportAdmin(admin.ModelAdmin):
                def get_urls(self):
                    return [path("export/", self.export)] + super().get_urls()

                def export(self, request):
                    if not request.user.is_authenticated:
                        return redirect("admin:login")
                    return list(Patient.objects.values())
            """, path="clinic/admin.py", files=_MODELS),
        Valid("""\
            from django.contrib import admin
            from django.contrib.admin.views.decorators import staff_member_required
            from django.urls import path
            from clinic.models import Patient

            @staff_member_required
            def report(request):
                return Patient.objects.count()

            class ReportAdmin(admin.ModelAdmin):
                def get_urls(self):
                    return [path("report/", report)] + super().get_urls()
            """, path="clinic/admin.py", files=_MODELS),
        # A catalogue search: no patient data behind the unwrapped URL.
        Valid("""\
            from django.contrib import admin
            from django.urls import path
            from clinic.models import Service

            class ClinicSite(admin.AdminSite):
                def get_urls(self):
                    return [path("services/", self.services)] + super().get_urls()

                def services(self, request):
                    return list(Service.objects.filter(label__icontains=request.GET["q"]))
            """, path="clinic/admin.py", files=_MODELS),
    )
    INVALID = (
        Invalid("""\
            from django.contrib import admin
            from django.urls import path
            from clinic.models import Patient

            class ClinicSite(admin.AdminSite):
                def get_urls(self):
                    return [path("summary/<int:pk>/", self.summary)] + super().get_urls()

                def summary(self, request, pk):
                    return Patient.objects.get(pk=pk)
            """, line=9, path="clinic/admin.py", files=_MODELS),
        # A function of the module: the finding points at its route.
        Invalid("""\
            from django.contrib import admin
            from django.urls import path
            from clinic.models import Patient

            def backup(request):
                return list(Patient.objects.values())

            class BackupAdmin(admin.ModelAdmin):
                def get_urls(self):
                    urls = super().get_urls()
                    my_urls = [path("backup/", backup)]
                    return my_urls + urls
            """, line=11, path="clinic/admin.py", files=_MODELS),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        code: ProjectCode | None = self.ctx.project.fact(CODE)
        q = f"{self.ctx.imports.module}.{node.name}"
        ancestors = code.ancestors(q) if code is not None else []
        bases = [self.qualname(b) for b in node.bases] + ancestors
        if not any(last_part(b) in _ADMIN_BASES for b in bases):
            return
        methods = {s.name: s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        get_urls = methods.get("get_urls")
        if get_urls is None:
            return
        for call in (n for n in ast.walk(get_urls) if isinstance(n, ast.Call)):
            if last_part(self.qualname(call.func)) not in _ROUTES or len(call.args) < 2:
                continue
            view = call.args[1]
            if _wrapped_by_admin_view(view):
                continue
            target = self._view_function(view, methods)
            if target is None or self._guarded(target):
                continue  # a view wardgate cannot read (imported, built by a factory) is not judged
            touched = self._patient_models(target)
            if not touched:
                continue  # a catalogue search or a static page: no patient data behind it
            name = ast.unparse(view)
            where = target if methods.get(target.name) is target else call
            self.report(where, f"{node.name}.get_urls() routes `{name}` (line {call.lineno}), which touches patient "
                        f"data ({', '.join(touched[:3])}), without `admin_view()`: Django's admin checks the staff "
                        "login and its permission only for views wrapped in it, so this URL answers anyone who knows "
                        "it.",
                        fix=f"Route it as `{'self.admin_site' if 'ModelAdmin' in {last_part(b) for b in bases} else 'self'}"
                        f".admin_view({name})`.")

    def _view_function(self, view: ast.expr, methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
                       ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function the route calls: a method of this class (`self.backup`), or a module function of this
        file; None when wardgate cannot read it."""
        if isinstance(view, ast.Attribute) and isinstance(view.value, ast.Name) and view.value.id == "self":
            return methods.get(view.attr)
        if isinstance(view, ast.Name):
            return next((s for s in self.ctx.src.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and s.name == view.id), None) if self.ctx.src.tree is not None else None
        return None

    def _patient_models(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        """The patient-data models the function names (`Customer.objects.get(...)`)."""
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        if models is None:
            return []
        found: list[str] = []
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and n.id[:1].isupper():
                m = models.lookup(self.qualname(n) or n.id)
                if m is not None and m.qualname in models.patient and m.name not in found:
                    found.append(m.name)
        return found

    def _guarded(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """A login or permission decorator, a decorator named for access control, or a body that turns anonymous
        callers away or checks the user's role."""
        decorators = {last_part(d) for d in unwrapped_decorators(fn.decorator_list, self.ctx.imports)}
        return bool(decorators & _GUARDS) or decorated_for_access(fn, self.ctx.imports) \
            or refuses_anonymous(fn, self.ctx.imports) or body_level(fn, self.ctx.imports) >= AUTHN
