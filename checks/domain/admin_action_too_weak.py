from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode, admin_action, is_write, writes_in, writing_methods
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_FILES = (("clinic/models.py", """\
    from django.db import models

    class LabResult(models.Model):
        value = models.DecimalField(max_digits=8, decimal_places=2)

    class Prescription(models.Model):
        drug = models.CharField(max_length=80)
    """),)


class AdminActionTooWeak(Check):
    """## What it does
    Flags a Django admin action declared with `permissions=["view"]` (so any admin user who may only
    *view* the records can run it) whose body changes patient data: it saves, updates, deletes or
    creates rows of a patient-data model.

    ## Why is this bad?
    Django runs an action for every user who holds the permissions it declares. `permissions=["view"]`
    on an action that rewrites lab results or creates prescriptions hands a write to read-only staff
    (auditors, students, support desks), bypassing the change/add permissions the admin otherwise checks.

    ## Example
    ```python
    @admin.action(description="Re-run reference ranges", permissions=["view"])
    def recalc(self, request, queryset):
        queryset.update(flag="")
    ```

    Use instead:
    ```python
    @admin.action(description="Re-run reference ranges", permissions=["change"])
    def recalc(self, request, queryset):
        queryset.update(flag="")
    ```
    """

    code = "WG305"
    name = "admin-action-too-weak"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 285
    summary = "Admin action runs for view-only users but changes patient data"

    VALID = (
        Valid("""\
            from django.contrib import admin
            from clinic.models import LabResult, Prescription

            @admin.register(LabResult)
            class LabAdmin(admin.ModelAdmin):
                @admin.action(permissions=['change'])
                def clear(self, request, queryset):
                    queryset.update(value=0)
            """, path="clinic/admin.py", files=_FILES),
        Valid("""\
            from django.contrib import admin
            from clinic.models import LabResult, Prescription

            @admin.register(LabResult)
            class LabAdmin(admin.ModelAdmin):
                @admin.action(permissions=['view'])
                def export(self, request, queryset):
                    return list(queryset.values('value'))
            """, path="clinic/admin.py", files=_FILES),
    )
    INVALID = (
        Invalid("""\
            from django.contrib import admin
            from clinic.models import LabResult, Prescription

            @admin.register(LabResult)
            class LabAdmin(admin.ModelAdmin):
                @admin.action(permissions=['view'])
                def clear(self, request, queryset):
                    queryset.update(value=0)
            """, line=7, path="clinic/admin.py", files=_FILES),
        Invalid("""\
            from django.contrib import admin
            from clinic.models import LabResult, Prescription

            @admin.action(permissions=['view'])
            def renew(modeladmin, request, queryset):
                for p in queryset:
                    Prescription.objects.create(drug=p.drug)

            @admin.register(Prescription)
            class RxAdmin(admin.ModelAdmin):
                actions = [renew]
            """, line=5, path="clinic/admin.py", files=_FILES),
        # The rows are saved by a helper method of the admin; `save_base()` still writes them.
        Invalid("""\
            from django.contrib import admin
            from clinic.models import LabResult, Prescription

            @admin.register(LabResult)
            class LabAdmin(admin.ModelAdmin):
                @admin.action(permissions=['view'])
                def recalculate(self, request, queryset):
                    for result in queryset:
                        result.value = result.value * 2
                        self._store(result)

                def _store(self, result):
                    result.save_base()
            """, line=7, path="clinic/admin.py", files=_FILES),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None:
            return
        module = self.ctx.imports.module
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._action(stmt, None, models, code)
            elif isinstance(stmt, ast.ClassDef):
                writing = set(writing_methods(stmt))  # an action may save through a helper method of its admin
                for m in stmt.body:
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self._action(m, f"{module}.{stmt.name}", models, code, m.name in writing)

    def _action(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, admin_cls: str | None, models: ModelIndex,
                code: ProjectCode, writes: bool | None = None) -> None:
        action = admin_action(fn, self.ctx.imports)
        if action is None or action.permissions is None or set(action.permissions) - {"view"} or not (
                writes_in(fn) if writes is None else writes):
            return
        touched = self._patient_models(fn, admin_cls, models, code)
        if touched:
            self.report(fn, f"Admin action {fn.name} declares permissions={action.permissions!r}, so view-only "
                        f"users can run it, but it changes patient data ({', '.join(touched)}).",
                        fix="Declare the permission the change needs, e.g. permissions=['change'] (or 'add'/'delete').")

    def _patient_models(self, fn: ast.AST, admin_cls: str | None, models: ModelIndex, code: ProjectCode) -> list[str]:
        """The patient models the action writes: its admin's model (the queryset's rows) and those named in a write
        (`Rx.objects.create(...)`); else every patient model it names (the writes go through helpers)."""
        def named(nodes: list[ast.AST]) -> set[str]:
            return {last_part(q) for q in (self.ctx.imports.qualname(n) for n in nodes
                                           if isinstance(n, (ast.Name, ast.Attribute))) if q and models.is_patient_model(q)}
        written = named([n for c in walk(fn) if isinstance(c, ast.Call) and is_write(c) for n in walk(c.func)])
        if admin_cls:
            registered = next((code.admin_models[a] for a in code.ancestors(admin_cls) if a in code.admin_models), None)
            if registered and models.is_patient_model(registered):
                written.add(last_part(registered))
        return sorted(written or named(list(walk(fn))))
