from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, describe, flow_steps
from ..flows.model import EXCEPTION, PHI, RECORD, RENDERED, Sink

# Errors Django and DRF turn into a response to the user who submitted the data (form and API validation),
# not into logs, tracebacks or error trackers.
_USER_FACING = frozenset({"ValidationError", "Http404", "NotFound", "ParseError"})


class PhiInException(FlowCheck, Check):
    """## What it does
    Flags `raise SomeError(...)` whose message carries patient identifiers (PHI fields of
    patient-data models), e.g. `raise DoseError(f"No weight for {patient.full_name} ({patient.mrn})")`,
    also when they reach the function through its parameters (flow analysis, checks/flows/).

    Test code (`tests/`, `test_*.py`, `*_test.py`, conftest.py) is left out: its patients are
    made up and what it raises reaches the test runner.

    ## Why is this bad?
    Exception messages travel further than any log line: error trackers (Sentry and similar
    third parties), e-mailed tracebacks, API error bodies, CI output. PHI in them is a disclosure
    outside the minimum necessary, often to a vendor without a business associate agreement.
    HIPAA §164.502(b) minimum necessary; §164.502(e) business associates.

    ## Example
    ```python
    raise DoseCalculationError(f"No weight on record for {patient.full_name} (MRN {patient.mrn})")
    ```

    Use instead:
    ```python
    raise DoseCalculationError(f"No weight on record for patient {patient.pk}")
    ```
    """

    code = "WG502"
    name = "phi-in-exception"
    category = Category.PHI
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 209
    summary = "Patient identifiers in an exception message"
    hipaa = "§164.502(b) minimum necessary; §164.502(e) business associates"

    VALID = (
        Valid("""\
            from django import forms

            class F(forms.Form):
                def clean_nhs_number(self):
                    n = self.cleaned_data['nhs_number']
                    raise forms.ValidationError(f'{n} is not valid')
            """),
        Valid("""\
            def f(patient, drug, allergy):
                raise ValueError(f'{drug.name} matches allergy #{allergy.pk} for {patient.pk}')
            """),
        Valid("""\
            def f(patient):
                raise
            """),
        # Test code: the test's patient is made up, and what it raises reaches the test runner.
        Valid("""\
            class WeightTests:
                PATIENT_NAME = "Ann Example"

                def test_weight(self, patient):
                    if patient.full_name != self.PATIENT_NAME:
                        raise AssertionError(f'expected {patient.full_name} (MRN {patient.mrn})')
            """, path="clinic/tests/test_weights.py"),
    )
    INVALID = (
        Invalid("""\
            def weight(patient):
                raise LookupError(f'No weight for {patient.full_name} (MRN {patient.mrn})')
            """, line=2),
        Invalid("""\
            def f(encounter):
                pt = encounter.patient
                msg = 'DOB ' + str(pt.date_of_birth)
                raise ValueError(msg)
            """, line=4),
    )

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        if not isinstance(exc, ast.Call):
            return
        if (self.ctx.imports.qualname(exc.func) or "").rsplit(".", 1)[-1] in _USER_FACING:
            return  # a form or serializer error goes back to the user who submitted the value
        sink = Sink(EXCEPTION, f"raise {ast.unparse(exc.func)}", node.lineno)
        flows = [f for f in self.flows_into(sink, [*exc.args, *(k.value for k in exc.keywords)]) if f.kind in (PHI, RENDERED, RECORD)]
        if flows:
            labels = list(dict.fromkeys(f.value for f in flows))
            self.report(node, f"Exception message carries PHI: {', '.join(labels[:4])}. Flow: {describe(flows)}.",
                        end_node=node, flow=flow_steps(flows[0]),
                        fix="Identify the patient by internal id (patient.pk) in the message; show names only "
                        "in the authorised UI.")
