from __future__ import annotations

import ast
import ipaddress
import re
from urllib.parse import urlparse

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, addresses_only, describe, flow_steps
from ..flows.model import HTTP, MESSAGE, PHI, RECORD, RENDERED, REQUEST, VENDOR, Flow
from ..walk import walk


def _names_identifier(flow: Flow, strong: frozenset[str]) -> bool:
    """A step of the flow reads a strong identifier (`patient.nhs_number`, `row["date_of_birth"]`)."""
    return any(t in strong for s in flow.steps for t in re.split(r"[^\w]+", s.label.lower()))


def _to_someone_else(call: ast.Call, sink: str) -> list[str] | None:
    """The recipients of a mail, as written (`["[attending.email]"]`), or ["staff"] for `mail_admins`/
    `mail_managers`; None when the call does not say (then a name may be the recipient's own)."""
    if sink in ("mail_admins", "mail_managers"):
        return ["staff"]
    if sink not in ("send_mail", "EmailMessage", "EmailMultiAlternatives"):
        return None
    to = next((k.value for k in call.keywords if k.arg in ("recipient_list", "to")), None)
    if to is None and len(call.args) >= 4:
        to = call.args[3]
    return [ast.unparse(to)] if to is not None else None


def _mentions(recipients: list[str], flow: Flow) -> bool:
    """The mail goes to the person the data is about: the recipients name the flow's source object."""
    root = re.split(r"[.\[(]", flow.steps[0].label, maxsplit=1)[0]
    return any(root in r or "patient" in r.lower() for r in recipients)


_INTERNAL_SUFFIXES = (".internal", ".local", ".lan", ".intranet", ".corp", ".home.arpa", ".localdomain")


def _internal(host: str) -> bool:
    """A host on the organisation's own network: localhost, a private address, a name with no domain or under an
    internal-only suffix (`lis.renal.trust.internal`)."""
    try:
        return ipaddress.ip_address(host).is_private
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_INTERNAL_SUFFIXES)


class PhiSentToThirdParty(FlowCheck, Check):
    """## What it does
    Flags outbound HTTP calls (`requests`, `httpx`, `urllib`, `aiohttp`) whose URL or payload — `json`,
    `data`, `params`, `files`, or a local dict built for them — carries patient identifiers, also when
    they arrive through the function's parameters from a caller in another module (flow analysis,
    checks/flows/); and the same data handed to an error tracker or analytics SDK (Sentry
    `set_user`/`capture_message`, Segment/PostHog/Mixpanel `track`/`identify`), to a chat tool (Slack's
    `chat_postMessage`, Slacker's `chat.post_message`) or to an LLM API
    (`client.chat.completions.create`, `client.messages.create`). Email and text messages (`send_mail`,
    `mail_admins`, `EmailMessage`, Twilio `client.messages.create(to=..., body=...)`, SNS `publish(PhoneNumber=...)`)
    are flagged when the subject or body carries a strong identifier (NHS number, MRN, date of birth…) or a
    whole record, or a patient's name in mail to someone else (`mail_admins`, a list of patients mailed to a
    clinician); a name to address the recipient (`[patient.email]`) is not flagged.
    Hosts listed in `third_party_hosts_allowed` (covered by a business associate agreement) pass, and so do the
    organisation's own systems: a URL whose host, written out or read from a URL setting (directly or through an
    attribute its class sets from one), is localhost, a private address or under an internal-only suffix
    (`.internal`, `.local`, `.lan`, `.corp`).

    Test code (`tests/`, `test_*.py`, `*_test.py`, conftest.py) is left out: its patients are
    made up and its sinks are the test runner's and its mocks'.

    ## Why is this bad?
    Chat tools, analytics vendors and webhooks are third parties: sending them a name, date of
    birth, ZIP code or diagnosis is a disclosure of PHI, and re-identification needs only a few
    of these. HIPAA §164.502(e) business associate contracts; §164.312(e)(1) transmission security.

    ## Example
    ```python
    requests.post(ANALYTICS_URL, json={"dob": patient.date_of_birth.isoformat(), "zip": patient.postal_code})
    ```

    Use instead:
    ```python
    requests.post(ANALYTICS_URL, json={"event": "visit_completed", "department_id": dept.pk})
    ```
    """

    code = "WG505"
    name = "phi-sent-to-third-party"
    category = Category.PHI
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 359
    summary = ("Patient identifiers sent to an outside party: outbound HTTP, error trackers, analytics, LLM APIs, "
               "email and SMS")
    hipaa = "§164.502(e) business associate contracts; §164.312(e)(1) transmission security"

    VALID = (
        # The SMS gateway needs the number it texts; the message carries nothing of the record.
        Valid("""\
            import requests

            def remind(patient):
                requests.post(SMS_GATEWAY, json={"msisdn": patient.msisdn, "text": "See you tomorrow"}, timeout=5)
            """),
        # A bare phone number is an identifier in a log, but the gateway that texts it needs it.
        Valid("""\
            import requests

            def send_sms(phone_number, text):
                requests.post("https://sms.example.com/send", data={"to": phone_number, "text": text}, timeout=5)
            """),
        # The trust's own laboratory system: its URL setting names an internal host.
        Valid("""\
            import httpx
            from django.conf import settings

            class LabClient:
                def __init__(self, base_url=None):
                    self.base_url = base_url or settings.LAB_BASE_URL

                def fetch(self, patient):
                    return httpx.get(f"{self.base_url}/results", params={"mrn": patient.mrn})
            """, path="lab/clients.py", files=(("proj/settings.py", (
            'import os\nLAB_BASE_URL = os.environ.get("LAB_BASE_URL", "https://lis.trust.internal/api")\n')),)),
        Valid("""\
            from django.core.mail import send_mail

            def remind(patient, when):
                send_mail('Your appointment', f'Dear {patient.first_name}, see you on {when}.', None, [patient.email])
            """),
        Valid("""\
            import requests

            def send(summary, since):
                requests.post(U, json={'event': 'x', **summary})
                requests.get(U, params={'since': since.isoformat()})
            """),
        Valid("""\
            import requests

            def send(patient):
                requests.post(U, json={'id': patient.pk})
            """),
        Valid("""\
            import sentry_sdk

            def tag(request, patient):
                sentry_sdk.set_user({'id': request.user.pk})
                sentry_sdk.set_tag('patient', patient.pk)
            """),
    )
    INVALID = (
        # The same client when the setting names a public host.
        Invalid("""\
            import httpx
            from django.conf import settings

            class LabClient:
                def __init__(self, base_url=None):
                    self.base_url = base_url or settings.LAB_BASE_URL

                def fetch(self, patient):
                    return httpx.get(f"{self.base_url}/results", params={"mrn": patient.mrn})
            """, line=9, path="lab/clients.py", files=(("proj/settings.py", (
            'import os\nLAB_BASE_URL = os.environ.get("LAB_BASE_URL", "https://api.labvendor.com/v2")\n')),)),
        Invalid("""\
            from django.core.mail import send_mail

            def remind(patient, when):
                send_mail(f'Appointment for {patient.nhs_number}', f'See you on {when}.', None, [patient.email])
            """,
                line=4),
        Invalid("""\
            def text(client, patient):
                client.messages.create(to=patient.phone, from_='+4400',
                                       body=f'Results for DOB {patient.date_of_birth} are ready')
            """, line=2),
        Invalid("""\
            import httpx as h

            def send(result):
                patient = result.patient
                payload = {'text': f'{patient.full_name} DOB {patient.date_of_birth}'}
                h.post(U, json=payload)
            """, line=6),
        Invalid("""\
            from requests import post

            def send(encounter):
                post(U, data={'dx': encounter.patient.mrn}, timeout=5)
            """, line=4),
        Invalid("""\
            import sentry_sdk

            def tag(patient):
                sentry_sdk.set_user({'username': patient.full_name})
            """,
                line=4),
        # The patient's name, through a `__str__` inherited from an abstract base, mailed to a clinician.
        Invalid("""            from django.core.mail import send_mail
            from django.db import models

            class Person(models.Model):
                first_name = models.CharField(max_length=50)
                last_name = models.CharField(max_length=50)

                class Meta:
                    abstract = True

                def name(self):
                    return f'{self.last_name}, {self.first_name}'

            class Patient(Person):
                def __str__(self):
                    return self.name()

            class Workup(models.Model):
                patient = models.ForeignKey(Patient, on_delete=models.CASCADE)

            def remind(attending, workups):
                lines = ['Please sign:']
                for wu in workups.filter(signer=None):
                    lines.append(' '.join(['-', str(wu.patient)]))
                send_mail('Unsigned notes', '\\n'.join(lines), None, [attending.email])
            """, line=25, path="clinic/models.py"),
        Invalid("""\
            from slack_sdk import WebClient

            def page(ward, patient):
                WebClient(token=T).chat_postMessage(channel=ward.channel, text=f'Deteriorating: {patient.full_name}')
            """, line=4),
        Invalid("""\
            def summarise(client, patient, notes):
                return client.chat.completions.create(model='m', messages=[
                    {'role': 'user', 'content': f'Summarise for {patient.full_name}: {notes}'}])
            """, line=2),
    )

    def _hosts(self, url: ast.expr, node: ast.Call) -> list[str]:
        """The hosts a URL names: its literal start, or the URL settings it reads, directly (`settings.LAB_URL`) or
        through an attribute the enclosing class sets from one (`self.base_url = settings.LAB_URL`). Empty when
        they cannot be told."""
        first = url.values[0] if isinstance(url, ast.JoinedStr) and url.values else url
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and "://" in first.value:
            return [urlparse(first.value).hostname or ""]
        code = self.ctx.project.fact("django_code")
        exprs = [url]
        attrs = {n.attr for n in ast.walk(url) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                 and n.value.id == "self"}
        cls = next((c for c in ast.walk(self.ctx.src.tree) if isinstance(c, ast.ClassDef)  # type: ignore[arg-type]
                    and c.lineno <= node.lineno <= (c.end_lineno or 0)), None) if attrs else None
        if cls is not None:
            exprs += [a.value for a in ast.walk(cls) if isinstance(a, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr in attrs for t in a.targets)]
        names = {n.attr for e in exprs for n in ast.walk(e) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == "settings"}
        urls = [u for n in sorted(names) for u in (code.string_settings.get(n, []) if code else []) if "://" in u]
        return [urlparse(u).hostname or "" for u in urls] if names and len(urls) >= len(names) else []

    def visit_Call(self, node: ast.Call) -> None:
        found = self.flows_at(node)
        if found is None:
            return
        sink, flows = found
        if sink.kind == MESSAGE:  # addressing a letter needs a name; a record number or birth date it does not
            strong = self.ctx.vocab.strong_identifiers()
            others = _to_someone_else(node, sink.label)
            flows = [f for f in flows if f.kind in (RECORD, REQUEST) or _names_identifier(f, strong)
                     or (others and f.kind in (PHI, RENDERED) and not _mentions(others, f))]
            if flows:
                labels = list(dict.fromkeys(f.value for f in flows))
                self.report(node, f"Patient identifiers in an email or text message ({sink.label}): "
                            f"{', '.join(labels[:4])}. Flow: {describe(flows)}.", end_node=node,
                            start_line=min(f.start_line for f in flows), flow=flow_steps(flows[0]),
                            fix="Send a notice without identifiers and a link to the record behind login; mail "
                            "and SMS pass through outside servers and land on shared and lock screens.")
            return
        url = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "url"), None)
        if sink.kind == HTTP:  # a number handed to the gateway that texts or tops it up (in the payload) addresses
            in_url = {n.id for n in walk(url) if isinstance(n, ast.Name)} if url is not None else set()
            flows = [f for f in flows if not addresses_only(f) or f.value in in_url]
        if sink.kind not in (HTTP, VENDOR) or not flows:
            return
        hosts = self._hosts(url, node) if url is not None else []
        if hosts and all(_internal(h) or any(h == a or h.endswith("." + a) for a in
                                             self.ctx.vocab.third_party_hosts_allowed) for h in hosts):
            return  # the trust's own systems (`lis.trust.internal`), or a host with a business associate agreement
        labels = list(dict.fromkeys(f.value for f in flows))
        self.report(node, f"PHI sent to an external endpoint: {', '.join(labels[:4])}. Flow: {describe(flows)}.",
                    end_node=node, start_line=min(f.start_line for f in flows), flow=flow_steps(flows[0]),
                    fix="Send aggregates or internal ids only, in the payload and in the URL; if the recipient must "
                    "receive PHI, it needs a BAA and an entry in third_party_hosts_allowed.")
