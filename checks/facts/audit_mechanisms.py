"""How a project audits its patient models: admin registrations (reversion's VersionAdmin), explicit
audit services (code that writes an audit-log model, and the code that calls it), database triggers
created by migrations, and Django's default table names they are matched by.
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from ..names import ImportMap, dotted, last_part
from ..source import SourceFile
from ..walk import walk
from .django_code import SAVES
from .libraries import library_class, neutral
from .middleware_state import is_middleware

if TYPE_CHECKING:
    from .django_models import FileModels, ModelIndex

AUDIT_NAME = re.compile(r"audit", re.IGNORECASE)  # an audit-named model or function
# The rows an audit service writes: an audit-named model, or a log of who did what (`ActivityLog`, `AccessLog`).
_TRAIL_MODEL = re.compile(r"audit|activity_?log|access_?log|change_?log", re.IGNORECASE)
SELF_AUDIT = "explicit audit method"  # a model's own method writing audit rows about it
_TRIGGER = re.compile(r"create\s+(or\s+replace\s+)?trigger\b.*?\bon\s+\"?([\w.]+)\"?", re.IGNORECASE | re.DOTALL)


def admin_and_audit_calls(src: SourceFile, imports: ImportMap, out: FileModels) -> None:
    """Admin registrations (a reversion VersionAdmin registers its model), functions that create
    rows of an audit-named model (an explicit audit service), calls to audit-named code, and
    database triggers created by migrations, and decorators that log each request."""
    _registrations_and_triggers(src, imports, out)
    _decorators(src, imports, out)
    _middleware(src, imports, out)
    if src.tree is None or "audit" not in src.text.lower():
        return  # nothing audit-named to write or call here: skip the walk of every function
    writes, local_calls = _audit_writes_and_calls(_scopes(src.tree, imports), imports, out)
    _spread_writes(writes, local_calls)
    for name, model in writes.items():
        owner = name.rsplit(".", 1)[0] if name.count(".") > imports.module.count(".") + 1 else name
        out.audit_writers.append((owner, model))


def _registrations_and_triggers(src: SourceFile, imports: ImportMap, out: FileModels) -> None:
    for stmt in src.tree.body if src.tree is not None else []:
        if isinstance(stmt, ast.ClassDef):  # @admin.register(Patient, Visit)
            out.admin_registrations += [(model, f"{imports.module}.{stmt.name}", f"{src.path}:{stmt.lineno}")
                                        for model in admin_decorator_models(stmt, imports)]
            _inlines(stmt, imports, out)
    for node in src.nodes:
        if isinstance(node, ast.Call):  # admin.site.register([Patient, Visit], PatientAdmin)
            models, admin_cls = site_registration(node, imports) or ([], None)
            if admin_cls is not None:  # (Django's default admin registers nothing with an audit library)
                out.admin_registrations += [(model, admin_cls, f"{src.path}:{node.lineno}") for model in models]
        elif src.looks_like_migration and isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in _TRIGGER.finditer(node.value):
                out.triggers.append((match.group(2).split(".")[-1].lower(), f"{src.path}:{node.lineno}"))


def _inlines(cls: ast.ClassDef, imports: ImportMap, out: FileModels) -> None:
    """`inlines = [VisitInline]` on an admin class, `model = Visit` on an inline class (its base names an inline)."""
    q = f"{imports.module}.{cls.name}"
    for st in cls.body:
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)):
            continue
        name, value = st.targets[0].id, st.value
        if name == "inlines" and isinstance(value, (ast.List, ast.Tuple)):
            refs = [imports.qualname(e) for e in value.elts if isinstance(e, (ast.Name, ast.Attribute))]
            out.admin_inlines.append((q, [r for r in refs if r]))
        elif name == "model" and isinstance(value, (ast.Name, ast.Attribute)) and any(
                "Inline" in (dotted(b) or "") for b in cls.bases):
            out.inline_models.append((q, imports.qualname(value) or ""))


def admin_decorator_models(cls: ast.ClassDef, imports: ImportMap) -> list[str]:
    return [imports.qualname(a) or "" for d in cls.decorator_list
            if isinstance(d, ast.Call) and last_part(imports.qualname(d.func) or "") == "register"
            and "admin" in (imports.qualname(d.func) or "") for a in d.args]


def site_registration(call: ast.Call, imports: ImportMap) -> tuple[list[str], str | None] | None:
    """(models, admin class; None for Django's default ModelAdmin) of an `admin.site.register(...)` call."""
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "register" and call.args
            and "admin" in (imports.qualname(call.func) or "") + _dotted(call.func)):
        return None
    first = call.args[0]
    models = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
    return [imports.qualname(m) or "" for m in models], (imports.qualname(call.args[1]) or "") if len(call.args) > 1 \
        else None


def _scopes(tree: ast.Module, imports: ImportMap) -> list[tuple[str, ast.AST]]:
    """The module's functions and methods, by qualified name."""
    scopes: list[tuple[str, ast.AST]] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes.append((f"{imports.module}.{stmt.name}", stmt))
        elif isinstance(stmt, ast.ClassDef):
            scopes += [(f"{imports.module}.{stmt.name}.{m.name}", m) for m in stmt.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return scopes


def _audit_writes_and_calls(scopes: list[tuple[str, ast.AST]], imports: ImportMap,
                            out: FileModels) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Per scope: the audit-named model it creates, and the names of this module's functions and methods
    it calls. Calls to audit-named code go straight to `out.audit_calls`."""
    writes: dict[str, str] = {}
    local_calls: dict[str, set[str]] = {}
    for name, scope in scopes:
        for n in walk(scope):
            if not isinstance(n, ast.Call):
                continue
            callee = imports.qualname(n.func) or _dotted(n.func)
            created = _created_model(n, imports)
            if created and _TRAIL_MODEL.search(last_part(created)):
                writes[name] = created
            elif callee and AUDIT_NAME.search(callee) and not callee.startswith(("auditlog.", "simple_history.")):
                out.audit_calls.append((name, callee))
            elif isinstance(n.func, ast.Attribute) and n.func.attr in SAVES and not (
                    n.func.attr == "update" and n.args):  # `context.update(extra)` is a dict's; a queryset's takes keywords
                out.changing_scopes.append(name)
            if isinstance(n.func, ast.Name) or (isinstance(n.func, ast.Attribute)
                                                and _dotted(n.func.value) in ("self", "cls")):
                local_calls.setdefault(name, set()).add(n.func.id if isinstance(n.func, ast.Name) else n.func.attr)
    return writes, local_calls


def _spread_writes(writes: dict[str, str], local_calls: dict[str, set[str]]) -> None:
    """A function that calls a local writer writes too: `Auditor.audit_update()` calls the module's
    `_log_action()`, which creates the AuditLog row."""
    changed = True
    while changed:
        changed = False
        for name, called in local_calls.items():
            if name not in writes:
                hit = next((w for w in list(writes) if last_part(w) in called), None)
                if hit:
                    writes[name] = writes[hit]
                    changed = True


def _decorators(src: SourceFile, imports: ImportMap, out: FileModels) -> None:
    """How often each decorator is applied, and decorators whose wrapper writes a row recording the
    requesting user (`def log_request(f): def wrapper(*args): RequestLog(user=request.user...).save()`)."""
    for node in src.nodes:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for d in node.decorator_list:
            name = imports.qualname(d.func if isinstance(d, ast.Call) else d)
            if name:
                out.decorator_uses[name] = out.decorator_uses.get(name, 0) + 1
    for stmt in src.tree.body if src.tree is not None else []:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(stmt.args.args) != 1:
            continue
        returned = {r.value.id for r in stmt.body if isinstance(r, ast.Return) and isinstance(r.value, ast.Name)}
        for inner in stmt.body:
            if not (isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner.name in returned):
                continue
            nodes = list(walk(inner))
            records_user = any(isinstance(n, ast.Attribute) and n.attr == "user" for n in nodes)
            created = next((m for n in nodes if isinstance(n, ast.Call) for m in [_created_model(n, imports)] if m), None)
            if records_user and created:
                out.audit_decorators.append((f"{imports.module}.{stmt.name}", created))


def _middleware(src: SourceFile, imports: ImportMap, out: FileModels) -> None:
    """Middleware classes whose request hooks create a row (`self.audit_obj = Audit(**data)` ... `.save()`,
    `RequestLog.objects.create(...)`): which model, judged once the patient models are known."""
    for cls in src.tree.body if src.tree is not None else []:
        if not isinstance(cls, ast.ClassDef) or not is_middleware(cls):
            continue
        created = next((m for fn in cls.body if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and fn.name != "__init__" for n in walk(fn) if isinstance(n, ast.Call)
                        for m in [_created_model(n, imports)] if m), None)
        if created:
            out.audit_middleware.append((f"{imports.module}.{cls.name}", created))


def audit_middleware(idx: ModelIndex, per_file: dict[str, FileModels]) -> None:
    """Middleware written to audit each request: it creates rows of a project model that is not patient data, and
    the model, the class or its module says audit (`AuditWrapper` -> `Audit`). A `RequestLog` of paths and timings
    kept for analysis records who called, not an audit of the records."""
    for fm in per_file.values():
        for cls, model in fm.audit_middleware:
            found = idx.lookup(model)
            if found is not None and found.qualname in idx.django and found.qualname not in idx.patient and (
                    found.qualname in idx.trail_models or AUDIT_NAME.search(found.name) or AUDIT_NAME.search(cls)):
                idx.audit_middleware[cls] = found.qualname


def _created_model(call: ast.Call, imports: ImportMap) -> str | None:
    """`AuditLog.objects.create(...)`, `.bulk_create(...)` or `AuditLog(...)`: the model's qualname."""
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in ("create", "bulk_create", "get_or_create"):
        base = f.value
        if isinstance(base, ast.Attribute) and base.attr in ("objects", "_default_manager"):
            return imports.qualname(base.value)
        return None
    if isinstance(f, ast.Name) and f.id[:1].isupper():
        return imports.qualname(f)
    return None


def _dotted(node: ast.expr) -> str:
    return dotted(node) or ""


def default_table(q: str) -> str:
    """Django's default table name: `<app_label>_<model>`, the app being the module before `models`."""
    parts = q.lower().split(".")
    if "models" in parts[:-1]:
        i = len(parts) - 1 - parts[::-1].index("models")
        if i >= 1:
            return f"{parts[i - 1]}_{parts[-1]}"
    return f"{parts[-2]}_{parts[-1]}" if len(parts) >= 2 else parts[-1]


def is_version_admin(idx: ModelIndex, ref: str, seen: set[str]) -> bool:
    lib = library_class(ref)
    if lib is not None:
        return lib.version_admin
    info = idx.lookup(ref)
    if info is None or info.qualname in seen:
        return False
    seen.add(info.qualname)
    return any(is_version_admin(idx, b, seen) for b in info.bases)


def unresolved_bases(idx: ModelIndex, q: str, seen: set[str]) -> list[str]:
    """Bases of `q` (and of its project bases) that wardgate cannot read: they may add an audit trail."""
    if q in seen:
        return []
    seen.add(q)
    out = []
    for b in idx.models[q].bases:
        found = idx.lookup(b)
        if found is not None:
            out += unresolved_bases(idx, found.qualname, seen)
        elif library_class(b) is None and not neutral(b) and b not in idx.plain:
            out.append(b)
    return out


# A decorator is the project's audit convention once it wraps this many functions.
MIN_DECORATOR_USES = 3


def same_decorator(used: str, defined: str) -> bool:
    """`used` (as a module spells it: `log_request`, `decorators.log_request`) names the decorator `defined`."""
    return used == defined or (last_part(used) == last_part(defined)
                               and defined.endswith("." + used.split(".", 1)[-1]))


def audit_decorators(idx: ModelIndex, per_file: dict[str, FileModels]) -> None:
    """Decorators that log each request to a project model (not a patient model) and that the project
    applies widely: views without one leave no audit entry where their neighbours do."""
    uses: dict[str, int] = {}
    for fm in per_file.values():
        for name, n in fm.decorator_uses.items():
            uses[name] = uses.get(name, 0) + n
    for fm in per_file.values():
        for deco, model in fm.audit_decorators:
            found = idx.lookup(model)
            count = sum(n for name, n in uses.items() if same_decorator(name, deco))
            if found is not None and found.qualname in idx.django and found.qualname not in idx.patient \
                    and count >= MIN_DECORATOR_USES:
                idx.audit_decorators[deco] = (found.qualname, count)


def explicit_audit(idx: ModelIndex, per_file: dict[str, FileModels]) -> None:
    """An audit service the project calls explicitly: code that creates rows of an audit-log model
    (a project model with an audit name, e.g. `AuditLog.objects.create(...)` in `Auditor`), called from
    other code, some of which changes rows. Such a project audits per write, so WG201 defers to the write
    checks. A service only code that changes nothing calls (a log of queries run or files viewed) records
    access, not changes: it is no trail of patient-data changes."""
    for fm in per_file.values():
        for owner, model in fm.audit_writers:
            found = idx.lookup(model)
            if found is not None and idx.is_django_model(model):
                idx.audit_services.add(owner)
                idx.trail_models.add(found.qualname)
    if not idx.audit_services:
        return
    by_name = {last_part(s).lower(): s for s in idx.audit_services}
    callers: dict[str, set[str]] = {}  # service -> the functions calling it
    for fm in per_file.values():
        for caller, callee in fm.audit_calls:
            if any(caller.startswith(s + ".") or caller == s for s in idx.audit_services):
                continue  # the service calling itself
            parts = callee.split(".")
            hit = {s for s in idx.audit_services if callee == s or callee.startswith(s + ".")} or {
                by_name[p.lower()] for p in parts[:-1] if p.lower() in by_name}
            for service in hit:
                callers.setdefault(service, set()).add(caller)
                idx.audit_callers.add(caller)
    changing = {name for fm in per_file.values() for name in fm.changing_scopes}
    # A model's own method writing its audit rows (`Query.audit()`) records that model's use, not every model's
    # changes; a service elsewhere counts once code that changes rows calls it (else it is an access log).
    wide = {s for s in callers if not idx.is_django_model(s) and callers[s] & changing}
    for s in callers.keys() - wide:
        if idx.is_django_model(s) and callers[s] & changing:
            found = idx.lookup(s)
            if found is not None:
                idx.self_audited[found.qualname] = (f"{SELF_AUDIT} of {last_part(s)} (called from "
                                                    f"{len(callers[s])} places)")
    if wide:
        services = ", ".join(sorted(last_part(s) for s in wide)[:3])
        called = set().union(*(callers[s] for s in wide))
        idx.explicit_audit = (f"explicit audit service ({services}, called from {len(called)} places; "
                              "coverage depends on each write calling it)")
