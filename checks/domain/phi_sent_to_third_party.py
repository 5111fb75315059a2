from __future__ import annotations

import ast
from urllib.parse import urlparse

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..flows.analysis import FlowCheck, describe, flow_steps
from ..flows.model import HTTP, VENDOR


class PhiSentToThirdParty(Check, FlowCheck):
    """## What it does
    Flags outbound HTTP calls (`requests`, `httpx`, `urllib`, `aiohttp`) whose URL or payload — `json`,
    `data`, `params`, `files`, or a local dict built for them — carries patient identifiers, also when
    they arrive through the function's parameters from a caller in another module (flow analysis,
    checks/flows/); and the same data handed to an error tracker or analytics SDK (Sentry
    `set_user`/`capture_message`, Segment/PostHog/Mixpanel `track`/`identify`) or to an LLM API
    (`client.chat.completions.create`, `client.messages.create`).
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
    summary = "Patient identifiers sent to an outside party: outbound HTTP, error trackers, analytics, LLM APIs"
    hipaa = "§164.502(e) business associate contracts; §164.312(e)(1) transmission security"

    VALID = (
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
            """, line=4),
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
