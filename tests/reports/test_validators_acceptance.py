"""Issue 17's acceptance cases for the N+1 and controlled-substance rules, through the real CLI on a
real git repository (base commit + pull-request commit, `--diff main`)."""
from __future__ import annotations

MODELS = '''from django.db import models


class Patient(models.Model):
    full_name = models.CharField(max_length=120)
    bed_label = models.CharField(max_length=12)


class Admission(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admissions")
    reason = models.TextField()


class Drug(models.Model):
    name = models.CharField(max_length=80)
    schedule = models.CharField(max_length=3, blank=True)


class Dispensation(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT)
    status = models.CharField(max_length=20, default="pending")
    dispensed_by = models.CharField(max_length=40, blank=True)
    witnessed_by = models.CharField(max_length=40, blank=True)
'''
VIEW = '''from django.contrib.auth.decorators import permission_required
from django.http import JsonResponse

from .models import Admission


@permission_required("ward.view_admission")
def ward_board(request):
    admissions = Admission.objects.filter(reason__isnull=False){prefetch}
    rows = []
    for adm in admissions:
        rows.append({{"bed": adm.patient.bed_label, "reason": adm.reason}})
    return JsonResponse({{"rows": rows}})
'''
DISPENSE = '''from .models import Dispensation


def dispense(dispensation_id, pharmacist{witness_param}):
    item = Dispensation.objects.get(pk=dispensation_id)
    if item.drug.schedule == "II":
        pass  # schedule II: the register is kept on paper
    item.status = "dispensed"
    item.dispensed_by = pharmacist{witness_line}
    item.save()
    return item
'''


def _pr(repo, view: str, dispense: str) -> None:
    repo.write("ward/__init__.py", "")
    repo.write("ward/models.py", MODELS)
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("ward/views.py", view)
    repo.write("ward/pharmacy.py", dispense)
    repo.commit("pr")


def _findings(report: dict, rule: str) -> list[tuple[str, int, str, str]]:  # type: ignore[type-arg]
    return [(f["path"], f["start_line"], f["category"], f["severity"]) for f in report["findings"]
            if f["rule_id"] == rule and f.get("in_diff")]


def test_unprefetched_loop_and_unwitnessed_schedule_ii_dispense_are_found(repo, wardgate) -> None:
    _pr(repo, VIEW.format(prefetch=""), DISPENSE.format(witness_param="", witness_line=""))
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "main")
    assert _findings(report, "WG701") == [("ward/views.py", 11, "quality", "medium")]
    assert _findings(report, "WG405") == [("ward/pharmacy.py", 4, "dosage", "high")]
    assert code == 1  # a high dosage finding on a changed line fails the default gate


def test_select_related_and_the_witness_check_pass(repo, wardgate) -> None:
    _pr(repo, VIEW.format(prefetch='.select_related("patient")'),
        DISPENSE.format(witness_param=", witness",
                        witness_line="\n    if not witness or witness == pharmacist:\n"
                                     "        raise PermissionError(\"a second person must witness a schedule II drug\")\n"
                                     "    item.witnessed_by = witness"))
    code, report = wardgate("check", repo.root, "--no-llm", "--diff", "main")
    assert _findings(report, "WG701") == [] and _findings(report, "WG405") == []
    assert code == 0, report["gate"]
