"""The project model on small Django projects: where login, authorization and audit really come from.

Each case pairs the mechanism (which silences a finding) with the same code without it (which does not),
so a test cannot pass by the check going quiet.
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from checks.base import Valid
from checks.domain.audit_bypassing_write import AuditBypassingWrite
from checks.domain.missing_sibling_guard import MissingSiblingGuard
from checks.domain.object_check_never_runs import ObjectCheckNeverRuns
from checks.domain.phi_in_log import PhiInLog
from checks.domain.unaudited_patient_model import UnauditedPatientModel
from checks.domain.unauthenticated_patient_view import UnauthenticatedPatientView
from checks.domain.unauthorized_patient_write import UnauthorizedPatientWrite
from checks.domain.untraced_patient_delete import UntracedPatientDelete
from checks.testing import run_example

MODELS = ("clinic/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
          "    mrn = models.CharField(max_length=9)\n"))
VIEW = "from clinic.models import Patient\n\ndef chart(request, pk):\n    return Patient.objects.get(pk=pk)\n"


def lines(check, code: str, *files: tuple[str, str], path: str = "clinic/views.py") -> list[int]:
    return [f.start_line for f in run_example(check, Valid(code, path=path, files=(MODELS, *files)))]


def test_project_subclass_of_djangos_login_required_middleware_authenticates_every_view() -> None:
    mw = ("core/middleware.py", ("from django.contrib.auth.middleware import LoginRequiredMiddleware\n\n"
          "class HospitalLoginRequiredMiddleware(LoginRequiredMiddleware):\n    pass\n"))
    installed = ("proj/settings.py", "MIDDLEWARE = ['core.middleware.HospitalLoginRequiredMiddleware']\n")
    assert lines(UnauthenticatedPatientView, VIEW, mw, installed) == []
    assert lines(UnauthenticatedPatientView, VIEW, mw) == [3]  # defined but not installed: no protection


def test_custom_login_gate_middleware_counts_only_when_it_turns_anonymous_users_away() -> None:
    gate = ("core/mw.py", ("from django.shortcuts import redirect\n\nclass RequireLogin:\n"
            "    def __init__(self, get_response):\n        self.get_response = get_response\n\n"
            "    def __call__(self, request):\n        if not request.user.is_authenticated:\n"
            "            return redirect('/login/')\n        return self.get_response(request)\n"))
    timing = ("core/mw.py", ("class Timing:\n    def __init__(self, get_response):\n        self.get_response = get_response\n\n"
              "    def __call__(self, request):\n        return self.get_response(request)\n"))
    assert lines(UnauthenticatedPatientView, VIEW, gate, ("proj/settings.py", "MIDDLEWARE = ['core.mw.RequireLogin']\n")) == []
    assert lines(UnauthenticatedPatientView, VIEW, timing, ("proj/settings.py", "MIDDLEWARE = ['core.mw.Timing']\n")) == [3]


def test_middleware_that_answers_through_login_required_is_a_gate() -> None:
    """Old-style middleware (`MIDDLEWARE_CLASSES`) that runs every view through `login_required` in process_view."""
    gate = ("core/mw.py", ("from django.contrib.auth.decorators import login_required\n\nclass LoginRequired(object):\n"
            "    def process_view(self, request, view_func, view_args, view_kwargs):\n"
            "        return login_required(view_func)(request, *view_args, **view_kwargs)\n"))
    passes = ("core/mw.py", ("class LoginRequired(object):\n"
              "    def process_view(self, request, view_func, view_args, view_kwargs):\n        return None\n"))
    installed = ("proj/settings.py", "MIDDLEWARE_CLASSES = ['core.mw.LoginRequired']\n")
    assert lines(UnauthenticatedPatientView, VIEW, gate, installed) == []
    assert lines(UnauthenticatedPatientView, VIEW, passes, installed) == [3]


def test_login_required_wrapped_around_the_view_in_urls() -> None:
    urls = ("clinic/urls.py", ("from django.urls import path\nfrom django.contrib.auth.decorators import login_required\n"
            "from clinic import views\n\nurlpatterns = [path('p/<int:pk>/', login_required(views.chart))]\n"))
    bare = ("clinic/urls.py", ("from django.urls import path\nfrom clinic import views\n\n"
            "urlpatterns = [path('p/<int:pk>/', views.chart)]\n"))
    assert lines(UnauthenticatedPatientView, VIEW, urls) == []
    assert lines(UnauthenticatedPatientView, VIEW, bare) == [3]


def test_role_check_in_a_mixins_dispatch_authorizes_its_views() -> None:
    mixin = ("core/mixins.py", ("from django.core.exceptions import PermissionDenied\n\nclass PharmacistRequired:\n"
             "    def dispatch(self, request, *args, **kwargs):\n        if not is_pharmacist(request.user):\n"
             "            raise PermissionDenied()\n        return super().dispatch(request, *args, **kwargs)\n"))
    plain = ("core/mixins.py", "class PharmacistRequired:\n    def get_context_data(self, **kw):\n        return {}\n")
    code = ("from django.contrib.auth.mixins import LoginRequiredMixin\nfrom django.views.generic import UpdateView\n"
            "from clinic.models import Patient\nfrom core.mixins import PharmacistRequired\n\n"
            "class Edit(LoginRequiredMixin, PharmacistRequired, UpdateView):\n    model = Patient\n    fields = ['mrn']\n")
    authz = ("reports/views.py", ("from django.contrib.auth.decorators import permission_required\n\n"
             "@permission_required('reports.view_report')\ndef monthly(request):\n    return None\n"))
    assert lines(UnauthorizedPatientWrite, code, mixin) == []
    assert lines(UnauthorizedPatientWrite, code, plain, authz) == [6]
    assert lines(UnauthorizedPatientWrite, code, plain) == []  # role-less: the project authorizes nowhere


def test_views_no_request_reaches_are_not_endpoints() -> None:
    viewset = ("from rest_framework import viewsets\nfrom rest_framework.permissions import AllowAny\n"
               "from clinic.models import Patient\n\nclass Patients(viewsets.ModelViewSet):\n"
               "    queryset = Patient.objects.all()\n    permission_classes = [AllowAny]\n")
    router = ("clinic/routes.py", ("from rest_framework.routers import DefaultRouter\nfrom clinic.api import Patients\n\n"
              "router = DefaultRouter()\nrouter.register('patients', Patients)\n"))
    included = ("proj/urls.py", ("from django.urls import include, path\nfrom clinic.routes import router\n\n"
                "urlpatterns = [path('api/', include(router.urls))]\n"))
    not_included = ("proj/urls.py", "from django.urls import path\n\nurlpatterns = []\n")
    assert lines(UnauthenticatedPatientView, viewset, router, included, path="clinic/api.py") == [5]
    assert lines(UnauthenticatedPatientView, viewset, router, not_included, path="clinic/api.py") == []
    # DRF's `register(prefix, viewset)` by keyword is the same registration
    by_keyword = (router[0], router[1].replace("register('patients', Patients)", "register(r'patients', viewset=Patients)"))
    assert lines(UnauthenticatedPatientView, viewset, by_keyword, not_included, path="clinic/api.py") == []
    installed = ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'clinic']\n")
    legacy = ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'wards']\n")
    assert lines(UnauthenticatedPatientView, VIEW, installed) == [3]
    assert lines(UnauthenticatedPatientView, VIEW, legacy) == []  # clinic is not installed: dead code


def test_django_ninja_auth_on_the_api_covers_its_operations_unless_an_operation_opts_out() -> None:
    api = ("from ninja import NinjaAPI\nfrom clinic.models import Patient\nfrom core.auth import BearerToken\n\n"
           "api = NinjaAPI(auth=BearerToken())\n\n@api.get('/patients/{pk}')\ndef patient(request, pk: int):\n"
           "    return Patient.objects.get(pk=pk)\n\n@api.get('/open/{pk}', auth=None)\ndef open_patient(request, pk: int):\n"
           "    return Patient.objects.get(pk=pk)\n")
    assert lines(UnauthenticatedPatientView, api, path="clinic/api.py") == [12]


def test_patterns_decorated_after_they_are_built_by_a_project_wrapper_or_a_loop() -> None:
    # `u.callback = login_required(u.callback)` applied to every pattern: by a function or a loop in urls.py.
    wrap = ("core/urlwrap.py", ("from django.contrib.auth.decorators import login_required\n\n"
            "def wrap_url(u, public=()):\n    u.callback = login_required(u.callback)\n    return u\n"))
    branchy = ("core/urlwrap.py", ("from django.contrib.auth.decorators import login_required\n\n"
               "def wrap_url(u, public=()):\n    if u.name in public:\n        pass\n"
               "    else:\n        u.callback = login_required(u.callback)\n    return u\n"))
    urls = ("clinic/urls.py", ("from django.urls import path\nfrom core.urlwrap import wrap_url\nfrom clinic import views\n\n"
            "raw = [path('p/<int:pk>/', views.chart, name='chart')]\nurlpatterns = [wrap_url(u) for u in raw]\n"))
    unwrapped = ("clinic/urls.py", ("from django.urls import path\nfrom core.urlwrap import wrap_url\n"
                 "from clinic import views\n\nurlpatterns = [path('p/<int:pk>/', views.chart, name='chart')]\n"))
    loop = ("clinic/urls.py", ("from django.urls import path\nfrom django.contrib.auth.decorators import login_required\n"
            "from clinic import views\n\nurlpatterns = [path('p/<int:pk>/', views.chart)]\n"
            "for u in urlpatterns:\n    u.callback = login_required(u.callback)\n"))
    assert lines(UnauthenticatedPatientView, VIEW, wrap, urls) == []
    assert lines(UnauthenticatedPatientView, VIEW, wrap, unwrapped) == [3]  # imported, never applied
    assert lines(UnauthenticatedPatientView, VIEW, loop) == []
    # Which patterns the wrapper protects depends on their names: unknown, so no finding either way.
    assert lines(UnauthenticatedPatientView, VIEW, branchy, urls) == []


def test_view_whose_base_cannot_be_read_is_unknown_not_a_finding() -> None:
    code = ("from django.views.generic import DetailView\nfrom hospital_auth.views import WardStaffMixin\n"
            "from clinic.models import Patient\n\nclass Chart(WardStaffMixin, DetailView):\n    model = Patient\n")
    known = code.replace("from hospital_auth.views import WardStaffMixin\n", "").replace("WardStaffMixin, ", "")
    assert lines(UnauthenticatedPatientView, code) == []
    assert lines(UnauthenticatedPatientView, known) == [4]


def test_reversion_version_admin_registration_audits_the_model() -> None:
    admin = ("clinic/admin.py", ("from django.contrib import admin\nfrom reversion.admin import VersionAdmin\n"
             "from clinic.models import Patient\n\nclass PatientAdmin(VersionAdmin):\n    pass\n\n"
             "admin.site.register(Patient, PatientAdmin)\n"))
    plain = ("clinic/admin.py", ("from django.contrib import admin\nfrom clinic.models import Patient\n\n"
             "admin.site.register(Patient, admin.ModelAdmin)\n"))
    assert lines(UnauditedPatientModel, MODELS[1], admin, path="clinic/models.py") == []
    assert lines(UnauditedPatientModel, MODELS[1], plain, path="clinic/models.py") == [3]


def test_reversion_compare_admin_registers_its_model_and_its_inlines_models() -> None:
    """reversion-compare's CompareVersionAdmin is a VersionAdmin, and a VersionAdmin registers the models of its
    inlines too; a shared admin base's bulk action then bypasses reversion on its subclasses' models."""
    models = ("clinic/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
              "    mrn = models.CharField(max_length=9)\n    locked = models.BooleanField(default=False)\n\n"
              "class Visit(models.Model):\n    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n"
              "    notes = models.TextField()\n"))
    admin = ("from django.contrib import admin\nfrom reversion_compare.admin import CompareVersionAdmin\n"
             "from clinic.models import Patient, Visit\n\n"
             "class VisitInline(admin.TabularInline):\n    model = Visit\n\n"
             "class AuditedAdmin(CompareVersionAdmin):\n    actions = ['lock']\n\n"
             "    def lock(self, request, queryset):\n        queryset.update(locked=True)\n\n"
             "@admin.register(Patient)\nclass PatientAdmin(AuditedAdmin):\n    inlines = [VisitInline]\n")
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0], files=(("clinic/admin.py", admin),)))
    assert [f.start_line for f in found] == []
    no_inline = admin.replace("    inlines = [VisitInline]\n", "    pass\n")
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0], files=(("clinic/admin.py", no_inline),)))
    assert [f.start_line for f in found] == [7]  # Visit: no admin registers it
    found = run_example(AuditBypassingWrite, Valid(admin, path="clinic/admin.py", files=(models,)))
    assert [f.start_line for f in found] == [12]


def test_history_on_an_abstract_base_is_inherited_only_with_inherit_true() -> None:
    code = ("from django.db import models\nfrom simple_history.models import HistoricalRecords\n\n"
            "class Base(models.Model):\n    history = HistoricalRecords(inherit=True)\n\n    class Meta:\n"
            "        abstract = True\n\nclass Encounter(Base):\n    notes = models.TextField()\n")
    assert lines(UnauditedPatientModel, code, path="clinic/records.py") == []
    no_inherit = code.replace("(inherit=True)", "()").replace("        abstract = True\n", "        ordering = []\n")
    assert lines(UnauditedPatientModel, no_inherit, path="clinic/records.py") == [10]


def test_library_base_from_opal_is_patient_data_audited_by_reversion_and_unknown_bases_stay_quiet() -> None:
    opal = ("from django.db import models\nfrom opal import models as omodels\nfrom acme_base.models import TrackedModel\n\n"
            "class Referral(omodels.EpisodeSubrecord):\n    reason = models.TextField()\n\n"
            "class Encounter(TrackedModel, models.Model):\n    notes = models.TextField()\n\n"
            "class Admission(models.Model):\n    notes = models.TextField()\n")
    assert lines(UnauditedPatientModel, opal, path="clinic/records.py") == [11]  # only the plain Django model


def test_a_trial_apps_forms_on_clinicedc_bases_are_participant_records_with_the_history_their_bases_give() -> None:
    """clinicedc's declared models: a CRF on edc_crf's CrfModelMixin inherits its history; one on the manager-less
    mixin, or a PRN form on BaseUuidModel (user stamps only), has none unless it declares one."""
    code = ("from django.db import models\nfrom edc_crf.model_mixins import CrfModelMixin, CrfNoManagerModelMixin\n"
            "from edc_model.models import BaseUuidModel\n\n"
            "class Vitals(CrfModelMixin, BaseUuidModel):\n    weight = models.DecimalField(max_digits=5, decimal_places=1)\n\n"
            "class Followup(CrfNoManagerModelMixin, BaseUuidModel):\n    notes = models.TextField()\n\n"
            "class PregnancyNotification(BaseUuidModel):\n    edd = models.DateField()\n")
    assert lines(UnauditedPatientModel, code, path="trial_subject/models.py") == [8, 11]
    update = ("trial_subject/services.py", ("from trial_subject.models import Vitals\n\ndef fix(pk):\n"
                                            "    Vitals.objects.filter(pk=pk).update(weight=0)\n"))
    assert [f.start_line for f in run_example(AuditBypassingWrite, Valid(update[1], path=update[0], files=(
        ("trial_subject/models.py", code),)))] == [4]


def test_legacy_edc_forms_are_participant_records_audited_only_by_their_own_audit_trail() -> None:
    """botswana-harvard's older `edc` package: a form on BaseConsentedUuidModel is a participant's record, and its
    trail is the `history = AuditTrail()` it declares itself (an abstract base's AuditTrail is not inherited)."""
    code = ("from django.db import models\nfrom edc.audit.audit_trail import AuditTrail\n"
            "from edc.subject.consent.models import BaseConsentedUuidModel\n"
            "from edc.base.model.models import BaseListModel\n\n"
            "class InfantBirth(BaseConsentedUuidModel):\n    weight = models.DecimalField(max_digits=4, decimal_places=2)\n"
            "    history = AuditTrail()\n\n"
            "class InfantAnomalyItem(BaseConsentedUuidModel):\n    anomaly = models.CharField(max_length=50)\n\n"
            "class ArvList(BaseListModel):\n    pass\n")
    assert lines(UnauditedPatientModel, code, path="mpepu_infant/models.py") == [10]
    update = ("mpepu_infant/services.py", ("from mpepu_infant.models import InfantBirth\n\ndef fix(pk):\n"
                                           "    InfantBirth.objects.filter(pk=pk).update(weight=0)\n"))
    assert [f.start_line for f in run_example(AuditBypassingWrite, Valid(update[1], path=update[0], files=(
        ("mpepu_infant/models.py", code),)))] == [4]
    on_abstract_base = ("from django.db import models\nfrom edc.audit.audit_trail import AuditTrail\n"
                        "from edc.subject.consent.models import BaseConsentedUuidModel\n\n"
                        "class InfantBase(BaseConsentedUuidModel):\n    history = AuditTrail()\n\n"
                        "    class Meta:\n        abstract = True\n\n"
                        "class InfantFeeding(InfantBase):\n    formula = models.CharField(max_length=3)\n")
    assert lines(UnauditedPatientModel, on_abstract_base, path="mpepu_infant/models.py") == [11]


def test_a_class_declared_for_type_hints_only_is_no_model() -> None:
    code = ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from django.db import models\n\n"
            "    class RelatedVisit(models.Model):\n        date_of_birth = models.DateField()\n")
    assert lines(UnauditedPatientModel, code, path="trial_metadata/metadata.py") == []
    runtime = code.replace("if TYPE_CHECKING:", "if True:")
    assert lines(UnauditedPatientModel, runtime, path="trial_metadata/metadata.py") == [6]


def test_a_lazy_model_label_matches_the_name_in_any_case_but_only_in_its_own_app() -> None:
    """`"clinic.patient"` is clinic's Patient; a module path that ends in a model's name is not that model."""
    from checks.facts.django_models import ModelIndex, ModelInfo
    idx = ModelIndex()
    for q in ("clinic.models.Patient", "core.models.Samples"):
        idx.models[q] = ModelInfo(name=q.rsplit(".", 1)[1], qualname=q, path="x.py", line=1, bases=["models.Model"])
        idx.by_name.setdefault(q.rsplit(".", 1)[1], []).append(q)
        idx.django.add(q)
    assert (m := idx.lookup("clinic.patient")) is not None and m.qualname == "clinic.models.Patient"
    assert idx.lookup("billing.patient") is None
    assert idx.lookup("core.utils.samples") is None


def test_explicit_audit_service_called_from_views_is_the_projects_audit_mechanism() -> None:
    service = ("core/audit.py", ("from core.models import AuditLog\n\nclass Auditor:\n"
               "    def audit_update(self, obj):\n        AuditLog.objects.create(object_id=obj.pk)\n"))
    log = ("core/models.py", ("from django.db import models\n\nclass AuditLog(models.Model):\n"
           "    object_id = models.IntegerField()\n"))
    view = ("clinic/views.py", ("from core.audit import Auditor\n\ndef edit(request, obj):\n"
            "    obj.save()\n    Auditor().audit_update(obj)\n"))
    assert lines(UnauditedPatientModel, MODELS[1], service, log, view, path="clinic/models.py") == []
    assert lines(UnauditedPatientModel, MODELS[1], service, log, path="clinic/models.py") == [3]  # never called
    reads = ("clinic/views.py", ("from core.audit import Auditor\n\ndef show(request, obj):\n"
             "    Auditor().audit_update(obj)\n    return obj\n"))
    # Called only where nothing changes: a log of what was looked at, not a trail of changes.
    assert lines(UnauditedPatientModel, MODELS[1], service, log, reads, path="clinic/models.py") == [3]


def test_src_layout_resolves_absolute_imports_between_packages(tmp_path: Path) -> None:
    files = {
        "src/clinic/__init__.py": "",
        "src/clinic/models.py": MODELS[1],
        "src/core/__init__.py": "",
        "src/core/mixins.py": "from django.core.exceptions import PermissionDenied\n\nclass StaffOnly:\n"
                              "    def dispatch(self, request, *a, **k):\n        if not request.user.is_staff:\n"
                              "            raise PermissionDenied\n        return super().dispatch(request, *a, **k)\n",
        "src/clinic/views.py": "from django.views.generic import DetailView\nfrom core.mixins import StaffOnly\n"
                               "from clinic.models import Patient\n\nclass Chart(StaffOnly, DetailView):\n    model = Patient\n",
    }
    _write(tmp_path, files)
    facts = _facts(tmp_path)
    chart = next(e for e in facts["endpoints"] if e["view"] == "clinic.views.Chart")
    assert chart["reads"] == "authorized users" and chart["patient_data"] == ["Patient"]
    assert "StaffOnly checks permissions or roles" in chart["evidence"]


@pytest.mark.parametrize("app_init", [True, False])
def test_a_django_project_in_a_subfolder_is_imported_from_the_folder_manage_py_runs_in(tmp_path: Path,
                                                                                       app_init: bool) -> None:
    """`backend/manage.py`: Django puts `backend/` first on sys.path, so `backend/clinic/api.py` is `clinic.api`,
    as the URLconf (`include("clinic.urls")`) and every import spell it; also when the app folder has no
    `__init__.py` (a namespace package, imported from there all the same)."""
    _write(tmp_path, {
        "backend/manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n",
        "backend/config/__init__.py": "",
        "backend/config/wsgi.py": "import os\nfrom django.core.wsgi import get_wsgi_application\n\n"
                                  "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
                                  "application = get_wsgi_application()\n",
        "backend/config/settings.py": "from pathlib import Path\n\nBASE_DIR = Path(__file__).parent.parent\n"
                                      "ROOT_URLCONF = 'config.urls'\nINSTALLED_APPS = ['clinic']\n",
        "backend/config/urls.py": "from django.urls import include, path\n\n"
                                  "urlpatterns = [path('clinic/', include('clinic.urls'))]\n",
        "backend/clinic/__init__.py": "",
        "backend/clinic/models.py": MODELS[1],
        "backend/clinic/api.py": "from rest_framework.generics import RetrieveAPIView\nfrom clinic.models import Patient\n\n"
                                 "class PatientDetail(RetrieveAPIView):\n    queryset = Patient.objects.all()\n",
        "backend/clinic/urls.py": "from django.urls import path\nfrom clinic import api\n\n"
                                  "urlpatterns = [path('patients/<int:pk>/', api.PatientDetail.as_view())]\n",
    })
    if not app_init:
        (tmp_path / "backend/clinic/__init__.py").unlink()
    facts = _facts(tmp_path)
    detail = next(e for e in facts["endpoints"] if e["view"] == "clinic.api.PatientDetail")
    assert detail["route"] == "/clinic/patients/<int:pk>/" and detail["reads"] == "anyone"
    assert facts["settings"]["served_settings"] == ["config.settings"]


def test_a_call_through_a_dispatch_table_may_run_every_function_in_it(tmp_path: Path) -> None:
    """`INGEST[kind](request.data)`, with `INGEST = {"visit": ingest_visit, ...}` in another module: the view
    changes whatever the table's functions change."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/ingest/__init__.py": "from typing import Callable\n\nfrom .patients import ingest_patients\n\n"
                                     "INGEST: dict[str, Callable] = {'patients': ingest_patients}\n",
        "clinic/ingest/patients.py": "from clinic.models import Patient\n\n"
                                     "def ingest_patients(data):\n    Patient(mrn=data['mrn']).save()\n",
        "clinic/views.py": "from rest_framework.decorators import api_view, permission_classes\n"
                           "from rest_framework.permissions import AllowAny\nfrom clinic.ingest import INGEST\n\n"
                           "@api_view(['POST'])\n@permission_classes([AllowAny])\ndef ingest(request, kind):\n"
                           "    INGEST[kind](request.data)\n",
    })
    ingest = next(e for e in _facts(tmp_path)["endpoints"] if e["view"] == "clinic.views.ingest")
    assert ingest["writes"] == "anyone" and ingest["patient_data"] == ["Patient"], ingest
    assert "changes data through INGEST[…] -> ingest_patients()" in ingest["evidence"]


def test_decorators_on_a_class_views_request_methods_guard_the_requests_they_answer(tmp_path: Path) -> None:
    """`@method_decorator(login_required)` on `dispatch()` guards every request, on `get()` the GETs; a handler
    inherited from a project base keeps its decorators; one undecorated handler leaves its requests open. A
    project decorator that refuses only anonymous users authenticates, it does not authorize."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/decorators.py": "from django.core.exceptions import PermissionDenied\n\ndef no_anonymous(view):\n"
                                "    def check(request, *a, **k):\n        if request.user.is_anonymous:\n"
                                "            raise PermissionDenied\n        return view(request, *a, **k)\n    return check\n",
        "clinic/views.py": (
            "from django.contrib.auth.decorators import login_required\n"
            "from django.utils.decorators import method_decorator\nfrom django.views import View\n"
            "from clinic.decorators import no_anonymous\nfrom clinic.models import Patient\n\n"
            "class Chart(View):\n    @method_decorator(login_required)\n    def dispatch(self, *a, **k):\n"
            "        return super().dispatch(*a, **k)\n\n    def get(self, request, pk):\n"
            "        return Patient.objects.get(pk=pk)\n\n"
            "class ReadOnly(View):\n    @method_decorator(no_anonymous)\n    def get(self, request, pk):\n"
            "        return Patient.objects.get(pk=pk)\n\n"
            "class Demographics(ReadOnly):\n    template_name = 'demographics.html'\n\n"
            "class Half(View):\n    @method_decorator(login_required)\n    def post(self, request, pk):\n"
            "        Patient.objects.filter(pk=pk).delete()\n\n    def get(self, request, pk):\n"
            "        return Patient.objects.get(pk=pk)\n"),
    })
    views = {e["view"].rsplit(".", 1)[1]: e for e in _facts(tmp_path)["endpoints"]}
    assert views["Chart"]["reads"] == "any signed-in user" and views["Chart"]["evidence"] == ["login_required on dispatch()"]
    assert views["ReadOnly"]["reads"] == views["Demographics"]["reads"] == "any signed-in user"
    assert views["Demographics"]["evidence"] == ["no_anonymous on get()"]
    assert views["Half"]["reads"] == "anyone"
    # A generic edit view whose own post() is decorated still answers GET with Django's undecorated get().
    (tmp_path / "clinic" / "views.py").write_text(
        "from django.contrib.auth.decorators import login_required\nfrom django.utils.decorators import method_decorator\n"
        "from django.views.generic import UpdateView\nfrom clinic.models import Patient\n\n"
        "class Edit(UpdateView):\n    model = Patient\n    fields = ['mrn']\n\n    @method_decorator(login_required)\n"
        "    def post(self, request, *a, **k):\n        return super().post(request, *a, **k)\n")
    edit = next(e for e in _facts(tmp_path)["endpoints"] if e["view"] == "clinic.views.Edit")
    assert edit["reads"] == "anyone", edit


def test_decorators_built_by_a_project_factory_and_reached_through_super(tmp_path: Path) -> None:
    """`member_required = lambda view: _passes(view, is_member)`, where `_passes` sends anonymous users to the login
    page and answers 404 when the test fails, is `user_passes_test`'s shape: it authorizes. A view's own
    undecorated dispatch() that ends in `super().dispatch()` still runs the mixin's decorated one; one that does
    not call it replaces it."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/decorators.py": (
            "from functools import wraps\nfrom django.http import Http404, HttpResponseRedirect\n"
            "from django.utils.decorators import method_decorator\n\n"
            "def _passes(view_func, test):\n    @wraps(view_func)\n    def inner(request, *a, **k):\n"
            "        if not request.user.is_authenticated:\n            return HttpResponseRedirect('/login/')\n"
            "        if not test(request):\n            raise Http404()\n        return view_func(request, *a, **k)\n"
            "    return inner\n\n"
            "def is_member(request):\n    return request.org_membership is not None\n\n"
            "def member_required(view_func):\n    return _passes(view_func, is_member)\n\n"
            "class MemberMixin:\n    @method_decorator(member_required)\n    def dispatch(self, request, *a, **k):\n"
            "        return super().dispatch(request, *a, **k)\n"),
        "clinic/views.py": (
            "from django.views.generic import DetailView\nfrom clinic.decorators import MemberMixin, member_required\n"
            "from clinic.models import Patient\n\n"
            "@member_required\ndef chart(request, pk):\n    return Patient.objects.get(pk=pk)\n\n"
            "class Record(MemberMixin, DetailView):\n    model = Patient\n\n"
            "    def dispatch(self, request, *a, **k):\n        self.ward = request.GET.get('ward')\n"
            "        return super().dispatch(request, *a, **k)\n\n"
            "class Kiosk(MemberMixin, DetailView):\n    model = Patient\n\n"
            "    def dispatch(self, request, *a, **k):\n        return self.get(request, *a, **k)\n"),
        "clinic/urls.py": ("from django.urls import path\nfrom clinic import views\n\nurlpatterns = [\n"
                           "    path('chart/<int:pk>/', views.chart),\n    path('record/<int:pk>/', views.Record.as_view()),\n"
                           "    path('kiosk/<int:pk>/', views.Kiosk.as_view()),\n]\n"),
    })
    views = {e["view"].rsplit(".", 1)[1]: e for e in _facts(tmp_path)["endpoints"]}
    assert views["chart"]["reads"] == "authorized users", views["chart"]
    assert views["Record"]["reads"] == "authorized users", views["Record"]
    assert views["Kiosk"]["reads"] == "anyone", views["Kiosk"]


def test_a_decorator_sending_anonymous_users_anywhere_but_the_view_authenticates(tmp_path: Path) -> None:
    """A project decorator whose anonymous branch answers with a project helper's redirect (`return
    logout_redirect(request)`) never runs the view for strangers: a login. A dispatch() answering 403 when the
    caller's access test fails (`if not is_manager: return HttpResponse(status=403)`) authorizes."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/auth.py": (
            "from functools import wraps\n\n"
            "def logout_redirect(request):\n    return None\n\n"
            "def user_and_jwt(function):\n    @wraps(function)\n    def wrap(request, *args, **kwargs):\n"
            "        jwt = request.COOKIES.get('JWT')\n"
            "        if request.user.is_authenticated and jwt is not None:\n            return function(request, *args, **kwargs)\n"
            "        else:\n            return logout_redirect(request)\n    return wrap\n"),
        "clinic/views.py": (
            "from django.http import HttpResponse\nfrom django.utils.decorators import method_decorator\n"
            "from django.views import View\nfrom clinic.auth import user_and_jwt\nfrom clinic.models import Patient\n\n"
            "@user_and_jwt\ndef chart(request, pk):\n    return Patient.objects.get(pk=pk)\n\n"
            "@method_decorator(user_and_jwt, name='dispatch')\nclass Team(View):\n"
            "    def dispatch(self, request, *a, **k):\n        is_manager = request.session.get('manager')\n"
            "        if not is_manager:\n            return HttpResponse('Unauthorized', status=403)\n"
            "        return super().dispatch(request, *a, **k)\n\n    def get(self, request, pk):\n"
            "        return Patient.objects.get(pk=pk)\n"),
        "clinic/urls.py": ("from django.urls import path\nfrom clinic import views\n\nurlpatterns = [\n"
                           "    path('chart/<int:pk>/', views.chart),\n    path('team/<int:pk>/', views.Team.as_view()),\n]\n"),
    })
    views = {e["view"].rsplit(".", 1)[1]: e for e in _facts(tmp_path)["endpoints"]}
    assert views["chart"]["reads"] == "any signed-in user", views["chart"]
    assert views["Team"]["reads"] == "authorized users", views["Team"]


def test_a_model_on_a_plain_mixin_has_a_known_audit_mechanism(tmp_path: Path) -> None:
    """A base class of no base and no save()/delete() (`IndexableMixin` adding a property), or one whose save() only
    passes the write on and notifies (`PublishMixin`), records nothing: the model's audit is what its other bases
    say, not unknown. One whose save() writes other rows may be keeping a trail: unknown."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/mixins.py": "class IndexableMixin:\n    @property\n    def index_id(self):\n        return str(self.pk)\n\n"
                            "class PublishMixin:\n    def save(self, *a, **k):\n        super().save(*a, **k)\n"
                            "        self.publish()\n\n"
                            "class SavesNotes:\n    def save(self, *a, **k):\n        super().save(*a, **k)\n"
                            "        Note.objects.create(text=repr(self))\n",
        "clinic/models.py": "from django.db import models\nfrom clinic.mixins import IndexableMixin, PublishMixin, SavesNotes\n\n"
                            "class Individual(models.Model, IndexableMixin):\n    date_of_birth = models.DateField()\n\n"
                            "class Case(PublishMixin, models.Model):\n    date_of_birth = models.DateField()\n\n"
                            "class Sample(models.Model, SavesNotes):\n    mrn = models.CharField(max_length=9)\n",
    })
    models = {m["model"]: m for m in _facts(tmp_path)["patient_models"]}
    for known in ("clinic.models.Individual", "clinic.models.Case"):
        assert models[known]["audit"] is None
        assert "audit_unknown_because" not in models[known]
    assert models["clinic.models.Sample"]["audit_unknown_because"] == "base clinic.mixins.SavesNotes could not be read"


def test_a_practitioners_demographics_are_no_patients() -> None:
    """A directory of doctors has names, sexes and addresses too; the same fields on a guardian's record are a person's."""
    code = ("from django.db import models\n\nclass Doctor(models.Model):\n    family_name = models.CharField(max_length=99)\n"
            "    sex = models.CharField(max_length=1)\n    address = models.TextField()\n    email = models.EmailField()\n")
    assert lines(UnauditedPatientModel, code, path="clinic/doctors.py") == []
    assert lines(UnauditedPatientModel, code.replace("Doctor", "Guardian"), path="clinic/doctors.py") == [3]


def test_a_bare_name_with_a_sex_is_a_person_only_on_a_model_named_as_one() -> None:
    code = ("from django.db import models\n\nclass Hpo(models.Model):\n    name = models.CharField(max_length=99)\n"
            "    sex = models.CharField(max_length=8)\n    hpo_id = models.CharField(max_length=16)\n\n"
            "class Individual(models.Model):\n    name = models.CharField(max_length=99)\n"
            "    sex = models.CharField(max_length=8)\n")
    assert lines(UnauditedPatientModel, code, path="clinic/genetics.py") == [8]


def test_wardgate_facts_json_names_models_audit_endpoints_and_unknowns(tmp_path: Path) -> None:
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1] + "\nclass Visit(models.Model):\n"
                            "    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n",
        "clinic/admin.py": "from django.contrib import admin\nfrom reversion.admin import VersionAdmin\n"
                           "from clinic.models import Patient\n\n@admin.register(Patient)\nclass PA(VersionAdmin):\n    pass\n",
        "clinic/views.py": "from django.views.generic import DetailView\nfrom sso.mixins import SsoMixin\n"
                           "from clinic.models import Patient\n\nclass Chart(SsoMixin, DetailView):\n    model = Patient\n",
        "proj/__init__.py": "",
        "proj/settings.py": "MIDDLEWARE = ['reversion.middleware.RevisionMiddleware']\n",
    })
    facts = _facts(tmp_path)
    models = {m["model"]: m for m in facts["patient_models"]}
    assert models["clinic.models.Patient"]["audit"].startswith("reversion (VersionAdmin registration at clinic/admin.py")
    assert models["clinic.models.Visit"]["audit"] is None
    assert models["clinic.models.Visit"]["why"] == "patient links it to Patient"
    assert facts["settings"]["reversion_revision_middleware"] is True
    chart = next(e for e in facts["endpoints"] if e["view"] == "clinic.views.Chart")
    assert chart["reads"] == "unknown" and "sso.mixins.SsoMixin" in chart["unknown_because"]
    assert any(u["what"] == "access control of Chart" for u in facts["unknown"])
    text = subprocess.run([sys.executable, "-m", "wardgate", "facts", str(tmp_path)], capture_output=True, text=True, check=False)
    assert text.returncode == 0 and "Could not be resolved (1)" in text.stdout


def test_wardgate_facts_shows_what_each_handler_of_a_class_view_checks(tmp_path: Path) -> None:
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/views.py": """\
            from rest_framework.response import Response
            from rest_framework.views import APIView
            from clinic.models import Patient

            class PatientDetail(APIView):
                def get(self, request, pk):
                    if not request.user.has_perm("clinic.view_patient"):
                        return Response(status=403)
                    return Response({"nhs": Patient.objects.get(pk=pk).nhs_number})

                def put(self, request, pk):
                    Patient.objects.filter(pk=pk).update(nhs_number=request.data["nhs"])
                    return Response(status=204)

                def delete(self, request, pk):
                    if Patient.objects.filter(pk=pk, team__members=request.user).exists():
                        Patient.objects.filter(pk=pk).delete()
                    return Response(status=204)
            """,
        "proj/__init__.py": "",
        "proj/settings.py": "REST_FRAMEWORK = {'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated']}\n",
    })
    detail = next(e for e in _facts(tmp_path)["endpoints"] if e["view"] == "clinic.views.PatientDetail")
    assert detail["handlers"] == {"delete": "any signed-in user (then a test of the user wardgate does not read)",
                                  "get": "authorized users", "put": "any signed-in user"}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, code in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(dedent(code), encoding="utf-8")


def _facts(root: Path) -> dict:
    run = subprocess.run([sys.executable, "-m", "wardgate", "facts", str(root), "--format", "json"],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def test_workflow_rows_are_not_clinical_records_but_links_to_clinical_concepts_are() -> None:
    code = ("from django.db import models\n\nclass StateChange(models.Model):\n"
            "    patient = models.ForeignKey('clinic.Patient', on_delete=models.CASCADE)\n"
            "    state = models.CharField(max_length=1, choices=[('i', 'in'), ('o', 'out')])\n"
            "    time = models.DateTimeField()\n\n"
            "class PatientAllergy(models.Model):\n    patient = models.ForeignKey('clinic.Patient', on_delete=models.CASCADE)\n"
            "    allergy = models.ForeignKey('Allergy', on_delete=models.PROTECT)\n    noted = models.DateField()\n\n"
            "class Allergy(models.Model):\n    name = models.CharField(max_length=80, unique=True)\n\n"
            "class BpReading(models.Model):\n    patient = models.ForeignKey('clinic.Patient', on_delete=models.CASCADE)\n"
            "    systolic = models.PositiveSmallIntegerField()\n    taken = models.DateTimeField()\n")
    # (the project audits its patients, so each patient table without a trail is a gap of its own)
    audited = ("clinic/audit.py", ("from auditlog.registry import auditlog\nfrom clinic.models import Patient\n"
               "auditlog.register(Patient)\n"))
    assert lines(UnauditedPatientModel, code, audited, path="clinic/records.py") == [8, 16]
    # With no audit anywhere, a table that is patient data only by its link (BpReading) is named in the patient
    # model's finding instead; PatientAllergy is named for the patient's record itself.
    assert lines(UnauditedPatientModel, code, path="clinic/records.py") == [8]


def test_bases_from_installed_packages_are_read_from_the_projects_environment(tmp_path: Path) -> None:
    site = ".venv/lib/python3.11/site-packages"
    files = {
        "clinic/__init__.py": "",
        "clinic/models.py": "from django.db import models\nfrom trialkit.models import CrfModel\n\n"
                            "class Vitals(CrfModel):\n    weight = models.DecimalField(max_digits=5, decimal_places=1)\n"
                            "    patient = models.ForeignKey('Patient', on_delete=models.CASCADE)\n\n"
                            "class Patient(models.Model):\n    mrn = models.CharField(max_length=9)\n",
        "clinic/views.py": "from django.views.generic import DetailView\nfrom hospital_auth import WardStaffMixin\n"
                           "from clinic.models import Patient\n\nclass Chart(WardStaffMixin, DetailView):\n    model = Patient\n",
        f"{site}/hospital_auth/__init__.py": "from .mixins import WardStaffMixin\n",
        f"{site}/hospital_auth/mixins.py": "from django.core.exceptions import PermissionDenied\n\n"
                                           "class WardStaffMixin:\n    def dispatch(self, request, *a, **k):\n"
                                           "        if not request.user.groups.filter(name='ward').exists():\n"
                                           "            raise PermissionDenied\n        return super().dispatch(request, *a, **k)\n",
        f"{site}/trialkit/__init__.py": "",
        f"{site}/trialkit/models.py": "from django.db import models\nfrom simple_history.models import HistoricalRecords\n\n"
                                      "class CrfModel(models.Model):\n    history = HistoricalRecords(inherit=True)\n\n"
                                      "    class Meta:\n        abstract = True\n",
    }
    _write(tmp_path, files)
    facts = _facts(tmp_path)
    chart = next(e for e in facts["endpoints"] if e["view"] == "clinic.views.Chart")
    assert chart["reads"] == "authorized users", chart
    vitals = next(m for m in facts["patient_models"] if m["model"] == "clinic.models.Vitals")
    assert vitals["audit"].startswith("simple-history"), vitals
    assert facts["settings"]["environment"] and facts["unknown"] == []

    import shutil

    shutil.rmtree(tmp_path / ".venv")  # no environment: both are unknown, and nothing is claimed
    facts = _facts(tmp_path)
    chart = next(e for e in facts["endpoints"] if e["view"] == "clinic.views.Chart")
    assert chart["reads"] == "unknown"
    assert {u["what"] for u in facts["unknown"]} == {"access control of Chart", "audit of Vitals"}


def test_finding_names_the_route_through_includes_and_routers_and_why_it_is_open() -> None:
    viewset = ("from rest_framework import viewsets\nfrom clinic.models import Patient\n\n"
               "class Patients(viewsets.ReadOnlyModelViewSet):\n    queryset = Patient.objects.all()\n")
    router = ("clinic/urls.py", ("from rest_framework.routers import DefaultRouter\nfrom django.urls import include, path\n"
              "from clinic.api import Patients\n\nrouter = DefaultRouter()\nrouter.register(r'patients', Patients)\n"
              "urlpatterns = [path('v1/', include(router.urls))]\n"))
    root = ("proj/urls.py", "from django.urls import include, path\n\nurlpatterns = [path('api/', include('clinic.urls'))]\n")
    [finding] = run_example(UnauthenticatedPatientView, Valid(viewset, path="clinic/api.py", files=(MODELS, router, root)))
    assert "at /api/v1/patients/" in finding.message
    assert "DRF's default is AllowAny" in finding.message


def test_a_nested_route_of_drf_extensions_is_served_by_its_parent_router() -> None:
    """`patients = router.register(...)` then `patients.register("contacts", ...)` (drf-extensions): the nested
    viewset sits in `router`'s registry, which the URLconf includes; it is no dead registration."""
    viewset = ("from rest_framework import viewsets\nfrom clinic.models import Patient\n\n"
               "class Patients(viewsets.ReadOnlyModelViewSet):\n    queryset = Patient.objects.all()\n\n"
               "class Contacts(viewsets.ReadOnlyModelViewSet):\n    queryset = Patient.objects.all()\n")
    router = ("clinic/urls.py", ("from rest_framework_extensions.routers import ExtendedDefaultRouter\n"
              "from django.urls import include, path\nfrom clinic.api import Contacts, Patients\n\n"
              "router = ExtendedDefaultRouter()\npatients = router.register(r'patients', Patients)\n"
              "patients.register(r'contacts', Contacts, parents_query_lookups=['patient'])\n"
              "urlpatterns = [path('api/', include(router.urls))]\n"))
    found = run_example(UnauthenticatedPatientView, Valid(viewset, path="clinic/api.py", files=(MODELS, router)))
    assert [f.start_line for f in found] == [4, 7]


def test_check_reports_what_it_could_not_resolve_once(tmp_path: Path) -> None:
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/views.py": "from django.views.generic import DetailView, UpdateView\nfrom sso.mixins import SsoMixin\n"
                           "from clinic.models import Patient\n\nclass Chart(SsoMixin, DetailView):\n    model = Patient\n\n"
                           "class Edit(SsoMixin, UpdateView):\n    model = Patient\n    fields = ['mrn']\n",
    })
    run = subprocess.run([sys.executable, "-m", "wardgate", "check", str(tmp_path), "--format", "json", "--no-llm",
                          "--no-cache", "--select", "WG"], capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    notes = [f for f in report["findings"] if f["rule_id"] == "WG020"]
    assert len(notes) == 1 and notes[0]["severity"] == "info"
    assert "could not resolve 2 fact(s)" in notes[0]["message"] and "SsoMixin" in notes[0]["message"]
    assert not [f for f in report["findings"] if f["rule_id"] in ("WG301", "WG302")]


def test_a_project_without_any_patient_model_is_told_so_rather_than_passed_in_silence(tmp_path: Path) -> None:
    """Patient records kept in a JSON field of a generic `Submission`: no model is recognised as patient data, so the
    patient-data checks judged nothing, and the run says so once (WG020, not gating) naming `patient_models`. A
    declared patient model makes the note go away."""
    _write(tmp_path, {
        "forms/__init__.py": "",
        "forms/models.py": ("from django.db import models\n\nclass Submission(models.Model):\n"
                            "    json = models.JSONField()\n    created_at = models.DateTimeField(auto_now_add=True)\n"),
    })

    def notes() -> list[dict]:
        run = subprocess.run([sys.executable, "-m", "wardgate", "check", str(tmp_path), "--format", "json", "--no-llm",
                              "--no-cache", "--select", "WG"], capture_output=True, text=True, check=False)
        return [f for f in json.loads(run.stdout)["findings"] if f["rule_id"] == "WG020"]

    found = notes()
    assert len(found) == 1 and found[0]["severity"] == "info" and found[0]["path"] == "forms/models.py"
    assert "none of the project's 1 models" in found[0]["message"] and "patient_models" in found[0]["message"]
    (tmp_path / "wardgate.toml").write_text('[domain]\npatient_models = ["Submission"]\n')
    assert notes() == []


def test_views_routed_only_when_debug_is_on_are_development_endpoints() -> None:
    urls = ("proj/urls.py", ("from django.conf import settings\nfrom django.urls import path\nfrom clinic import views\n\n"
            "urlpatterns = []\nif settings.DEBUG:\n    urlpatterns += [path('p/<int:pk>/', views.chart)]\n"))
    always = ("proj/urls.py", ("from django.urls import path\nfrom clinic import views\n\n"
              "urlpatterns = [path('p/<int:pk>/', views.chart)]\n"))
    assert lines(UnauthenticatedPatientView, VIEW, urls) == []
    assert lines(UnauthenticatedPatientView, VIEW, always) == [3]


def test_routes_through_star_imports_view_keywords_and_package_reexports_name_the_route() -> None:
    """`from clinic.views import *` in urls.py, `path("p/", view=chart)`, and a view routed by its
    package's re-export (`clinic.views.chart` for `clinic/views/chart.py`) are all the same endpoint."""
    view = VIEW
    star = ("proj/urls.py", ("from django.urls import path\nfrom clinic.views import *\n\n"
            "urlpatterns = [path('charts/<int:pk>/', chart)]\n"))
    keyword = ("proj/urls.py", ("from django.urls import path\nfrom clinic.views import chart\n\n"
               "urlpatterns = [path('charts/<int:pk>/', view=chart)]\n"))
    for urls in (star, keyword):
        [finding] = run_example(UnauthenticatedPatientView, Valid(view, path="clinic/views.py", files=(MODELS, urls)))
        assert "/charts/<int:pk>/" in finding.message
    package = ("clinic/views/__init__.py", "from .chart import chart\n")
    [finding] = run_example(UnauthenticatedPatientView, Valid(view, path="clinic/views/chart.py",
                                                              files=(MODELS, package, keyword)))
    assert "/charts/<int:pk>/" in finding.message
    # A star import of a module that does not define the name routes nothing: how requests reach the function is
    # then unknown (a dispatcher wardgate cannot follow may call it), and no gating finding rests on it.
    other = ("proj/urls.py", ("from django.urls import path\nfrom wards.views import *\n\n"
             "urlpatterns = [path('charts/<int:pk>/', chart)]\n"))
    assert run_example(UnauthenticatedPatientView, Valid(view, path="clinic/views.py", files=(MODELS, other))) == []


def test_old_style_patterns_route_their_views(tmp_path: Path) -> None:
    """Django < 1.10 URLconfs: `patterns(prefix, (regex, view, kwargs, name), ...)`, views by reference or by a dotted
    string the prefix completes."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": MODELS[1],
        "clinic/views.py": VIEW + "\ndef index(request):\n    return Patient.objects.get(pk=1)\n",
        "clinic/urls.py": "from django.conf.urls import patterns\nfrom clinic import views\n\n"
                          "urlpatterns = patterns('',\n    (r'^chart/(?P<pk>\\d+)/$', views.chart, {}, 'chart'),\n)\n"
                          "urlpatterns += patterns('clinic.views',\n    (r'^$', 'index'),\n)\n",
    })
    views = {e["view"]: e for e in _facts(tmp_path)["endpoints"]}
    assert views["clinic.views.chart"]["route"] == "/chart/(?P<pk>\\d+)/" and views["clinic.views.chart"]["reads"] == "anyone"
    assert views["clinic.views.index"]["route"] == "/"


def test_open_self_registration_matters_only_where_login_is_all_the_authorization() -> None:
    from checks.domain.unauthenticated_account_change import UnauthenticatedAccountChange

    urls = ("proj/urls.py", ("from django.urls import include, re_path\n\n"
            "urlpatterns = [re_path(r'^accounts/', include('registration.backends.simple.urls'))]\n"))
    settings = "SECRET_KEY = ''\nREGISTRATION_OPEN = True\n"
    closed = "REGISTRATION_OPEN = False\n"
    assert lines(UnauthenticatedAccountChange, settings, urls, path="proj/settings.py") == [2]
    assert lines(UnauthenticatedAccountChange, closed, urls, path="proj/settings.py") == []
    assert lines(UnauthenticatedAccountChange, "from django.urls import include, re_path\n\n"
                 "urlpatterns = [re_path(r'^accounts/', include('registration.backends.simple.urls'))]\n",
                 path="proj/urls.py") == [3]  # left at its default: open
    roles = ("clinic/api.py", ("from rest_framework.permissions import DjangoModelPermissions\n\n"
             "class Charts:\n    permission_classes = [DjangoModelPermissions]\n"))
    assert lines(UnauthenticatedAccountChange, settings, urls, roles, path="proj/settings.py") == []
    assert lines(UnauthenticatedAccountChange, settings, path="proj/settings.py") == []  # not routed


def test_open_allauth_sign_up_makes_a_login_only_patient_view_open_to_anyone() -> None:
    """django-allauth routed with an adapter whose is_open_for_signup() returns ACCOUNT_ALLOW_REGISTRATION = True:
    anyone can create an account, so a patient view checking only the login is open to anyone (WG301) in a project
    that checks permissions elsewhere; in one that checks none, it is one finding where sign-up opens (WG304). A
    setting read from the environment is decided at deploy time: no finding."""
    from checks.domain.unauthenticated_account_change import UnauthenticatedAccountChange

    urls = ("proj/urls.py", ("from django.urls import include, path\nfrom clinic.views import chart\n\n"
            "urlpatterns = [path('accounts/', include('allauth.urls')), path('chart/<int:pk>/', chart)]\n"))
    adapter = ("users/adapters.py", ("from allauth.account.adapter import DefaultAccountAdapter\nfrom django.conf import settings\n\n"
               "class AccountAdapter(DefaultAccountAdapter):\n    def is_open_for_signup(self, request):\n"
               "        return getattr(settings, 'ACCOUNT_ALLOW_REGISTRATION', True)\n"))
    settings = "ACCOUNT_ADAPTER = 'users.adapters.AccountAdapter'\nACCOUNT_ALLOW_REGISTRATION = {}\n"
    roles = ("clinic/api.py", ("from rest_framework.permissions import DjangoModelPermissions\n\n"
             "class Charts:\n    permission_classes = [DjangoModelPermissions]\n"))
    view = "from django.contrib.auth.decorators import login_required\n" + VIEW.replace("def chart", "@login_required\ndef chart")
    for value, found in (("True", [5]), ("False", []), ("env.bool('ALLOW_SIGNUP', True)", [])):
        assert lines(UnauthenticatedPatientView, view, urls, adapter, roles,
                     ("proj/settings.py", settings.format(value))) == found, value
    assert lines(UnauthenticatedPatientView, view, urls, roles, ("proj/settings.py", "DEBUG = False\n")) == [5]  # default adapter
    rest_auth = (urls[0], urls[1].replace("allauth.urls", "rest_auth.registration.urls"))  # the API's sign-up
    assert lines(UnauthenticatedPatientView, view, rest_auth, roles, ("proj/settings.py", "DEBUG = False\n")) == [5]
    assert lines(UnauthenticatedPatientView, view, urls, adapter, ("proj/settings.py", settings.format("True"))) == []
    assert lines(UnauthenticatedAccountChange, settings.format("True"), urls, adapter, path="proj/settings.py") == [2]


def test_decorators_made_by_a_project_factory_at_module_level_guard_like_the_factory(tmp_path: Path) -> None:
    factory = ("from django.contrib.auth.decorators import login_required, user_passes_test\n\n"
               "def passes_test(test):\n    def decorator(view):\n"
               "        return login_required(user_passes_test(test)(view))\n    return decorator\n\n"
               "analyst_required = passes_test(lambda u: u.is_analyst)\n")
    plain = ("def passes_test(test):\n    def decorator(view):\n        return view\n"
             "    return decorator\n\nanalyst_required = passes_test(lambda u: u.is_analyst)\n")
    for perms, reads in ((factory, "authorized users"), (plain, "unknown")):
        _write(tmp_path, {
            "clinic/models.py": MODELS[1], "core/perms.py": perms,
            "clinic/views.py": "from core.perms import analyst_required\nfrom clinic.models import Patient\n\n"
                               "@analyst_required\ndef chart(request, pk):\n    return Patient.objects.get(pk=pk)\n",
        })
        chart = next(e for e in _facts(tmp_path)["endpoints"] if e["view"] == "clinic.views.chart")
        assert chart["reads"] == reads  # a plain decorator named like access control stays unknown


def test_a_request_audit_decorator_on_three_views_is_the_projects_audit_convention(tmp_path: Path) -> None:
    files = {
        "clinic/models.py": MODELS[1] + "\nclass RequestLog(models.Model):\n    user = models.CharField(max_length=64)\n",
        "common/decorators.py": "from clinic.models import RequestLog\n\ndef log_request(func):\n"
                                "    def wrapper(view, request, *args, **kwargs):\n"
                                "        RequestLog(user=request.user.username).save()\n"
                                "        return func(view, request, *args, **kwargs)\n    return wrapper\n",
        "clinic/views.py": "from common.decorators import log_request\n\nclass Charts:\n" + "".join(
            f"    @log_request\n    def {m}(self, request):\n        pass\n\n" for m in ("get", "post", "put")),
    }
    _write(tmp_path, files)
    assert _facts(tmp_path)["settings"]["request_audit_decorators"] == {
        "log_request": "records requests in RequestLog, wraps 3 functions"}
    files["clinic/views.py"] = files["clinic/views.py"].replace("    @log_request\n    def put", "    def put")
    _write(tmp_path, files)
    assert _facts(tmp_path)["settings"]["request_audit_decorators"] is None  # two uses are not yet a convention


def test_a_view_changes_data_through_the_services_and_celery_tasks_it_calls() -> None:
    # ForgetContactView only enqueues a canvas whose second task rewrites rows: it changes data, with login
    # only, where every other view of the module needs a model permission.
    tasks = ("hub/tasks.py", """\
        from celery import shared_task
        from hub.models import Registration

        @shared_task
        def lookup(contact_id):
            return contact_id

        @shared_task
        def scrub(contact_id):
            Registration.objects.filter(contact_id=contact_id).update(id_number="")

        forget_contact = lookup.s() | scrub.s()
        """)
    views = dedent("""\
        from rest_framework import generics, permissions, viewsets
        from hub.models import Registration
        from hub.tasks import forget_contact

        class ForgetContactView(generics.GenericAPIView):
            permission_classes = (permissions.IsAuthenticated,)

            def post(self, request):
                forget_contact.apply_async(args=[request.data["contact_id"]])

        class AView(viewsets.ModelViewSet):
            queryset = Registration.objects.all()
            permission_classes = (permissions.DjangoModelPermissions,)

        class BView(viewsets.ModelViewSet):
            queryset = Registration.objects.all()
            permission_classes = (permissions.DjangoModelPermissions,)

        class CView(viewsets.ModelViewSet):
            queryset = Registration.objects.all()
            permission_classes = (permissions.DjangoModelPermissions,)
        """)
    models = ("hub/models.py", ("from django.db import models\n\nclass Registration(models.Model):\n"
              "    contact_id = models.CharField(max_length=36)\n    id_number = models.CharField(max_length=13)\n"))
    found = run_example(MissingSiblingGuard, Valid(views, path="hub/views.py", files=(models, tasks)))
    assert [f.start_line for f in found] == [5]
    assert "changes data with login only" in found[0].message
    idle = tasks[1].replace('Registration.objects.filter(contact_id=contact_id).update(id_number="")', "return None")
    assert run_example(MissingSiblingGuard, Valid(views, path="hub/views.py", files=(models, ("hub/tasks.py", idle)))) == []


def test_fields_of_an_abstract_base_make_the_subclass_patient_data() -> None:
    """Django copies an abstract model's fields into each subclass; a swappable FK names its default model."""
    models = ("trial/models.py", (
        "import swapper\nfrom django.db import models\n\nclass BaseParticipant(models.Model):\n"
        "    birthdate = models.DateField()\n\n    class Meta:\n        abstract = True\n\n"
        "class Participant(BaseParticipant):\n    pass\n\nclass Visit(models.Model):\n"
        "    participant = models.ForeignKey(swapper.get_model_name('trial', 'Participant'), models.CASCADE)\n"))
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))
    # (no audit anywhere: the visits linked to the participant are named in its finding)
    assert [f.start_line for f in found] == [10] and "model linked to it (Visit)" in found[0].message
    concrete = models[1].replace("        abstract = True\n", "        ordering = ['birthdate']\n")
    # A concrete parent keeps its fields in its own table: the parent is reported, not the subclass.
    assert 10 not in [f.start_line for f in run_example(UnauditedPatientModel, Valid(concrete, path=models[0]))]


def test_a_staff_profile_sharing_the_person_base_is_not_patient_data() -> None:
    models = ("clinic/models.py", (
        "from django.contrib.auth import get_user_model\nfrom django.db import models\n\n"
        "class Person(models.Model):\n    first_name = models.CharField(max_length=50)\n"
        "    gender = models.CharField(max_length=1)\n\n    class Meta:\n        abstract = True\n\n"
        "class Provider(Person):\n    user = models.OneToOneField(get_user_model(), on_delete=models.PROTECT)\n\n"
        "class Patient(Person):\n    pass\n"))
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))
    assert [f.start_line for f in found] == [14]  # Patient; Provider is a user's profile


def test_an_exempt_entry_that_would_match_every_path_exempts_no_view() -> None:
    """`EXCLUDE_FROM_LOGIN = ["", "/"]` read as `path in settings.EXCLUDE_FROM_LOGIN`: exact paths, not prefixes."""
    gate = ("core/mw.py", ("from django.conf import settings\nfrom django.contrib.auth.decorators import login_required\n\n"
            "class LoginRequired(object):\n    def process_view(self, request, view_func, view_args, view_kwargs):\n"
            "        if request.get_full_path() in settings.EXCLUDE_FROM_LOGIN:\n            return None\n"
            "        return login_required(view_func)(request, *view_args, **view_kwargs)\n"))
    urls = ("proj/urls.py", ("from django.urls import path\nfrom clinic import views\n\n"
            "urlpatterns = [path('p/<int:pk>/', views.chart)]\n"))
    settings = "MIDDLEWARE_CLASSES = ['core.mw.LoginRequired']\nEXCLUDE_FROM_LOGIN = {}\n"
    assert lines(UnauthenticatedPatientView, VIEW, gate, urls, ("proj/settings.py", settings.format("['', '/']"))) == []
    assert lines(UnauthenticatedPatientView, VIEW, gate, urls, ("proj/settings.py", settings.format("['p/']"))) == [3]


def test_a_kind_of_event_specific_to_one_sex_is_not_a_person() -> None:
    event = ("reminders/models.py", ("from django.db import models\n\nclass Event(models.Model):\n"
             "    name = models.CharField(max_length=255)\n    slug = models.CharField(max_length=255)\n"
             "    gender = models.CharField(max_length=1, blank=True)\n"))
    assert run_example(UnauditedPatientModel, Valid(event[1], path=event[0])) == []
    no_slug = event[1].replace("    slug = models.CharField(max_length=255)\n", "")
    assert run_example(UnauditedPatientModel, Valid(no_slug, path=event[0])) == []  # a bare name: not a person's
    person = no_slug.replace("class Event(", "class Mother(")
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(person, path=event[0]))] == [3]


def test_a_session_timeout_middleware_that_only_logs_out_signed_in_users_is_no_gate() -> None:
    timeout = ("core/mw.py", ("from django.contrib.auth import logout\nfrom django.shortcuts import redirect\n\n"
               "class SessionTimeoutMiddleware:\n    def __init__(self, get_response):\n"
               "        self.get_response = get_response\n\n    def __call__(self, request):\n"
               "        if hasattr(request, 'user') and request.user.is_authenticated:\n"
               "            if idle(request):\n                logout(request)\n                return redirect('login')\n"
               "        return self.get_response(request)\n"))
    installed = ("proj/settings.py", "MIDDLEWARE = ['core.mw.SessionTimeoutMiddleware']\n")
    assert lines(UnauthenticatedPatientView, VIEW, timeout, installed) == [3]  # anonymous requests pass straight on
    gate = (timeout[0], timeout[1].replace("request.user.is_authenticated:", "not request.user.is_authenticated:"))
    assert lines(UnauthenticatedPatientView, VIEW, gate, installed) == []


def test_a_middleware_that_returns_for_signed_in_users_and_redirects_everyone_else_is_a_gate() -> None:
    """Two-factor middlewares: signed-in, verified users return early; an anonymous request skips that branch and
    meets the redirect to the login page after it."""
    two_factor = ("core/mw.py", ("from django.shortcuts import redirect\nfrom django.utils.deprecation import MiddlewareMixin\n\n"
                  "class TwoStageAuthenticationRequired(MiddlewareMixin):\n    def process_request(self, request):\n"
                  "        if request.user.is_authenticated:\n            if request.user.is_verified():\n"
                  "                return\n            return redirect('two-factor-setup')\n"
                  "        return redirect('/accounts/login/')\n"))
    installed = ("proj/settings.py", "MIDDLEWARE = ['core.mw.TwoStageAuthenticationRequired']\n")
    assert lines(UnauthenticatedPatientView, VIEW, two_factor, installed) == []
    passes = (two_factor[0], two_factor[1].replace("        return redirect('/accounts/login/')\n", "        return None\n"))
    assert lines(UnauthenticatedPatientView, VIEW, passes, installed) == [3]  # anonymous requests go on to the view


def test_fields_of_every_abstract_ancestor_count_however_many_mixins_a_model_has() -> None:
    """EDC consent models combine a dozen field mixins; the birth date sits in a base of the last of them."""
    mixins = "".join(f"class Mixin{i}(models.Model):\n    f{i} = models.TextField()\n\n    class Meta:\n"
                     f"        abstract = True\n\n\n" for i in range(12))
    code = ("from django.db import models\n\n\nclass BaseFields(models.Model):\n    dob = models.DateField()\n\n"
            "    class Meta:\n        abstract = True\n\n\n" + mixins +
            "class PersonalFields(BaseFields):\n    initials = models.CharField(max_length=3)\n\n"
            "    class Meta:\n        abstract = True\n\n\n"
            f"class Consent({', '.join(f'Mixin{i}' for i in range(12))}, PersonalFields):\n"
            "    consent_datetime = models.DateTimeField()\n")
    line = code.splitlines().index(next(x for x in code.splitlines() if x.startswith("class Consent("))) + 1
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(code, path="trial/models.py"))] == [line]


def test_a_staff_accounts_birth_date_does_not_make_it_a_patient_record() -> None:
    profile = ("staff/models.py", ("from django.contrib.auth.models import User\nfrom django.db import models\n\n"
               "class Profile(models.Model):\n    user = models.OneToOneField(User, on_delete=models.CASCADE)\n"
               "    department = models.CharField(max_length=80)\n    dob = models.DateField(null=True)\n"))
    assert run_example(UnauditedPatientModel, Valid(profile[1], path=profile[0])) == []
    portal = profile[1].replace("class Profile(", "class PatientProfile(")  # the name says whose account it is
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(portal, path=profile[0]))] == [4]
    with_mrn = profile[1].replace("    dob = models.DateField(null=True)\n", "    mrn = models.CharField(max_length=9)\n")
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(with_mrn, path=profile[0]))] == [4]


def test_a_consultation_room_is_a_place_and_a_booked_slot_is_patient_data() -> None:
    models = ("clinic/models.py", ("from django.db import models\n\nclass ConsultationRoom(models.Model):\n"
              "    name = models.CharField(max_length=50)\n\nclass Patient(models.Model):\n"
              "    mrn = models.CharField(max_length=9)\n\nclass AppointmentSlot(models.Model):\n"
              "    starts = models.DateTimeField()\n    reason = models.TextField()\n"
              "    patient = models.ForeignKey(Patient, null=True, on_delete=models.SET_NULL)\n"))
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))
    # (no audit anywhere: the slot, patient data by its link, is named in the patient's finding)
    assert [f.start_line for f in found] == [6] and "model linked to it (AppointmentSlot)" in found[0].message


def test_a_lab_result_of_statuses_and_links_is_still_a_clinical_record() -> None:
    """Enumerations are a lab result's clinical content; a station-change row of the same shape is bookkeeping."""
    models = ("lab/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
              "    mrn = models.CharField(max_length=9)\n\nclass LabResult(models.Model):\n"
              "    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n"
              "    overall_status = models.CharField(max_length=20, choices=[('normal', 'Normal')])\n"))
    assert sorted(f.start_line for f in run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))) == [3, 6]
    station = models[1].replace("LabResult", "StationChange")
    assert sorted(f.start_line for f in run_example(UnauditedPatientModel, Valid(station, path=models[0]))) == [3]


def test_login_everywhere_packages_gate_every_view_except_their_public_paths_and_decorators() -> None:
    """django-global-login-required: PUBLIC_PATHS (regexes on the path) and `@login_not_required` let views out."""
    urls = ("proj/urls.py", ("from django.urls import path\nfrom clinic import views\n\n"
            "urlpatterns = [path('patients/<int:pk>/', views.chart)]\n"))
    settings = "MIDDLEWARE = ['global_login_required.GlobalLoginRequiredMiddleware']\nPUBLIC_PATHS = {}\n"
    assert lines(UnauthenticatedPatientView, VIEW, urls, ("proj/settings.py", settings.format("['^/about/']"))) == []
    assert lines(UnauthenticatedPatientView, VIEW, urls, ("proj/settings.py", settings.format("['^/patients/']"))) == [3]
    public = "from global_login_required import login_not_required\n" + VIEW.replace("def chart", "@login_not_required\ndef chart")
    assert lines(UnauthenticatedPatientView, public, urls, ("proj/settings.py", settings.format("[]"))) == [5]
    stronghold = ("proj/settings.py", "MIDDLEWARE = ['stronghold.middleware.LoginRequiredMiddleware']\n")
    assert lines(UnauthenticatedPatientView, VIEW, urls, stronghold) == []
    public = "from stronghold.decorators import public\n" + VIEW.replace("def chart", "@public\ndef chart")
    assert lines(UnauthenticatedPatientView, public, urls, stronghold) == [5]


def test_a_login_middleware_from_a_package_wardgate_cannot_read_makes_authentication_unknown(tmp_path: Path) -> None:
    """`cardinal_pythonlib.django.middleware.LoginRequiredMiddleware`: not in the library table, not installed here."""
    installed = ("proj/settings.py", "MIDDLEWARE = ['somelib.middleware.LoginRequiredMiddleware']\n")
    other = ("proj/settings.py", "MIDDLEWARE = ['somelib.middleware.GzipEverything']\n")
    otp = ("proj/settings.py", "MIDDLEWARE = ['django_otp.middleware.OTPMiddleware']\n")  # declared: gates nothing
    assert lines(UnauthenticatedPatientView, VIEW, installed) == []
    assert lines(UnauthenticatedPatientView, VIEW, other) == [3]
    assert lines(UnauthenticatedPatientView, VIEW, otp) == [3]
    by_address = ("proj/settings.py", "MIDDLEWARE = ['iprestrict.middleware.IPRestrictMiddleware']\n")  # no account
    assert lines(UnauthenticatedPatientView, VIEW, by_address) == [3]
    _write(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS[1], "clinic/views.py": VIEW,
                      "proj/__init__.py": "", "proj/settings.py": installed[1]})
    facts = _facts(tmp_path)
    assert facts["settings"]["login_middleware"].startswith("unknown")
    assert any("somelib.middleware.LoginRequiredMiddleware" in u["what"] for u in facts["unknown"])


def test_an_app_installed_through_its_appconfig_class_is_installed() -> None:
    """`INSTALLED_APPS = ["config.apps.ClinicConfig"]` whose `name = "clinic"`: the views of `clinic` are served."""
    apps = ("config/apps.py", "from django.apps import AppConfig\n\nclass ClinicConfig(AppConfig):\n    name = 'clinic'\n")
    installed = ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'config.apps.ClinicConfig']\n")
    assert lines(UnauthenticatedPatientView, VIEW, apps, installed) == [3]
    other = (apps[0], apps[1].replace("'clinic'", "'billing'"))
    assert lines(UnauthenticatedPatientView, VIEW, other, installed) == []  # clinic is not installed: unreachable


def test_a_project_method_that_checks_the_users_access_to_the_row_restricts_the_view() -> None:
    """`Patient.get_for_user(request.user, pk)` on a project mixin that raises PermissionDenied: an object check."""
    mixin = ("core/perms.py", ("from django.core.exceptions import PermissionDenied\n\nclass Guarded:\n"
             "    @classmethod\n    def get_for_user(cls, user, pk):\n        obj = cls.objects.get(pk=pk)\n"
             "        obj.check_can_view(user)\n        return obj\n\n"
             "    def check_can_view(self, user):\n        if not user.has_perm('view', self):\n"
             "            raise PermissionDenied()\n"))
    checked = "from clinic.models import Patient\n\ndef chart(request, pk):\n    return Patient.get_for_user(request.user, pk)\n"
    assert lines(UnauthenticatedPatientView, checked, mixin) == []
    lax = (mixin[0], mixin[1].replace("        if not user.has_perm('view', self):\n            raise PermissionDenied()\n",
                                      "        return True\n"))
    assert lines(UnauthenticatedPatientView, checked, lax) == [3]


def test_a_view_calling_a_mixins_access_check_for_its_effect_authorizes() -> None:
    """`self.security_check(user, patient)` as a statement: a method of the user's access that raises PermissionDenied."""
    mixin = ("core/security.py", ("from django.core.exceptions import PermissionDenied\n\nclass SecurityMixin:\n"
             "    def security_check(self, user, patient):\n        if patient.clinician_id != user.pk:\n"
             "            raise PermissionDenied()\n"))
    view = ("from django.contrib.auth.decorators import login_required\nfrom django.utils.decorators import "
            "method_decorator\nfrom django.views import View\nfrom clinic.models import Patient\n"
            "from core.security import SecurityMixin\n\nclass Verify(View, SecurityMixin):\n"
            "    @method_decorator(login_required)\n    def post(self, request, pk):\n"
            "        patient = Patient.objects.get(pk=pk)\n        self.security_check(request.user, patient)\n"
            "        patient.save()\n")
    assert lines(UnauthorizedPatientWrite, view, mixin) == []
    unchecked = view.replace("        self.security_check(request.user, patient)\n", "")
    assert lines(UnauthorizedPatientWrite, unchecked, mixin) == [7]


def test_lookups_and_schemas_named_after_a_patient_attribute_are_not_patient_records() -> None:
    """`PatientSex(sex)` is the list of sexes and `PatientProjectsFields` the fields a project asks for; the patient's
    own rows (here `PatientCore`, which links to both) hold the values."""
    models = ("core/models.py", ("from django.db import models\n\nclass PatientSex(models.Model):\n"
              "    sex = models.CharField(max_length=16)\n\nclass PatientProjectsFields(models.Model):\n"
              "    project_field_name = models.CharField(max_length=50)\n\nclass PatientCore(models.Model):\n"
              "    patient_code = models.CharField(max_length=255)\n"
              "    sex = models.ForeignKey(PatientSex, on_delete=models.CASCADE)\n"))
    assert sorted(f.start_line for f in run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))) == [9]
    record = models[1].replace("PatientSex", "PatientSexHistory").replace("PatientProjectsFields", "PatientProjectsEntry")
    assert sorted(f.start_line for f in run_example(UnauditedPatientModel, Valid(record, path=models[0]))) == [3, 6, 9]


def test_a_models_own_audit_method_audits_that_model_only_and_its_log_is_the_trail() -> None:
    """`Query.audit()` writing QueryAudit rows (CRATE): Query is audited where the code that changes it calls it;
    other patient models are not, and QueryAudit, the trail itself, is no patient record to audit."""
    models = ("research/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
              "    nhs_number = models.CharField(max_length=10)\n\nclass Query(models.Model):\n"
              "    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n\n"
              "    def audit(self):\n        QueryAudit.objects.create(query=self)\n\n"
              "class QueryAudit(models.Model):\n"
              "    query = models.ForeignKey(Query, on_delete=models.CASCADE)\n"))
    view = ("research/views.py", ("from research.models import Query\n\ndef run(request, pk):\n"
            "    query = Query.objects.get(pk=pk)\n    query.save()\n    query.audit()\n"))
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0], files=(view,)))
    assert sorted(f.start_line for f in found) == [3]  # Patient only: Query audits itself, its log is the trail


def test_a_view_whose_service_layer_changes_patient_rows_touches_patient_data() -> None:
    """The view itself names no model: its helper creates rows through the model's custom manager."""
    models = ("lab/models.py", ("from django.db import models\n\nclass SampleManager(models.Manager):\n"
              "    def create_sample(self, data):\n        return self.create(**data)\n\n"
              "class Sample(models.Model):\n    patient_name = models.CharField(max_length=80)\n"
              "    nhs_number = models.CharField(max_length=10)\n    objects = SampleManager()\n"))
    service = ("lab/services.py", ("from lab.models import Sample\n\ndef record_samples(rows):\n"
               "    for row in rows:\n        Sample.objects.create_sample(row)\n"))
    view = "from lab.services import record_samples\n\ndef upload(request):\n    record_samples(request.POST)\n"
    assert lines(UnauthenticatedPatientView, view, models, service, path="lab/views.py") == [3]
    idle = (service[0], service[1].replace("Sample.objects.create_sample(row)", "print(row)"))
    assert lines(UnauthenticatedPatientView, view, models, idle, path="lab/views.py") == []


def test_decorators_that_return_another_guard_or_refuse_callers_without_a_listed_token() -> None:
    """seqr: `login_and_policies_required` returns `login_active_required(...)`, which wraps `login_required`;
    `authenticate_mme_request` answers 401 unless the request carries a partner node's token."""
    perms = ("core/perms.py", ("from django.contrib.auth.decorators import login_required\n\n"
             "def login_active_required(view_func):\n    return login_required(view_func)\n\n"
             "def login_and_policies_required(view_func):\n    return login_active_required(view_func)\n\n"
             "NODES = {'secret-token': 'node-a'}\n\ndef token_required(view_func):\n"
             "    def wrapped(request, *args):\n        if request.META.get('HTTP_X_AUTH_TOKEN') not in NODES:\n"
             "            return JsonResponse({'error': 'Unauthorized'}, status=401)\n"
             "        return view_func(request, *args)\n    return wrapped\n"))
    for deco in ("login_and_policies_required", "token_required"):
        view = f"from core.perms import {deco}\n" + VIEW.replace("def chart", f"@{deco}\ndef chart")
        assert lines(UnauthenticatedPatientView, view, perms) == []
    bare = (perms[0], perms[1].replace("    return login_required(view_func)\n", "    return view_func\n"))
    view = "from core.perms import login_and_policies_required\n" + VIEW.replace(
        "def chart", "@login_and_policies_required\ndef chart")
    assert lines(UnauthenticatedPatientView, view, bare) == [5]


def test_a_helper_given_the_request_that_checks_the_users_rights_authorizes_the_view() -> None:
    """`update_note_handler(request, ...)` calls `check_created_by(note, request.user)`, which raises PermissionDenied."""
    helpers = ("core/notes.py", ("from django.core.exceptions import PermissionDenied\n\n"
               "def check_created_by(obj, user):\n    if obj.created_by != user:\n        raise PermissionDenied()\n\n"
               "def update_note_handler(request, obj):\n    check_created_by(obj, request.user)\n    obj.save()\n"))
    view = ("from django.contrib.auth.decorators import login_required\nfrom core.notes import update_note_handler\n"
            "from clinic.models import Patient\n\n@login_required\ndef edit(request, pk):\n"
            "    return update_note_handler(request, Patient.objects.get(pk=pk))\n")
    roles = ("clinic/other.py", ("from django.contrib.auth.decorators import permission_required\n\n"
             "@permission_required('clinic.change_patient')\ndef other(request):\n    return None\n"))
    assert lines(UnauthorizedPatientWrite, view, helpers, roles) == []
    lax = (helpers[0], helpers[1].replace("        raise PermissionDenied()\n", "        pass\n"))
    assert lines(UnauthorizedPatientWrite, view, lax, roles) == [6]


def test_without_a_role_check_a_view_under_an_unread_login_middleware_lets_signed_in_users_change_records() -> None:
    """Whether CRATE's middleware requires login is unknown; that the view checks no role is not. A view that refuses
    unless the request carries the row's own token (an e-mailed link) checks access to that row."""
    installed = ("proj/settings.py", "MIDDLEWARE = ['somelib.middleware.LoginRequiredMiddleware']\n")
    roles = ("clinic/other.py", ("from django.contrib.auth.decorators import permission_required\n\n"
             "@permission_required('clinic.change_patient')\ndef other(request):\n    return None\n"))
    edit = ("from clinic.models import Patient\n\ndef edit(request, pk):\n    p = Patient.objects.get(pk=pk)\n"
            "    p.mrn = request.POST['mrn']\n    p.save()\n")
    found = run_example(UnauthorizedPatientWrite, Valid(edit, path="clinic/views.py", files=(MODELS, installed, roles)))
    assert [f.start_line for f in found] == [3] and "whether it needs a login depends on" in found[0].message
    assert lines(UnauthenticatedPatientView, edit, installed, roles) == []  # the login itself stays unknown
    token = edit.replace("    p.mrn", "    if request.POST['token'] != p.token:\n        return HttpResponseForbidden()\n    p.mrn")
    assert lines(UnauthorizedPatientWrite, token, installed, roles) == []


# A project that keeps its own session login (Flask-style decorators over plain function views, in a package of
# views that is no Django app), routed through a helper that appends to `urlpatterns`.
_SESSION_AUTH = ("auth/decorators.py", dedent("""\
    import functools
    import json
    from django.shortcuts import redirect
    from middleware.abort import abort

    def check_is_logged_in(request):
        return "session_uuid" in request.session

    def login_page_redirect(request):
        return redirect("/login")

    def researcher_login(some_function):
        @functools.wraps(some_function)
        def wrapper(*args, **kwargs):
            request = args[0]
            if check_is_logged_in(request):
                return some_function(*args, **kwargs)
            else:
                return login_page_redirect(request)
        return wrapper

    def study_access(some_function):
        @functools.wraps(some_function)
        def wrapper(*args, **kwargs):
            return study_access_and_call(some_function, *args, **kwargs)
        return wrapper

    def study_access_and_call(some_function, *args, **kwargs):
        request = args[0]
        if not request.session.get("studies", {}).get(kwargs["study_id"]):
            return abort(401 if request.is_ios else 403)
        return some_function(*args, **kwargs)

    def api_key_check():
        def the_decorator(some_function):
            @functools.wraps(some_function)
            def inner(*args, **kwargs):
                request = args[0]
                request.api_user = validate_api_key(request)
                return some_function(*args, **kwargs)
            return inner
        return the_decorator

    def validate_api_key(request):
        return request.headers["X-Key"]

    def expect_json(func):
        @functools.wraps(func)
        def wrapper(request, *args, **kwargs):
            request.json = json.load(request)
            return func(request, *args, **kwargs)
        return wrapper
    """))
_SESSION_URLS = ("urls.py", dedent("""\
    from django.urls import path as simplepath
    from endpoints import pages

    urlpatterns = []

    def path(route, view):
        urlpatterns.extend([simplepath(route, view), simplepath(route + "/", view)])

    path("chart/<int:pk>", pages.chart)
    path("study/<int:study_id>/chart/<int:pk>", pages.study_chart)
    path("api/chart/<int:pk>", pages.api_chart)
    path("open/<int:pk>", pages.open_chart)
    path("columns", pages.columns)
    path("table/<int:study_id>", pages.table)
    path("json/<int:pk>", pages.json_chart)
    """))
_SESSION_SETTINGS = ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.contenttypes', 'clinic']\n")


def test_hand_kept_session_logins_and_their_check_functions_guard_views_outside_any_app() -> None:
    """A view module no INSTALLED_APPS entry names is served all the same when a URLconf routes it; decorators
    that turn the caller to the login page or abort(403), themselves or through the function their wrapper hands
    the view to, guard it; one that hands the request to project code wardgate does not follow is unknown."""
    pages = dedent("""\
        from auth.decorators import api_key_check, expect_json, researcher_login, study_access, study_access_and_call
        from clinic.models import Patient

        @researcher_login
        def chart(request, pk):
            return Patient.objects.get(pk=pk)

        @study_access
        def study_chart(request, study_id, pk):
            return Patient.objects.get(pk=pk)

        @api_key_check()
        def api_chart(request, pk):
            return Patient.objects.get(pk=pk)

        def open_chart(request, pk):
            return Patient.objects.get(pk=pk)

        def columns(request):
            return [f.name for f in Patient._meta.fields]

        def table(request, study_id):
            def noop(*args, **kwargs):
                pass
            if study_access_and_call(noop, request, study_id=study_id) is not None:
                return []
            return list(Patient.objects.all())

        @expect_json
        def json_chart(request, pk):
            return Patient.objects.get(pk=pk)
        """)
    files = (_SESSION_AUTH, _SESSION_URLS, _SESSION_SETTINGS,
             ("middleware/abort.py", "def abort(code):\n    raise ValueError(code)\n"))
    # (json.load given the request is no check: expect_json only parses the body)
    assert lines(UnauthenticatedPatientView, pages, *files, path="endpoints/pages.py") == [16, 30]



def test_a_viewset_re_exported_by_its_package_is_told_apart_from_a_same_named_one() -> None:
    """Two apps each define FhirFilterViewSet; the exports router registers the one its `views` package re-exports,
    so that one is served (and judged by WG317, which needs a route)."""
    viewset = ("from rest_framework import permissions, viewsets\nfrom exports.models import Filter\n\n"
               "class IsOwner(permissions.BasePermission):\n    def has_object_permission(self, request, view, obj):\n"
               "        return obj.owner == request.user\n\n"
               "class FhirFilterViewSet(viewsets.ReadOnlyModelViewSet):\n    queryset = Filter.objects.all()\n"
               "    permission_classes = [permissions.IsAuthenticated, IsOwner]\n")
    files = (
        ("proj/settings.py", "INSTALLED_APPS = ['cohort', 'exports']\nROOT_URLCONF = 'proj.urls'\n"),
        ("proj/urls.py", "from django.urls import include, path\n\nurlpatterns = [path('x/', include('exports.urls'))]\n"),
        ("cohort/__init__.py", ""),
        ("cohort/views.py", "from rest_framework import viewsets\n\nclass FhirFilterViewSet(viewsets.ModelViewSet):\n    pass\n"),
        ("cohort/urls.py", ("from rest_framework.routers import DefaultRouter\nfrom cohort.views import FhirFilterViewSet\n\n"
                            "router = DefaultRouter()\nrouter.register('fhir-filters', FhirFilterViewSet)\n"
                            "urlpatterns = router.urls\n")),
        ("exports/__init__.py", ""),
        ("exports/models.py", ("from django.db import models\n\nclass Filter(models.Model):\n"
                               "    owner = models.ForeignKey('auth.User', on_delete=models.CASCADE)\n")),
        ("exports/views/__init__.py", "from exports.views.fhir_filter import FhirFilterViewSet\n"),
        ("exports/urls.py", ("from rest_framework.routers import DefaultRouter\nfrom django.urls import include, path\n"
                             "from exports.views import FhirFilterViewSet\n\nrouter = DefaultRouter()\n"
                             "router.register('fhir-filters', FhirFilterViewSet)\n"
                             "urlpatterns = [path('', include(router.urls))]\n")),
    )
    found = run_example(ObjectCheckNeverRuns, Valid(viewset, path="exports/views/fhir_filter.py", files=files))
    assert [f.start_line for f in found] == [8]


def test_patient_data_reaches_four_links_the_same_way_on_every_run(tmp_path: Path) -> None:
    """Records linked to a patient's record are patient data up to four links away, whatever order Python's hash seed
    gives a set (one pass could chain any number of links before, so results changed from run to run)."""
    chain = ["Patient", "Visit", "Sample", "Library", "Run", "RunStat"]
    body = "from django.db import models\n\nclass Patient(models.Model):\n    mrn = models.CharField(max_length=9)\n"
    for parent, child in itertools.pairwise(chain):
        body += (f"\nclass {child}(models.Model):\n    {parent.lower()} = models.ForeignKey({parent!r}, "
                 "on_delete=models.CASCADE)\n    note = models.TextField()\n")
    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic" / "models.py").write_text(body)
    found = []
    for seed in ("1", "2", "3"):
        run = subprocess.run([sys.executable, "-m", "wardgate", "facts", str(tmp_path), "--format", "json"],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        found.append(sorted(m["model"].rsplit(".", 1)[1] for m in json.loads(run.stdout)["patient_models"]))
    assert found[0] == found[1] == found[2] == sorted(chain[:5])


def test_a_row_fetched_through_a_project_function_checking_the_users_permission_is_restricted() -> None:
    """A view (a function, or a class view's handler) that fetches the row through a project function checking the
    user's permission on it (`get_object_if_allowed(..., user=request.user)`) serves only what the user may see; the
    same function without the check does not restrict."""
    helpers = ("clinic/access.py", ("def get_object_if_allowed(*, model, pk, user):\n    obj = model.objects.get(pk=pk)\n"
               "    if user.has_perm('view', obj):\n        return obj\n"))
    unchecked = ("clinic/access.py", "def get_object_if_allowed(*, model, pk, user):\n    return model.objects.get(pk=pk)\n")
    urls = ("proj/urls.py", ("from django.urls import path\nfrom clinic.views import chart, Chart\n\n"
            "urlpatterns = [path('chart/<int:pk>/', chart), path('c/<int:pk>/', Chart.as_view())]\n"))
    fn = ("from clinic.access import get_object_if_allowed\nfrom clinic.models import Patient\n\n"
          "def chart(request, pk):\n    return get_object_if_allowed(model=Patient, pk=pk, user=request.user)\n\n"
          "class Chart:\n    pass\n")
    assert lines(UnauthenticatedPatientView, fn, helpers, urls) == []
    assert lines(UnauthenticatedPatientView, fn, unchecked, urls) == [4]
    cls = ("from django.views import View\nfrom clinic.access import get_object_if_allowed\n"
           "from clinic.models import Patient\n\ndef chart(request, pk):\n    return None\n\n"
           "class Chart(View):\n    def get(self, request, pk):\n"
           "        return get_object_if_allowed(model=Patient, pk=pk, user=request.user)\n")
    assert lines(UnauthenticatedPatientView, cls, helpers, urls) == []
    assert lines(UnauthenticatedPatientView, cls, unchecked, urls) == [8]


def test_a_get_queryset_narrowing_the_inherited_user_scope_keeps_it() -> None:
    """`qs = super().get_queryset()` then a filter: the rows are still the ones the project base keeps to the user; a
    get_queryset() of its own that does not start from super()'s is not."""
    base = ("clinic/mixins.py", ("class OwnPatientsMixin:\n    def get_queryset(self):\n"
            "        return super().get_queryset().filter(carers=self.request.user)\n"))
    urls = ("proj/urls.py", ("from django.urls import path\nfrom clinic.views import Charts\n\n"
            "urlpatterns = [path('charts/', Charts.as_view())]\n"))
    view = ("from django.views.generic import ListView\nfrom clinic.mixins import OwnPatientsMixin\n"
            "from clinic.models import Patient\n\nclass Charts(OwnPatientsMixin, ListView):\n    model = Patient\n\n"
            "    def get_queryset(self):\n        qs = super().get_queryset()\n        return qs.filter(mrn__isnull=False)\n")
    assert lines(UnauthenticatedPatientView, view, base, urls) == []
    own = view.replace("qs = super().get_queryset()", "qs = Patient.objects.all()")
    assert lines(UnauthenticatedPatientView, own, base, urls) == [5]


def test_a_setting_counts_as_a_verifying_key_only_where_a_request_is_checked_with_it() -> None:
    from checks.domain.hardcoded_secret_assignment import HardcodedSecretAssignment
    settings = 'import os\nHOOK_TOKEN = os.environ.get("HOOK_TOKEN", "x")\n'
    compared = ("hooks/views.py", ("from django.conf import settings\n\ndef hook(request):\n"
                "    return request.headers.get('X-Token') == settings.HOOK_TOKEN\n"))
    decoded = ("hooks/views.py", ("import jwt\nfrom django.conf import settings\n\ndef hook(request):\n"
               "    secret = settings.HOOK_TOKEN.encode()\n    return jwt.decode(request.body, secret)\n"))
    sent = ("hooks/views.py", ("import requests\nfrom django.conf import settings\n\ndef ping():\n"
            "    return requests.get('https://x', headers={'X-Token': settings.HOOK_TOKEN})\n"))
    for views, expected in ((compared, [2]), (decoded, [2]), (sent, [])):
        assert lines(HardcodedSecretAssignment, settings, views, path="proj/settings.py") == expected, views[1]


def test_a_settings_module_named_for_production_makes_the_debug_and_test_modules_development_only() -> None:
    from checks.domain.hardcoded_secret_key import HardcodedSecretKey
    base = ("proj/settings/base.py", "INSTALLED_APPS = ['django.contrib.auth']\nROOT_URLCONF = 'proj.urls'\n")
    production = ("proj/settings/production.py", ("import os\nfrom .base import *\n"
                  "SECRET_KEY = os.environ['SECRET_KEY']\n"))
    development = "from .base import *\nDEBUG = True\nSECRET_KEY = 'insecure-secret-for-my-laptop'\n"
    testing = "from .base import *\nSECRET_KEY = 'insecure-secret-for-the-test-run'\n"
    for path, code in (("proj/settings/development.py", development), ("proj/settings/testing.py", testing)):
        assert lines(HardcodedSecretKey, code, base, production, path=path) == [], path
        assert lines(HardcodedSecretKey, code, base, path=path) == [3 if "DEBUG" in code else 2], path


def test_a_model_whose_own_method_writes_version_rows_naming_the_editor_keeps_its_history() -> None:
    models = ("clinic/models.py", dedent("""\
        from django.conf import settings
        from django.db import models

        class Patient(models.Model):
            mrn = models.CharField(max_length=9)
            date_of_birth = models.DateField()

            def update_details(self, user, **changes):
                for k, v in changes.items():
                    setattr(self, k, v)
                self.versions.create(creator=user, snapshot=changes)
                self.save()

        class PatientVersion(models.Model):
            patient = models.ForeignKey(Patient, related_name="versions", on_delete=models.PROTECT)
            creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
            created = models.DateTimeField(auto_now_add=True)
            snapshot = models.JSONField()
        """))
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))
    assert [f.start_line for f in found] == []
    unnamed = models[1].replace("creator=user, ", "")  # a copy of the changes, but not who made them
    found = run_example(UnauditedPatientModel, Valid(unnamed, path=models[0]))
    assert [f.start_line for f in found] == [4, 14]  # and the copies are patient data of their own


def test_a_routed_graphql_api_is_reported_as_unjudged(tmp_path: Path) -> None:
    """wardgate reads no GraphQL schema: the run says so instead of passing its resolvers in silence."""
    from checks.engine import run_checks
    from checks.facts import COLLECTORS
    from checks.facts.unknowns import unresolved
    from checks.vocabulary import Vocabulary

    urls = ('from django.urls import path\nfrom django.views.decorators.csrf import csrf_exempt\n'
            'from graphene_django.views import GraphQLView\n\n'
            'urlpatterns = [path("graphql/", csrf_exempt(GraphQLView.as_view(graphiql=True)))]\n')
    (tmp_path / "proj").mkdir()
    for rel, code in (("proj/urls.py", urls), ("proj/settings.py", "ROOT_URLCONF = 'proj.urls'\n")):
        (tmp_path / rel).write_text(code)
    engine = run_checks(tmp_path, ["proj/settings.py", "proj/urls.py"], vocab=Vocabulary(), checks=[],
                        collectors=COLLECTORS, jobs=1)
    found = [what for _p, _l, what in unresolved(engine.project) if "GraphQL" in what]
    assert found and "/graphql/" in found[0]
    (tmp_path / "proj/urls.py").write_text(urls.replace("GraphQLView.as_view(graphiql=True)", "graphql_view"))
    engine = run_checks(tmp_path, ["proj/settings.py", "proj/urls.py"], vocab=Vocabulary(), checks=[],
                        collectors=COLLECTORS, jobs=1)
    assert not [what for _p, _l, what in unresolved(engine.project) if "GraphQL" in what]



def test_a_tastypie_api_is_reported_as_unjudged(tmp_path: Path) -> None:
    """wardgate does not read Tastypie's authentication/authorization: its resources are named as unjudged once."""
    from checks.engine import run_checks
    from checks.facts import COLLECTORS
    from checks.facts.unknowns import unresolved
    from checks.vocabulary import Vocabulary

    files = {"proj/__init__.py": "", "proj/settings.py": "ROOT_URLCONF = 'proj.urls'\n",
             "proj/api.py": ("from tastypie.resources import ModelResource\nfrom tastypie.api import Api\n\n"
                             "v1 = Api(api_name='v1')\n\n\nclass BaseResource(ModelResource):\n    pass\n\n\n"
                             "class PersonResource(BaseResource):\n    pass\n\n\nv1.register(PersonResource())\n")}
    (tmp_path / "proj").mkdir()
    for rel, code in files.items():
        (tmp_path / rel).write_text(code)
    engine = run_checks(tmp_path, sorted(files), vocab=Vocabulary(), checks=[], collectors=COLLECTORS, jobs=1)
    found = [(p, line, what) for p, line, what in unresolved(engine.project) if "Tastypie" in what]
    assert [(p, line) for p, line, _ in found] == [("proj/api.py", 7)]
    assert "2 resource class(es), such as BaseResource" in found[0][2]


def test_routes_made_by_a_library_url_factory_are_reported_as_unjudged(tmp_path: Path) -> None:
    """`urlpatterns = [crudlfap.site.get_urlpattern(), ...]` serves views wardgate cannot see; a project function
    that returns path() entries is read where it is defined, and static() adds no views."""
    from checks.engine import run_checks
    from checks.facts import COLLECTORS
    from checks.facts.unknowns import unresolved
    from checks.vocabulary import Vocabulary

    urls = ('from crudlfap import shortcuts as crudlfap\nfrom django.conf import settings\n'
            'from django.conf.urls.static import static\nfrom django.urls import path\n'
            'from proj.routes import extra_routes\nfrom proj import views\n\n'
            'urlpatterns = [\n    crudlfap.site.get_urlpattern(),\n    path("", views.index),\n'
            '    *extra_routes(),\n] + static(settings.MEDIA_URL)\n'
            'urlpatterns += [static(settings.STATIC_URL)]\n')
    files = {"proj/__init__.py": "", "proj/urls.py": urls, "proj/settings.py": "ROOT_URLCONF = 'proj.urls'\n",
             "proj/views.py": "def index(request):\n    pass\n",
             "proj/routes.py": ("from django.urls import path\nfrom proj import views\n\n\ndef extra_routes():\n"
                                "    return [path('x/', views.index)]\n")}
    (tmp_path / "proj").mkdir()
    for rel, code in files.items():
        (tmp_path / rel).write_text(code)
    engine = run_checks(tmp_path, sorted(files), vocab=Vocabulary(), checks=[], collectors=COLLECTORS, jobs=1)
    found = [(p, line, what) for p, line, what in unresolved(engine.project) if "URL factory" in what]
    assert [(p, line) for p, line, _ in found] == [("proj/urls.py", 9)]
    assert "crudlfap.shortcuts.site.get_urlpattern()" in found[0][2]

def test_patient_records_written_in_spanish_or_portuguese() -> None:
    """A Spanish `Paciente(Persona)` with `numero_documento` and `fecha_nacimiento` is a patient record; a `dni`
    logged is an identifier; a professional's record with the same demographics is staff, not a patient."""
    models = ("core/models.py", (
        "from django.db import models\n\n\nclass Persona(models.Model):\n"
        "    nombres = models.CharField(max_length=100)\n    apellidos = models.CharField(max_length=100)\n"
        "    sexo = models.CharField(max_length=1)\n    fecha_nacimiento = models.DateField()\n"
        "    numero_documento = models.CharField(max_length=20)\n\n    class Meta:\n        abstract = True\n\n\n"
        "class Paciente(Persona):\n    grupo_sanguineo = models.CharField(max_length=3)\n\n\n"
        "class Profesional(Persona):\n    matricula = models.CharField(max_length=20)\n"))
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(models[1], path=models[0]))] == [15]
    lookup = ("import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef buscar(dni):\n"
              "    logger.info(f'Buscando DNI {dni}')\n")
    assert [f.start_line for f in run_example(PhiInLog, Valid(lookup, path="core/services.py", files=(models,)))] \
        == [7]
    brazil = models[1].replace("fecha_nacimiento", "data_nascimento").replace("numero_documento", "cpf")
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(brazil, path=models[0]))] == [15]


def test_a_settings_module_that_nothing_names_or_imports_runs_nowhere() -> None:
    """An EDC template's `settings/minimal.py`: the entry points name its siblings, no module or script names it."""
    from checks.domain.hardcoded_secret_key import HardcodedSecretKey
    base = ("proj/settings/defaults.py", ("import os\nINSTALLED_APPS = ['django.contrib.auth']\n"
            "ROOT_URLCONF = 'proj.urls'\nSECRET_KEY = os.environ['SECRET_KEY']\n"))
    live = ("proj/settings/live.py", "from .defaults import *\n")
    wsgi = ("proj/wsgi.py", ("import os\nfrom django.core.wsgi import get_wsgi_application\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.live')\n"
            "application = get_wsgi_application()\n"))
    minimal = "INSTALLED_APPS = []\nSECRET_KEY = 'blahblahblah'\n"
    path = "proj/settings/minimal.py"
    assert lines(HardcodedSecretKey, minimal, base, live, wsgi, path=path) == []
    script = ("scripts/load.py", '"""Run with --settings=proj.settings.minimal"""\n')
    assert lines(HardcodedSecretKey, minimal, base, live, wsgi, script, path=path) == [2]  # a script names it
    assert lines(HardcodedSecretKey, minimal, base, live, path=path) == [2]  # production unknown
    assert lines(HardcodedSecretKey, minimal, base, live, wsgi, path="proj/settings/staging.py") == [2]


def test_a_row_naming_a_trial_participant_by_subject_identifier_is_patient_data_by_that_link() -> None:
    """clinicedc's subject-identifier mixins: a deviation report keyed by subject_identifier belongs to the
    participant. Inside the package's own tree (the clinicedc monorepo) the declaration gives way to its code."""
    audited = ("trial/models.py", ("from django.db import models\nfrom simple_history.models import HistoricalRecords\n\n"
               "class Screening(models.Model):\n    initials = models.CharField(max_length=3)\n"
               "    gender = models.CharField(max_length=1)\n    history = HistoricalRecords()\n"))
    code = ("from django.db import models\nfrom edc_identifier.model_mixins import NonUniqueSubjectIdentifierFieldMixin\n"
            "\n\nclass ProtocolDeviation(NonUniqueSubjectIdentifierFieldMixin, models.Model):\n"
            "    description = models.TextField()\n")
    found = run_example(UnauditedPatientModel, Valid(code, path="trial/deviations.py", files=(audited,)))
    assert [f.start_line for f in found] == [5]
    assert "identifier links it to RegisteredSubject" in found[0].message
    package = ("edc_identifier/model_mixins.py", ("from django.db import models\n\n\n"
               "class NonUniqueSubjectIdentifierFieldMixin(models.Model):\n"
               "    subject_identifier = models.CharField(max_length=50)\n\n    class Meta:\n        abstract = True\n"))
    metadata = code.replace("ProtocolDeviation", "CrfMetadata").replace("description = models.TextField()",
                                                                          "entry_status = models.CharField(max_length=25)")
    assert run_example(UnauditedPatientModel, Valid(metadata, path="edc_metadata/models.py",
                                                    files=(audited, package))) == []


def test_a_linked_table_only_a_never_imported_admin_module_edits_is_unused() -> None:
    """Django imports `<app>.admin` only: an admin module of the package that `__init__` does not import never
    registers, and the form only it names edits nothing. A linked table nothing else writes has no changes to trace."""
    models = ("ae/models.py", (
        "from django.db import models\nfrom simple_history.models import HistoricalRecords\n\n\n"
        "class AeInitial(models.Model):\n    subject_identifier = models.CharField(max_length=50)\n"
        "    date_of_birth = models.DateField()\n    history = HistoricalRecords()\n\n\n"
        "class AeReview(models.Model):\n    ae_initial = models.ForeignKey(AeInitial, on_delete=models.PROTECT)\n"
        "    narrative = models.TextField()\n"))
    form = ("ae/forms.py", ("from django import forms\nfrom ae.models import AeReview\n\n\n"
            "class AeReviewForm(forms.ModelForm):\n    class Meta:\n        model = AeReview\n"
            "        fields = '__all__'\n"))
    review_admin = ("ae/admin/review_admin.py", ("from django.contrib import admin\nfrom ae.forms import AeReviewForm\n"
                    "from ae.models import AeReview\n\n\n@admin.register(AeReview)\n"
                    "class AeReviewAdmin(admin.ModelAdmin):\n    form = AeReviewForm\n"))
    initial_admin = ("ae/admin/initial_admin.py", ("from django.contrib import admin\nfrom ae.models import AeInitial\n\n"
                     "admin.site.register(AeInitial)\n"))
    dead = ("ae/admin/__init__.py", "# from .review_admin import AeReviewAdmin\nfrom .initial_admin import *\n")
    live = ("ae/admin/__init__.py", "from .review_admin import AeReviewAdmin\nfrom .initial_admin import *\n")
    files = (form, review_admin, initial_admin)
    assert run_example(UnauditedPatientModel, Valid(models[1], path=models[0], files=(*files, dead))) == []
    found = run_example(UnauditedPatientModel, Valid(models[1], path=models[0], files=(*files, live)))
    assert [f.start_line for f in found] == [11]


def test_a_managers_user_scope_method_makes_the_module_norm() -> None:
    """`Case.scoped.for_user(request.user)` (a project manager method handed the user, here from a manager mixin)
    restricts rows like a filter on the user does: two handlers doing so make it the module's norm, and a third
    that fetches a case by the id in its URL from all rows is an insecure direct object reference."""
    from checks.domain.unscoped_object_lookup import UnscopedObjectLookup

    models = ("clinic/models.py", """\
    from django.db import models


    class ForUserManagerMixin:
        def for_user(self, user):
            self.hospital = user.hospital
            return self.get_queryset()


    class CaseManager(models.Manager, ForUserManagerMixin):
        def get_queryset(self):
            return super().get_queryset().filter(hospital=self.hospital)


    class Case(models.Model):
        mrn = models.CharField(max_length=9)
        hospital = models.CharField(max_length=9)
        objects = models.Manager()
        scoped = CaseManager()
    """)
    views = """\
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import get_object_or_404, render
    from clinic.models import Case


    @login_required
    def case_list(request):
        return render(request, "l.html", {"cases": Case.scoped.for_user(request.user).order_by("-pk")})


    @login_required
    def open_cases(request):
        return render(request, "o.html", {"cases": Case.scoped.for_user(request.user).filter(open=True)})


    @login_required
    def case_form(request, pk):
        case = get_object_or_404(Case, pk=pk)
        return render(request, "f.html", {"case": case})
    """
    found = run_example(UnscopedObjectLookup, Valid(views, path="clinic/views.py", files=(models,)))
    assert [f.start_line for f in found] == [17]
    scoped = views.replace("get_object_or_404(Case, pk=pk)", "get_object_or_404(Case.scoped.for_user(request.user), pk=pk)")
    assert run_example(UnscopedObjectLookup, Valid(scoped, path="clinic/views.py", files=(models,))) == []


def test_a_row_that_outlives_a_linked_record_only_points_at_it(tmp_path: Path) -> None:
    """A hospital's optional surrogate patient card (`on_delete=SET_NULL`) makes neither the hospital nor the staff who
    work there patient data; a row that belongs to the card (a visit, deleted with it) still is."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": """\
            from django.db import models

            class Patient(models.Model):
                mrn = models.CharField(max_length=9)

            class Card(models.Model):
                patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

            class Hospital(models.Model):
                name = models.CharField(max_length=80)
                surrogate = models.ForeignKey(Card, null=True, on_delete=models.SET_NULL)

            class DoctorProfile(models.Model):
                hospital = models.ForeignKey(Hospital, null=True, on_delete=models.SET_NULL)

            class Visit(models.Model):
                card = models.ForeignKey(Card, on_delete=models.CASCADE)

            class Note(models.Model):
                patient = models.ForeignKey(Patient, null=True, on_delete=models.SET_NULL)
            """,
    })
    models = {m["model"] for m in _facts(tmp_path)["patient_models"]}
    assert {"clinic.models.Card", "clinic.models.Visit", "clinic.models.Note"} <= models
    assert not {"clinic.models.Hospital", "clinic.models.DoctorProfile"} & models


def test_django_ninja_extra_controller_routes_are_endpoints_with_their_auth_and_permissions() -> None:
    """`@api_controller(auth=..., permissions=[...])` and each `@route.get(...)` method: an operation, whose own
    `auth=` / `permissions=` win over the controller's."""
    ctrl = ("from ninja_extra import api_controller, permissions, route\nfrom ninja.security import django_auth\n"
            "from clinic.models import Patient\n\n"
            "@api_controller('/patients', auth=django_auth, permissions=[permissions.IsAuthenticated])\n"
            "class PatientController:\n"
            "    @route.get('/{pk}')\n    def chart(self, pk: int):\n        return Patient.objects.get(pk=pk)\n\n"
            "    @route.get('/open/{pk}', auth=None, permissions=[permissions.AllowAny])\n"
            "    def open_chart(self, pk: int):\n        return Patient.objects.get(pk=pk)\n")
    api = ("proj/api.py", ("from ninja_extra import NinjaExtraAPI\nfrom clinic.api import PatientController\n\n"
                           "api = NinjaExtraAPI()\napi.register_controllers(PatientController)\n"))
    assert lines(UnauthenticatedPatientView, ctrl, api, path="clinic/api.py") == [12]


def test_distinct_values_of_a_safe_column_read_no_patient_rows_even_after_refining_the_queryset() -> None:
    models = ("clinic/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
                                   "    mrn = models.CharField(max_length=9)\n    centre = models.CharField(max_length=40)\n"))
    view = ("from clinic.models import Patient\n\ndef centres(request):\n    qs = Patient.objects.all()\n"
            "    if request.GET.get('q'):\n        qs = qs.filter(centre__icontains=request.GET['q'])\n"
            "    return qs.values_list({col}, flat=True).distinct()\n")
    found = run_example(UnauthenticatedPatientView, Valid(view.format(col="'centre'"), path="clinic/views.py",
                                                          files=(models,)))
    assert found == []
    found = run_example(UnauthenticatedPatientView, Valid(view.format(col="'mrn'"), path="clinic/views.py",
                                                          files=(models,)))
    assert [f.start_line for f in found] == [3]


def test_a_save_receiver_of_one_model_that_writes_another_models_rows_is_its_audit(tmp_path: Path) -> None:
    """`pre_save.connect(log_changes, sender=Card)` where log_changes writes ChangeLog rows audits Card; a receiver
    that only fills in a field of the instance (`set_number`) audits nothing."""
    _write(tmp_path, {
        "clinic/__init__.py": "",
        "clinic/models.py": """\
            from django.db import models
            from django.db.models.signals import pre_save

            class Patient(models.Model):
                mrn = models.CharField(max_length=9)

            class Card(models.Model):
                patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
                number = models.CharField(max_length=9)

            class ChangeLog(models.Model):
                body = models.JSONField()

            def log_changes(sender, instance, **kwargs):
                ChangeLog.objects.create(body={"card": instance.pk})

            def set_number(sender, instance, **kwargs):
                instance.number = instance.number or "0"

            pre_save.connect(log_changes, sender=Card)
            pre_save.connect(set_number, sender=Patient)
            """,
    })
    audit = {m["model"]: m["audit"] for m in _facts(tmp_path)["patient_models"]}
    assert audit["clinic.models.Card"].startswith("save-signal receiver log_changes()")
    assert audit["clinic.models.Patient"] is None


def test_a_drf_authentication_class_that_refuses_requests_without_its_token_lets_no_anonymous_caller_in() -> None:
    """DRF stops at an authenticator that raises instead of answering None: a view it authenticates (the default
    here) needs the app's token even with no permission classes; `@authentication_classes([])` opens a view again."""
    auth = ("integration/authentication.py", (
        "from rest_framework import authentication, exceptions\nfrom integration.models import App\n\n"
        "class TokenAuthentication(authentication.BaseAuthentication):\n    def authenticate(self, request):\n"
        "        token = request.META.get('HTTP_AUTHORIZATION')\n        if not token:\n"
        "            raise exceptions.AuthenticationFailed('No token')\n"
        "        app = App.objects.filter(key=token).first()\n        if not app:\n"
        "            raise exceptions.AuthenticationFailed('No app')\n        return app, None\n"))
    models = ("integration/models.py", ("from django.db import models\n\nclass App(models.Model):\n"
              "    key = models.CharField(max_length=40)\n"))
    settings = ("proj/settings.py", ("REST_FRAMEWORK = {'DEFAULT_AUTHENTICATION_CLASSES': "
                "['integration.authentication.TokenAuthentication']}\n"))
    view = ("from rest_framework.decorators import api_view, authentication_classes\nfrom clinic.models import Patient\n\n"
            "@api_view(['GET'])\n{extra}def chart(request, pk):\n    return Patient.objects.get(pk=pk)\n")
    assert lines(UnauthenticatedPatientView, view.format(extra=""), auth, models, settings, path="clinic/api.py") == []
    opened = view.format(extra="@authentication_classes([])\n")
    assert lines(UnauthenticatedPatientView, opened, auth, models, settings, path="clinic/api.py") == [6]


def test_a_study_participant_with_its_own_identifier_and_birth_year_is_a_person_record() -> None:
    """`Participant(heartsteps_id unique, birth_year)`: one study participant per row, whatever the id is called."""
    code = ("from django.db import models\n\nclass Participant(models.Model):\n"
            "    heartsteps_id = models.CharField(primary_key=True, unique=True, max_length=25)\n"
            "    enrollment_token = models.CharField(max_length=10, unique=True)\n"
            "    birth_year = models.CharField(max_length=4, null=True)\n")
    assert lines(UnauditedPatientModel, code, path="participants/models.py") == [3]
    # Without an age there is nothing personal about an identifier and a token (a meeting's participant list).
    assert lines(UnauditedPatientModel, code.replace("    birth_year = models.CharField(max_length=4, null=True)\n",
                                                     ""), path="participants/models.py") == []
    # A chat group's member with a birth year is no clinical or study person: the noun decides.
    assert lines(UnauditedPatientModel, code.replace("Participant", "ChatMember"), path="chat/models.py") == []


def test_a_view_reading_the_users_profile_before_answering_turns_anonymous_callers_away_by_raising() -> None:
    """AnonymousUser has no `doctorprofile`: read unconditionally before anything is returned (or written outside one
    transaction), it raises for an anonymous request, which gets an error and not the record."""
    first = ("from clinic.models import Patient\n\ndef chart(request, pk):\n"
             "    hospital = request.user.doctorprofile.hospital\n"
             "    return Patient.objects.get(pk=pk, hospital=hospital)\n")
    assert lines(UnauthenticatedPatientView, first) == []
    # Attributes AnonymousUser has, a read under a test, and a read after the answer turn nobody away.
    for body in ("    name = request.user.username\n    return Patient.objects.get(pk=pk)\n",
                 "    if request.user.doctorprofile:\n        pass\n    return Patient.objects.get(pk=pk)\n",
                 ("    row = Patient.objects.get(pk=pk)\n    if pk:\n        return row\n"
                 "    log(request.user.doctorprofile)\n    return row\n")):
        code = "from clinic.models import Patient\n\ndef chart(request, pk):\n" + body
        assert lines(UnauthenticatedPatientView, code) == [3], body
    # A write before the read is kept unless the view runs in one transaction (rolled back when it raises).
    write = ("from django.db import transaction\nfrom clinic.models import Patient\n\ndef chart(request, pk):\n"
             "    p = Patient.objects.create(mrn=request.POST['mrn'])\n"
             "    log(p, request.user.doctorprofile)\n    return p\n")
    assert lines(UnauthenticatedPatientView, write) == [4]
    assert lines(UnauthenticatedPatientView, write.replace("def chart", "@transaction.atomic\ndef chart")) == []


def test_an_entry_point_assigning_the_settings_module_names_what_a_server_runs() -> None:
    """`os.environ["DJANGO_SETTINGS_MODULE"] = "proj.settings.live"` in wsgi_live.py (EDC style) serves that module;
    beside it, the `debug` module the other entry points default to is a developer's fallback. A base that the served
    module imports and sets DEBUG again in is not what decides DEBUG."""
    from checks.domain.debug_pages_show_patient_data import DebugPagesShowPatientData
    base = ("proj/settings/base.py", "INSTALLED_APPS = ['clinic']\nROOT_URLCONF = 'proj.urls'\n")
    debug = "from .base import *\nDEBUG = True\n"
    live = ("proj/settings/live.py", "from .base import *\nDEBUG = False\n")
    asgi = ("proj/asgi.py", ("import os\nfrom django.core.asgi import get_asgi_application\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.debug')\napplication = get_asgi_application()\n"))
    wsgi_live = ("proj/wsgi_live.py", ("import os\nfrom django.core.wsgi import get_wsgi_application\n"
                 "os.environ['DJANGO_SETTINGS_MODULE'] = 'proj.settings.live'\napplication = get_wsgi_application()\n"))
    path = "proj/settings/debug.py"
    assert lines(DebugPagesShowPatientData, debug, MODELS, base, asgi, path=path) == [2]
    assert lines(DebugPagesShowPatientData, debug, MODELS, base, asgi, live, wsgi_live, path=path) == []
    prod = ("proj/settings/production.py", "from .debug import *\nDEBUG = False\n")
    wsgi = ("proj/wsgi.py", ("import os\nfrom django.core.wsgi import get_wsgi_application\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.production')\n"
            "application = get_wsgi_application()\n"))
    assert lines(DebugPagesShowPatientData, debug, MODELS, base, prod, wsgi, path=path) == []


def test_a_middleware_recording_each_request_sees_the_deletes_of_request_code_once_installed() -> None:
    log = ("audit/models.py", ("from django.db import models\n\nclass Audit(models.Model):\n"
           "    view_func = models.CharField(max_length=64)\n    record_id = models.CharField(max_length=64)\n"))
    wrapper = ("audit/middleware.py", ("from audit.models import Audit\n\nclass AuditWrapper(object):\n"
               "    def process_view(self, request, view_func, view_args, view_kwargs):\n"
               "        Audit.objects.create(view_func=view_func.__name__, record_id=view_kwargs.get('pk'))\n"))
    delete = "from clinic.models import Patient\n\ndef drop(request, pk):\n    Patient.objects.get(pk=pk).delete()\n"
    installed = ("proj/settings.py", "MIDDLEWARE_CLASSES = ['audit.middleware.AuditWrapper']\n")
    other = ("proj/settings.py", "MIDDLEWARE_CLASSES = ['django.middleware.common.CommonMiddleware']\n")
    assert lines(UntracedPatientDelete, delete, log, wrapper, installed) == []
    assert lines(UntracedPatientDelete, delete, log, wrapper, other) == [4]  # defined, not installed
    assert lines(UntracedPatientDelete, delete, log, wrapper) == []  # no settings at all: unknown, not judged


def test_a_terminology_table_patients_point_at_is_no_ones_record(tmp_path: Path) -> None:
    models = ("from django.db import models\n\nclass DiagnosisList(models.Model):\n"
              "    diagnosis = models.CharField(max_length=255)\n    icd_11_code = models.CharField(max_length=20)\n"
              "    created_date = models.DateTimeField(auto_now_add=True)\n\n"
              "class Patient(models.Model):\n    mrn = models.CharField(max_length=9)\n\n"
              "class Diagnosis(models.Model):\n    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n"
              "    diagnosis = models.ForeignKey(DiagnosisList, on_delete=models.PROTECT)\n")
    _write(tmp_path, {"clinic/models.py": models})
    assert sorted(m["model"] for m in _facts(tmp_path)["patient_models"]) == [
        "clinic.models.Diagnosis", "clinic.models.Patient"]
    # A flat table holding a diagnosis with an age is a record, code or not.
    _write(tmp_path, {"clinic/models.py": models.replace("    created_date", "    age = models.IntegerField()\n"
                                                          "    created_date")})
    assert "clinic.models.DiagnosisList" in {m["model"] for m in _facts(tmp_path)["patient_models"]}


def test_a_model_in_a_module_of_the_models_package_that_nothing_imports_is_never_defined() -> None:
    """Django imports `<app>.models` only: a module of a `models/` package whose import is commented out defines
    nothing. A view (or a Python 2 implicit relative import) that imports it loads it again."""
    init = ("ward/models/__init__.py", "from .visit import Visit\n# from .admission import Admission\n")
    visit = ("ward/models/visit.py", ("from django.db import models\nfrom simple_history.models import HistoricalRecords\n"
             "\nclass Visit(models.Model):\n    mrn = models.CharField(max_length=9)\n    history = HistoricalRecords()\n"))
    dead = ("from django.db import models\n\nclass Admission(models.Model):\n"
            "    mrn = models.CharField(max_length=9)\n    date_of_birth = models.DateField()\n")
    assert lines(UnauditedPatientModel, dead, init, visit, path="ward/models/admission.py") == []
    view = ("ward/views.py", "from ward.models.admission import Admission\n")
    assert lines(UnauditedPatientModel, dead, init, visit, view, path="ward/models/admission.py") == [3]
    python2 = ("ward/models/__init__.py", "from visit import Visit\nfrom admission import Admission\n")
    assert lines(UnauditedPatientModel, dead, python2, visit, path="ward/models/admission.py") == [3]


def test_wardgate_facts_lists_the_classes_django_never_loads(tmp_path) -> None:
    from checks.facts.describe import describe, render_text
    from checks.vocabulary import Vocabulary

    (tmp_path / "ward/models").mkdir(parents=True)
    (tmp_path / "ward/models/__init__.py").write_text("from .visit import Visit\n# from .admission import Admission\n")
    (tmp_path / "ward/models/visit.py").write_text("from django.db import models\n\nclass Visit(models.Model):\n"
                                                   "    mrn = models.CharField(max_length=9)\n")
    (tmp_path / "ward/models/admission.py").write_text("from django.db import models\n\nclass Admission(models.Model):\n"
                                                       "    mrn = models.CharField(max_length=9)\n")
    files = ["ward/models/__init__.py", "ward/models/visit.py", "ward/models/admission.py"]
    facts = describe(tmp_path, files, Vocabulary(), jobs=1)
    assert [m["model"] for m in facts["models_not_loaded"]] == ["ward.models.admission.Admission"]
    assert [m["model"] for m in facts["patient_models"]] == ["ward.models.visit.Visit"]
    assert "Classes Django never loads (1)" in render_text(facts)


def test_a_python_2_view_importing_a_models_module_implicitly_relative_loads_it() -> None:
    init = ("ward/models/__init__.py", "from .visit import Visit\n")
    visit = ("ward/models/visit.py", ("from django.db import models\nfrom simple_history.models import HistoricalRecords\n"
             "\nclass Visit(models.Model):\n    mrn = models.CharField(max_length=9)\n    history = HistoricalRecords()\n"))
    dead = ("from django.db import models\n\nclass Admission(models.Model):\n"
            "    mrn = models.CharField(max_length=9)\n    date_of_birth = models.DateField()\n")
    view = ("ward/views.py", "from models.admission import Admission\n")
    assert lines(UnauditedPatientModel, dead, init, visit, view, path="ward/models/admission.py") == [3]
