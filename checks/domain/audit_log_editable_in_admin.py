from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.audit_mechanisms import admin_decorator_models, site_registration
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.patient_data import is_audit_log
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_LOG = ("audit/models.py", """\
    from django.db import models

    class EventLog(models.Model):
        user = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL)
        action = models.CharField(max_length=64)
        message = models.TextField()
    """)
# Methods of a ModelAdmin that decide whether its rows may be changed or deleted.
_RESTRICTING = frozenset({"has_change_permission", "has_delete_permission"})


class AuditLogEditableInAdmin(Check):
    """## What it does
    Flags the registration of an audit-log model (one the project's audit services write, a log pointing at any row,
    or a model named as one: `AuditLog`, `EventLog`, `AuditEntry`) in the Django admin with a ModelAdmin that lets
    staff change and delete its rows: `admin.site.register(EventLog)` with Django's default admin, or an admin
    class of the project's that overrides neither `has_change_permission()` nor `has_delete_permission()`. An admin
    class from a package (a read-only admin) is unknown and not flagged.

    ## Why is this bad?
    The audit trail is the evidence of who read and changed a patient's record. Editable in the admin, any staff
    member with the model's change or delete permission (and every superuser) can rewrite or remove the entries
    about what they did, through a screen that keeps no trail of its own beyond Django's admin log. HIPAA
    §164.312(b) audit controls; §164.312(c)(1) integrity.

    ## Example
    ```python
    admin.site.register(EventLog)
    ```

    Use instead:
    ```python
    @admin.register(EventLog)
    class EventLogAdmin(admin.ModelAdmin):
        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False
    ```
    """

    code = "WG208"
    name = "audit-log-editable-in-admin"
    category = Category.AUDIT_TRAIL
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 284
    summary = "Audit-log model registered in the Django admin with change and delete allowed"
    hipaa = "§164.312(b) audit controls; §164.312(c)(1) integrity"

    VALID = (
        Valid("""\
            from django.contrib import admin
            from audit.models import EventLog

            @admin.register(EventLog)
            class EventLogAdmin(admin.ModelAdmin):
                list_display = ["action", "user"]

                def has_change_permission(self, request, obj=None):
                    return False

                def has_delete_permission(self, request, obj=None):
                    return False
            """, path="audit/admin.py", files=(_LOG,)),
        # A package's read-only admin: what it allows is unknown.
        Valid("""\
            from django.contrib import admin
            from readonly_admin import ReadOnlyAdmin
            from audit.models import EventLog

            admin.site.register(EventLog, ReadOnlyAdmin)
            """, path="audit/admin.py", files=(_LOG,)),
    )
    INVALID = (
        Invalid("""\
            from django.contrib import admin
            from audit.models import EventLog

            admin.site.register(EventLog)
            """, line=4, path="audit/admin.py", files=(_LOG,)),
        Invalid("""\
            from django.contrib import admin
            from audit.models import EventLog

            @admin.register(EventLog)
            class EventLogAdmin(admin.ModelAdmin):
                list_display = ["action", "user"]
            """, line=5, path="audit/admin.py", files=(_LOG,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_test or src.looks_like_migration) and "register" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None:
            return
        for at, model_refs, admin_cls in self._registrations(node):
            logs = [m.qualname for m in map(models.lookup, model_refs) if m is not None and m.qualname in models.django
                    and is_audit_log(m.qualname, models)]
            if not logs or not _editable(code, admin_cls):
                continue
            admin = last_part(admin_cls) if admin_cls else "Django's default ModelAdmin"
            self.report(at, f"{', '.join(last_part(q) for q in logs)} (an audit log) is registered in the admin with "
                        f"{admin}, which lets staff change and delete its entries: the trail of who did what can be "
                        "rewritten by the people it records.", end_line=at.lineno,
                        fix="Override has_change_permission() and has_delete_permission() to return False (and "
                        "has_add_permission()), or leave the log out of the admin.")

    def _registrations(self, node: ast.Module) -> list[tuple[ast.stmt, list[str], str | None]]:
        """(statement, model references, admin class or None for the default) of the module's admin registrations."""
        out: list[tuple[ast.stmt, list[str], str | None]] = []
        imports = self.ctx.imports
        for stmt in node.body:
            if isinstance(stmt, ast.ClassDef):  # @admin.register(EventLog)
                models = admin_decorator_models(stmt, imports)
                if models:
                    out.append((stmt, models, f"{imports.module}.{stmt.name}"))
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):  # admin.site.register(EventLog, A)
                registered = site_registration(stmt.value, imports)
                if registered is not None:
                    out.append((stmt, *registered))
        return out


def _editable(code: ProjectCode, admin_cls: str | None) -> bool:
    """Django's default admin, or a project admin whose classes restrict neither change nor delete; False when a
    base comes from a package (unknown)."""
    if admin_cls is None:
        return True
    for a in code.ancestors(admin_cls):
        info = code.lookup(a)
        if info is None:
            if a.startswith("django.contrib.admin"):
                continue
            return False  # a package's admin: unknown
        if _RESTRICTING & set(info.methods):
            return False
    return True
