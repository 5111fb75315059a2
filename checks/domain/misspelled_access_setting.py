from __future__ import annotations

import ast
from difflib import SequenceMatcher

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.views import all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# The attributes that decide who may call a DRF view, and what a Django class-based view requires.
_DRF = ("permission_classes", "authentication_classes")
_DJANGO = ("permission_required", "login_url", "raise_exception")
# What Django reads only through one mixin (django.contrib.auth's, or a package's of the same name): on a view
# without it, the method or attribute decides nothing.
_MIXIN_HOOKS = {"test_func": "UserPassesTestMixin", "permission_required": "PermissionRequiredMixin"}


class MisspelledAccessSetting(Check):
    """## What it does
    Flags a view class attribute that is a near miss of the attribute that decides access:
    `permissions_classes`, `permission_class` or `permision_classes` on a DRF view (for `permission_classes` /
    `authentication_classes`), `permissions_required` on a Django view (for `permission_required`), when the
    class does not also set the real one.

    ## Why is this bad?
    Python accepts any attribute name and DRF and Django read only their own: the misspelt list is ignored and
    the view falls back to `DEFAULT_PERMISSION_CLASSES`, which is `AllowAny` when the project sets none. The
    code reads as protected and is open to anyone. HIPAA §164.312(a)(1) access control.

    ## Example
    ```python
    class CaseViewSet(viewsets.ModelViewSet):
        permissions_classes = (DjangoModelPermissions,)
    ```

    Use instead: `permission_classes = (DjangoModelPermissions,)`.

    Also flags DRF's `permission_classes` / `authentication_classes` set on a plain Django class-based view
    (`TemplateView`, `ListView`): only DRF's `APIView` reads them, so the listed checks never run, unless a project
    base of the view decides access itself (and may read them). The same for a `test_func()` defined, or a
    `permission_required` set, on a Django view that does not inherit `UserPassesTestMixin` /
    `PermissionRequiredMixin`, the only code that reads them, when no class of the view calls them itself (its own
    `dispatch()` or handler) and every base is Django's or the project's (a package base is unknown).
    """

    code = "WG310"
    name = "misspelled-access-setting"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 284
    summary = "View attribute that decides access is misspelt, so the framework ignores it"
    hipaa = "§164.312(a)(1) access control"

    VALID = (
        # A project base reads the list in dispatch(), the way DRF would.
        Valid("""\
            from django.views.generic import TemplateView
            from clinic.permissions import IsCareTeam

            class ChecksPermissionClasses:
                def dispatch(self, request, *args, **kwargs):
                    for p in self.permission_classes:
                        if not p().has_permission(request, self):
                            raise PermissionError()
                    return super().dispatch(request, *args, **kwargs)

            class InviteParticipants(ChecksPermissionClasses, TemplateView):
                permission_classes = [IsCareTeam]
                template_name = "invite.html"
            """, path="clinic/views.py"),
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import DjangoModelPermissions

            class CaseViewSet(viewsets.ModelViewSet):
                permission_classes = (DjangoModelPermissions,)
            """, path="cases/views.py"),
        # The mixin comes from a project base; a view calling its own test in dispatch() needs none.
        Valid("""\
            from django.contrib.auth.mixins import UserPassesTestMixin
            from django.core.exceptions import PermissionDenied
            from django.views.generic import TemplateView

            class StaffOnly(UserPassesTestMixin):
                pass

            class ClockFaceList(StaffOnly, TemplateView):
                def test_func(self):
                    return self.request.user.is_staff

            class ChartView(TemplateView):
                def test_func(self):
                    return self.request.user.is_staff

                def dispatch(self, request, *args, **kwargs):
                    if not self.test_func():
                        raise PermissionDenied
                    return super().dispatch(request, *args, **kwargs)
            """, path="dashboard/views.py"),
        # A package's base may be the one that runs it: unknown, not flagged.
        Valid("""\
            from staffkit.views import StaffTemplateView

            class ClockFaceList(StaffTemplateView):
                def test_func(self):
                    return self.request.user.is_staff
            """, path="dashboard/views.py"),
        # A project's own attribute beside the real one.
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated

            class CaseViewSet(viewsets.ModelViewSet):
                permission_classes = (IsAuthenticated,)
                extra_permission_classes = ()
            """, path="cases/views.py"),
    )
    INVALID = (
        # DRF's attribute on a Django TemplateView: nothing reads it, anyone can post.
        Invalid("""\
            from django.views.generic import TemplateView
            from clinic.permissions import IsCareTeam

            class InviteParticipants(TemplateView):
                permission_classes = [IsCareTeam]
                template_name = "invite.html"
            """, line=5, path="clinic/views.py"),
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import DjangoModelPermissions

            class CaseViewSet(viewsets.ModelViewSet):
                permissions_classes = (DjangoModelPermissions,)
            """, line=5, path="cases/views.py"),
        # The test is written but the mixin that runs it is missing: every caller sees every participant.
        Invalid("""\
            from django.views.generic import TemplateView
            from participants.models import Participant

            class ClockFaceList(TemplateView):
                template_name = "clock-faces.html"

                def test_func(self):
                    return self.request.user.is_staff

                def get_context_data(self, **kwargs):
                    return {"participants": Participant.objects.all()}
            """, line=4, path="dashboard/views.py"),
        Invalid("""\
            from django.contrib.auth.mixins import PermissionRequiredMixin
            from django.views.generic import DetailView

            class ChartView(PermissionRequiredMixin, DetailView):
                permissions_required = "clinic.view_chart"
            """, line=5, path="clinic/views.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        for view in all_views(self.ctx, node):
            if not isinstance(view.node, ast.ClassDef):
                continue
            names = {t.id: st for st in view.node.body if isinstance(st, ast.Assign)
                     for t in st.targets if isinstance(t, ast.Name)}
            drf_attr = next((n for n in _DRF if n in names), None)
            if not view.drf and not view.unknown and drf_attr and code is not None \
                    and not _reads_drf_attributes(code, f"{self.ctx.imports.module}.{view.node.name}"):
                self.report(names[drf_attr], f"`{drf_attr}` is DRF's, but {view.node.name} is a Django view, not a DRF "
                            "one: Django never reads the attribute, so nothing it lists checks the caller.",
                            fix="Use Django's access mixins (LoginRequiredMixin, PermissionRequiredMixin, "
                            "UserPassesTestMixin) or make the view a DRF APIView.")
            hook = None if view.drf or view.unknown or code is None else \
                _unread_hook(code, view.node, f"{self.ctx.imports.module}.{view.node.name}")
            if hook is not None:
                name, stmt = hook
                what = "`test_func()` decides" if name == "test_func" else "`permission_required` requires"
                self.report(view.node, f"{what} nothing: {view.node.name} does not inherit {_MIXIN_HOOKS[name]}, the "
                            "only code that reads it, so every caller passes.", end_line=stmt.lineno,
                            fix=f"Add {_MIXIN_HOOKS[name]} (with LoginRequiredMixin) to the view's bases.")
            for name, stmt in names.items():
                meant = _meant(name, _DRF if view.drf else _DJANGO)
                if meant and meant not in names:
                    self.report(stmt, f"`{name}` is not an attribute {'DRF' if view.drf else 'Django'} reads: "
                                f"{view.node.name} is governed as if `{meant}` were unset.",
                                fix=f"Rename it to `{meant}`.")


def _reads_drf_attributes(code: ProjectCode, q: str) -> bool:
    """A project base of the view decides access itself (`dispatch()`, `test_func()`, `get_permissions()`…): it may
    be the one reading `permission_classes`, the way DRF does."""
    return any(info is not None and (info.guard_level or info.get_permissions or {"dispatch", "check_permissions",
                                                                                  "has_permission"} & set(info.methods))
               for info in (code.classes.get(a) for a in [q, *code.ancestors(q)]))


def _unread_hook(code: ProjectCode, node: ast.ClassDef, q: str) -> tuple[str, ast.stmt] | None:
    """The `test_func` / `permission_required` the view defines that nothing it inherits or calls reads: no base of
    that mixin's name, no `dispatch()` of its own or of a project base (it may call the test), and no call of the
    test in the class; None too when a base is neither Django's nor the project's (what it reads is unknown)."""
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = stmt.name
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
        else:
            continue
        mixin = _MIXIN_HOOKS.get(name)
        if mixin is None:
            continue
        ancestors = code.ancestors(q)
        if any(last_part(a) == mixin for a in ancestors):
            return None
        for a in ancestors:
            info = code.lookup(a)
            if info is None and not a.startswith("django."):
                return None  # a package base: it may read the hook
            if info is not None and "dispatch" in info.methods:
                return None
        if any(isinstance(n, ast.Attribute) and n.attr == name and isinstance(n.ctx, ast.Load)
               for n in ast.walk(node)):
            return None  # the class reads it itself
        return name, stmt
    return None


def _meant(name: str, known: tuple[str, ...]) -> str | None:
    """The access attribute `name` misspells, if any (one or two letters off, a plural or a singular)."""
    if name in known:
        return None
    for k in known:
        if SequenceMatcher(None, name, k).ratio() >= 0.9 and abs(len(name) - len(k)) <= 2:
            return k
    return None
