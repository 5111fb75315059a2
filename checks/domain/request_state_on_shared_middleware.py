from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..facts.middleware_state import state_by_attribute
from ..finding import Category, Confidence, Severity
from ..source import SourceFile


class RequestStateOnSharedMiddleware(Check):
    """## What it does
    Flags a middleware that stores what it works out for one request on `self` and reads it back: the caller's
    user, tenant or authorised datasets, the request itself, or anything computed from it
    (`self.authorize_datasets = ",".join(allowed)` in `__call__`). A middleware is a class written to Django's
    middleware protocol (`process_*` hooks, or `__call__(request)` built with `get_response`). Assignments in
    `__init__` are configuration and are left alone, as is state kept on a `threading.local()` or on the request.
    Audit rows kept this way are WG209's.

    ## Why is this bad?
    Django builds a middleware once per process, and every request, from every thread of a threaded server,
    goes through that one instance. While one request is between storing the value and reading it back,
    another request overwrites it: the first is then handled with the second caller's identity or access
    decision, and may be shown or allowed to change records its own user may not. HIPAA §164.312(a)(1) access
    control.

    ## Example
    ```python
    class DatasetAuthzMiddleware:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            self.allowed = opa_datasets(request.headers.get("Authorization"))
            request.GET = request.GET.copy()
            request.GET["datasets"] = self.allowed
            return self.get_response(request)
    ```

    Use instead: a local variable (`allowed = opa_datasets(...)`), or an attribute of the request
    (`request.allowed_datasets = ...`).
    """

    code = "WG333"
    name = "request-state-on-shared-middleware"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 362
    summary = "Middleware keeps one request's state on its shared instance"

    VALID = (
        Valid("""\
            class DatasetAuthzMiddleware:
                def __init__(self, get_response):
                    self.get_response = get_response
                    self.allowed = 'NONE'

                def __call__(self, request):
                    allowed = opa_datasets(request.headers.get('Authorization'))
                    request.allowed_datasets = allowed
                    return self.get_response(request)
            """, path="authz/middleware.py"),
        # State on a threading.local belongs to the thread serving the request.
        Valid("""\
            import threading

            class CurrentUserMiddleware:
                def __init__(self, get_response):
                    self.get_response = get_response
                    self._local = threading.local()

                def __call__(self, request):
                    self._local.user = request.user
                    return self.get_response(request)
            """, path="core/middleware.py"),
        # Not a middleware: a form keeps its own request.
        Valid("""\
            class NoteForm:
                def __init__(self, request):
                    self.request = request

                def save(self):
                    return self.request.user
            """, path="clinic/forms.py"),
    )
    INVALID = (
        Invalid("""\
            class DatasetAuthzMiddleware:
                def __init__(self, get_response):
                    self.get_response = get_response

                def __call__(self, request):
                    token = request.headers.get('Authorization')
                    self.allowed = ','.join(opa_datasets(token))
                    request.GET = request.GET.copy()
                    request.GET['datasets'] = self.allowed
                    return self.get_response(request)
            """, line=7, path="authz/middleware.py"),
        Invalid("""\
            class TenantMiddleware:
                def process_request(self, request):
                    self.tenant = request.user.profile.hospital

                def process_view(self, request, view_func, args, kwargs):
                    kwargs['hospital'] = self.tenant
            """, line=3, path="core/middleware.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return "self." in src.text and not src.looks_like_test

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        for w, model in state_by_attribute(node, self.ctx.imports, models):
            if model is not None:
                continue  # an audit row: WG209's
            what = "who sends the request" if w.identity else "values computed from the request"
            self.report(w.stmt, f"{node.name} stores {what} on self.{w.attr} ({w.method}) and reads it back. "
                        f"Django runs one {node.name} for every request, so a concurrent request overwrites "
                        f"self.{w.attr} in between: a request can be handled with another caller's value.",
                        fix=f"Use a local variable, or keep it on the request (request.{w.attr.lstrip('_')} = ...).")
