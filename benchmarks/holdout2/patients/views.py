import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import DeleteView, DetailView, ListView, UpdateView

from core.decorators import nurse_required
from core.mixins import CareTeamQuerysetMixin
from pharmacy.services import suspend_for_admission

from .forms import ClinicalNoteForm, PatientDemographicsForm, VascularAccessForm
from .models import Allergy, ClinicalNote, Patient

logger = logging.getLogger(__name__)


# ok: permission
class PatientListView(ListView):
    template_name = "patients/list.html"
    paginate_by = 40

    def get_queryset(self):
        return Patient.objects.active().select_related("care_team")


# ok: permission
class PatientDetailView(DetailView):
    model = Patient
    template_name = "patients/detail.html"
    context_object_name = "patient"


# ok: permission
class PatientUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "patients.change_patient"
    model = Patient
    form_class = PatientDemographicsForm
    template_name = "patients/edit.html"


# expect: permission
class AllergyDeleteView(LoginRequiredMixin, DeleteView):
    model = Allergy
    template_name = "patients/allergy_confirm_delete.html"

    def get_success_url(self):
        return reverse_lazy("patients:detail", kwargs={"pk": self.object.patient_id})


# ok: permission
class ClinicalNoteUpdateView(CareTeamQuerysetMixin, UpdateView):
    model = ClinicalNote
    form_class = ClinicalNoteForm
    template_name = "patients/note_edit.html"

    def get_success_url(self):
        return reverse_lazy("patients:detail", kwargs={"pk": self.object.patient_id})


@require_GET
# ok: permission
def patient_by_nhs_number(request, nhs_number):
    patient = get_object_or_404(Patient, nhs_number=nhs_number)
    return redirect("patients:detail", pk=patient.pk)


@nurse_required
# ok: permission
def record_vascular_access(request, patient_pk):
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = VascularAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access = form.save(commit=False)
        access.patient = patient
        access.save()
        # ok: phi
        logger.info("Vascular access %s recorded for patient %s", access.pk, patient.pk)
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/access_form.html", {"form": form, "patient": patient})


@require_POST
# expect: permission
def discharge_patient(request, pk):
    patient = get_object_or_404(Patient.objects.active(), pk=pk)
    patient.discharged_on = timezone.localdate()
    patient.save(update_fields=["discharged_on"])
    suspend_for_admission(patient, reason="discharged from unit")
    messages.success(request, "Patient discharged from the unit.")
    return redirect("patients:list")


@csrf_exempt
@require_POST
# expect: permission
def kiosk_checkin(request):
    """Arrivals kiosk in the waiting room: patients type their MRN and date of birth to see their chair."""
    patient = Patient.objects.active().filter(mrn=request.POST.get("mrn", ""), date_of_birth=request.POST.get("dob")).first()
    if patient is None:
        raise Http404("No matching booking")
    session = patient.sessions.today().select_related("station").first()
    return JsonResponse(
        {
            "name": patient.full_name,
            "station": session.station.code if session else None,
            "scheduled_start": session.scheduled_start.isoformat() if session else None,
        }
    )


@require_GET
# ok: permission
def healthz(request):
    return JsonResponse({"status": "ok", "time": timezone.now().isoformat()})
