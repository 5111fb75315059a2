"""Ward API: patient lookup for the bed-management board and the admissions app."""
import structlog
from django.db.models import Q
from rest_framework import generics
from rest_framework import permissions as perms
from rest_framework import serializers as s
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Admission, Patient, Ward

slog = structlog.get_logger("riverside.wards.api")


# expect: phi
class PatientSerializer(s.ModelSerializer):
    class Meta:
        model = Patient
        fields = "__all__"


# ok: phi
class PatientBadgeSerializer(s.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "mrn", "full_name"]


# ok: phi
class AdmissionSerializer(s.ModelSerializer):
    class Meta:
        model = Admission
        exclude = ["presenting_complaint", "created_at", "updated_at"]


class WardSerializer(s.ModelSerializer):
    class Meta:
        model = Ward
        fields = "__all__"


# ok: permission
class PatientListView(generics.ListAPIView):
    queryset = Patient.objects.filter(is_deceased=False).order_by("mrn")
    serializer_class = PatientSerializer


# expect: permission
class PatientSearchView(APIView):
    permission_classes = ()

    def get(self, request):
        term = request.query_params.get("q", "").strip()
        found = Patient.objects.filter(Q(mrn=term) | Q(nhs_number=term) | Q(full_name__icontains=term))[:20]
        slog.info("patient_search", results=len(found))
        return Response(PatientBadgeSerializer(found, many=True).data)


class MyAdmissionsView(generics.ListAPIView):
    serializer_class = AdmissionSerializer
    permission_classes = [perms.IsAuthenticated]

    def get_queryset(self):
        return Admission.objects.filter(attending=self.request.user, status=Admission.Status.ADMITTED)


class WardListView(generics.ListAPIView):
    queryset = Ward.objects.filter(is_open=True)
    serializer_class = WardSerializer
    permission_classes = [perms.AllowAny]
