from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core import audit  # noqa: F401  (auditlog registrations)

        from . import signals  # noqa: F401
