from decimal import Decimal

import reversion
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from patients.models import Patient


# ok: audit-trail
class Station(models.Model):
    code = models.CharField(max_length=8, unique=True)
    bay = models.CharField(max_length=20)
    machine_serial = models.CharField(max_length=30)
    is_out_of_service = models.BooleanField(default=False)
    last_disinfected_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.code} ({self.bay})"


class SessionQuerySet(models.QuerySet):
    def today(self):
        return self.filter(scheduled_start__date=timezone.localdate())

    def scheduled(self):
        return self.filter(status=DialysisSession.Status.SCHEDULED)

    def completed(self):
        return self.filter(status=DialysisSession.Status.COMPLETED)


@reversion.register()
# ok: audit-trail
class DialysisSession(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        NO_SHOW = "no_show"
        CANCELLED = "cancelled"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="sessions")
    scheduled_start = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    pre_weight_kg = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(250)]
    )
    post_weight_kg = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(250)]
    )
    uf_goal_ml = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(5000)])
    # ok: dosage
    blood_flow_rate_ml_min = models.PositiveIntegerField(default=300, validators=[MinValueValidator(150), MaxValueValidator(500)])
    dialysate_potassium = models.DecimalField(
        max_digits=2, decimal_places=1, default=Decimal("2.0"), validators=[MinValueValidator(0), MaxValueValidator(4)]
    )
    nursing_notes = models.TextField(blank=True)
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_start"]


# ok: audit-trail
class HeparinProtocol(models.Model):
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="heparin_protocol")
    # expect: dosage
    bolus_units = models.FloatField()
    # ok: dosage
    hourly_units = models.DecimalField(max_digits=5, decimal_places=0, validators=[MinValueValidator(0), MaxValueValidator(2000)])
    stop_minutes_before_end = models.PositiveSmallIntegerField(default=60)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    reviewed_on = models.DateField()


reversion.register(HeparinProtocol)
