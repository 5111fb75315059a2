"""django-auditlog registrations for the wards app (imported from WardsConfig.ready)."""
from auditlog.registry import auditlog

from .models import Admission

auditlog.register(Admission, exclude_fields=["updated_at"])
