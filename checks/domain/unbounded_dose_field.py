from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import tokens
from ..facts.django_models import NAME as MODELS, ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import last_part

_NUMERIC = {"DecimalField", "FloatField", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
            "SmallIntegerField", "BigIntegerField", "PositiveBigIntegerField"}
_DOSE = {"dose", "dosage", "strength"}
_MODELS = """from django.db import models
from django.core.validators import MaxValueValidator as Max, MinValueValidator as Min

class Drug(models.Model):
"""


def _is_dose_field(name: str) -> bool:
    t = set(tokens(name))
    if t & {"count", "number", "frequency", "days", "unit", "units_label", "per_day", "interval"} - {"units"}:
        return False
    return bool(t & _DOSE) or "infusion_rate" in name or ("rate" in t and bool(t & {"ml", "mg", "mcg"}))


class UnboundedDoseField(Check):
    """## What it does
    Flags a Django model field that stores a dose or strength amount (`dose_mg`, `strength_mg`,
    `dose_per_m2_mg`, `infusion_rate_ml_per_hr`) as a `FloatField`, or as a numeric field without
    both a `MinValueValidator` and a `MaxValueValidator`. Lab values and counts are not doses.

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

    VALID = [
        Valid(_MODELS + "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3, validators=[Min(0), Max(5000)])\n",
              path="app/models.py"),
        Valid(_MODELS + "    value = models.FloatField(null=True)\n    doses_per_day = models.PositiveSmallIntegerField()\n"
              "    dose_unit = models.CharField(max_length=10)\n", path="app/models.py"),
        Valid("class DoseForm:\n    dose_mg = FloatField()\n", path="app/forms.py"),
        Valid(_MODELS + "    dose_mg = models.DecimalField(max_digits=8, decimal_places=3, validators=DOSE_VALIDATORS)\n",
              path="app/models.py"),
    ]
    INVALID = [
        Invalid(_MODELS + "    strength_mg = models.DecimalField(max_digits=10, decimal_places=3)\n", line=5,
                path="app/models.py"),
        Invalid(_MODELS + "    dose_per_m2_mg = models.FloatField(null=True, validators=[Min(0), Max(9)])\n", line=5,
                path="app/models.py"),
        Invalid(_MODELS + "    infusion_rate_ml_per_hr = models.DecimalField(\n        max_digits=6, decimal_places=2,\n"
                "        validators=[Min(0)],\n    )\n", line=5, path="app/models.py"),
    ]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        q = f"{self.ctx.imports.module}.{node.name}" if self.ctx.imports.module else node.name
        if models is None or q not in models.django:
            return
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call)):
                continue
            name, kind = stmt.targets[0].id, last_part(self.qualname(stmt.value.func))
            if kind not in _NUMERIC or not _is_dose_field(name):
                continue
            validators = next((k.value for k in stmt.value.keywords if k.arg == "validators"), None)
            if kind == "FloatField":
                problem = "is a FloatField (binary floating point)"
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
            self.report(stmt, f"Dose field `{node.name}.{name}` {problem}.", end_node=stmt,
                        fix="Store doses as DecimalField with validators=[MinValueValidator(...), "
                        "MaxValueValidator(...)] set from the formulary's plausible range.")
