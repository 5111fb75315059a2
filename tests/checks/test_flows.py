"""The PHI flow analysis (checks/flows/): across modules, bounded, explained, with its traps."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import jsonschema

from checks.base import Invalid, Valid
from checks.domain.phi_in_log import PhiInLog
from checks.domain.phi_sent_to_third_party import PhiSentToThirdParty
from checks.finding import Category, Finding, FlowStep, Severity
from checks.flows.summaries import collect
from checks.names import ImportMap
from checks.source import SourceFile, parse_into
from checks.testing import run_example
from checks.vocabulary import Vocabulary
from reports.gate import decide
from reports.model import Report
from reports.stats import GatePolicy
from reports.writers import sarif

MODELS = ("ward/models.py", """from django.db import models

class Patient(models.Model):
    full_name = models.CharField(max_length=80)
    nhs_number = models.CharField(max_length=10)
    date_of_birth = models.DateField()
    phone = models.CharField(max_length=20)

    def __str__(self):
        return self.full_name

class Bed(models.Model):
    name = models.CharField(max_length=20)
    patient = models.ForeignKey(Patient, null=True, on_delete=models.SET_NULL)

    def __str__(self):
        return f"bed {self.pk}"
""")
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
LOGGING = "import logging\nlog = logging.getLogger(__name__)\n"


def test_flow_across_modules_is_reported_at_the_sink_and_explained() -> None:
    services = LOGGING + "\ndef note(p, text):\n    log.info('%s: %s', p.full_name, text)\n"
    views = "from .services import note\n\ndef discharge(request, patient):\n    note(patient, 'discharged')\n"
    found = run_example(PhiInLog, Invalid(services, line=5, path="ward/services.py",
                                          files=(MODELS, ("ward/views.py", views))))
    assert [f.start_line for f in found] == [5]
    assert "patient.full_name (views.py:4) -> note() -> p.full_name (services.py:5) -> log.info (services.py:5)" \
        in found[0].message
    assert [s.label for s in found[0].flow or []] == ["patient.full_name", "note()", "p.full_name", "log.info"]


def test_made_up_values_a_test_passes_in_are_not_a_flow() -> None:
    services = LOGGING + "\ndef note(p, text):\n    log.info('%s: %s', p.full_name, text)\n"
    test = "from ward.services import note\n\ndef test_note(patient):\n    note(patient, 'discharged')\n"
    assert run_example(PhiInLog, Valid(services, path="ward/services.py",
                                       files=(MODELS, ("ward/tests/test_services.py", test)))) == []


def test_hand_offs_are_followed_to_a_bounded_depth() -> None:
    def chain(n: int) -> tuple[tuple[str, str], ...]:
        files = [(f"ward/h{i}.py", f"from .h{i + 1} import f{i + 1}\n\ndef f{i}(v):\n    f{i + 1}(v)\n") for i in range(n)]
        files.append(("ward/entry.py", "from .h0 import f0\n\ndef go(patient):\n    f0(patient.nhs_number)\n"))
        return tuple(files)

    # The value goes whole to the log three calls down: the call that hands it over is the finding, not the log.
    sink = LOGGING + "\ndef f{n}(v):\n    log.warning('x %s', v)\n"
    files = dict(chain(2))
    entry = files.pop("ward/entry.py")
    found = run_example(PhiInLog, Invalid(entry, line=4, path="ward/entry.py",
                                          files=(*files.items(), ("ward/h2.py", sink.format(n=2)))))
    assert len(found) == 1 and "f0() -> f1() -> f2() -> log.warning (h2.py:5)" in found[0].message, found
    assert run_example(PhiInLog, Valid(sink.format(n=2), path="ward/h2.py", files=chain(2))) == []
    files = dict(chain(5))
    assert run_example(PhiInLog, Valid(files.pop("ward/entry.py"), path="ward/entry.py",
                                       files=(*files.items(), ("ward/h5.py", sink.format(n=5))))) == []
    assert run_example(PhiInLog, Valid(sink.format(n=5), path="ward/h5.py", files=chain(5))) == []


def test_global_receiver_dump_starts_at_the_dump_and_names_the_partial_mask_list() -> None:
    receivers = LOGGING + """from django.db.models.signals import post_delete
from django.dispatch import receiver

def _emit(instance, action):
    changes = instance.__dict__
    log.info('%s %s %s', action, instance.pk, changes)

@receiver(post_delete)
def on_delete(sender, instance, **kwargs):
    _emit(instance, 'delete')
"""
    settings = ("conf/settings.py", "AUDIT = {'mask': {'ward.Patient': ['full_name', 'phone']}}\n")
    found = run_example(PhiInLog, Invalid(receivers, line=7, path="ward/receivers.py", files=(MODELS, settings)))
    assert [(f.start_line, f.end_line) for f in found] == [(7, 8)]
    assert "date_of_birth, nhs_number pass unmasked" in found[0].message


def test_request_url_leaks_only_where_identifiers_travel_in_query_strings() -> None:
    middleware = LOGGING + "\ndef log_requests(get_response):\n    def mw(request):\n" \
                           "        log.info('%s', request.get_full_path())\n        return get_response(request)\n    return mw\n"
    search = ("ward/api.py", "def search(request):\n    return request.GET.get('nhs_number')\n")
    other = ("ward/api.py", "def search(request):\n    return request.GET.get('page')\n")
    assert len(run_example(PhiInLog, Invalid(middleware, line=6, path="ward/mw.py", files=(search,)))) == 1
    assert run_example(PhiInLog, Valid(middleware, path="ward/mw.py", files=(other,))) == []


def test_traps_ids_sanitisers_and_non_patient_names() -> None:
    for code in (
        "def f(patient):\n    log.info('patient %s', patient.pk)\n",
        "from .masking import mask_nhs\n\ndef f(patient):\n    log.info('nhs %s', mask_nhs(patient.nhs_number))\n",
        "import hashlib\n\ndef f(patient):\n    log.info('%s', hashlib.sha256(patient.nhs_number.encode()).hexdigest())\n",
        "def f(plug):\n    log.info('plug %s', plug.name)\n",
        "from .models import Bed\n\ndef f():\n    for bed in Bed.objects.all():\n        log.info('free: %s', bed)\n",
        "def f(rows):\n    import pandas as pd\n    df = pd.DataFrame(rows).assign(nhs_number=1)\n    print(df.dtypes)\n",
    ):
        assert run_example(PhiInLog, Valid(LOGGING + code, path="ward/jobs.py", files=(MODELS,))) == [], code
    vocab = Vocabulary(phi_sanitisers=["ward.util.tokenise"])
    code = LOGGING + "from .util import tokenise\n\ndef f(patient):\n    log.info('%s', tokenise(patient.nhs_number))\n"
    assert run_example(PhiInLog, Valid(code, path="ward/jobs.py", files=(MODELS,)), vocab=vocab) == []


def test_str_rendering_records_and_cursors() -> None:
    serializer = ("ward/serializers.py", ("from rest_framework import serializers\nfrom .models import Patient\n\n"
                  "class PatientSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Patient\n"
                  "        fields = ['full_name']\n"))
    found = run_example(PhiInLog, Invalid(LOGGING + "from .serializers import PatientSerializer\n\ndef f(p):\n"
                                          "    s = PatientSerializer(p)\n    log.info('sent %s', s.data)\n", line=7,
                                          path="ward/jobs.py", files=(MODELS, serializer)))
    assert [f.start_line for f in found] == [7]
    assert run_example(PhiInLog, Valid(LOGGING + "from .models import Patient\n\ndef f():\n"
                                       "    log.info('%s', list(Patient.objects.values_list('pk', flat=True)))\n",
                                       path="ward/jobs.py", files=(MODELS,))) == []
    for code, line in (
        ("from .models import Patient\n\ndef f():\n    for p in Patient.objects.all():\n        log.error(f'failed for {p}')\n", 7),
        ("def f(rows):\n    for row in rows:\n        if row['nhs_number']:\n            print(row)\n", 6),
        ("from .models import Patient\n\ndef f():\n    print(list(Patient.objects.values('full_name', 'phone')))\n", 6),
        (("from django.db import connection\n\ndef f(nhs_number):\n    with connection.cursor() as cur:\n"
          "        cur.execute('select * from p where n = %s', [nhs_number])\n        result = cur.fetchall()\n"
          "    log.debug(result)\n"), 9),
    ):
        found = run_example(PhiInLog, Invalid(LOGGING + code, line=line, path="ward/jobs.py", files=(MODELS,)))
        assert [f.start_line for f in found] == [line], code


def test_patient_form_field_sent_in_a_url_elsewhere() -> None:
    lookup = "import requests\n\ndef check_postcode(code):\n    return requests.get(f'https://pc.example/{code}')\n"
    form = ("ward/forms.py", ("from django import forms\nfrom .models import Patient\nfrom .lookup import check_postcode\n\n"
            "class PatientForm(forms.ModelForm):\n    class Meta:\n        model = Patient\n        fields = ['phone']\n\n"
            "    def clean_phone(self):\n        check_postcode(self.cleaned_data['phone'])\n"))
    found = run_example(PhiSentToThirdParty, Invalid(lookup, line=4, path="ward/lookup.py", files=(MODELS, form)))
    assert [f.start_line for f in found] == [4] and "PatientForm is bound to Patient" in found[0].message


def test_exception_message_through_a_helper() -> None:
    from checks.domain.phi_in_exception import PhiInException

    helper = "def refuse(nhs, reason):\n    raise ValueError(f'{reason} for {nhs}')\n"
    caller = ("ward/orders.py", ("from .helpers import refuse\n\ndef order(patient):\n    refuse(patient.nhs_number, 'no weight')\n"
              "    refuse(patient.pk, 'no weight')\n"))
    found = run_example(PhiInException, Invalid(helper, line=2, path="ward/helpers.py", files=(MODELS, caller)))
    assert len(found) == 1 and "patient.nhs_number (orders.py:4) -> refuse()" in found[0].message


def test_summaries_are_picklable_facts() -> None:
    code = "from .b import g\n\ndef f(patient):\n    g(patient.nhs_number, x=patient)\n"
    src = SourceFile(path="ward/a.py", text=code)
    parse_into(src)
    assert src.tree is not None
    facts = collect(src, ImportMap.build(src.tree, "ward.a"), Vocabulary())
    assert facts is not None and pickle.loads(pickle.dumps(facts)) == facts
    assert [c.callee for c in facts.calls] == ["ward.b.g"]


def test_sarif_code_flows_are_valid() -> None:
    steps = [FlowStep(label="patient.full_name", path="ward/views.py", line=4), FlowStep(label="note()"),
             FlowStep(label="log.info", path="ward/services.py", line=5)]
    f = Finding(rule_id="WG501", category=Category.PHI, severity=Severity.HIGH, tool="wardgate",
                path="ward/services.py", start_line=5, end_line=5, message="PHI", fingerprint="0" * 32, flow=steps)
    log = sarif.build(Report(version="t", findings=[f], gate=decide([f], GatePolicy(fail_on=Severity.HIGH)), stats={}))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.validators.validator_for(schema)(schema).iter_errors(log)) == []
    flow = log["runs"][0]["results"][0]["codeFlows"][0]
    assert [loc["location"]["message"]["text"] for loc in flow["threadFlows"][0]["locations"]] == \
        ["patient.full_name", "note()", "log.info"]


def test_calls_resolve_through_package_re_exports() -> None:
    from checks.flows.index import FlowIndex
    from checks.flows.summaries import FnInfo

    idx = FlowIndex()
    for q in ("app.utils.lookup.check", "app.a.check", "app.b.check"):
        idx.functions[q] = FnInfo(q, 1, ("v",))
        idx.by_name.setdefault("check", []).append(q)
    assert idx.lookup("app.utils.check") == "app.utils.lookup.check"  # `from .lookup import *` in utils/__init__
    assert idx.lookup("app.check") is None  # app.a.check or app.b.check: unresolved, never guessed


def test_wardgate_facts_shows_where_flows_start(tmp_path: Path) -> None:
    from checks.facts.describe import describe, render_text

    files = {"ward/models.py": MODELS[1], "ward/api.py": "def search(request):\n    return request.GET.get('nhs_number')\n",
             "conf/settings.py": "AUDIT = {'exclude': {'fields': {'ward.Patient': ['full_name']}}}\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    flows = describe(tmp_path, sorted(files), Vocabulary(), jobs=1)["flows"]
    assert flows["str_renders_phi"] == {"ward.models.Patient": ["full_name"]}
    assert flows["identifiers_in_query_strings"] == [{"key": "nhs_number", "path": "ward/api.py", "line": 2}]
    assert flows["mask_lists"][0]["unmasked_phi"] == ["date_of_birth", "nhs_number", "phone"]
    assert "unmasked PHI date_of_birth, nhs_number, phone" in render_text(
        describe(tmp_path, sorted(files), Vocabulary(), jobs=1))


def test_a_method_of_an_object_of_unknown_class_is_found_by_its_specific_name() -> None:
    # `item.update_from_dict(request.data)`: nothing says what `item` is, but one base class and its override in
    # one module define `update_from_dict`, so the request body reaches the log there.
    models = LOGGING + (
        "\nclass Subrecord:\n    def update_from_dict(self, data, user):\n"
        "        log.info('updating with %s for %s', data, user)\n"
        "\nclass Admission(Subrecord):\n    def update_from_dict(self, data, user):\n"
        "        super().update_from_dict(data, user)\n")
    views = "def update(request, items):\n    for item in items:\n        item.update_from_dict(request.data, request.user)\n"
    found = run_example(PhiInLog, Invalid(views, line=3, path="ward/views.py", files=(MODELS, ("ward/records.py", models))))
    assert "request.data (views.py:3) -> update_from_dict() -> log.info (records.py:6)" in found[0].message
    assert run_example(PhiInLog, Valid(models, path="ward/records.py", files=(MODELS, ("ward/views.py", views)))) == []


def test_a_method_name_defined_in_two_modules_is_not_guessed() -> None:
    records = LOGGING + "\nclass Subrecord:\n    def update_from_dict(self, data, user):\n        log.info('%s', data)\n"
    other = "class Client:\n    def update_from_dict(self, data, user):\n        return data\n"
    views = "def update(request, item):\n    item.update_from_dict(request.data, request.user)\n"
    assert run_example(PhiInLog, Valid(records, path="ward/records.py",
                                       files=(("ward/views.py", views), ("ward/client.py", other)))) == []


def test_a_linked_rows_own_name_is_its_label_but_a_patients_name_is_phi() -> None:
    """`Sample.__str__` returning the sample's `name` (a lab ID): the row is patient data through its link, but
    its name is no person's; `Patient.__str__` returning `name` is."""
    models = ("lab/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
              "    name = models.CharField(max_length=80)\n    nhs_number = models.CharField(max_length=10)\n\n"
              "    def __str__(self):\n        return self.name\n\nclass Sample(models.Model):\n"
              "    name = models.CharField(max_length=80)\n"
              "    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n\n"
              "    def __str__(self):\n        return self.name\n"))
    code = LOGGING + ("from lab.models import Patient, Sample\n\ndef imported(pk):\n"
                      "    sample = Sample.objects.get(pk=pk)\n    log.info('imported %s', sample)\n"
                      "    patient = Patient.objects.get(pk=pk)\n    log.info('for %s', patient)\n")
    found = run_example(PhiInLog, Invalid(code, line=9, path="lab/tasks.py", files=(models,)))
    assert [f.start_line for f in found] == [9]


def test_rows_fetched_into_any_name_reach_a_logging_helper() -> None:
    """`p = Patient.objects.get(...)` is a patient object whatever it is called: formatted into a message for a
    project logging helper, its `__str__` (the patient's name) reaches the log. A row of another model does not.
    The helper logs whatever it is given, so the call that gives it the patient is the finding (and the line a
    change adds), not the helper."""
    helper = ("ward/helpers.py",
              "import logging\n\nlog = logging.getLogger(__name__)\n\ndef note(msg):\n    log.info('linkage: %s' % msg)\n")
    caller = ("from .models import Bed, Patient\nfrom .helpers import note\n\n"
              "def relink(pk, bed_pk):\n    p = Patient.objects.get(pk=pk)\n    note('index = %s' % p)\n"
              "    b = Bed.objects.filter(pk=bed_pk).first()\n    note(b)\n    note(b.name)\n")
    found = run_example(PhiInLog, Invalid(caller, line=6, path="ward/linkage.py", files=(MODELS, helper)))
    assert len(found) == 1, found
    assert "p (linkage.py:6) -> note() -> log.info (helpers.py:6) [Patient.__str__ renders full_name]" in found[0].message
    assert run_example(PhiInLog, Valid(helper[1], path="ward/helpers.py", files=(MODELS, ("ward/linkage.py", caller)))) == []


def test_a_helper_that_logs_a_field_of_its_parameter_is_the_finding_itself() -> None:
    """`def note(p): log.info(p.full_name)` reads the identifier itself: the helper is what to fix, once."""
    helper = LOGGING + "\ndef note(p):\n    log.info('seen %s', p.full_name)\n"
    caller = ("ward/views.py", "from .services import note\n\ndef a(patient):\n    note(patient)\n")
    assert len(run_example(PhiInLog, Invalid(helper, line=5, path="ward/services.py", files=(MODELS, caller)))) == 1
    assert run_example(PhiInLog, Valid(caller[1], path="ward/views.py",
                                       files=(MODELS, ("ward/services.py", helper)))) == []


def test_a_field_read_by_a_name_from_settings_is_not_the_whole_object() -> None:
    """`getattr(patient, settings.LOG_PATIENT_FIELD)` logs one configured field (an id by default), not the patient's
    `__str__`; `getattr(patient, "full_name")` is that field."""
    helper = ("import logging\nfrom django.conf import settings\n\nlog = logging.getLogger(__name__)\n\n"
              "def violation(user, patient):\n    log.warning('denied %s %s' % (user.pk, getattr(patient, settings.LOG_FIELD)))\n")
    caller = ("ward/views.py", ("from .models import Patient\nfrom .helpers import violation\n\n"
              "def chart(request, pk):\n    violation(request.user, Patient.objects.get(pk=pk))\n"))
    assert run_example(PhiInLog, Valid(helper, path="ward/helpers.py", files=(MODELS, caller))) == []
    named = helper.replace("settings.LOG_FIELD", "'full_name'")
    assert len(run_example(PhiInLog, Invalid(named, line=7, path="ward/helpers.py", files=(MODELS, caller)))) == 1


def test_a_parsed_hl7_message_is_a_patient_record() -> None:
    """A message parsed by python-hl7 carries the PID segment (name, MRN, date of birth): logged whole, here or in
    the task it is handed to, it is a patient record in the log. Its event code read by a helper is not."""
    task = ("ward/tasks.py", LOGGING + "\ndef handle(message):\n    log.info(f'message: {message}')\n"
            "    code = event_code(message)\n    log.info('event %s', code)\n\ndef event_code(m):\n    return 'A08'\n")
    hub = "import hl7\nfrom .tasks import handle\n\ndef receive(raw):\n    msg = hl7.parse(raw)\n    handle(msg)\n"
    found = run_example(PhiInLog, Invalid(task[1], line=5, path=task[0], files=(MODELS, ("ward/hub.py", hub))))
    assert [f.start_line for f in found] == [5], found
    assert "hl7.parse(raw) (hub.py:5)" in found[0].message and "PID segment" in found[0].message


def test_phi_flow_rules_leave_test_code_out() -> None:
    """Every PHI-flow rule skips test modules (a fixture patient's name in a test's assertion message is no leak);
    `FlowCheck` comes before `Check` in their bases, or Check's `applies_to` would win."""
    from checks.flows.analysis import FlowCheck
    from checks.registry import ALL_CHECKS

    flow_rules = [c for c in ALL_CHECKS if issubclass(c, FlowCheck)]
    assert {c.code for c in flow_rules} >= {"WG501", "WG502", "WG505", "WG508"}
    for path in ("app/tests/helpers.py", "app/test_views.py", "app/views_test.py", "conftest.py", "app/tests.py"):
        assert [c.code for c in flow_rules if c.applies_to(SourceFile(path=path, text=""))] == [], path
    assert all(c.applies_to(SourceFile(path="app/views.py", text="")) for c in flow_rules)


def test_a_row_read_by_patient_prefixed_columns_or_a_getter_helper_is_a_record() -> None:
    """An import row read by `PatientColumns.PATIENT_LAST_NAME` (the prefix says whose name) or by a getter helper
    with an identifier's key (`value_of(record, "dob")`) is a patient record: logged whole, it is a finding. A row
    read only for a ward's code, a name set on an object with `setattr`, or one attribute of a record that is no
    identifier (`res.resource_type`), is not."""
    importer = LOGGING + (
        "\nclass PatientColumns:\n    PATIENT_LAST_NAME = 'Last Name'\n    WARD = 'Ward'\n\n"
        "def value_of(record, key):\n    return record.get(key)\n\n"
        "def import_row(row):\n    last_name = row[PatientColumns.PATIENT_LAST_NAME]\n    log.info(row)\n"
        "    log.info('ward %s', row[PatientColumns.WARD])\n\n"
        "def import_record(record):\n    born = value_of(record, 'dob')\n    log.warning('bad record %s' % record)\n")
    found = run_example(PhiInLog, Invalid(importer, line=13, path="ward/importer.py", files=(MODELS,)))
    assert sorted(f.start_line for f in found) == [13, 18], found
    quiet = LOGGING + ("\ndef import_ward(row, obj):\n    code = row['ward']\n    setattr(obj, 'dob', code)\n"
                       "    log.info(row)\n    log.info(obj)\n\n"
                       "def check(res):\n    born = getattr(res, 'birthDate', None)\n"
                       "    log.info('bad %s', res.resource_type)\n    kind = res.get_resource_type()\n"
                       "    log.info('bad %s', kind)\n")
    assert run_example(PhiInLog, Valid(quiet, path="ward/importer.py", files=(MODELS,))) == []


def test_a_closure_sees_the_enclosing_functions_record_and_dump_methods_dump_the_object() -> None:
    """An error helper nested in an import function logs the function's record (a free name of the closure), and
    `patient.to_dict()` is every field of the patient."""
    importer = LOGGING + ("\ndef accept(record):\n    dob = record['dob']\n\n    def cant_save(why):\n"
                          "        log.error('cannot save %s: %s' % (record, why))\n\n    cant_save('no ward')\n")
    found = run_example(PhiInLog, Invalid(importer, line=8, path="ward/importer.py", files=(MODELS,)))
    assert [f.start_line for f in found] == [8], found
    dumped = ("from .models import Patient\n" + LOGGING +
              "\ndef show(pk):\n    p = Patient.objects.get(pk=pk)\n    log.info('%s', p.to_dict())\n")
    found = run_example(PhiInLog, Invalid(dumped, line=7, path="ward/show.py", files=(MODELS,)))
    assert [f.start_line for f in found] == [7], found
    assert run_example(PhiInLog, Valid(dumped.replace("Patient", "Ward"), path="ward/show.py", files=(MODELS,))) == []


def test_beside_a_persons_name_field_a_bare_name_labels_the_row() -> None:
    """`Image(name, patient_name)`: the image's `name` is its file's, `patient_name` the person's; in the model's own
    methods and elsewhere."""
    from checks.domain.phi_in_exception import PhiInException

    models = ("scans/models.py", ("from django.db import models\n\nclass Image(models.Model):\n"
              "    name = models.CharField(max_length=99)\n    patient_name = models.CharField(max_length=99)\n"
              "    patient_birth_date = models.DateField()\n\n    def open(self):\n"
              "        raise FileNotFoundError(f'no file for image {self.name}')\n"))
    assert run_example(PhiInException, Valid(models[1], path=models[0])) == []
    told = models[1].replace("{self.name}", "{self.patient_name}")
    assert [f.start_line for f in run_example(PhiInException, Valid(told, path=models[0]))] == [9]
    caller = ("from scans.models import Image\n" + LOGGING + "\ndef show(pk):\n    i = Image.objects.get(pk=pk)\n"
              "    log.info('opened %s', i.name)\n    log.info('for %s', i.patient_name)\n")
    assert [f.start_line for f in run_example(PhiInLog, Valid(caller, path="scans/show.py", files=(models,)))] == [8]


def test_nested_patient_rows_a_client_sent_are_patient_records() -> None:
    """`validated_data.pop("patient_set")` in a serializer (or `request.data["patients"]`): the patient records the
    client sent, logged whole; the finding is the log line. Another nested list (`waypoint_set`) is not."""
    serializer = ("from rest_framework import serializers\n" + LOGGING +
                  "\nclass CallSerializer(serializers.ModelSerializer):\n    def update(self, instance, validated_data):\n"
                  "        patient_set = validated_data.pop('patient_set')\n        if patient_set:\n"
                  "            log.debug(patient_set)\n        return instance\n")
    found = run_example(PhiInLog, Valid(serializer, path="calls/serializers.py", files=(MODELS,)))
    assert [f.start_line for f in found] == [9], found
    assert "the patient records the client sent" in found[0].message
    other = serializer.replace("patient_set", "waypoint_set")
    assert run_example(PhiInLog, Valid(other, path="calls/serializers.py", files=(MODELS,))) == []
