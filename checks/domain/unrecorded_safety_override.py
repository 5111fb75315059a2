from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.clinical_functions import NAME as FUNCS
from ..facts.clinical_functions import FunctionIndex
from ..facts.controlled_drugs import OVERRIDE_REASON, OVERRIDE_WHO, mentions
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_OVERRIDE = re.compile(r"overrid|emergenc|bypass|skip_?(?:safety|check|allerg|interaction|screen)", re.IGNORECASE)
_SAFETY = ("app/safety.py", """\
    def check_allergies(patient, drug):
        pass
    """)


class UnrecordedSafetyOverride(Check):
    """## What it does
    Flags an emergency-override branch that lets an order skip a safety check (an allergy,
    interaction or contraindication check) when the function records neither why nor who: `if not
    order.emergency_override: check_allergies(...)`, `if override: ... else: check_interactions(...)`,
    or `if request.data.get("emergency"): return place(...)` before the check. The override is recorded
    when the function mentions a reason (`override_reason`, `justification`) and who overrode it
    (`overridden_by`, `approved_by`, an audit call such as `AuditLog.objects.create` or
    `record_override()`); both are needed. `override_reason_fields` and `override_audit` add names.

    ## Why is this bad?
    Emergencies need a way past the checks, and that way is how checks are lost: an override that
    leaves no reason and no name cannot be reviewed, so a habit of overriding ("it's faster") looks
    exactly like a real emergency. Medication-safety standards ask for every override to be justified
    and attributable so that pharmacy can review it after the fact.

    ## Example
    ```python
    def place_order(request, patient, drug):
        if not request.data.get("emergency_override"):
            check_allergies(patient, drug)
        return Prescription.objects.create(patient=patient, drug=drug)
    ```

    Use instead:
    ```python
    def place_order(request, patient, drug):
        if request.data.get("emergency_override"):
            record_override(request.user, patient, reason=request.data["override_reason"])
        else:
            check_allergies(patient, drug)
        return Prescription.objects.create(patient=patient, drug=drug)
    ```
    """

    code = "WG406"
    name = "unrecorded-safety-override"
    category = Category.DOSAGE
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 778
    summary = "Emergency override skips a safety check with no recorded reason or no record of who overrode it"

    VALID = (
        Valid("""\
            from .safety import check_allergies

            def place(request, patient, drug):
                if request.data.get('emergency_override'):
                    AuditLog.objects.create(user=request.user, action='override',
                                            reason=request.data['override_reason'])
                else:
                    check_allergies(patient, drug)
                return create_order(patient, drug)
            """, files=(_SAFETY,)),
        # An emergency flag that changes the priority, not the checks.
        Valid("""\
            from .safety import check_allergies

            def place(order):
                check_allergies(order.patient, order.drug)
                if order.emergency:
                    order.priority = 'stat'
                order.save()
            """, files=(_SAFETY,)),
    )
    INVALID = (
        Invalid("""\
            from .safety import check_allergies

            def place(request, patient, drug):
                if not request.data.get('emergency_override'):
                    check_allergies(patient, drug)
                return create_order(patient, drug)
            """, line=4, files=(_SAFETY,)),
        # The reason is kept, but nobody knows who overrode.
        Invalid("""\
            from .safety import check_allergies

            def place(order, reason):
                if order.override:
                    order.override_reason = reason
                else:
                    check_allergies(order.patient, order.drug)
                order.save()
            """, line=4, files=(_SAFETY,)),
        # An early return past the check.
        Invalid("""\
            from .safety import check_allergies

            def place(request, order):
                if request.POST.get('bypass_checks'):
                    order.save()
                    return order
                check_allergies(order.patient, order.drug)
                order.save()
                return order
            """, line=4, files=(_SAFETY,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_test or src.looks_like_migration) and _OVERRIDE.search(src.text) is not None

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        funcs: FunctionIndex | None = self.ctx.project.fact(FUNCS)
        if funcs is None:
            return
        for n in walk(node):
            if not (isinstance(n, ast.If) and _mentions_override(n.test)):
                continue
            skipped = self._skipped_check(n, node, funcs)
            if skipped is None:
                continue
            vocab = self.ctx.vocab
            missing = [what for what, pattern, names in (
                ("reason", OVERRIDE_REASON, vocab.override_reason_fields),
                ("record of who overrode it", OVERRIDE_WHO, vocab.override_audit))
                if not mentions(node, pattern, names, self.ctx.imports)]
            if missing:
                self.report(n, f"This override lets `{node.name}` skip `{skipped}` with no "
                            f"{' and no '.join(missing)}.", end_node=n.test,
                            fix="Record the reason and the overriding user (an audit record, or `override_reason`"
                            " and `overridden_by` on the order) whenever the override path is taken.")
                return  # one finding per function

    visit_AsyncFunctionDef = visit_FunctionDef

    def _skipped_check(self, branch: ast.If, fn: ast.AST, funcs: FunctionIndex) -> str | None:
        """The safety check the override path does not run, or None."""
        body, orelse = self._checks(branch.body, funcs), self._checks(branch.orelse, funcs)
        if _negated(branch.test):  # `if not override: check()` - the override path is the else
            return body[0] if body and not orelse else None
        if orelse and not body:  # `if override: … else: check()`
            return orelse[0]
        if not body and any(isinstance(s, ast.Return) for b in branch.body for s in walk(b)):
            after = [s for s in getattr(fn, "body", []) if s.lineno > (branch.end_lineno or branch.lineno)]
            later = self._checks(after, funcs)
            return later[0] if later else None
        return None

    def _checks(self, stmts: list[ast.stmt], funcs: FunctionIndex) -> list[str]:
        out = []
        for s in stmts:
            for n in walk(s):
                if isinstance(n, ast.Call):
                    q = self.qualname(n.func)
                    if q and funcs.reaches_safety_check([q], 1):
                        out.append(last_part(q))
        return out


def _mentions_override(test: ast.AST) -> bool:
    for n in walk(test):
        text = (n.attr if isinstance(n, ast.Attribute) else n.id if isinstance(n, ast.Name)
                else n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else None)
        if text and _OVERRIDE.search(text):
            return True
    return False


def _negated(test: ast.AST) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _mentions_override(test.operand)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_negated(v) for v in test.values)
    return False
