"""Helpers for the integration tests: a small Django clinic project in a temp git repository."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the checkout under test

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}

MODELS = """
from django.db import models


class Patient(models.Model):
    mrn = models.CharField(max_length=20, unique=True)
    date_of_birth = models.DateField()
"""

SERIALIZERS = """
from rest_framework import serializers

from clinic.models import Patient


class PatientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "mrn"]
"""

OPEN_VIEW = """
from rest_framework import viewsets

from clinic.models import Patient
from clinic.serializers import PatientSerializer


class PatientViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PatientSerializer
    queryset = Patient.objects.all()
    permission_classes = []
"""

CLOSED_VIEW = OPEN_VIEW.replace("from rest_framework import viewsets",
                                "from rest_framework import permissions, viewsets").replace(
    "permission_classes = []",
    "permission_classes = [permissions.IsAuthenticated, permissions.DjangoModelPermissions]")

SECRET_SETTINGS = """
import os

SECRET_KEY = "django-insecure-q7#z!m2r9f$w8k+e3vq1x"
DEBUG = False
"""

CLEAN_SETTINGS = """
import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
"""


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "ANTHROPIC_", "OPENAI_"))},
                    **GIT_ENV}

    def write(self, rel: str, source: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(source).lstrip("\n"), encoding="utf-8")

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["git", *args], check=False, cwd=self.path, env=self.env, capture_output=True, text=True,
                              timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {proc.stdout}{proc.stderr}")
        return proc


@pytest.fixture
def clinic_repo(tmp_path: Path) -> Callable[[], Repo]:
    """A small Django project in a fresh git repository, one clean commit on `main`."""

    def make(name: str = "clinic-project") -> Repo:
        repo = Repo(tmp_path / name)
        repo.path.mkdir()
        repo.git("init", "-q", "-b", "main")
        repo.write("clinic/__init__.py", "")
        repo.write("clinic/models.py", MODELS)
        repo.write("clinic/serializers.py", SERIALIZERS)
        repo.write("clinic/settings.py", CLEAN_SETTINGS)
        repo.git("add", "-A")
        repo.git("commit", "-q", "--no-verify", "-m", "clinic")
        return repo

    return make
