from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import VERSIONED_ROWS, ModelIndex, write_role
from ..facts.model_params import ModelParams, root_name
from ..facts.querysets import Scope, functions, is_trail_table, parent_map, statement_of
from ..facts.raw_sql import NAME as RAW_SQL
from ..facts.raw_sql import RawSqlIndex
from ..facts.write_paths import (
    calls_audit_service,
    command_not_installed,
    derived_only,
    in_revision,
    sees_every_write,
)
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_BULK = {"update": "QuerySet.update()", "bulk_update": "bulk_update()", "bulk_create": "bulk_create()"}
_MODELS = (
    "from django.db import models\nfrom simple_history.models import HistoricalRecords\n\n"
    "class Patient(models.Model):\n    mrn = models.CharField(max_length=9)\n    history = HistoricalRecords()\n\n"
    "class Encounter(models.Model):\n    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)\n"
    "    history = HistoricalRecords()\n\n"
    "class Drug(models.Model):\n    name = models.CharField(max_length=80)\n"
)
_FILES = (("clinic/models.py", _MODELS),)
_ADMIN = "from django.contrib import admin\nfrom clinic.models import Patient\n\n"


class AuditBypassingWrite(Check):
    """## What it does
    Flags writes that skip Django's model signals on a patient-data model that IS audited:
    `QuerySet.update()`, `bulk_update()`, `bulk_create()` and raw SQL writes
    (`cursor.execute(...)`/`executemany(...)`, `Model.objects.raw(...)`). The model is worked out
    from the queryset: `Patient.objects.filter(...)`, a variable assigned from a queryset earlier in
    the function, a ModelAdmin action's `queryset` (the admin's registered model), or
    `self.get_queryset()` in a view with `model`/`queryset`. Raw SQL is parsed with sqlglot: UPDATE,
    INSERT, DELETE, MERGE and TRUNCATE (also inside CTEs), with the text rebuilt from literals,
    concatenation, f-strings and `%`/`format()` with a literal table name, local variables and module
    constants (also imported ones); tables map to models by `Meta.db_table` or Django's
    `<app_label>_<model>`. SQL wardgate cannot parse, or whose table is named at run time, is unknown:
    listed in the WG020 note, never flagged. `QuerySet.delete()` sends delete signals and is not flagged,
    nor are simple-history's `bulk_create_with_history`/`bulk_update_with_history`, models tracked by
    database triggers (pghistory, `CREATE TRIGGER` in a migration), a write whose function also calls
    the project's explicit audit service, or rows of a reversion-registered model created in bulk by a management
    command, loader or scheduled job that opens no revision (`reversion.create_revision()`): reversion records a
    save only inside a revision, so there one `create()` per row would be recorded no more than the bulk load.
    A queryset update or raw UPDATE/DELETE of existing rows there is still flagged: their versions stop at the old
    values and nothing records the change. A bulk insert or update followed, in the same function, by a loop saving
    each row of the model (`save()` or `save_base()`) is not: those saves record every row's final value.

    ## Why is this bad?
    simple-history, auditlog and reversion record changes from `post_save`/`pre_save` signals. A
    queryset update or bulk write changes every matching clinical record with no history row: the
    chart says a prescription was superseded, but nobody can tell who did it or what it was before.

    ## Example
    ```python
    Prescription.objects.filter(patient=p, status="active").update(status="superseded")
    ```

    Use instead:
    ```python
    for rx in Prescription.objects.filter(patient=p, status="active"):
        rx.status = "superseded"
        rx.save(update_fields=["status"])
    # or: bulk_update_with_history(rows, Prescription, ["status"])
    ```
    """

    code = "WG202"
    name = "audit-bypassing-write"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 778
    summary = "Bulk or raw SQL write on an audited patient model bypasses the audit trail"

    VALID = (
        Valid("""\
            from clinic.models import Patient

            def purge(ids):
                Patient.objects.filter(pk__in=ids).delete()
            """, files=_FILES),
        Valid("""\
            from simple_history.utils import bulk_update_with_history
            from clinic.models import Patient

            def fix(rows):
                bulk_update_with_history(rows, Patient, ['mrn'])
            """, files=_FILES),
        Valid("""\
            from clinic.models import Drug

            def withdraw():
                stale = Drug.objects.filter(name='x')
                stale.update(name='y')
            """, files=_FILES),
        Valid("""\
            def merge(d, extra):
                d.update(extra)
            """, files=_FILES),
        Valid("""\
            from django.db import connection

            def fix():
                with connection.cursor() as c:
                    c.execute('UPDATE clinic_drug SET name = upper(name)')
            """, files=_FILES),
        Valid("""\
            from clinic.models import Encounter

            def close(e):
                e.status = 'closed'
                e.save()
            """,
              files=_FILES),
        # The same helper when its callers pass only catalogue models.
        Valid("""\
            def update_field(model, pk, **fields):
                model.objects.filter(pk=pk).update(**fields)
            """,
              path="clinic/helpers.py",
              files=(*_FILES, ("clinic/views.py", ("""\
            from clinic.helpers import update_field
            from clinic.models import Drug

            def rename(request, pk):
                update_field(Drug, pk, name='x')
            """)))),
        # Denormalised pointers and flags derived from other rows are bookkeeping, not clinical content
        # (more in [tool.wardgate.domain] bookkeeping_fields).
        Valid("""\
            from clinic.models import Encounter

            def mark(patient):
                Encounter.objects.filter(patient=patient).update(is_latest=False)
            """, files=_FILES),
        # A reset followed by a save of every row: the history records each row's final value.
        Valid("""\
            from clinic.models import Encounter

            def recompute():
                Encounter.objects.update(outcome="")
                for e in Encounter.objects.all():
                    e.outcome = classify(e)
                    e.save_base(update_fields=["outcome"])
            """, files=_FILES),
        # An existence flag set after loading the rows it stands for.
        Valid("""\
            from clinic.models import Encounter

            def loaded(patients):
                Encounter.objects.filter(patient__in=patients).update(has_results=True)
            """, files=_FILES),
        # A receipt of who looked at the rows, not their content.
        Valid("""\
            from django.utils import timezone
            from clinic.models import Encounter

            def seen(request, patient):
                Encounter.objects.filter(patient=patient, viewed_at=None).update(
                    viewed_at=timezone.now(), viewed_by=request.user.username)
            """, files=_FILES),
        # Bulk insert, then every row saved again: those saves write the history.
        Valid("""\
            from clinic.models import Encounter

            def load(rows):
                Encounter.objects.bulk_create(rows)
                for e in Encounter.objects.all():
                    e.save()
            """, files=_FILES),
        # An event log that points at any row (generic reference + JSON value) is the trail itself.
        Valid("""\
            from clinic.events import ConsultationEvent

            def supersede(c):
                ConsultationEvent.objects.filter(object_id=c.pk).update(value={})
            """,
              files=(*_FILES, ("clinic/events.py", ("""\
            from django.db import models
            from simple_history.models import HistoricalRecords

            class ConsultationEvent(models.Model):
                patient = models.ForeignKey('clinic.Patient', on_delete=models.CASCADE)
                object_id = models.IntegerField()
                value = models.JSONField()
                history = HistoricalRecords()
            """)))),
        # Raw SQL that only reads, SQL wardgate cannot parse, and a table named at run time: never a finding.
        Valid("""\
            from django.db import connection

            def report(pk):
                with connection.cursor() as c:
                    c.execute('SELECT mrn FROM clinic_patient WHERE id = %s', [pk])
            """, files=_FILES),
        Valid("""\
            from django.db import connection

            def fix():
                with connection.cursor() as c:
                    c.execute("UPDATE clinic_patient SET mrn = 'x")
            """, files=_FILES),
        Valid("""\
            from django.db import connection

            def fix(table):
                with connection.cursor() as c:
                    c.execute(f'UPDATE {table} SET mrn = NULL')
            """, files=_FILES),
        # An explicit audit call in the same function records the change.
        Valid("""\
            from django.db import connection
            from clinic.audit import Auditor

            def fix(pk):
                with connection.cursor() as c:
                    c.execute('UPDATE clinic_patient SET mrn = NULL WHERE id = %s', [pk])
                Auditor().audit_update('Patient', pk)
            """,
              files=(*_FILES, ("clinic/audit.py", ("""\
            from django.db import models

            class AuditEntry(models.Model):
                object_id = models.IntegerField()

            class Auditor:
                def audit_update(self, model, pk):
                    AuditEntry.objects.create(object_id=pk)
            """)))),
        # A database trigger sees raw SQL too.
        Valid("""\
            from django.db import connection

            def fix():
                with connection.cursor() as c:
                    c.execute('UPDATE clinic_visit SET notes = NULL')
            """,
              files=(("clinic/models.py", ("""\
            from django.db import models

            class Patient(models.Model):
                mrn = models.CharField(max_length=9)

            class Visit(models.Model):
                patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
                notes = models.TextField()
            """)),
                     ("clinic/migrations/0002_trigger.py", ("""\
            from django.db import migrations

            SQL = 'CREATE TRIGGER visit_audit AFTER UPDATE ON clinic_visit FOR EACH ROW EXECUTE FUNCTION audit()'
            """)))),
        # A command of an app installed only outside production (`if DJANGO_ENV != "production":`).
        Valid("""\
            from django.db import connection

            class Command:
                def handle(self):
                    connection.cursor().execute('TRUNCATE TABLE clinic_patient CASCADE')
            """,
              path="demo/management/commands/reset_demo.py",
              files=(*_FILES, ("proj/settings.py", ("""\
            INSTALLED_APPS = ['clinic']
            if ENV != 'production':
                INSTALLED_APPS.append('demo')
            """)))),
        # A data migration (also in a renamed folder such as migrations_old/) works on historical models.
        Valid("""\
            from django.db import migrations

            def fwd(apps, schema_editor):
                Patient = apps.get_model('clinic', 'Patient')
                Patient.objects.filter(mrn='').update(mrn=None)
            """,
              path="clinic/migrations_old/0042_blank_mrn.py", files=_FILES),
    )
    INVALID = (
        # Through the project's own QuerySet method (`open()` returns `self.filter(...)`), kept in a variable.
        Invalid("""\
            from clinic.models import Visit

            def close_stale():
                stale = Visit.objects.open().filter(ward="A")
                stale.update(closed=True)
            """, line=5, files=(("clinic/models.py", """\
                from django.db import models
                from simple_history.models import HistoricalRecords

                class VisitQuerySet(models.QuerySet):
                    def open(self):
                        return self.filter(closed=False)

                class Visit(models.Model):
                    mrn = models.CharField(max_length=9)
                    ward = models.CharField(max_length=9)
                    closed = models.BooleanField(default=False)
                    history = HistoricalRecords()
                    objects = VisitQuerySet.as_manager()
                """),)),
        # A central helper that takes the model as a parameter: its callers pass audited patient models.
        Invalid("""\
            def update_field(model, pk, **fields):
                model.objects.filter(pk=pk).update(**fields)
            """,
                line=2, path="clinic/helpers.py",
                files=(*_FILES, ("clinic/views.py", ("""\
            from clinic.helpers import update_field
            from clinic.models import Encounter

            def close(request, pk):
                update_field(Encounter, pk, status='closed')
            """)))),
        Invalid("""\
            from clinic.models import Encounter

            def close(cutoff):
                stale = Encounter.objects.filter(started_at__lt=cutoff)
                n = stale.update(status='closed')
            """,
                line=5, files=_FILES),
        Invalid("""\
            from clinic import models as m

            def normalise(rows):
                m.Patient.objects.bulk_update(rows, ['mrn'], batch_size=500)
            """, line=4, files=_FILES),
        Invalid("""\
            from django.contrib import admin
            from clinic.models import Patient

            @admin.register(Patient)
            class PatientAdmin(admin.ModelAdmin):
                def archive(self, request, queryset):
                    queryset.update(is_active=False)
            """,
                line=7, path="clinic/admin.py", files=_FILES),
        Invalid("""\
            from django.contrib import admin
            from clinic.models import Patient

            class PatientAdmin(admin.ModelAdmin):
                actions = ['archive']

                def archive(self, request, queryset):
                    queryset.update(is_active=False)

            admin.site.register(Patient, PatientAdmin)
            """, line=8, path="clinic/admin.py", files=_FILES),
        Invalid("""\
            from django.db import connection

            def backfill():
                with connection.cursor() as cursor:
                    cursor.execute('UPDATE clinic_encounter SET department_id = 1 WHERE department_id IS NULL')
            """,
                line=5, files=_FILES),
        # The same command in an installed app.
        Invalid("""\
            from django.db import connection

            class Command:
                def handle(self):
                    connection.cursor().execute('TRUNCATE TABLE clinic_patient CASCADE')
            """, line=5,
                path="clinic/management/commands/reset.py",
                files=(*_FILES, ("proj/settings.py", "INSTALLED_APPS = ['clinic']\n"))),
        # SQL kept in a module constant, in another module, or built with a literal table name.
        Invalid("""\
            from django.db import connection

            CLOSE = 'UPDATE clinic_encounter SET patient_id = NULL'

            def close():
                with connection.cursor() as c:
                    c.execute(CLOSE)
            """, line=7, files=_FILES),
        Invalid("""\
            from django.db import connection
            from clinic.sql import MERGE_PATIENTS

            def merge():
                connection.cursor().execute(MERGE_PATIENTS)
            """, line=5,
                files=(*_FILES, ("clinic/sql.py", ("""\
            MERGE_PATIENTS = (
                'MERGE INTO clinic_patient t USING staging s '
                'ON t.id = s.id WHEN MATCHED THEN UPDATE SET mrn = s.mrn'
            )
            """)))),
        Invalid("""\
            from django.db import connection

            def purge(ids):
                where = ','.join(ids)
                with connection.cursor() as c:
                    c.execute(f'DELETE FROM clinic_encounter WHERE id IN ({where})')
            """, line=6, files=_FILES),
        Invalid("""\
            from django.views.generic import ListView
            from clinic.models import Encounter

            class CloseAll(ListView):
                model = Encounter

                def post(self, request):
                    self.get_queryset().update(status='closed')
            """, line=8, files=_FILES),
        # A project's own signal-based audit log is bypassed by a queryset update just the same.
        Invalid("""\
            from ward.models import DailyRound

            def close(cutoff):
                DailyRound.objects.filter(taken_at__lt=cutoff).update(status='closed')
            """, line=4,
                files=(("ward/models.py", ("""\
            from django.db import models

            class DailyRound(models.Model):
                notes = models.TextField()
            """)),
                       ("audit_log/receivers.py", ("""\
            from django.db.models.signals import post_save
            from django.dispatch import receiver

            @receiver(post_save)
            def post_save_signal(sender, instance, **kwargs):
                log(instance)
            """)))),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None or not models.audited or command_not_installed(self.ctx.imports.module, code):
            return  # nothing audited, or a command manage.py cannot run in the deployed settings
        parents: dict[ast.AST, ast.AST] | None = None
        params: ModelParams | None = self.ctx.project.fact("model_params")
        batch = write_role(self.ctx.src) == "batch"
        for fn, cls in functions(node):
            klass = f"{self.ctx.imports.module}.{cls.name}" if cls else None
            if calls_audit_service(f"{klass or self.ctx.imports.module}.{fn.name}", models):
                continue  # an explicit audit call in the same function records the change
            scope = Scope.of(fn, self.ctx.imports, models, code, klass)
            helper = None if cls else f"{self.ctx.imports.module}.{fn.name}"
            # reversion records saves only inside a revision: in a command that opens none, create() would record
            # nothing either, so loading new rows in bulk there loses nothing the trail had. Changing rows that
            # exist does: their versions stop at the old values with no record of the change.
            no_revision = batch and not in_revision(fn, self.ctx.imports)
            for call in walk(fn):
                if not isinstance(call, ast.Call):
                    continue
                hit = self._bypass(call, scope, models, no_revision) or \
                    self._through_parameter(call, helper, params, models, no_revision)
                if hit:
                    parents = parents or self.ctx.shared("parents", lambda: parent_map(node))
                    self.report(statement_of(call, parents), hit[0], fix=hit[1])

    def _bypass(self, call: ast.Call, scope: Scope, models: ModelIndex, no_revision: bool) -> tuple[str, str] | None:
        func = call.func
        meth = func.attr if isinstance(func, ast.Attribute) else last_part(self.qualname(func))
        if meth in _BULK and isinstance(func, ast.Attribute):
            if scope.is_history(func.value):
                return None  # tampering with the trail itself: WG203
            model = scope.model_of(func.value)
            if meth == "update" and derived_only(call, self.ctx.vocab.bookkeeping_fields):
                return None  # denormalised pointers and flags (`is_latest=False`, `last_round=...`)
            if model and meth in ("bulk_create", "update") and scope.fn is not None \
                    and _saved_again(scope.fn, model, scope, after=call.lineno):
                return None  # each row is saved afterwards: that save writes the history of its final values
            if model and self._audited_patient(model, models, no_revision and meth == "bulk_create"):
                name = last_part(model)
                alt = {"update": f"save() each {name} (or use bulk_update_with_history)",
                       "bulk_update": "simple_history.utils.bulk_update_with_history(...) or save() per row",
                       "bulk_create": "simple_history.utils.bulk_create_with_history(...) or create() per row"}
                return ((f"{_BULK[meth]} on audited patient model {name} sends no save signals: "
                        f"the {models.audit_of(model)} audit trail records nothing."),
                        f"Use {alt[meth]}, so each change is recorded in the audit trail.")
        if meth in ("execute", "executemany", "raw") and call.args:
            raw: RawSqlIndex | None = self.ctx.project.fact(RAW_SQL)
            site = raw.at(self.ctx.path, call.lineno, call.col_offset) if raw is not None else None
            if site is None:
                return None  # not a raw SQL call site wardgate resolved; unknown SQL never gates
            for w in site.writes:
                if is_trail_table(w.table):
                    continue  # WG203
                model = scope.table_model(w.table)
                if model and self._audited_patient(model, models, no_revision and w.kind == "INSERT"):
                    return ((f"Raw SQL {w.kind} of {w.table} (audited patient model {last_part(model)}) bypasses the "
                            f"ORM and the {models.audit_of(model)} audit trail, which records only ORM saves."),
                            ("Change the rows through the ORM (instance.save()) or a history-aware bulk helper, "
                            "or record the change with the project's audit service in the same function."))
        return None

    def _through_parameter(self, call: ast.Call, helper: str | None, params: ModelParams | None,
                           models: ModelIndex, no_revision: bool) -> tuple[str, str] | None:
        """`model.objects.filter(pk=pk).update(...)` in a helper whose callers pass audited patient models."""
        func = call.func
        if helper is None or params is None or not isinstance(func, ast.Attribute) or func.attr not in _BULK:
            return None
        root = root_name(func.value)
        if root is None:
            return None
        no_revision = no_revision and func.attr == "bulk_create"
        passed = sorted(last_part(m) for m in params.models_for(helper, root.id)
                        if self._audited_patient(m, models, no_revision))
        if not passed:
            return None
        mech = models.audit_of(next(m for m in params.models_for(helper, root.id)
                                    if self._audited_patient(m, models, no_revision)))
        n = params.callers.get((helper, root.id), 0)
        return ((f"{_BULK[func.attr]} on `{root.id}` sends no save signals, and {n} caller(s) pass audited patient "
                f"models ({', '.join(passed[:5])}{', ...' if len(passed) > 5 else ''}): the {mech} audit trail "
                "records none of these changes."),
                "Fetch the row and save() it (or use the audit library's bulk helpers), so each change is recorded.")

    @staticmethod
    def _audited_patient(model: str, models: ModelIndex, no_revision: bool = False) -> bool:
        mech = models.audit_of(model)
        # (a model that keeps its own versions records no signal: a queryset write skips nothing it listens to)
        return mech is not None and not sees_every_write(mech) and not mech.startswith(VERSIONED_ROWS) \
            and not (no_revision and mech.startswith("reversion")) and models.is_patient_model(model)


def _saved_again(fn: ast.AST, model: str, scope: Scope, after: int = 0) -> bool:
    """The function later saves rows of the same model one by one (`for c in Case.objects.all(): c.save()`,
    or `save_base()`), in a loop after line `after`."""
    for loop in walk(fn):
        if getattr(loop, "lineno", 0) <= after:
            continue
        it, tgt = (loop.iter, loop.target) if isinstance(loop, ast.For) else (None, None)
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "enumerate" and it.args:
            it = it.args[0]  # `for i, row in enumerate(Case.objects.all())`
            tgt = tgt.elts[-1] if isinstance(tgt, ast.Tuple) and tgt.elts else tgt
        if it is not None and scope.model_of(it) == model:
            target = tgt.id if isinstance(tgt, ast.Name) else None
            if target and any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                              and n.func.attr in ("save", "save_base")
                              and isinstance(n.func.value, ast.Name) and n.func.value.id == target
                              for n in walk(loop)):
                return True
    return False
