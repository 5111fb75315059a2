from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts import controlled_drugs as cd
from ..facts.clinical_functions import NAME as FUNCS
from ..facts.clinical_functions import FunctionIndex, tokens
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile
from ..walk import walk

_ACTIONS = {"dispense": "dispenses", "dispensing": "dispenses", "dispensed": "dispenses", "dispensation": "dispenses",
            "administer": "administers", "administering": "administers", "administration": "administers",
            "administered": "administers", "waste": "wastes", "wastage": "wastes", "wasted": "wastes"}
_DONE = {"dispensed": "dispenses", "administered": "administers", "wasted": "wastes", "given": "administers"}
_WRITES = {"save", "create", "get_or_create", "update_or_create", "bulk_create", "update"}
_PRE = re.compile(r"dispens|administ|wast|DISPENS|ADMINIST|WAST")
_MODELS = ("app/models.py", """
from django.db import models

class Drug(models.Model):
    name = models.CharField(max_length=80)
    schedule = models.CharField(max_length=3, blank=True)  # "II" … "V"; blank = not controlled

class MedicationOrder(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT)
    status = models.CharField(max_length=20)
    dispensed_by = models.ForeignKey("auth.User", null=True, on_delete=models.PROTECT, related_name="+")
    witnessed_by = models.ForeignKey("auth.User", null=True, on_delete=models.PROTECT, related_name="+")
""")
_WITNESS_HELPER = ("app/controls.py", """
def require_witness(order, witness, user):
    if order.drug.schedule and (witness is None or witness == user):
        raise PermissionError("a second person must witness this")
    order.witnessed_by = witness
""")


class ControlledDrugWithoutWitness(Check):
    """## What it does
    Flags a function that dispenses, administers or wastes a controlled drug and records no witness
    (second-person check) anywhere on its path. The function is an action when its name says
    dispense / administer / waste, or it sets a status such as `"dispensed"`, and it writes. The drug
    is controlled when the function reads a controlling field (`drug.schedule`, `is_controlled`), names
    a controlled-drug model, or writes a record that leads by foreign key to one (`MedicationOrder.drug
    -> Drug.schedule`). A witness is recorded when the function, a project function it calls (two
    levels), or the written model's `save()`/`clean()` mentions one: a `witnessed_by` field or keyword,
    a `require_witness()`-style call, or the names in `witness_fields` / `witness_checks`.
    Controlled drugs are configurable with `controlled_drug_models` and `controlled_drug_fields`.

    ## Why is this bad?
    Schedule II-V drugs are diverted from wards and pharmacies, and the two-person rule is the control
    that catches it: a second nurse or pharmacist witnesses each dispense, administration and wastage
    and signs the controlled-drug register (DEA 21 CFR 1304, UK Misuse of Drugs Regulations). A new
    quick-dispense path without the witness makes diversion invisible and fails the audit.

    ## Example
    ```python
    def dispense(order, pharmacist):
        order.status = "dispensed"
        order.dispensed_by = pharmacist
        order.save()
    ```

    Use instead:
    ```python
    def dispense(order, pharmacist, witness):
        require_witness(order, witness, pharmacist)  # refuses a missing or self witness
        order.status = "dispensed"
        order.dispensed_by, order.witnessed_by = pharmacist, witness
        order.save()
    ```
    """

    code = "WG405"
    name = "controlled-drug-without-witness"
    category = Category.DOSAGE
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 654
    summary = "Controlled drug dispensed, administered or wasted with no witness recorded"

    VALID = (
        Valid("""\
            from .models import MedicationOrder

            def dispense(order_id, pharmacist, witness):
                order = MedicationOrder.objects.get(pk=order_id)
                order.status = 'dispensed'
                order.dispensed_by, order.witnessed_by = pharmacist, witness
                order.save()
            """, path="app/pharmacy.py", files=(_MODELS,)),
        Valid("""\
            from .controls import require_witness
            from .models import MedicationOrder

            def dispense(order: MedicationOrder, pharmacist, witness):
                require_witness(order, witness, pharmacist)
                order.status = 'dispensed'
                order.save()
            """, path="app/pharmacy.py", files=(_MODELS, _WITNESS_HELPER)),
        # The witness is recorded by a project function the path calls (here two modules away).
        Valid("""\
            from .models import MedicationOrder
            from .register import sign_register

            def dispense(order: MedicationOrder, pharmacist, second_nurse):
                order.status = 'dispensed'
                sign_register(order, pharmacist, second_nurse)
                order.save()
            """, path="app/pharmacy.py",
            files=(_MODELS, ("app/register.py", """\
                def sign_register(order, user, other):
                    order.witnessed_by = other
                """))),
        # A register of what was dispensed: filtering on the status writes nothing.
        Valid("""\
            from .models import MedicationOrder

            def cd_register():
                return [o for o in MedicationOrder.objects.filter(status='dispensed') if o.drug.schedule]
            """, path="app/reports.py", files=(_MODELS,)),
        # No controlled drug anywhere in the project: dispensing paracetamol needs no witness.
        Valid("""\
            from django.db import models

            class Drug(models.Model):
                name = models.CharField(max_length=9)

            class Order(models.Model):
                drug = models.ForeignKey(Drug, on_delete=models.CASCADE)
                status = models.CharField(max_length=9)

            def dispense(order: Order):
                order.status = 'dispensed'
                order.save()
            """),
        # `schedule` on an order is a dosing schedule ("TDS"), not a controlled-drug schedule.
        Valid("""\
            from django.db import models

            class MedicationOrder(models.Model):
                schedule = models.CharField(max_length=9)
                status = models.CharField(max_length=9)

            def administer(order: MedicationOrder):
                order.status = 'administered'
                order.save()
            """),
    )
    INVALID = (
        Invalid("""\
            from .models import MedicationOrder

            def dispense(order: MedicationOrder, pharmacist):
                order.status = 'dispensed'
                order.dispensed_by = pharmacist
                order.save()
            """, line=3, path="app/pharmacy.py", files=(_MODELS,)),
        # Reads the schedule, so it knows the drug is controlled; the witness parameter is never recorded.
        Invalid("""\
            def waste_remaining(order, amount_mg, witness):
                if order.drug.schedule in ('II', 'III'):
                    order.wasted_mg = amount_mg
                order.save()
            """, line=1, path="app/pharmacy.py", files=(_MODELS,)),
        Invalid("""\
            from django.db import models

            class ControlledDrugStock(models.Model):
                quantity = models.IntegerField()

            def record_administration(stock_id, nurse):
                stock = ControlledDrugStock.objects.get(pk=stock_id)
                stock.quantity -= 1
                stock.save()
            """, line=6),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_test or src.looks_like_migration) and _PRE.search(src.text) is not None

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        action = _action(node)
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        if action is None or models is None:
            return
        controlled = self.ctx.shared("controlled_models", lambda: cd.controlled_models(models, self.ctx.vocab))
        why = self._controlled(node, models, controlled)
        if why is None or self._witnessed(node, models, controlled):
            return
        self.report(node, f"`{node.name}` {action} a controlled drug ({why}) but records no witness or "
                    "second-person check.",
                    fix="Require and record a second person (a `witnessed_by` different from the user acting, "
                    "or the project's witness check) on this path before saving.")

    visit_AsyncFunctionDef = visit_FunctionDef

    def _controlled(self, fn: ast.AST, models: ModelIndex, controlled: dict[str, str]) -> str | None:
        if not controlled:
            return None
        for n in walk(fn):
            if isinstance(n, ast.Attribute) and (n.attr in cd.FLAG_FIELDS or n.attr in self.ctx.vocab.controlled_drug_fields
                                                 or (n.attr in cd.SCHEDULE_FIELDS and _drugish(n.value))):
                return f"it reads `{dotted(n) or n.attr}`"
            if isinstance(n, (ast.Name, ast.Attribute)):
                m = models.lookup(self.qualname(n))
                if m is not None and m.qualname in controlled:
                    return controlled[m.qualname]
        for model in self._written(fn, models):
            why = cd.related_controlled(models, model, controlled)
            if why:
                return why
        return None

    def _written(self, fn: ast.AST, models: ModelIndex) -> set[str]:
        """Models this function writes: `M.objects.create(…)`, `x.save()` / `x.status = …` where x is
        annotated as M, assigned from M, or named after M."""
        types = _param_types(fn, self, models)
        for n in walk(fn):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                m = models.lookup(self.qualname(_model_expr(n.value)))
                if m is not None:
                    types[n.targets[0].id] = m.qualname
        out = set()
        for n in walk(fn):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WRITES:
                base = n.func.value
                if isinstance(base, ast.Name) and base.id in types:
                    out.add(types[base.id])
                m = models.lookup(self.qualname(_model_expr(base)))
                if m is not None:
                    out.add(m.qualname)
        return out

    def _witnessed(self, fn: ast.AST, models: ModelIndex, controlled: dict[str, str]) -> bool:
        if cd.records_witness(fn, self.ctx.vocab, self.ctx.imports):
            return True
        index: cd.WitnessIndex | None = self.ctx.project.fact(cd.NAME)
        funcs: FunctionIndex | None = self.ctx.project.fact(FUNCS)
        if index is None or not index.functions:
            return False
        calls = [q for n in walk(fn) if isinstance(n, ast.Call) for q in [self.qualname(n.func)] if q]
        calls += [f"{m}.{hook}" for m in self._written(fn, models) for hook in ("save", "clean")]
        return _reaches(calls, index, funcs, 2)


def _reaches(calls: list[str], index: cd.WitnessIndex, funcs: FunctionIndex | None, depth: int) -> bool:
    for c in calls:
        info = funcs.lookup(c) if funcs is not None else None
        q = info.qualname if info is not None else c
        if q in index.functions:
            return True
        if info is not None and depth > 0 and _reaches(info.calls, index, funcs, depth - 1):
            return True
    return False


def _action(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    named = next((_ACTIONS[t] for t in tokens(fn.name) if t in _ACTIONS), None)
    writes = False
    for n in walk(fn):
        values: list[ast.expr] = []
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _WRITES:
            writes = True  # and `create(status="dispensed")`, `update(status=…)`; never `filter(status=…)`
            values = [k.value for k in n.keywords if k.arg and "status" in k.arg]
        elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and "status" in t.attr for t in n.targets):
            values = [n.value]
        for value in values:
            status = _status_value(value)
            if status is not None:
                return status
    return named if writes else None


def _status_value(value: ast.expr) -> str | None:
    """`"dispensed"`, `Status.DISPENSED` -> "dispenses"."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return _DONE.get(value.value.lower())
    if isinstance(value, ast.Attribute):
        return _DONE.get(value.attr.lower())
    return None


def _drugish(node: ast.AST) -> bool:
    return bool(cd.DRUG_CATALOGUE.search(last_part(dotted(node) or "")))


def _model_expr(expr: ast.AST) -> ast.AST:
    """`M.objects.get(…)` / `M.objects.filter(…).first()` / `M(…)` / `get_object_or_404(M, …)` -> M."""
    while isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name) and expr.func.id == "get_object_or_404" and expr.args:
            return expr.args[0]
        expr = expr.func.value if isinstance(expr.func, ast.Attribute) else expr.func
    while isinstance(expr, ast.Attribute) and expr.attr in ("objects", "select_for_update", "all"):
        expr = expr.value
    return expr


def _param_types(fn: ast.AST, check: Check, models: ModelIndex) -> dict[str, str]:
    out: dict[str, str] = {}
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return out
    for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs):
        m = models.lookup(check.qualname(a.annotation)) if a.annotation is not None else None
        if m is not None:
            out[a.arg] = m.qualname
    return out
