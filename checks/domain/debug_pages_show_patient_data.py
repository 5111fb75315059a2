from __future__ import annotations

import ast
import re

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..facts.patient_data import OWN_RECORD_WHY
from ..facts.settings_modules import NAME as SETTINGS
from ..facts.settings_modules import SettingsModules
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

# Settings modules named for a developer's machine or a test run: when no entry point says which module a server
# runs, these are not taken for it.
_DEVELOPMENT = re.compile(r"(^|_)(local|dev|devel|develop|development|test|tests|testing|ci|debug|example|sample|"
                          r"template|demo)(_settings)?$")

_SHOWCASE = re.compile(r"(^|[/_-])(demo|examples?|samples?|tutorial|sandbox)([/_-]|$)", re.IGNORECASE)

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)
        date_of_birth = models.DateField()
    """)
_WSGI = ("proj/wsgi.py", """\
    import os
    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    application = get_wsgi_application()
    """)
_SETTINGS = """\
    INSTALLED_APPS = ["clinic"]
    ROOT_URLCONF = "proj.urls"
    DEBUG = True
    ALLOWED_HOSTS = ["records.example-hospital.org"]
    """


class DebugPagesShowPatientData(Check):
    """## What it does
    Flags `DEBUG = True`, written as a literal, in a settings module a server runs (the one the WSGI/ASGI entry
    point names, or one it imports from; when no entry point names one, a settings module not named for development
    or tests) of a project that keeps patient records. A development-only module (cookiecutter's `local.py`, a
    `settings/test.py`) is not flagged, and nor is a project without patient models. When a later star import
    (`from .local_settings import *`) may turn DEBUG off, the finding is medium. (WG601, wardgate's semgrep rule,
    flags every `DEBUG = True`; on the same line the two are one finding.)

    ## Why is this bad?
    With DEBUG on, every unhandled error answers with Django's technical page: the request with its POST data and
    cookies, most settings, the SQL run, and the local variables of each frame — the patient object being saved,
    its identifiers, its notes — shown to whoever triggered the error, signed in or not. Django also keeps every
    query in memory and serves the admin's and apps' static files from the process. HIPAA §164.312(a)(1) access
    control; §164.502(b) minimum necessary.

    ## Example
    ```python
    DEBUG = True
    ```

    Use instead:
    ```python
    DEBUG = os.environ.get("DJANGO_DEBUG") == "1"   # off unless a developer switches it on
    ```
    """

    code = "WG512"
    name = "debug-pages-show-patient-data"
    category = Category.PHI
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 215
    summary = "DEBUG = True in the settings a server runs: error pages show patient records"
    hipaa = "§164.312(a)(1) access control; §164.502(b) minimum necessary"

    VALID = (
        Valid(_SETTINGS.replace("DEBUG = True", 'DEBUG = os.environ.get("DJANGO_DEBUG") == "1"'),
              path="proj/settings.py", files=(_MODELS, _WSGI)),
        # No patient records in the project.
        Valid(_SETTINGS, path="proj/settings.py", files=(_WSGI,)),
        # The base a production module builds on and turns DEBUG off in.
        Valid(_SETTINGS, path="proj/settings.py", files=(_MODELS, (_WSGI[0], _WSGI[1].replace(
            "proj.settings", "proj.settings_prod")), ("proj/settings_prod.py", "from .settings import *\nDEBUG = False\n"))),
        # A developer's module: the server runs proj.settings.
        Valid(_SETTINGS, path="proj/settings_local.py", files=(_MODELS, _WSGI)),
    )
    INVALID = (
        Invalid(_SETTINGS, line=3, path="proj/settings.py", files=(_MODELS, _WSGI)),
        # No entry point names a module: the project's only settings module is what runs.
        Invalid(_SETTINGS + "try:\n        from .local_settings import *\n    except ImportError:\n        pass\n", line=3,
                path="proj/settings.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return src.looks_like_settings and not src.looks_like_test and "DEBUG" in src.text

    def visit_Module(self, node: ast.Module) -> None:
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if models is None or not models.patient or not self._served():
            return
        debug = next((s for s in node.body if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant)
                      and s.value.value is True and any(isinstance(t, ast.Name) and t.id == "DEBUG"
                                                        for t in s.targets)), None)
        if debug is None:
            return
        later = [s for s in node.body if s.lineno > debug.lineno]
        if any(isinstance(s, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DEBUG" for t in s.targets)
               for s in later):
            return  # set again further down: that assignment decides
        overridable = any(_star_import(s) for s in later)
        own = [m for m in models.patient if models.patient_why.get(m, "").startswith(OWN_RECORD_WHY)]
        example = last_part(min(own or models.patient))
        self.report(debug, f"DEBUG is fixed to True in {self.ctx.imports.module or 'this settings module'}, which a "
                    "server runs: every unhandled error shows Django's debug page, with the request's data and each "
                    f"frame's local variables (patient records such as {example} included), to whoever triggered it"
                    + (" — unless the settings imported below turn it off." if overridable else "."),
                    severity=Severity.MEDIUM if overridable else None,
                    fix="Read DEBUG from the environment, off by default: "
                    '`DEBUG = os.environ.get("DJANGO_DEBUG") == "1"`.')

    def _served(self) -> bool:
        """This module is what a server runs: named (or imported) by an entry point, or, when none names one, a
        settings module not named for development or tests."""
        facts: SettingsModules | None = self.ctx.project.fact(SETTINGS)
        module = self.ctx.imports.module
        if _SHOWCASE.search(self.ctx.src.path):
            return False  # a demo or example project beside the real one
        if facts is not None and facts.production:
            return module in facts.production and module not in facts.debug_overridden
        return not _DEVELOPMENT.search(module.rsplit(".", 1)[-1])


def _star_import(stmt: ast.stmt) -> bool:
    """`from .local_settings import *`, possibly inside `try:` / `if`."""
    for n in ast.walk(stmt):
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names):
            return True
    return False
