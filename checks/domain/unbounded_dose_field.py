from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import tokens
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import NUMERIC_FIELDS as _NUMERIC
from ..facts.django_models import ModelIndex
from ..facts.field_limits import NAME as LIMITS
from ..facts.field_limits import limit_in_project
from ..finding import Category, Confidence, Severity
from ..names import last_part

_DOSE = {"dose", "dosage", "strength", "bolus"}
# A record of one dose given or to give (`AdministeredDose`, `MedicationAdministration`): its amount is the dose.
_DOSE_RECORD = {"dose", "dosage", "administration", "administered"}
_AMOUNT = {"amount", "quantity", "qty"}
_DOSE_UNITS = {"mg", "mcg", "ug", "g", "ml", "units", "iu", "mmol"}  # `amount_mg`
# An amount per period (`quantity_per_day`) is a daily dose; a count per period (`times_per_day`) is a frequency.
_PER_PERIOD_AMOUNT = _AMOUNT | {"tablets", "tabs", "pills", "capsules", "drops", "puffs", "units", "iu"}
_PERIOD = {"day", "dose", "week", "month", "hour", "intake"}
_MODELS = """from django.db import models
from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

class Drug(models.Model):
"""


_FORM = ("app/forms.py", ("from django import forms\nfrom django.conf import settings\nfrom app.models import Order\n\n"
         "class OrderForm(forms.ModelForm):\n    class Meta:\n        model = Order\n        fields = ['dose_mg']\n\n"
         "    def clean_dose_mg(self):\n        dose = self.cleaned_data['dose_mg']\n"
         "        if dose > settings.MAX_SINGLE_DOSE_MG:\n            raise forms.ValidationError('too high')\n"
         "        return dose\n"))
_SERIALIZER = ("app/api.py", ("from rest_framework import serializers\nfrom app.models import Order\n\n"
               "class OrderSerializer(serializers.ModelSerializer):\n"
               "    dose_mg = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0, max_value=5000)\n\n"
               "    class Meta:\n        model = Order\n        fields = ['dose_mg']\n"))


# A rounding mode, a precision or a divisor configures how a dose is rounded; it is not an amount.
_SETTING = {"round", "roundup", "rounddown", "rounding", "divisible", "precision", "places", "decimals", "decimal"}
# Free text about a dose that is not the amount itself.
_NOT_AMOUNT_TEXT = {"unit", "units", "route", "frequency", "form", "type", "schedule", "instruction", "instructions",
                    "comment", "comments", "note", "notes", "code", "name", "label", "description", "status", "reason"}
_TEXT = {"CharField", "TextField"}
# Clinical inputs that doses are computed from: a weight typed in grams makes a thousandfold dose.
_MEASURE_UNITS = {"weight": {"kg", "kgs", "g", "grams", "lb", "lbs"}, "height": {"cm", "m", "in", "inches"},
                  "age": {"years", "yrs", "months", "weeks", "days"}}
_MEASURE_NAMES = {"weight", "height", "age", "body_weight", "patient_weight", "patient_age", "age_at_dose"}
_MEASURE_ALONE = {"bsa"}
_DOSING_MODEL = {"rx", "prescription", "prescriptions", "order", "medication", "dosing", "dose", "dosage", "regimen",
                 "refill", "infusion", "chemotherapy", "chemo", "protocol"}
_BOUND = {"min", "max", "minimum", "maximum", "limit", "threshold", "lower", "upper", "cutoff"}
_DERIVED_MEASURE = {"percent", "pct", "change", "drop", "delta", "diff", "ratio", "z", "zscore", "centile", "percentile"}


def _is_dose_field(name: str) -> bool:
    t = set(tokens(name))
    if t & _PER_PERIOD_AMOUNT and ("daily" in t or ("per" in t and t & _PERIOD)):
        return True  # `quantityPerDay`, `daily_qty`, `tablets_per_dose`: an amount taken per period is a dose
    if t & ({"count", "number", "frequency", "days", "unit", "units_label", "per_day", "interval"} | _SETTING):
        return False
    return bool(t & _DOSE) or "infusion_rate" in name or ("rate" in t and bool(t & {"ml", "mg", "mcg"}))


def _is_clinical_input(name: str) -> bool:
    """`weight_in_kgs`, `weight_kg`, `height_cm`, `bsa`, `body_surface_area`: what doses are computed from."""
    t = set(tokens(name))
    if t & _DERIVED_MEASURE or t & _BOUND:
        return False  # `min_age_months`, `max_weight_kg`: a limit the catalogue sets, not a measurement
    if "body_surface_area" in name or t & _MEASURE_ALONE or name in _MEASURE_NAMES:
        return True
    return any(word in t and bool(t & units) for word, units in _MEASURE_UNITS.items())


def _doses_on_model(node: ast.ClassDef) -> bool:
    """A model where doses are prescribed or computed (an Rx, an order, a regimen, or one with dose
    fields): its weight or height feeds a dose. An admission's recorded weight does not, by itself."""
    if set(tokens(node.name)) & _DOSING_MODEL:
        return True
    return any(isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
               and _is_dose_field(s.targets[0].id) for s in node.body)


class UnboundedDoseField(Check):
    """## What it does
    Flags a Django model field that stores a dose or strength amount (`dose_mg`, `strength_mg`,
    `dose_per_m2_mg`, `infusion_rate_ml_per_hr`, a heparin `bolus_units`, the `amount` of a dose record such as
    `AdministeredDose`) as a `FloatField`, or as a numeric field without
    both a `MinValueValidator` and a `MaxValueValidator`; the same for the clinical inputs doses are
    computed from (`weight_in_kgs`, `height_cm`, `age_in_months`, `bsa`) on a model where doses are
    prescribed or computed (an Rx, an order, a regimen, or one with dose fields); and a dose kept as free
    text (`dose = CharField()` with no validator). A field declared with a project subclass of a Django field
    (`class MeasurementField(FloatField)`) is judged as the field it extends. Lab values, counts, units, routes and rounding
    settings (`round_dose`, `roundup_divisible_by`, fields with `choices=`) are not doses.

    A field without validators is still capped when the limit lives where its value provably passes: the
    model's own `clean()`/`save()` comparing it (against a literal, a setting, a constant or the formulary
    row, with a `raise`), or every ModelForm, ModelSerializer and admin that sets it checking it
    (`clean_<field>`, `clean()`, `validate_<field>`, `validate()`, `min_value`/`max_value`, Min/Max
    validators on the declared field, DRF `extra_kwargs`). One path without the check (an API serializer,
    the admin's default form) keeps the finding, and the message names it.

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
        # An amount on a record that is no dose.
        Valid("""\
            from django.db import models

            class Invoice(models.Model):
                amount = models.DecimalField(max_digits=9, decimal_places=2)
            """, path="app/models.py"),
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose_mg = models.DecimalField(max_digits=8, decimal_places=3, validators=[Min(0), Max(5000)])
            """,
              path="app/models.py"),
        # The database refuses any dose outside the listed ones, and any dose above the row's maximum.
        Valid("""\
            from django.db import models

            class TreatmentBase(models.Model):
                dose = models.DecimalField(max_digits=5, decimal_places=1)
                max_dose = models.DecimalField(max_digits=5, decimal_places=1)

                class Meta:
                    abstract = True
                    constraints = [
                        models.CheckConstraint(name="%(class)s_dose_under_max", check=models.Q(dose__lte=models.F("max_dose"))),
                        models.CheckConstraint(name="%(class)s_listed", check=models.Q(max_dose__in=[100, 300, 900])),
                    ]

            class AllopurinolTreatment(TreatmentBase):
                pass
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
            """,
              path="app/models.py"),
        # Rounding settings, units and bounded inputs are not unbounded doses.
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                round_dose = models.IntegerField(default=0)
                dose_unit = models.CharField(max_length=9)
                rounding = models.IntegerField(choices=[(0, 'none'), (1, 'up')])
                weight_kg = models.DecimalField(max_digits=5, decimal_places=1, validators=[Min(0.3), Max(400)])
            """,
              path="app/models.py"),
        # The limit lives in the model's clean(), against the formulary row.
        Valid(_MODELS.replace("Drug", "Order") + "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)\n\n"
              "    def clean(self):\n        if not 0 < self.dose_mg <= self.drug.max_single_dose_mg:\n"
              "            raise ValidationError('dose out of range')\n", path="app/models.py"),
        # Every form and serializer that sets the field checks it (clean_<field>, DRF min_value/max_value).
        Valid(_MODELS.replace("Drug", "Order") + "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)\n",
              path="app/models.py", files=(_FORM, _SERIALIZER)),
        # A drug's age limit is a bound the formulary sets, not a patient's age.
        Valid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose_mg = models.DecimalField(max_digits=8, decimal_places=3, validators=[Min(0), Max(50)])
                min_age_months = models.PositiveSmallIntegerField(default=0)
            """, path="app/models.py"),
        # A weight recorded on an admission feeds no dose on that model.
        Valid(_MODELS.replace("Drug", "Admission") + "    weight_kg = models.FloatField(null=True)\n", path="app/models.py"),
    )
    INVALID = (
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                strength_mg = models.DecimalField(max_digits=10, decimal_places=3)
            """, line=5,
                path="app/models.py"),
        # The amount of a dose record is the dose; a heparin bolus is one.
        Invalid("""\
            from django.db import models

            class AdministeredDose(models.Model):
                amount = models.DecimalField(max_digits=9, decimal_places=2)
                batch_number = models.CharField(max_length=20)
            """, line=4, path="app/models.py"),
        # An amount per day, per dose or per month on a medication line is a dose (`times_per_day` is a frequency).
        Invalid("""\
            from django.db import models

            class PatientMedication(models.Model):
                quantityPerDay = models.DecimalField(max_digits=5, decimal_places=1)
                times_per_day = models.PositiveIntegerField()
            """, line=4, path="app/models.py"),
        Invalid("""\
            from django.db import models

            class HeparinProtocol(models.Model):
                bolus_units = models.FloatField()
            """, line=4, path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose_per_m2_mg = models.FloatField(null=True, validators=[Min(0), Max(9)])
            """, line=5,
                path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                infusion_rate_ml_per_hr = models.DecimalField(
                    max_digits=6, decimal_places=2,
                    validators=[Min(0)],
                )
            """, line=5, path="app/models.py"),
        Invalid(_MODELS.replace("Drug", "Rx") + "    weight_in_kgs = models.DecimalField(max_digits=6, decimal_places=1, "
                "null=True)\n", line=5, path="app/models.py"),
        Invalid("""\
            from django.db import models
            from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

            class Drug(models.Model):
                dose = models.CharField(max_length=255, blank=True)
            """, line=5, path="app/models.py"),
        # The form checks the dose, but an API serializer sets it with no check: the limit is not on every path.
        Invalid(_MODELS.replace("Drug", "Order") + "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)\n",
                line=5, path="app/models.py",
                files=(_FORM, ("app/api.py", ("""\
            from rest_framework import serializers
            from app.models import Order

            class OrderSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Order
                    fields = ['dose_mg']
            """)))),
        # The Django admin edits it with its default form.
        Invalid(_MODELS.replace("Drug", "Order") + "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3)\n",
                line=5, path="app/models.py",
                files=(_FORM, ("app/admin.py", ("""\
            from django.contrib import admin
            from app.models import Order

            admin.site.register(Order)
            """)))),
        # The project's own field class stores a float: the dose is as unbounded as a FloatField.
        Invalid(_MODELS.replace("Drug", "Medication").replace("models\n", "models\nfrom app.fields import "
                                                               "MeasurementField\n", 1)
                + "    dosage_mass = MeasurementField(null=True)\n", line=6, path="app/models.py",
                files=(("app/fields.py", """\
            from django.db.models import FloatField

            class MeasurementField(FloatField):
                pass
            """),)),
        # Age is a dosing input too.
        Invalid(_MODELS.replace("Drug", "Rx") + "    age_in_months = models.PositiveIntegerField(null=True)\n", line=5,
                path="app/models.py"),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        q = f"{self.ctx.imports.module}.{node.name}" if self.ctx.imports.module else node.name
        if models is None or q not in models.django:
            return
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call)):
                continue
            name, declared = stmt.targets[0].id, last_part(self.qualname(stmt.value.func))
            known = models.models[q].fields.get(name)
            kind = known.kind if known is not None else declared  # a project field class: its Django base's kind
            keywords = {k.arg for k in stmt.value.keywords}
            validators = next((k.value for k in stmt.value.keywords if k.arg == "validators"), None)
            if kind in _TEXT and _is_dose_field(name) and not set(tokens(name)) & _NOT_AMOUNT_TEXT:
                if validators is None and "choices" not in keywords:
                    self.report(stmt, f"Dose field `{node.name}.{name}` is free text ({kind}) with no validator: "
                                "no range check can ever apply to it.", end_node=stmt,
                                fix="Store the amount as a DecimalField with Min/MaxValueValidator and the unit in "
                                "its own field with choices.")
                continue
            clinical = kind in _NUMERIC and _is_clinical_input(name) and _doses_on_model(node)
            words = set(tokens(name))
            dose = _is_dose_field(name) or (bool(set(tokens(node.name)) & _DOSE_RECORD) and bool(words & _AMOUNT)
                                            and words <= _AMOUNT | _DOSE_UNITS)
            if kind not in _NUMERIC or not (dose or clinical) or "choices" in keywords:
                continue
            what = "Clinical input" if clinical and not dose else "Dose field"
            if kind == "FloatField":
                problem = "is a FloatField (binary floating point)" if declared == kind else \
                    f"is a {declared}, stored as a FloatField (binary floating point)"
            elif validators is None:
                problem = "has no MinValueValidator/MaxValueValidator"
            elif isinstance(validators, (ast.List, ast.Tuple)):
                names = {last_part(self.qualname(v)) for v in validators.elts}
                has_min = any(n.startswith("Min") for n in names)
                has_max = any(n.startswith("Max") or n in {"RangeValidator"} for n in names)
                if has_min and has_max:
                    continue
                problem = f"has no {'MaxValueValidator' if has_min else 'MinValueValidator'}"
            else:
                continue  # validators from a shared list: assume bounded
            if kind != "FloatField":
                checked, skipped = limit_in_project(self.ctx.project.fact(LIMITS), models, q, name)
                if checked:
                    continue  # the limit lives in the model's clean(), or in every form/serializer that sets it
                if skipped:
                    problem += f", and {skipped} sets it without the check the project's other forms apply"
            self.report(stmt, f"{what} `{node.name}.{name}` {problem}.", end_node=stmt,
                        fix="Store doses as DecimalField with validators=[MinValueValidator(...), "
                        "MaxValueValidator(...)] set from the formulary's plausible range, or check the range in "
                        "the model's clean() or every form/serializer that sets it.")
