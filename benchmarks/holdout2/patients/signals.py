import logging

import structlog
from django.db.models.signals import post_save
from django.dispatch import receiver

from dialysis.models import DialysisSession

from .models import Patient

logger = logging.getLogger(__name__)
log = structlog.get_logger("renalcare.signals")


@receiver(post_save, sender=Patient)
def patient_saved(sender, instance, created, **kwargs):
    if created:
        # expect: phi
        logger.info(f"New patient registered: {instance.full_name} (NHS {instance.nhs_number})")
    else:
        # ok: phi
        logger.info("Patient %s updated", instance.pk)


@receiver(post_save, sender=DialysisSession)
def session_saved(sender, instance, created, **kwargs):
    if instance.status != DialysisSession.Status.COMPLETED or instance.ended_at is None:
        return
    # expect: audit-trail
    Patient.objects.filter(pk=instance.patient_id).update(last_session_at=instance.ended_at)
    # ok: phi
    log.info("session_completed", session_id=instance.pk, patient_id=instance.patient_id, station=instance.station.code)
