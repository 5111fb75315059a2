from __future__ import annotations

import ast

from ..base import Check, FileContext, Invalid, Valid
from ..facts.guards import REQUEST_USER
from ..facts.predicates import NAME as PREDICATES
from ..facts.views import all_views
from ..finding import Category, Confidence, Severity
from ..names import dotted
from ..source import SourceFile
from ..walk import walk

_CHECKS = ("has_perm", "has_perms", "has_module_perms", "has_permission", "has_object_permission")


def _requesters_own(call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Every argument of the check is the requesting user or a row reached from them (`request.user.patient`, or a
    name the function set to one): a patient portal checking the patient's own record has nothing to guard."""
    assigned = {t.id: n.value for n in walk(fn) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}

    def own(e: ast.expr) -> bool:
        d = dotted(assigned[e.id] if isinstance(e, ast.Name) and e.id in assigned else e) or ""
        return d in REQUEST_USER or d.startswith(tuple(r + "." for r in REQUEST_USER))
    args = [*call.args, *(k.value for k in call.keywords)]
    return bool(args) and all(own(a) for a in args)


class IgnoredPermissionCheck(Check):
    """## What it does
    Flags a permission check whose result is thrown away: `request.user.has_perm("...")`,
    `has_perms(...)`, `has_module_perms(...)` or a DRF permission's `has_permission(...)` /
    `has_object_permission(...)` written as a bare statement, or a call of a project function that only answers an
    access question (`check_patient_access(user, patient)`: every `return` gives a boolean, it raises and changes
    nothing, and its name or its `user`/`request` parameter says access). (DRF's
    `self.check_object_permissions(...)` raises on failure and is fine as a statement.) Inside a view the finding
    covers the view, from its `def` or `class` line down to the call: the view is what is left unguarded.

    ## Why is this bad?
    `has_perm()` returns a boolean; it does not raise. The line reads like a guard in review, but
    every user passes it — an attending-only action (signing an encounter, discontinuing a
    prescription) becomes available to anyone who can reach the view.

    ## Example
    ```python
    request.user.has_perm("clinic.sign_encounter")
    encounter.sign(request.user)
    ```

    Use instead:
    ```python
    if not request.user.has_perm("clinic.sign_encounter"):
        raise PermissionDenied
    encounter.sign(request.user)
    ```
    """

    code = "WG303"
    name = "ignored-permission-check"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 285
    summary = "Permission check whose result is ignored"

    VALID = (
        # The project's function refuses by raising: a statement call is how it is used.
        Valid("""\
            from clinic.access import require_patient_access

            def chart(request, patient):
                require_patient_access(request.user, patient)
                return patient
            """, path="clinic/views.py", files=(("clinic/access.py", """\
                def require_patient_access(user, patient):
                    if patient.institution != user.profile.institution:
                        raise PermissionError
                    return True
                """),)),
        # A test calls the check to see what it decides (here that it raises): nothing is guarded there.
        Valid("""\
            import pytest
            from rest_framework import exceptions
            def test_missing_header(permission, request, view):
                with pytest.raises(exceptions.ParseError):
                    permission.has_permission(request, view)
            """, path="clinic/tests/test_permissions.py"),
        # Inside a DRF permission's object check, has_permission() has already run for the request.
        Valid("""\
            from rest_framework import permissions

            class SubmissionPermission(permissions.BasePermission):
                def has_object_permission(self, request, view, obj):
                    self.has_permission(request, view)
                    return obj.can_user_modify(request.user)
            """),
        Valid("""\
            from django.core.exceptions import PermissionDenied

            def sign(request):
                if not request.user.has_perm('clinic.sign_encounter'):
                    raise PermissionDenied
            """),
        Valid("""\
            def can_sign(user):
                return user.has_perm('clinic.sign_encounter')
            """),
        Valid("""\
            def sign(self, request, obj):
                self.check_object_permissions(request, obj)
            """),
        Valid("""\
            def sign(request):
                allowed = request.user.has_perms(['a.b', 'a.c'])
                assert allowed
            """),
        # The patient's own record, reached from the signed-in user: the thrown-away check had nothing to guard.
        Valid("""\
            from clinic.access import check_patient_access

            def portal(request):
                patient = request.user.patient
                check_patient_access(request.user, patient)
                return patient
            """, path="clinic/views.py", files=(("clinic/access.py", """\
                def check_patient_access(user, patient):
                    return patient.institution == user.profile.institution
                """),)),
    )
    INVALID = (
        # A project predicate imported from elsewhere: it answers, it does not refuse.
        Invalid("""\
            from clinic.access import check_patient_access

            class DiagnosisUpdateView:
                def get_object(self, queryset=None):
                    obj = super().get_object(queryset)
                    check_patient_access(self.request.user, obj.patient)
                    return obj
            """, line=6, path="clinic/views.py", files=(("clinic/access.py", """\
                def check_patient_access(user, patient):
                    institution = user.profile.institution
                    if institution:
                        return patient.institution == institution
                    return False
                """),)),
        # In a view, the finding covers the view (its def line) down to the call.
        Invalid("""\
            def sign(request, encounter):
                request.user.has_perm('clinic.sign_encounter')
                encounter.save()
            """, line=1),
        Invalid("""\
            class V:
                def post(self, request):
                    self.request.user.has_perms(
                        ['clinic.change_patient'])
                    return None
            """, line=3),
        Invalid("""\
            def check(view, request, obj):
                perm = view.get_permissions()[0]
                perm.has_object_permission(request, view, obj)
            """, line=3),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not src.looks_like_test

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []  # the enclosing functions, innermost last
        self._views: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = []  # the module's views

    def visit_Module(self, node: ast.Module) -> None:
        self._views = [v.node for v in all_views(self.ctx, node)]

    def _view_line(self, stmt: ast.stmt) -> int | None:
        """The `def`/`class` line of the view the statement is in: a check thrown away there leaves that view
        without it, so the finding covers the view (and names the line of the call)."""
        return next((v.lineno for v in self._views if v.lineno <= stmt.lineno <= (v.end_lineno or v.lineno)), None)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    leave_AsyncFunctionDef = leave_FunctionDef

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if isinstance(call, ast.Await):
            call = call.value
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "has_permission"
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "self"
                and [f.name for f in self._functions[-1:]] == ["has_object_permission"]):
            return  # a DRF permission's object check: DRF has run has_permission() for the request already
        view = self._view_line(node)
        here = f"at line {node.lineno}" if view is not None and view != node.lineno else "here"
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _CHECKS:
            self.report(node, f"{call.func.attr}() returns a boolean that is thrown away {here}: the check "
                        "guards nothing.", start_line=view,
                        fix=f"Use the result: `if not ...{call.func.attr}(...): raise PermissionDenied`, or use "
                        "@permission_required / PermissionRequiredMixin.")
            return
        predicates: dict[str, bool] = self.ctx.project.fact(PREDICATES) or {}
        q = self.ctx.imports.qualname(call.func) if isinstance(call, ast.Call) else None
        if q and predicates.get(q) and isinstance(call, ast.Call) and not (
                self._functions and _requesters_own(call, self._functions[-1])):
            name = q.rsplit(".", 1)[-1]
            self.report(node, f"{name}() only answers whether access is allowed (it returns True or False and "
                        f"raises nothing), and the answer is thrown away {here}: the check guards nothing.",
                        start_line=view, fix=f"Use the result: `if not {name}(...): raise PermissionDenied`.")
