from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, describe, flow_steps
from ..flows.local import CREDENTIALS
from ..flows.model import LOG, OUTPUT, RECORD, REQUEST

_MODELS = ("app/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=10)
        first_name = models.CharField(max_length=50)
        ward_name = models.CharField(max_length=50)

    class Drug(models.Model):
        name = models.CharField(max_length=50)
    """)

_DICOM = """\
            import logging
            from pydicom import Dataset

            logger = logging.getLogger(__name__)

            class ResultDataset:
                def __init__(self, ds: Dataset):
                    self._ds = ds

                def birth_date(self):
                    if not self._ds.get("PatientBirthDate"):
                        logger.exception(f"Invalid birth date in:\\n{self._ds}")
            """


class PhiInLog(FlowCheck, Check):
    """## What it does
    Flags patient identifiers (PHI fields of patient-data models: name, MRN, date of birth, SSN,
    phone, address…; the patient module of a DICOM dataset, whole or by keyword: `ds.PatientName`) passed to a
    logging call (`logging.getLogger` loggers under any name),
    `print`, or a management command's `self.stdout.write` / `self.stderr.write`.
    Internal ids and counts (`patient.pk`, `len(patients)`) and non-PHI fields pass.

    Test code (`tests/`, `test_*.py`, `*_test.py`, conftest.py) is left out: its patients are
    made up and its sinks are the test runner's and its mocks'.

    ## Why is this bad?
    Logs are copied to aggregators, cron mail, support tickets and vendors, kept for years, and
    read by people with no clinical role. A name plus an MRN in a log line is a disclosure of PHI
    outside the minimum-necessary standard. HIPAA §164.502(b) minimum necessary;
    §164.312(b) audit controls must not become a PHI store.

    ## Example
    ```python
    logger.info("Contact details updated for %s (MRN %s)", patient.full_name, patient.mrn)
    ```

    Use instead:
    ```python
    logger.info("Contact details updated for patient %s", patient.pk)
    ```
    """

    code = "WG501"
    name = "phi-in-log"
    category = Category.PHI
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 532
    summary = "Patient identifiers written to logs, print or command output"
    hipaa = "§164.502(b) minimum necessary; §164.312(b) audit controls"

    VALID = (
        # One non-identifying element of the dataset, and the DIMSE status sets a C-GET answers with.
        Valid(_DICOM.replace('logger.exception(f"Invalid birth date in:\\n{self._ds}")',
                             'logger.exception("Invalid birth date in %s", self._ds.SOPInstanceUID)'),
              path="pacs/dataset.py"),
        # One element fetched by a getter or by its tag, and an identifier whose start is masked out.
        Valid("""\
            import logging
            import pydicom
            from pacs.tags import get_value_kw

            logger = logging.getLogger(__name__)

            def load(path):
                ds = pydicom.dcmread(path)
                logger.error(f"no date from {get_value_kw('ManufacturerModelName', ds)}")
                logger.debug("CTDIvol %s", ds[0x7005, 0x1063].value)
                patient_id = getattr(ds, "PatientID", "")
                logger.info(f"PatientID=*******{patient_id[7:]}")
            """, path="pacs/load.py"),
        Valid("""\
            import logging
            from collections.abc import Iterator
            from pydicom import Dataset

            def handle(responses: Iterator[tuple[Dataset, Dataset | None]]):
                for status, identifier in responses:
                    logging.getLogger(__name__).debug("status response:\\n%s", status)
            """, path="pacs/dimse.py"),
        Valid("""\
            import logging
            log = logging.getLogger(__name__)

            def f(patient, patients):
                log.info('updated %s of %d', patient.pk, len(patients))
            """),
        # Printed only on a developer's machine: `if settings.DEBUG:` never runs in production.
        Valid("""\
            from django.conf import settings

            def send_otp(patient, otp):
                if settings.USE_SMS:
                    sms(patient.phone_number, otp)
                elif settings.DEBUG:
                    print(otp, patient.phone_number)
            """),
        # The sender's own number (its configuration), not a person's.
        Valid("""\
            import logging
            from django.conf import settings
            log = logging.getLogger(__name__)

            class Sender:
                def send(self, text):
                    log.info('from %s via %s', self.phone_number, settings.SMS.phone_number)
            """),
        # A test's patient is made up; its log goes to the test runner.
        Valid("""\
            import logging
            log = logging.getLogger(__name__)

            def test_admit(patient):
                log.warning(f'MRN {patient.mrn}')
            """, path="clinic/admissions_test.py"),
        Valid("""\
            import logging
            from .models import Drug
            logger = logging.getLogger(__name__)

            def f(pk):
                drug = Drug.objects.get(pk=pk)
                logger.info('drug %s', drug.name)
            """, files=(_MODELS,)),
        Valid("""\
            from django.shortcuts import render

            def detail(request, patient):
                return render(request, 't.html', {'name': patient.first_name})
            """),
        # The file's name carries PHI, but only its id is logged.
        Valid("""\
            import logging
            logger = logging.getLogger(__name__)

            def upload(patient, File):
                f = File(name=f'summary-{patient.full_name}.pdf')
                logger.info('uploaded file %s', f.id)
            """),
        # One field of the body that identifies nobody; the whole body handed to a task is integration.
        Valid("""            import logging
            from .tasks import register
            logger = logging.getLogger(__name__)

            def webhook(request):
                logger.info('event %s', request.data.get('event_type'))
                register.delay(request.data)
            """),
    )
    INVALID = (
        # A DICOM dataset printed whole: pydicom lists every element, the patient module's name, ID and birth date too.
        Invalid(_DICOM, line=12, path="pacs/dataset.py"),
        Invalid("""\
            import logging
            import pydicom

            def load(path):
                logging.getLogger(__name__).info("patient %s", pydicom.dcmread(path).PatientID)
            """, line=5, path="pacs/load.py"),
        Invalid("""\
            import logging as lg
            _l = lg.getLogger('x')

            def f(patient):
                _l.warning(f'MRN {patient.mrn}')
            """, line=5),
        Invalid("""\
            from django.shortcuts import get_object_or_404
            from .models import Patient

            def view(request, pk):
                p = get_object_or_404(Patient, pk=pk)
                print('seen', p.first_name)
            """, files=(_MODELS,), line=6),
        Invalid("""\
            from django.core.management.base import BaseCommand
            from .models import Patient

            class Command(BaseCommand):
                def handle(self, **opts):
                    for row in Patient.objects.filter(mrn__startswith='X').iterator():
                        self.stdout.write(f'{row.mrn}')
            """, files=(_MODELS,), line=7),
        Invalid("""\
            import logging

            def notify(result):
                logging.error('abnormal for %s', result.patient.mrn)
            """, line=4),
        Invalid("""\
            import logging
            logger = logging.getLogger(__name__)

            def upload(patient, File):
                label = f'summary-{patient.full_name}.pdf'
                logger.info('uploaded %s', label)
            """, line=6),
        # The Authorization header: whoever reads the log can act as the caller (a parent's session token).
        Invalid("""\
            import logging
            log = logging.getLogger()

            def check(request):
                auth = request.headers.get("Authorization")
                log.warning("could not decode %s", auth)
            """, line=5),
        # A phone number in a variable of its own: the person it reaches is named in the log.
        Invalid("""\
            import logging
            logger = logging.getLogger(__name__)

            def send_sms(phone_number, message):
                logger.info("SMS to %s: %s", phone_number, message[:50])
            """, line=5),
        # ... or on an object of no known model (a message handed to an SMS provider): still a person's number.
        Invalid("""\
            import logging
            logger = logging.getLogger(__name__)

            class TwilioProvider:
                def send(self, message):
                    logger.info(f"Sending SMS to {message.phone_number}")
            """, line=6),
        # An import row read by its column constants: the row holds the birth date, the log gets all of it.
        Invalid("""\
            import logging
            from .columns import PatientColumns

            def process_record(row):
                logging.info(row)
                born = row[PatientColumns.DATE_OF_BIRTH]
                return born
            """, line=5),
        # The whole body a client sent (a registration, a pedigree upload), logged through a chosen level.
        Invalid("""            import json
            import logging
            logger = logging.getLogger(__name__)

            class LogRequestMiddleware:
                def process_response(self, request, response):
                    body = json.loads(request.body)
                    level = logger.error if response.status_code >= 500 else logger.info
                    level('request', extra={'body': body})
                    return response
            """, line=7, files=(_MODELS,)),
    )

    def visit_Call(self, node: ast.Call) -> None:
        found = self.flows_at(node)
        if found is None:
            return
        sink, flows = found
        if sink.kind not in (LOG, OUTPUT) or not flows:
            return
        labels = list(dict.fromkeys(f.value for f in flows))
        what = "A whole patient record or request" if all(f.kind in (RECORD, REQUEST) for f in flows) else "PHI"
        if all(f.why == CREDENTIALS for f in flows):
            what = "The caller's credentials"
        note = self.mask_note(flows)
        self.report(node, f"{what} written to a log/output sink: {', '.join(labels[:4])}. Flow: {describe(flows)}."
                    + (f" {note}" if note else ""),
                    end_node=node, start_line=min(f.start_line for f in flows), flow=flow_steps(flows[0]),
                    fix="Log the internal id (patient.pk) instead of identifiers or whole objects (`__dict__`, "
                    "request dumps); if the value is needed for an investigation, look it up from the id in the "
                    "audited application, or pass it through a masking helper (phi_sanitisers).")
