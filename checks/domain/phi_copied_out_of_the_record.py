from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, addresses_only, describe, flow_steps
from ..flows.model import CACHE, FILE, TASK

_MODELS = ("app/models.py", ("from django.db import models\n\nclass Patient(models.Model):\n"
           "    nhs_number = models.CharField(max_length=10)\n    first_name = models.CharField(max_length=50)\n"))
_WHERE = {TASK: "a task queue message", CACHE: "a cache key", FILE: "a file outside the media store"}
_FIX = {TASK: "Pass the patient's primary key and load the row inside the task.",
        CACHE: "Key the cache by the internal id (`f\"patient:{patient.pk}\"`) or a keyed hash of the identifier.",
        FILE: "Write exports through the project's storage (default_storage, access-controlled and encrypted), or "
              "leave the identifiers out of the file."}


_TAG_DUMP = """\
            import pydicom

            TAGS = ["StationName", "ProtocolName", "KVP", "Exposure"]

            out = open("tags.csv", "w")
            for path in ["a.dcm", "b.dcm"]:
                ds = pydicom.dcmread(path)
                for tag in TAGS:
                    out.write(str(ds[tag].value) + ",")
            """

class PhiCopiedOutOfTheRecord(FlowCheck, Check):
    """## What it does
    Flags patient data copied to places outside the clinical record's access control: Celery task
    arguments (`.delay(...)`, `.apply_async(args=..., kwargs=...)`, `send_task(...)`) carrying a patient
    instance or an identifier, cache keys built from an identifier (`cache.set(f"p:{patient.nhs_number}", ...)`),
    and files written outside the media store (`open(path, "w").write(...)`, `csv.writer(f).writerow(...)`,
    `json.dump(row, f)`, `Path.write_text`, pandas `to_csv`). The data is followed across functions and
    modules (flow analysis, checks/flows/); ids (`patient.pk`) and sanitised values pass, and so do files
    written under `MEDIA_ROOT` or through `default_storage`.

    Test code (`tests/`, `test_*.py`, `*_test.py`, conftest.py) is left out: its patients are
    made up and its sinks are the test runner's and its mocks'.

    ## Why is this bad?
    The broker (Redis, RabbitMQ) keeps task arguments in clear, Flower and worker logs print them, and a
    failed task is retried with them for days. Cache keys are listed by monitoring and `KEYS`/slow logs,
    and outlive the row. A CSV in /tmp or the working directory has no access control, no audit and no
    retention policy. Each is a copy of PHI nobody will find when the patient asks for it to be erased.
    HIPAA §164.312(a)(1) access control; §164.530(c) safeguards.

    ## Example
    ```python
    send_discharge_letter.delay(patient.nhs_number, patient.first_name)
    ```

    Use instead:
    ```python
    send_discharge_letter.delay(patient.pk)
    ```
    """

    code = "WG508"
    name = "phi-copied-out-of-the-record"
    category = Category.PHI
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 359
    summary = "Patient data copied into task arguments, cache keys or files outside the media store"
    hipaa = "§164.312(a)(1) access control; §164.530(c) safeguards"

    VALID = (
        # Equipment and dose tags of each DICOM file: none of them identifies the patient.
        Valid(_TAG_DUMP, path="scripts/dump_tags.py"),
        # The task texts the patient: the number is its address, and nothing else of the record goes with it.
        Valid("""\
            from app.tasks import send_reminder

            def remind(patient):
                send_reminder.delay(patient.phone, "Your appointment is tomorrow")
            """),
        Valid("""\
            from app.tasks import send_letter

            def discharge(patient):
                send_letter.delay(patient.pk)
                send_letter.apply_async(args=[patient.pk], countdown=60)
            """),
        Valid("""\
            from django.core.cache import cache

            def remember(patient, summary):
                cache.set(f'summary:{patient.pk}', summary, 300)
            """),
        Valid("""\
            from django.conf import settings
            import os

            def export(patient):
                with open(os.path.join(settings.MEDIA_ROOT, 'exports', 'x.txt'), 'w') as f:
                    f.write(patient.nhs_number)
            """),
        Valid("""\
            def read(patient):
                with open('/tmp/x.txt') as f:
                    return f.read() + patient.nhs_number
            """),
    )
    INVALID = (
        # One of the tags written out of each DICOM file names the patient.
        Invalid(_TAG_DUMP.replace('"KVP",', '"KVP", "PatientName",'), line=7, path="scripts/dump_tags.py"),
        Invalid("""\
            from app.tasks import send_letter

            def discharge(patient):
                send_letter.delay(patient.nhs_number, patient.first_name)
            """, line=4),
        Invalid("""\
            from app.models import Patient
            from app.tasks import reindex

            def save(pk):
                p = Patient.objects.get(pk=pk)
                reindex.apply_async(args=[p], countdown=5)
            """,
                line=6, files=(_MODELS,)),
        Invalid("""\
            from django.core.cache import cache

            def remember(patient, summary):
                cache.set(f'summary:{patient.nhs_number}', summary, 300)
            """, line=4),
        Invalid("""\
            import csv

            def export(patients):
                with open('/tmp/patients.csv', 'w') as f:
                    w = csv.writer(f)
                    for p in patients:
                        w.writerow([p.pk, p.nhs_number])
            """,
                line=7),
    )

    def visit_Call(self, node: ast.Call) -> None:
        found = self.flows_at(node)
        if found is None:
            return
        sink, flows = found
        if sink.kind == TASK:  # the task that will text or top up the number needs it; a whole record it does not
            flows = [f for f in flows if not addresses_only(f)]
        if sink.kind not in _WHERE or not flows:
            return
        labels = list(dict.fromkeys(f.value for f in flows))
        self.report(node, f"Patient data copied into {_WHERE[sink.kind]} ({sink.label}): {', '.join(labels[:4])}. "
                    f"Flow: {describe(flows)}.", end_node=node, start_line=min(f.start_line for f in flows),
                    flow=flow_steps(flows[0]), fix=_FIX[sink.kind])
