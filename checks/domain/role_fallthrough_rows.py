from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode, model_ref
from ..facts.django_models import ModelIndex
from ..facts.guards import AUTHN, mentions_user, role_attributes, user_aliases
from ..facts.model_params import root_name
from ..facts.views import all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_MODELS = ("care/models.py", """\
    from django.conf import settings
    from django.db import models

    class PatientProfile(models.Model):
        user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        mrn = models.CharField(max_length=20)
        facility = models.ForeignKey("care.Facility", on_delete=models.CASCADE)
    """)
_VIEW = """\
    from rest_framework import permissions, viewsets
    from care.models import PatientProfile

    class PatientViewSet(viewsets.ModelViewSet):
        permission_classes = [permissions.IsAuthenticated]
        queryset = PatientProfile.objects.all()

        def get_queryset(self):
            queryset = super().get_queryset()
            user = self.request.user
            if user.is_employee:
                queryset = queryset.filter(facility__in=user.employee_profile.facilities.all())
            elif user.is_patient:
                queryset = queryset.filter(user=user)
            return queryset
    """


class RoleFallthroughRows(Check):
    """## What it does
    Flags a view over patient data whose `get_queryset()` narrows the rows for each role it knows (`if
    user.is_employee: ... elif user.is_patient: ...`) and, for a user who has none of those roles, returns the
    rows it started from: every patient's. It is flagged only where the view's permission classes let such a
    user in (none of them reads those roles); the severity is high when anyone can create an account (an open
    sign-up, `wardgate facts` shows it under `open_sign_up`), medium otherwise (accounts made by an
    administrator, before their role is assigned).

    ## Why is this bad?
    The author scoped the rows for the users they thought of; the account nobody thought of (a new sign-up, a
    service account, an account whose profile was deleted) falls through every branch and sees the whole
    table. The fix is the `else` branch that returns no rows. HIPAA §164.312(a)(1) access control and
    §164.308(a)(4) information access management (minimum necessary).

    ## Example
    ```python
    def get_queryset(self):
        queryset = super().get_queryset()
        if user.is_employee:
            queryset = queryset.filter(facility__in=user.employee_profile.facilities.all())
        elif user.is_patient:
            queryset = queryset.filter(user=user)
        return queryset
    ```

    Use instead:
    ```python
        elif user.is_patient:
            queryset = queryset.filter(user=user)
        else:
            queryset = queryset.none()
        return queryset
    ```
    """

    code = "WG324"
    name = "role-fallthrough-rows"
    category = Category.PERMISSION
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 863
    summary = "Rows narrowed for each known role, every row for a user with none"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # The last branch returns no rows.
        Valid(_VIEW.replace("            return queryset\n",
                            "            else:\n                queryset = queryset.none()\n            return queryset\n"),
              path="care/views.py", files=(_MODELS,)),
        # A permission class keeps users of neither role out.
        Valid(_VIEW.replace("[permissions.IsAuthenticated]", "[permissions.IsAuthenticated, IsStaffOrPatient]")
              .replace("from care.models import PatientProfile",
                       "from care.models import PatientProfile\n    from care.perms import IsStaffOrPatient"),
              path="care/views.py", files=(_MODELS, ("care/perms.py", """\
                from rest_framework import permissions

                class IsStaffOrPatient(permissions.BasePermission):
                    def has_permission(self, request, view):
                        return request.user.is_employee or request.user.is_patient
                """))),
        # Privilege, not a role: the superuser sees every row by design, everyone else their own.
        Valid("""\
            from rest_framework import permissions, viewsets
            from care.models import PatientProfile

            class PatientViewSet(viewsets.ModelViewSet):
                permission_classes = [permissions.IsAuthenticated]

                def get_queryset(self):
                    if self.request.user.is_superuser:
                        return PatientProfile.objects.all()
                    return PatientProfile.objects.filter(user=self.request.user)
            """, path="care/views.py", files=(_MODELS,)),
        # Narrowed for everyone but the superuser, who sees every row by design.
        Valid(_VIEW.replace("if user.is_employee:", "if not user.is_superuser:").replace(
            "            elif user.is_patient:\n                queryset = queryset.filter(user=user)\n", ""),
              path="care/views.py", files=(_MODELS,)),
        # The rows are not patient data: indicator definitions, whatever the view's serializer also touches.
        Valid(_VIEW.replace("queryset = super().get_queryset()", "queryset = Indicator.objects.all()")
              .replace("from care.models import PatientProfile", "from care.models import Indicator, PatientProfile"),
              path="care/views.py", files=((_MODELS[0], _MODELS[1] + """\

            class Indicator(models.Model):
                name = models.CharField(max_length=100)
                organization = models.ForeignKey("care.Facility", on_delete=models.CASCADE)
            """),)),
        # Narrowed before the branches: the fall-through keeps the narrowing.
        Valid(_VIEW.replace("            user = self.request.user\n",
                            "            user = self.request.user\n"
                            "            queryset = queryset.filter(facility__organization=user.organization)\n"),
              path="care/views.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid(_VIEW, line=4, path="care/views.py", files=(_MODELS,)),
        # The same with returns (high: anyone may sign up, tests/checks/test_role_fallthrough.py).
        Invalid("""\
            from rest_framework import permissions, viewsets
            from care.models import PatientProfile

            class PatientViewSet(viewsets.ReadOnlyModelViewSet):
                permission_classes = [permissions.IsAuthenticated]

                def get_queryset(self):
                    qs = PatientProfile.objects.all()
                    if hasattr(self.request.user, "employee_profile"):
                        return qs.filter(facility__in=self.request.user.employee_profile.facilities.all())
                    if hasattr(self.request.user, "patient_profile"):
                        return qs.filter(user=self.request.user)
                    return qs
            """, line=4, path="care/views.py", files=(_MODELS, ("proj/urls.py", """\
                from django.urls import include, path

                urlpatterns = [path("auth/registration/", include("dj_rest_auth.registration.urls"))]
                """))),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test) and "get_queryset" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if code is None or models is None:
            return
        for view in all_views(self.ctx, node):
            cls = view.node
            if not isinstance(cls, ast.ClassDef) or not view.models or view.unknown or view.unreachable \
                    or view.shared[0] < AUTHN:
                continue  # anonymous access is WG301's
            gq = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "get_queryset"), None)
            found = _fallthrough(gq) if gq is not None else None
            if found is None:
                continue
            roles, branch, ret = found
            model = self._rows_of(gq, ret, code, models, f"{self.ctx.imports.module}.{cls.name}")  # type: ignore[arg-type]
            if model is not None and model not in models.patient:
                continue  # the rows are not patient data (indicator definitions, a catalogue)
            door = [q for q in view.perm_classes if (info := code.lookup(q)) is not None
                    and roles & set(info.permission_user_attrs)]
            if door:
                continue  # a permission class turns away users of none of these roles before the query runs
            sign_up = code.open_sign_up()
            text = ast.unparse(gq)  # type: ignore[arg-type]
            names = [last_part(model)] if model is not None else \
                [n for n in (last_part(m) for m in view.models) if n in text] or [last_part(view.models[0])]
            who = (f"and anyone can create such an account ({sign_up.why})" if sign_up.open
                   else "such as an account an administrator created before giving it a role")
            self.report(
                cls,
                f"{cls.name}.get_queryset() narrows {', '.join(names)} rows for users with "
                f"{' / '.join(sorted(roles))} (line {branch.lineno}) but returns every row to a signed-in user "
                f"with none of them (line {ret.lineno}), {who}.",
                fix="End the role branches with `else: queryset = queryset.none()`, or refuse users of no known "
                "role in a permission class's has_permission().",
                severity=Severity.HIGH if sign_up.open else Severity.MEDIUM, end_line=ret.lineno,
            )


    def _rows_of(self, fn: ast.FunctionDef, ret: ast.Return, code: ProjectCode, models: ModelIndex,
                 view: str) -> str | None:
        """The model whose rows the returned queryset holds: `X.objects...` assigned to the returned name (or
        returned), or the view's own `queryset`/`model` behind `super().get_queryset()`; None when unknown."""
        var = _root_of(ret.value) if ret.value is not None else None
        sources: list[ast.expr] = [a.value for a in fn.body if isinstance(a, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == var for t in a.targets)] or ([ret.value] if ret.value else [])
        for value in sources:
            if any(isinstance(n, ast.Name) and n.id == "super" for n in walk(value)) or "self.queryset" in ast.unparse(
                    value):
                own = code.attr(view, "model")
                info = models.lookup(own) if isinstance(own, str) else None
            else:
                info = models.lookup(model_ref(value, self.ctx.imports))
            if info is not None:
                return info.qualname
        return None


def _fallthrough(fn: ast.FunctionDef) -> tuple[set[str], ast.If, ast.Return] | None:
    """(roles tested, the first role branch, the final return) when every role branch narrows or returns and a
    user of no tested role reaches a final `return` of the rows unnarrowed."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        return None
    ret, aliases = body[-1], user_aliases(fn)
    if mentions_user(ret.value, aliases) or _no_rows(ret.value):  # type: ignore[arg-type]
        return None
    var = _root_of(ret.value)  # type: ignore[arg-type]
    roles: set[str] = set()
    first: ast.If | None = None
    for stmt in body[:-1]:
        tested = role_attributes(stmt.test, aliases) if isinstance(stmt, ast.If) else set()
        if isinstance(stmt, ast.If) and tested:
            tests, branches, has_else = _chain(stmt)
            if has_else or not all(_narrows(b, var) for b in branches) or any(_negative(t) for t in tests):
                return None  # an `else` decides the rest; a branch returning every row, or the fall-through of
                # `if not user.is_superuser:`, is a privilege
            roles |= {r for t in tests for r in role_attributes(t, aliases)}
            first = first or stmt
        elif _narrows([stmt], var) and mentions_user(stmt, aliases) or any(
                isinstance(n, ast.Raise) for n in walk(stmt)):
            return None  # the rows are narrowed for everyone first, or the request may be refused
    return (roles, first, ret) if first is not None else None


def _chain(stmt: ast.If) -> tuple[list[ast.expr], list[list[ast.stmt]], bool]:
    """The tests and bodies of an if/elif chain, and whether it ends in an `else`."""
    tests, bodies = [stmt.test], [stmt.body]
    while len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):
        stmt = stmt.orelse[0]
        tests.append(stmt.test)
        bodies.append(stmt.body)
    return tests, bodies, bool(stmt.orelse)


def _narrows(body: list[ast.stmt], var: str | None) -> bool:
    """The branch reassigns the rows, returns narrowed ones, or refuses; not a `return` of the rows as they were."""
    nodes = [n for s in body for n in walk(s)]
    returns = [n for n in nodes if isinstance(n, ast.Return)]
    if any(r.value is None or _root_of(r.value) == var and not isinstance(r.value, ast.Call) for r in returns):
        return False
    return bool(returns) or any(isinstance(n, ast.Raise) for n in nodes) or var is not None and any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == var for t in n.targets) for n in nodes)


def _negative(test: ast.expr) -> bool:
    """`not user.is_superuser`, `user.role != "admin"`: the branch is for users without a role."""
    return any(isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not) or isinstance(n, ast.Compare) and any(
        isinstance(o, (ast.NotEq, ast.NotIn, ast.IsNot)) for o in n.ops) for n in walk(test))


def _root_of(value: ast.expr) -> str | None:
    """`queryset.distinct().order_by("x")` -> "queryset"."""
    name = root_name(value)
    return name.id if name is not None else None


def _no_rows(value: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "none" for n in walk(value))
