"""Change rules on real git repositories: a base commit, a pull-request commit, `--diff main`.

For every rule, the dangerous change and a harmless refactor of the same code."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from wardgate.config import Config
from wardgate.pipeline import RunOptions, run

MODELS = '''\
from django.core.validators import MaxValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class Patient(models.Model):
    mrn = models.CharField(max_length=20, unique=True)
    first_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    allergies = models.TextField(blank=True)
    discharged = models.BooleanField(default=False)
    history = HistoricalRecords()


class Prescription(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    drug = models.CharField(max_length=100)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2, validators=[MaxValueValidator(400)])
    history = HistoricalRecords()
'''

INITIAL = '''\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(name="Patient", fields=[("mrn", models.CharField(max_length=20))]),
    ]
'''

SERIALIZERS = '''\
from rest_framework import serializers

from clinic.models import Patient


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "mrn"]
'''

API = '''\
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from clinic.models import Patient
from clinic.serializers import PatientSerializer


class PatientViewSet(viewsets.ModelViewSet):
    serializer_class = PatientSerializer
    queryset = Patient.objects.all()
    permission_classes = [IsAuthenticated]
'''

DOSING = '''\
MAX_DAILY_PARACETAMOL_MG = 4000


def check_dose(dose_mg, weight_kg):
    """Reject a dose above the weight-based limit."""
    if dose_mg > 15 * weight_kg:
        raise ValueError("dose above 15 mg/kg")
    return dose_mg
'''

SERVICES = '''\
from clinic.models import Patient


def discharge(pk):
    patient = Patient.objects.get(pk=pk)
    patient.discharged = True
    patient.save()
'''

SETTINGS = '''\
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
'''

TOOLS_OFF = "".join(f"[tools.{t}]\nenabled = false\n" for t in ("ruff", "bandit", "radon", "semgrep"))


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def write(repo: Path, rel: str, text: str) -> None:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dedent(text), encoding="utf-8")


def edit(repo: Path, rel: str, old: str, new: str) -> None:
    text = (repo / rel).read_text(encoding="utf-8")
    assert old in text, old
    (repo / rel).write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "hospital"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    git(r, "config", "user.email", "t@example.org")
    git(r, "config", "user.name", "t")
    git(r, "config", "commit.gpgsign", "false")
    for rel, text in {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/migrations/__init__.py": "",
                      "clinic/migrations/0001_initial.py": INITIAL, "clinic/serializers.py": SERIALIZERS,
                      "clinic/api.py": API, "clinic/dosing.py": DOSING, "clinic/services.py": SERVICES,
                      "hospital/__init__.py": "", "hospital/settings.py": SETTINGS,
                      "wardgate.toml": TOOLS_OFF}.items():
        write(r, rel, text)
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    git(r, "checkout", "-q", "-b", "feature")
    return r


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")


def changes(repo: Path) -> list[tuple[str, str, int, str, str]]:
    """(rule, path, line, severity, message) of the change findings of `--diff main`."""
    cfg = Config.model_validate({"tools": {t: {"enabled": False} for t in ("ruff", "bandit", "radon", "semgrep")}})
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        result = run(cfg, RunOptions(targets=[Path(".")], no_llm=True, diff="main", no_cache=True))
    finally:
        os.chdir(cwd)
    assert not result.report.stats.errors, result.report.stats.errors
    return [(f.rule_id, f.path, f.start_line, f.severity.value, f.message) for f in result.report.findings
            if f.rule_id.startswith("WG8") and f.in_diff]


# -- safety limit loosened -------------------------------------------------------------------------
def test_dose_validator_raised_tenfold_is_critical(repo: Path) -> None:
    edit(repo, "clinic/models.py", "MaxValueValidator(400)", "MaxValueValidator(4000)")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG801", "clinic/models.py", 18, "critical")
    assert "400 → 4000, ×10" in found[4]


def test_weight_based_limit_in_a_check_function_raised(repo: Path) -> None:
    edit(repo, "clinic/dosing.py", "if dose_mg > 15 * weight_kg", "if dose_mg > 15 * weight_kg * 2")
    edit(repo, "clinic/dosing.py", "MAX_DAILY_PARACETAMOL_MG = 4000", "MAX_DAILY_PARACETAMOL_MG = 6000")
    commit(repo)
    found = changes(repo)
    assert [(r, line, sev) for r, _, line, sev, _ in found] == [("WG801", 1, "high")]
    assert "4000 → 6000, ×1.5" in found[0][4]


def test_limit_refactor_stays_quiet(repo: Path) -> None:
    # reformatted, a local renamed, the function moved to another module, a test added
    write(repo, "clinic/dosing.py", "from clinic.limits import check_dose  # noqa: F401\n\n"
          "MAX_DAILY_PARACETAMOL_MG = (\n    4000\n)\n")
    write(repo, "clinic/limits.py", '''\
        def check_dose(requested_mg, weight_kg):
            """Reject a dose above the weight-based limit."""
            if requested_mg > 15 * weight_kg:
                raise ValueError("dose above 15 mg/kg")
            return requested_mg
        ''')
    write(repo, "clinic/tests/test_dosing.py", "MAX_DOSE_MG = 99999\n\ndef test_dose():\n    assert 1\n")
    commit(repo)
    assert changes(repo) == []


# -- authorization weakened ------------------------------------------------------------------------
def test_is_authenticated_to_allow_any_is_critical(repo: Path) -> None:
    edit(repo, "clinic/api.py", "from rest_framework.permissions import IsAuthenticated",
         "from rest_framework.permissions import AllowAny")
    edit(repo, "clinic/api.py", "permission_classes = [IsAuthenticated]", "permission_classes = [AllowAny]")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG802", "clinic/api.py", 11, "critical")
    assert "any signed-in user → anyone" in found[4] and "[IsAuthenticated] → [AllowAny]" in found[4]


def test_new_action_more_open_than_its_viewset(repo: Path) -> None:
    edit(repo, "clinic/api.py", "from rest_framework import viewsets",
         "from rest_framework import viewsets\nfrom rest_framework.decorators import action\n"
         "from rest_framework.permissions import AllowAny\nfrom rest_framework.response import Response")
    (repo / "clinic/api.py").write_text((repo / "clinic/api.py").read_text() + '''
    @action(detail=True, permission_classes=[AllowAny])
    def summary(self, request, pk=None):
        return Response(PatientSerializer(self.get_object()).data)
'''.replace("\n    ", "\n    "), encoding="utf-8")
    commit(repo)
    found = changes(repo)
    assert [(r, p, sev) for r, p, _, sev, _ in found] == [("WG802", "clinic/api.py", "critical")]
    assert "`PatientViewSet.summary`" in found[0][4]


def test_login_middleware_removed(repo: Path) -> None:
    edit(repo, "hospital/settings.py", '"django.contrib.auth.middleware.AuthenticationMiddleware",\n',
         '"django.contrib.auth.middleware.AuthenticationMiddleware",\n'
         '    "django.contrib.auth.middleware.LoginRequiredMiddleware",\n')
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "hospital/settings.py", '    "django.contrib.auth.middleware.LoginRequiredMiddleware",\n', "")
    commit(repo)
    found = changes(repo)
    assert [(r, p, sev) for r, p, _, sev, _ in found] == [("WG802", "hospital/settings.py", "critical")]
    assert "LoginRequiredMiddleware → none" in found[0][4]


def test_permission_refactor_stays_quiet(repo: Path) -> None:
    write(repo, "clinic/api.py", API.replace("from rest_framework.permissions import IsAuthenticated",
                                             "from rest_framework import permissions").replace(
        "permission_classes = [IsAuthenticated]", "permission_classes = [\n        permissions.IsAuthenticated,\n    ]"))
    commit(repo)
    assert changes(repo) == []


# -- audit removed ---------------------------------------------------------------------------------
def test_history_field_removed_from_a_patient_model(repo: Path) -> None:
    edit(repo, "clinic/models.py", "    discharged = models.BooleanField(default=False)\n    history = HistoricalRecords()\n",
         "    discharged = models.BooleanField(default=False)\n")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG803", "clinic/models.py", 11, "high")
    assert "simple-history → none" in found[4]


def test_save_replaced_by_queryset_update(repo: Path) -> None:
    write(repo, "clinic/services.py", "from clinic.models import Patient\n\n\ndef discharge(pk):\n"
          "    Patient.objects.filter(pk=pk).update(discharged=True)\n")
    commit(repo)
    (found,) = changes(repo)
    assert found[:3] == ("WG803", "clinic/services.py", 5)
    assert "save() → queryset .update()" in found[4]


def test_audit_refactor_stays_quiet(repo: Path) -> None:
    # the model file reordered and reformatted; the service's local renamed
    edit(repo, "clinic/models.py", "    allergies = models.TextField(blank=True)\n",
         "    allergies = models.TextField(\n        blank=True,\n    )\n")
    edit(repo, "clinic/services.py", "patient", "p")
    commit(repo)
    assert changes(repo) == []


# -- PHI exposure added ----------------------------------------------------------------------------
def test_serializer_starts_returning_date_of_birth(repo: Path) -> None:
    edit(repo, "clinic/serializers.py", 'fields = ["id", "mrn"]', 'fields = ["id", "mrn", "date_of_birth"]')
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG804", "clinic/serializers.py", 9, "high")
    assert "[mrn] → [date_of_birth, mrn]" in found[4]


def test_all_fields_introduced(repo: Path) -> None:
    edit(repo, "clinic/serializers.py", 'fields = ["id", "mrn"]', 'fields = "__all__"')
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG804", "clinic/serializers.py", 9, "high")
    assert "[mrn] → all fields incl. [date_of_birth, first_name]" in found[4]


def test_serializer_refactor_stays_quiet(repo: Path) -> None:
    edit(repo, "clinic/serializers.py", 'fields = ["id", "mrn"]', 'fields = (\n            "id",\n            "mrn",\n        )')
    commit(repo)
    assert changes(repo) == []


# -- destructive migration -------------------------------------------------------------------------
DROP = '''\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]
    operations = [
        migrations.RemoveField(model_name="patient", name="allergies"),
    ]
'''


def test_migration_dropping_allergies(repo: Path) -> None:
    write(repo, "clinic/migrations/0002_remove_patient_allergies.py", DROP)
    edit(repo, "clinic/models.py", "    allergies = models.TextField(blank=True)\n", "")
    commit(repo)
    found = changes(repo)
    assert [f[:4] for f in found] == [("WG805", "clinic/migrations/0002_remove_patient_allergies.py", 7, "high")]
    assert "Patient.allergies → dropped" in found[0][4]


def test_dropped_field_still_used_elsewhere_is_also_a_breaking_change(repo: Path) -> None:
    write(repo, "clinic/reports.py", "def allergy_list(p):\n    return p.allergies.split()\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    write(repo, "clinic/migrations/0002_remove_patient_allergies.py", DROP)
    edit(repo, "clinic/models.py", "    allergies = models.TextField(blank=True)\n", "")
    commit(repo)
    found = {f[0]: f for f in changes(repo)}
    assert set(found) == {"WG805", "WG806"}
    assert found["WG806"][1:3] == ("clinic/migrations/0002_remove_patient_allergies.py", 7)
    assert "clinic/reports.py:2" in found["WG806"][4]


def test_additive_migration_and_squash_rename_stay_quiet(repo: Path) -> None:
    git(repo, "mv", "clinic/migrations/0001_initial.py", "clinic/migrations/0001_squashed.py")
    write(repo, "clinic/migrations/0002_patient_nhs.py", DROP.replace(
        'migrations.RemoveField(model_name="patient", name="allergies")',
        'migrations.AddField(model_name="patient", name="nhs", field=models.CharField(max_length=10, default=""))')
          .replace("from django.db import migrations", "from django.db import migrations, models"))
    edit(repo, "clinic/models.py", "    allergies = models.TextField(blank=True)\n",
         "    allergies = models.TextField(blank=True)\n    nhs = models.CharField(max_length=10, default='')\n")
    commit(repo)
    assert changes(repo) == []


# -- breaking change -------------------------------------------------------------------------------
def test_signature_changed_while_callers_unchanged(repo: Path) -> None:
    write(repo, "clinic/orders.py", "from clinic.dosing import check_dose\n\n\ndef order(d, w):\n"
          "    return check_dose(d, w)\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "clinic/dosing.py", "def check_dose(dose_mg, weight_kg):", "def check_dose(dose_mg, weight_kg, age):")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG806", "clinic/dosing.py", 4, "medium")
    assert "clinic/orders.py:5" in found[4]


def test_moved_function_and_test_only_change_stay_quiet(repo: Path) -> None:
    write(repo, "clinic/dosing.py", "from clinic.limits import *  # noqa\n\nMAX_DAILY_PARACETAMOL_MG = 4000\n")
    write(repo, "clinic/limits.py", DOSING.replace("MAX_DAILY_PARACETAMOL_MG = 4000\n\n\n", ""))
    write(repo, "clinic/tests.py", "from clinic.dosing import check_dose\n\n\ndef test_it():\n"
          "    assert check_dose(1, 70) == 1\n")
    commit(repo)
    assert changes(repo) == []


# -- through the CLI -------------------------------------------------------------------------------
def test_cli_gate_fails_on_a_loosened_limit_and_the_json_shows_it(repo: Path) -> None:
    edit(repo, "clinic/models.py", "MaxValueValidator(400)", "MaxValueValidator(4000)")
    commit(repo)
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm",
                           "--diff", "main"], cwd=repo, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    (f,) = [f for f in report["findings"] if f["rule_id"] == "WG801"]
    assert f["in_diff"] and f["severity"] == "critical" and f["category"] == "dosage"
    assert report["stats"]["changes"]["files"] == 1
    roles = {r["role"] for r in report["approvals"]["required"]}
    assert "medical-director" in roles


def test_base_facts_are_cached_by_blob(repo: Path) -> None:
    edit(repo, "clinic/models.py", "MaxValueValidator(400)", "MaxValueValidator(4000)")
    commit(repo)
    cmd = [sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm", "--diff", "main"]
    first = json.loads(subprocess.run(cmd, cwd=repo, capture_output=True, text=True).stdout)["stats"]["changes"]
    second = json.loads(subprocess.run(cmd, cwd=repo, capture_output=True, text=True).stdout)["stats"]["changes"]
    assert (first["base_facts_collected"], first["base_facts_cached"]) == (1, 0)
    assert (second["base_facts_collected"], second["base_facts_cached"]) == (0, 1)


def test_history_removed_where_a_project_wide_signal_log_remains(repo: Path) -> None:
    write(repo, "clinic/audit_log.py", '''\
        from django.db.models.signals import pre_save
        from django.dispatch import receiver


        @receiver(pre_save, weak=False)
        def audit_pre_save(sender, instance, **kwargs):
            """Log every save of every model."""
        ''')
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "clinic/models.py", "    discharged = models.BooleanField(default=False)\n    history = HistoricalRecords()\n",
         "    discharged = models.BooleanField(default=False)\n")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG803", "clinic/models.py", 11, "high")
    assert "simple-history → signal-receiver" in found[4]


def test_vital_sign_bound_on_a_patient_model_is_a_safety_limit(repo: Path) -> None:
    edit(repo, "clinic/models.py", "    discharged = models.BooleanField(default=False)\n",
         "    discharged = models.BooleanField(default=False)\n"
         "    pulse = models.IntegerField(null=True, validators=[MaxValueValidator(200)])\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "clinic/models.py", "MaxValueValidator(200)", "MaxValueValidator(2000)")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG801", "clinic/models.py", 12, "critical")
    assert "Patient.pulse MaxValueValidator 200 → 2000, ×10" in found[4]


def test_queryset_no_longer_scoped_to_the_user(repo: Path) -> None:
    edit(repo, "clinic/api.py", "    queryset = Patient.objects.all()\n",
         "    queryset = Patient.objects.all()\n\n    def get_queryset(self):\n"
         "        return Patient.objects.filter(doctor=self.request.user)\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "clinic/api.py", "Patient.objects.filter(doctor=self.request.user)", "Patient.objects.all()")
    commit(repo)
    (found,) = changes(repo)
    assert found[:2] == ("WG802", "clinic/api.py") and found[3] == "high"
    assert "own records → every Patient row" in found[4]


def test_deleted_audit_registration_module(repo: Path) -> None:
    edit(repo, "clinic/models.py", "    discharged = models.BooleanField(default=False)\n    history = HistoricalRecords()\n",
         "    discharged = models.BooleanField(default=False)\n")
    write(repo, "clinic/auditing.py", "from auditlog.registry import auditlog\n\nfrom clinic.models import Patient\n\n"
          "auditlog.register(Patient)\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    git(repo, "rm", "-q", "clinic/auditing.py")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG803", "clinic/models.py", 6, "high")
    assert "auditlog → none, by deleting `clinic/auditing.py`" in found[4]


def test_staged_change_is_judged_against_head(repo: Path) -> None:
    edit(repo, "clinic/dosing.py", "MAX_DAILY_PARACETAMOL_MG = 4000", "MAX_DAILY_PARACETAMOL_MG = 40000")
    git(repo, "add", "clinic/dosing.py")
    edit(repo, "clinic/dosing.py", "MAX_DAILY_PARACETAMOL_MG = 40000", "MAX_DAILY_PARACETAMOL_MG = 4000")  # unstaged
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm",
                           "--staged"], cwd=repo, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    (f,) = [f for f in report["findings"] if f["rule_id"] == "WG801"]
    assert f["severity"] == "critical" and "4000 → 40000, ×10" in f["message"] and proc.returncode == 1


def test_renamed_module_with_its_limits_stays_quiet(repo: Path) -> None:
    git(repo, "mv", "clinic/dosing.py", "clinic/dose_limits.py")
    edit(repo, "clinic/dose_limits.py", "def check_dose(dose_mg, weight_kg):", "def check_dose(amount_mg, weight_kg):")
    edit(repo, "clinic/dose_limits.py", "if dose_mg > 15", "if amount_mg > 15")
    edit(repo, "clinic/dose_limits.py", "return dose_mg", "return amount_mg")
    commit(repo)
    assert changes(repo) == []


def test_formulary_yaml_limit_raised(repo: Path) -> None:
    write(repo, "clinic/formulary.yaml", "paracetamol:\n  max_daily_mg: 4000\n  min_interval_h: 4\n"
          "ibuprofen:\n  max_daily_mg: 1200\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "clinic/formulary.yaml", "max_daily_mg: 1200", "max_daily_mg: 12000")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG801", "clinic/formulary.yaml", 5, "critical")
    assert '["ibuprofen"]["max_daily_mg"] 1200 → 12000, ×10' in found[4]


def test_write_that_stops_calling_the_explicit_audit_service(repo: Path) -> None:
    write(repo, "clinic/auditing.py", '''\
        from django.db import models


        class AuditLog(models.Model):
            action = models.CharField(max_length=20)


        class Auditor:
            def audit_update(self, obj):
                AuditLog.objects.create(action="update")
        ''')
    write(repo, "clinic/services.py", SERVICES.replace("from clinic.models import Patient\n",
                                                       "from clinic.auditing import Auditor\nfrom clinic.models import Patient\n")
          + "    Auditor().audit_update(patient)\n")
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "feature")
    git(repo, "checkout", "-q", "-b", "pr2")
    edit(repo, "clinic/services.py", "    Auditor().audit_update(patient)\n", "")
    commit(repo)
    (found,) = changes(repo)
    assert found[:4] == ("WG803", "clinic/services.py", 8, "high")
    assert "no longer calls the audit service: 1 audit call(s) → 0" in found[4]
