"""Whether the project's audit mechanism sees a write, and why: shared by the audit-trail rules and `wardgate facts`.

A write is one of: `save`, `delete` (an instance), `queryset update`, `queryset delete`, `bulk_create`,
`bulk_update`, `raw SQL <KIND>`, and `cascade delete` (patient rows Django deletes with a deleted row they point at
through `on_delete=CASCADE`; it sends their delete signals). What each mechanism records:
- simple-history, auditlog, django-easy-audit and a project's own signal receivers record from model signals:
  instance saves and deletes, and `QuerySet.delete()` (which deletes row by row and sends the signals); never a
  queryset `update()`, `bulk_create()`/`bulk_update()` or raw SQL.
- reversion records saves only inside a revision: `reversion.create_revision()` (decorator or `with`), the
  `RevisionMiddleware`, or a `VersionAdmin`; and never queryset or raw writes.
- database triggers (pghistory, `CREATE TRIGGER` in a migration) see every statement, raw SQL included.
- an explicit audit service sees exactly the writes whose function calls it.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..names import ImportMap, dotted, last_part
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk
from .audit_mechanisms import SELF_AUDIT, same_decorator
from .django_models import SAVE_RECEIVER, ModelIndex
from .libraries import version_admin_base
from .model_params import ModelParams, root_name
from .patient_data import CLINICAL_NAME_WHY, OWN_RECORD_WHY
from .raw_sql import NAME as RAW_SQL

if TYPE_CHECKING:
    from ..base import FileContext
    from ..index import ProjectIndex
    from .django_code import ProjectCode
    from .querysets import Scope
    from .raw_sql import RawSqlIndex

CASCADE_DELETE = "cascade delete"  # rows Django deletes because a row they point at (on_delete=CASCADE) is deleted
SIGNALLED = frozenset({"save", "delete", "queryset delete", CASCADE_DELETE})


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
    if explicit and mechanism == explicit or mechanism.startswith(SELF_AUDIT):
        return False, "the function never calls the project's audit service"
    if kind not in SIGNALLED:
        return False, f"{kind} sends no model signals; {_short(mechanism)} records only ORM saves and deletes"
    if mechanism.startswith(SAVE_RECEIVER) and kind != "save":
        return False, f"{_short(mechanism)} records saves only; a {kind} sends no save signal"
    if mechanism.startswith("reversion") and kind != "queryset delete":
        if revision:
            return True, "reversion, inside a revision (create_revision, RevisionMiddleware or VersionAdmin)"
        return False, "reversion records only inside a revision; none is open in this function (a caller may open one)"
    return True, f"{_short(mechanism)} records it from the model's save/delete signals"


def _short(mechanism: str) -> str:
    return mechanism.split(" (", 1)[0]


# --- the inventory, for `wardgate facts` -------------------------------------------------------------------

_BULK = {"update": "queryset update", "delete": "queryset delete", "bulk_create": "bulk_create",
         "bulk_update": "bulk_update"}
_INSTANCE_SOURCES = frozenset({"get", "create", "get_or_create", "update_or_create", "first", "last", "latest",
                               "earliest"})
# `is_latest=False`, `last_round=...`, `patient_created=True`, `has_encounters=True` (set after loading the
# encounters): pointers and flags derived from other rows; and receipts of who looked at or passed on a row
# (`viewed_at`, `viewed_by`, `is_read`, `notified_at`), not its content.
DERIVED = re.compile(r"^(is_)?(latest|last|current)(_\w+)?$|^\w+_created$|^(modified|updated)(_at|_on|_by)?$|^has_\w+$"
                     r"|^(is_)?(viewed|seen|read|opened|notified|synced|exported)(_at|_on|_by|_date)?$")


@dataclass(frozen=True)
class Write:
    model: str
    kind: str  # save | delete | queryset update | queryset delete | bulk_create | bulk_update | raw SQL <KIND>
    path: str
    line: int
    function: str | None
    seen: bool | None  # None: quiet (not audit-relevant)
    why: str


def derived_only(call: ast.Call, bookkeeping: Iterable[str] = ()) -> bool:
    """`update(is_latest=False)`: every field written is a derived pointer, flag or configured bookkeeping field."""
    extra = set(bookkeeping)
    return bool(call.keywords) and not call.args and all(
        k.arg and (DERIVED.match(k.arg) or k.arg in extra) for k in call.keywords)


def command_not_installed(module: str, code: ProjectCode) -> bool:
    """A management command of an app missing from INSTALLED_APPS (in every settings module wardgate read, e.g.
    one added only `if DJANGO_ENV != "production"`): Django finds commands only in installed apps."""
    if ".management.commands." not in f"{module}.":
        return False
    return code.installed(module.split(".management.commands", 1)[0]) is False


def request_audit_decorator(fn: ast.AST, imports: ImportMap, models: ModelIndex) -> str | None:
    """The project's request-audit decorator on the function (`@log_request` saving a RequestLog row), if any."""
    if not models.audit_decorators:
        return None
    for d in getattr(fn, "decorator_list", []):
        used = imports.qualname(d.func if isinstance(d, ast.Call) else d) or ""
        found = next((deco for deco in models.audit_decorators if same_decorator(used, deco)), None)
        if found:
            return found
    return None


def request_audit_middleware(models: ModelIndex, code: ProjectCode) -> tuple[str, str, bool | None] | None:
    """(middleware, audit model, installed) for the project's request-audit middleware (`AuditWrapper` saving an
    Audit row per request). Installed is None when wardgate read no MIDDLEWARE setting at all (settings kept out of
    the repository): whether it runs is unknown."""
    for cls, model in sorted(models.audit_middleware.items()):
        if not code.middleware_at:
            return cls, model, None
        if any(cls in code.ancestors(entry) or entry == cls for entry in code.middleware):
            return cls, model, True
    return None


def in_revision(fn: ast.AST, imports: ImportMap) -> bool:
    """`@reversion.create_revision()` on the function, or a `with reversion.create_revision():` in it."""
    decorators = getattr(fn, "decorator_list", [])
    exprs = [d.func if isinstance(d, ast.Call) else d for d in decorators]
    exprs += [i.context_expr.func for n in walk(fn) if isinstance(n, (ast.With, ast.AsyncWith))
              for i in n.items if isinstance(i.context_expr, ast.Call)]
    return any(last_part(imports.qualname(e) or "") == "create_revision" for e in exprs)


def inventory(src: SourceFile, models: ModelIndex, code: ProjectCode, raw: RawSqlIndex | None,
              vocab: Vocabulary, project: ProjectIndex | None = None) -> list[Write]:
    """Every write to a patient model in one file, with whether the project's audit mechanism sees it."""
    from .django_models import write_role
    from .phi_access import PhiScope
    from .querysets import Scope, functions, is_trail_model

    assert src.tree is not None
    imports = ImportMap.build(src.tree, src.module, src.is_package_init, src.nodes)
    role = write_role(src)
    quiet_file = ("test fixture" if src.looks_like_test else
                  "data migration (historical models, run once)" if src.looks_like_migration else
                  "a command of an app not in INSTALLED_APPS" if command_not_installed(src.module, code) else None)
    sites = {(s.line, s.col): s for s in raw.sites(src.path)} if raw is not None else {}
    middleware = request_audit_middleware(models, code) if role == "request" else None
    params: ModelParams | None = project.fact("model_params") if project is not None else None
    out: list[Write] = []
    for fn, cls in functions(src.tree):
        klass = f"{imports.module}.{cls.name}" if cls else None
        fq = f"{klass or imports.module}.{fn.name}"
        scope = Scope.of(fn, imports, models, code, klass)
        phi = PhiScope.of(fn, imports, project, vocab.phi_field_names()) if project is not None else None
        audit_call = calls_audit_service(fq, models)
        recorded_by = request_audit_decorator(fn, imports, models)
        revision = in_revision(fn, imports) or (models.revision_middleware and role == "request") or bool(
            klass and code.inherits(klass, version_admin_base))
        for call in walk(fn):
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
                continue
            found: list[tuple[str, str, bool]] = []  # (model, kind, derived)
            meth = call.func.attr
            qs_model = scope.model_of(call.func.value) if meth in _BULK else None
            # `through_model.objects.filter(...).delete()` in a helper: the models its callers pass
            root = root_name(call.func.value) if meth in _BULK and qs_model is None and cls is None else None
            passed = [m for m in map(models.lookup, sorted(params.models_for(fq, root.id))) if m is not None] \
                if root is not None and params is not None else []
            if passed:
                derived = meth == "update" and derived_only(call, vocab.bookkeeping_fields)
                found += [(m.qualname, _BULK[meth], derived) for m in passed]
            elif meth in ("save", "delete") and qs_model is None and not call.args:  # an instance's save()/delete()
                model = _instance_model(call.func.value, scope, code)
                if model is None and phi is not None:
                    model = phi.instance_model(call.func.value)
                if model and not model.startswith("?"):  # "?patient": only the spelling says so
                    found.append((model, meth, False))
            elif qs_model:
                derived = meth == "update" and derived_only(call, vocab.bookkeeping_fields)
                found.append((qs_model, _BULK[meth], derived))
            elif meth == "create" and scope.model_of(call.func.value):
                found.append((scope.model_of(call.func.value) or "", "save", False))
            site = sites.get((call.lineno, call.col_offset))
            for w in site.writes if site is not None else ():
                model = scope.table_model(w.table)
                if model:
                    found.append((model, f"raw SQL {w.kind}", False))
            for model, kind, _derived in list(found):  # Django deletes the patient rows that cascade from these
                if kind in ("delete", "queryset delete") and model not in models.patient \
                        and not overrides_delete(model, code) and not _made_here(call.func.value, scope):
                    # (records of their own: a participant's pending scheduled events go with the schedule)
                    found += [(child, CASCADE_DELETE, False) for child in models.cascaded_patient_models([model])
                              if models.patient_why.get(child, "").startswith((*OWN_RECORD_WHY, CLINICAL_NAME_WHY))]
            for model, kind, derived in found:
                patient = model in models.patient
                trail = model in models.log_models or is_trail_model(model)
                if not (patient or trail):
                    continue
                quiet = ("the audit/event log itself" if trail else quiet_file or
                         ("derived or bookkeeping fields only" if derived else None))
                if quiet:
                    out.append(Write(model, kind, src.path, call.lineno, fq, None, quiet))
                    continue
                if recorded_by:
                    log = last_part(models.audit_decorators[recorded_by][0])
                    seen, why = True, f"the request is recorded by @{last_part(recorded_by)} ({log})"
                elif middleware is not None and middleware[2]:
                    seen, why = True, (f"the request is recorded by the {last_part(middleware[0])} middleware "
                                       f"({last_part(middleware[1])} rows)")
                elif middleware is not None:
                    out.append(Write(model, kind, src.path, call.lineno, fq, None,
                                     f"unknown: the {last_part(middleware[0])} middleware records requests in "
                                     f"{last_part(middleware[1])}, and no MIDDLEWARE setting was found to say "
                                     "whether it runs"))
                    continue
                else:
                    seen, why = audit_sees(models.audited.get(model), kind, audit_call=audit_call, revision=revision,
                                           explicit=models.explicit_audit)
                out.append(Write(model, kind, src.path, call.lineno, fq, seen, why))
    return out


def file_writes(ctx: FileContext, models: ModelIndex, code: ProjectCode) -> list[Write]:
    """`inventory()` of the file a check is reading, built once for every check that asks."""
    return ctx.shared("write_inventory", lambda: inventory(ctx.src, models, code, ctx.project.fact(RAW_SQL), ctx.vocab,
                                                           ctx.project))


def _made_here(recv: ast.expr, scope: Scope) -> bool:
    """`response = Response(survey=s)` ... `response.delete()`: a row this function made, removed again when the rest
    fails (what cascades from it was made here too)."""
    if not isinstance(recv, ast.Name):
        return False
    for v in scope.env.get(recv.id, []):
        if isinstance(v, ast.Call) and (
                (isinstance(v.func, ast.Attribute) and v.func.attr in ("create", "get_or_create"))
                or last_part(dotted(v.func) or "")[:1].isupper() and scope.model_of(v.func) is None
                and scope._model(scope.imports.qualname(v.func) or "") is not None):
            return True
    return False


def overrides_delete(model: str, code: ProjectCode) -> bool:
    """The model, or a project base of it, defines its own `delete()`: a soft delete, or one that records itself."""
    return any(info is not None and "delete" in info.methods for info in map(code.lookup, code.ancestors(model)))


def _nearest_first(values: list[ast.expr], line: int) -> list[ast.expr]:
    """A name's bindings, the last one above `line` first (`lab = LabResult...` then `lab = values.get()`: the
    save() below the second writes a value), then the rest in order."""
    before = sorted((v for v in values if getattr(v, "lineno", 0) <= line), key=lambda v: -v.lineno)
    return before + [v for v in values if getattr(v, "lineno", 0) > line]


def _instance_model(recv: ast.expr, scope: Scope, code: ProjectCode) -> str | None:
    """The model of an instance: a name bound to `Model(...)`, `Model.objects.get(...)`, `get_object_or_404(Model)`;
    a ModelForm or ModelSerializer (`PatientForm(request.POST).save()`, `form.save()` in a view's `form_valid`,
    `serializer.save()` in `perform_create`) writes its `Meta.model`."""
    if isinstance(recv, ast.Attribute) and recv.attr in ("object", "instance") and isinstance(recv.value, ast.Name) \
            and recv.value.id == "self":
        return scope.class_model()  # a view's `self.object`, a form's `self.instance`
    if not isinstance(recv, ast.Name):
        return None
    if recv.id in ("form", "serializer") and recv.id not in scope.env:
        return scope.class_model()  # form_valid(self, form) / perform_create(self, serializer)
    for v in _nearest_first(scope.env.get(recv.id, []), recv.lineno):
        if isinstance(v, ast.Call):
            bound = code.lookup(scope.imports.qualname(v.func))
            if bound is not None and bound.meta_model:
                found = scope._model(bound.meta_model)
                if found:
                    return found
        if isinstance(v, ast.Call):
            f = v.func
            if isinstance(f, ast.Attribute) and f.attr in _INSTANCE_SOURCES:
                model = scope.model_of(f.value)
                if model:
                    return model
            name = scope.imports.qualname(f) or ""
            if last_part(name) in ("get_object_or_404", "get_or_404") and v.args:
                model = scope.model_of(v.args[0]) or scope._model(scope.imports.qualname(v.args[0]))
                if model:
                    return model
            model = scope._model(name) if name[:1].isupper() or last_part(name)[:1].isupper() else None
            if model:
                return model
    return None


def imported_only(qualname: str, idx: ModelIndex, code: ProjectCode | None) -> bool:
    """Rows no user edits: written only by loaders, management commands and scheduled tasks, never from a
    view, form, serializer or service, and no admin, form, serializer or view class edits the model: a
    read-only copy of another system's data (an upstream lab or ADT feed). A table that is patient data only by
    its link to a record may also be filled by the project's own library code (statistics, pipeline results):
    what it derives from is where changes are traced. Seen writes are required: none seen is not evidence."""
    roles = idx.write_roles.get(qualname)
    allowed = {"batch", "other"} if qualname in idx.linked_patient else {"batch"}
    if not roles or not roles <= allowed or code is None:
        return False
    return not edited_by_a_class(qualname, code)


def edited_by_a_class(qualname: str, code: ProjectCode) -> bool:
    """An admin, form, serializer or view class of the project edits the model (a form or serializer only when
    loaded code uses it: one only a never-imported admin module names edits nothing)."""
    name = qualname.rsplit(".", 1)[-1]
    forms = (c.meta_model for q, c in code.classes.items() if q.rsplit(".", 1)[-1] in code.form_uses)
    return any(q and (q == qualname or q.rsplit(".", 1)[-1] == name)
               for q in (*code.admin_models.values(), *(c.model for c in code.classes.values()), *forms))


def never_changed(qualname: str, idx: ModelIndex, code: ProjectCode | None) -> bool:
    """A table that is patient data only by its link to a record, whose admin is registered in a module Django never
    imports, and which no code of the project writes and no loaded admin, used form or serializer, or view edits:
    an unused model (an EDC app's review form marked "not used", its admin import commented out). Without that
    evidence nothing is concluded from writes not seen (generic code may edit a table unseen)."""
    if code is None or qualname not in idx.linked_patient or idx.write_roles.get(qualname):
        return False
    name = qualname.rsplit(".", 1)[-1]
    dead_admin = any(m == qualname or m.rsplit(".", 1)[-1] == name for m in code.unloaded_admin_models)
    return dead_admin and not edited_by_a_class(qualname, code)  # its admin exists and is never loaded
