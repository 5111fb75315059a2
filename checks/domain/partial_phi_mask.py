from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import NAME as MODELS
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..flows.index import NAME as FLOWS
from ..flows.index import FlowIndex
from ..source import SourceFile

_MODELS = ("ward/models.py", """\
    from django.db import models

    class Patient(models.Model):
        full_name = models.CharField(max_length=80)
        phone = models.CharField(max_length=20)
        date_of_birth = models.DateField()
        allergies = models.TextField()

    class Bed(models.Model):
        name = models.CharField(max_length=20)
    """)


class PartialPhiMask(Check):
    """## What it does
    Flags a mask list in settings — the fields of a patient model that an audit logger, error
    reporter or export masks or excludes (`{"exclude": {"fields": {"ward.Patient": ["full_name"]}}}`)
    — that leaves other PHI fields of that model unmasked (date of birth, NHS number, phone…,
    from the PHI vocabulary). Lists of non-patient models pass.

    ## Why is this bad?
    A mask list reads as "this log is scrubbed", so nobody checks what passes through it. Every
    field left off the list, and every field added to the model later, reaches the log in clear.
    HIPAA §164.502(b) minimum necessary; §164.312(b) audit controls must not become a PHI store.

    ## Example
    ```python
    AUDIT_LOG = {"exclude": {"fields": {"ward.Patient": ["full_name", "phone"]}}}
    ```

    Use instead:
    ```python
    AUDIT_LOG = {"exclude": {"fields": {"ward.Patient": ["full_name", "phone", "date_of_birth", "allergies"]}}}
    # better: log changed field names only, never their values
    ```
    """

    code = "WG507"
    name = "partial-phi-mask"
    category = Category.PHI
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 532
    summary = "A settings mask list covers some PHI fields of a patient model and leaves others in clear"
    hipaa = "§164.502(b) minimum necessary; §164.312(b) audit controls"

    VALID = (
        Valid("AUDIT = {'mask': {'ward.Patient': ['full_name', 'phone', 'date_of_birth', 'allergies']}}\n",
              path="conf/settings.py", files=(_MODELS,)),
        Valid("""\
            AUDIT = {'mask': {'ward.Bed': ['name']}}
            EXPORT = {'fields': {'ward.Patient': ['phone']}}
            """, path="conf/settings.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid("""\
            AUDIT_LOG = {
                'models': {'exclude': {'fields': {
                    'ward.Patient': ['full_name', 'phone'],
                }}},
            }
            """, line=3, path="conf/settings.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return bool(src.looks_like_settings)

    def finish(self) -> None:
        index: FlowIndex | None = self.ctx.project.fact(FLOWS)
        models: ModelIndex | None = self.ctx.project.fact(MODELS)
        if index is None or models is None:
            return
        phi = self.ctx.vocab.phi_field_names()
        for ml in index.mask_lists:
            if ml.path != self.ctx.path:
                continue
            m = models.lookup(ml.model.rsplit(".", 1)[-1])
            if m is None or m.qualname not in models.patient:
                continue
            left = sorted(f for f in m.fields if f in phi and f not in ml.fields)
            if left:
                at = ast.Expr(value=ast.Constant(None), lineno=ml.line, end_lineno=ml.line, col_offset=0)
                self.report(at, f"The mask list for {ml.model} covers {', '.join(ml.fields) or 'nothing'} and leaves "
                            f"PHI fields unmasked: {', '.join(left[:8])}.",
                            fix="Mask every PHI field of the model (or log changed field names, not values).")
