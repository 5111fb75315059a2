"""Fixtures of the integration tests (helpers in clinic_project.py)."""
from clinic_project import clinic_repo  # noqa: F401
