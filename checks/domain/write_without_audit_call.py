from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..facts.phi_access import PhiScope
from ..facts.querysets import Scope
from ..facts.views import served_model_refs
from ..facts.write_paths import request_audit_decorator
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part
from ..source import SourceFile
from ..walk import walk

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
_LOG = (
    "requestlog/models.py",
    """\
    from django.db import models

    class RequestLog(models.Model):
        user = models.CharField(max_length=64)
    """,
)
_DECORATOR = (
    "common/decorators.py",
    """\
    from requestlog.models import RequestLog

    def log_request(func):
        def wrapper(*args, **kwargs):
            RequestLog(user=args[1].user.username).save()
            return func(*args, **kwargs)
        return wrapper
    """,
)
_DECORATED = (
    "clinic/views.py",
    """\
    from common.decorators import log_request

    class A:
        @log_request
        def get(self, request):
            pass

        @log_request
        def put(self, request):
            pass

        @log_request
        def post(self, request):
            pass
    """,
)
_PATIENT = (
    "clinic/models.py",
    """\
    from django.db import models

    class Patient(models.Model):
        dob = models.DateField()

    class Image(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    """,
)
_CONSENT = (
    "core/consent.py",
    """\
    from django.db import models
    from core.models import Participant

    class Consent(models.Model):
        participant = models.ForeignKey(Participant, on_delete=models.CASCADE)
    """,
)
_WRITES = ("save", "delete")
_QS_WRITES = ("update", "delete", "create", "bulk_create", "bulk_update", "update_or_create", "get_or_create")
_HANDLERS = frozenset({"get", "post", "put", "patch", "delete", "create", "update", "partial_update", "destroy"})


class WriteWithoutAuditCall(Check):
    """## What it does
    In a project that audits explicitly (code that writes rows of an audit-log model, such as an
    `Auditor` service creating `AuditLog` entries, called from views and forms), flags a save or delete
    of a patient-data record in request-time code (a view, form, serializer or service) whose function
    never calls that audit service: a record named for its model (`self.participant`), or the record a
    class view serves (`report = self.get_object()`) and those its foreign keys reach (`report.study`). Likewise, in a project that wraps its views in a decorator that
    records each request in a log model (`@log_request` saving a `RequestLog` row with the user, on at
    least three views), flags a view that writes patient data without that decorator. Management
    commands, migrations and tests are left out.

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
            from clinic.models import Image
            from common.decorators import log_request

            class ImageView:
                @log_request
                def delete(self, request, pk):
                    image = Image.objects.get(pk=pk)
                    image.delete()
            """, path="image/views.py", files=(_LOG, _DECORATOR, _DECORATED, _PATIENT)),
        # The decorator wraps too few views to be the project's convention.
        Valid("""\
            from clinic.models import Image

            class ImageView:
                def delete(self, request, pk):
                    Image.objects.filter(pk=pk).delete()
            """, path="image/views.py", files=(_LOG, _DECORATOR, _PATIENT)),
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
            from clinic.models import Image
            from common.decorators import log_request

            class ImageView:
                @log_request
                def get(self, request, pk):
                    return Image.objects.get(pk=pk)

                def delete(self, request, pk):
                    image = Image.objects.get(pk=pk)
                    image.delete()
            """, line=9, path="image/views.py", files=(_LOG, _DECORATOR, _DECORATED, _PATIENT)),
        Invalid("""\
            class EthnicityForm:
                def save(self):
                    self.participant.ethnic_background_id = 3
                    self.participant.save()
            """, line=4, path="core/forms.py", files=(_AUDIT, _SERVICE, _USED)),
        # The record the viewset serves, and the one its foreign key reaches, changed without the audit call.
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.decorators import action
            from core.consent import Consent

            class ConsentViewSet(viewsets.ReadOnlyModelViewSet):
                def get_queryset(self):
                    return Consent.objects.all()

                @action(detail=True, methods=["post"])
                def withdraw(self, request, pk=None):
                    consent = self.get_object()
                    person = consent.participant
                    person.nhs_number = ""
                    person.save()
            """, line=14, path="core/api.py", files=(_AUDIT, _SERVICE, _USED, _CONSENT)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (
            src.looks_like_migration or src.looks_like_test or "/management/commands/" in f"/{src.path}"
        )

    def visit_Module(self, node: ast.Module) -> None:
        idx: ModelIndex | None = self.ctx.project.fact("django_models")
        if idx is None or not (idx.explicit_audit or idx.audit_decorators):
            return
        module = self.ctx.imports.module
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, f"{module}.{stmt.name}", idx, set(), view=_takes_request(stmt))
            elif isinstance(stmt, ast.ClassDef):
                methods = [m for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
                siblings = {f"{module}.{stmt.name}.{m.name}" for m in methods}
                own = self._view_model(stmt, idx)
                for m in methods:
                    self._function(m, f"{module}.{stmt.name}.{m.name}", idx, siblings,
                                   view=m.name in _HANDLERS and _takes_request(m, method=True), view_model=own)

    def _function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, q: str, idx: ModelIndex, siblings: set[str],
                  *, view: bool, view_model: str | None = None) -> None:
        if idx.explicit_audit and not (
            q in idx.audit_callers
            or siblings & idx.audit_callers
            or q in idx.audit_services
            or any(q.startswith(s + ".") for s in idx.audit_services)
        ):  # else it audits, or a method of the same class does (e.g. form_valid around the save)
            write = self._write(fn, idx, named_only=True, view_model=view_model)
            if write:
                node, verb, model = write
                self.report(node, f"{verb} writes {last_part(model)} (patient data) but {fn.name}() never calls the "
                            f"project's audit service ({idx.explicit_audit}): this change leaves no audit entry.",
                            fix="Call the audit service for this write, as the project's other write paths do.")
                return
        if view and idx.audit_decorators and not request_audit_decorator(fn, self.ctx.imports, idx):
            write = self._write(fn, idx, named_only=False)
            if write:
                node, verb, model = write
                deco, (log, uses) = max(idx.audit_decorators.items(), key=lambda kv: kv[1][1])  # most used
                # From the def (where the decorator belongs) to the write.
                self.report(fn, end_node=node, message=f"{verb} writes {last_part(model)} (patient data) in the view {fn.name}(), which "
                            f"is not wrapped in the project's request-audit decorator @{last_part(deco)} (it records "
                            f"requests in {last_part(log)} and wraps {uses} other functions): this change leaves no "
                            "audit entry.",
                            fix=f"Decorate {fn.name}() with @{last_part(deco)}, as the project's other views are.")

    def _write(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, idx: ModelIndex, *,
               named_only: bool, view_model: str | None = None) -> tuple[ast.AST, str, str] | None:
        """The first write of a patient-data row in `fn`: `obj.save()`/`obj.delete()` on a receiver named for
        its model (`self.participant`) or on the record the view serves (`report = self.get_object()`, and
        `report.study` through its foreign key); unless `named_only`, also on instances typed by their
        assignment (`image = Image.objects.get(...)`), `Model.objects.create(...)` and a queryset's
        `update()`/`delete()`."""
        scope = PhiScope.of(fn, self.ctx.imports, self.ctx.project, frozenset())
        qs = Scope.of(fn, self.ctx.imports, idx, self.ctx.project.fact("django_code"), None) \
            if not named_only and self.ctx.project.fact("django_code") is not None else None
        for n in walk(fn):
            if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
                continue
            verb = f"{dotted(n.func) or n.func.attr}()"
            model: str | None = None
            if n.func.attr in _WRITES and not n.args:
                # With an audit service, only a receiver named for its model: which other rows the project
                # treats as audit-relevant is not known (an outbox row's status is not a clinical change).
                model = self._model_of(n.func.value, idx) or _served_record(n.func.value, scope, idx, view_model) or (
                    None if named_only else self._instance(n.func.value, scope, idx))
                if model is None and qs is not None:
                    model = qs.model_of(n.func.value)
            elif qs is not None and n.func.attr in _QS_WRITES:
                model = qs.model_of(n.func.value)
            if model and model in idx.patient:
                return n, verb, model
        return None

    def _view_model(self, cls: ast.ClassDef, idx: ModelIndex) -> str | None:
        """The model a class view serves (`queryset = Report.objects.all()`, its serializer's model)."""
        code = self.ctx.project.fact("django_code")
        for ref in served_model_refs(code, self.ctx.imports, cls) if code is not None else []:
            found = idx.lookup(ref)
            if found is not None and found.qualname in idx.django:
                return found.qualname
        return None

    def _instance(self, receiver: ast.expr, scope: PhiScope, idx: ModelIndex) -> str | None:
        """`image = Image.objects.get(...)` or `vac = COVIDVac(**kwargs)`, then `image.delete()`."""
        found = scope.instance_model(receiver)
        if found and not found.startswith("?"):
            return found
        if isinstance(receiver, ast.Name):
            for value in scope.env.get(receiver.id, []):
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                    m = idx.lookup(self.ctx.imports.qualname(value.func))
                    if m is not None and m.qualname in idx.django:
                        return m.qualname
        return None

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


def _served_record(expr: ast.expr, scope: PhiScope, idx: ModelIndex, view_model: str | None,
                   depth: int = 0) -> str | None:
    """The model of the record a view serves, or of one its foreign keys reach: `report = self.get_object()`,
    `study = report.study`. The view exists for that record, so its rows are the ones the audit is about."""
    if view_model is None or depth > 4:
        return None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get_object" \
            and dotted(expr.func.value) == "self":
        return view_model
    if isinstance(expr, ast.Name):
        return next((m for v in scope.env.get(expr.id, []) if (m := _served_record(v, scope, idx, view_model,
                                                                                  depth + 1))), None)
    if isinstance(expr, ast.Attribute):
        owner = _served_record(expr.value, scope, idx, view_model, depth + 1)
        field = idx.models[owner].fields.get(expr.attr) if owner in idx.models else None
        target = idx.lookup(field.target) if field is not None and field.target else None
        return target.qualname if target is not None else None
    return None


def _takes_request(fn: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool = False) -> bool:
    args = [a.arg for a in fn.args.args]
    return len(args) > int(method) and args[int(method)] == "request"
