from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class Patient(models.Model):
    mrn = models.CharField("MRN", max_length=12, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    nhs_number = models.CharField(max_length=12, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def __str__(self):
        return f"Patient #{self.pk}"


class Drug(models.Model):
    name = models.CharField(max_length=200)
    max_single_dose_mg = models.DecimalField(
        max_digits=10, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("10000"))],
    )
    mg_per_kg = models.DecimalField(
        max_digits=7, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("100"))],
    )


class Prescription(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prescriptions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT)
    dose_mg = models.DecimalField(
        max_digits=10, decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("10000"))],
    )
    infusion_rate_ml_per_hr = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)

    history = HistoricalRecords()


class ClinicalNote(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notes")
    author = models.CharField(max_length=100)
    text = models.TextField()
    written_at = models.DateTimeField(auto_now_add=True)
