from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_models import ModelIndex
from ..facts.settings_modules import NAME as SETTINGS
from ..facts.settings_modules import SettingsModules
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile

_FILE_FIELDS = frozenset({"FileField", "ImageField"})

_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10, unique=True)

    class LabImport(models.Model):
        csv = models.FileField(upload_to="imports/")
    """)
_WSGI = ("proj/wsgi.py", """\
    import os
    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    application = get_wsgi_application()
    """)
_SETTINGS = ("proj/settings.py", """\
    INSTALLED_APPS = ["clinic"]
    ROOT_URLCONF = "proj.urls"
    DEBUG = True
    MEDIA_URL = "/media/"
    """)
_URLS = """\
    from django.conf import settings
    from django.conf.urls.static import static
    from django.urls import path

    urlpatterns = [] + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
    """


class UploadsServedWithoutLogin(Check):
    """## What it does
    Flags `static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)` in a URLconf when the settings module a
    server runs fixes `DEBUG = True` (and no served module built on it sets DEBUG again) and the models of a project
    with patient data store uploads under MEDIA_ROOT (a `FileField` or `ImageField` without a `storage=` of its own).
    Django's `static()` adds its pattern only under DEBUG, which is why the line is harmless in most projects; here
    DEBUG is on in production.

    ## Why is this bad?
    `django.views.static.serve` checks no login and no permission: every uploaded file (lab imports, scanned
    letters, photos) is downloadable by anyone who can guess or find its path, and the directory listing is one
    setting away. HIPAA §164.312(a)(1) access control.

    ## Example
    ```python
    urlpatterns = [...] + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)   # with DEBUG = True
    ```

    Use instead: turn DEBUG off in production, and serve uploads through a view that checks the caller (or a web
    server's internal redirect, such as X-Accel-Redirect, issued by such a view).
    """

    code = "WG332"
    name = "uploads-served-without-login"
    category = Category.PERMISSION
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    cwe = 552
    summary = "Uploads served by static() to anyone while production runs with DEBUG on"
    hipaa = "§164.312(a)(1) access control"

    VALID = (
        Valid(_URLS, path="proj/urls.py", files=(_MODELS, _WSGI, (_SETTINGS[0], _SETTINGS[1].replace(
            "DEBUG = True", 'DEBUG = os.environ.get("DEBUG") == "1"')))),
        # No uploads in the project.
        Valid(_URLS, path="proj/urls.py", files=((_MODELS[0], _MODELS[1].replace(
            "models.FileField(upload_to=\"imports/\")", "models.CharField(max_length=9)")), _WSGI, _SETTINGS)),
        # The only upload goes to a private storage, not MEDIA_ROOT.
        Valid(_URLS, path="proj/urls.py", files=((_MODELS[0], _MODELS[1].replace(
            'upload_to="imports/")', 'upload_to="imports/", storage=private_storage)')), _WSGI, _SETTINGS)),
    )
    INVALID = (
        Invalid(_URLS, line=5, path="proj/urls.py", files=(_MODELS, _WSGI, _SETTINGS)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return "MEDIA_URL" in src.text and "static" in src.text and not src.looks_like_test

    def visit_Call(self, node: ast.Call) -> None:
        if last_part(self.ctx.imports.qualname(node.func) or "") != "static" or not node.args \
                or "MEDIA_URL" not in ast.unparse(node.args[0]):
            return
        facts: SettingsModules | None = self.ctx.project.fact(SETTINGS)
        models: ModelIndex | None = self.ctx.project.fact("django_models")
        if facts is None or models is None or not models.patient or not facts.served_with_debug():
            return
        uploads = sorted(f"{m.name}.{f.name}" for m in models.models.values() for f in m.fields.values()
                         if f.kind in _FILE_FIELDS and not f.own_storage)
        if not uploads:
            return
        module = min(m for m in facts.production if m in facts.debug_fixed and m not in facts.debug_overridden)
        self.report(node, f"static() serves MEDIA_ROOT to anyone, with no login: {module} fixes DEBUG = True, so the "
                    f"pattern is live in production, and the project stores uploads ({', '.join(uploads[:3])}).",
                    fix="Turn DEBUG off in production and serve uploads through a view that checks the caller.")
