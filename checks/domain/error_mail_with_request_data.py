from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.django_code import ProjectCode
from ..facts.django_models import ModelIndex
from ..facts.patient_data import OWN_RECORD_WHY
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..secrets import development_only
from ..source import SourceFile

# Loggers Django's request errors reach: `django.request` and its parents.
_REQUEST_LOGGERS = frozenset({"django.request", "django", "", "root"})
_PATIENT_FORMS = ("ModelForm", "BaseModelForm")

_FORMS = ("clinic/forms.py", """\
    from django import forms
    from clinic.models import Patient

    class PatientForm(forms.ModelForm):
        class Meta:
            model = Patient
            fields = ["nhs_number", "date_of_birth"]
    """)
_VIEWS = ("clinic/views.py", """\
    from django.shortcuts import render
    from clinic.forms import PatientForm

    def register(request):
        form = PatientForm(request.POST or None)
        if form.is_valid():
            form.save()
        return render(request, "register.html", {"form": form})
    """)
_MODELS = ("clinic/models.py", """\
    from django.db import models

    class Patient(models.Model):
        nhs_number = models.CharField(max_length=10)
        date_of_birth = models.DateField()
    """)
_LOGGING = """\
    LOGGING = {
        "version": 1,
        "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
        "handlers": {
            "mail_admins": {
                "level": "ERROR",
                "filters": ["require_debug_false"],
                "class": "django.utils.log.AdminEmailHandler",
            },
        },
        "loggers": {"django.request": {"handlers": ["mail_admins"], "level": "ERROR"}},
    }
    """


class ErrorMailWithRequestData(Check):
    """## What it does
    Flags Django's `AdminEmailHandler` in the `LOGGING` of settings a server runs, when a logger that request
    errors reach (`django.request`, `django`, the root logger) uses it and the request's data holds patient
    identifiers: with `include_html=True` (the e-mail carries the debug page, every frame's local variables
    included), or when the project's pages post patient data through model forms (`PatientForm(request.POST)`).
    A handler only development settings use, one kept to `DEBUG` (`require_debug_true`), a project-wide
    `DEFAULT_EXCEPTION_REPORTER_FILTER` in the same settings, and an API that takes JSON rather than form posts
    are not flagged.

    ## Why is this bad?
    Every server error on a patient form e-mails the submitted fields (names, dates of birth, NHS numbers) to
    the addresses in `ADMINS`, in clear text through the mail relay, into inboxes that are not part of the
    record system and are kept for years. Django hides only what views mark with `@sensitive_post_parameters`.
    HIPAA §164.312(e)(1) transmission security; §164.502(b) minimum necessary.

    ## Example
    ```python
    "handlers": {"mail_admins": {"level": "ERROR", "class": "django.utils.log.AdminEmailHandler"}},
    "loggers": {"django.request": {"handlers": ["mail_admins"], "level": "ERROR"}},
    ```

    Use instead: send errors to an error tracker that scrubs request data, or set
    `DEFAULT_EXCEPTION_REPORTER_FILTER` to a filter that hides the POST data of patient forms (and mark those
    views `@sensitive_post_parameters()`).
    """

    code = "WG511"
    name = "error-mail-with-request-data"
    category = Category.PHI
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 532
    summary = "Server errors e-mailed to ADMINS with the request's patient data (AdminEmailHandler)"
    hipaa = "§164.312(e)(1) transmission security; §164.502(b) minimum necessary"

    VALID = (
        # Only under DEBUG.
        Valid(_LOGGING.replace("require_debug_false", "require_debug_true").replace(
            "RequireDebugFalse", "RequireDebugTrue"), path="proj/settings.py", files=(_MODELS, _FORMS, _VIEWS)),
        # A JSON API: no form posts patient data.
        Valid(_LOGGING, path="proj/settings.py", files=(_MODELS,)),
        # Request data filtered project-wide.
        Valid(_LOGGING + 'DEFAULT_EXCEPTION_REPORTER_FILTER = "clinic.errors.ScrubbingFilter"\n',
              path="proj/settings.py", files=(_MODELS, _FORMS, _VIEWS)),
    )
    INVALID = (
        Invalid(_LOGGING, line=5, path="proj/settings.py", files=(_MODELS, _FORMS, _VIEWS)),
        # The debug page, with every frame's locals, whatever the views post.
        Invalid(_LOGGING.replace('"level": "ERROR",\n', '"level": "ERROR",\n            "include_html": True,\n', 1),
                line=5, path="proj/settings.py", files=(_MODELS,)),
    )

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return src.looks_like_settings and "AdminEmailHandler" in src.text

    def visit_Dict(self, node: ast.Dict) -> None:
        keys = _keys(node)
        handlers = keys.get("handlers")
        if not isinstance(handlers, ast.Dict) or "DEFAULT_EXCEPTION_REPORTER_FILTER" in self.ctx.src.text \
                or development_only(self.ctx):
            return
        used = _handlers_of_request_loggers(keys)
        for key, cfg in zip(handlers.keys, handlers.values):
            conf = _keys(cfg)
            klass = conf.get("class")
            if not (isinstance(key, ast.Constant) and key.value in used and isinstance(klass, ast.Constant)
                    and str(klass.value).endswith("AdminEmailHandler")):
                continue
            filters = conf.get("filters")
            if isinstance(filters, (ast.List, ast.Tuple)) and any(
                    isinstance(f, ast.Constant) and "debug_true" in str(f.value) for f in filters.elts):
                continue  # mails only under DEBUG
            include_html = conf.get("include_html")
            if isinstance(include_html, ast.Constant) and include_html.value is True:
                what = "the debug page of every server error, with each frame's local variables"
            else:
                form = _patient_form(self.ctx.project.fact("django_code"), self.ctx.project.fact("django_models"))
                if form is None:
                    continue
                what = f"the POST data of every server error, and {form[0]} posts {form[1]} records"
            self.report(key, f"Handler `{key.value}` (AdminEmailHandler) e-mails ADMINS {what}: patient identifiers "
                        "leave the record system in clear text mail.",
                        fix="Report errors to a tracker that scrubs request data, or set "
                        "DEFAULT_EXCEPTION_REPORTER_FILTER to a filter that hides patient fields.")


def _keys(node: ast.AST) -> dict[str, ast.expr]:
    if not isinstance(node, ast.Dict):
        return {}
    return {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)}


def _handlers_of_request_loggers(config: dict[str, ast.expr]) -> set[str]:
    """The handler names of the loggers request errors reach (literal lists only)."""
    loggers = dict(_keys(config.get("loggers") or ast.Dict(keys=[], values=[])))
    if "root" in config:
        loggers["root"] = config["root"]
    out: set[str] = set()
    for name, cfg in loggers.items():
        handlers = _keys(cfg).get("handlers")
        if name in _REQUEST_LOGGERS and isinstance(handlers, (ast.List, ast.Tuple)):
            out |= {h.value for h in handlers.elts if isinstance(h, ast.Constant) and isinstance(h.value, str)}
    return out


def _patient_form(code: ProjectCode | None, models: ModelIndex | None) -> tuple[str, str] | None:
    """(form, model) of a model form the project's code uses whose model has identifying fields, if any."""
    if code is None or models is None:
        return None
    for q, info in sorted(code.classes.items()):
        name = last_part(q)
        if info.meta_model is None or name not in code.form_uses or info.path.startswith("<"):
            continue
        model = models.lookup(info.meta_model)
        why = models.patient_why.get(model.qualname, "") if model is not None else ""
        if model is not None and why.startswith(OWN_RECORD_WHY) and any(
                last_part(a) in _PATIENT_FORMS for a in code.ancestors(q)):
            return name, model.name
    return None
