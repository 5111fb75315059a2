"""Whether the project's audit mechanism sees a write, and why: shared by the audit-trail rules and `wardgate facts`.

A write is one of: `save`, `delete` (an instance), `queryset update`, `queryset delete`, `bulk_create`,
`bulk_update`, `raw SQL <KIND>`. What each mechanism records:
- simple-history, auditlog, django-easy-audit and a project's own signal receivers record from model signals:
  instance saves and deletes, and `QuerySet.delete()` (which deletes row by row and sends the signals); never a
  queryset `update()`, `bulk_create()`/`bulk_update()` or raw SQL.
- reversion records saves only inside a revision: `reversion.create_revision()` (decorator or `with`), the
  `RevisionMiddleware`, or a `VersionAdmin`; and never queryset or raw writes.
- database triggers (pghistory, `CREATE TRIGGER` in a migration) see every statement, raw SQL included.
- an explicit audit service sees exactly the writes whose function calls it.
"""
from __future__ import annotations

from .django_models import ModelIndex

SIGNALLED = frozenset({"save", "delete", "queryset delete"})


def sees_every_write(mechanism: str) -> bool:
    """A database-level trail: the trigger fires for ORM, queryset and raw SQL writes alike."""
    return mechanism.startswith(("pghistory", "database trigger"))


def calls_audit_service(function: str | None, models: ModelIndex) -> bool:
    """`function` (module.func or module.Class.method) calls the project's explicit audit service, or is it."""
    if not function:
        return False
    return function in models.audit_callers or any(
        function == s or function.startswith(s + ".") for s in models.audit_services)


def audit_sees(mechanism: str | None, kind: str, *, audit_call: bool, revision: bool,
               explicit: str | None = None) -> tuple[bool, str]:
    """(seen, why) for one write of `kind` to a model audited by `mechanism`."""
    if audit_call:
        return True, "the function calls the project's audit service"
    if not mechanism:
        return False, "the model has no audit mechanism"
    if sees_every_write(mechanism):
        return True, f"{mechanism}: a database trigger sees every statement"
    if explicit and mechanism == explicit:
        return False, "the function never calls the project's audit service"
    if kind not in SIGNALLED:
        return False, f"{kind} sends no model signals; {_short(mechanism)} records only ORM saves and deletes"
    if mechanism.startswith("reversion") and kind != "queryset delete":
        if revision:
            return True, "reversion, inside a revision (create_revision, RevisionMiddleware or VersionAdmin)"
        return False, "reversion records only inside a revision; none is open here"
    return True, f"{_short(mechanism)} records it from the model's save/delete signals"


def _short(mechanism: str) -> str:
    return mechanism.split(" (", 1)[0]
