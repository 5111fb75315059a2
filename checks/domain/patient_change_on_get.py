from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex, write_role
from ..facts.guards import AUTHZ, body_level
from ..facts.views import all_views
from ..facts.write_paths import file_writes
from ..finding import Category, Confidence, Severity
from ..names import ImportMap, last_part
from ..source import SourceFile

# Handlers Django and DRF call for GET (and HEAD) requests only.
_SAFE_HANDLERS = frozenset({"get", "head", "list", "retrieve"})

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Client(models.Model):
        nhs_number = models.CharField(max_length=10)
        zone = models.IntegerField()
    """)


class PatientChangeOnGet(Check):
    """## What it does
    Flags a class-based view's handler for GET requests (`get()`, and a DRF viewset's `list()` / `retrieve()`) that
    changes patient rows itself: saves, deletes, queryset `update()` / `delete()`, bulk writes or raw SQL writes to a
    patient-data model (the project model's write inventory; the audit log itself, bookkeeping-only updates and
    reads are not changes). Rows reached through another view's queryset (`ClientList.queryset.filter(...)`) count.
    A handler picking its row by a secret the URL carries (an e-mail verification or unsubscribe link, whose click
    can only be a GET) is not flagged.

    ## Why is this bad?
    A GET is what link prefetchers, crawlers, browser history and an `<img src>` on any page send; Django's CSRF
    protection does not cover it, and read-tier permissions (DRF's `DjangoModelPermissions` and
    `IsAuthenticatedOrReadOnly`, `SAFE_METHODS` branches, view permissions) admit it. A change behind GET is made by
    whoever can read, or by a page that makes their browser ask. HIPAA §164.312(a)(1) access control;
    §164.312(c)(1) integrity.

    ## Example
    ```python
    class ZoneMigrationView(generics.RetrieveUpdateDestroyAPIView):
        def get(self, request, source_zone, target_zone):
            Client.objects.filter(zone=source_zone).update(zone=target_zone)
    ```

    Use instead: make the change a POST (or PUT/PATCH) handler with the permission a write needs, and keep GET
    handlers read-only.
    """

    code = "WG327"
    name = "patient-change-on-get"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 352
    summary = "GET handler changes patient rows: no CSRF check, and read permissions admit it"
    hipaa = "§164.312(a)(1) access control; §164.312(c)(1) integrity"

    VALID = (
        # The change is a POST; GET only reads.
        Valid("""\
            from rest_framework import generics
            from clinic.models import Client

            class ZoneMigrationView(generics.GenericAPIView):
                def get(self, request, zone):
                    return Client.objects.filter(zone=zone).count()

                def post(self, request, zone):
                    Client.objects.filter(zone=zone).update(zone=request.data["target"])
            """, path="clinic/views.py", files=(_MODELS,)),
        # An e-mail verification link: the row is the one its secret names, and a click is a GET.
        Valid("""\
            from rest_framework import views
            from clinic.models import Client

            class VerifyView(views.APIView):
                def get(self, request, *args, **kwargs):
                    client = Client.objects.get(link_token=kwargs["token"])
                    client.zone = 1
                    client.save()
            """, path="clinic/views.py", files=(_MODELS,)),
    )
    INVALID = (
        Invalid("""\
            from rest_framework import generics
            from clinic.models import Client

            class ClientList(generics.ListCreateAPIView):
                queryset = Client.objects.all()

            class ZoneMigrationView(generics.RetrieveUpdateDestroyAPIView):
                def get(self, request, source_zone, target_zone):
                    ClientList.queryset.filter(zone=source_zone).update(zone=target_zone)
            """, line=8, path="clinic/views.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return write_role(src) == "request"

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None or not models.patient:
            return
        writes = [w for w in file_writes(self.ctx, models, code) if w.seen is not None]  # quiet ones are no changes
        if not writes:
            return
        for view in all_views(self.ctx, node):
            if not isinstance(view.node, ast.ClassDef) or view.unknown or view.unreachable:
                continue
            for fn in view.node.body:
                if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name not in _SAFE_HANDLERS:
                    continue
                q = f"{self.ctx.imports.module}.{view.node.name}.{fn.name}"
                changed = [w for w in writes if w.function == q]
                if not changed or _secret_link(fn, self.ctx.imports):
                    continue
                what = ", ".join(sorted({f"{last_part(w.model)} ({w.kind}, line {w.line})" for w in changed}))
                self.report(fn, f"{view.node.name}.{fn.name}() answers GET requests and changes patient rows: "
                            f"{what}. A GET carries no CSRF check and read permissions admit it: whoever may read, "
                            "or a page their browser loads, makes the change.", end_line=fn.lineno,
                            fix="Move the change to a POST/PUT/PATCH handler guarded by the permission a write needs.")


def _secret_link(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """The handler's row is the one a secret in the URL names (`Signup.objects.get(link_token=kwargs["token"])`):
    a link sent by e-mail, which a click can only follow with GET."""
    return body_level(fn, imports) >= AUTHZ > body_level(fn, imports, tokens=False)
