"""Sinks beyond logs and HTTP: task queues, cache keys, files, email and SMS (each with its counter-case)."""
from __future__ import annotations

import pytest

from checks.base import Valid
from checks.domain.phi_copied_out_of_the_record import PhiCopiedOutOfTheRecord
from checks.domain.phi_sent_to_third_party import PhiSentToThirdParty
from checks.testing import run_example


def _lines(check, code: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [f.start_line for f in run_example(check, Valid(code, path="app/jobs.py"))]


@pytest.mark.parametrize(("code", "expected"), [
    ("from django.core.cache import caches\n\ndef f(p):\n    caches['default'].get(p.nhs_number)\n", [4]),
    ("from django.core.cache import cache\n\ndef f(p, v):\n    cache.set_many({p.date_of_birth: v})\n", [4]),
    # The value is not the key.
    ("from django.core.cache import cache\n\ndef f(p):\n    cache.set('k', p.nhs_number)\n", []),
    ("from pathlib import Path\n\ndef f(p):\n    Path('/tmp/x.txt').write_text(p.nhs_number)\n", [4]),
    (("from django.conf import settings\nfrom pathlib import Path\n\ndef f(p):\n"
     "    Path(settings.MEDIA_ROOT, 'x.txt').write_text(p.nhs_number)\n"), []),
    (("import json\n\ndef f(p):\n    with open('out.json', 'a') as fh:\n"
     "        json.dump({'nhs': p.nhs_number}, fh)\n"), [5]),
    ("import json\n\ndef f(p):\n    with open('out.json') as fh:\n        json.dump({'nhs': p.nhs_number}, fh)\n", []),
    ("def f(p, task):\n    task.apply_async(kwargs={'mrn': p.mrn}, queue='x')\n", [2]),
    ("def f(p, task):\n    task.apply_async(args=[p.pk], queue=p.mrn)\n", []),  # routing options are not the message
    ("def f(app, p):\n    app.send_task('letters.send', args=[p.nhs_number])\n", [2]),
])
def test_task_cache_and_file_sinks(code: str, expected: list[int]) -> None:
    assert _lines(PhiCopiedOutOfTheRecord, code) == expected


@pytest.mark.parametrize(("code", "expected"), [
    # Twilio's messages.create is an SMS; Anthropic's (model=, messages=) is an LLM call: both leave, differently.
    ("def f(client, p):\n    client.messages.create(to=p.phone, body=f'MRN {p.mrn} results ready')\n", [2]),
    ("def f(client, p):\n    client.messages.create(to=p.phone, body=f'Hello {p.first_name}')\n", []),
    (("def f(client, patient):\n"
     "    client.messages.create(model='m', messages=[{'role': 'user', 'content': patient.full_name}])\n"),
     [2]),
    (("from django.core.mail import mail_admins\n\ndef f(p):\n"
     "    mail_admins('Failed import', f'{p.nhs_number}')\n"), [4]),
    (("from django.core.mail import EmailMessage\n\ndef f(p, rows):\n"
     "    EmailMessage('Export', 'attached', to=[p.email]).send()\n"), []),
    ("def f(sns, p):\n    sns.publish(PhoneNumber=p.phone, Message=f'DOB {p.date_of_birth}')\n", [2]),
])
def test_email_and_sms_sinks(code: str, expected: list[int]) -> None:
    assert _lines(PhiSentToThirdParty, code) == expected
