"""Prescribing workflow. Every new order must go through check_allergies() and check_interactions()."""
import datetime
import logging

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from patients.models import Allergy

from .models import Prescription

logger = logging.getLogger(__name__)


class AllergyConflict(Exception):
    pass


class InteractionConflict(Exception):
    pass


def check_allergies(patient, drug) -> None:
    conflict = patient.allergies.filter(substance__iexact=drug.name).first()
    if conflict is not None:
        # ok: phi
        logger.warning("Allergy conflict: patient_id=%s drug=%s severity=%s", patient.pk, drug.name, conflict.severity)
        # ok: phi
        raise AllergyConflict(f"Documented {conflict.severity} allergy to {drug.name}")


def check_interactions(patient, drug) -> None:
    current = Prescription.objects.active().filter(patient=patient).values_list("drug_id", flat=True)
    clashes = drug.interacts_with.filter(pk__in=list(current))
    if clashes.exists():
        names = ", ".join(clashes.values_list("name", flat=True))
        raise InteractionConflict(f"{drug.name} interacts with current medication: {names}")


# ok: dosage
def create_prescription(*, patient, drug, dose, frequency, prescriber, every_session=False, route="IV"):
    check_allergies(patient, drug)
    check_interactions(patient, drug)
    with transaction.atomic():
        prescription = Prescription.objects.create(
            patient=patient,
            drug=drug,
            dose=dose,
            frequency=frequency,
            route=route,
            every_session=every_session,
            start_date=datetime.date.today(),
            prescribed_by=prescriber,
        )
    logger.info("Prescription %s created for patient_id=%s", prescription.pk, patient.pk)
    return prescription


def suspend_for_admission(patient, reason: str) -> int:
    """Called when a patient is admitted to a ward: haemodialysis-unit orders are put on hold."""
    # expect: audit-trail
    count = Prescription.objects.active().filter(patient=patient).update(status=Prescription.Status.SUSPENDED)
    logger.info("Suspended %d prescriptions (%s)", count, reason)
    return count


def active_epo_prescription(patient):
    prescription = Prescription.objects.active().filter(patient=patient, drug__atc_code="B03XA01").first()
    if prescription is None:
        # expect: phi
        raise Prescription.DoesNotExist(f"No active epoetin prescription for {patient.full_name} (MRN {patient.mrn})")
    return prescription


def extend_standing_orders(prescriptions, new_end_date) -> None:
    """Pharmacy's quarterly review: push the end date of reviewed standing orders."""
    for prescription in prescriptions:
        # expect: audit-trail
        prescription.skip_history_when_saving = True
        prescription.end_date = new_end_date
        prescription.save(update_fields=["end_date"])


def import_allergies(patient, rows, recorded_by) -> list[Allergy]:
    allergies = [
        Allergy(patient=patient, substance=row["substance"], reaction=row.get("reaction", ""), severity=row["severity"], recorded_by=recorded_by)
        for row in rows
    ]
    # ok: audit-trail
    return bulk_create_with_history(allergies, Allergy, batch_size=100)
