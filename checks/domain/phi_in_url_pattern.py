from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..finding import Category, Confidence, Severity
from ..names import last_part

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
_GENERIC = {"name", "notes", "clinical_notes", "diagnosis", "diagnosis_code", "chief_complaint", "street"}


class PhiInUrlPattern(Check):
    """## What it does
    Flags Django URL patterns (`path`, `re_path`, `url`) that capture a patient identifier:
    `path("patients/by-ssn/<str:ssn>/")`, `re_path(r"^(?P<mrn>SM\\d{8})/$")`, phone, e-mail, date
    of birth, national or insurance number. Internal ids (`<int:pk>`, `<uuid:id>`) pass.

    ## Why is this bad?
    URLs are written to web-server and proxy access logs, browser history and bookmarks, and
    leak through `Referer` headers to third-party scripts. An SSN or phone number in the path is
    PHI stored and transmitted outside every access control. HIPAA §164.312(e)(1) transmission
    security; §164.502(b) minimum necessary.

    ## Example
    ```python
    path("patients/by-ssn/<str:ssn>/", views.patient_by_ssn)
    ```

    Use instead:
    ```python
    path("patients/search/", views.patient_search)  # identifier in a POST body
    ```
    """

    code = "WG503"
    name = "phi-in-url-pattern"
    category = Category.PHI
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 598
    summary = "Patient identifier captured in a URL pattern"
    hipaa = "§164.312(e)(1) transmission security; §164.502(b) minimum necessary"

    VALID = (
        Valid("""\
            from django.urls import path
            urlpatterns = [path('patients/<int:pk>/', v), path('drugs/<slug:name>/', v)]
            """),
        Valid("""\
            def path(x, y):
                return x

            p = path('<str:ssn>/', 1)
            """),
    )
    INVALID = (
        Invalid("""\
            from django.urls import path as p
            urlpatterns = [
                p('patients/by-ssn/<str:ssn>/', v),
            ]
            """, line=3),
        Invalid("""\
            from django.urls import re_path
            urlpatterns = [re_path(r'^mrn/(?P<mrn>SM[0-9]{8})/$', v)]
            """, line=2),
        Invalid("""\
            from django.conf.urls import url
            urlpatterns = [url(r'^by-phone/(?P<phone_number>[0-9]+)/$', v)]
            """, line=2),
    )

    def visit_Call(self, node: ast.Call) -> None:
        q = self.qualname(node.func) or ""
        if not (q.startswith(("django.urls.", "django.conf.urls.")) and last_part(q) in ("path", "re_path", "url")):
            return
        route = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "route"), None)
        if not (isinstance(route, ast.Constant) and isinstance(route.value, str)):
            return
        phi = self.ctx.vocab.phi_field_names() - _GENERIC
        hits = [a or b for a, b in _PARAM.findall(route.value) if (a or b).lower() in phi]
        if hits:
            self.report(node, f"URL pattern captures patient identifier(s) {', '.join(hits)} in the path.",
                        end_node=node, fix="Address the patient by internal id (<int:pk>) or send the identifier "
                        "in a POST body of a search view; never in the path or query string.")
