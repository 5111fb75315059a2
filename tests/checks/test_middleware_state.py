"""Per-request state on a middleware instance (checks/facts/middleware_state.py): what is a middleware, and which
assignments on `self` hold one request's values."""
from __future__ import annotations

import ast
from textwrap import dedent

from checks.base import Valid
from checks.domain.audit_row_on_shared_middleware import AuditRowOnSharedMiddleware
from checks.domain.request_state_on_shared_middleware import RequestStateOnSharedMiddleware
from checks.facts.middleware_state import is_middleware, request_state
from checks.testing import run_example


def state(code: str) -> list[tuple[str, int, bool]]:
    cls = next(n for n in ast.walk(ast.parse(dedent(code))) if isinstance(n, ast.ClassDef))
    assert is_middleware(cls)
    return [(w.attr, w.stmt.lineno, w.identity) for w in request_state(cls)]


def test_configuration_constants_and_unread_attributes_are_not_state() -> None:
    assert state("""
        class M:
            def __init__(self, get_response):
                self.get_response = get_response
                self.level = settings.AUDIT_LEVEL

            def __call__(self, request):
                self.calls = 0
                self.last_path = request.path
                if self.level:
                    pass
                return self.get_response(request)
        """) == []


def test_values_carried_through_locals_dicts_and_helpers_are_state() -> None:
    assert state("""
        class M:
            def process_view(self, request, view_func, args, kwargs):
                info = {}
                info['who'] = request.user.email
                data = {}
                data.update(info)
                self.row = Row(**data)

            def process_response(self, request, response):
                self.finish(response.status_code)
                return response

            def finish(self, code):
                if not self.row:
                    self.row = Row(status=code)
                self.row.save()
        """) == [("row", 8, True), ("row", 16, False)]


def test_a_class_with_hooks_is_a_middleware_and_a_form_keeping_its_request_is_not() -> None:
    form = ast.parse(dedent("""
        class NoteForm:
            def __init__(self, request):
                self.request = request
        """)).body[0]
    assert isinstance(form, ast.ClassDef) and not is_middleware(form)


AUDIT_MODEL = ("audit/models.py", """\
    from django.db import models

    class Audit(models.Model):
        path = models.CharField(max_length=200)
        status = models.IntegerField(null=True)
    """)
# Python 2 era middleware (no base class), the row built only when there is data to record.
OLD_STYLE = """\
    from audit.models import Audit

    class AuditWrapper(object):
        def process_view(self, request, view_func, view_args, view_kwargs):
            data = {'path': request.META['PATH_INFO']}
            self.audit_obj = Audit(**data) if data else None

        def process_response(self, request, response):
            self.audit_obj.status = response.status_code
            self.audit_obj.save()
            return response
    """


def test_an_audit_row_is_wg209s_and_not_reported_again_as_request_state() -> None:
    example = Valid(OLD_STYLE, path="audit/middleware.py", files=(AUDIT_MODEL,))
    assert [f.start_line for f in run_example(AuditRowOnSharedMiddleware, example)] == [6]
    assert run_example(RequestStateOnSharedMiddleware, example) == []


def test_a_row_of_a_model_that_is_no_audit_log_is_request_state() -> None:
    code = OLD_STYLE.replace("Audit", "Visit").replace("audit.models", "clinic.models")
    model = ("clinic/models.py", AUDIT_MODEL[1].replace("Audit", "Visit"))
    example = Valid(code, path="clinic/middleware.py", files=(model,))
    assert run_example(AuditRowOnSharedMiddleware, example) == []
    assert [f.start_line for f in run_example(RequestStateOnSharedMiddleware, example)] == [6]
