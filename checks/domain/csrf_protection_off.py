from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.settings_modules import NAME as SETTINGS
from ..facts.settings_modules import SettingsModules
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..secrets import development_only
from ..source import SourceFile
from ..walk import walk

_SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
_CSRF = "CsrfViewMiddleware"


class CsrfProtectionOff(Check):
    """## What it does
    Flags a settings module that keeps signed-in users in cookie sessions (`SessionMiddleware` in
    `MIDDLEWARE`) without Django's `CsrfViewMiddleware` (or a project subclass of it). Only a `MIDDLEWARE`
    written as a literal list in one settings module is judged: a list other modules extend, or one built
    from names, is left alone; so are settings modules only developers or tests run.

    ## Why is this bad?
    Without the middleware, no view is protected against cross-site request forgery unless it is decorated
    with `csrf_protect` one by one: any page a clinician opens while signed in can submit forms to the
    hospital application with their session (change a record, delete a participant, flip a study setting).
    `SameSite=Lax` cookies stop cross-site POSTs in current browsers but not state-changing GETs. OWASP
    A01:2021; HIPAA §164.312(a)(1) access control.

    ## Example
    ```python
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        # "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    ```

    Use instead: keep `"django.middleware.csrf.CsrfViewMiddleware"` after `SessionMiddleware`, and exempt
    only the endpoints that authenticate otherwise (`csrf_exempt` on a signed webhook).
    """

    code = "WG318"
    name = "csrf-protection-off"
    category = Category.PERMISSION
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    cwe = 352
    summary = "Cookie sessions without Django's CSRF middleware"
    hipaa = "§164.312(a)(1) access control"

    VALID = (
        Valid("""\
            MIDDLEWARE = [
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ]
            """, path="proj/settings.py"),
        # A project subclass of the CSRF middleware protects as well.
        Valid("""\
            MIDDLEWARE = [
                "django.contrib.sessions.middleware.SessionMiddleware",
                "core.middleware.LoggingCsrfMiddleware",
            ]
            """, path="proj/settings.py", files=(("core/middleware.py", """\
                from django.middleware.csrf import CsrfViewMiddleware

                class LoggingCsrfMiddleware(CsrfViewMiddleware):
                    pass
                """),)),
        # A token-only API keeps no cookie sessions.
        Valid("""\
            MIDDLEWARE = [
                "django.middleware.security.SecurityMiddleware",
                "django.middleware.common.CommonMiddleware",
            ]
            """, path="proj/settings.py"),
        # The production module adds it to the base list: the base alone is not what runs.
        Valid("""\
            MIDDLEWARE = [
                "django.contrib.sessions.middleware.SessionMiddleware",
            ]
            """, path="proj/settings/base.py", files=(("proj/settings/production.py", """\
                from .base import *

                MIDDLEWARE += ["django.middleware.csrf.CsrfViewMiddleware"]
                """),)),
    )
    INVALID = (
        # A settings module named by the WSGI entry point, whatever its file is called.
        Invalid("""\
            MIDDLEWARE = [
                "django.contrib.sessions.middleware.SessionMiddleware",
            ]
            """, line=1, path="config/django_settings.py", files=(("config/__init__.py", ""), ("wsgi.py", """\
                import os
                from django.core.wsgi import get_wsgi_application

                os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django_settings")
                application = get_wsgi_application()
                """),)),
        Invalid("""\
            MIDDLEWARE = [
                "django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                # "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
            ]
            """, line=1, path="proj/settings.py"),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not src.looks_like_test and "MIDDLEWARE" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        code: ProjectCode | None = self.ctx.project.fact("django_code")
        served: SettingsModules | None = self.ctx.project.fact(SETTINGS)
        # a settings module by its name, or the one an entry point names (`config/django_settings.py`)
        settings = self.ctx.src.looks_like_settings or (served is not None and self.ctx.imports.module in served.production)
        if code is None or not settings or development_only(self.ctx):
            return
        if len({path for path, _ in code.middleware_at}) > 1:
            return  # other modules assign or extend it: which list runs is theirs to say
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id in (
                    "MIDDLEWARE", "MIDDLEWARE_CLASSES") for t in stmt.targets)):
                continue
            entries = _literal_list(stmt.value)
            if entries is None or _changed_later(node, stmt):
                return
            if _SESSIONS in entries and not any(_protects(e, code) for e in entries):
                self.report(stmt, "MIDDLEWARE keeps users in cookie sessions (SessionMiddleware) but has no "
                            "CsrfViewMiddleware: no view is protected against cross-site request forgery unless "
                            "it is decorated with csrf_protect, so any page a signed-in user opens can act with "
                            "their session.",
                            fix='Add "django.middleware.csrf.CsrfViewMiddleware" after SessionMiddleware, and '
                            "exempt only endpoints that authenticate otherwise.")


def _literal_list(value: ast.expr) -> list[str] | None:
    if not isinstance(value, (ast.List, ast.Tuple)):
        return None
    out = [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return out if len(out) == len(value.elts) else None


def _changed_later(module: ast.Module, assign: ast.Assign) -> bool:
    """`MIDDLEWARE += [...]`, `MIDDLEWARE.insert(...)`, or a second assignment in the same module."""
    for n in walk(module):
        if n is assign:
            continue
        if isinstance(n, (ast.Assign, ast.AugAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(isinstance(t, ast.Name) and t.id in ("MIDDLEWARE", "MIDDLEWARE_CLASSES") for t in targets):
                return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
                and n.func.value.id in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
            return True
    return False


def _protects(entry: str, code: ProjectCode) -> bool:
    return last_part(entry) == _CSRF or any(last_part(a) == _CSRF for a in code.ancestors(entry))
