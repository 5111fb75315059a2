from decimal import Decimal

from rest_framework import serializers

from . import services
from .models import AdministeredDose, Drug, Prescription


class DrugSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drug
        fields = ["id", "name", "atc_code", "unit", "vial_strength", "max_single_dose", "max_daily_dose", "weight_based"]


class PrescriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prescription
        fields = ["id", "patient", "drug", "dose", "frequency", "route", "every_session", "start_date", "end_date", "status"]
        read_only_fields = ["start_date", "status"]

    def validate(self, attrs):
        drug = attrs.get("drug") or self.instance.drug
        dose = attrs.get("dose", getattr(self.instance, "dose", None))
        if dose is not None and dose > drug.max_single_dose:
            raise serializers.ValidationError({"dose": f"Exceeds the formulary maximum of {drug.max_single_dose} {drug.unit}."})
        return attrs

    def create(self, validated_data):
        try:
            return services.create_prescription(prescriber=self.context["request"].user, **validated_data)
        except (services.AllergyConflict, services.InteractionConflict) as exc:
            raise serializers.ValidationError({"drug": str(exc)}) from exc


class DoseChangeSerializer(serializers.Serializer):
    dose = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("100000"))


class AdministrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdministeredDose
        fields = ["id", "session", "amount", "batch_number", "administered_at"]
