from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from dialysis.models import DialysisSession
from patients.models import Patient

DOSE_VALIDATORS = [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100000"))]


# ok: audit-trail
class Drug(models.Model):
    """Unit formulary. Limits here are what pharmacy.limits enforces."""

    class Unit(models.TextChoices):
        MG = "mg"
        MICROGRAM = "mcg"
        UNITS = "units"

    name = models.CharField(max_length=80, unique=True)
    atc_code = models.CharField(max_length=7, blank=True)
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.MG)
    # expect: dosage
    vial_strength = models.DecimalField(max_digits=8, decimal_places=2)
    # ok: dosage
    max_single_dose = models.DecimalField(max_digits=9, decimal_places=2, validators=DOSE_VALIDATORS)
    max_daily_dose = models.DecimalField(max_digits=9, decimal_places=2, validators=DOSE_VALIDATORS)
    weight_based = models.BooleanField(default=False)
    renally_cleared = models.BooleanField(default=False)
    interacts_with = models.ManyToManyField("self", blank=True)

    def __str__(self):
        return self.name


class PaediatricDoseBand(models.Model):
    """Age-banded paediatric dosing: both the band (by age) and the patient's weight determine the dose."""

    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="paediatric_bands")
    min_age_months = models.PositiveSmallIntegerField()
    max_age_months = models.PositiveSmallIntegerField()
    dose_per_kg = models.DecimalField(max_digits=7, decimal_places=3, validators=DOSE_VALIDATORS)
    max_dose = models.DecimalField(max_digits=8, decimal_places=2, validators=DOSE_VALIDATORS)

    class Meta:
        ordering = ["drug", "min_age_months"]


class PrescriptionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Prescription.Status.ACTIVE)

    def standing(self):
        return self.active().filter(every_session=True)


# ok: audit-trail
class Prescription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        SUSPENDED = "suspended"
        EXPIRED = "expired"
        STOPPED = "stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT)
    # ok: dosage
    dose = models.DecimalField(max_digits=9, decimal_places=2, validators=DOSE_VALIDATORS)
    frequency = models.CharField(max_length=40)
    route = models.CharField(max_length=10, default="IV")
    every_session = models.BooleanField(default=False)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    objects = PrescriptionQuerySet.as_manager()
    history = HistoricalRecords()


# ok: audit-trail
class AdministeredDose(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="administrations")
    session = models.ForeignKey(DialysisSession, on_delete=models.PROTECT, related_name="administrations")
    # expect: dosage
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    batch_number = models.CharField(max_length=20)
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    administered_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
