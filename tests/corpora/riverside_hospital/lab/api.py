from rest_framework import mixins, viewsets
from rest_framework import permissions as perms
from rest_framework import serializers as s

from .models import LabOrder, LabTest


# expect: phi
class LabOrderSerializer(s.ModelSerializer):
    class Meta:
        model = LabOrder
        fields = "__all__"


class LabTestSerializer(s.ModelSerializer):
    class Meta:
        model = LabTest
        fields = "__all__"


# expect: permission
class LabOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = LabOrder.objects.select_related("patient", "test")
    serializer_class = LabOrderSerializer
    permission_classes = [perms.AllowAny]


class LabTestViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = LabTest.objects.order_by("code")
    serializer_class = LabTestSerializer
    permission_classes = [perms.AllowAny]
