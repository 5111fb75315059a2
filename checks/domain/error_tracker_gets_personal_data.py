from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..secrets import development_only
from ..source import SourceFile

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10)
        date_of_birth = models.DateField()
    """)


class ErrorTrackerGetsPersonalData(Check):
    """## What it does
    Flags `sentry_sdk.init(..., send_default_pii=True)` in a project with patient-data models when no
    `before_send` hook is given to strip what the event carries. Test code and settings only developers run are
    left out. (Sentry's own default, `send_default_pii=False`, is not flagged.) The finding spans the call down to
    the keyword.

    ## Why is this bad?
    With `send_default_pii=True` the Django integration attaches the signed-in user, cookies, client IP and the
    body of the failing request to every error event, and the stack frames' local variables come with it: the
    patient form that failed, the record being saved. They go to a third party that is usually not covered by a
    business associate agreement, and stay there for the event retention period. HIPAA §164.502(e) business
    associates; §164.502(b) minimum necessary.

    ## Example
    ```python
    sentry_sdk.init(dsn=SENTRY_DSN, integrations=[DjangoIntegration()], send_default_pii=True)
    ```

    Use instead: leave `send_default_pii` off, and add a `before_send` that drops `event["request"]["data"]` and
    frame variables (or `include_local_variables=False`, `max_request_body_size="never"`).
    """

    code = "WG513"
    name = "error-tracker-gets-personal-data"
    category = Category.PHI
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 359
    summary = "Sentry told to send personal data (send_default_pii=True) in a patient-data project"
    hipaa = "§164.502(e) business associates; §164.502(b) minimum necessary"

    VALID = (
        # Sentry's default: no user, cookies or request bodies.
        Valid("""\
            import sentry_sdk
            sentry_sdk.init(dsn=SENTRY_DSN, traces_sample_rate=0.0)
            """, path="proj/settings.py", files=(_MODELS,)),
        # A hook the project strips events with.
        Valid("""\
            import sentry_sdk
            from proj.scrub import strip_request
            sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=True, before_send=strip_request)
            """, path="proj/settings.py", files=(_MODELS,)),
        # No patient data in the project.
        Valid("""\
            import sentry_sdk
            sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=True)
            """, path="proj/settings.py"),
    )
    INVALID = (
        Invalid("""\
            import os
            import sentry_sdk
            from sentry_sdk.integrations.django import DjangoIntegration

            if os.environ.get("SENTRY_DSN"):
                sentry_sdk.init(
                    dsn=os.environ["SENTRY_DSN"],
                    integrations=[DjangoIntegration()],
                    send_default_pii=True,
                )
            """, line=6, path="proj/settings/production.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return "send_default_pii" in src.text and not src.looks_like_test

    def visit_Call(self, node: ast.Call) -> None:
        if self.qualname(node.func) not in ("sentry_sdk.init", "sentry_sdk.client.Client", "sentry_sdk.Client"):
            return
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        pii = keywords.get("send_default_pii")
        if not (isinstance(pii, ast.Constant) and pii.value is True) or "before_send" in keywords:
            return
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if models is None or not models.patient or development_only(self.ctx):
            return
        self.report(node, "Sentry is told to send personal data (send_default_pii=True) with no before_send hook: "
                    "every error event carries the signed-in user, cookies, the client IP and the failing request's "
                    "body, with the stack frames' variables, to a third party. In this project those are patient "
                    "forms and records.", end_line=pii.lineno,
                    fix="Remove send_default_pii=True, and strip request data and frame variables in before_send "
                    "(or include_local_variables=False, max_request_body_size=\"never\").")
