from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import is_dose_calculation, tokens
from ..facts.django_models import NAME as MODELS, ModelIndex, ModelInfo
from ..finding import Category, Confidence, Severity

_DRUG = ("app/models.py", """
from django.db import models

class Drug(models.Model):
    name = models.CharField(max_length=100)
    usual_dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=2)
    max_single_dose_mg = models.DecimalField(max_digits=6, decimal_places=2)
    min_age_months = models.PositiveSmallIntegerField(default=0)
""")
_AGE = {"age", "dob", "birth", "birthdate", "months", "years"}
_WEIGHT = {"weight", "kg", "bsa"}


def _limit_fields(model: ModelInfo, words: set[str]) -> list[str]:
    return [f for f in model.fields if set(tokens(f)) & words and set(tokens(f)) & {"min", "max", "minimum", "maximum"}
            and not set(tokens(f)) & {"dose", "mg"}]


class DoseIgnoresAgeOrWeight(Check):
    """## What it does
    Flags a dose calculation that takes a drug whose model declares an age limit
    (`min_age_months`-like field) yet computes from weight without ever looking at the
    patient's age — or, symmetrically, one that declares a weight limit (`min_weight_kg`) yet
    doses by age alone. Generic helpers with no drug (callers do the age check) pass.

    ## Why is this bad?
    When the formulary says both matter, a weight-only calculation happily doses a neonate with
    a drug unlicensed below six months, and an age-only one gives a 9 kg four-year-old the
    20 kg dose. Paediatric dosing errors are among the most frequent and most harmful.

    ## Example
    ```python
    def paediatric_dose_mg(drug: Drug, weight_kg):
        return min(weight_kg * drug.usual_dose_mg_per_kg, drug.max_single_dose_mg)
    ```

    Use instead:
    ```python
    def paediatric_dose_mg(drug: Drug, weight_kg, age_months):
        if age_months < drug.min_age_months:
            raise DoseCalculationError("not licensed at this age")
        return min(weight_kg * drug.usual_dose_mg_per_kg, drug.max_single_dose_mg)
    ```
    """

    code = "WG402"
    name = "dose-ignores-age-or-weight"
    category = Category.DOSAGE
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 1284
    summary = "Weight-based dose ignores age (or age-based dose ignores weight) although the drug model limits both"

    VALID = [
        Valid("from .models import Drug\n\ndef paediatric_dose_mg(drug: Drug, weight_kg, age_months):\n"
              "    if age_months < drug.min_age_months:\n        raise ValueError('too young')\n"
              "    return min(weight_kg * drug.usual_dose_mg_per_kg, drug.max_single_dose_mg)\n",
              path="app/dosing.py", files=(_DRUG,)),
        Valid("def weight_based_dose_mg(weight_kg, mg_per_kg, max_mg):\n    return min(weight_kg * mg_per_kg, max_mg)\n",
              path="app/dosing.py", files=(_DRUG,)),
        Valid("def paediatric_dose_mg(drug, weight_kg):\n    return min(weight_kg * drug.usual_dose_mg_per_kg, 500)\n",
              path="app/dosing.py"),
    ]
    INVALID = [
        Invalid("from .models import Drug as D\n\ndef dose_from_weight_mg(drug: D, weight_kg):\n"
                "    dose = weight_kg * drug.usual_dose_mg_per_kg\n    return min(dose, drug.max_single_dose_mg)\n",
                line=3, path="app/dosing.py", files=(_DRUG,)),
        Invalid("class Calculator:\n    def dose_mg(self, drug, weight_kg):\n"
                "        return min(drug.usual_dose_mg_per_kg * weight_kg, drug.max_single_dose_mg)\n",
                line=2, path="app/services.py", files=(_DRUG,)),
    ]

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        if models is None or self.ctx.src.looks_like_test or not is_dose_calculation(node):
            return
        drugs = [m for m in (self._model_of(a, models) for a in (*node.args.args, *node.args.kwonlyargs)) if m]
        if not drugs:
            return
        words: set[str] = set()
        for n in ast.walk(node):
            ident = n.arg if isinstance(n, ast.arg) else n.id if isinstance(n, ast.Name) else \
                n.attr if isinstance(n, ast.Attribute) else None
            if ident:
                words |= set(tokens(ident))
        for drug in drugs:
            age, weight = _limit_fields(drug, _AGE), _limit_fields(drug, _WEIGHT)
            if age and words & _WEIGHT and not words & _AGE:
                missing, field = "age", age[0]
            elif weight and words & _AGE and not words & _WEIGHT:
                missing, field = "weight", weight[0]
            else:
                continue
            self.report(node, f"`{node.name}` doses by {'weight' if missing == 'age' else 'age'} but never checks the "
                        f"patient's {missing}, although {drug.name}.{field} says both matter.",
                        fix=f"Take the patient's {missing} as an input and refuse the calculation outside "
                        f"{drug.name}.{field} before computing the dose.")
            return

    visit_AsyncFunctionDef = visit_FunctionDef

    def _model_of(self, arg: ast.arg, models: ModelIndex) -> ModelInfo | None:
        if arg.annotation is not None:
            found = models.lookup(self.qualname(arg.annotation))
            if found is not None and found.qualname in models.django:
                return found
        hits = [q for name, qs in models.by_name.items() if name.lower() == arg.arg.lower() for q in qs
                if q in models.django]
        return models.models[hits[0]] if len(hits) == 1 else None
