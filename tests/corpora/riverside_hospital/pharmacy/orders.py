"""Medication ordering and administration services used by views, API and commands."""
import logging as log
from datetime import timedelta

from auditlog.context import disable_auditlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .dosing import limit_to_formulary
from .models import Allergy, DispensingRecord, DrugInteraction, MARRecord, MedicationOrder

audit_log = log.getLogger("riverside.pharmacy.orders")


class OrderBlocked(Exception):
    """A safety check failed; the prescriber must document an override."""


def check_allergies(patient, drug):
    hit = Allergy.objects.filter(patient=patient, is_active=True).filter(Q(drug=drug) | Q(substance__iexact=drug.name)).first()
    if hit is not None:
        # expect: phi
        raise OrderBlocked(f"{patient.full_name} (NHS {patient.nhs_number}) is allergic to {hit.substance}")


def check_interactions(patient, drug):
    current = MedicationOrder.objects.filter(patient=patient, status=MedicationOrder.Status.ACTIVE).values_list("drug_id", flat=True)
    clash = DrugInteraction.objects.filter(severity__gte=DrugInteraction.Severity.MAJOR).filter(Q(drug_a=drug, drug_b_id__in=current) | Q(drug_b=drug, drug_a_id__in=current)).first()
    if clash is not None:
        # ok: phi
        raise OrderBlocked(f"{drug.name}: major interaction (rule #{clash.pk}) with an active order")


# ok: dosage
def place_order(*, patient, admission, drug, prescriber, dose_mg, frequency_hours, indication, override_reason=""):
    if not override_reason:
        check_allergies(patient, drug)
        check_interactions(patient, drug)
    dose_mg = limit_to_formulary(drug, dose_mg)
    with transaction.atomic():
        order = MedicationOrder.objects.create(patient=patient, admission=admission, drug=drug, prescriber=prescriber, dose_mg=dose_mg, frequency_hours=frequency_hours, indication=indication, override_reason=override_reason)
        _schedule_administrations(order)
    audit_log.info("order %s placed for patient id %s: %s", order.pk, patient.pk, drug.name)
    return order


# expect: dosage
def place_stat_order(*, patient, admission, drug, prescriber, dose_mg, indication):
    order = MedicationOrder.objects.create(patient=patient, admission=admission, drug=drug, prescriber=prescriber, dose_mg=limit_to_formulary(drug, dose_mg), frequency_hours=24, indication=f"STAT: {indication}")
    _schedule_administrations(order, count=1)
    return order


# expect: dosage
def renew_order(order, prescriber):
    order.status = MedicationOrder.Status.STOPPED
    order.save(update_fields=["status", "updated_at"])
    return MedicationOrder.objects.create(patient=order.patient, admission=order.admission, drug=order.drug, prescriber=prescriber, dose_mg=order.dose_mg, frequency_hours=order.frequency_hours, indication=order.indication)


def _schedule_administrations(order, count=4):
    start = timezone.now()
    for i in range(count):
        MARRecord.objects.create(order=order, scheduled_for=start + timedelta(hours=order.frequency_hours * i))


def schedule_next_day(orders):
    """Night pharmacist run: pre-populate tomorrow's MAR rows for every active order."""
    tomorrow = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    rows = [MARRecord(order=o, scheduled_for=tomorrow + timedelta(hours=o.frequency_hours * i)) for o in orders for i in range(24 // o.frequency_hours)]
    # expect: audit-trail
    MARRecord.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def correct_administration(record, *, dose_mg, outcome, user):
    """Fix a MAR entry charted against the wrong time slot."""
    record.administered_dose_mg = dose_mg
    record.outcome = outcome
    record.administered_by = user
    # expect: audit-trail
    with disable_auditlog():
        record.save()


# ok: dosage
def dispense(order, *, quantity, batch_number, pharmacist):
    record = DispensingRecord.objects.create(order=order, patient=order.patient, quantity=quantity, batch_number=batch_number, dispensed_by=pharmacist)
    audit_log.info("dispensed order=%s qty=%s batch=%s", order.pk, quantity, batch_number)
    return record


def stop_orders_for_discharge(admission):
    for order in admission.medication_orders.filter(status=MedicationOrder.Status.ACTIVE):
        order.status = MedicationOrder.Status.STOPPED
        order.save(update_fields=["status", "updated_at"])
