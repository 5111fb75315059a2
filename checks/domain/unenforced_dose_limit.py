from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..source import SourceFile

# A field that holds a limit on doses: `max_dosage`, `max_daily_dose_mg`, `min_hours_between_doses`.
_LIMIT = re.compile(r"(^|_)(max|min|maximum|minimum|limit|ceiling)(_|$)")
_DOSE = re.compile(r"(^|_)(dose|doses|dosage|dosing)(_|$)")
_MODEL = ("from django.db import models\n\nclass Prescription(models.Model):\n"
          "    dosage = models.CharField(max_length=20)\n    max_dosage = models.CharField(max_length=20, blank=True)\n"
          "    patient = models.ForeignKey('Patient', on_delete=models.CASCADE)\n\n"
          "class Patient(models.Model):\n    nhs_number = models.CharField(max_length=10)\n")


class UnenforcedDoseLimit(Check):
    """## What it does
    Flags a field of a patient's record (a prescription, an order) that stores a limit on doses
    (`max_dosage`, `max_daily_dose_mg`, `min_hours_between_doses`) when no code in the project
    compares anything with it: no
    comparison, `min()`/`max()` clamp, `F()` expression or Min/Max validator reads the field
    (tests and migrations do not count).

    ## Why is this bad?
    A prescriber records "no more than 4 g a day" or "at least 6 hours apart", and staff trust the
    system to hold the line. If nothing checks an administration against the stored limit, the
    fifth dose or the one given two hours early is recorded without a word: the limit is
    documentation, not a safeguard.

    ## Example
    ```python
    class Prescription(models.Model):
        max_dosage = models.CharField(max_length=20, blank=True)
        min_hours_between_doses = models.IntegerField(null=True)
    ```

    Use instead:
    ```python
    # in the administration serializer or service
    if rx.min_hours_between_doses and since_last < timedelta(hours=rx.min_hours_between_doses):
        raise ValidationError("Too soon after the previous dose")
    ```
    """

    code = "WG407"
    name = "unenforced-dose-limit"
    category = Category.DOSAGE
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 20
    summary = "Dose limit stored on a model but never checked by any code"

    VALID = [
        # A formulary row (reference data, not a patient's record): its limits may be enforced elsewhere.
        Valid("from django.db import models\n\nclass Drug(models.Model):\n    name = models.CharField(max_length=80)\n"
              "    max_daily_dose_mg = models.DecimalField(max_digits=9, decimal_places=3)\n", path="pharmacy/models.py"),
        Valid(_MODEL, path="pharmacy/models.py", files=(
            ("pharmacy/services.py", "def administer(rx, dose):\n    if dose > rx.max_dosage:\n"
                                     "        raise ValueError('above the prescribed maximum')\n"),)),
        Valid(_MODEL, path="pharmacy/models.py", files=(
            ("pharmacy/queries.py", "from django.db.models import F\n\ndef over(qs):\n"
                                    "    return qs.filter(given__gt=F('max_dosage'))\n"),)),
    ]
    INVALID = [
        Invalid(_MODEL, line=5, path="pharmacy/models.py"),
        # Only a test compares it: the product never does.
        Invalid(_MODEL, line=5, path="pharmacy/models.py", files=(
            ("pharmacy/tests/test_limits.py", "def test_max(rx):\n    assert rx.max_dosage == '4 g'\n"),)),
    ]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        idx: ModelIndex | None = self.ctx.project.fact("django_models")
        compared: frozenset[str] | None = self.ctx.project.fact("compared_names")
        # A patient's own record (a prescription, an order): the limit a clinician set for this patient.
        # A formulary row's limits feed decision support that may live outside the project.
        if idx is None or compared is None or f"{self.ctx.imports.module}.{node.name}" not in idx.patient:
            return
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)):
                continue
            name = stmt.targets[0].id
            if _LIMIT.search(name) and _DOSE.search(name) and name not in compared:
                self.report(stmt, f"{node.name}.{name} stores a dose limit, but no code compares a dose with it: "
                            "doses above it (or given too soon) are recorded without a warning.",
                            fix=f"Check each administration or order against {name} where it is validated "
                            "(serializer validate(), form clean(), the administration service), and test it.")
