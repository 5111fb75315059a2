from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..facts.middleware_state import state_by_attribute
from ..finding import Category, Confidence, Severity
from ..source import SourceFile


class AuditRowOnSharedMiddleware(Check):
    """## What it does
    Flags a middleware that keeps the audit row of the request in progress on `self` (`self.audit_obj =
    Audit(**data)` in `process_view`, saved in `process_response`). An audit row is a row of an audit-log model
    (written by the project's audit services, a log pointing at any row, or named as one: `Audit`, `AccessLog`).
    A middleware is a class written to Django's middleware protocol (`process_*` hooks, or `__call__(request)`
    built with `get_response`).

    ## Why is this bad?
    Django builds a middleware once per process and every request, from every thread of a threaded server,
    goes through that one instance. Two requests in flight share the one attribute: the second overwrites the
    first's row before it is saved, so one access goes unrecorded and the other is recorded with the wrong
    outcome; a request that fails before the row is built saves the previous request's row again. The trail of
    who read and changed records has gaps nobody sees. HIPAA §164.312(b) audit controls.

    ## Example
    ```python
    class AuditWrapper(MiddlewareMixin):
        def process_view(self, request, view_func, view_args, view_kwargs):
            self.audit_obj = AccessLog(user=request.user, path=request.path)

        def process_response(self, request, response):
            self.audit_obj.status = response.status_code
            self.audit_obj.save()
            return response
    ```

    Use instead: keep the row on the request (`request._audit = AccessLog(...)`), or build and save it in
    `process_response` from what the request carries.
    """

    code = "WG209"
    name = "audit-row-on-shared-middleware"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 362
    summary = "Middleware keeps the request's audit row on its shared instance"
    hipaa = "§164.312(b) audit controls"

    VALID = (
        Valid("""\
            from audit.models import AccessLog

            class AuditMiddleware:
                def __init__(self, get_response):
                    self.get_response = get_response

                def __call__(self, request):
                    response = self.get_response(request)
                    AccessLog.objects.create(user=request.user, path=request.path, status=response.status_code)
                    return response
            """, path="audit/middleware.py"),
        # Kept on the request, which belongs to one request only.
        Valid("""\
            from audit.models import AccessLog

            class AuditMiddleware:
                def process_view(self, request, view_func, args, kwargs):
                    request._audit = AccessLog(user=request.user, path=request.path)

                def process_response(self, request, response):
                    request._audit.save()
                    return response
            """, path="audit/middleware.py"),
    )
    INVALID = (
        Invalid("""\
            from audit.models import AccessLog

            class AuditMiddleware:
                def process_view(self, request, view_func, args, kwargs):
                    data = {'path': request.path, 'method': request.method}
                    self.audit_obj = AccessLog(**data)

                def process_response(self, request, response):
                    self.audit_obj.status = response.status_code
                    self.audit_obj.save()
                    return response
            """, line=6, path="audit/middleware.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return "self." in src.text and not src.looks_like_test

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        for w, model in state_by_attribute(node, self.ctx.imports, models):
            if model is None:
                continue  # WG333's
            self.report(w.stmt, f"{node.name} keeps the {model} row of the request in progress on self.{w.attr} "
                        f"({w.method}). Django runs one {node.name} for every request, so concurrent requests "
                        "overwrite each other's row: accesses go unrecorded or are saved with another request's "
                        "outcome.",
                        fix=f"Keep the row on the request (request._audit = {model}(...)), or build and save it in "
                        "one hook from what the request carries.")
