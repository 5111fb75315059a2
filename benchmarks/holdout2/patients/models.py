import datetime

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(discharged_on__isnull=True)

    def on_shift(self, shift):
        return self.filter(shift=shift)

    def for_user(self, user):
        return self.filter(care_team__members=user).distinct()


PatientManager = models.Manager.from_queryset(PatientQuerySet)


# ok: audit-trail
class CareTeam(models.Model):
    name = models.CharField(max_length=80, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="care_teams")

    def __str__(self):
        return self.name


# ok: audit-trail
class Patient(models.Model):
    class Shift(models.TextChoices):
        MWF_AM = "MWF_AM", "Mon/Wed/Fri morning"
        MWF_PM = "MWF_PM", "Mon/Wed/Fri afternoon"
        TTS_AM = "TTS_AM", "Tue/Thu/Sat morning"
        TTS_PM = "TTS_PM", "Tue/Thu/Sat afternoon"

    mrn = models.CharField("MRN", max_length=12, unique=True)
    nhs_number = models.CharField(max_length=10, unique=True)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    date_of_birth = models.DateField()
    phone = models.CharField(max_length=20, blank=True)
    address = models.TextField(blank=True)
    dry_weight_kg = models.DecimalField(
        max_digits=5, decimal_places=1, validators=[MinValueValidator(2), MaxValueValidator(250)]
    )
    height_cm = models.PositiveSmallIntegerField(validators=[MinValueValidator(40), MaxValueValidator(230)])
    primary_diagnosis = models.CharField(max_length=120, blank=True)
    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="patients")
    shift = models.CharField(max_length=6, choices=Shift.choices)
    discharged_on = models.DateField(null=True, blank=True)
    last_session_at = models.DateTimeField(null=True, blank=True)

    objects = PatientManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def age_months(self):
        today = datetime.date.today()
        return (today.year - self.date_of_birth.year) * 12 + today.month - self.date_of_birth.month

    # ok: phi
    def __str__(self):
        return f"{self.last_name}, {self.first_name} ({self.mrn})"


# ok: audit-trail
class VascularAccess(models.Model):
    class AccessType(models.TextChoices):
        AVF = "AVF", "Arteriovenous fistula"
        AVG = "AVG", "Arteriovenous graft"
        CVC = "CVC", "Tunnelled central venous catheter"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="accesses")
    access_type = models.CharField(max_length=3, choices=AccessType.choices)
    site = models.CharField(max_length=60)
    created_on = models.DateField()
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)


# ok: audit-trail
class Allergy(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild"
        MODERATE = "moderate"
        SEVERE = "severe"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=80)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    history = HistoricalRecords()


@pghistory.track()
# ok: audit-trail
class ClinicalNote(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField()
    is_draft = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


# expect: audit-trail
class LabResult(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="lab_results")
    test_code = models.CharField(max_length=12)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(max_length=16)
    abnormal_flag = models.CharField(max_length=2, blank=True)
    collected_at = models.DateTimeField()
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "test_code", "-collected_at"])]


# expect: audit-trail
class TransportBooking(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="transport_bookings")
    pickup_address = models.TextField()
    contact_phone = models.CharField(max_length=20)
    pickup_time = models.DateTimeField()
    wheelchair = models.BooleanField(default=False)
    provider_reference = models.CharField(max_length=40, blank=True)
    confirmed = models.BooleanField(default=False)
