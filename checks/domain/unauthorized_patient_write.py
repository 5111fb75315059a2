from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.views import AUTHN, patient_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# The project authorizes somewhere (a role-less project, where login is the whole access model, is not flagged).
_AUTHZ_ELSEWHERE = ("reports/views.py", "from django.contrib.auth.decorators import permission_required\n\n"
                    "@permission_required('reports.view_report')\ndef monthly(request):\n    return None\n")
_FILES = (("clinic/models.py", "from django.db import models\n\nclass Appointment(models.Model):\n"
           "    reason = models.TextField()\n    clinician = models.ForeignKey('auth.User', on_delete=models.CASCADE)\n"
           "\nclass Drug(models.Model):\n    name = models.CharField(max_length=80)\n"), _AUTHZ_ELSEWHERE)
_PROFILE_FILES = (("clinic/models.py", "from django.db import models\n\nclass PatientProfile(models.Model):\n"
                   "    user = models.OneToOneField('auth.User', on_delete=models.CASCADE)\n"
                   "    date_of_birth = models.DateField(null=True)\n"), _AUTHZ_ELSEWHERE)
_PERMS = ("accounts/permissions.py", "from rest_framework.permissions import BasePermission\n\n"
          "class IsCareTeam(BasePermission):\n    def has_permission(self, request, view):\n"
          "        return request.user.groups.filter(name='care').exists()\n")
_FV = "from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import get_object_or_404\n" \
      "from clinic.models import Appointment\n\n"
_VS = "from rest_framework import viewsets\nfrom rest_framework.permissions import IsAuthenticated\n" \
      "from clinic.models import Appointment\n\n"


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
    and the DRF write mixins, `@action(methods=["post"])`, or handlers that really save.

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

    VALID = [
        Valid(_FV + "from django.contrib.auth.decorators import permission_required\n\n@login_required\n"
              "@permission_required('clinic.change_appointment', raise_exception=True)\ndef cancel(request, pk):\n"
              "    a = get_object_or_404(Appointment, pk=pk)\n    a.save()\n", path="clinic/views.py", files=_FILES),
        Valid(_FV + "@login_required\ndef cancel(request, pk):\n"
              "    a = get_object_or_404(Appointment, pk=pk, clinician=request.user)\n    a.save()\n",
              path="clinic/views.py", files=_FILES),
        Valid(_VS + "from accounts.permissions import IsCareTeam\n\nclass AppointmentViewSet(viewsets.ModelViewSet):\n"
              "    queryset = Appointment.objects.all()\n    permission_classes = [IsAuthenticated, IsCareTeam]\n",
              path="clinic/api.py", files=(*_FILES, _PERMS)),
        Valid(_VS + "class Mine(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n\n"
              "    def get_queryset(self):\n        return Appointment.objects.filter(clinician=self.request.user)\n",
              path="clinic/api.py", files=_FILES),
        Valid(_VS + "class ReadOnly(viewsets.ReadOnlyModelViewSet):\n    queryset = Appointment.objects.all()\n"
              "    permission_classes = [IsAuthenticated]\n", path="clinic/api.py", files=_FILES),
        Valid(_FV + "from django.core.exceptions import PermissionDenied\n\n@login_required\ndef cancel(request, pk):\n"
              "    if not request.user.has_perm('clinic.change_appointment'):\n        raise PermissionDenied\n"
              "    get_object_or_404(Appointment, pk=pk).delete()\n", path="clinic/views.py", files=_FILES),
        # A role test on the requesting user authorizes (a project's own RBAC), however it is spelled.
        Valid(_FV + "from django.shortcuts import redirect\n\n@login_required\ndef manage(request, pk):\n"
              "    if request.user.role != 'doctor':\n        return redirect('home')\n"
              "    a = Appointment.objects.get(pk=pk)\n    a.reason = request.POST['reason']\n    a.save()\n",
              path="clinic/views.py", files=_FILES),
        Valid(_FV + "from django.shortcuts import redirect\n\n@login_required\ndef manage(request, pk):\n"
              "    me = request.user\n    if not me.is_clinician():\n        return redirect('home')\n"
              "    get_object_or_404(Appointment, pk=pk).delete()\n", path="clinic/views.py", files=_FILES),
        # get_permissions() per action or method: every write needs more than a login.
        Valid(_VS + "from rest_framework import permissions\n\nclass Appts(viewsets.ModelViewSet):\n"
              "    queryset = Appointment.objects.all()\n\n    def get_permissions(self):\n"
              "        if self.request.method in permissions.SAFE_METHODS:\n"
              "            return [IsAuthenticated()]\n        return [permissions.IsAdminUser()]\n",
              path="clinic/api.py", files=_FILES),
        Valid(_VS + "from rest_framework.permissions import IsAdminUser\n\nclass Appts(viewsets.ModelViewSet):\n"
              "    queryset = Appointment.objects.all()\n\n    def get_permissions(self):\n"
              "        if self.action not in ('list', 'retrieve'):\n            classes = [IsAdminUser]\n"
              "        else:\n            classes = [IsAuthenticated]\n        return [c() for c in classes]\n",
              path="clinic/api.py", files=_FILES),
        # A get_permissions() whose tests wardgate cannot read is trusted to authorize.
        Valid(_VS + "class Appts(viewsets.ModelViewSet):\n    queryset = Appointment.objects.all()\n\n"
              "    def get_permissions(self):\n        if self.request.user.groups.filter(name='care').exists():\n"
              "            return [IsAuthenticated()]\n        return []\n", path="clinic/api.py", files=_FILES),
        # Sign-up: the patient row created belongs to the account this view just created.
        Valid("from django.contrib.auth.forms import UserCreationForm\nfrom django.shortcuts import redirect, render\n"
              "from clinic.models import PatientProfile\n\ndef register(request):\n"
              "    if request.user.is_authenticated:\n        return redirect('home')\n"
              "    form = UserCreationForm(request.POST or None)\n    if form.is_valid():\n"
              "        user = form.save()\n        PatientProfile.objects.create(user=user)\n"
              "        return redirect('login')\n    return render(request, 'register.html', {'form': form})\n",
              path="clinic/views.py", files=_PROFILE_FILES),
    ]
    INVALID = [
        Invalid(_FV + "@login_required\ndef cancel(request, pk):\n    a = get_object_or_404(Appointment, pk=pk)\n"
                "    a.save()\n", line=6, path="clinic/views.py", files=_FILES),
        Invalid(_VS + "class AppointmentViewSet(viewsets.ModelViewSet):\n    queryset = Appointment.objects.all()\n"
                "    permission_classes = [IsAuthenticated]\n", line=5, path="clinic/api.py", files=_FILES),
        Invalid("from django.contrib.auth import mixins as m\nfrom django.views.generic import UpdateView\n"
                "from clinic.models import Appointment\n\nclass Edit(m.LoginRequiredMixin, UpdateView):\n"
                "    model = Appointment\n    fields = ['reason']\n", line=5, path="clinic/views.py", files=_FILES),
        Invalid(_VS + "from rest_framework.decorators import action\n\nclass Appts(viewsets.ReadOnlyModelViewSet):\n"
                "    queryset = Appointment.objects.all()\n    permission_classes = [IsAuthenticated]\n\n"
                "    @action(detail=True, methods=['post'])\n    def cancel(self, request, pk=None):\n"
                "        self.get_object().save()\n", line=7, path="clinic/api.py", files=_FILES),
        # Reading a role is not testing it; testing the record is not testing the user.
        Invalid(_FV + "@login_required\ndef cancel(request, pk):\n    role = request.user.role\n"
                "    a = get_object_or_404(Appointment, pk=pk)\n    a.reason = role\n    a.save()\n",
                line=6, path="clinic/views.py", files=_FILES),
        Invalid(_FV + "from django.shortcuts import redirect\n\n@login_required\ndef cancel(request, pk):\n"
                "    a = get_object_or_404(Appointment, pk=pk)\n    if a.is_cancelled:\n"
                "        return redirect('home')\n    a.delete()\n", line=8, path="clinic/views.py", files=_FILES),
        # get_permissions() read per action: updates are left to any signed-in user.
        Invalid(_VS + "from accounts.permissions import IsCareTeam\n\nclass Appts(viewsets.ModelViewSet):\n"
                "    queryset = Appointment.objects.all()\n\n    def get_permissions(self):\n"
                "        if self.action in ('list', 'retrieve'):\n            return [IsCareTeam()]\n"
                "        if self.action in ('update', 'partial_update'):\n            return [IsAuthenticated()]\n"
                "        return [IsCareTeam()]\n", line=7, path="clinic/api.py", files=(*_FILES, _PERMS)),
        # A row created for an account picked from the request body is not the user's own.
        Invalid("from django.contrib.auth.decorators import login_required\nfrom django.contrib.auth.models import User\n"
                "from clinic.models import PatientProfile\n\n@login_required\ndef enrol(request):\n"
                "    other = User.objects.get(pk=request.POST['account'])\n"
                "    PatientProfile.objects.create(user=other)\n", line=6, path="clinic/views.py",
                files=_PROFILE_FILES),
    ]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code = self.ctx.project.fact("django_code")
        if code is not None and not code.authorization:
            return  # a role-less project: login is its whole access model (`wardgate facts` says so), not one view's gap
        for view in patient_views(self.ctx, node):
            if view.unknown or view.unreachable:  # unread access control; dead code no request reaches
                continue
            if view.writes and view.reads >= AUTHN and view.writes_level == AUTHN:
                what = ", ".join(last_part(m) for m in view.models)
                fix = ("Add an authorizing permission class (DjangoModelPermissions, or a BasePermission that "
                       "checks the care team), or restrict get_queryset() to the requesting user's patients."
                       if view.drf else
                       "Add @permission_required('app.change_model', raise_exception=True) (or "
                       "PermissionRequiredMixin), or restrict the lookup to the requesting user's patients.")
                how = f" ({'; '.join(view.evidence)})" if view.evidence else ""
                self.report(view.node, f"View {view.node.name} changes patient data ({what}) with authentication "
                            f"only{how}: any signed-in user can change any patient's records.", fix=fix)
