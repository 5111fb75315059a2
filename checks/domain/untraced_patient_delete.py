from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import SAVE_RECEIVER, ModelIndex, write_role
from ..facts.patient_data import CLINICAL_NAME_WHY, OWN_RECORD_WHY
from ..facts.raw_sql import NAME as RAW_SQL
from ..facts.views import all_views
from ..facts.write_paths import CASCADE_DELETE, inventory, overrides_delete
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
    deletes. Models with an audit mechanism are WG202's; the model itself is WG201's. A DRF view that answers
    DELETE with the destroy it inherits (`ModelViewSet`, `DestroyModelMixin`, `RetrieveUpdateDestroyAPIView`; no
    `destroy()`/`perform_destroy()` of the project's own, DELETE not removed from `http_method_names`) deletes its
    model's rows in DRF's code: it is flagged at the class.

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
        # The viewset withdraws instead of deleting, or answers no DELETE.
        Valid("""\
            from rest_framework import viewsets
            from clinic.models import Patient

            class PatientViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()

                def perform_destroy(self, instance):
                    instance.withdrawn = True
                    instance.save()

            class PatientReadViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
                http_method_names = ["get", "post", "patch"]
            """, path="clinic/api.py", files=(_MODELS,)),
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
        # DELETE /patients/<pk>/ runs DRF's own destroy(): Patient rows and their visits go, untraced.
        Invalid("""\
            from rest_framework import viewsets
            from clinic.models import Patient

            class PatientViewSet(viewsets.ModelViewSet):
                queryset = Patient.objects.all()
            """, line=4, path="clinic/api.py", files=(_MODELS,)),
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
        writes = inventory(self.ctx.src, models, code, self.ctx.project.fact(RAW_SQL), self.ctx.vocab, self.ctx.project)
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
        self._inherited_destroys(node, models, code)

    def _inherited_destroys(self, node: ast.Module, models: ModelIndex, code: ProjectCode) -> None:
        """DELETE answered by DRF's own destroy(): the view's model, and the patient rows that cascade from it."""
        for view in all_views(self.ctx, node):
            if not isinstance(view.node, ast.ClassDef) or not view.drf or view.unknown or view.unreachable:
                continue
            q = f"{self.ctx.imports.module}.{view.node.name}"
            ref = code.attr(q, "model")
            model = models.lookup(ref) if isinstance(ref, str) else None
            if model is None or not _inherits_destroy(code, q):
                continue
            rows = [(model.qualname, "delete")] if model.qualname in models.patient and not overrides_delete(
                model.qualname, code) else []
            if not overrides_delete(model.qualname, code):
                rows += [(child, CASCADE_DELETE) for child in models.cascaded_patient_models([model.qualname])
                         if models.patient_why.get(child, "").startswith((*OWN_RECORD_WHY, CLINICAL_NAME_WHY))]
            untraced = [(m, kind) for m, kind in rows if not models.audited.get(m)
                        or (models.audited.get(m) or "").startswith(SAVE_RECEIVER)]
            if not untraced:
                continue
            names = ", ".join(sorted({last_part(m) + (" (on_delete=CASCADE)" if kind == CASCADE_DELETE else "")
                                      for m, kind in untraced}))
            self.report(view.node, f"DELETE on {view.node.name} runs DRF's inherited destroy(): it deletes {names} "
                        "rows with no audit trail (no history, audit log or trigger records a delete), and nothing "
                        "records who deleted what.", end_line=view.node.lineno,
                        fix="Record the delete (a history on the model, or perform_destroy() calling the project's "
                        "audit service) or withdraw the rows (a soft delete) instead of deleting them.")


# DRF classes that answer DELETE with their own destroy().
_DESTROYING = frozenset({"DestroyModelMixin", "ModelViewSet", "DestroyAPIView", "RetrieveDestroyAPIView",
                         "RetrieveUpdateDestroyAPIView"})


def _inherits_destroy(code: ProjectCode, q: str) -> bool:
    """The view answers DELETE with DRF's destroy(): a destroying base, no destroy()/perform_destroy() of the
    project's own along its bases, and DELETE not left out of `http_method_names`."""
    ancestors = code.ancestors(q)
    if not any(last_part(a) in _DESTROYING for a in ancestors):
        return False
    if any((info := code.lookup(a)) is not None and {"destroy", "perform_destroy"} & set(info.methods)
           for a in ancestors):
        return False
    methods = code.attr(q, "http_methods")
    return not isinstance(methods, list) or "delete" in methods
