"""Nightly MAR housekeeping.

    python manage.py mar_housekeeping [--overdue-hours 2] [--purge-logs-days 400]
"""
from datetime import timedelta

from auditlog.models import LogEntry
from django.core.management.base import BaseCommand
from django.utils import timezone
from reversion.models import Version
from simple_history.utils import bulk_update_with_history

from pharmacy.models import MARRecord
from wards.models import DischargeSummary, Patient


class Command(BaseCommand):
    help = "List overdue MAR doses, tidy deceased patients' records and trim old audit data."

    def add_arguments(self, parser):
        parser.add_argument("--overdue-hours", type=int, default=2)
        parser.add_argument("--purge-logs-days", type=int, default=0)

    def handle(self, *args, **opts):
        now = timezone.now()
        overdue = MARRecord.objects.filter(administered_at__isnull=True, outcome="", scheduled_for__lt=now - timedelta(hours=opts["overdue_hours"])).select_related("order__patient", "order__drug")
        for rec in overdue:
            # expect: phi
            print(f"OVERDUE {rec.scheduled_for:%H:%M} {rec.order.patient.full_name} ({rec.order.patient.mrn}) {rec.order.drug.name}")
        # ok: phi
        self.stdout.write(f"{overdue.count()} overdue administrations")

        deceased = list(Patient.objects.filter(is_deceased=True, phone__gt=""))
        for p in deceased:
            p.phone = ""
        # ok: audit-trail
        bulk_update_with_history(deceased, Patient, ["phone"], batch_size=200)
        # expect: audit-trail
        Patient.objects.filter(is_deceased=True).update(gp_practice_code="")

        if opts["purge_logs_days"]:
            cutoff = now - timedelta(days=opts["purge_logs_days"])
            # expect: audit-trail
            LogEntry.objects.filter(timestamp__lt=cutoff).delete()
            # expect: audit-trail
            Patient.history.filter(history_date__lt=cutoff).delete()
            # expect: audit-trail
            Version.objects.get_for_model(DischargeSummary).filter(revision__date_created__lt=cutoff).delete()
