"""Tricky audit-trail cases: registration elsewhere, admin registration, mechanisms, data flow."""
from __future__ import annotations

from checks.base import Valid
from checks.domain.audit_bypassing_write import AuditBypassingWrite
from checks.domain.audit_trail_tampering import AuditTrailTampering
from checks.domain.unaudited_patient_model import UnauditedPatientModel
from checks.testing import run_example

MODELS = ("clinic/models.py", """\
    from django.db import models
    import reversion
    import pghistory

    @reversion.register()
    class Referral(models.Model):
        reason = models.TextField()

    @pghistory.track(pghistory.InsertEvent())
    class Encounter(models.Model):
        notes = models.TextField()

    class Admission(models.Model):
        ward = models.CharField(max_length=9)

        class Meta:
            db_table = 'adt_admission'
    """)
AUDIT = ("clinic/audit.py", """\
    from auditlog.registry import auditlog
    from clinic.models import Admission

    auditlog.register(Admission)
    """)


def lines(check, code: str, *files: tuple[str, str], path: str = "clinic/jobs.py") -> list[int]:
    return [f.start_line for f in run_example(check, Valid(code, path=path, files=files))]


def test_models_audited_by_reversion_pghistory_and_auditlog_elsewhere() -> None:
    code = MODELS[1]
    assert lines(UnauditedPatientModel, code, AUDIT, path="clinic/models.py") == []
    assert lines(UnauditedPatientModel, code, path="clinic/models.py") == [13]  # Admission without auditing


def test_update_on_reversion_model_but_not_on_trigger_based_pghistory() -> None:
    code = ("from clinic.models import Encounter, Referral\n\ndef close():\n"
            "    Encounter.objects.filter(notes='').update(notes='-')\n"
            "    Referral.objects.all().update(reason='-')\n")
    assert lines(AuditBypassingWrite, code, MODELS, AUDIT, path="clinic/services.py") == [5]


def test_a_command_that_opens_no_revision_loses_nothing_to_a_bulk_load_on_a_reversion_model() -> None:
    """reversion records saves only inside a revision: where none is open, create() would record nothing either.
    Rows that exist are another matter: an update changes them with nothing recording it, revision or not."""
    load = "from clinic.models import Referral\n\ndef load(rows):\n    Referral.objects.bulk_create(rows)\n"
    update = "from clinic.models import Referral\n\ndef close():\n    Referral.objects.all().update(reason='-')\n"
    command = "clinic/management/commands/close_referrals.py"
    assert lines(AuditBypassingWrite, load, MODELS, AUDIT, path=command) == []
    assert lines(AuditBypassingWrite, update, MODELS, AUDIT, path=command) == [4]
    in_revision = ("import reversion\nfrom clinic.models import Referral\n\n@reversion.create_revision()\n"
                   "def load(rows):\n    Referral.objects.bulk_create(rows)\n")
    assert lines(AuditBypassingWrite, in_revision, MODELS, AUDIT, path=command) == [6]
    assert lines(AuditBypassingWrite, load, MODELS, AUDIT, path="clinic/views.py") == [4]


def test_a_model_class_taken_from_the_app_registry_by_its_label() -> None:
    """`apps.get_model("clinic.referral")`: Django's lazy label, the model name in any case."""
    code = ("from django.apps import apps as django_apps\n\ndef close(pk):\n"
            "    model_cls = django_apps.get_model('clinic.referral')\n"
            "    model_cls.objects.filter(pk=pk).update(reason='-')\n")
    assert lines(AuditBypassingWrite, code, MODELS, AUDIT, path="clinic/services.py") == [5]
    two_args = code.replace("get_model('clinic.referral')", "get_model('clinic', 'Referral')")
    assert lines(AuditBypassingWrite, two_args, MODELS, AUDIT, path="clinic/services.py") == [5]
    other_app = code.replace("get_model('clinic.referral')", "get_model('billing.referral')")
    assert lines(AuditBypassingWrite, other_app, MODELS, AUDIT, path="clinic/services.py") == []


def test_raw_sql_on_custom_db_table_and_sql_in_a_variable() -> None:
    code = ("from django.db import connection\n\ndef fix():\n    sql = f\"UPDATE adt_admission SET ward = '{1}'\"\n"
            "    with connection.cursor() as c:\n        c.execute(sql)\n")
    assert lines(AuditBypassingWrite, code, MODELS, AUDIT) == [6]


def test_admin_registered_in_another_module() -> None:
    admin_cls = ("from django.contrib import admin\n\nclass AdmissionAdmin(admin.ModelAdmin):\n"
                 "    def discharge(self, request, queryset):\n        queryset.update(ward='')\n")
    reg = ("clinic/admin/__init__.py", """\
        from django.contrib import admin
        from clinic.models import Admission
        from clinic.admin.actions import AdmissionAdmin

        admin.site.register(Admission, AdmissionAdmin)
        """)
    assert lines(AuditBypassingWrite, admin_cls, MODELS, AUDIT, reg, path="clinic/admin/actions.py") == [5]


def test_history_tampering_through_a_variable_and_instance_history() -> None:
    code = ("def purge(patient, cutoff):\n    old = patient.history.filter(history_date__lt=cutoff)\n"
            "    old.delete()\n")
    assert lines(AuditTrailTampering, code) == [3]
    assert lines(AuditBypassingWrite, code, MODELS) == []


def test_an_audit_service_writing_an_activity_log_is_the_projects_audit_mechanism() -> None:
    """`AuditService.log_activity()` creates `ActivityLog` rows: a patient write that never calls it is reported."""
    from checks.base import Invalid
    from checks.domain.write_without_audit_call import WriteWithoutAuditCall

    models = ("core/models.py", ("from django.db import models\n\nclass ActivityLog(models.Model):\n"
              "    object_id = models.CharField(max_length=64)\n    action = models.CharField(max_length=20)\n\n"
              "class Appointment(models.Model):\n    patient_name = models.CharField(max_length=80)\n"))
    service = ("core/services.py", ("from core.models import ActivityLog\n\nclass AuditService:\n"
               "    @staticmethod\n    def log_activity(obj):\n        ActivityLog.objects.create(object_id=obj.pk)\n"))
    used = ("core/views.py", ("from core.services import AuditService\n\ndef update(request, appointment):\n"
            "    appointment.save()\n    AuditService.log_activity(appointment)\n"))
    code = "class AppointmentForm:\n    def save(self):\n        self.appointment.status = 'x'\n        self.appointment.save()\n"
    found = run_example(WriteWithoutAuditCall, Invalid(code, line=4, path="core/forms.py", files=(models, service, used)))
    assert [f.start_line for f in found] == [4]
    plain = (models[0], models[1].replace("ActivityLog", "Reminder"))  # a row of something else: no audit service
    assert run_example(WriteWithoutAuditCall, Valid(code, path="core/forms.py",
                                                    files=(plain, (service[0], service[1].replace("ActivityLog", "Reminder")), used))) == []


def test_a_model_that_saves_each_change_as_a_new_linked_row_keeps_its_history() -> None:
    """`previous = ForeignKey("self")`: each update is a new row linked to the version it replaced, so the table is
    its own history (WG201 stays quiet); a self link of another name (a parent in a tree) is no history."""
    versioned = ("from django.db import models\n\nclass Demographics(models.Model):\n"
                 "    date_of_birth = models.DateField()\n    address = models.TextField()\n"
                 "    previous = models.ForeignKey('self', null=True, on_delete=models.CASCADE)\n")
    assert run_example(UnauditedPatientModel, Valid(versioned, path="clinic/models.py", files=(AUDIT,))) == []
    tree = versioned.replace("previous =", "parent =")
    assert [f.start_line for f in run_example(UnauditedPatientModel, Valid(tree, path="clinic/models.py",
                                                                           files=(AUDIT,)))] == [3]


def test_a_versioned_model_is_no_audit_mechanism_of_the_projects_other_models() -> None:
    """With no audit mechanism anywhere, the rows linked to an unaudited record are named in its one finding; a
    model that versions its own rows does not make the project one that audits, so that grouping stays."""
    code = ("from django.db import models\n\nclass Child(models.Model):\n    date_of_birth = models.DateField()\n"
            "    given_name = models.CharField(max_length=9)\n\n"
            "class Visit(models.Model):\n    child = models.ForeignKey(Child, on_delete=models.CASCADE)\n\n"
            "class Demographics(models.Model):\n    date_of_birth = models.DateField()\n"
            "    previous = models.ForeignKey('self', null=True, on_delete=models.CASCADE)\n")
    found = run_example(UnauditedPatientModel, Valid(code, path="clinic/models.py"))
    assert [f.start_line for f in found] == [3], [f.message for f in found]
    assert "nor the model linked to it (Visit)" in found[0].message
