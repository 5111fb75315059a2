"""Pathology requests and specimen labelling."""
import reversion
from django.conf import settings
from django.db import models as m

from core.models import TimeStampedModel
from wards.models import Admission, Patient


class LabTest(m.Model):
    code = m.CharField(max_length=20, unique=True)
    name = m.CharField(max_length=120)
    specimen_type = m.CharField(max_length=40)
    tube_colour = m.CharField(max_length=20, blank=True)
    turnaround_hours = m.PositiveSmallIntegerField(default=24)
    reference_low = m.FloatField(null=True, blank=True)
    reference_high = m.FloatField(null=True, blank=True)


@reversion.register(follow=["admission"])
# ok: audit-trail
class LabOrder(TimeStampedModel):
    class Status(m.TextChoices):
        REQUESTED = "requested"
        COLLECTED = "collected"
        RESULTED = "resulted"

    patient = m.ForeignKey(Patient, on_delete=m.PROTECT, related_name="lab_orders")
    admission = m.ForeignKey(Admission, null=True, blank=True, on_delete=m.SET_NULL)
    test = m.ForeignKey(LabTest, on_delete=m.PROTECT)
    requested_by = m.ForeignKey(settings.AUTH_USER_MODEL, on_delete=m.PROTECT, related_name="+")
    clinical_details = m.TextField(blank=True)
    status = m.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    # ok: dosage
    result_value = m.FloatField(null=True, blank=True)
    result_units = m.CharField(max_length=20, blank=True)
    resulted_at = m.DateTimeField(null=True, blank=True)


# expect: audit-trail
class SpecimenLabel(m.Model):
    lab_order = m.ForeignKey(LabOrder, on_delete=m.CASCADE, related_name="labels")
    printed_name = m.CharField(max_length=160)
    printed_dob = m.DateField()
    printed_mrn = m.CharField(max_length=12)
    barcode = m.CharField(max_length=32, unique=True)
    printed_at = m.DateTimeField(auto_now_add=True)
