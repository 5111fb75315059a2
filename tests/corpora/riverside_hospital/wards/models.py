"""Patients, wards, beds and inpatient stays."""
import reversion
from django.conf import settings
from django.core import validators as v
from django.db import models as m

from core.models import ClinicalRecord, TimeStampedModel


# ok: audit-trail
class Ward(TimeStampedModel):
    code = m.SlugField(max_length=12, unique=True)
    name = m.CharField(max_length=80)
    specialty = m.CharField(max_length=60, blank=True)
    floor = m.PositiveSmallIntegerField(default=0)
    is_open = m.BooleanField(default=True)

    def __str__(self):
        return self.name


class Bed(TimeStampedModel):
    ward = m.ForeignKey(Ward, on_delete=m.CASCADE, related_name="beds")
    code = m.CharField(max_length=10)
    is_side_room = m.BooleanField(default=False)
    out_of_service = m.BooleanField(default=False)

    class Meta:
        unique_together = [("ward", "code")]


# ok: audit-trail
class Patient(ClinicalRecord):
    mrn = m.CharField("hospital number", max_length=12, unique=True)
    nhs_number = m.CharField(max_length=10, unique=True, validators=[v.RegexValidator(r"^\d{10}$")])
    full_name = m.CharField(max_length=160)
    date_of_birth = m.DateField()
    sex = m.CharField(max_length=1, choices=[("F", "Female"), ("M", "Male"), ("X", "Other / not stated")])
    phone = m.CharField(max_length=20, blank=True)
    address_line = m.CharField(max_length=200, blank=True)
    postcode = m.CharField(max_length=8, blank=True)
    gp_practice_code = m.CharField(max_length=6, blank=True)
    is_deceased = m.BooleanField(default=False)

    def __str__(self):
        return f"Patient {self.pk}"


# ok: audit-trail
class Admission(TimeStampedModel):
    class Status(m.TextChoices):
        ADMITTED = "admitted"
        TRANSFERRED = "transferred"
        DISCHARGED = "discharged"

    patient = m.ForeignKey(Patient, on_delete=m.PROTECT, related_name="admissions")
    ward = m.ForeignKey(Ward, on_delete=m.PROTECT, related_name="admissions")
    bed = m.ForeignKey(Bed, null=True, blank=True, on_delete=m.SET_NULL, related_name="admissions")
    attending = m.ForeignKey(settings.AUTH_USER_MODEL, on_delete=m.PROTECT, related_name="attending_admissions")
    admitted_at = m.DateTimeField()
    discharged_at = m.DateTimeField(null=True, blank=True)
    presenting_complaint = m.TextField()
    working_diagnosis = m.CharField(max_length=200, blank=True)
    # ok: dosage
    weight_kg = m.FloatField(null=True, blank=True)
    height_cm = m.PositiveSmallIntegerField(null=True, blank=True)
    status = m.CharField(max_length=12, choices=Status.choices, default=Status.ADMITTED)


@reversion.register()
# ok: audit-trail
class DischargeSummary(TimeStampedModel):
    admission = m.OneToOneField(Admission, on_delete=m.CASCADE, related_name="discharge_summary")
    diagnosis_text = m.TextField()
    procedures = m.TextField(blank=True)
    medications_on_discharge = m.TextField(blank=True)
    follow_up = m.TextField(blank=True)
    signed_off = m.BooleanField(default=False)


# expect: audit-trail
class NursingNote(TimeStampedModel):
    admission = m.ForeignKey(Admission, on_delete=m.CASCADE, related_name="nursing_notes")
    author = m.ForeignKey(settings.AUTH_USER_MODEL, on_delete=m.PROTECT)
    note = m.TextField()
    pressure_area_score = m.PositiveSmallIntegerField(null=True, blank=True)
    falls_risk = m.BooleanField(default=False)


# expect: audit-trail
class NextOfKin(m.Model):
    patient = m.ForeignKey(Patient, on_delete=m.CASCADE, related_name="next_of_kin")
    name = m.CharField(max_length=160)
    relationship = m.CharField(max_length=40)
    phone = m.CharField(max_length=20)
    is_lasting_power_of_attorney = m.BooleanField(default=False)
