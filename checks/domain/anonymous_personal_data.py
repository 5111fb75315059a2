from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.views import NONE, all_views
from ..finding import Category, Confidence, Severity
from ..source import SourceFile
from ..walk import walk

# What names a person, and what reaches them or identifies them besides a name.
_PERSON_NAMES = frozenset({"first_name", "last_name", "full_name", "given_name", "family_name", "surname",
                           "middle_name", "maiden_name"})
_CONTACT = frozenset({"telephone", "phone", "phone_number", "mobile", "mobile_number", "msisdn", "address",
                      "home_address", "street", "email", "date_of_birth", "dob", "birth_date", "birthdate",
                      "national_id", "id_number", "passport_number"})
# Queryset methods whose string arguments name the columns a view hands out.
_COLUMNS = frozenset({"values", "values_list", "only"})

_URLS = ("reports/urls.py", """\
    from django.urls import path
    from reports import views

    urlpatterns = [path("excels/reporters", views.export_reporters), path("excels/count", views.reporter_count)]
    """)
_MODELS = ("accounts/models.py", """\
    from django.contrib.auth.models import AbstractUser
    from django.db import models

    class Reporter(AbstractUser):
        telephone = models.CharField(max_length=20)
        address = models.TextField()
    """)


class AnonymousPersonalData(Check):
    """## What it does
    Flags a routed view that anyone can call without signing in (no login decorator, mixin, middleware or DRF
    permission) and that hands out people's personal details it reads from the database: a person's name together
    with a phone number, address, e-mail or birth date, named as the columns it selects
    (`.values("first_name", "last_name", "telephone", "address")`) or read off its rows. It covers the people WG301
    does not: a project's own users (reporters, parents, participants kept in the account model) and projects whose
    records no model marks as patient data. Views WG301 judges (they touch patient-data models) are left to it.

    ## Why is this bad?
    Whoever finds the URL downloads the names, phone numbers and home addresses of the people the service
    works with: in health programmes they are patients' families, community reporters and volunteers. HIPAA
    §164.312(a)(1) access control; GDPR Art. 32.

    ## Example
    ```python
    def export_reporters(request):
        rows = Reporter.objects.values("first_name", "last_name", "telephone", "address")
        return excel_response(rows)
    ```

    Use instead: require login and a role (`@login_required` and `@permission_required("reports.export")`), and
    keep the rows to the caller's own area.
    """

    code = "WG323"
    name = "anonymous-personal-data"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 359
    summary = "View anyone can call hands out people's names with their contact details"
    hipaa = "§164.312(a)(1) access control"

    VALID = (
        # Signed-in callers only.
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from accounts.models import Reporter

            @login_required
            def export_reporters(request):
                return list(Reporter.objects.values("first_name", "last_name", "telephone", "address"))

            def reporter_count(request):
                return Reporter.objects.count()
            """, path="reports/views.py", files=(_URLS, _MODELS)),
        # Names alone (a public list of who is on duty) hand out no way to reach anyone.
        Valid("""\
            from accounts.models import Reporter

            def export_reporters(request):
                return list(Reporter.objects.values("first_name", "last_name"))

            def reporter_count(request):
                return Reporter.objects.count()
            """, path="reports/views.py", files=(_URLS, _MODELS)),
        # The view checks the caller's API token itself; a sign-up page shows back what its caller typed.
        Valid("""\
            from accounts.models import Reporter
            from django.http import HttpResponse, HttpResponseForbidden

            def export_reporters(request):
                if not Reporter.objects.filter(api_key=request.META.get("HTTP_X_API_TOKEN"), is_staff=True).exists():
                    return HttpResponseForbidden()
                return HttpResponse([(r.first_name, r.telephone) for r in Reporter.objects.all()])

            def reporter_count(request):
                r = Reporter(first_name=request.POST["first_name"], telephone=request.POST["telephone"])
                return HttpResponse(f"{r.first_name} {r.telephone}")
            """, path="reports/views.py", files=(_URLS, _MODELS)),
        # django-oauth-toolkit admits only a valid access token.
        Valid("""\
            from oauth2_provider.decorators import protected_resource
            from accounts.models import Reporter

            @protected_resource()
            def export_reporters(request):
                return list(Reporter.objects.values("first_name", "last_name", "telephone", "address"))

            def reporter_count(request):
                return Reporter.objects.count()
            """, path="reports/views.py", files=(_URLS, _MODELS)),
    )
    INVALID = (
        # Rows read one by one off a query.
        Invalid("""\
            from django.http import HttpResponse
            from accounts.models import Reporter

            def export_reporters(request):
                return HttpResponse([(r.first_name, r.telephone) for r in Reporter.objects.all()])

            def reporter_count(request):
                return Reporter.objects.count()
            """, line=4, path="reports/views.py", files=(_URLS, _MODELS)),
        Invalid("""\
            from accounts.models import Reporter

            def export_reporters(request):
                return list(Reporter.objects.values("first_name", "last_name", "telephone", "address"))

            def reporter_count(request):
                return Reporter.objects.count()
            """, line=3, path="reports/views.py", files=(_URLS, _MODELS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test) and "_name" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None:
            return
        for view in all_views(self.ctx, node):
            if view.models or view.unknown or view.unreachable or view.reads != NONE:
                continue
            route = code.route(f"{self.ctx.imports.module}.{view.node.name}")
            if route is None:
                continue
            names, contact = _personal_columns(view.node)
            if not (names and contact) or _checks_a_credential(view.node):
                continue
            how = f" ({'; '.join(view.evidence)})" if view.evidence else ""
            self.report(view.node, f"View {view.node.name} at {route} lets anyone, without signing in{how}, read "
                        f"people's names ({', '.join(names)}) with their {', '.join(contact)}.",
                        fix="Require login and a role or permission (`@login_required` + `@permission_required`, or "
                        "LoginRequiredMixin + PermissionRequiredMixin), and keep the rows to what the caller may see.")


def _personal_columns(view: ast.AST) -> tuple[list[str], list[str]]:
    """The person-name and contact columns the view selects (`.values("first_name", "telephone")`) or reads off the
    rows it queries (`for r in Reporter.objects.all(): r.telephone`); not what a form fills in (a sign-up's own
    `u.email = form.cleaned_data["email"]`)."""
    rows = _query_rows(view)
    read: set[str] = set()
    for n in walk(view):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _COLUMNS:
            read |= {a.value.rsplit("__", 1)[-1] for a in n.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str)}
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) \
                and n.value.id in rows:
            read.add(n.attr)
    return sorted(read & _PERSON_NAMES), sorted(read & _CONTACT)


def _query_rows(view: ast.AST) -> set[str]:
    """Names bound to rows the view queries: `for u in User.objects.all()`, `u = get_object_or_404(User, pk=pk)`."""
    out: set[str] = set()
    for n in walk(view):
        if isinstance(n, (ast.For, ast.comprehension)):
            target, value = n.target, n.iter
        elif isinstance(n, ast.Assign) and len(n.targets) == 1:
            target, value = n.targets[0], n.value
        else:
            continue
        if isinstance(target, ast.Name) and any(
                (isinstance(x, ast.Attribute) and x.attr == "objects")
                or (isinstance(x, ast.Name) and x.id in ("get_object_or_404", "get_list_or_404")) for x in walk(value)):
            out.add(target.id)
    return out


# What a caller presents when a view authenticates it itself: an API key or token header, HTTP Basic credentials.
_CREDENTIAL_WORDS = ("AUTH", "TOKEN", "KEY", "SECRET")


def _checks_a_credential(view: ast.AST) -> bool:
    """The view reads a credential from the request (`request.META.get("HTTP_MAJORA_TOKEN")`,
    `request.headers["Authorization"]`, `request.auth`): it authenticates its caller its own way."""
    for n in walk(view):
        if isinstance(n, ast.Attribute) and n.attr == "auth" and isinstance(n.value, (ast.Name, ast.Attribute)) \
                and (n.value.id if isinstance(n.value, ast.Name) else n.value.attr) == "request":
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and n.args:
            holder, key = n.func.value, n.args[0]
        elif isinstance(n, ast.Subscript):
            holder, key = n.value, n.slice
        else:
            continue
        if isinstance(holder, ast.Attribute) and holder.attr in ("META", "headers") and isinstance(key, ast.Constant) \
                and isinstance(key.value, str) and any(w in key.value.upper() for w in _CREDENTIAL_WORDS):
            return True
    return False
