import logging

from django.shortcuts import get_object_or_404
from rest_framework import status, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.mixins import ClinicalModelViewSet
from core.permissions import IsNurse, IsPrescriber

from .limits import DoseLimitExceeded, check_daily_total
from .models import Drug, Prescription
from .serializers import AdministrationSerializer, DoseChangeSerializer, DrugSerializer, PrescriptionSerializer

logger = logging.getLogger(__name__)


class DrugViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Drug.objects.order_by("name")
    serializer_class = DrugSerializer


# ok: permission
class PrescriptionViewSet(ClinicalModelViewSet):
    queryset = Prescription.objects.select_related("patient", "drug")
    serializer_class = PrescriptionSerializer
    permission_classes = [IsPrescriber]


@api_view(["POST"])
@permission_classes([IsAuthenticated])
# expect: permission
def change_dose(request, pk):
    prescription = get_object_or_404(Prescription.objects.active(), pk=pk)
    serializer = DoseChangeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    new_dose = serializer.validated_data["dose"]
    if new_dose > prescription.drug.max_single_dose:
        return Response({"dose": "Above formulary maximum."}, status=status.HTTP_400_BAD_REQUEST)
    prescription.dose = new_dose
    prescription.save(update_fields=["dose"])
    # ok: phi
    logger.info("Dose for prescription %s changed by user %s", prescription.pk, request.user.pk)
    return Response(PrescriptionSerializer(prescription).data)


@api_view(["POST"])
@permission_classes([IsNurse])
# ok: permission
def administer(request, pk):
    prescription = get_object_or_404(Prescription.objects.active().select_related("drug"), pk=pk)
    serializer = AdministrationSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    amount = serializer.validated_data["amount"]
    given_today = list(
        prescription.administrations.filter(administered_at__date=serializer.validated_data["administered_at"].date()).values_list("amount", flat=True)
    )
    try:
        check_daily_total(prescription.drug, given_today + [amount])
    except DoseLimitExceeded:
        # expect: permission
        request.user.has_perm("pharmacy.override_dose_limit")
        logger.warning("Daily limit override on prescription %s by user %s", prescription.pk, request.user.pk)
    if amount > prescription.dose:
        return Response({"amount": "More than the prescribed dose."}, status=status.HTTP_400_BAD_REQUEST)
    administration = serializer.save(prescription=prescription, administered_by=request.user)
    return Response(AdministrationSerializer(administration).data, status=status.HTTP_201_CREATED)
