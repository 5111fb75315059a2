from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, describe, flow_steps
from ..flows.model import LOG, OUTPUT, RECORD, REQUEST
_MODELS = ("app/models.py", "from django.db import models\n\nclass Patient(models.Model):\n"
           "    mrn = models.CharField(max_length=10)\n    first_name = models.CharField(max_length=50)\n"
           "    ward_name = models.CharField(max_length=50)\n\nclass Drug(models.Model):\n"
           "    name = models.CharField(max_length=50)\n")


class PhiInLog(Check, FlowCheck):
    """## What it does
    Flags patient identifiers (PHI fields of patient-data models: name, MRN, date of birth, SSN,
    phone, address…) passed to a logging call (`logging.getLogger` loggers under any name),
    `print`, or a management command's `self.stdout.write` / `self.stderr.write`.
    Internal ids and counts (`patient.pk`, `len(patients)`) and non-PHI fields pass.

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

    VALID = [
        Valid("import logging\nlog = logging.getLogger(__name__)\n\ndef f(patient, patients):\n"
              "    log.info('updated %s of %d', patient.pk, len(patients))\n"),
        Valid("import logging\nfrom .models import Drug\nlogger = logging.getLogger(__name__)\n\ndef f(pk):\n"
              "    drug = Drug.objects.get(pk=pk)\n    logger.info('drug %s', drug.name)\n", files=(_MODELS,)),
        Valid("from django.shortcuts import render\n\ndef detail(request, patient):\n"
              "    return render(request, 't.html', {'name': patient.first_name})\n"),
        # The file's name carries PHI, but only its id is logged.
        Valid("import logging\nlogger = logging.getLogger(__name__)\n\ndef upload(patient, File):\n"
              "    f = File(name=f'summary-{patient.full_name}.pdf')\n    logger.info('uploaded file %s', f.id)\n"),
    ]
    INVALID = [
        Invalid("import logging as lg\n_l = lg.getLogger('x')\n\ndef f(patient):\n    _l.warning(f'MRN {patient.mrn}')\n",
                line=5),
        Invalid("from django.shortcuts import get_object_or_404\nfrom .models import Patient\n\ndef view(request, pk):\n"
                "    p = get_object_or_404(Patient, pk=pk)\n    print('seen', p.first_name)\n", files=(_MODELS,), line=6),
        Invalid("from django.core.management.base import BaseCommand\nfrom .models import Patient\n\n"
                "class Command(BaseCommand):\n    def handle(self, **opts):\n"
                "        for row in Patient.objects.filter(mrn__startswith='X').iterator():\n"
                "            self.stdout.write(f'{row.mrn}')\n", files=(_MODELS,), line=7),
        Invalid("import logging\n\ndef notify(result):\n    logging.error('abnormal for %s', result.patient.mrn)\n",
                line=4),
        Invalid("import logging\nlogger = logging.getLogger(__name__)\n\ndef upload(patient, File):\n"
                "    label = f'summary-{patient.full_name}.pdf'\n    logger.info('uploaded %s', label)\n", line=6),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        found = self.flows_at(node)
        if found is None:
            return
        sink, flows = found
        if sink.kind not in (LOG, OUTPUT) or not flows:
            return
        labels = list(dict.fromkeys(f.value for f in flows))
        what = "A whole patient record or request" if all(f.kind in (RECORD, REQUEST) for f in flows) else "PHI"
        note = self.mask_note(flows)
        self.report(node, f"{what} written to a log/output sink: {', '.join(labels[:4])}. Flow: {describe(flows)}."
                    + (f" {note}" if note else ""),
                    end_node=node, start_line=min(f.start_line for f in flows), flow=flow_steps(flows[0]),
                    fix="Log the internal id (patient.pk) instead of identifiers or whole objects (`__dict__`, "
                    "request dumps); if the value is needed for an investigation, look it up from the id in the "
                    "audited application, or pass it through a masking helper (phi_sanitisers).")
