from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import NAME as CODE
from ..facts.django_code import ProjectCode
from ..finding import Category, Confidence, Severity
from ..names import dotted, last_part

# What a DRF authentication class may call to run Django's CSRF check (SessionAuthentication.enforce_csrf, CSRFCheck).
_CSRF_CALLS = frozenset({"enforce_csrf", "CSRFCheck", "check_csrf", "csrf_check", "process_view"})


def _reads_cookies(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`request.COOKIES.get("access_token")`, `request.COOKIES["jwt"]`."""
    return any(isinstance(n, ast.Attribute) and n.attr == "COOKIES" and dotted(n.value) in ("request", "self.request")
               for n in ast.walk(fn))


class CookieAuthWithoutCsrf(Check):
    """## What it does
    Flags a project DRF authentication class (a subclass of `BaseAuthentication`, simplejwt's `JWTAuthentication`,
    `TokenAuthentication`...) whose `authenticate()` takes the credential from a cookie (`request.COOKIES`) while no
    method of the class runs Django's CSRF check (`enforce_csrf()`, `CSRFCheck`). The finding points at
    `authenticate()`.

    ## Why is this bad?
    DRF exempts its views from Django's CSRF middleware and leaves the check to the authentication class: only
    `SessionAuthentication` enforces it. A browser sends the cookie with every request to the site, including forms
    and scripts on other sites, so a token kept in an httpOnly cookie without a CSRF check lets any page a clinician
    visits act as them (create, change or export records). `SameSite=Lax` cookies narrow this to top-level
    navigations; `SameSite=None` (a separate front-end origin) leaves it open.

    ## Example
    ```python
    class CookieJWTAuthentication(JWTAuthentication):
        def authenticate(self, request):
            raw = request.COOKIES.get("access_token")
            return None if raw is None else (self.get_user(v := self.get_validated_token(raw)), v)
    ```

    Use instead: call `self.enforce_csrf(request)` (as `SessionAuthentication` does, with `CSRFCheck`) before
    returning the user authenticated from the cookie, or send the token in the `Authorization` header.
    """

    code = "WG335"
    name = "cookie-auth-without-csrf"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 352
    summary = "DRF authentication class reads its credential from a cookie without a CSRF check"

    VALID = (
        Valid("""\
            from rest_framework.authentication import CSRFCheck
            from rest_framework_simplejwt.authentication import JWTAuthentication

            class CookieJWTAuthentication(JWTAuthentication):
                def authenticate(self, request):
                    raw = request.COOKIES.get("access_token")
                    if raw is None:
                        return None
                    token = self.get_validated_token(raw)
                    self.enforce_csrf(request)
                    return self.get_user(token), token

                def enforce_csrf(self, request):
                    check = CSRFCheck(lambda r: None)
                    check.process_request(request)
            """, path="core/authentication.py"),
        # The credential comes from the Authorization header: browsers do not add it across sites.
        Valid("""\
            from rest_framework_simplejwt.authentication import JWTAuthentication

            class TenantJWTAuthentication(JWTAuthentication):
                def authenticate(self, request):
                    found = super().authenticate(request)
                    return found
            """, path="core/authentication.py"),
    )
    INVALID = (
        Invalid("""\
            from rest_framework_simplejwt.authentication import JWTAuthentication

            class CookieJWTAuthentication(JWTAuthentication):
                def authenticate(self, request):
                    raw = request.COOKIES.get("access_token")
                    if raw is None:
                        return None
                    token = self.get_validated_token(raw)
                    return self.get_user(token), token
            """, line=4, path="core/authentication.py"),
    )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        code: ProjectCode | None = self.ctx.project.fact(CODE)
        q = f"{self.ctx.imports.module}.{node.name}"
        bases = [self.qualname(b) for b in node.bases] + (code.ancestors(q) if code is not None else [])
        if not any(last_part(b).endswith("Authentication") and last_part(b) != "SessionAuthentication"
                   for b in bases):
            return
        methods = [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        authenticate = next((m for m in methods if m.name == "authenticate"), None)
        if authenticate is None or not _reads_cookies(authenticate):
            return
        if any(isinstance(n, ast.Call) and last_part(dotted(n.func) or "") in _CSRF_CALLS
               for m in methods for n in ast.walk(m)):
            return
        self.report(authenticate, f"{node.name}.authenticate() takes the credential from a cookie and the class runs "
                    "no CSRF check: DRF exempts its views from Django's CSRF middleware, so any site the user visits "
                    "can send requests that carry the cookie and act as them.",
                    fix="Call `self.enforce_csrf(request)` (CSRFCheck, as SessionAuthentication does) before returning "
                    "the user, or take the token from the Authorization header.")
