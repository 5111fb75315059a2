from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import NAME as FUNCS
from ..facts.clinical_functions import FunctionIndex, caps_against_max, is_dose_calculation, tokens
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex, ModelInfo
from ..facts.orm_relations import Relations, project_relations
from ..finding import Category, Confidence, Severity
from ..walk import walk

_DRUG = ("app/models.py", """
from django.db import models

class Drug(models.Model):
    name = models.CharField(max_length=100)
    usual_dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=2)
    max_single_dose_mg = models.DecimalField(max_digits=6, decimal_places=2)
    min_age_months = models.PositiveSmallIntegerField(default=0)
""")
_HELPERS = ("app/helpers.py", """
import math

def bsa_mosteller_m2(height_cm, weight_kg):
    return math.sqrt(height_cm * weight_kg / 3600)

def enforce_max_dose(drug, dose_mg):
    if dose_mg > drug.max_single_dose_mg:
        raise ValueError("above maximum")
    return dose_mg
""")
_SYRUP = ("app/syrups.py", """
from django.db import models

class Syrup(models.Model):
    strength_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2)
    max_single_dose_mg = models.DecimalField(max_digits=6, decimal_places=2)
    min_weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
""")
_BANDS = ("app/models.py", """
from django.db import models

class Medicine(models.Model):
    name = models.CharField(max_length=100)

class PaediatricDoseBand(models.Model):
    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="paediatric_bands")
    min_age_months = models.PositiveSmallIntegerField()
    max_age_months = models.PositiveSmallIntegerField()
    dose_per_kg = models.DecimalField(max_digits=6, decimal_places=2)
    max_dose = models.DecimalField(max_digits=6, decimal_places=2)
""")
_AGE = {"age", "dob", "birth", "birthdate", "months", "years"}
_WEIGHT = {"weight", "kg", "bsa"}
_PER_KG = {"weight", "kg"}  # mg/kg arithmetic: weight-based dosing
_BSA = {"bsa", "m2", "surface", "mosteller", "dubois", "haycock"}  # body-surface-area dosing


def _operand_words(node: ast.AST) -> set[str]:
    """Identifier tokens of an arithmetic operand, not looking into a BSA helper's arguments
    (`dose_per_m2 * bsa_mosteller(height_cm, weight_kg)` doses by BSA, not by weight)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Call):
            callee = n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id if isinstance(
                n.func, ast.Name) else ""
            if set(tokens(callee)) & _BSA:
                out |= set(tokens(callee))
                continue
        ident = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
        if ident:
            out |= set(tokens(ident))
        stack.extend(ast.iter_child_nodes(n))
    return out


def _dosing_basis(fn: ast.AST) -> tuple[set[str], set[str]]:
    """(tokens in the dose arithmetic, tokens in comparisons): what the dose is computed from and banded by."""
    arith: set[str] = set()
    compared: set[str] = set()
    for n in walk(fn):
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div, ast.Add, ast.Sub)):
            arith |= _operand_words(n.left) | _operand_words(n.right)
        elif isinstance(n, ast.Compare):
            compared |= _operand_words(n)
    return arith, compared


def _limit_fields(model: ModelInfo, words: set[str]) -> list[str]:
    return [f for f in model.fields if set(tokens(f)) & words and set(tokens(f)) & {"min", "max", "minimum", "maximum"}
            and not set(tokens(f)) & {"dose", "mg"}]


class DoseIgnoresAgeOrWeight(Check):
    """## What it does
    Flags a dose calculation that takes a drug whose model — or the rows it reads through it, such as
    `drug.paediatric_bands` — declares an age limit (`min_age_months`-like field) yet computes a weight-based (mg/kg) dose without ever looking
    at the patient's age — or, symmetrically, one that declares a weight limit (`min_weight_kg`)
    yet picks or scales the dose by age alone. Body-surface-area dosing (weight only feeds the
    BSA formula) needs the age only when nothing caps it; generic helpers with no drug (callers
    do the age check) pass.

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

    VALID = (
        Valid("""\
            def paediatric_dose(medicine, patient, weight_kg):
                band = medicine.paediatric_bands.get(min_age_months__lte=patient.age_months,
                                                     max_age_months__gte=patient.age_months)
                return min(weight_kg * band.dose_per_kg, band.max_dose)
            """, path="app/dosing.py", files=(_BANDS,)),
        Valid("""\
            from .models import Drug

            def paediatric_dose_mg(drug: Drug, weight_kg, age_months):
                if age_months < drug.min_age_months:
                    raise ValueError('too young')
                return min(weight_kg * drug.usual_dose_mg_per_kg, drug.max_single_dose_mg)
            """, path="app/dosing.py", files=(_DRUG,)),
        Valid("""\
            def weight_based_dose_mg(weight_kg, mg_per_kg, max_mg):
                return min(weight_kg * mg_per_kg, max_mg)
            """, path="app/dosing.py", files=(_DRUG,)),
        Valid("""\
            def paediatric_dose_mg(drug, weight_kg):
                return min(weight_kg * drug.usual_dose_mg_per_kg, 500)
            """, path="app/dosing.py"),
        # Body-surface-area dosing capped by a limit helper: weight only feeds the BSA formula.
        Valid("""\
            from .models import Drug
            from .helpers import bsa_mosteller_m2, enforce_max_dose

            def bsa_dose_mg(drug: Drug, dose_per_m2_mg, height_cm, weight_kg):
                bsa = bsa_mosteller_m2(height_cm, weight_kg)
                return enforce_max_dose(drug, dose_per_m2_mg * bsa)
            """, path="app/dosing.py", files=(_DRUG, _HELPERS)),
        # Age-banded dose that checks the weight limit.
        Valid("""\
            from .syrups import Syrup

            def syrup_dose_mg(syrup: Syrup, age_years, weight_kg):
                if weight_kg < syrup.min_weight_kg:
                    raise ValueError('too light')
                ml = 5 if age_years < 6 else 10
                return min(ml * syrup.strength_mg_per_ml, syrup.max_single_dose_mg)
            """, path="app/dosing.py", files=(_SYRUP,)),
        # A weight limit does not make a weight-based (mg/kg) dose need an age.
        Valid("""\
            from .syrups import Syrup

            def syrup_dose_mg(syrup: Syrup, weight_kg):
                if weight_kg < syrup.min_weight_kg:
                    raise ValueError('too light')
                return min(weight_kg * 2 * syrup.strength_mg_per_ml, syrup.max_single_dose_mg)
            """, path="app/dosing.py", files=(_SYRUP,)),
    )
    INVALID = (
        # The dose bands read through the drug are keyed by age; the function takes none and picks the first band.
        Invalid("""\
            def paediatric_dose(medicine, weight_kg):
                band = medicine.paediatric_bands.order_by("min_age_months").first()
                return min(weight_kg * band.dose_per_kg, band.max_dose)
            """, line=1, path="app/dosing.py", files=(_BANDS,)),
        Invalid("""\
            from .models import Drug as D

            def dose_from_weight_mg(drug: D, weight_kg):
                dose = weight_kg * drug.usual_dose_mg_per_kg
                return min(dose, drug.max_single_dose_mg)
            """, line=3, path="app/dosing.py", files=(_DRUG,)),
        Invalid("""\
            class Calculator:
                def dose_mg(self, drug, weight_kg):
                    return min(drug.usual_dose_mg_per_kg * weight_kg, drug.max_single_dose_mg)
            """, line=2, path="app/services.py", files=(_DRUG,)),
        # BSA dosing with no cap at all still needs the age limit.
        Invalid("""\
            from .models import Drug
            from .helpers import bsa_mosteller_m2

            def bsa_dose_mg(drug: Drug, dose_per_m2_mg, height_cm, weight_kg):
                return dose_per_m2_mg * bsa_mosteller_m2(height_cm, weight_kg)
            """, line=4, path="app/dosing.py", files=(_DRUG, _HELPERS)),
        # Trap: a BSA is computed, but the dose itself is mg/kg.
        Invalid("""\
            from .models import Drug
            from .helpers import bsa_mosteller_m2

            def dose_mg(drug: Drug, height_cm, weight_kg):
                bsa = bsa_mosteller_m2(height_cm, weight_kg)
                return min(weight_kg * drug.usual_dose_mg_per_kg, drug.max_single_dose_mg)
            """, line=4, path="app/dosing.py", files=(_DRUG, _HELPERS)),
        # Age-banded dose that never looks at the weight limit.
        Invalid("""\
            from .syrups import Syrup as S

            def syrup_dose_mg(syrup: S, age_years):
                ml = 5 if age_years < 6 else 10
                return min(ml * syrup.strength_mg_per_ml, syrup.max_single_dose_mg)
            """, line=3, path="app/dosing.py", files=(_SYRUP,)),
    )

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        if models is None or self.ctx.src.looks_like_test or not is_dose_calculation(node):
            return
        args = [(a.arg, m) for a in (*node.args.args, *node.args.kwonlyargs) for m in [self._model_of(a, models)] if m]
        if not args:
            return
        # The drug's own limits, and those of the rows the function reads through it (`drug.paediatric_bands`:
        # dose bands keyed by age).
        rels = project_relations(models)
        drugs = [m for _, m in args] + [models.models[q] for n in walk(node) if isinstance(n, ast.Attribute)
                                         and isinstance(n.value, ast.Name) for name, m in args if n.value.id == name
                                         for q in [rels.get(m.qualname, Relations()).many.get(n.attr)]
                                         if q in models.models]
        words: set[str] = set()
        for n in walk(node):
            ident = n.arg if isinstance(n, ast.arg) else n.id if isinstance(n, ast.Name) else \
                n.attr if isinstance(n, ast.Attribute) else None
            if ident:
                words |= set(tokens(ident))
        arith, compared = _dosing_basis(node)
        weight_based = bool(arith & _PER_KG)  # mg/kg: the age limit applies
        bsa_based = bool(arith & _BSA) and not weight_based
        age_banded = bool((arith | compared) & _AGE)  # dose picked or scaled by age: the weight limit applies
        for drug in drugs:
            age, weight = _limit_fields(drug, _AGE), _limit_fields(drug, _WEIGHT)
            if age and (weight_based or (bsa_based and not self._capped(node))) and not words & _AGE:
                missing, field = "age", age[0]
            elif weight and age_banded and not words & _WEIGHT:
                missing, field = "weight", weight[0]
            else:
                continue
            basis = "age" if missing == "weight" else "body surface area" if bsa_based else "weight"
            self.report(node, f"`{node.name}` doses by {basis} but never checks the "
                        f"patient's {missing}, although {drug.name}.{field} says both matter.",
                        fix=f"Take the patient's {missing} as an input and refuse the calculation outside "
                        f"{drug.name}.{field} before computing the dose.")
            return

    def _capped(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        if caps_against_max(node):
            return True
        funcs: FunctionIndex | None = self.ctx.project.fact(FUNCS)
        calls = [q for n in walk(node) if isinstance(n, ast.Call) for q in [self.qualname(n.func)] if q]
        return funcs is not None and funcs.reaches_limit(calls)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _model_of(self, arg: ast.arg, models: ModelIndex) -> ModelInfo | None:
        if arg.annotation is not None:
            found = models.lookup(self.qualname(arg.annotation))
            if found is not None and found.qualname in models.django:
                return found
        hits = [q for name, qs in models.by_name.items() if name.lower() == arg.arg.lower() for q in qs
                if q in models.django]
        return models.models[hits[0]] if len(hits) == 1 else None
