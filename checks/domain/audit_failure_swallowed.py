from __future__ import annotations

import ast

from ..base import Check, Invalid, Valid
from ..facts.audit_mechanisms import AUDIT_NAME
from ..facts.django_models import ModelIndex
from ..finding import Category, Confidence, Severity
from ..names import last_part
from ..source import SourceFile
from ..walk import walk

_LOG = (
    "audit/models.py",
    "from django.db import models\n\nclass RequestLog(models.Model):\n    user = models.CharField(max_length=64)\n"
    "    path = models.CharField(max_length=256)\n",
)
_VIEWS = (
    "clinic/views.py",
    "from audit.decorators import log_request\n\nclass Chart:\n    @log_request\n    def get(self, request):\n"
    "        pass\n\n    @log_request\n    def put(self, request):\n        pass\n\n"
    "    @log_request\n    def post(self, request):\n        pass\n",
)
# Handlers that make the failure visible: re-raise, or log at error level or above.
_LOUD = frozenset({"exception", "error", "critical", "fatal", "capture_exception", "capture_message"})


class AuditFailureSwallowed(Check):
    """## What it does
    Flags an audit record written inside a `try` whose handler catches every exception (a bare
    `except:` or `except Exception`/`BaseException`) and then neither re-raises nor reports the
    failure at error level: it passes, or logs at info or debug. An audit record is a row of an
    audit-named model (`AuditLog`), of a model the project's request-audit decorator writes
    (`RequestLog`), or of an event log (generic reference plus the change).

    ## Why is this bad?
    Audit controls must show who read and changed patient records (HIPAA §164.312(b)). When the audit
    write fails — a missing column, a name error, a full disk — this code carries on as if it had
    been recorded, and nobody learns that the trail has gaps until it is needed as evidence.

    ## Example
    ```python
    try:
        RequestLog(user=request.user.username, path=request.path).save()
    except:
        LOGGER.info("could not log request")
    ```

    Use instead:
    ```python
    try:
        RequestLog(user=request.user.username, path=request.path).save()
    except DatabaseError:
        LOGGER.exception("audit record lost for %s", request.path)  # alerting picks this up
        raise
    ```
    """

    code = "WG205"
    name = "audit-failure-swallowed"
    category = Category.AUDIT_TRAIL
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    cwe = 778
    summary = "Audit record written where any failure is silently swallowed"

    VALID = [
        Valid("import logging\nfrom audit.models import AuditEntry\nlog = logging.getLogger(__name__)\n\n"
              "def record(request):\n    try:\n        AuditEntry(user=request.user.username).save()\n"
              "    except Exception:\n        log.exception('audit record lost')\n"),
        Valid("from audit.models import AuditEntry\n\ndef record(request):\n    try:\n"
              "        AuditEntry.objects.create(user=request.user.username)\n    except:\n        raise\n",
              ),
        # A narrow handler for one expected condition is a decision, not a swallowed failure.
        Valid("from audit.models import AuditEntry\n\ndef record(request):\n    try:\n"
              "        AuditEntry.objects.create(user=request.user.username)\n    except ValueError:\n        pass\n",
              ),
        # Not an audit record.
        Valid("from clinic.models import Thumbnail\n\ndef thumb(img):\n    try:\n        Thumbnail(img=img).save()\n"
              "    except Exception:\n        pass\n"),
    ]
    INVALID = [
        # The project's request-audit decorator (it wraps three views) loses records quietly.
        Invalid("import logging\nfrom audit.models import RequestLog\nLOGGER = logging.getLogger(__name__)\n\n"
                "def log_request(func):\n    def wrapper(view, request, *args):\n        try:\n"
                "            RequestLog(user=request.user.username, path=request.path).save()\n        except:\n"
                "            LOGGER.info('could not log request')\n        return func(view, request, *args)\n"
                "    return wrapper\n",
                line=7, path="audit/decorators.py", files=(_LOG, _VIEWS)),
        Invalid("from audit.models import AuditEntry\n\ndef record(user, obj):\n    try:\n"
                "        AuditEntry.objects.create(user=user, object_id=obj.pk)\n    except Exception:\n        pass\n",
                line=4),
    ]

    @classmethod
    def applies_to(cls, src: SourceFile) -> bool:
        return not (src.looks_like_migration or src.looks_like_test)

    def visit_Try(self, node: ast.Try) -> None:
        handler = next((h for h in node.handlers if _catches_everything(h, self.ctx.imports.qualname)), None)
        if handler is None or _loud(handler):
            return
        record = self._audit_record(node.body)
        if record:
            self.report(node, f"The audit record ({record}) is written where any failure is swallowed (line "
                        f"{handler.lineno}): if it fails, the request carries on and the trail silently has a gap.",
                        end_node=node.body[-1],
                        fix="Catch only the errors you expect, and log the lost audit record at error level "
                        "(or re-raise) so that monitoring sees it.")

    def _audit_record(self, body: list[ast.stmt]) -> str | None:
        idx: ModelIndex | None = self.ctx.project.fact("django_models")
        trail = {m for m, _ in idx.audit_decorators.values()} | idx.log_models if idx is not None else set()
        for stmt in body:
            for n in walk(stmt):
                if not isinstance(n, ast.Call):
                    continue
                f = n.func
                ref = (self.ctx.imports.qualname(f.value.value) if isinstance(f, ast.Attribute)
                       and f.attr in ("create", "get_or_create", "bulk_create")
                       and isinstance(f.value, ast.Attribute) and f.value.attr == "objects"
                       else self.ctx.imports.qualname(f) if isinstance(f, ast.Name) and f.id[:1].isupper() else None)
                if not ref:
                    continue
                found = idx.lookup(ref) if idx is not None else None
                if (found is not None and found.qualname in trail) or AUDIT_NAME.search(last_part(ref)):
                    return last_part(ref)
        return None


def _catches_everything(h: ast.ExceptHandler, qualname) -> bool:  # type: ignore[no-untyped-def]
    if h.type is None:
        return True
    types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
    return any(last_part(qualname(t) or "") in ("Exception", "BaseException") for t in types)


def _loud(h: ast.ExceptHandler) -> bool:
    for n in walk(h):
        if isinstance(n, ast.Raise):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _LOUD:
            return True
    return False
