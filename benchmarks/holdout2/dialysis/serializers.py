from rest_framework import serializers

from .models import DialysisSession, HeparinProtocol, Station


# ok: phi
class StationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Station
        fields = "__all__"


class DialysisSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DialysisSession
        fields = [
            "id",
            "patient",
            "station",
            "scheduled_start",
            "started_at",
            "ended_at",
            "status",
            "pre_weight_kg",
            "post_weight_kg",
            "uf_goal_ml",
            "blood_flow_rate_ml_min",
        ]


class HeparinProtocolSerializer(serializers.ModelSerializer):
    class Meta:
        model = HeparinProtocol
        fields = ["id", "patient", "bolus_units", "hourly_units", "stop_minutes_before_end", "reviewed_on"]
        read_only_fields = ["reviewed_on"]
