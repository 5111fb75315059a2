"""Abstract base models shared by the clinical apps."""
from django.conf import settings
from django.db import models as m
from simple_history.models import HistoricalRecords


class TimeStampedModel(m.Model):
    """created/updated bookkeeping only."""

    created_at = m.DateTimeField(auto_now_add=True)
    updated_at = m.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ClinicalRecord(TimeStampedModel):
    """Base for patient-data models: every concrete subclass gets its own
    Historical<Model> table (simple_history, ``inherit=True``)."""

    recorded_by = m.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=m.SET_NULL, related_name="+")
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
