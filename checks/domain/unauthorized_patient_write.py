from __future__ import annotations

import ast
from dataclasses import replace

from ..base import Check, Invalid, Valid
from ..facts.views import AUTHN, AUTHZ, WRITE_HANDLERS, View, all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# The project authorizes somewhere (a role-less project, where login is the whole access model, is not flagged).
_AUTHZ_ELSEWHERE = ("reports/views.py", """\
    from django.contrib.auth.decorators import permission_required

    @permission_required('reports.view_report')
    def monthly(request):
        return None
    """)
_FILES = (("clinic/models.py", """\
    from django.db import models

    class Appointment(models.Model):
        reason = models.TextField()
        clinician = models.ForeignKey('auth.User', on_delete=models.CASCADE)

    class Drug(models.Model):
        name = models.CharField(max_length=80)
    """), _AUTHZ_ELSEWHERE)
_PROFILE_FILES = (("clinic/models.py", """\
    from django.db import models

    class PatientProfile(models.Model):
        user = models.OneToOneField('auth.User', on_delete=models.CASCADE)
        date_of_birth = models.DateField(null=True)
    """), _AUTHZ_ELSEWHERE)
_PERMS = ("accounts/permissions.py", """\
    from rest_framework.permissions import BasePermission

    class IsCareTeam(BasePermission):
        def has_permission(self, request, view):
            return request.user.groups.filter(name='care').exists()
    """)


# A list of the user's own appointments that also books one, behind a check of the view's own.
_BOOKING_LIST = """\
            from django.contrib.auth.decorators import login_required
            from django.core.exceptions import PermissionDenied
            from clinic.models import Appointment

            @login_required
            def appointments(request):
                if not request.user.has_perm('clinic.change_appointment') and not request.user.has_perm('clinic.view_appointment'):
                    raise PermissionDenied
                if request.method == "POST":
                    Appointment.objects.create(reason=request.POST["reason"], clinician=request.user)
                return Appointment.objects.filter(clinician=request.user)
"""


class UnauthorizedPatientWrite(Check):
    """## What it does
    Flags a view that CHANGES patient data and is guarded by authentication only —
    `login_required`, `LoginRequiredMixin`, DRF `IsAuthenticated`, a login-required middleware —
    with no authorization: no `permission_required`/`user_passes_test`, `PermissionRequiredMixin`/
    `UserPassesTestMixin`, `DjangoModelPermissions`/`DjangoObjectPermissions` or a custom
    `BasePermission` subclass (found anywhere in the project), no used `has_perm()` check, no role
    test on the requesting user (`if request.user.role != "doctor"`, `request.user.is_clinician()`),
    no project decorator that wraps one of these, and a queryset that is not restricted to the
    requesting user (nor rows created for the user's own, or just signed-up, account). Write-capable
    means POST/PUT/PATCH/DELETE handlers, `@require_POST`, Create/Update/Delete/FormView, ModelViewSet
    and the DRF write mixins, `@action(methods=["post"])`, or handlers that really save. A permission to
    view is no authorization to change: `permission_required = "billing.view_invoice"` (the mixin or the
    decorator), or a check in the view's own body that lets a holder of it through (`if not has_perm("x.change_y")
    and not has_perm("x.view_y"): raise PermissionDenied`), as a writing view's only check is flagged, like WG305's
    `permissions=["view"]` admin actions, even where the rows it lists are the user's own.

    Views no request reaches (an app missing from INSTALLED_APPS, a viewset registered only on a router
    no URLconf includes) and views whose guard wardgate cannot read (`unknown` in `wardgate facts`) are not
    flagged. Nor is a role-less project, one that authorizes nowhere beyond login: there "any signed-in user"
    is the design, and `wardgate facts` says so once instead of once per view.

    ## Why is this bad?
    Every signed-in account — a receptionist, a student, a compromised kiosk login — can change any
    patient's record: cancel another clinician's appointments, rewrite referrals, discontinue
    prescriptions. HIPAA §164.308(a)(4) (information access management) asks for least privilege.

    ## Example
    ```python
    @login_required
    @require_POST
    def cancel_appointment(request, pk):
        appointment = get_object_or_404(Appointment, pk=pk)
        appointment.status = "cancelled"
        appointment.save()
    ```

    Use instead:
    ```python
    @login_required
    @permission_required("clinic.change_appointment", raise_exception=True)
    @require_POST
    def cancel_appointment(request, pk):
        appointment = get_object_or_404(Appointment, pk=pk, clinician__user=request.user)
        ...
    ```
    """

    code = "WG302"
    name = "unauthorized-patient-write"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 862
    summary = "View changes patient data with authentication but no authorization"

    VALID = (
        # A project decorator made by user_passes_test at module level checks a role.
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.decorators import nurse_required
            from clinic.models import Appointment

            @login_required
            @nurse_required
            def cancel(request, pk):
                a = get_object_or_404(Appointment, pk=pk)
                a.save()
            """, path="clinic/views.py", files=(*_FILES, ("clinic/decorators.py", """\
                from django.contrib.auth.decorators import user_passes_test

                def in_groups(*names):
                    return lambda user: user.groups.filter(name__in=names).exists()

                nurse_required = user_passes_test(in_groups("nurse"), login_url="/accounts/login/")
                """))),
        # A project mixin's get_queryset() keeps the rows to the user's own.
        Valid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import UpdateView
            from clinic.mixins import OwnAppointmentsMixin
            from clinic.models import Appointment

            class AppointmentEdit(LoginRequiredMixin, OwnAppointmentsMixin, UpdateView):
                model = Appointment
                fields = ["reason"]
            """, path="clinic/views.py", files=(*_FILES, ("clinic/mixins.py", """\
                class OwnAppointmentsMixin:
                    def get_queryset(self):
                        return super().get_queryset().filter(**{"clinician": self.request.user})
                """))),
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            from django.contrib.auth.decorators import permission_required

            @login_required
            @permission_required('clinic.change_appointment', raise_exception=True)
            def cancel(request, pk):
                a = get_object_or_404(Appointment, pk=pk)
                a.save()
            """, path="clinic/views.py", files=_FILES),
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            @login_required
            def cancel(request, pk):
                a = get_object_or_404(Appointment, pk=pk, clinician=request.user)
                a.save()
            """, path="clinic/views.py", files=_FILES),
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            from accounts.permissions import IsCareTeam

            class AppointmentViewSet(viewsets.ModelViewSet):
                queryset = Appointment.objects.all()
                permission_classes = [IsAuthenticated, IsCareTeam]
            """, path="clinic/api.py", files=(*_FILES, _PERMS)),
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            class Mine(viewsets.ModelViewSet):
                permission_classes = [IsAuthenticated]

                def get_queryset(self):
                    return Appointment.objects.filter(clinician=self.request.user)
            """, path="clinic/api.py", files=_FILES),
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            class ReadOnly(viewsets.ReadOnlyModelViewSet):
                queryset = Appointment.objects.all()
                permission_classes = [IsAuthenticated]
            """, path="clinic/api.py", files=_FILES),
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            from django.core.exceptions import PermissionDenied

            @login_required
            def cancel(request, pk):
                if not request.user.has_perm('clinic.change_appointment'):
                    raise PermissionDenied
                get_object_or_404(Appointment, pk=pk).delete()
            """, path="clinic/views.py", files=_FILES),
        # A role test on the requesting user authorizes (a project's own RBAC), however it is spelled.
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            from django.shortcuts import redirect

            @login_required
            def manage(request, pk):
                if request.user.role != 'doctor':
                    return redirect('home')
                a = Appointment.objects.get(pk=pk)
                a.reason = request.POST['reason']
                a.save()
            """, path="clinic/views.py", files=_FILES),
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            from django.shortcuts import redirect

            @login_required
            def manage(request, pk):
                me = request.user
                if not me.is_clinician():
                    return redirect('home')
                get_object_or_404(Appointment, pk=pk).delete()
            """, path="clinic/views.py", files=_FILES),
        # get_permissions() per action or method: every write needs more than a login.
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            from rest_framework import permissions

            class Appts(viewsets.ModelViewSet):
                queryset = Appointment.objects.all()

                def get_permissions(self):
                    if self.request.method in permissions.SAFE_METHODS:
                        return [IsAuthenticated()]
                    return [permissions.IsAdminUser()]
            """, path="clinic/api.py", files=_FILES),
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            from rest_framework.permissions import IsAdminUser

            class Appts(viewsets.ModelViewSet):
                queryset = Appointment.objects.all()

                def get_permissions(self):
                    if self.action not in ('list', 'retrieve'):
                        classes = [IsAdminUser]
                    else:
                        classes = [IsAuthenticated]
                    return [c() for c in classes]
            """, path="clinic/api.py", files=_FILES),
        # A get_permissions() whose tests wardgate cannot read is trusted to authorize.
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            class Appts(viewsets.ModelViewSet):
                queryset = Appointment.objects.all()

                def get_permissions(self):
                    if self.request.user.groups.filter(name='care').exists():
                        return [IsAuthenticated()]
                    return []
            """, path="clinic/api.py", files=_FILES),
        # Sign-up: the patient row created belongs to the account this view just created.
        Valid("""\
            from django.contrib.auth.forms import UserCreationForm
            from django.shortcuts import redirect, render
            from clinic.models import PatientProfile

            def register(request):
                if request.user.is_authenticated:
                    return redirect('home')
                form = UserCreationForm(request.POST or None)
                if form.is_valid():
                    user = form.save()
                    PatientProfile.objects.create(user=user)
                    return redirect('login')
                return render(request, 'register.html', {'form': form})
            """, path="clinic/views.py", files=_PROFILE_FILES),
        # A create view that makes the new row the caller's own: a user adds their own records, no one else's.
        Valid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView
            from clinic.models import Appointment

            class Book(LoginRequiredMixin, CreateView):
                model = Appointment
                fields = ['reason']

                def form_valid(self, form):
                    form.instance.user = self.request.user
                    return super().form_valid(form)
            """, path="clinic/views.py", files=_FILES),
        # The same check asks for the permission to change.
        Valid(_BOOKING_LIST.replace(" and not request.user.has_perm('clinic.view_appointment')", ""),
              path="clinic/views.py", files=_FILES),
    )
    INVALID = (
        # The view's own check lets a holder of the permission to view through to the booking form; the list it
        # shows is the user's own appointments.
        Invalid(_BOOKING_LIST, line=6, path="clinic/views.py", files=_FILES),
        Invalid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            @login_required
            def cancel(request, pk):
                a = get_object_or_404(Appointment, pk=pk)
                a.save()
            """, line=6, path="clinic/views.py", files=_FILES),
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            class AppointmentViewSet(viewsets.ModelViewSet):
                queryset = Appointment.objects.all()
                permission_classes = [IsAuthenticated]
            """, line=5, path="clinic/api.py", files=_FILES),
        Invalid("""\
            from django.contrib.auth import mixins as m
            from django.views.generic import UpdateView
            from clinic.models import Appointment

            class Edit(m.LoginRequiredMixin, UpdateView):
                model = Appointment
                fields = ['reason']
            """, line=5, path="clinic/views.py", files=_FILES),
        # A create view whose form names the owner: the caller can file a record for anyone.
        Invalid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView
            from clinic.models import Appointment

            class Book(LoginRequiredMixin, CreateView):
                model = Appointment
                fields = ['reason', 'user']
            """, line=5, path="clinic/views.py", files=_FILES),
        # ... or attaches the row to the patient named in the URL: the requesting user is only its author.
        Invalid("""\
            from django.contrib.auth.mixins import LoginRequiredMixin
            from django.views.generic import CreateView
            from clinic.models import Appointment

            class Book(LoginRequiredMixin, CreateView):
                model = Appointment
                fields = ['reason']

                def form_valid(self, form):
                    form.instance.patient_id = self.kwargs['patient_id']
                    form.instance.user = self.request.user
                    return super().form_valid(form)
            """, line=5, path="clinic/views.py", files=_FILES),
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            from rest_framework.decorators import action

            class Appts(viewsets.ReadOnlyModelViewSet):
                queryset = Appointment.objects.all()
                permission_classes = [IsAuthenticated]

                @action(detail=True, methods=['post'])
                def cancel(self, request, pk=None):
                    self.get_object().save()
            """, line=7, path="clinic/api.py", files=_FILES),
        # Reading a role is not testing it; testing the record is not testing the user.
        Invalid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            @login_required
            def cancel(request, pk):
                role = request.user.role
                a = get_object_or_404(Appointment, pk=pk)
                a.reason = role
                a.save()
            """, line=6, path="clinic/views.py", files=_FILES),
        Invalid("""\
            from django.contrib.auth.decorators import login_required
            from django.shortcuts import get_object_or_404
            from clinic.models import Appointment

            from django.shortcuts import redirect

            @login_required
            def cancel(request, pk):
                a = get_object_or_404(Appointment, pk=pk)
                if a.is_cancelled:
                    return redirect('home')
                a.delete()
            """, line=8, path="clinic/views.py", files=_FILES),
        # get_permissions() read per action: updates are left to any signed-in user.
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from clinic.models import Appointment

            from accounts.permissions import IsCareTeam

            class Appts(viewsets.ModelViewSet):
                queryset = Appointment.objects.all()

                def get_permissions(self):
                    if self.action in ('list', 'retrieve'):
                        return [IsCareTeam()]
                    if self.action in ('update', 'partial_update'):
                        return [IsAuthenticated()]
                    return [IsCareTeam()]
            """, line=7, path="clinic/api.py", files=(*_FILES, _PERMS)),
        # A row created for an account picked from the request body is not the user's own.
        Invalid("""\
            from django.contrib.auth.decorators import login_required
            from django.contrib.auth.models import User
            from clinic.models import PatientProfile

            @login_required
            def enrol(request):
                other = User.objects.get(pk=request.POST['account'])
                PatientProfile.objects.create(user=other)
            """, line=6, path="clinic/views.py", files=_PROFILE_FILES),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code = self.ctx.project.fact("django_code")
        if code is not None and not code.authorization:
            return  # a role-less project: login is its whole access model (`wardgate facts` says so), not one view's gap
        for view in all_views(self.ctx, node):
            # Rows kept to the user's own do not excuse a write a permission to view lets through: the role is wrong,
            # whatever the rows.
            if not view.models or view.restricted and not _viewers_write(view):
                continue
            # A view whose only unknown is an unread login middleware still checks no role: signed-in users can
            # change any record whatever that middleware does.
            unread_login = view.unknown_login_only and view.writes_level < AUTHZ
            if view.unreachable or (view.unknown and not unread_login):  # unread access control; dead code
                continue
            login_only = view.reads >= AUTHN and view.writes_level == AUTHN
            if view.writes and (login_only or unread_login):
                if unread_login:
                    gate = view.unknown.removesuffix(" could not be read")
                    note = f"whether it needs a login depends on {gate}, which wardgate could not read"
                    view = replace(view, evidence=[*view.evidence, note])
                what = ", ".join(last_part(m) for m in view.models)
                fix = ("Add an authorizing permission class (DjangoModelPermissions, or a BasePermission that "
                       "checks the care team), or restrict get_queryset() to the requesting user's patients."
                       if view.drf else
                       "Add @permission_required('app.change_model', raise_exception=True) (or "
                       "PermissionRequiredMixin), or restrict the lookup to the requesting user's patients.")
                how = f" ({'; '.join(view.evidence)})" if view.evidence else ""
                access = "authentication only" if login_only else "no role or permission check"
                impact = "any signed-in user can change any patient's records"
                if _viewers_write(view):
                    access, impact = "only a permission to view", "whoever may see the records can change them"
                handler = _writing_handler(view.node)
                where = f" in {handler.name}()" if handler is not None else ""
                self.report(view.node, f"View {view.node.name} changes patient data ({what}){where} with {access}{how}: "
                            f"{impact}.", fix=fix,
                            end_line=handler.lineno if handler is not None else None)


def _viewers_write(view: View) -> bool:
    return any(e.endswith("the permission to view") for e in view.evidence)


def _writing_handler(node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """A class view's own handler that changes rows (`destroy`, `post`, `perform_update`): the finding runs from the
    class line down to it, so it points at the code that writes as well as at the class that grants access."""
    if not isinstance(node, ast.ClassDef):
        return None
    return next((f for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name in WRITE_HANDLERS),
                None)
