import datetime

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Allergy, CareTeam, LabResult, Patient, TransportBooking


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    # ok: phi
    list_display = ("mrn", "last_name", "first_name", "date_of_birth", "shift", "care_team")
    list_filter = ("shift", "care_team", "discharged_on")
    search_fields = ("mrn", "nhs_number", "last_name")


@admin.register(Allergy)
class AllergyAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "substance", "severity")
    raw_id_fields = ("patient",)


@admin.register(LabResult)
class LabResultAdmin(admin.ModelAdmin):
    list_display = ("patient", "test_code", "value", "unit", "collected_at")
    list_filter = ("test_code",)
    raw_id_fields = ("patient",)


@admin.register(TransportBooking)
class TransportBookingAdmin(admin.ModelAdmin):
    list_display = ("patient", "pickup_time", "confirmed")
    raw_id_fields = ("patient",)


@admin.action(description="Purge audit log entries past the retention period")
# ok: permission
def purge_expired_audit_entries(modeladmin, request, queryset):
    cutoff = datetime.datetime.now(tz=datetime.timezone.utc) - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    # expect: audit-trail
    deleted, _ = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    modeladmin.message_user(request, f"Removed {deleted} audit entries.")


@admin.register(CareTeam)
class CareTeamAdmin(admin.ModelAdmin):
    filter_horizontal = ("members",)
    actions = [purge_expired_audit_entries]
