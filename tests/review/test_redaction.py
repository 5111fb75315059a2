"""Nothing secret or patient-identifying leaves the machine: every request body the server receives is checked."""
from __future__ import annotations

from pathlib import Path

import pytest

from checks.review import review_findings
from checks.review.redact import Redactor

from . import fake_llm as F
from .conftest import CANARIES, PHI, PROVIDERS, SECRET, UNUSED, make_cfg


@pytest.mark.parametrize("provider", PROVIDERS)
def test_canaries_never_reach_the_server(provider: str, project: Path, fake: F.FakeLLM) -> None:
    fake.script.extend([F.garbage()])  # include a retry round trip in what is checked
    _, stats = review_findings([SECRET, PHI, UNUSED], root=project, settings=make_cfg(provider, fake), enabled=True)
    assert len(fake.bodies) >= 3
    for body in fake.bodies:
        text = body.decode()
        for canary in CANARIES:
            assert canary not in text, canary
    sent = "\n".join(b.decode() for b in fake.bodies)
    for placeholder in ("<SECRET_1>", "<SSN_1>", "<MRN_1>", "<NAME_1>", "<EMAIL_1>", "<PHONE_1>", "<DATE_1>"):
        assert placeholder in sent
    assert stats["redactions"]["SECRET"] >= 1 and stats["redactions"]["SSN"] >= 1


@pytest.mark.parametrize(("code", "kind"), [
    ('STRIPE_KEY = "sk_live_51HxYzAbCdEfGhIjKlMnOpQrSt"', "SECRET"),
    ('AWS = "AKIAIOSFODNN7EXAMPLE"', "SECRET"),
    ('DATABASES = {"default": {"PASSWORD": "hunter2hunter2"}}', "SECRET"),
    ('url = "postgres://admin:S3cretPw@db.internal/clinic"', "SECRET"),
    ('token = "aB3dE5fG7hJ9kL1mN3pQ5rS7"', "SECRET"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\n-----END RSA PRIVATE KEY-----", "SECRET"),
    ('p = Patient(ssn="123-45-6789")', "SSN"),
    ('lookup(mrn="A1234567")', "MRN"),
    ('contact = "+1 415 555 0199"', "PHONE"),
    ('send_mail(to="j.doe@hospital.org")', "EMAIL"),
    ("dob = date(1951, 7, 4)", "DATE"),
    ('born = "04/07/1951"', "DATE"),
    ('Patient(first_name="Ada", last_name="Lovelace")', "NAME"),
    ('name = "Grace Hopper"', "NAME"),
])
def test_detectors(code: str, kind: str) -> None:
    r = Redactor()
    out = r.redact(code)
    assert f"<{kind}_1>" in out, out


def test_keeps_code_readable() -> None:
    code = 'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\nlogger.info("admitted %s", patient.pk)\nx = "hello world"'
    assert Redactor().redact(code) == code


def test_same_value_same_placeholder() -> None:
    out = Redactor().redact('a = "078-05-1120"\nb = "078-05-1120"\nc = "219-09-9999"')
    assert out.count("<SSN_1>") == 2 and "<SSN_2>" in out


def test_values_of_the_projects_identifying_fields_are_redacted() -> None:
    code = 'Patient.objects.create(hospital_number="RAL0041", ward="5B")\nlookup(nhs_number="943 476 5919")'
    plain = Redactor().redact(code)
    assert "RAL0041" in plain  # no pattern knows this hospital's number format
    out = Redactor(frozenset({"hospital_number", "nhs_number"})).redact(code)
    assert "RAL0041" not in out and "943 476 5919" not in out and "<PHI_1>" in out and 'ward="5B"' in out


def test_phi_field_names_come_from_the_vocabulary_and_the_project_model(tmp_path) -> None:
    from checks.engine import run_checks
    from checks.facts import COLLECTORS
    from checks.facts.patient_data import phi_field_names
    from checks.vocabulary import Vocabulary

    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic/models.py").write_text("from django.db import models\n\nclass Patient(models.Model):\n"
                                               "    local_mrn = models.CharField(max_length=9)\n")
    vocab = Vocabulary(phi_fields=["hospital_number"])
    project = run_checks(tmp_path, ["clinic/models.py"], vocab=vocab, checks=(), collectors=COLLECTORS, jobs=1).project
    names = phi_field_names(project, vocab)
    assert {"hospital_number", "local_mrn", "date_of_birth"} <= names
