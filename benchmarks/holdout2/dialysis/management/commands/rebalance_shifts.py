"""Move patients between shifts after a station closes for refurbishment."""
from django.core.management.base import BaseCommand
from django.db import connection

from dialysis.models import Station
from patients.models import Patient


class Command(BaseCommand):
    help = "Reassign every active patient on one shift to another shift."

    def add_arguments(self, parser):
        parser.add_argument("from_shift", choices=Patient.Shift.values)
        parser.add_argument("to_shift", choices=Patient.Shift.values)
        parser.add_argument("--close-station", dest="station_code")

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            # expect: audit-trail
            cursor.execute("UPDATE patients_patient SET shift = %s WHERE shift = %s AND discharged_on IS NULL", [options["to_shift"], options["from_shift"]])
            moved = cursor.rowcount
        if options["station_code"]:
            # ok: audit-trail
            Station.objects.filter(code=options["station_code"]).update(is_out_of_service=True)
        self.stdout.write(f"Moved {moved} patients from {options['from_shift']} to {options['to_shift']}.")
