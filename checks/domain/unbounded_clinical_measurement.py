from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import tokens
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import NUMERIC_FIELDS, ModelIndex
from ..facts.field_limits import NAME as LIMITS
from ..facts.field_limits import ancestors, limit_in_project
from ..facts.write_paths import imported_only
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from .unbounded_dose_field import doses_on_model, is_clinical_input

# What a value is about when the name says it is not the measurement itself: a limit, a change, a unit, a setting.
_NOT_A_READING = {"min", "max", "minimum", "maximum", "limit", "threshold", "lower", "upper", "cutoff", "target",
                  "range", "normal", "reference", "percent", "pct", "change", "drop", "delta", "diff", "ratio", "z",
                  "zscore", "centile", "percentile", "gain", "loss", "unit", "units", "count", "number", "num", "days",
                  "date", "time", "interval", "frequency", "storage", "fridge", "freezer", "room", "ambient",
                  "device", "sensor", "model", "llm", "sampling", "score", "scale",
                  # computed from other fields, or kept only for old rows: nobody types it in
                  "calculated", "calc", "computed", "derived", "archived", "deprecated", "legacy"}


def measurement(name: str) -> str | None:
    """What bedside measurement a field named `name` holds (`temperature`, `heart_rate`, `systolic_bp`,
    `oxygen_saturation`, `weight_kg`, `birth_weight`, `height_cm`, `muac`, `bmi`), or None."""
    t = set(tokens(name))
    if t & _NOT_A_READING:
        return None
    if "temperature" in t or ("temp" in t and t & {"c", "f", "celsius", "fahrenheit", "body"}):
        return "body temperature"
    if ("heart" in t and "rate" in t) or "pulse" in t and not t & {"oximetry", "ox"}:
        return "heart rate"
    if t & {"respiratory", "respiration", "resp", "breathing"} and "rate" in t:
        return "respiratory rate"
    if t & {"systolic", "diastolic", "sbp", "dbp"}:
        return "blood pressure"
    if t & {"spo2", "saturation", "sats", "oximetry"} or {"o2", "sat"} <= t:
        return "oxygen saturation"
    if "weight" in t:
        return "weight"
    if "height" in t:
        return "height"
    if "bmi" in t:
        return "body mass index"
    if "circumference" in t or "muac" in t:
        return "circumference"
    return None


def _max_literal(validators: ast.expr) -> float | None:
    """The literal bound of `MaxValueValidator(<number>)` in a validators list, if there is one."""
    for v in validators.elts if isinstance(validators, (ast.List, ast.Tuple)) else []:
        if isinstance(v, ast.Call) and last_part(ast.unparse(v.func)).startswith("Max") and v.args:
            arg = v.args[0]
            if isinstance(arg, ast.Call) and arg.args:  # MaxValueValidator(Decimal("300.0"))
                arg = arg.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, (int, float, str)):
                try:
                    return float(arg.value)
                except ValueError:
                    return None
    return None


def _set_by_model(node: ast.ClassDef) -> set[str]:
    """Fields the model computes itself: `self.bmi = ...` in one of its methods (`save()`, `clean()`)."""
    return {t.attr for fn in node.body if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for a in ast.walk(fn) if isinstance(a, (ast.Assign, ast.AugAssign, ast.AnnAssign))
            for t in (a.targets if isinstance(a, ast.Assign) else [a.target])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}


_PATIENT = """from django.db import models
from django.core.validators import MaxValueValidator, MinValueValidator


class Patient(models.Model):
    nhs_number = models.CharField(max_length=10, unique=True)
    first_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()


class Observation(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
"""


class UnboundedClinicalMeasurement(Check):
    """## What it does
    Flags a numeric field of a model that holds patient data (the patient's own row, or a row that points at one)
    when it stores a bedside measurement (body temperature, heart rate, respiratory rate, blood pressure, oxygen
    saturation, weight, height, BMI, a circumference such as MUAC) and nothing caps it from above: no
    `MaxValueValidator` on the field, no check in the model's `clean()`/`save()`, and not every form, serializer
    and admin that sets it checks it (the same paths WG403 follows for doses). A saturation capped above 100 % is
    not capped. Fields with `choices=`, validators from a shared list, limits and targets (`max_weight`,
    `target_sbp`), changes (`weight_change`), units, scores and settings (an LLM's sampling `temperature`, a
    fridge's storage temperature) are not measurements, nor are values computed from others (`calculated_bmi`)
    or kept for old rows (`archived_spo2`), nor a value the model sets itself in `save()` (a BMI computed from
    weight and height), nor the height of something with a width (an image). Rows that only a loader or a scheduled job fills and no form,
    serializer, admin or view edits are another system's copy, and are left alone. A measurement on a model where
    doses are computed is WG403's.

    ## Why is this bad?
    A temperature typed as 370 instead of 37.0, a birth weight typed in kilograms into a field in grams, or a
    saturation of 980 % is stored, charted and fed into early-warning scores, growth centiles and dose
    calculations. The range check is the only thing between a slip of the finger and a clinical decision made on
    it; without it the record is silently wrong.

    ## Example
    ```python
    class Vitals(models.Model):
        visit = models.ForeignKey(Visit, on_delete=models.PROTECT)
        temperature = models.DecimalField(max_digits=4, decimal_places=1)
    ```

    Use instead:
    ```python
    class Vitals(models.Model):
        visit = models.ForeignKey(Visit, on_delete=models.PROTECT)
        temperature = models.DecimalField(max_digits=4, decimal_places=1,
            validators=[MinValueValidator(Decimal("30.0")), MaxValueValidator(Decimal("45.0"))])
    ```
    """

    code = "WG408"
    name = "unbounded-clinical-measurement"
    category = Category.DOSAGE
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    cwe = 20
    summary = "Patient measurement (vital sign, weight, height) stored with no upper bound"

    VALID = (
        Valid(_PATIENT + """\
    temperature = models.DecimalField(max_digits=4, decimal_places=1,
                                      validators=[MinValueValidator(30), MaxValueValidator(45)])
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, choices=[(1, "1"), (2, "2")])
    max_weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    weight_change = models.DecimalField(max_digits=5, decimal_places=1)
    heart_rate = models.PositiveSmallIntegerField(validators=VITAL_SIGN_BOUNDS)
""", path="app/models.py"),
        # A measurement of something that is not a patient: the vaccine fridge.
        Valid("""\
            from django.db import models

            class Fridge(models.Model):
                temperature = models.DecimalField(max_digits=4, decimal_places=1)
            """, path="app/models.py"),
        # The model's clean() caps it.
        Valid(_PATIENT + """\
    weight = models.DecimalField(max_digits=5, decimal_places=1)

    def clean(self):
        if self.weight is not None and not 0.3 <= self.weight <= 400:
            raise ValidationError("weight out of range")
""", path="app/models.py"),
        # Every form that sets it caps it.
        Valid(_PATIENT + "    height_cm = models.PositiveIntegerField()\n", path="app/models.py", files=(
            ("app/forms.py", ("from django import forms\nfrom app.models import Observation\n\n"
             "class ObservationForm(forms.ModelForm):\n"
             "    height_cm = forms.IntegerField(min_value=20, max_value=260)\n\n"
             "    class Meta:\n        model = Observation\n        fields = ['height_cm']\n")),)),
        # An image's height, and a BMI the model computes from weight and height.
        Valid(_PATIENT + """\
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()


class Anthropometry(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, validators=[MaxValueValidator(400)])
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, validators=[MaxValueValidator(260)])
    bmi = models.DecimalField(max_digits=5, decimal_places=1, null=True)

    def save(self, *args, **kwargs):
        self.bmi = self.weight_kg / (self.height_cm / 100) ** 2
        super().save(*args, **kwargs)
""", path="app/models.py"),
        # A copy of the lab system's observations that a loader fills and no one edits.
        Valid(_PATIENT + "    heart_rate = models.IntegerField(null=True)\n", path="app/models.py", files=(
            ("app/management/commands/load_observations.py", (
             "from django.core.management.base import BaseCommand\nfrom app.models import Observation\n\n"
             "class Command(BaseCommand):\n    def handle(self, *args, **options):\n"
             "        for row in read_feed():\n            Observation.objects.create(**row)\n")),)),
    )
    INVALID = (
        Invalid(_PATIENT + "    temperature = models.DecimalField(max_digits=4, decimal_places=1)\n", line=13,
                path="app/models.py"),
        # A saturation in per cent capped at 999.
        Invalid(_PATIENT + "    oxygen_saturation = models.IntegerField(validators=[MinValueValidator(1), "
                "MaxValueValidator(999)])\n", line=13, path="app/models.py"),
        # On an abstract mixin: the concrete CRF that inherits it holds patient data.
        Invalid("""\
            from django.db import models
            from django.core.validators import MinValueValidator
            from app.models import Patient

            class BirthFieldsMixin(models.Model):
                birth_weight = models.IntegerField(validators=[MinValueValidator(0)], help_text="grams")

                class Meta:
                    abstract = True

            class BirthOutcome(BirthFieldsMixin, models.Model):
                mother = models.ForeignKey(Patient, on_delete=models.PROTECT)
            """, line=6, path="app/crfs.py", files=(("app/models.py", _PATIENT),)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        q = f"{self.ctx.imports.module}.{node.name}" if self.ctx.imports.module else node.name
        if models is None or q not in models.django:
            return
        fields = [(s, s.targets[0].id, what) for s in node.body
                  if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                  and isinstance(s.value, ast.Call) and last_part(self.qualname(s.value.func)) in NUMERIC_FIELDS
                  and (what := measurement(s.targets[0].id)) is not None]
        siblings = {t for s in node.body if isinstance(s, ast.Assign) for n in s.targets if isinstance(n, ast.Name)
                    for t in tokens(n.id)}
        computed = _set_by_model(node)
        fields = [(s, name, what) for s, name, what in fields if name not in computed
                  and not (what == "height" and siblings & {"width", "depth"})]  # an image's or a box's size
        holder = self._patient_model(q, models) if fields else None
        if holder is None or imported_only(holder, models, self.ctx.project.fact("django_code")):
            return  # no patient data, or a copy of another system's rows that a loader fills and no user edits
        for stmt, name, what in fields:
            assert isinstance(stmt.value, ast.Call)
            keywords = {k.arg: k.value for k in stmt.value.keywords}
            if "choices" in keywords:
                continue
            if is_clinical_input(name) and doses_on_model(node):
                continue  # WG403 judges the inputs of a dose
            validators = keywords.get("validators")
            if validators is not None and not isinstance(validators, (ast.List, ast.Tuple)):
                continue  # a shared list of validators: assume it bounds the value
            bound = _max_literal(validators) if validators is not None else None
            has_max = validators is not None and any(
                last_part(ast.unparse(v.func if isinstance(v, ast.Call) else v)).startswith(("Max", "Range"))
                for v in validators.elts)
            if has_max and not (what == "oxygen saturation" and bound is not None and bound > 100):
                continue
            checked, skipped = limit_in_project(self.ctx.project.fact(LIMITS), models, q, name)
            if checked:
                continue
            problem = (f"is capped at {bound:g}, above 100 %" if has_max else "has no upper bound")
            where = f" ({last_part(holder)} rows hold patient data)" if holder != q else ""
            if skipped:
                problem += f"; {skipped} sets it without the check the project's other forms apply"
            self.report(stmt, f"Clinical measurement `{node.name}.{name}` ({what}) {problem}{where}: a mistyped "
                        "value (370 for 37.0, grams for kilograms) is stored and used as if measured.",
                        end_node=stmt,
                        fix="Add MinValueValidator/MaxValueValidator with the plausible range of the measurement "
                        "(or check it in the model's clean() or every form and serializer that sets it).")

    @staticmethod
    def _patient_model(q: str, models: ModelIndex) -> str | None:
        """The model itself when it holds patient data, else a concrete model that inherits its fields and does."""
        def holds(m: str) -> bool:
            return m in models.patient or m in models.linked_patient
        if holds(q):
            return q
        info = models.models.get(q)
        if info is None or not info.abstract:
            return None
        return next((m for m in sorted(models.django) if holds(m) and q in ancestors(m, models)), None)
