from rest_framework import serializers

from .models import ClinicalNote, LabResult, Patient, TransportBooking, VascularAccess


# ok: phi
class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "shift",
            "care_team",
            "dry_weight_kg",
            "discharged_on",
        ]
        read_only_fields = ["mrn"]


# expect: phi
class LabResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabResult
        fields = "__all__"


class VascularAccessSerializer(serializers.ModelSerializer):
    class Meta:
        model = VascularAccess
        fields = ["id", "patient", "access_type", "site", "created_on", "notes"]


class ClinicalNoteSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ClinicalNote
        fields = ["id", "patient", "author", "body", "is_draft", "created_at"]
        read_only_fields = ["author", "created_at"]


class TransportBookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransportBooking
        fields = ["id", "patient", "pickup_time", "wheelchair", "provider_reference", "confirmed"]
