from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..finding import Category, Confidence, Severity
from ..masking import mask
from ..source import SourceFile

_DECORATOR = ("lab/decorators.py", """\
    from functools import wraps
    from django.http import HttpResponseRedirect

    def logged_in_or_token(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.is_authenticated:
                return view(request, *args, **kwargs)
            if request.GET.get("token") == "8d63a9d6-c977-4c7b-a27c-64f9ba8086a7":
                return view(request, *args, **kwargs)
            return HttpResponseRedirect("/login/")
        return wrapped
    """)


class RequestTokenInSource(Check):
    """## What it does
    Flags a string literal that the code accepts as a credential from a request: compared with a request parameter,
    header or cookie named as a token, key, secret, password or signature (`request.GET.get("token") ==
    "8d63a9d6-..."`, `request.headers["X-Api-Key"] in ("...",)`), wherever the literal is written in the project,
    including the internal calls that pass it on (`client.get("/results/pdf", {"token": "8d63a9d6-..."})`). A UUID
    or a short word is a credential here too: the comparison is what makes it one. Test modules are not flagged.

    ## Why is this bad?
    Whoever reads the repository (a contractor, a fork, a leaked backup) can send the same value and pass as an
    authorised caller, on every installation at once, and it cannot be rotated without a release. HIPAA
    §164.312(a)(1) access control; §164.312(d) person or entity authentication.

    ## Example
    ```python
    if request.GET.get("token") == "8d63a9d6-c977-4c7b-a27c-64f9ba8086a7":
        return view(request, *args, **kwargs)
    ```

    Use instead: a per-client key kept in the environment or the database and compared with
    `hmac.compare_digest`, or an authentication class (DRF's TokenAuthentication, an API-key package).
    """

    code = "WG109"
    name = "request-token-in-source"
    category = Category.SECRET
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 798
    summary = "Credential a request is checked against is written in the source"
    hipaa = "§164.312(a)(1) access control; §164.312(d) person or entity authentication"

    VALID = (
        # The expected token comes from the settings (the environment), not the source.
        Valid(_DECORATOR[1].replace('"8d63a9d6-c977-4c7b-a27c-64f9ba8086a7"', "settings.PDF_TOKEN").replace(
            "from functools import wraps", "from functools import wraps\n    from django.conf import settings"),
            path="lab/decorators.py"),
        # A request value compared with a literal that is no credential (a form's action, a token's type).
        Valid("""\
            def save(request):
                if request.POST.get("action") == "record_samples":
                    return True
                if request.POST.get("token_type") == "refresh_token":
                    return False
            """, path="lab/views.py"),
    )
    INVALID = (
        Invalid(_DECORATOR[1], line=9, path="lab/decorators.py"),
        # The same token, passed on by an internal call in another module.
        Invalid("""\
            from django.test import Client

            def direction_pdf(pk):
                return Client().get("/results/pdf", {"pk": pk, "token": "8d63a9d6-c977-4c7b-a27c-64f9ba8086a7"})
            """, line=4, path="lab/pdf.py", files=(_DECORATOR,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not src.looks_like_test

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None or not code.request_secrets:
            return
        for n in self.ctx.src.nodes:
            if type(n) is ast.Constant and isinstance(n.value, str) and n.value in code.request_secrets:
                where = code.request_secrets[n.value]
                self.report(n, f"The literal {mask(n.value)} is a credential: {where} compares it with a token a "
                            "request sends and lets that request through. Anyone who can read the source can send "
                            "it, on every installation.",
                            fix="Read the expected value from the environment (or a per-client key in the "
                            "database), compare it with hmac.compare_digest, and rotate the exposed one.",
                            secret=n.value)
