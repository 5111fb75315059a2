from django.apps import AppConfig


class WardsConfig(AppConfig):
    name = "wards"
    verbose_name = "Wards and admissions"

    def ready(self):
        from . import audit  # noqa: F401
