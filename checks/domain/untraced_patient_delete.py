from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import SAVE_RECEIVER, ModelIndex, write_role
from ..facts.write_paths import CASCADE_DELETE, file_writes, overrides_delete
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        mrn = models.CharField(max_length=9)

    class Submission(models.Model):
        created = models.DateTimeField(auto_now_add=True)

    class Visit(models.Model):
        patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
        submission = models.ForeignKey(Submission, on_delete=models.CASCADE)
        weight_kg = models.FloatField()
    """)
# The same visits with a diagnosis of their own: records whose cascade delete is reported.
_WITH_DIAGNOSIS = ("clinic/models.py", _MODELS[1].replace(
    "        weight_kg = models.FloatField()\n", "        weight_kg = models.FloatField()\n        diagnosis = models.TextField()\n"))
# ...whose saves a receiver of the project's records in a change log.
_SAVES_LOGGED = ("clinic/models.py", _MODELS[1] + """\

    class ChangeLog(models.Model):
        body = models.JSONField()

    def log_visit(sender, instance, **kwargs):
        ChangeLog.objects.create(body={"visit": instance.pk})

    models.signals.pre_save.connect(log_visit, sender=Visit)
    """)
_DELETES = frozenset({"delete", "queryset delete", "raw SQL DELETE", "raw SQL TRUNCATE", CASCADE_DELETE})


class UntracedPatientDelete(Check):
    """## What it does
    Flags a delete of patient-data rows in request-handling code (views, forms, serializers, admin) when the
    model has no audit mechanism at all: no simple-history, auditlog, reversion, pghistory, audit signal
    receiver or database trigger (or only a project receiver of its save signal, which sees no delete), and the
    project audits nothing by explicit service calls or a request-audit decorator (a view without those is WG204's). `instance.delete()`,
    `QuerySet.delete()` (also through related managers: `submission.visits.all().delete()`) and raw SQL
    `DELETE`/`TRUNCATE` count, and so does the delete of any row whose patient-data rows Django deletes with it
    (their foreign key to it says `on_delete=CASCADE`). A model that overrides `delete()` (a soft delete) is not flagged for instance
    deletes. Models with an audit mechanism are WG202's; the model itself is WG201's.

    ## Why is this bad?
    A delete leaves nothing behind: no row, no history row, no record of who removed a patient's visits or
    when. When a clinician or auditor later asks where a record went, the answer is gone with it. HIPAA
    §164.312(b) audit controls; §164.316(b)(2) retention of records of activity.

    ## Example
    ```python
    def delete_submission(request, pk):
        submission = Submission.objects.get(pk=pk)
        submission.visit_set.all().delete()
    ```

    Use instead: give the model a history (`history = HistoricalRecords()`) or record the delete with the
    project's audit service before it happens, or mark the rows withdrawn instead of deleting them.
    """

    code = "WG206"
    name = "untraced-patient-delete"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 778
    summary = "Patient records deleted by request-handling code, with no audit trail of any kind"
    hipaa = "§164.312(b) audit controls; §164.316(b)(2) retention"

    VALID = (
        # The model keeps a history: the delete is recorded.
        Valid("""\
            from clinic.models import Visit

            def remove(request, pk):
                Visit.objects.get(pk=pk).delete()
            """, path="clinic/views.py", files=(("clinic/models.py", _MODELS[1].replace(
                "        weight_kg = models.FloatField()\n",
                "        weight_kg = models.FloatField()\n        history = HistoricalRecords()\n").replace(
                "    from django.db import models\n",
                "    from django.db import models\n    from simple_history.models import HistoricalRecords\n")),)),
        # A management command's purge is a retention job, not a request.
        Valid("""\
            from django.core.management.base import BaseCommand
            from clinic.models import Visit

            class Command(BaseCommand):
                def handle(self, **opts):
                    Visit.objects.filter(weight_kg__isnull=True).delete()
            """, path="clinic/management/commands/purge.py", files=(_MODELS,)),
        # Not patient data, and the visits that point at it are protected from the delete.
        Valid("""\
            from clinic.models import Submission

            def remove(request, pk):
                Submission.objects.filter(pk=pk).delete()
            """, path="clinic/views.py", files=(("clinic/models.py", _MODELS[1].replace(
                "models.ForeignKey(Submission, on_delete=models.CASCADE)",
                "models.ForeignKey(Submission, on_delete=models.PROTECT)")),)),
        # A submission this request made, removed again when the rest fails; and one whose delete() only marks it.
        Valid("""\
            from clinic.models import Submission

            def submit(request):
                submission = Submission()
                submission.save()
                if not request.POST.get("ok"):
                    submission.delete()
            """, path="clinic/views.py", files=(_WITH_DIAGNOSIS,)),
        Valid("""\
            from clinic.models import Submission

            def remove(request, pk):
                Submission.objects.get(pk=pk).delete()
            """, path="clinic/views.py", files=(("clinic/models.py", _WITH_DIAGNOSIS[1].replace(
                "        created = models.DateTimeField(auto_now_add=True)\n",
                "        created = models.DateTimeField(auto_now_add=True)\n        removed = models.BooleanField(default=False)\n\n"
                "        def delete(self):\n            self.removed = True\n            self.save()\n")),)),
    )
    INVALID = (
        Invalid("""\
            from django.shortcuts import get_object_or_404
            from clinic.models import Visit

            def remove(request, pk):
                visit = get_object_or_404(Visit, pk=pk)
                visit.delete()
            """, line=6, path="clinic/views.py", files=(_MODELS,)),
        # The project's receiver logs each save of a visit; the delete sends no save signal.
        Invalid("""\
            from clinic.models import Visit

            def purge(request):
                Visit.objects.filter(weight_kg__isnull=True).delete()
            """, line=4, path="clinic/views.py", files=(_SAVES_LOGGED,)),
        Invalid("""\
            from clinic.models import Patient

            def forget(request, pk):
                Patient.objects.filter(pk=pk).delete()
            """, line=4, path="clinic/views.py", files=(_MODELS,)),
        # Through a related manager: the submission's visits go with no trace.
        Invalid("""\
            from clinic.models import Submission

            def withdraw(request, pk):
                submission = Submission.objects.get(pk=pk)
                submission.visit_set.all().delete()
                submission.delete()
            """, line=5, path="clinic/views.py", files=(_MODELS,)),
        # Deleting the submission deletes its visits and their diagnoses: their foreign key to it says
        # on_delete=CASCADE. (Rows that are patient data only by their link, such as a participant's pending
        # scheduled events, are not counted when they go with what they hang off.)
        Invalid("""\
            from clinic.models import Submission

            def remove(request, pk):
                Submission.objects.get(pk=pk).delete()
            """, line=4, path="clinic/views.py", files=(_WITH_DIAGNOSIS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return write_role(src) == "request"

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if models is None or code is None or models.explicit_audit or models.audit_decorators:
            return  # a project that audits by explicit calls or a request decorator: WG204 names what lacks them
        writes = file_writes(self.ctx, models, code)
        calls = {n.lineno: n for n in self.ctx.src.nodes if isinstance(n, ast.Call)}
        explicit = {(w.function, w.model) for w in writes if w.kind in _DELETES and w.kind != CASCADE_DELETE}
        for w in writes:
            mechanism = models.audited.get(w.model)
            # (a receiver of the model's save signal records saves: its deletes are as untraced as with none)
            saves_only = (mechanism or "").startswith(SAVE_RECEIVER)
            if w.kind not in _DELETES or w.seen is not False or mechanism and not saves_only:
                continue
            if w.kind == CASCADE_DELETE and (w.function, w.model) in explicit:
                continue  # the function deletes those rows itself: reported there
            if w.kind == "delete" and overrides_delete(w.model, code):
                continue  # `Model.delete()` of its own: a soft delete, or one that records itself
            call = calls.get(w.line)
            if call is None:
                continue
            how = "with the row deleted here (their foreign key says on_delete=CASCADE)" if w.kind == CASCADE_DELETE \
                else f"({w.kind})"
            trail = f"its {(mechanism or '').split(' (', 1)[0]} records saves only" if saves_only else \
                f"{last_part(w.model)} has no history, audit log or trigger"
            self.report(call, f"{last_part(w.model)} rows deleted {how} in {last_part(w.function or '?')}() "
                        f"with no audit trail: {trail}, and nothing here records who deleted what.", end_node=call,
                        fix="Record the delete (a history on the model, or the project's audit service before it) or "
                        "withdraw the rows instead of deleting them.")
