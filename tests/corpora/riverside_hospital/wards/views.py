"""Ward intranet pages (class-based views)."""
import logging as log

import structlog
from django import forms
from django.contrib.auth import mixins as auth_mixins
from django.contrib.auth import decorators as auth_dec
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import CreateView, DeleteView, DetailView, FormView, ListView, UpdateView

from core.permissions import ClinicalPermissionMixin, ward_staff_required
from pharmacy.orders import stop_orders_for_discharge

from .models import Admission, Bed, DischargeSummary, NursingNote, Patient, Ward

wardlog = log.getLogger("riverside.wards")
events = structlog.get_logger()


# expect: permission
class PatientListView(ListView):
    model = Patient
    template_name = "wards/patient_list.html"
    paginate_by = 50

    def get_queryset(self):
        return Patient.objects.filter(is_deceased=False).order_by("full_name")


# ok: permission
class AdmissionDetailView(auth_mixins.LoginRequiredMixin, DetailView):
    model = Admission
    template_name = "wards/admission_detail.html"


# expect: permission
class AdmissionUpdateView(auth_mixins.LoginRequiredMixin, UpdateView):
    model = Admission
    fields = ["ward", "bed", "working_diagnosis", "weight_kg", "height_cm"]
    template_name = "wards/admission_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        # expect: phi
        wardlog.info(f"admission updated: NHS {self.object.patient.nhs_number} dx={self.object.working_diagnosis}")
        return response


# ok: permission
class MyAdmissionUpdateView(auth_mixins.LoginRequiredMixin, UpdateView):
    model = Admission
    fields = ["working_diagnosis", "weight_kg", "height_cm"]
    template_name = "wards/admission_form.html"

    def get_queryset(self):
        return Admission.objects.filter(attending=self.request.user)


# expect: permission
class AdmissionDeleteView(auth_mixins.LoginRequiredMixin, DeleteView):
    model = Admission
    success_url = reverse_lazy("wards:ward-board")


# ok: permission
class DischargeSummaryCreateView(ClinicalPermissionMixin, CreateView):
    model = DischargeSummary
    permission_required = "wards.add_dischargesummary"
    fields = ["diagnosis_text", "procedures", "medications_on_discharge", "follow_up"]
    template_name = "wards/discharge_form.html"

    def form_valid(self, form):
        form.instance.admission = get_object_or_404(Admission, pk=self.kwargs["pk"])
        return super().form_valid(form)


class WardBoardView(ListView):
    model = Ward
    template_name = "wards/board.html"

    def get_queryset(self):
        return Ward.objects.filter(is_open=True).order_by("floor", "name")


class TransferForm(forms.Form):
    bed = forms.ModelChoiceField(queryset=Bed.objects.filter(out_of_service=False))
    reason = forms.CharField(max_length=200)


# expect: permission
class TransferView(auth_mixins.LoginRequiredMixin, FormView):
    form_class = TransferForm
    template_name = "wards/transfer.html"

    def form_valid(self, form):
        admission = get_object_or_404(Admission, pk=self.kwargs["pk"])
        bed = form.cleaned_data["bed"]
        admission.bed = bed
        admission.ward = bed.ward
        admission.status = Admission.Status.TRANSFERRED
        admission.save()
        # ok: phi
        wardlog.info("admission %s moved to bed %s on %s", admission.pk, bed.code, bed.ward.name)
        return redirect("wards:admission-detail", pk=admission.pk)


# ok: permission
class NursingNoteCreateView(auth_mixins.LoginRequiredMixin, auth_mixins.UserPassesTestMixin, CreateView):
    model = NursingNote
    fields = ["note", "pressure_area_score", "falls_risk"]
    template_name = "wards/note_form.html"

    def test_func(self):
        from core.permissions import is_ward_staff

        return is_ward_staff(self.request.user)

    def form_valid(self, form):
        form.instance.admission = get_object_or_404(Admission, pk=self.kwargs["pk"])
        form.instance.author = self.request.user
        return super().form_valid(form)


@method_decorator(auth_dec.login_required, name="dispatch")
# expect: permission
class DischargeView(View):
    def post(self, request, pk):
        admission = get_object_or_404(Admission, pk=pk)
        if not hasattr(admission, "discharge_summary"):
            # expect: phi
            raise ValidationError(f"No discharge summary for {admission.patient.full_name} (DOB {admission.patient.date_of_birth})")
        admission.status = Admission.Status.DISCHARGED
        admission.discharged_at = timezone.now()
        admission.save()
        stop_orders_for_discharge(admission)
        # expect: phi
        events.info("patient_discharged", mrn=admission.patient.mrn, ward=admission.ward.name)
        return HttpResponseRedirect(reverse("wards:ward-board"))


@method_decorator(auth_dec.login_required, name="dispatch")
# ok: permission
class AdmitView(View):
    def get(self, request):
        return JsonResponse({"wards": list(Ward.objects.filter(is_open=True).values("code", "name"))})

    def post(self, request):
        if not request.user.has_perm("wards.add_admission"):
            raise PermissionDenied
        patient = get_object_or_404(Patient, mrn=request.POST["mrn"])
        ward = get_object_or_404(Ward, code=request.POST["ward"])
        admission = Admission.objects.create(patient=patient, ward=ward, attending=request.user, admitted_at=timezone.now(), presenting_complaint=request.POST.get("complaint", ""))
        # expect: phi
        wardlog.info("Admitted %s (MRN %s) to %s", patient.full_name, patient.mrn, ward.name)
        # ok: phi
        events.info("admission_created", admission_id=admission.pk, ward=ward.name)
        return JsonResponse({"id": admission.pk}, status=201)


@auth_dec.login_required
@ward_staff_required
# ok: permission
def close_ward(request, code):
    ward = get_object_or_404(Ward, code=code)
    # expect: audit-trail
    Admission.objects.filter(ward=ward, status=Admission.Status.ADMITTED).update(status=Admission.Status.TRANSFERRED)
    # ok: audit-trail
    Bed.objects.filter(ward=ward).update(out_of_service=True)
    ward.is_open = False
    ward.save(update_fields=["is_open", "updated_at"])
    return redirect("wards:ward-board")


@auth_dec.login_required
@ward_staff_required
def reassign_attending(request, pk):
    admission = get_object_or_404(Admission, pk=pk)
    # Consultants only: nurses may see this page but must not change the attending.
    # expect: permission
    request.user.has_perm("wards.reassign_attending")
    admission.attending_id = int(request.POST["attending"])
    admission.save()
    return redirect("wards:admission-detail", pk=admission.pk)


@auth_dec.permission_required("wards.delete_admission", raise_exception=True)
def purge_cancelled_admissions(request, ward_code):
    # ok: audit-trail
    Admission.objects.filter(ward__code=ward_code, discharged_at__isnull=True, bed__isnull=True).delete()
    with connection.cursor() as cur:
        # expect: audit-trail
        cur.execute("UPDATE wards_admission SET bed_id = NULL WHERE ward_id IN (SELECT id FROM wards_ward WHERE code = %s)", [ward_code])
    return redirect("wards:ward-board")
