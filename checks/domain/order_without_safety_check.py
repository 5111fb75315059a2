from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import NAME as FUNCS
from ..facts.clinical_functions import FunctionIndex
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..walk import walk

_ORDER_MODEL = re.compile(r"prescription|medicationorder|medicationrequest|medorder|drugorder|rxorder")
_CREATE = {"create", "get_or_create", "update_or_create", "bulk_create"}
_FILES = (
    ("app/models.py", """\
        from django.db import models

        class Prescription(models.Model):
            dose_mg = models.IntegerField()
        """),
    ("app/safety.py", """\
        def check_allergies(patient, drug):
            pass

        def check_interactions(patient, drug):
            pass
        """),
)


class OrderWithoutSafetyCheck(Check):
    """## What it does
    Flags a function that creates a medication order or prescription (`Prescription.objects.create`,
    `MedicationRequest(...).save()`, a serializer's `create` for such a model) without calling an
    allergy or drug-interaction check that exists in the project. Calls are followed within the
    project two levels deep, so a view calling `create_prescription()` that runs the checks passes.
    Only reported when the project has such a check (or `safety_check_functions` names one).

    ## Why is this bad?
    Renewals, quick PRN orders and bulk imports are where checks get skipped: the new code path
    writes the order directly and the patient's penicillin allergy or warfarin course never comes
    up. Allergy and interaction screening is the point of computerised order entry.

    ## Example
    ```python
    def renew_prescription(previous):
        return Prescription.objects.create(patient=previous.patient, drug=previous.drug, ...)
    ```

    Use instead:
    ```python
    def renew_prescription(previous):
        check_allergies(previous.patient, previous.drug)
        check_interactions(previous.patient, previous.drug)
        return Prescription.objects.create(...)
    ```
    """

    code = "WG404"
    name = "order-without-safety-check"
    category = Category.DOSAGE
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 754
    summary = "Medication order created without an allergy or drug-interaction check"

    VALID = (
        Valid("""\
            from .models import Prescription
            from .safety import check_allergies, check_interactions

            def create_rx(patient, drug):
                check_allergies(patient, drug)
                check_interactions(patient, drug)
                return Prescription.objects.create(dose_mg=1)
            """, path="app/orders.py", files=_FILES),
        Valid("""\
            from .orders import create_rx

            def new_rx_view(request, patient, drug):
                return create_rx(patient, drug)
            """, path="app/views.py",
            files=(*_FILES, ("app/orders.py", """\
                from .models import Prescription
                from . import safety

                def create_rx(patient, drug):
                    safety.check_allergies(patient, drug)
                    return Prescription.objects.create(dose_mg=1)
                """))),
        Valid("""\
            from .models import Prescription

            def renew(p):
                return Prescription.objects.create(dose_mg=1)
            """, path="app/orders.py", files=_FILES[:1]),
    )
    INVALID = (
        Invalid("""\
            from .models import Prescription as Rx

            def renew(previous):
                return Rx.objects.create(dose_mg=1)
            """, line=3, path="app/orders.py", files=_FILES),
        Invalid("""\
            from . import models

            class Orders:
                def quick(self, dose):
                    rx = models.Prescription(dose_mg=dose)
                    rx.save()
                    return rx
            """, line=4, path="app/orders.py", files=_FILES),
    )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        funcs: FunctionIndex | None = self.ctx.project.fact(FUNCS)
        if models is None or funcs is None or self.ctx.src.looks_like_test or self.ctx.src.looks_like_migration:
            return
        if not funcs.has_safety_checks:
            return
        created = self._creates_order(node, models)
        if created is None:
            return
        calls = [q for n in walk(node) if isinstance(n, ast.Call) for q in [self.qualname(n.func)] if q]
        if funcs.reaches_safety_check(calls):
            return
        self.report(node, f"`{node.name}` creates a {created} without an allergy or drug-interaction check.",
                    fix="Run the project's allergy and interaction checks (or call the order service that runs "
                    "them) before creating the order; record any documented override.")

    visit_AsyncFunctionDef = visit_FunctionDef

    def _creates_order(self, fn: ast.AST, models: ModelIndex) -> str | None:
        saves = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "save"
                    for n in walk(fn))
        for n in walk(fn):
            if not isinstance(n, ast.Call):
                continue
            f = n.func
            if isinstance(f, ast.Attribute) and f.attr in _CREATE and isinstance(f.value, ast.Attribute) \
                    and f.value.attr == "objects":
                name = self._order_model(f.value.value, models)
            elif saves:
                name = self._order_model(f, models)
            else:
                name = None
            if name:
                return name
        return None

    def _order_model(self, ref: ast.expr, models: ModelIndex) -> str | None:
        m = models.lookup(self.qualname(ref))
        if m is None or m.qualname not in models.django:
            return None
        return m.name if _ORDER_MODEL.search(m.name.lower()) else None
