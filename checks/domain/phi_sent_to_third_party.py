from __future__ import annotations

import ast
from urllib.parse import urlparse

from ..base import Check, Invalid, Valid
from ..facts.phi_access import ScopedPhiCheck
from ..finding import Category, Confidence, Severity
from ..names import last_part

_CLIENTS = ("requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.")
_VERBS = {"get", "post", "put", "patch", "delete", "request", "urlopen", "Request", "stream"}
_PAYLOAD = {"json", "data", "params", "files", "content", "body", "fields"}


class PhiSentToThirdParty(Check, ScopedPhiCheck):
    """## What it does
    Flags outbound HTTP calls (`requests`, `httpx`, `urllib`, `aiohttp`) whose payload — `json`,
    `data`, `params`, `files`, or a local dict built for them — carries patient identifiers.
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
    summary = "Patient identifiers sent in an outbound HTTP payload"
    hipaa = "§164.502(e) business associate contracts; §164.312(e)(1) transmission security"

    VALID = [
        Valid("import requests\n\ndef send(summary, since):\n    requests.post(U, json={'event': 'x', **summary})\n"
              "    requests.get(U, params={'since': since.isoformat()})\n"),
        Valid("import requests\n\ndef send(patient):\n    requests.post(U, json={'id': patient.pk})\n"),
    ]
    INVALID = [
        Invalid("import httpx as h\n\ndef send(result):\n    patient = result.patient\n"
                "    payload = {'text': f'{patient.full_name} DOB {patient.date_of_birth}'}\n"
                "    h.post(U, json=payload)\n", line=6),
        Invalid("from requests import post\n\ndef send(encounter):\n"
                "    post(U, data={'dx': encounter.patient.mrn}, timeout=5)\n", line=4),
    ]

    def visit_Call(self, node: ast.Call) -> None:
        q = self.qualname(node.func) or ""
        if not (q.startswith(_CLIENTS) and last_part(q) in _VERBS):
            return
        url = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "url"), None)
        if isinstance(url, ast.Constant) and isinstance(url.value, str):
            host = urlparse(url.value).hostname or ""
            if any(host == h or host.endswith("." + h) for h in self.ctx.vocab.third_party_hosts_allowed):
                return
        payload = [k.value for k in node.keywords if k.arg in _PAYLOAD] + list(node.args[1:])
        reads = self.phi.phi_in(ast.Tuple(elts=payload, ctx=ast.Load()), follow=2)
        if reads:
            self.report(node, f"PHI sent to an external endpoint: {', '.join(reads[:4])}.", end_node=node,
                        fix="Send aggregates or internal ids only; if the recipient must receive PHI, it needs a "
                        "BAA and an entry in third_party_hosts_allowed.")
