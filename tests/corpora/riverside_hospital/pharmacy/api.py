"""Pharmacy REST API (e-MAR tablets, pump integration, pharmacy dashboard)."""
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import generics, mixins, viewsets
from rest_framework import permissions as perms
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsPharmacist, IsWardNurse

from .models import Drug, Infusion, MARRecord, MedicationOrder
from .serializers import DrugSerializer, InfusionSerializer, MARRecordSerializer, MedicationOrderSerializer


# ok: permission
class DrugListView(generics.ListAPIView):
    queryset = Drug.objects.order_by("name")
    serializer_class = DrugSerializer
    permission_classes = [perms.AllowAny]


# ok: permission
class MedicationOrderListCreateView(generics.ListCreateAPIView):
    queryset = MedicationOrder.objects.select_related("drug", "patient")
    serializer_class = MedicationOrderSerializer


# expect: permission
class MedicationOrderDetailView(generics.RetrieveUpdateDestroyAPIView):
    queryset = MedicationOrder.objects.select_related("drug", "patient")
    serializer_class = MedicationOrderSerializer
    permission_classes = [perms.IsAuthenticated]


# ok: permission
class MARViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    queryset = MARRecord.objects.select_related("order")
    serializer_class = MARRecordSerializer
    permission_classes = [perms.IsAuthenticated, IsWardNurse]

    def perform_update(self, serializer):
        serializer.save(administered_by=self.request.user, administered_at=timezone.now())


# expect: permission
class InfusionViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Infusion.objects.all()
    serializer_class = InfusionSerializer
    permission_classes = [perms.IsAuthenticated]


# ok: permission
class PharmacyWorkloadView(APIView):
    permission_classes = [perms.AllowAny]

    def get(self, request):
        by_status = MedicationOrder.objects.values("status").annotate(n=Count("id"))
        return Response({row["status"]: row["n"] for row in by_status})


@api_view(["POST"])
@permission_classes([IsPharmacist])
# ok: permission
def verify_order(request, pk):
    order = get_object_or_404(MedicationOrder, pk=pk)
    order.override_reason = request.data.get("note", order.override_reason)[:200]
    order.save(update_fields=["override_reason", "updated_at"])
    return Response({"id": order.pk, "verified": True})


@api_view(["GET"])
@permission_classes([perms.AllowAny])
# expect: permission
def bedside_orders(request, bed_id):
    orders = MedicationOrder.objects.filter(admission__bed_id=bed_id, status=MedicationOrder.Status.ACTIVE)
    return Response(MedicationOrderSerializer(orders, many=True).data)
