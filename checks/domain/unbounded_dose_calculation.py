from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import NAME as FUNCS
from ..facts.clinical_functions import FunctionIndex, caps_against_max, is_dose_calculation
from ..finding import Category, Confidence, Severity
from ..flows.index import NAME as FLOWS
from ..flows.index import FlowIndex
from ..source import SourceFile
from ..walk import walk

_HELPERS = ("app/dosing.py", """
def enforce_max_dose(drug, dose_mg):
    if dose_mg > drug.max_single_dose_mg:
        raise ValueError("above maximum")
    return dose_mg
""")


class UnboundedDoseCalculation(Check):
    """## What it does
    Flags a function that calculates a medication dose (named like a dose, `mg_per_kg`,
    `infusion_rate`, or an amount in mg computed from weight, BSA, age or renal function) and
    returns it with no upper bound: no `min(dose, max_dose)`, no comparison against a maximum
    that raises or caps (`if dose > MAX: raise/return`, or reassigns the maximum:
    `if dose > MAX: dose = MAX`, `dose = MAX if dose > MAX else dose`), and no call to a
    dose-limit helper. Limit helpers are recognised across the project (any function whose body
    caps or refuses against a maximum) and from config (`dose_limit_helpers`). A dose capped where it
    provably passes is capped: when every call of the function in the project limits its result
    (`min(calc(...), MAX)`, a limit helper around it, or a maximum check after binding it), it passes. BSA or
    creatinine-clearance helpers compute no dose and pass. The finding covers the `def` line through
    the last statement of the dose arithmetic.

    ## Why is this bad?
    Weight-based arithmetic scales without limit: a weight typed in grams instead of kilograms,
    an obese adult on a paediatric formula, or a swapped argument produces a tenfold or
    thousandfold dose that looks as valid as any other number. Maximum-dose checks are the
    last automated barrier before a prescriber signs it.

    ## Example
    ```python
    def vancomycin_loading_dose_mg(weight_kg):
        return weight_kg * Decimal("25")
    ```

    Use instead:
    ```python
    def vancomycin_loading_dose_mg(drug, weight_kg):
        return min(weight_kg * Decimal("25"), drug.max_single_dose_mg)  # or enforce_max_dose(drug, …)
    ```
    """

    code = "WG401"
    name = "unbounded-dose-calculation"
    category = Category.DOSAGE
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 1284
    summary = "Dose calculation returned without an upper bound (no cap, no maximum check, no limit helper)"

    VALID = (
        # Vaccine doses counted as stock for a report: supply accounting, no patient's dose.
        Valid("""\
            def write_vials_doses_stock_balance(sheet, sums, doses_per_vial):
                row = [""] * len(sums)
                row[0] = sums["vials_in"] * doses_per_vial - sums["doses_used"]
                sheet.append(row)
            """),
        Valid("""\
            def weight_based_dose_mg(weight_kg, mg_per_kg, max_dose_mg):
                return min(weight_kg * mg_per_kg, max_dose_mg)
            """),
        Valid("""\
            from .dosing import enforce_max_dose as cap

            def renal_dose_mg(drug, dose_mg, crcl):
                return cap(drug, dose_mg * (0.5 if crcl < 30 else 1))
            """, path="app/renal.py", files=(_HELPERS,)),
        Valid("""\
            import math

            def body_surface_area_m2(height_cm, weight_kg):
                return math.sqrt(height_cm * weight_kg / 3600)
            """),
        Valid("""\
            def creatinine_clearance(age, weight_kg, scr):
                return (140 - age) * weight_kg / (72 * scr)
            """),
        Valid("""\
            def daily_dose_mg(drug, single_mg, per_day):
                total = single_mg * per_day
                if total > drug.max_daily_dose_mg:
                    raise ValueError('over the daily maximum')
                return total
            """),
        # Capped by reassigning the maximum (statement and conditional-expression forms).
        Valid("""\
            PARACETAMOL_MAX_SINGLE_MG = 1000

            def paracetamol_mg(weight_kg):
                dose = weight_kg * 15
                if dose > PARACETAMOL_MAX_SINGLE_MG:
                    dose = PARACETAMOL_MAX_SINGLE_MG
                return dose
            """),
        Valid("""\
            def ondansetron_dose_mg(drug, weight_kg):
                dose = weight_kg * 0.15
                dose = drug.max_single_dose_mg if dose > drug.max_single_dose_mg else dose
                return dose
            """),
        # Capped by its only caller.
        Valid("""\
            def raw_dose_mg(weight_kg):
                return weight_kg * 15
            """, path="app/calc.py",
            files=(
            ("app/orders.py", """\
                from .calc import raw_dose_mg

                def order(drug, w):
                    return min(raw_dose_mg(w), drug.max_single_dose_mg)
                """),)),
    )
    INVALID = (
        Invalid("""\
            def vancomycin_loading_dose_mg(weight_kg):
                return weight_kg * 25
            """, line=1),
        Invalid("""\
            class Calc:
                @staticmethod
                def infusion_rate_ml_per_hr(dose_per_kg, weight_kg, conc):
                    if conc <= 0:
                        raise ValueError('bad concentration')
                    return dose_per_kg * weight_kg / conc
            """, line=3),
        Invalid("""\
            def amoxicillin_mg(weight_kg, age_months):
                if not 1 <= age_months < 144:
                    raise ValueError('paediatric only')
                return weight_kg * 30
            """, line=1),
        Invalid("""\
            from .dosing import enforce_max_dose

            def bsa_dose_mg(drug, bsa):
                dose = drug.dose_per_m2_mg * bsa
                return round(dose, 1)
            """, line=3, path="app/onc.py", files=(_HELPERS,)),
        # Traps: compared with the maximum but never capped (logged, a different variable, raised to it).
        Invalid("""\
            MAX_DOSE_MG = 1000

            def paracetamol_mg(weight_kg):
                dose = weight_kg * 15
                if dose > MAX_DOSE_MG:
                    print('above maximum')
                return dose
            """, line=3),
        Invalid("""\
            MAX_DOSE_MG = 1000

            def paracetamol_mg(weight_kg):
                dose = weight_kg * 15
                if dose > MAX_DOSE_MG:
                    shown = MAX_DOSE_MG
                return dose
            """, line=3),
        Invalid("""\
            def heparin_dose_units(weight_kg, max_units):
                dose = weight_kg * 80
                dose = max_units if dose < max_units else dose
                return dose
            """, line=1),
        # One caller caps it, the other does not.
        Invalid("""\
            def raw_dose_mg(weight_kg):
                return weight_kg * 15
            """, line=1, path="app/calc.py",
            files=(
            ("app/orders.py", """\
                from .calc import raw_dose_mg

                def order(drug, w):
                    return min(raw_dose_mg(w), drug.max_single_dose_mg)

                def label(w):
                    return f'{raw_dose_mg(w)} mg'
                """),)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_test or src.looks_like_migration)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._classes = [*getattr(self, "_classes", []), node.name]

    def leave_ClassDef(self, node: ast.ClassDef) -> None:
        self._classes = self._classes[:-1]

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not is_dose_calculation(node) or caps_against_max(node):
            return
        funcs: FunctionIndex | None = self.ctx.project.fact(FUNCS)
        calls = [q for n in walk(node) if isinstance(n, ast.Call) for q in [self.qualname(n.func)] if q]
        if funcs is not None and funcs.reaches_limit(calls):
            return
        flows: FlowIndex | None = self.ctx.project.fact(FLOWS)
        owner = [p for p in (self.ctx.imports.module, *getattr(self, "_classes", [])[-1:]) if p]
        if flows is not None and flows.capped_by_every_caller(".".join([*owner, node.name])):
            return  # the dose is capped where it passes: every caller limits the result
        self.report(
            node,
            f"`{node.name}` calculates a dose but never limits it: no min() against a maximum, no maximum "
            "check that raises, no call to a dose-limit helper.",
            end_node=_last_computation(node),
            fix="Cap the result against the formulary maximum (min(dose, drug.max_single_dose_mg)) or pass it "
            "through the project's limit helper (e.g. enforce_max_dose) before returning or storing it.",
        )

    visit_AsyncFunctionDef = visit_FunctionDef


def _last_computation(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
    """The range runs from the `def` line to the last statement that multiplies or divides (the dose
    computation), so a reviewer sees both the function and the arithmetic left uncapped."""
    last: ast.AST = fn
    for stmt in walk(fn):
        if stmt is not fn and _computes(stmt) and (
                getattr(stmt, "end_lineno", 0) > getattr(last, "end_lineno", 0) or last is fn):
            last = stmt
    if last is fn:
        return ast.Expr(value=ast.Constant(None), lineno=fn.lineno, end_lineno=fn.lineno, col_offset=0)
    return last


_BLOCKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While, ast.With, ast.Try)


def _computes(node: ast.AST) -> bool:
    """A simple statement (not a block) that multiplies or divides."""
    return isinstance(node, ast.stmt) and not isinstance(node, _BLOCKS) and any(
        isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div)) for n in walk(node))
