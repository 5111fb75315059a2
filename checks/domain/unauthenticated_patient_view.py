from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.views import AUTHN, NONE, View, patient_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=9)

    class Drug(models.Model):
        name = models.CharField(max_length=80)
    """)
_SERIALIZERS = ("clinic/serializers.py", """\
    from rest_framework import serializers
    from clinic.models import Patient

    class PatientSerializer(serializers.ModelSerializer):
        class Meta:
            model = Patient
            fields = ['id', 'mrn']
    """)
_FILES = (_MODELS, _SERIALIZERS)
# A project login middleware that lets the paths of a settings list through.
_GATE = (("core/middleware.py", """\
    import re
    from django.conf import settings
    from django.contrib.auth.views import redirect_to_login

    class LoginRequiredMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response
            self.exempt = [re.compile(p) for p in settings.LOGIN_EXEMPT_URLS]

        def __call__(self, request):
            if not request.user.is_authenticated:
                if not any(p.match(request.path_info.lstrip("/")) for p in self.exempt):
                    return redirect_to_login(request.get_full_path())
            return self.get_response(request)
    """), ("proj/settings.py", """\
    MIDDLEWARE = ["django.contrib.auth.middleware.AuthenticationMiddleware", "core.middleware.LoginRequiredMiddleware"]
    LOGIN_EXEMPT_URLS = [r"^kiosk/", r"^healthz$"]
    """), ("proj/urls.py", """\
    from django.urls import path
    from clinic import views

    urlpatterns = [path("patients/<int:pk>/", views.patient), path("kiosk/<int:pk>/", views.kiosk)]
    """))
_GATED_VIEWS = """\
    from django.http import JsonResponse
    from clinic.models import Patient

    def patient(request, pk):
        return JsonResponse({"mrn": Patient.objects.get(pk=pk).mrn})

    def kiosk(request, pk):
        return JsonResponse({"mrn": Patient.objects.get(pk=pk).mrn})
    """
_SETTINGS = ("proj/settings/base.py", ("REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': "
             "['rest_framework.permissions.IsAuthenticated', 'rest_framework.permissions.DjangoModelPermissions']}\n"))
_AGG_FILES = (("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=9)

    class Drug(models.Model):
        name = models.CharField(max_length=80)

    class Encounter(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
        status = models.CharField(max_length=12)
        ward = models.CharField(max_length=20)
    """), _SERIALIZERS)


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
    Where anyone can create an account (django-allauth or django-registration routed with sign-up open, as
    `wardgate facts` shows under `open_sign_up`), a view that checks nothing beyond the login is flagged too, in
    projects that check roles or permissions elsewhere (in one that checks none, WG304 reports the sign-up once).

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

    VALID = (
        Valid("""\
            from django.http import JsonResponse

            def health(request):
                return JsonResponse({'ok': True})
            """, path="clinic/views.py", files=_FILES),
        Valid("""\
            from rest_framework import viewsets, permissions
            from clinic.models import Patient, Drug
            from clinic.serializers import PatientSerializer

            class DrugViewSet(viewsets.ReadOnlyModelViewSet):
                queryset = Drug.objects.all()
                permission_classes = [permissions.AllowAny]
            """, path="clinic/api.py", files=_FILES),
        Valid("""\
            from rest_framework import viewsets, permissions
            from clinic.models import Patient, Drug
            from clinic.serializers import PatientSerializer

            class PatientViewSet(viewsets.ReadOnlyModelViewSet):
                serializer_class = PatientSerializer
                queryset = Patient.objects.all()
            """, path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        Valid("""\
            from django.contrib.auth import decorators as d
            from django.shortcuts import get_object_or_404
            from clinic.models import Patient

            @d.login_required
            def detail(request, pk):
                return get_object_or_404(Patient, pk=pk)
            """, path="clinic/views.py", files=_FILES),
        Valid("""\
            from clinic.models import Patient

            def detail(request, pk):
                return Patient.objects.get(pk=pk)
            """, path="clinic/views.py",
            files=(*_FILES, ("proj/settings.py", "MIDDLEWARE = ['django.contrib.auth.middleware.LoginRequiredMiddleware']\n"))),
        # The patient login endpoint must be public: its model is a one-time password, not a clinical record.
        Valid("""\
            from django.db import models
            from rest_framework import mixins, viewsets

            class PatientMobileOTP(models.Model):
                phone_number = models.CharField(max_length=14)
                otp = models.CharField(max_length=10)

            class PatientMobileOTPViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
                authentication_classes = ()
                permission_classes = ()
                queryset = PatientMobileOTP.objects.all()
            """, path="clinic/otp.py", files=_FILES),
        # Aggregates only: counts, sums and GROUP BY counts over non-PHI keys reveal no patient rows.
        Valid("""\
            from django.db.models import Count
            from django.db import models as m
            from django.http import JsonResponse
            from clinic.models import Encounter, Patient

            def workload(request):
                by_status = Encounter.objects.values('status').annotate(n=Count('id')).order_by('status')
                return JsonResponse({r['status']: r['n'] for r in by_status})
            """, path="clinic/views.py", files=_AGG_FILES),
        Valid("""\
            from django.db.models import Count
            from django.db import models as m
            from django.http import JsonResponse
            from clinic.models import Encounter, Patient

            def census(request):
                admitted = Patient.objects.filter(encounter__status='admitted')
                return JsonResponse({'patients': admitted.count(), 'wards': len(Encounter.objects.all()),
                                     'beds': Encounter.objects.aggregate(n=m.Count('ward', distinct=True))})
            """, path="clinic/views.py", files=_AGG_FILES),        # Counts down a chain of names: the dashboard widget shows two numbers.
        Valid("""\
            from django.http import JsonResponse
            from clinic.models import Patient

            def patient_count(request, since):
                patients = Patient.objects
                recent = patients.filter(created_at__gte=since)
                return JsonResponse({'all': patients.count(), 'recent': recent.count()})
            """, path="clinic/views.py", files=_AGG_FILES),
    )
    INVALID = (
        # Refusing numbers outside a configured list decides which record may be read, not who reads it.
        Invalid("""\
            from django.conf import settings
            from django.shortcuts import get_object_or_404
            from rest_framework import status, viewsets
            from rest_framework.permissions import AllowAny
            from rest_framework.response import Response
            from clinic.models import Patient

            class PatientLookup(viewsets.ViewSet):
                permission_classes = [AllowAny]

                def retrieve(self, request, pk):
                    if pk not in settings.LOOKUP_NUMBERS:
                        return Response({}, status=status.HTTP_403_FORBIDDEN)
                    return Response({"nhs": get_object_or_404(Patient, pk=pk).nhs_number})
            """, line=8, path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        # The login middleware turns anonymous requests away, except on the kiosk's exempt path.
        Invalid(_GATED_VIEWS, line=7, path="clinic/views.py", files=(*_FILES, *_GATE)),
        Invalid("""\
            from rest_framework import viewsets, permissions
            from clinic.models import Patient, Drug
            from clinic.serializers import PatientSerializer

            class PatientViewSet(viewsets.ReadOnlyModelViewSet):
                serializer_class = PatientSerializer
                queryset = Patient.objects.all()
                permission_classes = []
            """, line=5, path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        Invalid("""\
            from rest_framework.decorators import api_view, permission_classes as pc
            from rest_framework.permissions import AllowAny
            from clinic.serializers import PatientSerializer

            @api_view(['POST'])
            @pc([AllowAny])
            def ingest(request):
                s = PatientSerializer(data=request.data)
                s.is_valid(raise_exception=True)
                s.save()
            """, line=7, path="clinic/api.py", files=(*_FILES, _SETTINGS)),
        Invalid("""\
            from django.views.decorators.http import require_GET
            from clinic.models import Patient

            @require_GET
            def export(request):
                return list(Patient.objects.values('mrn'))
            """, line=5, path="clinic/views.py", files=_FILES),
        # No DEFAULT_PERMISSION_CLASSES in settings: DRF falls back to AllowAny.
        Invalid("""\
            from rest_framework import viewsets, permissions
            from clinic.models import Patient, Drug
            from clinic.serializers import PatientSerializer

            class PatientList(viewsets.ReadOnlyModelViewSet):
                serializer_class = PatientSerializer
                queryset = Patient.objects.all()
            """, line=5, path="clinic/api.py", files=_FILES),
        Invalid("""\
            from django.views import generic
            from clinic.models import Patient

            class PatientDetail(generic.DetailView):
                model = Patient
            """, line=4, path="clinic/views.py", files=_FILES),
        # Traps: grouped by a PHI field, grouped per patient, rows returned next to a count,
        # and an annotation without `.values()` (full rows with an extra column).
        Invalid("""\
            from django.db.models import Count
            from django.db import models as m
            from django.http import JsonResponse
            from clinic.models import Encounter, Patient

            def by_mrn(request):
                rows = Patient.objects.values('mrn').annotate(n=Count('encounter'))
                return JsonResponse(list(rows), safe=False)
            """, line=6, path="clinic/views.py", files=_AGG_FILES),
        Invalid("""\
            from django.db.models import Count
            from django.db import models as m
            from django.http import JsonResponse
            from clinic.models import Encounter, Patient

            def per_patient(request):
                rows = Encounter.objects.values('patient').annotate(n=Count('id'))
                return JsonResponse(list(rows), safe=False)
            """, line=6, path="clinic/views.py", files=_AGG_FILES),
        Invalid("""\
            from django.db.models import Count
            from django.db import models as m
            from django.http import JsonResponse
            from clinic.models import Encounter, Patient

            def ward_list(request, ward):
                qs = Patient.objects.filter(encounter__ward=ward)
                return JsonResponse({'n': qs.count(), 'mrns': [p.mrn for p in qs]})
            """, line=6, path="clinic/views.py", files=_AGG_FILES),
        Invalid("""\
            from django.db.models import Count
            from django.db import models as m
            from django.http import JsonResponse
            from clinic.models import Encounter, Patient

            def busy(request):
                rows = Patient.objects.annotate(n=Count('encounter')).filter(n__gt=3)
                return JsonResponse(list(rows.values('mrn', 'n')), safe=False)
            """, line=6, path="clinic/views.py", files=_AGG_FILES),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        # Where anyone can create an account, a login is no barrier; in a project that checks roles nowhere, that
        # is one finding where sign-up is opened (WG304), here one per view that checks nothing beyond the login.
        sign_up = code.open_sign_up() if code is not None and code.authorization else None
        for view in patient_views(self.ctx, node):
            if view.unknown or view.unreachable:  # unread access control; dead code no request reaches
                continue
            if view.reads == NONE or (view.writes and view.writes_level == NONE):
                self._flag(view)
            elif sign_up is not None and sign_up.open is True and (view.reads == AUTHN or (
                    view.writes and view.writes_level == AUTHN)):
                self._flag(view, AUTHN, f"anyone can sign up: {sign_up.why}")

    def _flag(self, view: View, level: int = NONE, sign_up: str = "") -> None:
        what = ", ".join(last_part(m) for m in view.models)
        action = "read and change" if view.writes and view.writes_level == level else "read"
        fix = ("Set permission_classes to an authenticating and authorizing policy, e.g. "
               "[IsAuthenticated, DjangoModelPermissions] (or rely on a safe DEFAULT_PERMISSION_CLASSES)."
               if view.drf else
               "Require login and a permission: @login_required + @permission_required('app.view_model'), or "
               "LoginRequiredMixin + PermissionRequiredMixin on class-based views.")
        code = self.ctx.project.fact("django_code")
        route = code.route(f"{self.ctx.imports.module}.{view.node.name}") if code is not None else None
        where = f" at {route}" if route else ""
        how = f" ({'; '.join(view.evidence)})" if view.evidence else ""
        if sign_up:
            self.report(view.node, f"View {view.node.name}{where} lets any signed-in user {action} patient data "
                        f"({what}){how}, and {sign_up}: anyone can create an account and then {action} them.",
                        fix="Close self-registration, or require a role or permission on this view (and restrict "
                        "its rows to the user's own patients).")
            return
        self.report(view.node, f"View {view.node.name}{where} lets anyone {action} patient data ({what}) without "
                    f"authentication{how}.", fix=fix)
