from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.guards import NONE, body_level
from ..facts.object_scope import HandlerScope, Lookup, analyse, is_request_handler, relates
from ..facts.views import all_views
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_MODELS = ("genomics/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)

    class Project(models.Model):
        name = models.CharField(max_length=50)

    class Family(models.Model):
        guid = models.CharField(max_length=30, unique=True)
        project = models.ForeignKey(Project, on_delete=models.CASCADE)
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

    class Variant(models.Model):
        guid = models.CharField(max_length=30, unique=True)
        family = models.ForeignKey(Family, on_delete=models.CASCADE)
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
        note = models.TextField()
    """)
_CHECKS = ("genomics/permissions.py", """\
    from django.core.exceptions import PermissionDenied

    def check_project_permissions(project, user):
        if not project.members.filter(pk=user.pk).exists():
            raise PermissionDenied()
    """)
_ANSWERS = ("survey/models.py", """\
    from django.conf import settings
    from django.db import models

    class Answer(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        text = models.TextField()
    """)


class UnscopedObjectLookup(Check):
    """## What it does
    Flags a lookup in request code that fetches rows by an id the client sent (a URL capture, a query or
    form parameter, a bound form's `cleaned_data`) on the primary key, a unique field or a relation, when
    nothing ties those rows to the requesting user: the lookup names neither the user nor an object whose
    access the code checked, and no check on the fetched rows follows. It needs evidence that rows are not
    open to every caller: the same function checks access to another object (the project's own check
    function, `has_perm`, a test against the user) and the rows are patient data or belong to that kind of
    object; or restricting the model to the requesting user is the module's norm (two or more request
    handlers, no more privileged, do it, twice as many as reach its rows unrestricted).

    ## Why is this bad?
    An insecure direct object reference: a user allowed on one project, clinic or record changes the id in
    the request and reads or changes another's rows, and nothing in the view's code shows it. HIPAA
    §164.312(a)(1) access control; §164.308(a)(4) minimum necessary access.

    ## Example
    ```python
    def add_note(request, variant_guid):
        family = Family.objects.get(guid=request.POST["family"])
        check_project_permissions(family.project, request.user)
        variant = Variant.objects.get(guid=variant_guid)  # any project's variant
        variant.note = request.POST["note"]
        variant.save()
    ```

    Use instead: fetch through what was checked, `Variant.objects.get(guid=variant_guid, family=family)`,
    or check the fetched row as the other one is checked.
    """

    code = "WG312"
    name = "unscoped-object-lookup"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 639
    summary = "Row fetched by an id the client sent, with nothing tying it to the requesting user"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        # The variant is fetched through the family whose project was checked.
        Valid("""\
            from genomics.models import Family, Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                family = Family.objects.get(guid=request.POST["family"])
                check_project_permissions(family.project, request.user)
                variant = Variant.objects.get(guid=variant_guid, family=family)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # The fetched row itself is checked.
        Valid("""\
            from genomics.models import Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                variant = Variant.objects.get(guid=variant_guid)
                check_project_permissions(variant.family.project, request.user)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # No evidence of per-object access: every clinician may open every variant.
        Valid("""\
            from django.contrib.auth.decorators import login_required
            from genomics.models import Variant

            @login_required
            def add_note(request, variant_guid):
                variant = Variant.objects.get(guid=variant_guid)
                variant.note = request.POST["note"]
                variant.save()
            """, path="genomics/views.py", files=(_MODELS,)),
        # Owner compared before the change.
        Valid("""\
            from django.http import HttpResponseForbidden
            from survey.models import Answer

            def answers(request):
                return Answer.objects.filter(user=request.user)

            def latest(request):
                return Answer.objects.filter(user=request.user).last()

            def edit(request, pk):
                answer = Answer.objects.get(pk=pk)
                if answer.user != request.user:
                    return HttpResponseForbidden()
                answer.text = request.POST["text"]
                answer.save()
            """, path="survey/views.py", files=(_ANSWERS,)),
        # A more privileged handler may reach rows its user-facing sibling restricts.
        Valid("""\
            from django.contrib.auth.decorators import permission_required
            from survey.models import Answer

            def answers(request):
                return Answer.objects.filter(user=request.user)

            def latest(request):
                return Answer.objects.filter(user=request.user).last()

            @permission_required("survey.change_answer")
            def moderate(request, pk):
                answer = Answer.objects.get(pk=pk)
                answer.text = ""
                answer.save()
            """, path="survey/views.py", files=(_ANSWERS,)),
    )
    INVALID = (
        Invalid("""\
            from genomics.models import Family, Variant
            from genomics.permissions import check_project_permissions

            def add_note(request, variant_guid):
                family = Family.objects.get(guid=request.POST["family"])
                check_project_permissions(family.project, request.user)
                variant = Variant.objects.get(guid=variant_guid)
                variant.note = request.POST["note"]
                variant.save()
            """, line=7, path="genomics/views.py", files=(_MODELS, _CHECKS)),
        # The module restricts answers to their user, except where a form names one.
        Invalid("""\
            from django.shortcuts import get_object_or_404
            from survey.models import Answer

            class AnswerMixin:
                def answers(self, request):
                    return Answer.objects.filter(user=request.user)

                def latest(self, request):
                    return Answer.objects.filter(user=request.user).last()

                def submit(self, request, form):
                    for row in form.cleaned_data:
                        answer = get_object_or_404(Answer, pk=row.pop("answer_id"))
                        answer.text = row["text"]
                        answer.save()
            """, line=13, path="survey/views.py", files=(_ANSWERS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None:
            return
        handlers = list(self._handlers(node, code))
        if not handlers:
            return
        views = {id(v.node): v for v in all_views(self.ctx, node)}
        scopes: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, int, HandlerScope]] = []
        for fn, owner in handlers:
            view = views.get(id(owner))
            if view is not None and (view.unreachable or view.unknown):
                continue
            level = max(body_level(fn, self.ctx.imports), view.reads if view is not None else NONE)
            scopes.append((fn, level, analyse(fn, self.ctx.imports, models, code)))
        for fn, level, scope in scopes:
            for lookup in scope.unscoped:
                # Patient rows, or rows that belong to the kind of object checked (a family's variants).
                other = next((a for a in scope.authorized if models.is_patient_model(lookup.model)
                              or relates(models, lookup.model, a[2])), None)
                if other is not None:
                    self._report_other_object(fn, lookup, other)
                    continue
                if self._norm_restricts(lookup.model, fn, level, scopes, views.values(), models):
                    peer = next(g for g, lv, s in scopes if g is not fn and lv >= level and lookup.model in s.restricted)
                    self._report_against_peers(fn, lookup, peer)

    @staticmethod
    def _norm_restricts(model: str, fn: ast.AST, level: int, scopes, views, models: ModelIndex) -> bool:
        """The module's norm for `model` is to restrict it to the requesting user: it holds patient data or
        rows related to users, two or more handlers no more privileged than `fn` restrict it, and they are at
        least twice as many as the handlers and views that reach its rows unrestricted (a "my patients"
        list beside open record pages is a convenience, not a rule)."""
        if not (models.is_patient_model(model) or any(s.restricted.get(model) for _, _, s in scopes)):
            return False
        restricting = [g for g, lv, s in scopes if g is not fn and lv >= level and model in s.restricted]
        open_ = {id(g) for g, _, s in scopes if any(lk.model == model for lk in s.unscoped)}
        open_ |= {id(v.node) for v in views if model in v.models and not v.restricted and isinstance(v.node, ast.ClassDef)}
        return len(restricting) >= 2 and len(restricting) >= 2 * len(open_)

    def _handlers(self, tree: ast.Module, code: ProjectCode):
        """(function, the top-level definition it belongs to) for the module's request handlers; ModelAdmin
        methods are left to Django's admin permissions."""
        module = self.ctx.imports.module
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_request_handler(stmt):
                yield stmt, stmt
            elif isinstance(stmt, ast.ClassDef) and not any(
                    last_part(a) in ("ModelAdmin", "BaseModelAdmin", "InlineModelAdmin")
                    for a in code.ancestors(f"{module}.{stmt.name}")):
                for m in stmt.body:
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_request_handler(m):
                        yield m, stmt

    def _what(self, lookup: Lookup) -> str:
        return f"{last_part(lookup.model)} rows by {', '.join(lookup.keys)} from the request"

    def _report_other_object(self, fn: ast.AST, lookup: Lookup, checked: tuple[str, int, str | None]) -> None:
        name, line, _ = checked
        self.report(lookup.node, f"{getattr(fn, 'name', '')} fetches {self._what(lookup)} with nothing tying them to "
                    f"the requesting user: it checks access to `{name}` (line {line}), not to these rows, so a user "
                    f"allowed on one {name} can reach another's {last_part(lookup.model)} records by changing the id.",
                    fix=f"Fetch the rows through `{name}` (a filter on it) or check them as `{name}` is checked.")

    def _report_against_peers(self, fn: ast.AST, lookup: Lookup, peer: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.report(lookup.node, f"{getattr(fn, 'name', '')} fetches {self._what(lookup)} with nothing tying them to "
                    f"the requesting user, while {peer.name} (line {peer.lineno}) restricts "
                    f"{last_part(lookup.model)} to the requesting user: a caller can reach another user's "
                    f"{last_part(lookup.model)} rows by sending their id.",
                    fix="Restrict the lookup to the requesting user (a filter on the owner), as "
                    f"{peer.name} does, or check the fetched row's owner.")
