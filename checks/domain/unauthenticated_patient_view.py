from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.views import NONE, View, patient_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_FILES = (("clinic/models.py", "from django.db import models\n\nclass Patient(models.Model):\n"
           "    mrn = models.CharField(max_length=9)\n\nclass Drug(models.Model):\n"
           "    name = models.CharField(max_length=80)\n"),
          ("clinic/serializers.py", "from rest_framework import serializers\nfrom clinic.models import Patient\n\n"
           "class PatientSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Patient\n"
           "        fields = ['id', 'mrn']\n"))
_SETTINGS = ("proj/settings/base.py", "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': "
             "['rest_framework.permissions.IsAuthenticated', 'rest_framework.permissions.DjangoModelPermissions']}\n")
_AGG_FILES = (("clinic/models.py", _FILES[0][1] + "\nclass Encounter(models.Model):\n"
               "    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n"
               "    status = models.CharField(max_length=12)\n    ward = models.CharField(max_length=20)\n"),
              _FILES[1])
_AGG = "from django.db.models import Count\nfrom django.db import models as m\nfrom django.http import JsonResponse\n" \
       "from clinic.models import Encounter, Patient\n\n"
_VS = "from rest_framework import viewsets, permissions\nfrom clinic.models import Patient, Drug\n" \
      "from clinic.serializers import PatientSerializer\n\n"


class UnauthenticatedPatientView(Check):
    """## What it does
    Flags a view that reaches patient data with no authentication at all: a function view (first
    parameter `request`, `@api_view`, or routed from a URLconf) or a class-based view / DRF
    APIView / ViewSet with no `login_required`, `LoginRequiredMixin`, login-required middleware or
    DRF permission other than `AllowAny` — including `permission_classes = [AllowAny]`,
    `permission_classes = []`, `@permission_classes([AllowAny])`, and DRF views that rely on DRF's
    own default (AllowAny) when settings set no `DEFAULT_PERMISSION_CLASSES`. Patient data means a
    patient-data model in `model`/`queryset`, a serializer's or form's `Meta.model`, or a model the
    view's body queries. Views that serve no patient data (health checks, drug catalogue) pass, and
    so does a queryset restricted to `request.user`, and so do views that only return aggregates
    of patient models (`.count()`, `.aggregate(...)`, `len(...)`, GROUP BY counts
    `.values(<non-PHI keys>).annotate(n=Count(...))`): no patient row or field reaches the response.

    ## Why is this bad?
    Anyone on the network — or the internet — can read or change names, dates of birth, MRNs and
    results. It is a reportable breach (HIPAA §164.312(a)(1) access control, §164.312(d) person
    authentication) and, for writes, a patient-safety risk: forged lab results or appointments.

    ## Example
    ```python
    class LabResultViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = LabResult.objects.all()
        permission_classes = [AllowAny]
    ```

    Use instead:
    ```python
    class LabResultViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = LabResult.objects.all()
        permission_classes = [IsAuthenticated, DjangoModelPermissions]
    ```
    For machine-to-machine webhooks use an authentication scheme for the integration (API key,
    mutual TLS, HMAC signature) and a permission class that checks it.
    """

    code = "WG301"
    name = "unauthenticated-patient-view"
    category = Category.PERMISSION
    severity = Severity.CRITICAL
    confidence = Confidence.MEDIUM
    cwe = 306
    summary = "View reaches patient data without any authentication"

    VALID = [
        Valid("from django.http import JsonResponse\n\ndef health(request):\n    return JsonResponse({'ok': True})\n",
              path="clinic/views.py", files=_FILES),
        Valid(_VS + "class DrugViewSet(viewsets.ReadOnlyModelViewSet):\n    queryset = Drug.objects.all()\n"
              "    permission_classes = [permissions.AllowAny]\n", path="clinic/api.py", files=_FILES),
        Valid(_VS + "class PatientViewSet(viewsets.ReadOnlyModelViewSet):\n    serializer_class = PatientSerializer\n"
              "    queryset = Patient.objects.all()\n", path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        Valid("from django.contrib.auth import decorators as d\nfrom django.shortcuts import get_object_or_404\n"
              "from clinic.models import Patient\n\n@d.login_required\ndef detail(request, pk):\n"
              "    return get_object_or_404(Patient, pk=pk)\n", path="clinic/views.py", files=_FILES),
        Valid("from clinic.models import Patient\n\ndef detail(request, pk):\n    return Patient.objects.get(pk=pk)\n",
              path="clinic/views.py",
              files=(*_FILES, ("proj/settings.py", "MIDDLEWARE = ['django.contrib.auth.middleware.LoginRequiredMiddleware']\n"))),
        # The patient login endpoint must be public: its model is a one-time password, not a clinical record.
        Valid("from django.db import models\nfrom rest_framework import mixins, viewsets\n\n"
              "class PatientMobileOTP(models.Model):\n    phone_number = models.CharField(max_length=14)\n"
              "    otp = models.CharField(max_length=10)\n\n"
              "class PatientMobileOTPViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):\n"
              "    authentication_classes = ()\n    permission_classes = ()\n"
              "    queryset = PatientMobileOTP.objects.all()\n", path="clinic/otp.py", files=_FILES),
        # Aggregates only: counts, sums and GROUP BY counts over non-PHI keys reveal no patient rows.
        Valid(_AGG + "def workload(request):\n"
              "    by_status = Encounter.objects.values('status').annotate(n=Count('id')).order_by('status')\n"
              "    return JsonResponse({r['status']: r['n'] for r in by_status})\n", path="clinic/views.py",
              files=_AGG_FILES),
        Valid(_AGG + "def census(request):\n    admitted = Patient.objects.filter(encounter__status='admitted')\n"
              "    return JsonResponse({'patients': admitted.count(), 'wards': len(Encounter.objects.all()),\n"
              "                         'beds': Encounter.objects.aggregate(n=m.Count('ward', distinct=True))})\n",
              path="clinic/views.py", files=_AGG_FILES),
    ]
    INVALID = [
        Invalid(_VS + "class PatientViewSet(viewsets.ReadOnlyModelViewSet):\n    serializer_class = PatientSerializer\n"
                "    queryset = Patient.objects.all()\n    permission_classes = []\n",
                line=5, path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        Invalid("from rest_framework.decorators import api_view, permission_classes as pc\n"
                "from rest_framework.permissions import AllowAny\nfrom clinic.serializers import PatientSerializer\n\n"
                "@api_view(['POST'])\n@pc([AllowAny])\ndef ingest(request):\n"
                "    s = PatientSerializer(data=request.data)\n    s.is_valid(raise_exception=True)\n    s.save()\n",
                line=7, path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        Invalid("from django.views.decorators.http import require_GET\nfrom clinic.models import Patient\n\n"
                "@require_GET\ndef export(request):\n    return list(Patient.objects.values('mrn'))\n",
                line=5, path="clinic/views.py", files=_FILES),
        # No DEFAULT_PERMISSION_CLASSES in settings: DRF falls back to AllowAny.
        Invalid(_VS + "class PatientList(viewsets.ReadOnlyModelViewSet):\n    serializer_class = PatientSerializer\n"
                "    queryset = Patient.objects.all()\n", line=5, path="clinic/api.py", files=_FILES),
        Invalid("from django.views import generic\nfrom clinic.models import Patient\n\n"
                "class PatientDetail(generic.DetailView):\n    model = Patient\n", line=4, path="clinic/views.py",
                files=_FILES),
        # Traps: grouped by a PHI field, grouped per patient, rows returned next to a count,
        # and an annotation without `.values()` (full rows with an extra column).
        Invalid(_AGG + "def by_mrn(request):\n"
                "    rows = Patient.objects.values('mrn').annotate(n=Count('encounter'))\n"
                "    return JsonResponse(list(rows), safe=False)\n", line=6, path="clinic/views.py",
                files=_AGG_FILES),
        Invalid(_AGG + "def per_patient(request):\n"
                "    rows = Encounter.objects.values('patient').annotate(n=Count('id'))\n"
                "    return JsonResponse(list(rows), safe=False)\n", line=6, path="clinic/views.py",
                files=_AGG_FILES),
        Invalid(_AGG + "def ward_list(request, ward):\n    qs = Patient.objects.filter(encounter__ward=ward)\n"
                "    return JsonResponse({'n': qs.count(), 'mrns': [p.mrn for p in qs]})\n", line=6,
                path="clinic/views.py", files=_AGG_FILES),
        Invalid(_AGG + "def busy(request):\n    rows = Patient.objects.annotate(n=Count('encounter')).filter(n__gt=3)\n"
                "    return JsonResponse(list(rows.values('mrn', 'n')), safe=False)\n", line=6,
                path="clinic/views.py", files=_AGG_FILES),
    ]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        for view in patient_views(self.ctx, node):
            if view.unknown or view.unreachable:  # unread access control; dead code no request reaches
                continue
            if view.reads == NONE or (view.writes and view.writes_level == NONE):
                self._flag(view)

    def _flag(self, view: View) -> None:
        what = ", ".join(last_part(m) for m in view.models)
        action = "read and change" if view.writes and view.writes_level == NONE else "read"
        fix = ("Set permission_classes to an authenticating and authorizing policy, e.g. "
               "[IsAuthenticated, DjangoModelPermissions] (or rely on a safe DEFAULT_PERMISSION_CLASSES)."
               if view.drf else
               "Require login and a permission: @login_required + @permission_required('app.view_model'), or "
               "LoginRequiredMixin + PermissionRequiredMixin on class-based views.")
        code = self.ctx.project.fact("django_code")
        route = code.route(f"{self.ctx.imports.module}.{view.node.name}") if code is not None else None
        where = f" at {route}" if route else ""
        how = f" ({'; '.join(view.evidence)})" if view.evidence else ""
        self.report(view.node, f"View {view.node.name}{where} lets anyone {action} patient data ({what}) without "
                    f"authentication{how}.", fix=fix)
