from rest_framework import serializers as s

from .models import Allergy, Drug, Infusion, MARRecord, MedicationOrder
from .orders import place_order


# ok: phi
class DrugSerializer(s.ModelSerializer):
    class Meta:
        model = Drug
        fields = "__all__"


# ok: phi
class AllergySerializer(s.ModelSerializer):
    class Meta:
        model = Allergy
        exclude = ["reaction", "created_at", "updated_at"]


class MedicationOrderSerializer(s.ModelSerializer):
    class Meta:
        model = MedicationOrder
        fields = ["id", "patient", "admission", "drug", "dose_mg", "frequency_hours", "indication", "status", "override_reason"]
        read_only_fields = ["status"]

    def create(self, validated_data):
        return place_order(prescriber=self.context["request"].user, **validated_data)


class QuickOrderSerializer(s.ModelSerializer):
    """Used by the theatre recovery tablets for standard post-op analgesia."""

    class Meta:
        model = MedicationOrder
        fields = ["patient", "admission", "drug", "dose_mg", "frequency_hours", "indication"]

    # expect: dosage
    def create(self, validated_data):
        return MedicationOrder.objects.create(prescriber=self.context["request"].user, **validated_data)


class MARRecordSerializer(s.ModelSerializer):
    class Meta:
        model = MARRecord
        fields = ["id", "order", "scheduled_for", "administered_at", "administered_dose_mg", "outcome", "omission_reason"]
        read_only_fields = ["order", "scheduled_for"]


# expect: phi
class InfusionSerializer(s.ModelSerializer):
    class Meta:
        model = Infusion
        fields = "__all__"
