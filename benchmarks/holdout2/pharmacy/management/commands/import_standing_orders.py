"""Load standing session medications (EPO, iron, alfacalcidol) exported from the legacy renal system."""
import csv
import datetime
from decimal import Decimal

import httpx
from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dialysis.models import DialysisSession
from patients.models import Patient
from pharmacy.models import AdministeredDose, Drug, Prescription

FORMULARY_REPO_URL = "https://api.github.com/repos/northgate-renal/formulary/contents/drugs.csv"
# expect: secret
FORMULARY_TOKEN = "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000"
# ok: secret
FORMULARY_SHA256 = "3f1c9a7be0d24d4c8f5e61a2b7c9d0e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5"


class Command(BaseCommand):
    help = "Import standing orders and their administration history from a legacy CSV export."

    def add_arguments(self, parser):
        parser.add_argument("orders_csv")
        parser.add_argument("--administrations", dest="administrations_csv")
        parser.add_argument("--prescriber", required=True, help="username recorded as prescriber")

    def check_formulary(self):
        response = httpx.get(FORMULARY_REPO_URL, headers={"Authorization": f"Bearer {FORMULARY_TOKEN}"}, timeout=20)
        response.raise_for_status()
        if response.json().get("sha256") != FORMULARY_SHA256:
            raise CommandError("Formulary has changed since this importer was validated.")

    # expect: dosage
    def handle(self, *args, **options):
        self.check_formulary()
        prescriber = get_user_model().objects.get(username=options["prescriber"])
        drugs = {drug.name.lower(): drug for drug in Drug.objects.all()}
        created = 0
        # expect: audit-trail
        with disable_auditlog(), transaction.atomic():
            with open(options["orders_csv"], newline="") as handle:
                for row in csv.DictReader(handle):
                    patient = Patient.objects.get(mrn=row["mrn"])
                    # expect: phi
                    print(f"Importing {row['drug']} for {patient.full_name}, born {patient.date_of_birth}")
                    Prescription.objects.create(
                        patient=patient,
                        drug=drugs[row["drug"].lower()],
                        dose=Decimal(row["dose"]),
                        frequency=row["frequency"],
                        every_session=True,
                        start_date=datetime.date.fromisoformat(row["start_date"]),
                        prescribed_by=prescriber,
                    )
                    created += 1
            if options["administrations_csv"]:
                self.import_administrations(options["administrations_csv"], prescriber)
        self.stdout.write(self.style.SUCCESS(f"Imported {created} standing orders."))

    def import_administrations(self, path, nurse):
        doses = []
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                doses.append(
                    AdministeredDose(
                        prescription=Prescription.objects.get(patient__mrn=row["mrn"], drug__name__iexact=row["drug"], every_session=True),
                        session=DialysisSession.objects.get(pk=row["session_id"]),
                        amount=Decimal(row["amount"]),
                        batch_number=row["batch"],
                        administered_by=nurse,
                        administered_at=datetime.datetime.fromisoformat(row["given_at"]),
                    )
                )
        # expect: audit-trail
        AdministeredDose.objects.bulk_create(doses, batch_size=500)
