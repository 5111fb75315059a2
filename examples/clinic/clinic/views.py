import logging
import os

from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from .models import Patient, Prescription

logger = logging.getLogger(__name__)


def patient_lookup(request):
    """Used by the ward tablets."""
    patients = Patient.objects.filter(last_name__iexact=request.GET.get("q", ""))
    return JsonResponse({"results": [{"mrn": p.mrn, "name": p.full_name, "dob": p.date_of_birth} for p in patients]})


@login_required
@permission_required("clinic.view_patient", raise_exception=True)
def patient_detail(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    logger.info("Patient %s opened by user %s", patient.pk, request.user.pk)
    return JsonResponse({"mrn": patient.mrn, "name": patient.full_name})


@login_required
@permission_required("clinic.change_prescription", raise_exception=True)
def stop_all_prescriptions(request, pk):
    patient = get_object_or_404(Patient, pk=pk)
    Prescription.objects.filter(patient=patient, active=True).update(active=False)
    logger.info("Stopped prescriptions for %s (MRN %s)", patient.full_name, patient.mrn)
    return JsonResponse({"ok": True})


@login_required
@permission_required("clinic.view_patient", raise_exception=True)
def ward_census(request):
    ward = request.GET.get("ward", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clinic_patient WHERE ward = '%s'" % ward)
        (count,) = cursor.fetchone()
    return JsonResponse({"ward": ward, "count": count})
