import logging

from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.permissions import IsCareTeamMember

from .models import ClinicalNote, LabResult, Patient, TransportBooking, VascularAccess
from .serializers import (
    ClinicalNoteSerializer,
    LabResultSerializer,
    PatientSerializer,
    TransportBookingSerializer,
    VascularAccessSerializer,
)

logger = logging.getLogger(__name__)


# expect: permission
class PatientViewSet(viewsets.ModelViewSet):
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    permission_classes = [IsAuthenticated]


# expect: permission
class LabResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Feeds the results panel on the chairside tablets."""

    queryset = LabResult.objects.select_related("patient").order_by("-collected_at")
    serializer_class = LabResultSerializer
    permission_classes = [AllowAny]


# ok: permission
class VascularAccessViewSet(viewsets.ModelViewSet):
    serializer_class = VascularAccessSerializer
    permission_classes = [IsCareTeamMember]

    def get_queryset(self):
        return VascularAccess.objects.filter(patient__care_team__members=self.request.user)


# ok: permission
class ClinicalNoteViewSet(viewsets.ModelViewSet):
    serializer_class = ClinicalNoteSerializer

    def get_queryset(self):
        return ClinicalNote.objects.filter(patient__in=Patient.objects.for_user(self.request.user))

    def perform_create(self, serializer):
        note = serializer.save(author=self.request.user)
        # ok: phi
        logger.info("Clinical note %s added by user %s", note.pk, self.request.user.pk)


# expect: permission
class TransportBookingViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Called by the ambulance provider's scheduling system to confirm pickups."""

    queryset = TransportBooking.objects.select_related("patient")
    serializer_class = TransportBookingSerializer
    authentication_classes = []
    permission_classes = []

    def perform_update(self, serializer):
        booking = serializer.save()
        if booking.confirmed:
            # expect: phi
            logger.info("Transport confirmed for %s at %s", booking.patient, booking.pickup_time)
