"""Approval routing on the change rules' facts, on a real repository: a pull request that plants five
dangerous changes must name exactly the right roles; a viewset whose base is called `HistoryMixin`
is not an audit change."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_pr_changes import DROP, commit, edit, write


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wardgate", "check", ".", "--no-llm", "--diff", "main", *args],
                          cwd=repo, capture_output=True, text=True, check=False)


def _plant_five(repo: Path) -> None:
    edit(repo, "clinic/models.py", "MaxValueValidator(400)", "MaxValueValidator(4000)")  # dose x10
    edit(repo, "clinic/api.py", "from rest_framework.permissions import IsAuthenticated",
         "from rest_framework.permissions import AllowAny")
    edit(repo, "clinic/api.py", "permission_classes = [IsAuthenticated]", "permission_classes = [AllowAny]")
    edit(repo, "clinic/models.py", "    discharged = models.BooleanField(default=False)\n    history = HistoricalRecords()\n",
         "    discharged = models.BooleanField(default=False)\n")  # Patient's audit trail dropped
    edit(repo, "clinic/serializers.py", 'fields = ["id", "mrn"]', 'fields = ["id", "mrn", "date_of_birth"]')
    write(repo, "clinic/migrations/0002_remove_patient_allergies.py", DROP)
    edit(repo, "clinic/models.py", "    allergies = models.TextField(blank=True)\n", "")
    commit(repo)


def test_five_planted_problems_route_to_the_right_roles_only(repo: Path) -> None:
    _plant_five(repo)
    proc = _cli(repo, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    change = {(f["rule_id"], f["path"], f["start_line"]) for f in report["findings"]
              if f["rule_id"].startswith("WG8") and f["in_diff"] and f["severity"] in ("high", "critical")}
    assert change == {("WG801", "clinic/models.py", 16), ("WG802", "clinic/api.py", 11),
                      ("WG803", "clinic/models.py", 10), ("WG804", "clinic/serializers.py", 9),
                      ("WG805", "clinic/migrations/0002_remove_patient_allergies.py", 7)}
    required = {r["role"]: r for r in report["approvals"]["required"]}
    assert set(required) == {"dba", "security", "compliance", "medical-director"}
    whys = {r: " ".join(x["why"] for x in req["reasons"]) for r, req in required.items()}
    assert "safety limit loosened (WG801)" in whys["medical-director"] and "400 → 4000, ×10" in whys["medical-director"]
    assert "authorization weakened (WG802)" in whys["security"]
    assert "audit removed (WG803)" in whys["compliance"] and "phi exposure added (WG804)" in whys["compliance"]
    assert "destructive migration (WG805)" in whys["compliance"]
    md = _cli(repo, "--format", "markdown").stdout
    assert md.startswith("## Approvals required\n\n- **compliance**")
    assert "- **security** (authorization change): authorization weakened (WG802): `PatientViewSet` access " \
           "widened" in md


def test_history_named_base_of_a_viewset_is_not_an_audit_change(repo: Path) -> None:
    write(repo, "clinic/mixins.py", "class HistoryMixin:\n    def history(self, request, pk=None):\n"
          "        return None\n")
    commit(repo)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    subprocess.run(["git", "merge", "-q", "feature"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "pr2"], cwd=repo, check=True)
    edit(repo, "clinic/api.py", "from clinic.models import Patient",
         "from clinic.mixins import HistoryMixin\nfrom clinic.models import Patient")
    edit(repo, "clinic/api.py", "class PatientViewSet(viewsets.ModelViewSet):",
         "class PatientViewSet(HistoryMixin, viewsets.ModelViewSet):")
    commit(repo)
    report = json.loads(_cli(repo, "--format", "json").stdout)
    roles = {r["role"] for r in report["approvals"]["required"]}
    assert "compliance" not in roles  # (security: WG302, already true at the base, sits on the changed class line)
    assert not [s for s in report["test_suggestions"] if "history" in s["behaviour"]]


def test_merge_keeps_the_approval_conditions(repo: Path, tmp_path: Path) -> None:
    _plant_five(repo)
    parts = []
    for i in (1, 2):
        out = tmp_path / f"shard{i}.json"
        _cli(repo, "--format", "json", "--shard", f"{i}/2", "--approved-by", "dba,security",
             "--output", f"json:{out}")
        parts.append(str(out))
    proc = subprocess.run([sys.executable, "-m", "wardgate", "merge", *parts, "--format", "json"], cwd=repo,
                          capture_output=True, text=True, check=False)
    merged = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    failed = {c["id"] for c in merged["gate"]["conditions"] if not c["held"] and c["id"].startswith("approval:")}
    assert failed == {"approval:compliance", "approval:medical-director"}
    assert {r["role"] for r in merged["approvals"]["required"]} == {"dba", "security", "compliance",
                                                                     "medical-director"}
    assert merged["approvals"]["missing"] == ["compliance", "medical-director"]
    assert "missing approval from compliance" in merged["gate"]["summary"]


def test_reformat_over_an_old_finding_needs_no_approval(repo: Path) -> None:
    # WG202 (a queryset update on an audited patient model) exists at the base; a reformat puts it on
    # changed lines. It still counts for the gate, but the change did not cause it: nobody must approve.
    write(repo, "clinic/services.py", "from clinic.models import Patient\n\n\ndef discharge(pk):\n"
          "    Patient.objects.filter(pk=pk).update(discharged=True)\n")
    commit(repo)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    subprocess.run(["git", "merge", "-q", "feature"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "pr2"], cwd=repo, check=True)
    write(repo, "clinic/services.py", "from clinic.models import Patient\n\n\ndef discharge(pk):\n"
          "    Patient.objects.filter(\n        pk=pk\n    ).update(discharged=True)\n")
    commit(repo)
    report = json.loads(_cli(repo, "--format", "json").stdout)
    (old,) = [f for f in report["findings"] if f["rule_id"] == "WG202"]
    assert old["in_diff"] and old["properties"]["at_base"]
    assert report["approvals"]["required"] == []
    assert not [f for f in report["findings"] if f["rule_id"].startswith("WG8")]
