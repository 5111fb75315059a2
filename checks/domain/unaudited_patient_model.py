from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import SAVE_RECEIVER, VERSIONED_ROWS, ModelIndex, ModelInfo
from ..facts.write_paths import edited_by_a_class, imported_only, never_changed
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# A proxy of a patient model, edited through its own admin (the parent's history decides whether saves are recorded).
_PROXY = """\
            from django.contrib import admin
            from django.db import models
            from simple_history.models import HistoricalRecords

            class Consent(models.Model):
                first_name = models.CharField(max_length=50)
                dob = models.DateField()
                history = HistoricalRecords()

            class ConsentForWithdrawal(Consent):
                class Meta:
                    proxy = True

            @admin.register(ConsentForWithdrawal)
            class ConsentForWithdrawalAdmin(admin.ModelAdmin):
                fields = ["first_name", "dob"]
            """


class UnauditedPatientModel(Check):
    """## What it does
    Flags a Django model that holds patient data (a clinical model name such as `Encounter`,
    `LabResult` or `Referral`, identifying fields such as `date_of_birth` or `mrn`, or a foreign
    key to another patient-data model) when no audit mechanism covers it anywhere in the project:
    django-simple-history (`history = HistoricalRecords()` or `simple_history.register(Model)`),
    django-auditlog (`auditlog.register(Model)` in any module, or the decorator),
    django-reversion (`@reversion.register()`), django-pghistory (`@pghistory.track(...)`), an
    audit base class/decorator named in `[tool.wardgate.domain]`, or the project's own audit log
    built on model signals (a `pre_save`/`post_save` receiver with no `sender` in an audit-named
    module or function). A model that keeps its own versions is covered too: each row linked to the one it replaced
    (`previous = ForeignKey("self")`), or a method of the model that saves it and writes a row of a related model
    naming the editor (`self.versions.create(creator=user, snapshot=...)`); those version rows are the trail, not
    patient data of their own. Catalogue models (drugs, wards, templates, code lists with a unique
    natural key), statistics (only counts) and login credentials (`*OTP`, `*Token`) hold no patient
    data and are not flagged. In a project that audits nothing at all, a model that is patient data only
    through its link to another (`Upload.participant`) is named in that model's finding instead of
    reported on its own: one gap, one finding. Rows no user edits are not flagged either: a copy of another
    system's records written only by loaders, commands and scheduled tasks, or a table that is patient data only by
    its link (per-sample counts, pipeline results) written only outside views, forms, serializers and admin and
    edited by no form, serializer, admin or view class; its source is where changes are traced. Nor is such a
    linked table that nothing writes and nothing edits (an unused model whose admin module the app's `admin`
    package never imports: Django loads `<app>.admin` only). A proxy model that
    users edit (its own admin, form or serializer) is flagged when its patient-data parent keeps a simple-history
    `HistoricalRecords()` without `inherit=True` and the proxy declares none: simple-history listens to the parent's
    save signals only, and Django sends them with the proxy as sender.

    ## Why is this bad?
    Hospitals must be able to say who changed a clinical record, when, and what it said before
    (HIPAA §164.312(b) audit controls, medico-legal record keeping). Without an audit trail a
    wrong allergy, a changed vital sign or an edited referral cannot be traced or reverted.

    ## Example
    ```python
    class VitalSigns(models.Model):
        encounter = models.ForeignKey("clinic.Encounter", on_delete=models.CASCADE)
        systolic_bp = models.PositiveSmallIntegerField()
    ```

    Use instead:
    ```python
    class VitalSigns(models.Model):
        encounter = models.ForeignKey("clinic.Encounter", on_delete=models.CASCADE)
        systolic_bp = models.PositiveSmallIntegerField()
        history = HistoricalRecords()
    ```
    or register it with the project's mechanism, e.g. `auditlog.register(VitalSigns)`.
    """

    code = "WG201"
    name = "unaudited-patient-model"
    category = Category.AUDIT_TRAIL
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 778
    summary = "Model holding patient data is not covered by any audit mechanism"

    VALID = (
        # Catalogues: a diagnosis, symptom or referral-source entry relates to no row and holds only names,
        # codes, labels and flags.
        Valid("""\
            import uuid
            from django.db import models

            class Diagnosis(models.Model):
                id = models.UUIDField(primary_key=True, default=uuid.uuid4)
                name = models.CharField(max_length=140)
                dx_code = models.CharField(max_length=100, null=True, blank=True)

            class Symptom(models.Model):
                name = models.CharField(max_length=140)
                worst_label = models.CharField(max_length=40)
                best_label = models.CharField(max_length=40)

            class ReferralSource(models.Model):
                name = models.CharField(max_length=140)
                desc = models.TextField(blank=True)
                default = models.BooleanField(default=False)
            """, path="core/models.py"),
        # A staff account's profile (one-to-one with the user model) is no patient record.
        Valid("""\
            from django.conf import settings
            from django.db import models

            class StaffProfile(models.Model):
                user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
                gender = models.CharField(max_length=1)
                phone = models.CharField(max_length=20)
            """, path="staff/models.py"),
        # django-auditlog registers every model when the settings say so.
        Valid("""\
            from django.db import models

            class Patient(models.Model):
                mrn = models.CharField(max_length=20)
            """, path="clinic/models.py",
            files=(("config/settings.py", "INSTALLED_APPS = ['auditlog', 'clinic']\nAUDITLOG_INCLUDE_ALL_MODELS = True\n"),)),
        Valid("""\
            from django.db import models
            from simple_history.models import HistoricalRecords

            class Patient(models.Model):
                mrn = models.CharField(max_length=20)
                history = HistoricalRecords()
            """, path="clinic/models.py"),
        Valid("""\
            from django.db import models

            class LabResult(models.Model):
                value = models.DecimalField()
            """, path="clinic/models.py",
            files=(("clinic/audit.py", """\
                from auditlog.registry import auditlog as al
                from clinic import models as m
                al.register(m.LabResult)
                """),)),
        Valid("""\
            from django.db import models
            import reversion

            @reversion.register()
            class Referral(models.Model):
                reason = models.TextField()
            """, path="clinic/models.py"),
        Valid("""\
            from django.db import models

            class Drug(models.Model):
                name = models.CharField(max_length=80)
            """, path="clinic/models.py"),
        Valid("""\
            from django.db import models

            class NotificationTemplate(models.Model):
                body = models.TextField()
            """, path="clinic/models.py"),
        # An abstract base holds no rows; the concrete subclass inherits the audited base's history.
        Valid("""\
            from django.db import models
            from simple_history.models import HistoricalRecords

            class Audited(models.Model):
                history = HistoricalRecords(inherit=True)

                class Meta:
                    abstract = True

            class Encounter(Audited):
                notes = models.TextField()
            """, path="clinic/models.py"),
        # A project's own audit log: save/delete receivers with no sender see every model.
        Valid("""\
            from django.db import models

            class DailyRound(models.Model):
                notes = models.TextField()
            """, path="ward/models.py",
            files=(("audit_log/receivers.py", """\
                from django.db.models.signals import post_save, pre_delete
                from django.dispatch import receiver

                @receiver(post_save, weak=False)
                def post_save_signal(sender, instance, created, **kwargs):
                    log(sender, instance)
                """),)),
        Valid("""\
            from django.db import models

            class Referral(models.Model):
                reason = models.TextField()
            """, path="clinic/models.py",
            files=(("clinic/apps.py", """\
                from django.db.models import signals
                from .trail import audit_change

                def ready():
                    signals.post_save.connect(audit_change)
                """),)),
        # Reference data and statistics named after clinical things: an ICD catalogue, a test catalogue,
        # daily counts, a login OTP.
        Valid("""\
            from django.db import models

            class ICD11Diagnosis(models.Model):
                icd11_id = models.CharField(max_length=40, unique=True)
                label = models.CharField(max_length=255)
                parent = models.ForeignKey('self', on_delete=models.DO_NOTHING, null=True)

            class PatientInvestigation(models.Model):
                name = models.CharField(max_length=500, unique=True)
                unit = models.TextField(null=True)

            class FacilityPatientStats(models.Model):
                facility = models.ForeignKey('Facility', on_delete=models.PROTECT)
                entry_date = models.DateField()
                num_patients_visited = models.IntegerField(default=0)
                num_patient_referred = models.IntegerField(default=0)

            class PatientMobileOTP(models.Model):
                phone_number = models.CharField(max_length=14)
                otp = models.CharField(max_length=10)
            """, path="clinic/models.py"),
        # A copy of an upstream system's records, loaded by a batch job and edited by no user.
        Valid("""\
            from django.db import models

            class LabObservation(models.Model):
                mrn = models.CharField(max_length=20)
                value = models.TextField()
            """, path="lab/models.py",
            files=(("lab/loader.py", """\
                from lab.models import LabObservation

                def load(rows):
                    LabObservation.objects.bulk_create(LabObservation(**r) for r in rows)
                """),)),
        # Counts computed per sample by the project's analysis code: derived from the sample, edited by no one.
        Valid("""\
            from django.db import models
            from simple_history.models import HistoricalRecords

            class Sample(models.Model):
                mrn = models.CharField(max_length=20)
                history = HistoricalRecords()

            class SampleLocusCount(models.Model):
                sample = models.ForeignKey(Sample, on_delete=models.CASCADE)
                count = models.IntegerField()
            """, path="genomics/models.py",
            files=(("genomics/locus_counts.py", """\
                from genomics.models import SampleLocusCount

                def count_loci(sample, counts):
                    SampleLocusCount.objects.bulk_create(SampleLocusCount(sample=sample, count=c) for c in counts)
                """),)),
        # The parent's history is inherited (or the proxy declares its own): each proxy gets a history model.
        Valid(_PROXY.replace("HistoricalRecords()", "HistoricalRecords(inherit=True)"), path="trial/models.py"),
    )
    INVALID = (
        # Edited through its own admin, a proxy of a model whose history is not inherited saves with no trace.
        Invalid(_PROXY, line=10, path="trial/models.py"),
        # DICOM's patient-module attributes name the patient whatever the table is called.
        Invalid("""\
            from django.db import models

            class PACSSeries(models.Model):
                PatientID = models.CharField(max_length=100)
                PatientName = models.CharField(max_length=150)
                PatientBirthDate = models.DateField(null=True)
                SeriesInstanceUID = models.CharField(max_length=100)
            """, line=3, path="pacsfiles/models.py"),
        # A study participant known by a pseudonymous identifier of its own is still a person's record; with no
        # audit anywhere, the rows linked to it (their uploads) are named in its finding, not each reported.
        Invalid("""\
            from django.db import models

            class Participant(models.Model):
                patient_id = models.CharField(max_length=8, unique=True)
                device_id = models.CharField(max_length=256)

            class Upload(models.Model):
                participant = models.ForeignKey(Participant, on_delete=models.CASCADE)
                file_path = models.CharField(max_length=256)
            """, line=3, path="study/models.py"),
        # A person's demographics (sex with a name or an age) make a patient record whatever the class is called.
        Invalid("""\
            from django.db import models

            class Individual(models.Model):
                sex = models.CharField(max_length=1)
                display_name = models.TextField()
                birth_year = models.IntegerField()
            """, line=3, path="genomics/models.py"),
        # Every model but the excluded app's.
        Invalid("""\
            from django.db import models

            class Patient(models.Model):
                mrn = models.CharField(max_length=20)
            """, line=3, path="clinic/models.py",
            files=(("config/settings.py", ("AUDITLOG_INCLUDE_ALL_MODELS = True\n"
                                           "AUDITLOG_EXCLUDE_TRACKING_MODELS = ('clinic',)\n")),)),
        Invalid("""\
            from django.db import models
            from simple_history import models as sh

            class VitalSigns(models.Model):
                encounter = models.ForeignKey('clinic.Encounter', on_delete=models.CASCADE)

            class Encounter(models.Model):
                notes = models.TextField()
                history = sh.HistoricalRecords()
            """, line=4, path="clinic/models.py"),
        Invalid("""\
            from django.db.models import Model, CharField, DateField

            class Person(Model):
                date_of_birth = DateField()
                mrn = CharField(max_length=9)
            """, line=3, path="registry/models.py"),
        # auditlog registers a *different* model with the same name in another app: not this one.
        Invalid("""\
            from django.db import models

            class Appointment(models.Model):
                reason = models.TextField()
            """, line=3, path="clinic/models.py",
            files=(("billing/models.py", """\
                from django.db import models
                class Appointment(models.Model):
                    fee = models.IntegerField()
                """),
                       ("billing/audit.py", """\
                           from auditlog.registry import auditlog
                           from billing.models import Appointment
                           auditlog.register(Appointment)
                           """))),
        # A post_save receiver for one sender, or a sender-less one that is not an audit log, covers nothing else.
        Invalid("""\
            from django.db import models

            class DailyRound(models.Model):
                notes = models.TextField()
            """, line=3, path="ward/models.py",
            files=(("audit_log/receivers.py", """\
                from django.db.models.signals import post_save
                from django.dispatch import receiver
                from ward.models import Bed

                @receiver(post_save, sender=Bed)
                def audit_bed(sender, instance, **kwargs):
                    log(instance)
                """),
                       ("search/signals.py", """\
                           from django.db.models.signals import post_save
                           from django.dispatch import receiver

                           @receiver(post_save)
                           def reindex(sender, instance, **kwargs):
                               index(instance)
                           """))),
        # Loaded by a batch job but also edited in a view: user changes need the trail.
        Invalid("""\
            from django.db import models

            class LabObservation(models.Model):
                mrn = models.CharField(max_length=20)
                value = models.TextField()
            """, line=3, path="lab/models.py",
            files=(("lab/loader.py", """\
                from lab.models import LabObservation

                def load(rows):
                    LabObservation.objects.bulk_create(LabObservation(**r) for r in rows)
                """),
                       ("lab/views.py", """\
                           from lab.models import LabObservation

                           def fix(request, pk):
                               LabObservation.objects.filter(pk=pk).update(value=request.POST['v'])
                           """))),
        # A patient model with a unique identifier is still a patient model.
        Invalid("""\
            from django.db import models

            class PatientRecord(models.Model):
                name = models.CharField(max_length=80, unique=True)
                ward = models.ForeignKey('Ward', on_delete=models.PROTECT)
            """, line=3, path="clinic/models.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        idx: ModelIndex | None = self.ctx.project.fact("django_models")
        if idx is None:
            return
        qualname = f"{self.ctx.imports.module}.{node.name}"
        info = idx.models.get(qualname)
        if info is not None and _is_proxy(node):
            self._proxy(node, info, idx)
            return
        if info is None or qualname not in idx.django or qualname not in idx.patient or idx.audited.get(qualname):
            return
        if qualname in idx.unknown_audit:  # a base wardgate cannot read may add the trail: `wardgate facts` says so
            return
        if imported_only(qualname, idx, self.ctx.project.fact("django_code")):
            return  # a copy loaded by batch imports that no user edits: the source system keeps its history
        if never_changed(qualname, idx, self.ctx.project.fact("django_code")):
            return  # nothing writes or edits it: there are no changes to trace
        if info.abstract or _is_proxy(node):
            return
        # With no audit of patient data anywhere in the project, the gap is one per record, not per table hanging
        # off it: a model that is patient data only by its link to another is reported with that one. (A log of a
        # study's approvals audits no patient's record.)
        # (Nor a project receiver logging some models' saves: the same log's other writers, explicit calls wardgate
        # does not follow, may well cover the other tables.)
        audits_nothing = not any(v and not v.startswith((VERSIONED_ROWS, SAVE_RECEIVER)) for q, v in idx.audited.items()
                                 if q in idx.patient)
        if audits_nothing and qualname in idx.linked_patient:
            return
        linked = sorted(last_part(q) for q, target in idx.linked_patient.items() if target == qualname) \
            if audits_nothing else []
        names = f"{', '.join(linked[:4])}{', …' if len(linked) > 4 else ''}"
        shown = "" if not linked else f"; nor the model linked to it ({names})" if len(linked) == 1 else \
            f"; nor the {len(linked)} models linked to it ({names})"
        self.report(
            node,
            f"Model {node.name} holds patient data ({idx.patient_why.get(qualname, 'patient data')}) but no audit "
            "mechanism (simple-history, auditlog, reversion, pghistory, signal receivers, an audit service, database "
            f"triggers) covers it{shown}: changes to these records cannot be traced.",
            fix=f"Add `history = HistoricalRecords()` to {node.name}, or register it with the project's "
            f"audit mechanism (e.g. `auditlog.register({node.name})`).",
        )


    def _proxy(self, node: ast.ClassDef, info: ModelInfo, idx: ModelIndex) -> None:
        """A proxy that users edit, of a patient model whose history is its own `HistoricalRecords()` (no
        `inherit=True`): simple-history listens to the parent's save signals only, and Django sends them with the
        proxy as sender, so every change made through the proxy goes unrecorded."""
        if info.history_field or idx.audited.get(info.qualname):
            return  # the proxy declares its own history (or is registered with another mechanism)
        parent = next((m for m in (idx.lookup(b) for b in info.bases) if m is not None), None)
        if parent is None or parent.qualname not in idx.patient or idx.audited.get(parent.qualname) != "simple-history":
            return
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None or not edited_by_a_class(info.qualname, code):
            return
        self.report(node, f"Proxy model {node.name} of {parent.name} has no history of its own: {parent.name}'s "
                    f"`HistoricalRecords()` (without inherit=True) records saves of {parent.name} only, so changes "
                    f"made through {node.name} (its admin or forms) leave no trace.",
                    fix=f"Add `history = HistoricalRecords()` to {node.name}, or declare {parent.name}'s history with "
                    "`HistoricalRecords(inherit=True)`.")


def _is_proxy(node: ast.ClassDef) -> bool:
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for m in stmt.body:
                if (isinstance(m, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "proxy" for t in m.targets)
                        and isinstance(m.value, ast.Constant) and m.value.value is True):
                    return True
    return False
