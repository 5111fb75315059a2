from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Sequence

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..source import SourceFile
from ..walk import walk

_MARKER = re.compile(r"#\s*(?:TODO|FIXME|XXX|HACK)\b[:\s,-]*(.*)", re.IGNORECASE)
_ACCESS = r"(permissions?|authori[sz]ation|authenticat\w*|access|auth|login|owner(ship)?|security)"
# What a developer writes when the check is still to come: "add/check/enforce ... permission", "restrict access to
# ...", "only ... who has access", "filter by the current user", a bare "TODO: permissions".
_ADMITS = [re.compile(p) for p in (
    rf"\b(add|check|enforce|respect|verify|implement|need|require|missing|no)\w*\s+(\w+[\s/]+){{0,3}}{_ACCESS}\b",
    r"\b(authori[sz]e|restrict|limit|secure|protect)\w*\s+(\w+\s+){0,4}(users?|access|api|endpoint|view|this|it|to)\b",
    r"\bonly\b.{0,60}\b(has|have|with|granted)\s+access\b",
    rf"^\W*{_ACCESS}\W*$",
    r"\bfilter\w*\s+(\w+\s+){0,3}(by\s+)?(the\s+)?(current|request(ing)?|logged.in)\s+user\b",
)]
_NOT_ACCESS_CONTROL = re.compile(r"attribute access|access(ing)? (the |a )?(field|attribute|key|cache|index|file)")
# Classes that answer requests, by their bases' names or their handler methods.
_REQUEST_BASE = re.compile(r"(View|ViewSet|APIView|Mixin|Serializer|Resource|Handler|Permission|Admin|Consumer|"
                           r"Mutation)$")
_HANDLERS = frozenset({"get", "post", "put", "patch", "delete", "get_queryset", "get_object", "list", "retrieve",
                       "create", "update", "destroy", "dispatch", "has_permission", "has_object_permission"})

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)

    class Diagnosis(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
        code = models.CharField(max_length=10)
    """)
_VIEW = """\
    from rest_framework import viewsets
    from clinic.models import Diagnosis

    class DiagnosisViewSet(viewsets.ModelViewSet):
        def get_queryset(self):
            # TODO: only get diagnoses for patients this clinician has access to
            return Diagnosis.objects.all()
    """


class AdmittedMissingAccessCheck(Check):
    """## What it does
    Flags request code whose own comment says its access check is still to be written: `# TODO: permissions`,
    `# TODO: only get diagnoses for patients this clinician has access to`, `# FIXME add security checks`,
    `# TODO: filter also by current user`, `# TODO: respect permission can_query` above a view. The comment must sit
    in (or right above) a view, viewset, serializer, permission class or a function given the request, in a project
    with patient models. Reported once per view, on its `class` or `def` line.

    ## Why is this bad?
    The author knew the endpoint lets in more callers, or shows more rows, than it should, and shipped it. Review
    reads past a TODO; a gate should not. Code written with an assistant often carries exactly such a placeholder
    where the authorization was meant to go. HIPAA §164.312(a)(1) access control; §164.308(a)(4) information
    access management.

    ## Example
    ```python
    def get_queryset(self):
        # TODO: only get diagnoses for patients this clinician has access to
        return Diagnosis.objects.all()
    ```

    Use instead: write the check the comment describes
    (`Diagnosis.objects.filter(patient__care_team__user=self.request.user)`), then remove the comment.
    """

    code = "WG330"
    name = "admitted-missing-access-check"
    category = Category.PERMISSION
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 862
    summary = "Request code whose own TODO says its access check is missing"
    hipaa = "§164.312(a)(1) access control; §164.308(a)(4) information access management"

    VALID = (
        Valid(_VIEW.replace("# TODO: only get diagnoses for patients this clinician has access to",
                            "# TODO: order by date"), path="clinic/views.py", files=(_MODELS,)),
        # Not request code: a management command's note.
        Valid("""\
            def handle(*args, **options):
                # TODO: restrict access to this command
                return None
            """, path="clinic/management/commands/export.py", files=(_MODELS,)),
        Valid(_VIEW.replace("has access to", "can see, via attribute access"), path="clinic/views.py",
              files=(_MODELS,)),
    )
    INVALID = (
        Invalid(_VIEW, line=4, path="clinic/views.py", files=(_MODELS,)),
        Invalid("""\
            from django.http import JsonResponse

            # TODO: respect permission can_query
            def query_studies(request):
                return JsonResponse({})
            """, line=4, path="clinic/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test or "/management/commands/" in f"/{src.path}") \
            and _MARKER.search(src.text) is not None

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if models is None or not models.patient:
            return
        scopes = [n for n in walk(node) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
        reported: set[int] = set()
        for line, text in _admissions(self.ctx.src.text):
            owner = _request_scope(scopes, line)
            if owner is None or id(owner) in reported:
                continue
            reported.add(id(owner))
            kind = "class" if isinstance(owner, ast.ClassDef) else "def"
            self.report(owner, f"{owner.name} says its own access check is missing: `{text}` (line {line}). The "
                        f"{kind} answers requests as written, to every caller its other checks let in.",
                        fix="Write the check the comment describes (a permission class, a queryset filtered by the "
                        "requesting user, an object check), then remove the comment.")


def _admissions(text: str) -> list[tuple[int, str]]:
    """(line, comment) of each TODO/FIXME comment that admits a missing access check."""
    out: list[tuple[int, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _MARKER.search(tok.string)
        body = m.group(1).strip().lower() if m else ""
        if body and not _NOT_ACCESS_CONTROL.search(body) and any(p.search(body) for p in _ADMITS):
            out.append((tok.start[0], tok.string.strip()))
    return out


def _request_scope(scopes: Sequence[ast.AST], line: int) -> ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The view the comment belongs to: the outermost request-handling class around it (or right below it), else the
    function given the request."""
    around = [s for s in scopes if _first_line(s) - 2 <= line <= (getattr(s, "end_lineno", 0) or 0)]
    classes = [s for s in around if isinstance(s, ast.ClassDef) and _answers_requests(s)]
    if classes:
        return min(classes, key=lambda s: s.lineno)
    functions = [s for s in around if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and any(a.arg in ("request", "req") for a in (*s.args.posonlyargs, *s.args.args))]
    return min(functions, key=lambda s: s.lineno) if functions else None


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([getattr(node, "lineno", 0), *(d.lineno for d in decorators)])


def _answers_requests(cls: ast.ClassDef) -> bool:
    bases = [b.value if isinstance(b, ast.Subscript) else b for b in cls.bases]  # `CreateAPIView[Sample]`
    names = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in bases]
    if any(_REQUEST_BASE.search(n) for n in names if n):
        return True
    return any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in _HANDLERS for s in cls.body)
