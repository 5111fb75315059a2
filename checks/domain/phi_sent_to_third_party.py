from __future__ import annotations

import ast
import re
from urllib.parse import urlparse

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, describe, flow_steps
from ..flows.model import HTTP, MESSAGE, RECORD, REQUEST, VENDOR, Flow


def _names_identifier(flow: Flow, strong: frozenset[str]) -> bool:
    """A step of the flow reads a strong identifier (`patient.nhs_number`, `row["date_of_birth"]`)."""
    return any(t in strong for s in flow.steps for t in re.split(r"[^\w]+", s.label.lower()))


class PhiSentToThirdParty(Check, FlowCheck):
    """## What it does
    Flags outbound HTTP calls (`requests`, `httpx`, `urllib`, `aiohttp`) whose URL or payload — `json`,
    `data`, `params`, `files`, or a local dict built for them — carries patient identifiers, also when
    they arrive through the function's parameters from a caller in another module (flow analysis,
    checks/flows/); and the same data handed to an error tracker or analytics SDK (Sentry
    `set_user`/`capture_message`, Segment/PostHog/Mixpanel `track`/`identify`) or to an LLM API
    (`client.chat.completions.create`, `client.messages.create`). Email and text messages (`send_mail`,
    `mail_admins`, `EmailMessage`, Twilio `client.messages.create(to=..., body=...)`, SNS `publish(PhoneNumber=...)`)
    are flagged when the subject or body carries a strong identifier (NHS number, MRN, date of birth…) or a
    whole record; a name to address the recipient is not flagged.
    Hosts listed in `third_party_hosts_allowed` (covered by a business associate agreement) pass.

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
        Invalid("""\
            def summarise(client, patient, notes):
                return client.chat.completions.create(model='m', messages=[
                    {'role': 'user', 'content': f'Summarise for {patient.full_name}: {notes}'}])
            """, line=2),
    )

    def visit_Call(self, node: ast.Call) -> None:
        found = self.flows_at(node)
        if found is None:
            return
        sink, flows = found
        if sink.kind == MESSAGE:  # addressing a letter needs a name; a record number or birth date it does not
            strong = self.ctx.vocab.strong_identifiers()
            flows = [f for f in flows if f.kind in (RECORD, REQUEST) or _names_identifier(f, strong)]
            if flows:
                labels = list(dict.fromkeys(f.value for f in flows))
                self.report(node, f"Patient identifiers in an email or text message ({sink.label}): "
                            f"{', '.join(labels[:4])}. Flow: {describe(flows)}.", end_node=node,
                            start_line=min(f.start_line for f in flows), flow=flow_steps(flows[0]),
                            fix="Send a notice without identifiers and a link to the record behind login; mail "
                            "and SMS pass through outside servers and land on shared and lock screens.")
            return
        if sink.kind not in (HTTP, VENDOR) or not flows:
            return
        url = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "url"), None)
        if isinstance(url, ast.Constant) and isinstance(url.value, str):
            host = urlparse(url.value).hostname or ""
            if any(host == h or host.endswith("." + h) for h in self.ctx.vocab.third_party_hosts_allowed):
                return
        labels = list(dict.fromkeys(f.value for f in flows))
        self.report(node, f"PHI sent to an external endpoint: {', '.join(labels[:4])}. Flow: {describe(flows)}.",
                    end_node=node, start_line=min(f.start_line for f in flows), flow=flow_steps(flows[0]),
                    fix="Send aggregates or internal ids only, in the payload and in the URL; if the recipient must "
                    "receive PHI, it needs a BAA and an entry in third_party_hosts_allowed.")
