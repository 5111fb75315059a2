from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile

_AUDIT = (
    "core/models.py",
    """\
    from django.db import models

    class AuditLog(models.Model):
        object_id = models.IntegerField()

    class Participant(models.Model):
        nhs_number = models.CharField(max_length=10)
    """,
)
_SERVICE = (
    "core/auditor.py",
    """\
    from core.models import AuditLog

    class Auditor:
        def audit_update(self, obj):
            AuditLog.objects.create(object_id=obj.pk)
    """,
)
_USED = (
    "core/views.py",
    """\
    from core.auditor import Auditor

    def update(request, participant):
        participant.save()
        Auditor().audit_update(participant)
    """,
)
_WRITES = ("save", "delete")


class WriteWithoutAuditCall(Check):
    """## What it does
    In a project that audits explicitly (code that writes rows of an audit-log model, such as an
    `Auditor` service creating `AuditLog` entries, called from views and forms), flags a save or delete
    of a patient-data record in request-time code (a view, form, serializer or service) whose function
    never calls that audit service. Management commands, migrations and tests are left out.

    ## Why is this bad?
    With an explicit audit service, every write path must call it: there is no signal or history table
    to catch the one that does not. A form that saves a participant's record without the audit call
    leaves a clinical change nobody can trace, while every neighbouring edit is audited.

    ## Example
    ```python
    class EthnicityForm(forms.Form):
        def save(self):
            self.participant.ethnic_background_id = self.cleaned_data["choice"]
            self.participant.save()
    ```

    Use instead:
    ```python
    class EthnicityForm(forms.Form):
        def save(self, auditor):
            self.participant.ethnic_background_id = self.cleaned_data["choice"]
            self.participant.save()
            auditor.audit_update(self.participant)
    ```
    """

    code = "WG204"
    name = "write-without-audit-call"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 778
    summary = "Patient-data write skips the project's explicit audit service"

    VALID = (
        Valid("""\
            from core.auditor import Auditor

            class Form:
                def save(self):
                    self.participant.save()
                    Auditor().audit_update(self.participant)
            """, path="core/forms.py", files=(_AUDIT, _SERVICE, _USED)),
        # No explicit audit service in the project: WG201/WG202 judge it instead.
        Valid("""\
            class Form:
                def save(self):
                    self.participant.save()
            """, path="core/forms.py", files=(_AUDIT,)),
        # A record that is not patient data.
        Valid("""\
            class Form:
                def save(self):
                    self.audit_log.save()
            """, path="core/forms.py", files=(_AUDIT, _SERVICE, _USED)),
    )
    INVALID = (
        Invalid("""\
            class EthnicityForm:
                def save(self):
                    self.participant.ethnic_background_id = 3
                    self.participant.save()
            """, line=4, path="core/forms.py", files=(_AUDIT, _SERVICE, _USED)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (
            src.looks_like_migration or src.looks_like_test or "/management/commands/" in f"/{src.path}"
        )

    def visit_Module(self, node: ast.Module) -> None:
        idx: ModelIndex | None = self.ctx.project.fact("django_models")
        if idx is None or not idx.explicit_audit:
            return
        module = self.ctx.imports.module
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, f"{module}.{stmt.name}", idx, set())
            elif isinstance(stmt, ast.ClassDef):
                methods = [m for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
                siblings = {f"{module}.{stmt.name}.{m.name}" for m in methods}
                for m in methods:
                    self._function(m, f"{module}.{stmt.name}.{m.name}", idx, siblings)

    def _function(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef, q: str, idx: ModelIndex, siblings: set[str]
    ) -> None:
        if (
            q in idx.audit_callers
            or siblings & idx.audit_callers
            or q in idx.audit_services
            or any(q.startswith(s + ".") for s in idx.audit_services)
        ):
            return  # it audits, or a method of the same class does (e.g. form_valid around the save)
        for n in ast.walk(fn):
            if not (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr in _WRITES
                and not n.args
            ):
                continue
            model = self._model_of(n.func.value, idx)
            if model:
                self.report(
                    n,
                    f"{dotted(n.func) or n.func.attr}() writes {last_part(model)} (patient data) but "
                    f"{fn.name}() never calls the project's audit service ({idx.explicit_audit}): this change "
                    "leaves no audit entry.",
                    fix="Call the audit service for this write, as the project's other write paths do.",
                )
                return

    @staticmethod
    def _model_of(receiver: ast.expr, idx: ModelIndex) -> str | None:
        """A patient model named by the receiver: `self.participant` -> Participant (one model of that name)."""
        name = (
            receiver.attr
            if isinstance(receiver, ast.Attribute)
            else receiver.id
            if isinstance(receiver, ast.Name)
            else None
        )
        if not name:
            return None
        camel = re.sub(r"(?:^|_)([a-z0-9])", lambda m: m.group(1).upper(), name)
        hits = [q for q in idx.by_name.get(camel, []) if q in idx.patient]
        return hits[0] if len(hits) == 1 else None
