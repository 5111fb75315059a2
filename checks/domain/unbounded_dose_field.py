from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import tokens
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import last_part

_NUMERIC = {"DecimalField", "FloatField", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
            "SmallIntegerField", "BigIntegerField", "PositiveBigIntegerField"}
_DOSE = {"dose", "dosage", "strength"}


# A rounding mode, a precision or a divisor configures how a dose is rounded; it is not an amount.
_SETTING = {"round", "roundup", "rounddown", "rounding", "divisible", "precision", "places", "decimals", "decimal"}
# Free text about a dose that is not the amount itself.
_NOT_AMOUNT_TEXT = {"unit", "units", "route", "frequency", "form", "type", "schedule", "instruction", "instructions",
                    "comment", "comments", "note", "notes", "code", "name", "label", "description", "status", "reason"}
_TEXT = {"CharField", "TextField"}
# Clinical inputs that doses are computed from: a weight typed in grams makes a thousandfold dose.
_MEASURE_UNITS = {"weight": {"kg", "kgs", "g", "grams", "lb", "lbs"}, "height": {"cm", "m", "in", "inches"}}
_MEASURE_ALONE = {"bsa"}
_DOSING_MODEL = {"rx", "prescription", "prescriptions", "order", "medication", "dosing", "dose", "dosage", "regimen",
                 "refill", "infusion", "chemotherapy", "chemo", "protocol"}
_DERIVED_MEASURE = {"percent", "pct", "change", "drop", "delta", "diff", "ratio", "z", "zscore", "centile", "percentile"}


def _is_dose_field(name: str) -> bool:
    t = set(tokens(name))
    if t & ({"count", "number", "frequency", "days", "unit", "units_label", "per_day", "interval"} | _SETTING):
        return False
    return bool(t & _DOSE) or "infusion_rate" in name or ("rate" in t and bool(t & {"ml", "mg", "mcg"}))


def _is_clinical_input(name: str) -> bool:
    """`weight_in_kgs`, `weight_kg`, `height_cm`, `bsa`, `body_surface_area`: what doses are computed from."""
    t = set(tokens(name))
    if t & _DERIVED_MEASURE:
        return False
    if "body_surface_area" in name or t & _MEASURE_ALONE:
        return True
    return any(word in t and bool(t & units) for word, units in _MEASURE_UNITS.items())



def _field_assignments(cls: ast.ClassDef) -> list[tuple[ast.Assign, str, ast.Call]]:
    """`name = models.SomeField(...)` statements of a class body."""
    return [(s, s.targets[0].id, s.value) for s in cls.body if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Call)]

class UnboundedDoseField(Check):
    """## What it does
    Flags a Django model field that stores a dose or strength amount (`dose_mg`, `strength_mg`,
    `dose_per_m2_mg`, `infusion_rate_ml_per_hr`) as a `FloatField`, or as a numeric field without
    both a `MinValueValidator` and a `MaxValueValidator`; the same for the clinical inputs doses are
    computed from (`weight_in_kgs`, `height_cm`, `bsa`) on a model where doses are prescribed or computed
    (an Rx, an order, a regimen, or one with dose fields); and a dose kept as free text
    (`dose = CharField()` with no validator). Lab values, counts, units, routes and rounding
    settings (`round_dose`, `roundup_divisible_by`, fields with `choices=`) are not doses.

    ## Why is this bad?
    Validators are the database-side backstop when a form, an import or an API client skips the
    calculation code: without them a 10x or negative dose is stored and later administered.
    Binary floats cannot represent decimal doses exactly (0.1 + 0.2 != 0.3), so rounding drifts
    into infusion pumps and dispensing labels.

    ## Example
    ```python
    infusion_rate_ml_per_hr = models.FloatField(null=True)
    ```

    Use instead:
    ```python
    infusion_rate_ml_per_hr = models.DecimalField(max_digits=7, decimal_places=2, null=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("999"))])
    ```
    """

    code = "WG403"
    name = "unbounded-dose-field"
    category = Category.DOSAGE
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 20
    summary = "Dose/strength model field stored as FloatField or without Min/Max validators"

    VALID = (
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose_mg = models.DecimalField(max_digits=8, decimal_places=3, validators=[Min(0), Max(5000)])
            """, path="app/models.py"),
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                value = models.FloatField(null=True)
                doses_per_day = models.PositiveSmallIntegerField()
                dose_unit = models.CharField(max_length=10)
            """, path="app/models.py"),
        Valid("""\
            class DoseForm:
                dose_mg = FloatField()
            """, path="app/forms.py"),
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose_mg = models.DecimalField(max_digits=8, decimal_places=3, validators=DOSE_VALIDATORS)
            """, path="app/models.py"),
        # Rounding settings, units and bounded inputs are not unbounded doses.
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                round_dose = models.IntegerField(default=0)
                dose_unit = models.CharField(max_length=9)
                rounding = models.IntegerField(choices=[(0, 'none'), (1, 'up')])
                weight_kg = models.DecimalField(max_digits=5, decimal_places=1, validators=[Min(0.3), Max(400)])
            """, path="app/models.py"),
        # A weight recorded on an admission feeds no dose on that model.
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Admission(models.Model):
                weight_kg = models.FloatField(null=True)
            """, path="app/models.py"),
    )
    INVALID = (
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                strength_mg = models.DecimalField(max_digits=10, decimal_places=3)
            """, line=5, path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose_per_m2_mg = models.FloatField(null=True, validators=[Min(0), Max(9)])
            """, line=5, path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                infusion_rate_ml_per_hr = models.DecimalField(
                    max_digits=6, decimal_places=2,
                    validators=[Min(0)],
                )
            """, line=5, path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Rx(models.Model):
                weight_in_kgs = models.DecimalField(max_digits=6, decimal_places=1, null=True)
            """, line=5, path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose = models.CharField(max_length=255, blank=True)
            """, line=5, path="app/models.py"),
    )

    @staticmethod
    def _doses(node: ast.ClassDef) -> bool:
        """A model where doses are prescribed or computed (an Rx, an order, a regimen, or one with dose
        fields): its weight or height feeds a dose. An admission's recorded weight does not, by itself."""
        if set(tokens(node.name)) & _DOSING_MODEL:
            return True
        return any(isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                   and _is_dose_field(s.targets[0].id) for s in node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        q = f"{self.ctx.imports.module}.{node.name}" if self.ctx.imports.module else node.name
        if models is None or q not in models.django:
            return
        for stmt, name, call in _field_assignments(node):
            kind = last_part(self.qualname(call.func))
            keywords = {k.arg for k in call.keywords}
            validators = next((k.value for k in call.keywords if k.arg == "validators"), None)
            if kind in _TEXT and _is_dose_field(name) and not set(tokens(name)) & _NOT_AMOUNT_TEXT:
                if validators is None and "choices" not in keywords:
                    self.report(stmt, f"Dose field `{node.name}.{name}` is free text ({kind}) with no validator: "
                                "no range check can ever apply to it.", end_node=stmt,
                                fix="Store the amount as a DecimalField with Min/MaxValueValidator and the unit in "
                                "its own field with choices.")
                continue
            clinical = kind in _NUMERIC and _is_clinical_input(name) and self._doses(node)
            if kind not in _NUMERIC or not (_is_dose_field(name) or clinical) or "choices" in keywords:
                continue
            what = "Clinical input" if clinical and not _is_dose_field(name) else "Dose field"
            problem = self._bound_problem(kind, validators)
            if problem is None:
                continue
            self.report(stmt, f"{what} `{node.name}.{name}` {problem}.", end_node=stmt,
                        fix="Store doses as DecimalField with validators=[MinValueValidator(...), "
                        "MaxValueValidator(...)] set from the formulary's plausible range.")

    def _bound_problem(self, kind: str, validators: ast.expr | None) -> str | None:
        """What keeps a numeric field's values from being bounded, or None when both bounds are set
        (or come from a shared list wardgate does not read)."""
        if kind == "FloatField":
            return "is a FloatField (binary floating point)"
        if validators is None:
            return "has no MinValueValidator/MaxValueValidator"
        if not isinstance(validators, (ast.List, ast.Tuple)):
            return None  # validators from a shared list: assume bounded
        names = {last_part(self.qualname(v)) for v in validators.elts}
        has_min = any(n.startswith("Min") for n in names)
        has_max = any(n.startswith("Max") or n in {"RangeValidator"} for n in names)
        if has_min and has_max:
            return None
        return f"has no {'MaxValueValidator' if has_min else 'MinValueValidator'}"
