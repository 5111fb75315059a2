"""django-auditlog registrations for models that do not carry HistoricalRecords themselves."""
from auditlog.registry import auditlog

from patients.models import VascularAccess
from pharmacy.models import AdministeredDose

auditlog.register(VascularAccess)
auditlog.register(AdministeredDose, exclude_fields=["updated_at"])
