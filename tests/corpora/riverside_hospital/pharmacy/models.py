"""Formulary, medication orders, administration records (MAR), infusions and dispensing."""
from decimal import Decimal

import pghistory
from auditlog.registry import auditlog
from django.conf import settings
from django.core import validators as v
from django.db import models as m

from core.models import TimeStampedModel
from wards.models import Admission, Patient

MAX_ORDERABLE_MG = Decimal("10000")


# ok: audit-trail
class Drug(TimeStampedModel):
    class Route(m.TextChoices):
        ORAL = "PO"
        IV = "IV"
        SC = "SC"
        IM = "IM"

    name = m.CharField(max_length=120, unique=True)
    dmd_code = m.CharField("dm+d code", max_length=18, blank=True)
    route = m.CharField(max_length=2, choices=Route.choices)
    # expect: dosage
    strength_mg = m.DecimalField(max_digits=9, decimal_places=3)
    # ok: dosage
    max_single_dose_mg = m.DecimalField(max_digits=9, decimal_places=3, validators=[v.MinValueValidator(Decimal("0.001")), v.MaxValueValidator(MAX_ORDERABLE_MG)])
    max_daily_dose_mg = m.DecimalField(max_digits=9, decimal_places=3, validators=[v.MinValueValidator(Decimal("0.001")), v.MaxValueValidator(MAX_ORDERABLE_MG * 4)])
    paediatric_mg_per_kg = m.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True, validators=[v.MinValueValidator(Decimal("0.001")), v.MaxValueValidator(Decimal("100"))])
    # Children below this age must not receive the drug at all; weight-based
    # paediatric doses are only valid together with an age check.
    min_age_months = m.PositiveSmallIntegerField(default=0)
    is_high_alert = m.BooleanField(default=False)
    is_controlled = m.BooleanField(default=False)

    def __str__(self):
        return self.name


class DrugInteraction(m.Model):
    class Severity(m.IntegerChoices):
        MINOR = 1
        MODERATE = 2
        MAJOR = 3
        CONTRAINDICATED = 4

    drug_a = m.ForeignKey(Drug, on_delete=m.CASCADE, related_name="+")
    drug_b = m.ForeignKey(Drug, on_delete=m.CASCADE, related_name="+")
    severity = m.PositiveSmallIntegerField(choices=Severity.choices)
    advice = m.TextField(blank=True)


@auditlog.register()
# ok: audit-trail
class Allergy(TimeStampedModel):
    patient = m.ForeignKey(Patient, on_delete=m.CASCADE, related_name="allergies")
    drug = m.ForeignKey(Drug, null=True, blank=True, on_delete=m.SET_NULL)
    substance = m.CharField(max_length=120)
    reaction = m.CharField(max_length=200, blank=True)
    is_active = m.BooleanField(default=True)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
# ok: audit-trail
class MedicationOrder(TimeStampedModel):
    class Status(m.TextChoices):
        ACTIVE = "active"
        HELD = "held"
        STOPPED = "stopped"

    patient = m.ForeignKey(Patient, on_delete=m.PROTECT, related_name="medication_orders")
    admission = m.ForeignKey(Admission, null=True, blank=True, on_delete=m.PROTECT, related_name="medication_orders")
    drug = m.ForeignKey(Drug, on_delete=m.PROTECT)
    prescriber = m.ForeignKey(settings.AUTH_USER_MODEL, on_delete=m.PROTECT, related_name="+")
    # ok: dosage
    dose_mg = m.DecimalField(max_digits=9, decimal_places=3, validators=[v.MinValueValidator(Decimal("0.001")), v.MaxValueValidator(MAX_ORDERABLE_MG)])
    frequency_hours = m.PositiveSmallIntegerField(validators=[v.MinValueValidator(1), v.MaxValueValidator(168)])
    indication = m.CharField(max_length=200)
    status = m.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    override_reason = m.CharField(max_length=200, blank=True)


# ok: audit-trail
class MARRecord(TimeStampedModel):
    """One row of the medication administration record."""

    class Outcome(m.TextChoices):
        GIVEN = "given"
        REFUSED = "refused"
        OMITTED = "omitted"

    order = m.ForeignKey(MedicationOrder, on_delete=m.PROTECT, related_name="administrations")
    scheduled_for = m.DateTimeField()
    administered_at = m.DateTimeField(null=True, blank=True)
    administered_by = m.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=m.PROTECT, related_name="+")
    # expect: dosage
    administered_dose_mg = m.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    outcome = m.CharField(max_length=8, choices=Outcome.choices, blank=True)
    omission_reason = m.CharField(max_length=120, blank=True)


# expect: audit-trail
class Infusion(TimeStampedModel):
    patient = m.ForeignKey(Patient, on_delete=m.PROTECT, related_name="infusions")
    order = m.ForeignKey(MedicationOrder, on_delete=m.PROTECT, related_name="infusions")
    pump_serial = m.CharField(max_length=32, blank=True)
    concentration_mg_per_ml = m.DecimalField(max_digits=8, decimal_places=3, validators=[v.MinValueValidator(Decimal("0.001")), v.MaxValueValidator(Decimal("500"))])
    # expect: dosage
    rate_ml_per_hr = m.FloatField()
    volume_to_be_infused_ml = m.PositiveIntegerField()
    started_at = m.DateTimeField()
    stopped_at = m.DateTimeField(null=True, blank=True)


# expect: audit-trail
class DispensingRecord(m.Model):
    order = m.ForeignKey(MedicationOrder, on_delete=m.PROTECT, related_name="dispensings")
    patient = m.ForeignKey(Patient, on_delete=m.PROTECT, related_name="dispensings")
    quantity = m.PositiveIntegerField()
    batch_number = m.CharField(max_length=30)
    dispensed_by = m.ForeignKey(settings.AUTH_USER_MODEL, on_delete=m.PROTECT, related_name="+")
    dispensed_at = m.DateTimeField(auto_now_add=True)
    counselling_notes = m.TextField(blank=True)
