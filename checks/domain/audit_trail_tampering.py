from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.querysets import Scope, functions, is_trail_table, parent_map, statement_of
from ..facts.raw_sql import NAME as RAW_SQL
from ..facts.raw_sql import RawSqlIndex
from ..finding import Category, Confidence, Severity
from ..names import matches
from ..source import SourceFile
from ..walk import walk

_WRITES = ("delete", "update", "bulk_update", "bulk_create", "raw")
_SWITCH_OFF = ("auditlog.context.disable_auditlog", "auditlog.registry.auditlog.unregister",
               "auditlog.unregister", "simple_history.utils.disable_history")
_FILES = (("clinic/models.py", """\
    from django.db import models
    from simple_history.models import HistoricalRecords

    class Patient(models.Model):
        mrn = models.CharField(max_length=9)
        history = HistoricalRecords()
    """),)


class AuditTrailTampering(Check):
    """## What it does
    Flags code that deletes or rewrites audit-trail rows, or switches auditing off:
    deleting/updating simple-history rows (`Patient.history.filter(...).delete()`,
    `HistoricalPatient.objects...update()`), django-auditlog `LogEntry` rows, reversion `Version`s,
    the admin log (also when reached through the libraries' manager methods such as reversion's
    `Version.objects.get_for_model(M)` / `get_for_object(obj)` / `get_deleted(M)`); raw SQL writes to those tables; `instance.skip_history_when_saving = True`;
    auditlog's `disable_auditlog()` and `auditlog.unregister()`. Reversion's
    `create_revision(manage_manually=True)` still records revisions and is not flagged.

    ## Why is this bad?
    The audit trail is the hospital's evidence of who saw and changed a patient's record
    (HIPAA §164.312(b) audit controls; retention rules for medical records). Code that purges or
    silences it destroys that evidence — often with a plausible reason (retention, autosave noise,
    a data fix) that belongs in a reviewed archival process, not in application code.

    ## Example
    ```python
    Patient.history.filter(history_date__lt=cutoff).delete()
    encounter.skip_history_when_saving = True
    ```

    Use instead:
    ```python
    # Archive history with the records-management process (export, verify, then retain per policy);
    # save drafts to a separate draft model instead of silencing the clinical record's history.
    encounter.save(update_fields=["clinical_notes"])
    ```
    """

    code = "WG203"
    name = "audit-trail-tampering"
    category = Category.AUDIT_TRAIL
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 117
    summary = "Audit-trail rows deleted or rewritten, or auditing switched off"

    VALID = (
        Valid("""\
            from auditlog.models import LogEntry

            def history_of(obj):
                return LogEntry.objects.get_for_object(obj).order_by('-timestamp')
            """),
        Valid("""\
            import reversion

            def save_all(objs):
                with reversion.create_revision(manage_manually=True):
                    for o in objs:
                        o.save()
            """),
        Valid("""\
            from clinic.models import Patient

            def purge():
                Patient.objects.filter(mrn='').delete()
            """, files=_FILES),
        Valid("""\
            def undo(patient):
                del patient.skip_history_when_saving
                patient.save()
            """),
        Valid("""\
            def clear(browser):
                browser.history.clear()
            """),
        # Reading reversion history through its manager methods is fine.
        Valid("""\
            from reversion.models import Version

            def versions_of(obj):
                return Version.objects.get_for_object(obj).order_by('-pk')
            """),
        # Trap: `get_for_model` on a manager that is not an audit library's.
        Valid("""\
            from django.contrib.contenttypes.models import ContentType

            def drop(model):
                ContentType.objects.get_for_model(model).delete()
            """),
    )
    INVALID = (
        Invalid("""\
            from clinic.models import Patient

            def purge(cutoff):
                deleted, _ = Patient.history.filter(history_date__lt=cutoff).delete()
            """, line=4, files=_FILES),
        Invalid("""\
            from auditlog import models as am

            def purge(ct, before):
                am.LogEntry.objects.filter(content_type=ct, timestamp__lt=before).delete()
            """, line=4),
        Invalid("""\
            from auditlog.context import disable_auditlog as quiet

            def rescale(qs):
                with quiet():
                    for r in qs:
                        r.save()
            """, line=4),
        Invalid("""\
            def autosave(encounter):
                encounter.skip_history_when_saving = True
                encounter.save()
            """, line=2),
        Invalid("""\
            from clinic.models import HistoricalPatient

            def scrub():
                HistoricalPatient.objects.filter(history_user=None).update(history_change_reason='')
            """, line=4),
        Invalid("""\
            from django.db import connection

            def purge():
                sql = 'DELETE FROM clinic_historicalpatient'
                connection.cursor().execute(sql)
            """, line=5),
        # Reversion history reached through its manager methods, then deleted or rewritten.
        Invalid("""\
            from reversion.models import Version as V
            from clinic.models import Patient

            def purge(cutoff):
                V.objects.get_for_model(Patient).filter(revision__date_created__lt=cutoff).delete()
            """, line=5, files=_FILES),
        Invalid("""\
            import reversion.models

            def scrub(obj):
                old = reversion.models.Version.objects.get_for_object(obj)
                old.update(serialized_data='{}')
            """, line=5),
        Invalid("""\
            from reversion.models import Version
            from clinic.models import Patient

            def forget():
                Version.objects.get_deleted(Patient).delete()
            """, line=5, files=_FILES),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex = self.ctx.project.fact("django_models") or ModelIndex()
        code: ProjectCode = self.ctx.project.fact("django_code") or ProjectCode()
        parents = self.ctx.shared("parents", lambda: parent_map(node))
        for fn, cls in functions(node):
            klass = f"{self.ctx.imports.module}.{cls.name}" if cls else None
            scope = Scope.of(fn, self.ctx.imports, models, code, klass)
            for n in walk(fn):
                if isinstance(n, ast.Call):
                    self._call(n, scope, parents)
        for n in self.ctx.src.nodes:
            if isinstance(n, (ast.Assign, ast.AnnAssign)):
                self._assign(n)

    def _call(self, call: ast.Call, scope: Scope, parents: dict[ast.AST, ast.AST]) -> None:
        func = call.func
        q = self.qualname(func)
        if matches(q, *_SWITCH_OFF):
            self.report(statement_of(call, parents), f"Auditing switched off ({q}): changes made here leave no trail.",
                        fix="Keep auditing on; if a bulk data fix is needed, run it through a reviewed, "
                        "audited data-migration and record a change reason.", severity=Severity.HIGH)
            return
        if not isinstance(func, ast.Attribute):
            return
        if func.attr in _WRITES and func.attr != "raw" and scope.is_history(func.value):
            self.report(statement_of(call, parents),
                        f"{func.attr}() on audit-trail rows: this destroys or rewrites the record of who changed "
                        "patient data.",
                        fix="Do not delete or edit audit rows from application code; archive them with the "
                        "records-retention process (export, verify, sign-off).")
        elif func.attr in ("execute", "executemany", "raw") and call.args:
            raw: RawSqlIndex | None = self.ctx.project.fact(RAW_SQL)
            site = raw.at(self.ctx.path, call.lineno, call.col_offset) if raw is not None else None
            writes = [w for w in site.writes if is_trail_table(w.table)] if site is not None else []
            if writes:
                self.report(statement_of(call, parents),
                            f"Raw SQL {writes[0].kind} of audit table {writes[0].table}: this destroys or rewrites "
                            "the audit trail.",
                            fix="Leave audit tables to the audit library; archive per the retention policy.")

    def _assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        truthy = isinstance(value, ast.Constant) and bool(value.value)
        for t in targets:
            name = t.attr if isinstance(t, ast.Attribute) else t.id if isinstance(t, ast.Name) else ""
            if name == "skip_history_when_saving" and isinstance(t, ast.Attribute) and truthy:
                self.report(node, "skip_history_when_saving = True: the next save of this record writes no history.",
                            fix="Remove it; keep autosave drafts in a separate draft model, or accept the history "
                            "rows (simple-history can de-duplicate with `history.diff_against`).",
                            severity=Severity.HIGH)
            elif name == "SIMPLE_HISTORY_ENABLED" and isinstance(value, ast.Constant) and value.value is False:
                self.report(node, "SIMPLE_HISTORY_ENABLED = False switches simple-history off project-wide.",
                            fix="Remove the setting (history is on by default).", severity=Severity.HIGH)
