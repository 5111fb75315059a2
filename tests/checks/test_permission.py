"""Tricky permission cases: project-wide facts (settings, custom permissions, decorators), aliases."""
from __future__ import annotations

import ast

from checks.base import Invalid, Valid
from checks.domain.ignored_permission_check import IgnoredPermissionCheck
from checks.domain.unauthenticated_patient_view import UnauthenticatedPatientView
from checks.domain.unauthorized_patient_write import UnauthorizedPatientWrite
from checks.testing import run_example

MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=9)
    """)
SER = ("clinic/serializers.py", """\
    from rest_framework import serializers
    from clinic import models as m

    class PatientSerializer(serializers.ModelSerializer):
        class Meta:
            model = m.Patient
            fields = ['id']
    """)
API = "from rest_framework import generics, viewsets\nfrom clinic.serializers import PatientSerializer\n\n"


# The project authorizes somewhere: in a role-less project WG302 stays quiet (tested in tests/project).
AUTHZ = ("reports/views.py", """\
    from django.contrib.auth.decorators import permission_required

    @permission_required('reports.view_report')
    def monthly(request):
        return None
    """)


def lines(check, code: str, *files: tuple[str, str], path: str = "clinic/api.py") -> list[int]:
    return [f.start_line for f in run_example(check, Valid(code, path=path, files=(MODELS, SER, AUTHZ, *files)))]


def test_split_settings_subscript_default_applies_to_viewsets_without_permission_classes() -> None:
    code = API + "class Patients(viewsets.ModelViewSet):\n    serializer_class = PatientSerializer\n"
    settings = ("proj/settings/base.py", """\
        REST_FRAMEWORK = {}
        REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES'] = ('rest_framework.permissions.DjangoModelPermissions',)
        """)
    assert lines(UnauthenticatedPatientView, code, settings) == []
    assert lines(UnauthorizedPatientWrite, code, settings) == []
    assert lines(UnauthenticatedPatientView, code) == [4]  # no settings: DRF's default is AllowAny


def test_a_repeated_settings_key_keeps_its_last_value_as_python_does() -> None:
    code = API + "class Patients(viewsets.ModelViewSet):\n    serializer_class = PatientSerializer\n"
    settings = ("proj/settings.py", """\
        REST_FRAMEWORK = {
            'DEFAULT_PERMISSION_CLASSES': ('rest_framework.permissions.IsAdminUser',),
            'PAGE_SIZE': 100,
            'DEFAULT_PERMISSION_CLASSES': ('rest_framework.permissions.AllowAny',),
        }
        """)
    assert lines(UnauthenticatedPatientView, code, settings) == [4]
    fixed = (settings[0], settings[1].replace("AllowAny", "IsAdminUser"))
    assert lines(UnauthenticatedPatientView, code, fixed) == []


def test_custom_permission_through_an_intermediate_base_in_another_module() -> None:
    perms = ("core/permissions.py", """\
        from rest_framework import permissions

        class ClinicPermission(permissions.BasePermission):
            pass

        class IsTreatingClinician(ClinicPermission):
            def has_permission(self, request, view):
                return request.user.groups.filter(name="clinicians").exists()
        """)
    code = (API + "from rest_framework.permissions import IsAuthenticated\nfrom core.permissions import "
            "IsTreatingClinician as Treating\n\nclass Patients(generics.ListCreateAPIView):\n"
            "    serializer_class = PatientSerializer\n    permission_classes = [IsAuthenticated & Treating]\n")
    assert lines(UnauthorizedPatientWrite, code, perms) == []
    weak = code.replace("IsAuthenticated & Treating", "IsAuthenticated")
    assert lines(UnauthorizedPatientWrite, weak, perms) == [7]


def test_a_project_permission_class_that_only_checks_the_login_authorizes_nothing() -> None:
    """Each module's `IsPostOrIsAuthenticated` returns `request.user and request.user.is_authenticated`: the view is
    login-only (WG302). One that calls a helper of the project's (a group test) is read as authorizing."""
    perms = ("core/permissions.py", """\
        from rest_framework import permissions

        class IsPostOrIsAuthenticated(permissions.BasePermission):
            def has_permission(self, request, view):
                if request.method in permissions.SAFE_METHODS:
                    return bool(request.user and request.user.is_authenticated)
                return request.user and request.user.is_authenticated

        class IsNurse(permissions.BasePermission):
            def has_permission(self, request, view):
                return request.user.is_authenticated and in_groups(request.user, ["nurses"])
        """)
    code = (API + "from core.permissions import IsPostOrIsAuthenticated, IsNurse\n\n"
            "class Patients(generics.ListCreateAPIView):\n    serializer_class = PatientSerializer\n"
            "    permission_classes = [IsPostOrIsAuthenticated]\n")
    assert lines(UnauthorizedPatientWrite, code, perms, AUTHZ) == [6]
    assert lines(UnauthorizedPatientWrite, code.replace("[IsPostOrIsAuthenticated]", "[IsNurse]"), perms, AUTHZ) == []
    # One that only tests the request method lets anyone read: the public read-only viewset is unauthenticated.
    read_only = ("core/public.py", ("from rest_framework.permissions import BasePermission\n\n"
                 "class IsReadOnly(BasePermission):\n    def has_permission(self, request, view):\n"
                 "        return request.method in ('GET', 'HEAD', 'OPTIONS')\n"))
    public = (API + "from core.public import IsReadOnly\n\nclass PublicPatients(viewsets.ReadOnlyModelViewSet):\n"
              "    serializer_class = PatientSerializer\n    queryset = Patient.objects.all()\n"
              "    permission_classes = [IsReadOnly]\n").replace("import PatientSerializer\n",
                                                            "import PatientSerializer\nfrom clinic.models import Patient\n")
    assert lines(UnauthenticatedPatientView, public, read_only) == [7]


def test_a_view_that_serves_only_when_the_requesters_own_row_exists_refuses_anonymous_callers() -> None:
    """`User.objects.filter(id=request.user.id).exists()`: an anonymous user's id is None and no primary key is
    NULL, so only signed-in users get past it."""
    code = ("from django.contrib.auth.models import User\nfrom rest_framework.response import Response\n"
            "from rest_framework.views import APIView\nfrom clinic.models import Patient\n\n"
            "class PatientCount(APIView):\n    def get(self, request):\n"
            "        if User.objects.filter(id=request.user.id).exists():\n"
            "            return Response([p.mrn for p in Patient.objects.all()])\n"
            "        return Response(status=400)\n")
    assert lines(UnauthenticatedPatientView, code) == []
    assert lines(UnauthenticatedPatientView, code.replace("filter(id=request.user.id)", "filter(is_active=True)")) == [6]
    # The requester among a related set's members is a membership test (authorization), not a login test.
    from checks.facts.guards import _requester_row_exists
    assert _requester_row_exists(ast.parse("User.objects.filter(id=request.user.id).exists()", mode="eval").body)
    assert not _requester_row_exists(ast.parse("org.users.filter(id=request.user.id).exists()", mode="eval").body)


def test_permission_classes_inherited_from_a_project_base_viewset() -> None:
    base = ("core/views.py", """\
        from rest_framework import viewsets
        from rest_framework.permissions import AllowAny

        class PublicViewSet(viewsets.ModelViewSet):
            permission_classes = [AllowAny]
        """)
    code = API + "from core.views import PublicViewSet\n\nclass Patients(PublicViewSet):\n" \
                 "    serializer_class = PatientSerializer\n"
    assert lines(UnauthenticatedPatientView, code, base) == [6]


def test_is_authenticated_or_read_only_exposes_reads() -> None:
    code = (API + "from rest_framework import permissions as p\n\nclass Patients(generics.ListAPIView):\n"
            "    serializer_class = PatientSerializer\n    permission_classes = (p.IsAuthenticatedOrReadOnly,)\n")
    assert lines(UnauthenticatedPatientView, code) == [6]


def test_project_decorator_wrapping_user_passes_test_authorizes() -> None:
    deco = ("accounts/decorators.py", """\
        from django.contrib.auth.decorators import user_passes_test

        def clinician_required(view):
            return user_passes_test(lambda u: u.groups.filter(name='md').exists())(view)
        """)
    code = ("from django.contrib.auth import decorators as d\nfrom django.shortcuts import get_object_or_404\n"
            "from accounts.decorators import clinician_required\nfrom clinic.models import Patient\n\n"
            "@d.login_required\n@clinician_required\ndef edit(request, pk):\n"
            "    get_object_or_404(Patient, pk=pk).save()\n")
    assert lines(UnauthorizedPatientWrite, code, deco, path="clinic/views.py") == []
    bare = code.replace("@clinician_required\n", "")
    assert lines(UnauthorizedPatientWrite, bare, deco, path="clinic/views.py") == [7]


def test_method_decorator_login_only_on_update_view() -> None:
    code = ("from django.contrib.auth.decorators import login_required\nfrom django.utils.decorators import "
            "method_decorator\nfrom django.views.generic.edit import UpdateView\nfrom clinic.models import Patient\n\n"
            "@method_decorator(login_required, name='dispatch')\nclass Edit(UpdateView):\n    model = Patient\n")
    assert lines(UnauthorizedPatientWrite, code, path="clinic/views.py") == [7]
    assert lines(UnauthenticatedPatientView, code, path="clinic/views.py") == []


def test_login_required_middleware_but_login_not_required_view() -> None:
    settings = ("proj/settings.py", "MIDDLEWARE = ['django.contrib.auth.middleware.LoginRequiredMiddleware']\n")
    code = ("from django.contrib.auth.decorators import login_not_required\nfrom clinic.models import Patient\n\n"
            "@login_not_required\ndef lookup(request, mrn):\n    return Patient.objects.get(mrn=mrn)\n")
    assert lines(UnauthenticatedPatientView, code, settings, path="clinic/views.py") == [5]


def test_url_routed_function_with_other_first_parameter_name() -> None:
    urls = ("clinic/urls.py", """\
        from django.urls import path
        from clinic import views

        urlpatterns = [path('p/<int:pk>/', views.show)]
        """)
    code = "from clinic.models import Patient\n\ndef show(req, pk):\n    return Patient.objects.get(pk=pk)\n"
    assert lines(UnauthenticatedPatientView, code, urls, path="clinic/views.py") == [3]
    assert isinstance(Invalid(code, line=3), Invalid)


def test_user_restricted_lookup_of_another_model_does_not_restrict_the_patient_lookup() -> None:
    models = ("accounts/models.py", """\
        from django.db import models

        class StaffMember(models.Model):
            user = models.OneToOneField('auth.User', on_delete=models.CASCADE)
        """)
    code = ("from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import get_object_or_404\n"
            "from accounts.models import StaffMember\nfrom clinic.models import Patient\n\n@login_required\n"
            "def archive(request, pk):\n    staff = StaffMember.objects.get(user=request.user)\n"
            "    p = get_object_or_404(Patient, pk=pk)\n    p.archived_by = staff\n    p.save()\n")
    assert lines(UnauthorizedPatientWrite, code, models, path="clinic/views.py") == [7]


def test_helper_taking_request_called_by_a_view_is_not_a_view() -> None:
    code = ("from django.contrib.auth.decorators import permission_required\nfrom clinic.models import Patient\n\n"
            "def load(request, pk):\n    return Patient.objects.get(pk=pk)\n\n"
            "@permission_required('clinic.view_patient')\ndef show(request, pk):\n    return load(request, pk)\n")
    assert lines(UnauthenticatedPatientView, code, path="clinic/views.py") == []


def test_reading_the_users_groups_does_not_restrict_the_patient_rows() -> None:
    # `request.user.groups.all()` lists the account's roles (for a template menu); the patient is still
    # fetched by the id in the URL alone.
    code = ("from django.contrib.auth.decorators import login_required\nfrom django.shortcuts import get_object_or_404\n"
            "from clinic.models import Patient\n\n@login_required\n"
            "def archive(request, pk):\n    menu = {g.name: True for g in request.user.groups.all()}\n"
            "    for group in request.user.groups.all():\n        menu[group.name] = True\n"
            "    p = get_object_or_404(Patient, pk=pk)\n    p.archived = True\n    p.save()\n    return menu\n")
    assert lines(UnauthorizedPatientWrite, code, path="clinic/views.py") == [6]
    decided = code.replace("    menu = {g.name", "    if not request.user.groups.filter(name='records').exists():\n"
                           "        raise PermissionDenied\n    menu = {g.name").replace(
        "from clinic.models", "from django.core.exceptions import PermissionDenied\nfrom clinic.models")
    assert lines(UnauthorizedPatientWrite, decided, path="clinic/views.py") == []


def test_a_row_attached_to_the_requesting_users_own_patient_record_is_restricted() -> None:
    ident = ("clinic/idmodels.py", ("from django.db import models\nfrom clinic.models import Patient\n\n"
             "class PatientIdentifier(models.Model):\n    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n"
             "    value = models.CharField(max_length=64)\n"))
    code = ("from rest_framework.decorators import api_view, permission_classes\n"
            "from rest_framework.permissions import IsAuthenticated\nfrom clinic.idmodels import PatientIdentifier\n\n"
            "@api_view(['POST'])\n@permission_classes([IsAuthenticated])\ndef save_identifier(request):\n"
            "    patient = request.user.get_patient()\n"
            "    PatientIdentifier.objects.get_or_create(value=request.data['value'], defaults={'patient': patient})\n")
    assert lines(UnauthorizedPatientWrite, code, ident) == []
    anyone = code.replace("request.user.get_patient()", "Patient.objects.get(pk=request.data['patient'])").replace(
        "from clinic.idmodels import", "from clinic.models import Patient\nfrom clinic.idmodels import")
    assert lines(UnauthorizedPatientWrite, anyone, ident) == [8]


def test_single_rows_fetched_with_their_owner_make_owner_scoping_the_modules_rule() -> None:
    """Three handlers fetch a saved query by id *and* the user; two fetch it by id alone (CRATE's query_activate):
    the two are flagged, though a list filter beside open pages would not make such a rule."""
    from checks.domain.unscoped_object_lookup import UnscopedObjectLookup

    models = ("research/models.py", ("from django.conf import settings\nfrom django.db import models\n\n"
              "class Query(models.Model):\n"
              "    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
              "    sql = models.TextField()\n"))
    scoped = "def {name}(request, query_id):\n    return Query.objects.get(id=query_id, user=request.user)\n\n\n"
    open_ = "def {name}(request, query_id):\n    return Query.objects.get(id=query_id)\n\n\n"
    head = "from research.models import Query\n\n\n"
    code = head + "".join(scoped.format(name=n) for n in ("results", "edit", "save")) + \
        "".join(open_.format(name=n) for n in ("activate", "delete"))
    found = run_example(UnscopedObjectLookup, Valid(code, path="research/views.py", files=(models,)))
    assert [f.start_line for f in found] == [16, 20]  # the defs of activate and delete
    more_open = code + "".join(open_.format(name=n) for n in ("tsv", "zip"))
    assert run_example(UnscopedObjectLookup, Valid(more_open, path="research/views.py", files=(models,))) == []


def test_a_row_named_by_a_secret_in_the_url_serves_the_links_holder() -> None:
    """An e-mail verification or sign-in link: the row is looked up by the token the URL carries, so only whoever
    holds the link reaches it; the handler that sends a new link has no one to check yet (not WG315's departure)."""
    from checks.domain.write_handler_skips_check import WriteHandlerSkipsCheck

    urls = ("clinic/urls.py", ("from django.urls import path\nfrom clinic import api\n\n"
                               "urlpatterns = [path('verify/<str:token>/', api.VerifyView.as_view())]\n"))
    view = ("from rest_framework import views\nfrom rest_framework.response import Response\n"
            "from clinic.models import Patient\n\n"
            "class VerifyView(views.APIView):\n"
            "    def get(self, request, *args, **kwargs):\n"
            "        patient = Patient.objects.get(link_token=kwargs['token'])\n"
            "        patient.save()\n"
            "        return Response({'mrn': patient.mrn})\n\n"
            "    def post(self, request, *args, **kwargs):\n"
            "        Patient.objects.filter(mrn=request.data['mrn']).update(link_token='new')\n"
            "        return Response({})\n")
    assert lines(WriteHandlerSkipsCheck, view, urls) == []
    # Named by its primary key instead, the row is anyone's: the view is open.
    assert lines(UnauthenticatedPatientView, view.replace("link_token=kwargs['token']", "pk=kwargs['token']"),
                 urls) == [5]


def test_child_rows_of_a_scoped_subclass_and_not_of_an_account() -> None:
    """The view scopes `AnnotationProject`, a concrete subclass of `Project`; annotations link to `Project`: they
    belong to the scoped rows. A user who sees only their own account draws no tenant boundary."""
    from checks.domain.unscoped_child_rows import UnscopedChildRows

    models = ("annotate/models.py", (
        "from django.contrib.auth.models import AbstractUser\nfrom django.db import models\n\n"
        "class User(AbstractUser):\n    pass\n\n"
        "class Project(models.Model):\n    name = models.CharField(max_length=100)\n\n"
        "class AnnotationProject(Project):\n    members = models.ManyToManyField(User)\n\n"
        "class Annotation(models.Model):\n    project = models.ForeignKey(Project, on_delete=models.CASCADE)\n\n"
        "class Token(models.Model):\n    user = models.ForeignKey(User, on_delete=models.CASCADE)\n"))
    urls = ("annotate/urls.py", (
        "from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\n"
        "from annotate import views\n\nrouter = DefaultRouter()\n"
        "router.register('p', views.Projects)\nrouter.register('a', views.Annotations)\n"
        "router.register('u', views.Users)\nrouter.register('t', views.Tokens)\n"
        "urlpatterns = [path('api/', include(router.urls))]\n"))
    code = ("from rest_framework import viewsets\nfrom rest_framework.permissions import IsAuthenticated\n"
            "from annotate.models import Annotation, AnnotationProject, Token, User\n\n"
            "class Projects(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
            "    queryset = AnnotationProject.objects.all()\n\n    def get_queryset(self):\n"
            "        return AnnotationProject.objects.filter(members=self.request.user)\n\n"
            "class Annotations(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
            "    queryset = Annotation.objects.all()\n\n"
            "class Users(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
            "    queryset = User.objects.all()\n\n    def get_queryset(self):\n"
            "        return User.objects.filter(pk=self.request.user.pk)\n\n"
            "class Tokens(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
            "    queryset = Token.objects.all()\n")
    found = run_example(UnscopedChildRows, Valid(code, path="annotate/views.py", files=(models, urls)))
    assert [f.start_line for f in found] == [12], [f.message for f in found]
    assert "Annotation -> project" in found[0].message


def test_an_action_reaching_rows_through_a_reverse_relation_to_the_named_object_bypasses_the_scope() -> None:
    """`Call.objects.filter(ambulancecall__ambulance_id=pk)` in an @action of a viewset whose get_queryset() keeps
    the caller's ambulances: the calls of whichever ambulance the client names, past that scope."""
    from checks.domain.unscoped_object_lookup import UnscopedObjectLookup

    models = ("amb/models.py", (
        "from django.db import models\n\nclass Ambulance(models.Model):\n    name = models.CharField(max_length=5)\n\n"
        "class Call(models.Model):\n    details = models.CharField(max_length=500)\n\n"
        "class AmbulanceCall(models.Model):\n    call = models.ForeignKey(Call, on_delete=models.CASCADE)\n"
        "    ambulance = models.ForeignKey(Ambulance, on_delete=models.CASCADE)\n"))
    mixin = ("amb/mixins.py", (
        "class BasePermissionMixin:\n    def get_queryset(self):\n        user = self.request.user\n"
        "        return super().get_queryset().filter(id__in=user.profile.ambulances)\n"))
    urls = ("amb/urls.py", (
        "from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\n"
        "from amb import api\n\nrouter = DefaultRouter()\nrouter.register('ambulance', api.AmbulanceViewSet)\n"
        "urlpatterns = [path('api/', include(router.urls))]\n"))
    code = ("from rest_framework import mixins, viewsets\nfrom rest_framework.decorators import action\n"
            "from rest_framework.response import Response\nfrom amb.mixins import BasePermissionMixin\n"
            "from amb.models import Ambulance, Call\n\n"
            "class AmbulanceViewSet(mixins.RetrieveModelMixin, BasePermissionMixin, viewsets.GenericViewSet):\n"
            "    queryset = Ambulance.objects.all()\n\n    @action(detail=True, methods=['get'])\n"
            "    def calls(self, request, pk=None, **kwargs):\n"
            "        calls = Call.objects.filter(ambulancecall__ambulance_id=pk)\n"
            "        return Response([c.details for c in calls])\n")
    found = run_example(UnscopedObjectLookup, Valid(code, path="amb/api.py", files=(models, mixin, urls)))
    assert [f.start_line for f in found] == [11], [f.message for f in found]
    through_scope = code.replace("Call.objects.filter(ambulancecall__ambulance_id=pk)",
                                 "Call.objects.filter(ambulancecall__ambulance=self.get_object())")
    assert run_example(UnscopedObjectLookup, Valid(through_scope, path="amb/api.py", files=(models, mixin, urls))) == []


def test_a_read_past_a_scope_that_anonymous_callers_see_through_is_no_bypass() -> None:
    """Reads are public on purpose (IsAuthenticatedOrReadOnly, and get_queryset() gives anonymous callers every
    campaign): a GET action fetching a campaign by id crosses no boundary; a POST one does; and where anonymous
    callers get `.none()`, the GET one does too."""
    from checks.domain.unscoped_object_lookup import UnscopedObjectLookup

    models = ("polio/models.py", ("from django.db import models\n\nclass Campaign(models.Model):\n"
                                  "    name = models.CharField(max_length=5)\n"
                                  "    account = models.ForeignKey('auth.User', on_delete=models.CASCADE)\n"))
    urls = ("polio/urls.py", ("from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\n"
                              "from polio import api\n\nrouter = DefaultRouter()\n"
                              "router.register('campaigns', api.CampaignViewSet)\n"
                              "urlpatterns = [path('api/', include(router.urls))]\n"))
    code = ("from rest_framework import permissions, viewsets\nfrom rest_framework.decorators import action\n"
            "from rest_framework.response import Response\nfrom polio.models import Campaign\n\n"
            "class CampaignViewSet(viewsets.ModelViewSet):\n"
            "    permission_classes = [permissions.IsAuthenticatedOrReadOnly]\n"
            "    queryset = Campaign.objects.all()\n\n"
            "    def get_queryset(self):\n        user = self.request.user\n"
            "        if not user.is_authenticated:\n            return Campaign.objects.all()\n"
            "        return Campaign.objects.filter(account=user)\n\n"
            "    @action(detail=False, methods=['GET'])\n    def export(self, request):\n"
            "        return Response(Campaign.objects.get(pk=request.GET['id']).name)\n\n"
            "    @action(detail=False, methods=['POST'])\n    def notify(self, request):\n"
            "        return Response(Campaign.objects.get(pk=request.data['id']).name)\n")

    def lines(text: str) -> list[int]:
        return [f.start_line for f in run_example(UnscopedObjectLookup, Valid(text, path="polio/api.py",
                                                                             files=(models, urls)))]

    assert lines(code) == [21]
    assert lines(code.replace("return Campaign.objects.all()\n", "return Campaign.objects.none()\n")) == [17, 21]


def test_a_filter_backend_that_keeps_the_users_rows_scopes_the_view() -> None:
    """`filter_backends` with a backend whose filter_queryset() reads the user (a project's object-permission filter,
    django-guardian's `ObjectPermissionsFilter`), on the view or in DEFAULT_FILTER_BACKENDS, keeps each user to the
    rows they may see: the view serves no other user's rows. A search/ordering backend does not."""
    from checks.domain.unscoped_child_rows import UnscopedChildRows

    models = ("annotate/models.py", (
        "from django.db import models\n\nclass Project(models.Model):\n    members = models.ManyToManyField('auth.User')\n\n"
        "class Annotation(models.Model):\n    project = models.ForeignKey(Project, on_delete=models.CASCADE)\n"))
    urls = ("annotate/urls.py", (
        "from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\n"
        "from annotate import views\n\nrouter = DefaultRouter()\n"
        "router.register('p', views.Projects)\nrouter.register('a', views.Annotations)\n"
        "urlpatterns = [path('api/', include(router.urls))]\n"))
    filters = ("annotate/filters.py", (
        "from rest_framework.filters import BaseFilterBackend\n\nclass ViewPermissionFilter(BaseFilterBackend):\n"
        "    def filter_queryset(self, request, queryset, view):\n"
        "        return filter_by_permission(queryset=queryset, user=request.user, codename='view')\n"))
    code = ("from rest_framework import viewsets\nfrom rest_framework.filters import OrderingFilter\n"
            "from rest_framework.permissions import IsAuthenticated\n"
            "from annotate.filters import ViewPermissionFilter\nfrom annotate.models import Annotation, Project\n\n"
            "class Projects(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
            "    queryset = Project.objects.all()\n\n    def get_queryset(self):\n"
            "        return Project.objects.filter(members=self.request.user)\n\n"
            "class Annotations(viewsets.ModelViewSet):\n    permission_classes = [IsAuthenticated]\n"
            "    queryset = Annotation.objects.all()\n    filter_backends = [OrderingFilter, ViewPermissionFilter]\n")
    assert run_example(UnscopedChildRows, Valid(code, path="annotate/views.py", files=(models, urls, filters))) == []
    guardian = code.replace("from annotate.filters import ViewPermissionFilter",
                            "from rest_framework_guardian.filters import ObjectPermissionsFilter as ViewPermissionFilter")
    assert run_example(UnscopedChildRows, Valid(guardian, path="annotate/views.py", files=(models, urls))) == []
    ordering_only = code.replace("[OrderingFilter, ViewPermissionFilter]", "[OrderingFilter]")
    found = run_example(UnscopedChildRows, Valid(ordering_only, path="annotate/views.py", files=(models, urls, filters)))
    assert [f.start_line for f in found] == [14], [f.message for f in found]


def test_an_opal_viewset_that_deletes_the_patient_its_decorator_fetches() -> None:
    """OPAL's LoginRequiredViewset is a DRF ViewSet requiring login, and `@patient_from_pk` hands the handler the
    Patient the URL names: deleting it with no role check is a write any signed-in user can make."""
    code = ("from opal.core.api import LoginRequiredViewset, OPALRouter, patient_from_pk\n\n\n"
            "class DeletePatientViewset(LoginRequiredViewset):\n    basename = 'delete_patient'\n\n"
            "    @patient_from_pk\n    def destroy(self, request, patient):\n        patient.delete()\n\n\n"
            "router = OPALRouter()\nrouter.register('delete_patient', DeletePatientViewset)\n")
    urls = ("proj/urls.py", ("from django.urls import include, path\nfrom clinic import api\n\n"
                             "urlpatterns = [path('indigo/', include(api.router.urls))]\n"))
    assert lines(UnauthorizedPatientWrite, code, urls) == [4]
    assert lines(UnauthenticatedPatientView, code, urls) == []


def test_a_login_only_write_runs_from_the_class_line_to_the_handler_that_writes() -> None:
    code = API + """\
from rest_framework.permissions import IsAuthenticated
from clinic.models import Patient


class DeletePatient(viewsets.ViewSet):
    permission_classes = [IsAuthenticated]

    def retrieve(self, request, pk=None):
        return None

    def destroy(self, request, pk=None):
        Patient.objects.get(pk=pk).delete()
"""
    found = run_example(UnauthorizedPatientWrite, Valid(code, path="clinic/api.py", files=(MODELS, SER, AUTHZ)))
    assert [(f.start_line, f.end_line) for f in found] == [(8, 14)]
    assert "in destroy()" in found[0].message


def test_a_permission_to_view_does_not_authorize_a_write() -> None:
    """`permission_required = "clinic.view_patient"` guards reading; a handler that changes the row under it lets
    whoever may see the records change them (WG305's `permissions=["view"]`, for views)."""
    code = """\
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import View
from clinic.models import Patient


class Archive(PermissionRequiredMixin, View):
    permission_required = ("clinic.view_patient",)

    def post(self, request, pk):
        Patient.objects.filter(pk=pk).update(mrn="")


@permission_required("clinic.view_patient")
def archive(request, pk):
    Patient.objects.filter(pk=pk).delete()
"""
    found = run_example(UnauthorizedPatientWrite, Valid(code, path="clinic/views.py", files=(MODELS, AUTHZ)))
    assert [f.start_line for f in found] == [7, 15]
    assert all("only a permission to view" in f.message for f in found)
    change = code.replace('"clinic.view_patient"', '"clinic.change_patient"')
    assert run_example(UnauthorizedPatientWrite, Valid(change, path="clinic/views.py", files=(MODELS, AUTHZ))) == []


def test_role_fallthrough_is_high_only_where_anyone_can_sign_up() -> None:
    """WG324: the user of no known role is anyone at all when the API's registration is open; otherwise an account
    an administrator made, a medium finding that does not fail the default gate."""
    from checks.domain.role_fallthrough_rows import RoleFallthroughRows

    closed, open_ = RoleFallthroughRows.INVALID
    [medium] = run_example(RoleFallthroughRows, Valid(closed.code, path=closed.path, files=closed.files))
    [high] = run_example(RoleFallthroughRows, Valid(open_.code, path=open_.path, files=open_.files))
    assert (medium.severity.value, high.severity.value) == ("medium", "high")
    assert "is_employee / is_patient (line 11)" in medium.message and "(line 15)" in medium.message
    assert "anyone can create such an account (dj_rest_auth.registration.urls included" in high.message


def test_a_link_with_a_secret_or_a_check_of_the_callers_session_is_the_authorization() -> None:
    """Insured persons have no accounts: the cancel link carries a token `get_object()` matches, and the upload view
    asks the claim whether the caller's session may touch it. Neither is open to anyone; the same views without
    those checks are."""
    models = ("claims/models.py", """\
        from django.db import models

        class Claim(models.Model):
            nir = models.CharField(max_length=15)
            token = models.CharField(max_length=64)

            def is_allowed(self, request):
                return str(self.id) in request.session.get("claims", {})
        """)
    cancel = """\
        from django.views import generic
        from claims.models import Claim

        class CancelView(generic.TemplateView):
            def get_object(self):
                return Claim.objects.filter(pk=self.kwargs["pk"], token=self.kwargs["token"]).first()

            def post(self, request, *args, **kwargs):
                claim = self.get_object()
                claim.nir = ""
                claim.save()
        """
    upload = """\
        from django import http
        from django.views import generic
        from claims.models import Claim

        class UploadView(generic.View):
            def post(self, request, *args, **kwargs):
                claim = Claim.objects.get(id=kwargs["uuid"])
                if not claim.is_allowed(request):
                    return http.HttpResponseBadRequest("invalid form token")
                claim.nir = request.POST["nir"]
                claim.save()
        """

    def found(code: str) -> list[int]:
        return [f.start_line for f in run_example(UnauthenticatedPatientView, Valid(
            code, path="claims/views.py", files=(models,)))]

    assert found(cancel) == [] and found(upload) == []
    assert found(cancel.replace(', token=self.kwargs["token"]', "")) == [4]
    assert found(upload.replace("if not claim.is_allowed(request):", "if not request.FILES:")) == [5]


def test_deleting_a_row_deletes_the_patient_rows_that_cascade_from_it() -> None:
    """An uploaded lab report holds no patient field, but the results parsed from it point at it with
    `on_delete=CASCADE`: a login-only view deleting any report by id deletes patients' results (WG302). With
    `on_delete=PROTECT` the delete fails instead, and the view changes no patient data."""
    lab = ("lab/models.py", """\
        from django.db import models

        class ReportFile(models.Model):
            result = models.FileField(upload_to="reports")

        class LabResult(models.Model):
            report = models.ForeignKey(ReportFile, on_delete=models.CASCADE)
            patient_id = models.CharField(max_length=20)
            cd4_count = models.IntegerField()
        """)
    view = """\
        from django.contrib.auth.decorators import login_required
        from lab.models import ReportFile

        @login_required
        def delete_report(request, pk):
            ReportFile.objects.get(id=pk).delete()
        """
    assert lines(UnauthorizedPatientWrite, view, lab, path="lab/views.py") == [5]
    protected = (lab[0], lab[1].replace("models.CASCADE", "models.PROTECT"))
    assert lines(UnauthorizedPatientWrite, view, protected, path="lab/views.py") == []
    # The project's own role predicate over the request turns the others away before the delete.
    managed = view.replace("def delete_report(request, pk):\n", "def delete_report(request, pk):\n"
                           "            if not is_lab_manager(request):\n"
                           "                return render(request, 'error.html')\n")
    assert lines(UnauthorizedPatientWrite, managed, lab, path="lab/views.py") == []


def test_a_reset_key_in_the_url_is_a_capability_a_project_key_is_not() -> None:
    """`reset_key`/`activation_key` name a secret the link carries; `project_key` is a slug anyone can read off a page."""
    import ast

    from checks.facts.guards import AUTHZ, NONE, body_level
    from checks.names import ImportMap

    def level(key: str) -> int:
        fn = ast.parse(f"def get(self, *args, **kwargs):\n    k = kwargs.get('{key}')\n"
                       f"    return Thing.objects.get({key}=k)\n").body[0]
        return body_level(fn, ImportMap.build(ast.parse(""), "app.views", False))

    assert (level("reset_key"), level("activation_key"), level("project_key")) == (AUTHZ, AUTHZ, NONE)


def test_a_check_that_refuses_through_a_helper_is_used_as_a_statement() -> None:
    """`security_check_user_patient()` returns True for allowed users and otherwise calls a helper that raises:
    called bare, it still refuses. A pure predicate called bare guards nothing."""
    access = ("clinic/access.py", """\
        def _violation(user, patient):
            raise PermissionError

        def security_check_user_patient(user, patient):
            if user.is_superuser:
                return True
            _violation(user, patient)

        def can_see_patient(user, patient):
            logger.info("checking %s", user.pk)
            return patient.ward in user.wards.all()
        """)
    view = ("from clinic.access import security_check_user_patient, can_see_patient\n\n"
            "def chart(request, patient):\n    security_check_user_patient(request.user, patient)\n"
            "    can_see_patient(request.user, patient)\n    return patient\n")
    found = run_example(IgnoredPermissionCheck, Valid(view, path="clinic/views.py", files=(access,)))
    assert [(f.start_line, f.end_line) for f in found] == [(3, 5)]  # the view, down to the thrown-away call
