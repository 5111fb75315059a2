from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.guards import AUTHZ, LEVEL_NAMES, body_level, decides_by_user, decorated_for_access
from ..facts.views import WRITING_HANDLERS, all_views
from ..finding import Category, Confidence, Severity
from ..source import SourceFile
from ..walk import walk

# The handlers that only read (those that change something, or run work for the caller on a POST: WRITING_HANDLERS).
_READERS = ("get", "head", "list", "retrieve")

_MODELS = ("research/models.py", """\
    from django.db import models

    class Study(models.Model):
        members = models.ManyToManyField("auth.User")

        def is_member(self, user):
            return self.members.filter(pk=user.pk).exists()

    class Subject(models.Model):
        study = models.ForeignKey(Study, on_delete=models.CASCADE)
        first_name = models.CharField(max_length=80)
    """)
_IMPORTS = """\
            from django.shortcuts import get_object_or_404
            from rest_framework.response import Response
            from rest_framework.views import APIView
            from research.models import Study, Subject

"""
# A detail endpoint whose GET answers only members of the study.
_CHECKED_GET = """\
            class SubjectDetail(APIView):
                def get(self, request, pk, subject_id):
                    study = get_object_or_404(Study, pk=pk)
                    if not study.is_member(request.user):
                        return Response({"detail": "not a member"}, status=403)
                    return Response({"name": Subject.objects.get(pk=subject_id, study=study).first_name})
"""


class WriteHandlerSkipsCheck(Check):
    """## What it does
    Flags a request handler of a class-based view that changes data (`post`, `put`, `patch`, `delete`, or a
    viewset's `create`/`update`/`destroy`) with no access check of its own, where a handler of the same class
    that only reads (`get`, `list`, `retrieve`) checks the caller's access in its body: a membership or
    ownership test answered with 403, a raised PermissionDenied, a role test, `has_perm()`. Nothing shared by
    the class (its mixins, permission classes, `dispatch()`, decorators in `urls.py`, a login middleware)
    may authorize the write either: then the class is guarded as a whole. A writing handler that tests
    anything about the requesting user, restricts its lookups to the user, or hands the request to a
    checked sibling is not flagged: it decided something, even if wardgate cannot read what.

    ## Why is this bad?
    The read check shows what the authors meant: only members of the study, the clinic or the care team
    may see the record. The write beside it, served at the same URL, lets any caller who passes the class's
    shared checks (often only a login) change or delete that record or add to it: broken object-level
    authorization (OWASP API1:2023), and the most common way a hand-written API view goes wrong.
    HIPAA §164.312(a)(1) access control.

    ## Example
    ```python
    class SubjectDetail(APIView):
        def get(self, request, pk, subject_id):
            study = get_object_or_404(Study, pk=pk)
            if not study.is_member(request.user):
                return Response(status=403)
            ...

        def put(self, request, pk, subject_id):  # any signed-in user renames any subject
            Subject.objects.filter(pk=subject_id).update(first_name=request.data["first_name"])
    ```

    Use instead: make the same check in `put` (or move it into `dispatch()`, `initial()` or a permission
    class, so that every handler of the view runs it).
    """

    code = "WG315"
    name = "write-handler-skips-check"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 862
    summary = "A view's write handler skips the access check its read handler makes"
    hipaa = "§164.312(a)(1) access control"

    VALID = (
        # The write makes the same check.
        Valid(_IMPORTS + _CHECKED_GET + """\

                def put(self, request, pk, subject_id):
                    study = get_object_or_404(Study, pk=pk)
                    if not study.is_member(request.user):
                        return Response(status=403)
                    Subject.objects.filter(pk=subject_id, study=study).update(first_name=request.data["name"])
                    return Response(status=204)
            """, path="research/views.py", files=(_MODELS,)),
        # The write does its work only under a test of the user (no refusal, but nothing done for strangers).
        Valid(_IMPORTS + _CHECKED_GET + """\

                def put(self, request, pk, subject_id):
                    study = get_object_or_404(Study, pk=pk)
                    if study.is_member(request.user):
                        Subject.objects.filter(pk=subject_id, study=study).update(first_name=request.data["name"])
                    return Response(status=204)
            """, path="research/views.py", files=(_MODELS,)),
        # The class is guarded as a whole: its permission class requires a model permission for writes.
        Valid("""\
            from django.shortcuts import get_object_or_404
            from rest_framework.permissions import DjangoModelPermissions
            from rest_framework.response import Response
            from rest_framework.views import APIView
            from research.models import Study, Subject

            class SubjectDetail(APIView):
                permission_classes = [DjangoModelPermissions]
                queryset = Subject.objects.all()

                def get(self, request, pk, subject_id):
                    study = get_object_or_404(Study, pk=pk)
                    if not study.is_member(request.user):
                        return Response(status=403)
                    return Response({"name": Subject.objects.get(pk=subject_id, study=study).first_name})

                def put(self, request, pk, subject_id):
                    Subject.objects.filter(pk=subject_id).update(first_name=request.data["name"])
                    return Response(status=204)
            """, path="research/views.py", files=(_MODELS,)),
        # The form's POST re-renders through the checked GET.
        Valid(_IMPORTS + _CHECKED_GET + """\

                def post(self, request, pk, subject_id):
                    return self.get(request, pk, subject_id)
            """, path="research/views.py", files=(_MODELS,)),
        # Only the write checks: reads open to every signed-in user and writes reserved is a common design.
        Valid("""\
            from django.core.exceptions import PermissionDenied
            from rest_framework.response import Response
            from rest_framework.views import APIView
            from research.models import Subject

            class SubjectDetail(APIView):
                def get(self, request, subject_id):
                    return Response({"name": Subject.objects.get(pk=subject_id).first_name})

                def delete(self, request, subject_id):
                    if not request.user.is_superuser:
                        raise PermissionDenied
                    Subject.objects.filter(pk=subject_id).delete()
                    return Response(status=204)

                def put(self, request, subject_id):
                    Subject.objects.filter(pk=subject_id).update(first_name=request.data["name"])
                    return Response(status=204)
            """, path="research/views.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid(_IMPORTS + _CHECKED_GET + """\

                def put(self, request, pk, subject_id):
                    Subject.objects.filter(pk=subject_id).update(first_name=request.data["name"])
                    return Response(status=204)
            """, line=13, path="research/views.py", files=(_MODELS,)),
        # A POST that adds to the study, beside a GET that checks membership with an if/else.
        Invalid("""\
            from rest_framework.response import Response
            from rest_framework.views import APIView
            from research.models import Study, Subject

            class StudySubjects(APIView):
                def get(self, request, pk):
                    study = Study.objects.get(pk=pk)
                    if study.is_member(request.user):
                        return Response([s.first_name for s in study.subject_set.all()])
                    else:
                        return Response({"detail": "not a member"}, status=403)

                def post(self, request, pk):
                    Subject.objects.create(study_id=pk, first_name=request.data["name"])
                    return Response(status=201)
            """, line=13, path="research/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        for view in all_views(self.ctx, node):
            cls = view.node
            if not isinstance(cls, ast.ClassDef) or view.unknown or view.unreachable or view.shared[1] >= AUTHZ:
                continue
            # A reader that only looks its row up by a secret from the URL (a sign-in or invitation link) serves
            # the link's holder; the handler that sends the link has no one to check yet.
            checked = [h for h in _READERS if view.handler_levels.get(h, 0) >= AUTHZ and not _token_only(cls, h, self)]
            if not checked:
                continue
            for fn in cls.body:
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name not in WRITING_HANDLERS or \
                        view.handler_levels.get(fn.name, 0) >= AUTHZ or decides_by_user(fn) or \
                        decorated_for_access(fn, self.ctx.imports) or \
                        _hands_over(fn, view.handler_levels):
                    continue
                self.report(
                    fn,
                    f"{cls.name}.{fn.name}() changes data with no access check of its own, while "
                    f"{cls.name}.{checked[0]}() checks the caller's access (line {_line(cls, checked[0])}); nothing "
                    f"the class shares authorizes it ({LEVEL_NAMES[view.shared[1]]} may call it): any such caller "
                    f"can do through {fn.name}() what {checked[0]}() refuses them.",
                    fix=f"Make {checked[0]}()'s check in {fn.name}() too, or move it where every handler runs it "
                    "(`dispatch()`, `initial()`, a permission class).",
                )


def _token_only(cls: ast.ClassDef, name: str, check: Check) -> bool:
    fn = next((f for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == name), None)
    imports = check.ctx.imports
    return fn is not None and not decorated_for_access(fn, imports) and body_level(fn, imports) >= AUTHZ \
        and body_level(fn, imports, tokens=False) < AUTHZ


def _line(cls: ast.ClassDef, name: str) -> int:
    return next(m.lineno for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == name)


def _hands_over(fn: ast.FunctionDef | ast.AsyncFunctionDef, levels: dict[str, int]) -> bool:
    """`return self.get(request, ...)`: the handler runs a sibling that checks."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
               and n.func.value.id == "self" and levels.get(n.func.attr, 0) >= AUTHZ for n in walk(fn))
