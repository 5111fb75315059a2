"""`wardgate facts`: every write to patient data, and whether the project's audit mechanism sees it."""
from __future__ import annotations

from pathlib import Path

from checks.facts.describe import describe
from checks.vocabulary import Vocabulary
from tests.project.test_project_model import _write

MODELS = (
    "from django.db import models\nimport reversion\nfrom simple_history.models import HistoricalRecords\n\n"
    "@reversion.register()\nclass Referral(models.Model):\n    reason = models.TextField()\n"
    "    patient_nhs_number = models.CharField(max_length=10)\n\n"
    "class Patient(models.Model):\n    nhs_number = models.CharField(max_length=10)\n"
    "    search_vector = models.TextField()\n    history = HistoricalRecords()\n"
)
VIEWS = (
    "import reversion\nfrom django.db import connection\nfrom clinic.models import Patient, Referral\n\n"
    "def plain(request, pk):\n    r = Referral.objects.get(pk=pk)\n    r.reason = 'x'\n    r.save()\n\n"
    "@reversion.create_revision()\ndef revised(request, pk):\n    r = Referral.objects.get(pk=pk)\n    r.save()\n\n"
    "def bulk(request):\n    Patient.objects.filter(nhs_number='').update(nhs_number=None)\n"
    "    Patient.objects.all().update(search_vector='')\n\n"
    "def raw(request):\n    connection.cursor().execute('DELETE FROM clinic_patient WHERE id = %s', [1])\n"
)


def _writes(root: Path, vocab: Vocabulary | None = None) -> dict[tuple[str, int], tuple[bool | None, str]]:
    facts = describe(root, sorted(str(p.relative_to(root)) for p in root.rglob("*.py")), vocab or Vocabulary(), jobs=1)
    return {(w["kind"], w["line"]): (w["audit_sees_it"], w["why"]) for w in facts["write_paths"]}


def test_each_write_with_whether_the_audit_trail_sees_it(tmp_path: Path) -> None:
    _write(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/views.py": VIEWS,
                      "clinic/migrations/0002_fix.py": "def fwd(apps, schema_editor):\n"
                      "    Patient = apps.get_model('clinic', 'Patient')\n"
                      "    Patient.objects.all().update(nhs_number=None)\n"})
    writes = _writes(tmp_path)
    assert writes[("save", 8)][0] is False and "revision" in writes[("save", 8)][1]  # reversion, no revision open
    assert writes[("save", 13)][0] is True  # inside create_revision()
    assert writes[("queryset update", 16)][0] is False and "no model signals" in writes[("queryset update", 16)][1]
    assert writes[("raw SQL DELETE", 20)][0] is False
    # The migration's write is listed, quiet, with the reason (the counter-case of the update in bulk()).
    [migration] = [v for (kind, line), v in writes.items() if line == 3]
    assert migration == (None, "data migration (historical models, run once)")
    # A configured bookkeeping field makes its update quiet; without the configuration it is an unseen write.
    assert writes[("queryset update", 17)][0] is False
    configured = _writes(tmp_path, Vocabulary(bookkeeping_fields=["search_vector"]))
    assert configured[("queryset update", 17)] == (None, "derived or bookkeeping fields only")


def test_revision_middleware_opens_a_revision_for_request_code(tmp_path: Path) -> None:
    _write(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/views.py": VIEWS,
                      "proj/settings.py": "MIDDLEWARE = ['reversion.middleware.RevisionMiddleware']\n"})
    assert _writes(tmp_path)[("save", 8)][0] is True


def test_form_serializer_and_related_instance_writes(tmp_path: Path) -> None:
    _write(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS,
                      "clinic/forms.py": "from django import forms\nfrom clinic.models import Patient\n\n"
                      "class PatientForm(forms.ModelForm):\n    class Meta:\n        model = Patient\n"
                      "        fields = ['nhs_number']\n",
                      "clinic/views.py": "from django.views.generic import UpdateView\nfrom clinic.forms import PatientForm\n"
                      "from clinic.models import Patient\n\ndef edit(request):\n    form = PatientForm(request.POST)\n"
                      "    form.save()\n\nclass Edit(UpdateView):\n    model = Patient\n\n"
                      "    def form_valid(self, form):\n        form.save()\n        self.object.delete()\n\n"
                      "def loop():\n    for p in Patient.objects.all():\n        p.save()\n"
                      "    note = Note()\n    note.save()\n"})
    writes = _writes(tmp_path)
    assert {k for k in writes} == {("save", 7), ("save", 13), ("delete", 14), ("save", 18)}  # Note is no model here


def test_a_helper_writing_the_model_its_callers_pass(tmp_path: Path) -> None:
    """`through_model.objects.filter(...).delete()` in a helper: the writes are to the models the callers pass."""
    helper = ("def reset(through_model, patient):\n    through_model.objects.filter(patient=patient).delete()\n"
              "    through_model.objects.filter(patient=patient).update(reason='')\n")
    views = ("from clinic.helpers import reset\nfrom clinic.models import Referral\n\n"
             "def clear(request, pk):\n    reset(through_model=Referral, patient=pk)\n")
    _write(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/helpers.py": helper,
                      "clinic/views.py": views})
    writes = _writes(tmp_path)
    assert ("queryset delete", 2) in writes and ("queryset update", 3) in writes


def test_a_name_rebound_to_another_model_writes_the_model_of_its_latest_binding(tmp_path: Path) -> None:
    """`r = Referral...` then `r = Patient.objects.get(...)`: the save() below the second writes a Patient."""
    views = ("from clinic.models import Patient, Referral\n\n"
             "def both(request, pk):\n    r = Referral.objects.get(pk=pk)\n    r.save()\n"
             "    r = Patient.objects.get(pk=pk)\n    r.save()\n")
    _write(tmp_path, {"clinic/__init__.py": "", "clinic/models.py": MODELS, "clinic/views.py": views})
    facts = describe(tmp_path, sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.py")), Vocabulary(),
                     jobs=1)
    models = {w["line"]: w["model"] for w in facts["write_paths"] if w["path"] == "clinic/views.py"}
    assert models == {5: "clinic.models.Referral", 7: "clinic.models.Patient"}
