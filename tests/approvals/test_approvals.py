"""Approval routing and change metrics on real temporary git repositories."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from radon.complexity import cc_visit
from radon.metrics import mi_visit

from wardgate.approvals import ApprovalsConfig, Context, detect, load_changes, parse_roles, route
from wardgate.approvals.metrics import compute, function_source
from wardgate.config import Config

MODELS = '''\
from django.db import models
from simple_history.models import HistoricalRecords


class Patient(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    ssn = models.CharField(max_length=11)
    date_of_birth = models.DateField()
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()


class Ward(models.Model):
    label = models.CharField(max_length=20)
'''

INITIAL = '''\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(name="Patient", fields=[("ssn", models.CharField(max_length=11))]),
    ]
'''

VIEWS = '''\
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render

from .models import Patient


@login_required
@permission_required("clinic.change_patient", raise_exception=True)
def patient_update(request, pk):
    """Edit one patient."""
    patient = get_object_or_404(Patient, pk=pk)
    return render(request, "patient.html", {"patient": patient})


def ward_label(ward) -> str:
    """The ward's label."""
    return ward.label
'''

DROP_SSN = '''\
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]
    operations = [
        migrations.RemoveField(
            model_name="patient",
            name="ssn",
        ),
    ]
'''

PURGE = '''\
from .models import Patient


def purge_inactive_patients(days):
    """Remove patients nobody has seen."""
    stale = Patient.objects.filter(is_active=False)
    count = stale.count()
    stale.delete()
    return count
'''


# The external tools are tested elsewhere; these tests are about routing, so they run wardgate's own checks.
TOOLS_OFF = "".join(f"[tools.{t}]\nenabled = false\n" for t in ("ruff", "bandit", "radon", "semgrep"))


def config() -> Config:
    return Config.model_validate({"tools": {t: {"enabled": False} for t in ("ruff", "bandit", "radon", "semgrep")}})


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def write(repo: Path, rel: str, text: str) -> None:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "hospital"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    git(r, "config", "user.email", "t@example.org")
    git(r, "config", "user.name", "t")
    git(r, "config", "commit.gpgsign", "false")
    write(r, "clinic/__init__.py", "")
    write(r, "clinic/models.py", MODELS)
    write(r, "clinic/migrations/__init__.py", "")
    write(r, "clinic/migrations/0001_initial.py", INITIAL)
    write(r, "clinic/views.py", VIEWS)
    write(r, "clinic/services.py", '"""Services."""\n')
    write(r, "wardgate.toml", TOOLS_OFF)
    git(r, "add", ".")
    git(r, "commit", "-q", "-m", "base")
    git(r, "checkout", "-q", "-b", "feature")
    return r


def commit(repo: Path, msg: str = "change") -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", msg)


def analyse(repo: Path):
    from wardgate.pipeline import RunOptions, run

    cwd = os.getcwd()
    os.chdir(repo)
    try:
        result = run(config(), RunOptions(targets=[Path(".")], no_llm=True))
    finally:
        os.chdir(cwd)
    changes = load_changes(result.root, "main")
    project = result.engine.project
    ctx = Context(changes=changes, models=project.fact("django_models"), code=project.fact("django_code"),
                  vocab=Config().domain)
    triggers = detect(ctx)
    reqs = route(triggers, result.report.findings, changes, ApprovalsConfig().all_rules())
    return {r.role: r for r in reqs}, triggers


def cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    e = {k: v for k, v in os.environ.items() if k != "WARDGATE_APPROVED_BY"}
    e.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm",
                           "--diff", "main", *args], cwd=repo, capture_output=True, text=True, env=e)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _has_diff_option() -> bool:
    from wardgate.cli import parser as _parser

    try:
        args = _parser().parse_args(["check", "--diff", "main", "--approved-by", "dba"])
    except SystemExit:
        return False
    return getattr(args, "diff", None) is not None


needs_cli = pytest.mark.skipif(not _has_diff_option(), reason="`--diff` not in the CLI yet")


def test_migration_dropping_patient_column_needs_dba_and_compliance(repo: Path) -> None:
    write(repo, "clinic/migrations/0002_remove_patient_ssn.py", DROP_SSN)
    commit(repo)
    reqs, _ = analyse(repo)
    assert set(reqs) >= {"dba", "compliance"}
    assert "security" not in reqs and "medical-director" not in reqs
    dba = {t.kind: t for t in reqs["dba"].triggers}
    assert dba["migration-patient-column"].path == "clinic/migrations/0002_remove_patient_ssn.py"
    assert dba["migration-patient-column"].lines == [7, 8, 9, 10]  # the RemoveField(...) call
    assert "`ssn`" in dba["migration-patient-column"].why and "Patient" in dba["migration-patient-column"].why
    comp = [t for t in reqs["compliance"].triggers if t.kind == "migration-audited-column"]
    assert comp and comp[0].lines == [7, 8, 9, 10] and "simple-history" in comp[0].why


def test_migration_on_a_non_patient_table_needs_only_dba(repo: Path) -> None:
    write(repo, "clinic/migrations/0002_ward.py", DROP_SSN.replace('"patient"', '"ward"').replace('"ssn"', '"label"'))
    commit(repo)
    reqs, _ = analyse(repo)
    assert set(reqs) == {"dba"}
    kinds = {t.kind for t in reqs["dba"].triggers}
    assert "migration-drops-column" in kinds and "migration-patient-column" not in kinds


def test_changed_permission_decorator_needs_security(repo: Path) -> None:
    write(repo, "clinic/views.py", VIEWS.replace('"clinic.change_patient", raise_exception=True',
                                                 '"clinic.view_patient", raise_exception=True'))
    commit(repo)
    reqs, triggers = analyse(repo)
    assert set(reqs) == {"security"}
    perm = [t for t in reqs["security"].triggers if t.kind == "permission"]
    assert len(perm) == 1 and perm[0].path == "clinic/views.py" and perm[0].lines == [8]
    assert perm[0].symbol == "patient_update"
    assert "clinic.change_patient" in perm[0].why and "clinic.view_patient" in perm[0].why
    from wardgate.approvals.suggestions import suggest

    texts = [s.behaviour for s in suggest(triggers, None)]  # type: ignore[arg-type]
    assert "a user without `clinic.view_patient` gets 403 on `patient_update`" in texts


def test_removed_login_decorator_needs_security(repo: Path) -> None:
    write(repo, "clinic/views.py", VIEWS.replace("@login_required\n", ""))
    commit(repo)
    reqs, _ = analyse(repo)
    perm = [t for t in reqs["security"].triggers if t.kind == "permission"]
    assert perm and perm[0].lines == [8] and "removes `@login_required`" in perm[0].why


def test_bulk_delete_of_patients_needs_medical_director(repo: Path) -> None:
    write(repo, "clinic/services.py", PURGE)
    commit(repo)
    reqs, triggers = analyse(repo)
    assert "medical-director" in reqs and "dba" not in reqs and "security" not in reqs
    dels = [t for t in reqs["medical-director"].triggers if t.kind == "patient-delete"]
    assert len(dels) == 1 and dels[0].path == "clinic/services.py" and dels[0].lines == [8]
    assert dels[0].data["bulk"] and "purge_inactive_patients" in dels[0].why
    from wardgate.approvals.suggestions import suggest

    texts = [s.behaviour for s in suggest(triggers, None)]  # type: ignore[arg-type]
    assert any("deletes only the `Patient` rows" in t and "simple-history" in t for t in texts)


def test_delete_of_a_non_patient_model_needs_nobody(repo: Path) -> None:
    write(repo, "clinic/services.py", PURGE.replace("Patient", "Ward").replace("is_active=False", "label=''"))
    commit(repo)
    reqs, _ = analyse(repo)
    assert "medical-director" not in reqs


def test_audit_registration_removed_needs_compliance(repo: Path) -> None:
    write(repo, "clinic/models.py", MODELS.replace("    history = HistoricalRecords()\n", ""))
    commit(repo)
    reqs, _ = analyse(repo)
    assert "compliance" in reqs
    assert any(t.kind == "audit" and "removed" in t.why for t in reqs["compliance"].triggers)


def test_parse_roles() -> None:
    assert parse_roles(" DBA, security  medical-director") == ["dba", "medical-director", "security"]
    assert parse_roles("") == [] and parse_roles(None) is None


def test_unknown_config_key_is_rejected() -> None:
    with pytest.raises(ValueError):
        ApprovalsConfig.model_validate({"rules": [{"role": "dba", "kindz": ["migration"]}]})
    ApprovalsConfig.model_validate({"defaults": False, "rules": [{"role": "finance", "paths": ["billing/**"]}]})


CHANGED_BEFORE = '''\
def triage(score, age):
    if score > 5:
        return "red"
    return "green"


def untouched(x):
    return x
'''

CHANGED_AFTER = '''\
def triage(score: int, age: int) -> str:
    """Triage colour."""
    if score > 8 or age > 90:
        return "red"
    elif score > 5:
        return "amber"
    for _ in range(age):
        if _ > 100:
            break
    return "green"


def untouched(x):
    return x
'''


def test_metrics_match_radon_at_both_refs(repo: Path) -> None:
    write(repo, "clinic/triage.py", CHANGED_BEFORE)
    commit(repo, "triage")
    git(repo, "branch", "-f", "main", "HEAD")
    write(repo, "clinic/triage.py", CHANGED_AFTER)
    commit(repo)
    changes = load_changes(repo, "main")
    metrics = compute(changes, ApprovalsConfig().metrics)
    fns = {f.function: f for f in metrics.functions}
    assert set(fns) == {"triage"}  # `untouched` is not a changed function
    before = {b.name: b for b in cc_visit(CHANGED_BEFORE)}["triage"]
    after = {b.name: b for b in cc_visit(CHANGED_AFTER)}["triage"]
    f = fns["triage"]
    assert (f.complexity_before, f.complexity_after) == (before.complexity, after.complexity)
    assert f.complexity_delta == after.complexity - before.complexity
    mi_b = mi_visit(function_source(CHANGED_BEFORE, before.lineno, before.endline), True)
    mi_a = mi_visit(function_source(CHANGED_AFTER, after.lineno, after.endline), True)
    assert f.mi_before == round(mi_b, 2) and f.mi_after == round(mi_a, 2)
    files = {x.path: x for x in metrics.files}
    assert files["clinic/triage.py"].mi_before == round(mi_visit(CHANGED_BEFORE, True), 2)
    assert files["clinic/triage.py"].mi_after == round(mi_visit(CHANGED_AFTER, True), 2)
    assert (f.docstring_before, f.docstring_after) == (False, True)
    assert (f.type_hints_before, f.type_hints_after) == ("0/3", "3/3")
    assert metrics.totals.type_hint_coverage_before == 0.0
    assert metrics.totals.type_hint_coverage_after == 100.0


@needs_cli
def test_cli_approved_by_passes_and_missing_role_fails(repo: Path) -> None:
    write(repo, "clinic/migrations/0002_remove_patient_ssn.py", DROP_SSN)
    write(repo, "clinic/services.py", PURGE)
    commit(repo)
    code, informational = cli(repo, "--fail-on", "critical")
    required = {r["role"] for r in informational["approvals"]["required"]}
    assert required == {"dba", "compliance", "medical-director"}
    assert not any(c["id"].startswith("approval:") for c in informational["gate"]["conditions"])
    code, partial = cli(repo, "--fail-on", "critical", "--approved-by", "dba")
    assert code == 1 and partial["approvals"]["missing"] == ["compliance", "medical-director"]
    failed = [c for c in partial["gate"]["conditions"] if not c["held"]]
    assert {c["id"] for c in failed} == {"approval:compliance", "approval:medical-director"}
    code, full = cli(repo, "--fail-on", "critical", "--approved-by", "dba,compliance,medical-director")
    assert code == 0 and full["gate"]["passed"], full["gate"]
    code, _via_env = cli(repo, "--fail-on", "critical",
                        env={"WARDGATE_APPROVED_BY": "dba compliance medical-director"})
    assert code == 0


@needs_cli
def test_cli_outside_diff_mode_reports_no_approvals(repo: Path) -> None:
    write(repo, "clinic/services.py", PURGE)
    commit(repo)
    proc = subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--format", "json", "--no-llm",
                           "--approved-by", "dba"], cwd=repo, capture_output=True, text=True)
    report = json.loads(proc.stdout)
    assert not report.get("approvals") and not any(c["id"].startswith("approval:")
                                                   for c in report["gate"]["conditions"])


def test_suggestion_text_for_drf_permission_classes() -> None:
    from wardgate.approvals import Trigger
    from wardgate.approvals.suggestions import suggest

    t = Trigger("permission", "api.py", [3], "x", symbol="PrescriptionViewSet",
                data={"added": ["permission_classes = [IsAuthenticated, IsPrescriber]"], "removed": []})
    texts = [s.behaviour for s in suggest([t], None)]  # type: ignore[arg-type]
    assert texts == ["an unauthenticated request to `PrescriptionViewSet` gets 401/403",
                     "an authenticated user who fails `IsPrescriber` gets 403 on `PrescriptionViewSet`"]


def test_dose_change_needs_medical_director_and_suggests_the_cap(repo: Path) -> None:
    write(repo, "clinic/dosing.py", textwrap.dedent('''\
        MAX_DOSE_MG = 4000


        def calculate_dose(weight_kg: float, mg_per_kg: float) -> float:
            """Weight-based dose, capped."""
            return min(weight_kg * mg_per_kg, MAX_DOSE_MG)
        '''))
    commit(repo)
    reqs, triggers = analyse(repo)
    assert "medical-director" in reqs
    dose = [t for t in reqs["medical-director"].triggers if t.kind == "dose"]
    assert dose and dose[0].lines == [4, 5, 6]
    from wardgate.approvals.suggestions import suggest

    texts = [s.behaviour for s in suggest(triggers, Context(load_changes(repo, "main"), None, None, None))]
    assert "`calculate_dose` never returns more than `MAX_DOSE_MG`, also for the heaviest/oldest plausible " \
           "patient" in texts


@needs_cli
def test_writers_show_approvals_and_sarif_stays_valid(repo: Path) -> None:
    import jsonschema

    write(repo, "clinic/migrations/0002_remove_patient_ssn.py", DROP_SSN)
    write(repo, "clinic/views.py", VIEWS.replace('"clinic.change_patient", raise_exception=True',
                                                 '"clinic.view_patient", raise_exception=True'))
    commit(repo)
    base = [sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--diff", "main", "--approved-by", "dba"]
    md = subprocess.run([*base, "--format", "markdown"], cwd=repo, check=False, capture_output=True, text=True).stdout
    assert md.startswith("## Approvals required") and md.index("## ❌ wardgate: FAIL") > 0
    assert "| **security** | **MISSING** |" in md and "`clinic/views.py:8`" in md
    assert "a user without `clinic.view_patient` gets 403 on `patient_update`" in md
    text = subprocess.run([*base, "--format", "text"], cwd=repo, check=False, capture_output=True, text=True).stdout
    assert "Approvals required (enforced):" in text and "dba" in text
    sarif = json.loads(subprocess.run([*base, "--format", "sarif"], cwd=repo, check=False, capture_output=True, text=True).stdout)
    schema = json.loads(Path("/work/shared/schemas/sarif-schema-2.1.0.json").read_text(encoding="utf-8")) \
        if Path("/work/shared/schemas/sarif-schema-2.1.0.json").is_file() else None
    if schema is not None:
        jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert {r["role"] for r in run["properties"]["approvals"]["required"]} >= {"dba", "security", "compliance"}
    notes = {n["descriptor"]["id"]: n for n in run["invocations"][0]["toolExecutionNotifications"]
             if n.get("descriptor", {}).get("id", "").startswith("approval/")}
    assert notes["approval/security"]["level"] == "error" and notes["approval/dba"]["level"] == "note"
