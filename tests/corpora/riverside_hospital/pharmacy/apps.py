from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "pharmacy"
    verbose_name = "Pharmacy and medicines administration"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import MARRecord

        auditlog.register(MARRecord, exclude_fields=["updated_at"])
