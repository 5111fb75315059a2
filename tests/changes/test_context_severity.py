"""Severity in context (checks/context.py): bandit's B608 weighed with the project model, on a real
project through the pipeline with bandit running."""
from __future__ import annotations

import os
from pathlib import Path
from textwrap import dedent

from wardgate.config import Config
from wardgate.pipeline import RunOptions, run

MODELS = """\
from django.db import models


class Patient(models.Model):
    mrn = models.CharField(max_length=20)
    last_name = models.CharField(max_length=100)


class Drug(models.Model):
    name = models.CharField(max_length=100)
"""

VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse

from clinic.models import Drug, Patient


@login_required
def patient_search(request):
    name = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM clinic_patient WHERE last_name = '%s'" % name)
        rows = cursor.fetchall()
    return JsonResponse({"ids": [r[0] for r in rows], "n": Patient.objects.count()})


@login_required
def drug_search(request):
    name = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM clinic_drug WHERE name = '%s'" % name)
        rows = cursor.fetchall()
    return JsonResponse({"ids": [r[0] for r in rows], "n": Drug.objects.count()})


@login_required
def patient_report(request):
    table = "clinic_patient"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM %s" % table)
        rows = cursor.fetchall()
    return JsonResponse({"n": rows[0][0], "p": Patient.objects.count()})


def open_lookup(request, mrn):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM clinic_patient WHERE mrn = '%s'" % mrn)
        return JsonResponse({"id": cursor.fetchone()[0], "n": Patient.objects.count()})
"""


def test_b608_is_high_in_a_patient_endpoint_fed_by_request_data(tmp_path: Path) -> None:
    for rel, text in {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/views.py": VIEWS}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(dedent(text), encoding="utf-8")
    cfg = Config.model_validate({"tools": {t: {"enabled": t == "bandit"} for t in ("ruff", "bandit", "radon",
                                                                                   "semgrep")}})
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        report = run(cfg, RunOptions(targets=[Path(".")], no_llm=True, no_cache=True)).report
    finally:
        os.chdir(cwd)
    b608 = {f.start_line: f for f in report.findings if f.rule_id == "bandit:B608"}
    assert set(b608) == {12, 21, 30, 37}, sorted(b608)
    assert b608[12].severity.value == "high"  # patient data, request.GET, signed-in users
    assert "request.GET" in b608[12].properties["severity_context"]["why"]
    assert "medium → high in context" in b608[12].message
    assert b608[21].severity.value == "medium"  # a drug catalogue: no patient data
    assert b608[30].severity.value == "medium"  # patient data, but a constant table name, no request data
    assert b608[37].severity.value == "critical"  # a URL parameter, and the endpoint is open to anyone
