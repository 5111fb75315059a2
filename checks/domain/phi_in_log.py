from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.phi_access import ScopedPhiCheck
from ..finding import Category, Confidence, Severity
from ..names import last_part

_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal", "msg"}
_LOGGER_NAMES = {"logger", "log", "_logger", "_log", "LOGGER", "LOG", "audit_log", "log_", "logging"}
_MODELS = ("app/models.py", "from django.db import models\n\nclass Patient(models.Model):\n"
           "    mrn = models.CharField(max_length=10)\n    first_name = models.CharField(max_length=50)\n"
           "    ward_name = models.CharField(max_length=50)\n\nclass Drug(models.Model):\n"
           "    name = models.CharField(max_length=50)\n")


class PhiInLog(Check, ScopedPhiCheck):
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
        if not self._is_sink(node.func):
            return
        reads = self.phi.phi_in(ast.Tuple(elts=[*node.args, *(k.value for k in node.keywords)], ctx=ast.Load()))
        if reads:
            self.report(node, f"PHI written to a log/output sink: {', '.join(reads[:4])}.", end_node=node,
                        fix="Log the internal id (patient.pk) instead of identifiers; if the value is needed "
                        "for an investigation, look it up from the id in the audited application.")

    def _is_sink(self, func: ast.expr) -> bool:
        q = self.qualname(func) or ""
        if q in ("print", "builtins.print") and "print" not in self.ctx.imports.defined:
            return True
        if not isinstance(func, ast.Attribute):
            return False
        if func.attr == "write" and isinstance(func.value, ast.Attribute) and func.value.attr in ("stdout", "stderr"):
            return True  # self.stdout.write in management commands, sys.stdout.write
        if func.attr not in _METHODS:
            return False
        if q.startswith("logging.") or q.startswith("structlog."):
            return True
        recv = func.value
        name = recv.id if isinstance(recv, ast.Name) else recv.attr if isinstance(recv, ast.Attribute) else ""
        if name in _LOGGER_NAMES or name.lower().endswith("logger"):
            return True
        if isinstance(recv, ast.Name):  # x = logging.getLogger(...) under any name
            for v in self.phi.env.get(recv.id, []) + self._module_env(recv.id):
                if last_part(self.qualname(v)) in ("getLogger", "get_logger", "getChild"):
                    return True
        return False

    def _module_env(self, name: str) -> list[ast.expr]:
        tree = self.ctx.src.tree
        assert tree is not None
        return [s.value for s in tree.body if isinstance(s, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in s.targets)]
