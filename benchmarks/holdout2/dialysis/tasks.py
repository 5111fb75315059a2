import csv
import datetime
import io
import logging

import boto3
import requests
import structlog
from celery import shared_task
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from patients.models import Patient
from pharmacy.dosing import epoetin_dose_units
from pharmacy.models import Prescription

from .models import DialysisSession, Station

logger = logging.getLogger(__name__)
log = structlog.get_logger("renalcare.tasks")

# expect: secret
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
# expect: secret
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REPORT_BUCKET = "northgate-renal-ops-reports"


@shared_task
def mark_no_shows():
    cutoff = timezone.now() - datetime.timedelta(hours=2)
    late = DialysisSession.objects.scheduled().filter(scheduled_start__lt=cutoff).select_related("patient")
    for session in late:
        # expect: phi
        log.warning("no_show", session_id=session.pk, patient=session.patient.full_name, phone=session.patient.phone)
    # expect: audit-trail
    updated = late.update(status=DialysisSession.Status.NO_SHOW)
    logger.info("Marked %s sessions as no-show", updated)


@shared_task
def release_disinfected_stations():
    cutoff = timezone.now() - datetime.timedelta(minutes=45)
    # ok: audit-trail
    Station.objects.filter(is_out_of_service=True, last_disinfected_at__gte=cutoff).update(is_out_of_service=False)


@shared_task
def expire_prescriptions():
    today = timezone.localdate()
    expired = list(Prescription.objects.active().filter(end_date__lt=today))
    for prescription in expired:
        prescription.status = Prescription.Status.EXPIRED
    # expect: audit-trail
    Prescription.objects.bulk_update(expired, ["status"], batch_size=200)
    logger.info("Expired %d prescriptions", len(expired))


@shared_task
def purge_old_history():
    cutoff = timezone.now() - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    # expect: audit-trail
    deleted, _ = Patient.history.filter(history_date__lt=cutoff).delete()
    logger.info("Purged %s historical patient rows", deleted)


@shared_task
# expect: dosage
def reorder_standing_epo(session_id):
    """After each completed session, renew the epoetin order using the latest haemoglobin."""
    session = DialysisSession.objects.select_related("patient").get(pk=session_id)
    patient = session.patient
    current = Prescription.objects.standing().filter(patient=patient, drug__atc_code="B03XA01").select_related("drug").first()
    if current is None:
        return None
    latest_hb = patient.lab_results.filter(test_code="HB").order_by("-collected_at").first()
    if latest_hb is None:
        return None
    dose = epoetin_dose_units(current.drug, session.post_weight_kg or patient.dry_weight_kg, latest_hb.value)
    current.status = Prescription.Status.STOPPED
    current.save(update_fields=["status"])
    renewed = Prescription.objects.create(
        patient=patient,
        drug=current.drug,
        dose=dose,
        frequency=current.frequency,
        route=current.route,
        every_session=True,
        start_date=timezone.localdate(),
        prescribed_by=current.prescribed_by,
    )
    return renewed.pk


@shared_task
def push_session_metrics():
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    sessions = DialysisSession.objects.completed().filter(ended_at__date=yesterday).select_related("patient")
    for session in sessions:
        uf_removed = (session.pre_weight_kg or 0) - (session.post_weight_kg or 0)
        payload = {"event": "session_completed", "mrn": session.patient.mrn, "dob": session.patient.date_of_birth.isoformat(), "uf_kg": str(uf_removed)}
        # expect: phi
        requests.post(settings.ANALYTICS_INGEST_URL, json=payload, timeout=10)


@shared_task
def push_unit_activity():
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    counts = dict(
        DialysisSession.objects.filter(scheduled_start__date=yesterday).values_list("status").annotate(n=Count("id"))
    )
    # ok: phi
    requests.post(settings.ANALYTICS_INGEST_URL, json={"event": "unit_activity", "date": yesterday.isoformat(), "counts": counts}, timeout=10)


@shared_task
def upload_station_report():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["station", "bay", "sessions_7d", "out_of_service"])
    week_ago = timezone.now() - datetime.timedelta(days=7)
    for station in Station.objects.annotate(n=Count("sessions")).filter(sessions__scheduled_start__gte=week_ago):
        writer.writerow([station.code, station.bay, station.n, station.is_out_of_service])
    s3 = boto3.client("s3", aws_access_key_id=AWS_ACCESS_KEY_ID, aws_secret_access_key=AWS_SECRET_ACCESS_KEY, region_name="eu-west-2")
    s3.put_object(Bucket=REPORT_BUCKET, Key=f"stations/{timezone.localdate():%Y-%m-%d}.csv", Body=buffer.getvalue())
