from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.libraries import library_ancestors
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# What an authentication class overrides to add a check of its own (DRF, simplejwt, dj-rest-auth).
_AUTH_METHODS = frozenset({"authenticate", "authenticate_credentials", "get_validated_token", "get_user",
                           "get_raw_token", "get_header", "enforce_csrf"})

_AUTH = ("core/authentication.py", """\
    from rest_framework.exceptions import AuthenticationFailed
    from rest_framework_simplejwt.authentication import JWTAuthentication

    class TenantJWTAuthentication(JWTAuthentication):
        def get_validated_token(self, raw_token):
            token = super().get_validated_token(raw_token)
            if token.get("tenant_id") != current_tenant_id():
                raise AuthenticationFailed("token of another tenant")
            return token
    """)
_SETTINGS = ("core/settings.py", """\
    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ("core.authentication.TenantJWTAuthentication",),
    }
    """)


class SkippedAuthenticationCheck(Check):
    """## What it does
    Flags a DRF view whose `authentication_classes` list a package class that the project's own default
    authentication class extends with a check (`TenantJWTAuthentication(JWTAuthentication)` overriding
    `get_validated_token()` to raise on another tenant's tokens), and not that project class: requests to the view
    are authenticated by the plain package class, without the project's check.

    The project's default comes from `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`; the package ancestry of
    common authentication classes (dj-rest-auth's `JWTCookieAuthentication` is a simplejwt `JWTAuthentication`) is
    declared in `checks/library_models.toml`.

    ## Why is this bad?
    The project subclassed the authentication class because a valid token was not enough: it must belong to this
    tenant, to an active account, to a verified session. A view that lists the base class accepts any token the base
    accepts, so a user of one hospital tenant reads another's records with their own token. HIPAA §164.312(d)
    person or entity authentication; §164.312(a)(1) access control.

    ## Example
    ```python
    class UserAppointmentsViewSet(viewsets.ReadOnlyModelViewSet):
        authentication_classes = [JWTAuthentication]  # the project's default is TenantJWTAuthentication
        permission_classes = [IsAuthenticated]
    ```

    Use instead: leave `authentication_classes` to the project's default, or list the project's class
    (`authentication_classes = [TenantJWTAuthentication]`).
    """

    code = "WG320"
    name = "skipped-authentication-check"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 287
    summary = "View authenticates with the package class the project's default authentication extends with a check"
    hipaa = "§164.312(d) person or entity authentication; §164.312(a)(1) access control"

    VALID = (
        Valid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from core.authentication import TenantJWTAuthentication

            class Appointments(viewsets.ReadOnlyModelViewSet):
                authentication_classes = [TenantJWTAuthentication]
                permission_classes = [IsAuthenticated]
            """, path="clinic/views.py", files=(_AUTH, _SETTINGS)),
        # The project's default adds no check to the package class (it caches the lookup): nothing is skipped.
        Valid("""\
            from rest_framework import viewsets
            from rest_framework_simplejwt.authentication import JWTAuthentication

            class Appointments(viewsets.ReadOnlyModelViewSet):
                authentication_classes = [JWTAuthentication]
            """, path="clinic/views.py", files=(("core/authentication.py", """\
                from rest_framework_simplejwt.authentication import JWTAuthentication

                class TenantJWTAuthentication(JWTAuthentication):
                    def get_validated_token(self, raw_token):
                        return cache.get_or_set(raw_token, lambda: super().get_validated_token(raw_token))
                """), _SETTINGS)),
    )
    INVALID = (
        Invalid("""\
            from rest_framework import viewsets
            from rest_framework.permissions import IsAuthenticated
            from rest_framework_simplejwt.authentication import JWTAuthentication

            class Appointments(viewsets.ReadOnlyModelViewSet):
                authentication_classes = [JWTAuthentication]
                permission_classes = [IsAuthenticated]
            """, line=5, path="clinic/views.py", files=(_AUTH, _SETTINGS)),
        # The project extends dj-rest-auth's cookie class, itself a simplejwt JWTAuthentication (declared ancestry).
        Invalid("""\
            from rest_framework.views import APIView
            from rest_framework_simplejwt.authentication import JWTAuthentication

            class Dashboard(APIView):
                authentication_classes = [JWTAuthentication]
            """, line=4, path="clinic/views.py", files=((_AUTH[0], _AUTH[1].replace(
                "from rest_framework_simplejwt.authentication import JWTAuthentication",
                "from dj_rest_auth.jwt_auth import JWTCookieAuthentication").replace(
                "(JWTAuthentication)", "(JWTCookieAuthentication)")), _SETTINGS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        if code is None or not code.default_auth:
            return
        extended = _extended_defaults(code)
        if not extended:
            return
        module = self.ctx.imports.module
        for cls in node.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            q = f"{module}.{cls.name}" if module else cls.name
            info = code.classes.get(q)
            listed = info.auth_classes if info is not None else None
            if info is None or not listed or "" in listed \
                    or not any(a.startswith("rest_framework.") for a in code.ancestors(q)):
                continue
            for default, (bases, methods, where) in extended.items():
                if any(c == default or default in code.ancestors(c) for c in listed):
                    continue  # the project's class (or a subclass of it) still authenticates the view
                skipped = next((c for c in listed if c in bases), None)
                if skipped is None:
                    continue
                self.report(cls, f"{cls.name} authenticates with {last_part(skipped)} (authentication_classes, line "
                            f"{info.auth_classes_line}), the class the project's default {last_part(default)} "
                            f"({where}) extends with its own {', '.join(methods)}(): requests here skip that check, "
                            f"and any token {last_part(skipped)} accepts is enough.",
                            fix=f"Drop authentication_classes to use the project's default, or list "
                            f"{last_part(default)} instead of {last_part(skipped)}.")
                break


def _extended_defaults(code: ProjectCode) -> dict[str, tuple[set[str], list[str], str]]:
    """The project's own default authentication classes that add a check: each with the classes it extends (project
    bases, then their declared package ancestry), the methods it overrides and where it is defined."""
    out: dict[str, tuple[set[str], list[str], str]] = {}
    for default in (c for classes in code.default_auth for c in classes if c):
        info = code.lookup(default)
        if info is None:
            continue
        methods = sorted(_AUTH_METHODS & set(info.raising_methods))  # a check refuses: it raises
        if not methods:
            continue
        bases = {a for a in code.ancestors(info.qualname) if a not in (default, info.qualname)}
        bases |= {lib for a in list(bases) for lib in library_ancestors(a)}
        out[info.qualname] = (bases, methods, f"{info.path}:{info.line}")
    return out
