"""Project-wide facts about Django models: which hold patient data, and which are audited.

Collected per file with the stdlib `ast`, merged once. Audit registration is recognised
wherever it lives in the project: simple-history (`HistoricalRecords()` field, or
`simple_history.register(Model)`), django-auditlog (`auditlog.register(Model)` call or
decorator), django-reversion (`@reversion.register()` or `reversion.register(Model)`),
django-pghistory (`@pghistory.track(...)`), configured audit bases/decorators, and a project's own
audit log built on model signals: a receiver of `pre_save`/`post_save` connected with no `sender`
(so it sees every model) in a module or function named for auditing (`audit_log/receivers.py`,
`def audit_post_save`). Such a receiver covers every model of the project.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..names import ImportMap, dotted, last_part, matches
from ..source import SourceFile
from ..vocabulary import CATALOGUE_SUFFIXES, CREDENTIAL_SUFFIXES, Vocabulary
from ..walk import walk
from .libraries import concrete_models, library_class, neutral

NAME = "django_models"

_MODEL_BASES = ("django.db.models.Model", "django.db.models.base.Model", "models.Model")
_USER_BASES = ("AbstractUser", "AbstractBaseUser", "PermissionsMixin")
_AUDIT_REGISTER_CALLS = (
    "auditlog.registry.auditlog.register", "auditlog.register",
    "reversion.register", "reversion.revisions.register",
    "simple_history.register",
    "pghistory.track",
)
_SAVE_SIGNALS = ("django.db.models.signals.pre_save", "django.db.models.signals.post_save")
_RECEIVER = ("django.dispatch.receiver", "django.dispatch.dispatcher.receiver")
SIGNAL_AUDIT = "signal-receiver"
_RELATION_FIELDS = ("ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey")
# Identifying fields strong enough to make a model patient data on their own.
_STRONG_PHI = frozenset({
    "date_of_birth", "dob", "birth_date", "birthdate", "ssn", "social_security_number", "mrn",
    "medical_record_number", "national_id", "nhs_number", "insurance_number", "health_id",
    "abha_number", "aadhar", "aadhaar", "diagnosis", "diagnosis_code", "clinical_notes",
})


@dataclass
class FieldInfo:
    name: str
    kind: str  # last part of the field class, e.g. "DecimalField"
    qualname: str
    line: int
    end_line: int
    target: str | None = None  # related model (qualname or "app.Model" string) for relations
    related_name: str | None = None  # the reverse accessor's name, when given (`related_name="admissions"`)
    has_min_validator: bool = False
    has_max_validator: bool = False
    unique: bool = False
    choices: bool = False  # an enumeration (`choices=`): a status or mode, not a measured value


@dataclass
class ModelInfo:
    name: str
    qualname: str
    path: str
    line: int
    bases: list[str]
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    abstract: bool = False
    history_field: bool = False  # HistoricalRecords() on the class
    history_inherit: bool = False  # HistoricalRecords(inherit=True): subclasses get a history too
    decorators: list[str] = field(default_factory=list)
    db_table: str | None = None


@dataclass
class FileModels:
    models: list[ModelInfo] = field(default_factory=list)
    registered: list[tuple[str, str]] = field(default_factory=list)  # (model qualname, mechanism)
    audit_receivers: list[str] = field(default_factory=list)  # project-wide audit signal receivers
    admin_registrations: list[tuple[str, str, str]] = field(default_factory=list)  # (model, admin class, where)
    audit_writers: list[tuple[str, str]] = field(default_factory=list)  # (function or class, model it creates)
    audit_calls: list[tuple[str, str]] = field(default_factory=list)  # (calling function, audit-named callee)
    triggers: list[tuple[str, str]] = field(default_factory=list)  # (table, where): CREATE TRIGGER in a migration
    settings: list[str] = field(default_factory=list)  # "easyaudit" installed, "revision-middleware" installed
    reexports: list[tuple[str, str]] = field(default_factory=list)  # (module.Name, where Name comes from)
    stars: list[tuple[str, str]] = field(default_factory=list)  # (module, module it star-imports)


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileModels | None:
    assert src.tree is not None
    out = FileModels()
    # A migration's classes are `Migration`s, never models (and there are hundreds of them).
    in_migration = src.looks_like_migration
    for node in src.nodes:
        if isinstance(node, ast.ClassDef):
            if not in_migration:
                out.models.append(_model_info(node, src, imports))
        elif isinstance(node, ast.Call):
            name = imports.qualname(node.func) or ""
            if matches(name, *_AUDIT_REGISTER_CALLS) and node.args:
                target = imports.qualname(node.args[0])
                if target:
                    out.registered.append((target, _mechanism(name)))
            elif (isinstance(node.func, ast.Attribute) and node.func.attr == "connect" and node.args
                  and matches(imports.qualname(node.func.value) or "", *_SAVE_SIGNALS)
                  and not any(k.arg == "sender" for k in node.keywords)):
                fn = imports.qualname(node.args[0]) or ast.unparse(node.args[0])
                if _audit_named(imports.module, last_part(fn)):
                    out.audit_receivers.append(fn)
        elif (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _global_save_receiver(node, imports)
              and _audit_named(imports.module, node.name)):
            out.audit_receivers.append(f"{imports.module}.{node.name}")
    _admin_and_audit_calls(src, imports, out)
    reexporter = src.is_package_init or imports.module.rsplit(".", 1)[-1] == "models"
    for stmt in src.tree.body if reexporter else []:  # `from .models_folder import *` in models.py
        if isinstance(stmt, ast.ImportFrom):
            base = imports._absolute(stmt.module, stmt.level)
            for a in stmt.names:
                if a.name == "*":
                    out.stars.append((imports.module, base))
                elif base and a.name[:1].isupper():
                    out.reexports.append((f"{imports.module}.{a.asname or a.name}", f"{base}.{a.name}"))
    for stmt in src.tree.body:
        if isinstance(stmt, (ast.Assign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            values = {n.value for n in walk(stmt.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            if "INSTALLED_APPS" in names and "easyaudit" in values:
                out.settings.append("easyaudit")
            if names & {"MIDDLEWARE", "MIDDLEWARE_CLASSES"} and "reversion.middleware.RevisionMiddleware" in values:
                out.settings.append("revision-middleware")
    out.models = [m for m in out.models if m.bases]
    return out if (out.models or out.registered or out.audit_receivers or out.admin_registrations
                   or out.audit_writers or out.audit_calls or out.triggers or out.settings or out.stars
                   or out.reexports) else None


_AUDIT_NAME = re.compile(r"audit", re.IGNORECASE)
_TRIGGER = re.compile(r"create\s+(or\s+replace\s+)?trigger\b.*?\bon\s+\"?([\w.]+)\"?", re.IGNORECASE | re.DOTALL)


def _admin_and_audit_calls(src: SourceFile, imports: ImportMap, out: FileModels) -> None:
    """Admin registrations (a reversion VersionAdmin registers its model), functions that create
    rows of an audit-named model (an explicit audit service), calls to audit-named code, and
    database triggers created by migrations."""
    scopes: list[tuple[str, ast.AST]] = []
    for stmt in src.tree.body if src.tree is not None else []:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes.append((f"{imports.module}.{stmt.name}", stmt))
        elif isinstance(stmt, ast.ClassDef):
            for d in stmt.decorator_list:  # @admin.register(Patient, Visit)
                if isinstance(d, ast.Call) and last_part(imports.qualname(d.func) or "") == "register" \
                        and "admin" in (imports.qualname(d.func) or ""):
                    for a in d.args:
                        out.admin_registrations.append((imports.qualname(a) or "", f"{imports.module}.{stmt.name}",
                                                        f"{src.path}:{stmt.lineno}"))
            for m in stmt.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    scopes.append((f"{imports.module}.{stmt.name}.{m.name}", m))
    for node in src.nodes:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register"
                and len(node.args) >= 2 and "admin" in (imports.qualname(node.func) or "") + dotted_or_empty(node.func)):
            admin_cls = imports.qualname(node.args[1]) or ""
            first = node.args[0]
            for m in (first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]):
                out.admin_registrations.append((imports.qualname(m) or "", admin_cls, f"{src.path}:{node.lineno}"))
        elif src.looks_like_migration and isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in _TRIGGER.finditer(node.value):
                out.triggers.append((match.group(2).split(".")[-1].lower(), f"{src.path}:{node.lineno}"))
    local_calls: dict[str, set[str]] = {}  # scope -> names of this module's functions/methods it calls
    writes: dict[str, str] = {}  # scope -> audit-named model it creates
    for name, scope in scopes:
        for n in walk(scope):
            if not isinstance(n, ast.Call):
                continue
            callee = imports.qualname(n.func) or dotted_or_empty(n.func)
            created = _created_model(n, imports)
            if created and _AUDIT_NAME.search(last_part(created)):
                writes[name] = created
            elif callee and _AUDIT_NAME.search(callee) and not callee.startswith(("auditlog.", "simple_history.")):
                out.audit_calls.append((name, callee))
            if isinstance(n.func, ast.Name) or (isinstance(n.func, ast.Attribute)
                                                and dotted_or_empty(n.func.value) in ("self", "cls")):
                local_calls.setdefault(name, set()).add(n.func.id if isinstance(n.func, ast.Name) else n.func.attr)
    # `Auditor.audit_update()` calls the module's `_log_action()`, which creates the AuditLog row: both write it.
    changed = True
    while changed:
        changed = False
        for name, called in local_calls.items():
            if name not in writes:
                hit = next((w for w in list(writes) if last_part(w) in called), None)
                if hit:
                    writes[name] = writes[hit]
                    changed = True
    for name, model in writes.items():
        owner = name.rsplit(".", 1)[0] if name.count(".") > imports.module.count(".") + 1 else name
        out.audit_writers.append((owner, model))


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


def dotted_or_empty(node: ast.expr) -> str:
    return dotted(node) or ""


def _audit_named(module: str, func: str) -> bool:
    """An audit log by name: `care.audit_log.receivers`, `def audit_post_save`, `AuditTrailReceiver`."""
    return any("audit" in part.lower() for part in (*module.split("."), func))


def _global_save_receiver(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """`@receiver(post_save)` / `@receiver([pre_save, post_save])` with no `sender`: sees every model."""
    for dec in fn.decorator_list:
        if not (isinstance(dec, ast.Call) and matches(imports.qualname(dec.func) or "", *_RECEIVER) and dec.args):
            continue
        if any(k.arg == "sender" for k in dec.keywords):
            continue
        first = dec.args[0]
        signals = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
        if any(matches(imports.qualname(s) or "", *_SAVE_SIGNALS) for s in signals):
            return True
    return False


def _mechanism(name: str) -> str:
    for key in ("auditlog", "reversion", "simple_history", "pghistory"):
        if key in name:
            return key.replace("_", "-")
    return name


def _model_info(node: ast.ClassDef, src: SourceFile, imports: ImportMap) -> ModelInfo:
    info = ModelInfo(
        name=node.name,
        qualname=f"{imports.module}.{node.name}" if imports.module else node.name,
        path=src.path,
        line=node.lineno,
        bases=[b for b in (imports.qualname(base) for base in node.bases) if b],
        decorators=[d for d in (imports.qualname(dec) for dec in node.decorator_list) if d],
    )
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for m in stmt.body:
                if (isinstance(m, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "abstract" for t in m.targets)
                        and isinstance(m.value, ast.Constant) and m.value.value is True):
                    info.abstract = True
                if (isinstance(m, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "db_table" for t in m.targets)
                        and isinstance(m.value, ast.Constant) and isinstance(m.value.value, str)):
                    info.db_table = m.value.value.lower()
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        if not isinstance(value, ast.Call):
            continue
        callee = imports.qualname(value.func) or ""
        for t in targets:
            if not isinstance(t, ast.Name):
                continue
            if last_part(callee) == "HistoricalRecords":
                info.history_field = True
                info.history_inherit = any(k.arg == "inherit" and isinstance(k.value, ast.Constant)
                                           and k.value.value is True for k in value.keywords)
                continue
            if not (last_part(callee).endswith("Field") or last_part(callee) in _RELATION_FIELDS):
                continue
            info.fields[t.id] = _field_info(t.id, callee, value, stmt, imports)
    return info


def _field_info(name: str, callee: str, call: ast.Call, stmt: ast.stmt, imports: ImportMap) -> FieldInfo:
    fi = FieldInfo(name=name, kind=last_part(callee), qualname=callee, line=stmt.lineno,
                   end_line=getattr(stmt, "end_lineno", stmt.lineno) or stmt.lineno)
    if fi.kind in _RELATION_FIELDS:
        target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "to"), None)
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            fi.target = target.value
        elif target is not None:
            fi.target = imports.qualname(target)
    for kw in call.keywords:
        if kw.arg == "related_name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            fi.related_name = kw.value.value
        if kw.arg in ("unique", "primary_key") and isinstance(kw.value, ast.Constant) and kw.value.value is True:
            fi.unique = True
        if kw.arg == "choices":
            fi.choices = True
        if kw.arg == "validators" and isinstance(kw.value, (ast.List, ast.Tuple)):
            for v in kw.value.elts:
                vname = last_part(imports.qualname(v) or "")
                fi.has_min_validator |= vname.startswith("Min")
                fi.has_max_validator |= vname.startswith("Max") or vname in {"RangeValidator", "BoundsValidator"}
    return fi


@dataclass
class ModelIndex:
    """Every model class in the project, with patient-data and audit classification."""

    models: dict[str, ModelInfo] = field(default_factory=dict)  # qualname -> info
    registered: dict[str, str] = field(default_factory=dict)  # qualname -> audit mechanism
    audit_receivers: list[str] = field(default_factory=list)  # project-wide audit signal receivers
    by_name: dict[str, list[str]] = field(default_factory=dict)
    patient: set[str] = field(default_factory=set)
    audited: dict[str, str] = field(default_factory=dict)  # qualname -> mechanism, with its evidence
    django: set[str] = field(default_factory=set)  # qualnames that are Django models
    patient_why: dict[str, str] = field(default_factory=dict)  # qualname -> why it holds patient data
    unknown_audit: dict[str, str] = field(default_factory=dict)  # qualname -> the base wardgate could not read
    explicit_audit: str | None = None  # the project's explicit audit service, with evidence
    audit_services: set[str] = field(default_factory=set)  # functions/classes that write audit-log rows
    audit_callers: set[str] = field(default_factory=set)  # functions that call an audit service
    global_audit: str | None = None  # a mechanism that sees every model (easy-audit)
    revision_middleware: bool = False
    log_models: set[str] = field(default_factory=set)  # event/audit logs that point at any row (not patient data)
    reexports: dict[str, str] = field(default_factory=dict)
    stars: dict[str, list[str]] = field(default_factory=dict)
    # Lookups are memoised once `merge` has classified every model (checks ask the same refs often).
    _memo: dict[str, ModelInfo | None] | None = field(default=None, repr=False, compare=False)

    def lookup(self, ref: str | None) -> ModelInfo | None:
        """Find a model by qualified name, a dotted suffix of one, `app.Model` string or bare name."""
        if not ref:
            return None
        if self._memo is not None:
            if ref not in self._memo:
                self._memo[ref] = self._lookup(ref)
            return self._memo[ref]
        return self._lookup(ref)

    def _lookup(self, ref: str, depth: int = 0) -> ModelInfo | None:
        if ref in self.models:
            return self.models[ref]
        if depth < 5 and "." in ref:  # re-exported: `epilepsy12.models.Case` from `from .models_folder import *`
            if ref in self.reexports:
                found = self._lookup(self.reexports[ref], depth + 1)
                if found:
                    return found
            module, name = ref.rsplit(".", 1)
            for target in self.stars.get(module, []):
                found = self._lookup(f"{target}.{name}", depth + 1)
                if found:
                    return found
            if depth:
                return None
        short = last_part(ref)
        candidates = self.by_name.get(short, [])
        suffix = [q for q in candidates if q.endswith("." + ref) or ref.endswith("." + q)]
        if len(suffix) == 1:
            return self.models[suffix[0]]
        if not suffix and ref.count(".") >= 2:  # re-exported by a package: `edc_model.models.BaseUuidModel`
            package = ref.rsplit(".", 1)[0] + "."
            inside = [q for q in candidates if q.startswith(package)]
            if len(inside) == 1:
                return self.models[inside[0]]
        app_label = ref.split(".")[-2] if ref.count(".") >= 1 else None
        if app_label:  # "clinic.Patient" as Django writes lazy references
            hits = [q for q in candidates if f".{app_label}." in f".{q}"]
            if len(hits) == 1:
                return self.models[hits[0]]
            if len(hits) > 1 and ref.count(".") == 1:  # the one the app's models module exports, as Django does
                exported = self._lookup(f"{app_label}.models.{short}", 1)
                if exported is not None:
                    return exported
        django_candidates = [q for q in candidates if q in self.django]
        return self.models[django_candidates[0]] if len(django_candidates) == 1 else None

    def is_django_model(self, ref: str | None) -> bool:
        m = self.lookup(ref)
        return m is not None and m.qualname in self.django

    def is_patient_model(self, ref: str | None) -> bool:
        m = self.lookup(ref)
        return m is not None and m.qualname in self.patient

    def audit_of(self, ref: str | None) -> str | None:
        m = self.lookup(ref)
        return self.audited.get(m.qualname) if m else None


def merge(per_file: dict[str, FileModels], vocab: Vocabulary) -> ModelIndex:
    idx = ModelIndex()
    for fm in per_file.values():
        for m in fm.models:
            idx.models[m.qualname] = m
            idx.by_name.setdefault(m.name, []).append(m.qualname)
        idx.reexports.update(dict(fm.reexports))
        for module, target in fm.stars:
            idx.stars.setdefault(module, []).append(target)
    for fm in per_file.values():
        for target, mech in fm.registered:
            found = idx.lookup(target)
            if found:
                idx.registered[found.qualname] = mech
        idx.audit_receivers += fm.audit_receivers
        idx.revision_middleware |= "revision-middleware" in fm.settings
        if "easyaudit" in fm.settings:
            idx.global_audit = "django-easy-audit (installed: CRUD events for every model)"
    for fm in per_file.values():  # `admin.site.register(Patient, VersionAdmin)`: reversion registers it
        for model, admin_cls, where in fm.admin_registrations:
            found = idx.lookup(model)
            if found and _is_version_admin(idx, admin_cls, set()):
                idx.registered.setdefault(found.qualname, f"reversion (VersionAdmin registration at {where})")
    _add_library_models(idx)
    for q in idx.models:
        if _is_django(idx, q, set()):
            idx.django.add(q)
    idx._memo = {}  # lookups depend on models, names and `django` only: all final from here on
    _explicit_audit(idx, per_file)
    triggers = {table: where for fm in per_file.values() for table, where in fm.triggers}
    for q in idx.django:
        mech = _audit(idx, q, vocab, set())
        table = idx.models[q].db_table or _default_table(q)
        if mech:
            idx.audited[q] = mech
        elif table in triggers:
            idx.audited[q] = f"database trigger on {table} ({triggers[table]})"
        elif idx.global_audit:
            idx.audited[q] = idx.global_audit
        elif idx.audit_receivers:  # a project-wide signal audit log sees every model's saves
            idx.audited[q] = SIGNAL_AUDIT
        elif idx.explicit_audit:
            idx.audited[q] = idx.explicit_audit
        else:
            unread = _unresolved_bases(idx, q, set())
            if unread:
                idx.unknown_audit[q] = unread[0]
    _classify_patient(idx, vocab)
    return idx


def _add_library_models(idx: ModelIndex) -> None:
    """Package models the project uses directly (`opal.models.Episode`), when the project uses that package
    (some base class comes from it) and defines no model of the same name."""
    used = {b.split(".")[0] for m in idx.models.values() for b in m.bases}
    for lib in concrete_models():
        name = last_part(lib.qualname)
        if lib.qualname.split(".")[0] in used and lib.qualname not in idx.models and name not in idx.by_name:
            idx.models[lib.qualname] = ModelInfo(name=name, qualname=lib.qualname, path=f"<{lib.qualname}>", line=0,
                                                 bases=[lib.qualname])
            idx.by_name.setdefault(name, []).append(lib.qualname)


def _default_table(q: str) -> str:
    """Django's default table name: `<app_label>_<model>`, the app being the module before `models`."""
    parts = q.lower().split(".")
    if "models" in parts[:-1]:
        i = len(parts) - 1 - parts[::-1].index("models")
        if i >= 1:
            return f"{parts[i - 1]}_{parts[-1]}"
    return f"{parts[-2]}_{parts[-1]}" if len(parts) >= 2 else parts[-1]


def _is_version_admin(idx: ModelIndex, ref: str, seen: set[str]) -> bool:
    lib = library_class(ref)
    if lib is not None:
        return lib.version_admin
    info = idx.lookup(ref)
    if info is None or info.qualname in seen:
        return False
    seen.add(info.qualname)
    return any(_is_version_admin(idx, b, seen) for b in info.bases)


def _unresolved_bases(idx: ModelIndex, q: str, seen: set[str]) -> list[str]:
    """Bases of `q` (and of its project bases) that wardgate cannot read: they may add an audit trail."""
    if q in seen:
        return []
    seen.add(q)
    out = []
    for b in idx.models[q].bases:
        found = idx.lookup(b)
        if found is not None:
            out += _unresolved_bases(idx, found.qualname, seen)
        elif library_class(b) is None and not neutral(b):
            out.append(b)
    return out


def _explicit_audit(idx: ModelIndex, per_file: dict[str, FileModels]) -> None:
    """An audit service the project calls explicitly: code that creates rows of an audit-log model
    (a project model with an audit name, e.g. `AuditLog.objects.create(...)` in `Auditor`), called from
    other code. Such a project audits per write, so WG201 defers to the write checks."""
    for fm in per_file.values():
        for owner, model in fm.audit_writers:
            if idx.lookup(model) is not None and idx.is_django_model(model):
                idx.audit_services.add(owner)
    if not idx.audit_services:
        return
    by_name = {last_part(s).lower(): s for s in idx.audit_services}
    for fm in per_file.values():
        for caller, callee in fm.audit_calls:
            if any(caller.startswith(s + ".") or caller == s for s in idx.audit_services):
                continue  # the service calling itself
            parts = callee.split(".")
            if any(callee == s or callee.startswith(s + ".") for s in idx.audit_services) or any(
                    p.lower() in by_name for p in parts[:-1]):
                idx.audit_callers.add(caller)
    if idx.audit_callers:
        services = ", ".join(sorted(last_part(s) for s in idx.audit_services)[:3])
        idx.explicit_audit = (f"explicit audit service ({services}, called from {len(idx.audit_callers)} places; "
                              "coverage depends on each write calling it)")


def _bases(idx: ModelIndex, q: str) -> list[ModelInfo]:
    return [b for b in (idx.lookup(ref) for ref in idx.models[q].bases) if b is not None and b.qualname != q]


def _is_django(idx: ModelIndex, q: str, seen: set[str]) -> bool:
    if q in seen:
        return False
    seen.add(q)
    m = idx.models[q]
    if any(matches(b, *_MODEL_BASES) or last_part(b) in {"Model", "TimeStampedModel", "PolymorphicModel"}
           or last_part(b) in _USER_BASES for b in m.bases):
        return True
    for b in m.bases:
        lib = library_class(b)
        if lib is not None and (lib.model or lib.audit or lib.patient or lib.concrete):
            return True
    # Django model fields on a class whose base wardgate cannot read (an installed package's model mixin).
    if any(f.qualname.startswith("django.db.models") for f in m.fields.values()) and any(
            idx.lookup(b) is None and not neutral(b) for b in m.bases):
        return True
    return any(_is_django(idx, b.qualname, seen) for b in _bases(idx, q))


def _audit(idx: ModelIndex, q: str, vocab: Vocabulary, seen: set[str]) -> str | None:
    own = not seen  # simple-history passes a base's HistoricalRecords on only with inherit=True
    if q in seen:
        return None
    seen.add(q)
    m = idx.models[q]
    if m.history_field and (own or m.history_inherit):
        return "simple-history" if own else f"simple-history (HistoricalRecords(inherit=True) on {m.name})"
    if q in idx.registered:
        return idx.registered[q]
    for d in m.decorators:
        if matches(d, *_AUDIT_REGISTER_CALLS):
            return _mechanism(d)
        if vocab.audit_decorators and matches(d, *vocab.audit_decorators):
            return f"decorator {last_part(d)}"
    for b in m.bases:
        if vocab.audit_base_classes and matches(b, *vocab.audit_base_classes):
            return f"base class {last_part(b)}"
        lib = library_class(b)
        if lib is not None and lib.audit:
            return lib.audit
    for b in _bases(idx, q):
        inherited = _audit(idx, b.qualname, vocab, seen)
        if inherited:
            return inherited
    return None


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _classify_patient(idx: ModelIndex, vocab: Vocabulary) -> None:
    explicit = {_norm(last_part(n)) for n in vocab.patient_models}
    excluded = {_norm(last_part(n)) for n in vocab.not_patient_models}
    words = vocab.patient_model_words()
    users = {q for q in idx.django if any(last_part(b) in _USER_BASES for b in idx.models[q].bases)}

    def own_signal(m: ModelInfo) -> bool:
        n = _norm(m.name)
        if n in explicit:
            return True
        if n.startswith("historical") or m.qualname in users or n.endswith(CATALOGUE_SUFFIXES + CREDENTIAL_SUFFIXES):
            return False
        if _STRONG_PHI & set(m.fields):
            return True
        return any(w in n for w in words) and not _reference_or_aggregate(m)

    def library_kind(m: ModelInfo, seen: set[str]) -> str | None:
        """"patient: why" / "reference" from a package base (checks/library_models.toml)."""
        for b in m.bases:
            lib = library_class(b)
            if lib is not None and lib.reference:
                return "reference"
            if lib is not None and lib.patient:
                return f"patient: {lib.patient}"
            found = idx.lookup(b)
            if found is not None and found.qualname not in seen:
                seen.add(found.qualname)
                kind = library_kind(found, seen)
                if kind:
                    return kind
        return None

    for q in idx.django:
        m = idx.models[q]
        if _norm(m.name) in excluded or m.abstract:
            continue
        kind = library_kind(m, {q})
        if kind == "reference":
            continue
        if _norm(m.name) in explicit:
            idx.patient_why[q] = "listed in [tool.wardgate.domain] patient_models"
        elif kind:
            idx.patient_why[q] = kind.removeprefix("patient: ")
        elif own_signal(m):
            phi = sorted(_STRONG_PHI & set(m.fields))
            idx.patient_why[q] = f"identifying fields {', '.join(phi)}" if phi else "a clinical model name"
        else:
            continue
        idx.patient.add(q)
    # A record that belongs to a patient-data record is patient data too (VitalSigns -> Encounter).
    for _ in range(3):
        added = False
        for q in idx.django - idx.patient:
            m = idx.models[q]
            if _norm(m.name) in excluded or m.abstract or q in users:
                continue
            for f in m.fields.values():
                if f.kind in _RELATION_FIELDS[:2] and idx.is_patient_model(f.target):
                    idx.patient.add(q)
                    idx.patient_why[q] = f"{f.name} links it to {last_part(f.target or '')}"
                    added = True
                    break
        if not added:
            break
    # Workflow and link rows are not clinical records, and an event or audit log is the trail itself (WG203
    # guards it), unless configured as patient models.
    for q in sorted(idx.patient):
        m = idx.models[q]
        if _norm(m.name) not in explicit and (_bookkeeping_only(m, idx, words) or is_log_model(m)):
            idx.patient.discard(q)
            idx.patient_why.pop(q, None)
            if is_log_model(m):
                idx.log_models.add(q)


_BOOKKEEPING_KINDS = frozenset({"DateField", "DateTimeField", "TimeField",
                                "AutoField", "BigAutoField", "SmallAutoField", "UUIDField", "DurationField",
                                "CreationDateTimeField", "ModificationDateTimeField", "AutoCreatedField",
                                "AutoLastModifiedField", "StatusField", "MonitorField"})
# Flags are clinical as often as not (`smoker`, `site_is_primary_centre`); only workflow flags are bookkeeping.
_BOOKKEEPING_NAMES = re.compile(r"^(status|state|stage|step(_name)?|kind|type|order|position|sequence|priority|"
                                r"(created|modified|updated)(_by|_at|_on)?|"
                                r"(is_)?(active|latest|current|deleted|archived|done|completed?|seen|read|processed|"
                                r"sent|synced|visible|checked_in|checked_out))$")


_GENERIC_REF = frozenset({"object_id", "object_pk", "content_type", "object_model", "object_repr", "content_object"})
_CHANGE_FIELDS = frozenset({"changes", "value", "snapshot", "diff", "old_value", "new_value", "action", "operation",
                            "change_type", "event_type", "changed_fields", "data"})


def is_log_model(m: ModelInfo) -> bool:
    """An event or audit log: rows point at any other row through a generic reference (`content_type` /
    `object_id`, `object_model`) and record what happened to it (a JSON value, an action, the changes)."""
    names = set(m.fields)
    return bool(names & _GENERIC_REF) and bool(
        names & _CHANGE_FIELDS or any(f.kind == "JSONField" for f in m.fields.values()))


def _bookkeeping_only(m: ModelInfo, idx: ModelIndex, words: tuple[str, ...]) -> bool:
    """A workflow or link row: besides relations it stores only timestamps, flags and enumerations
    (`StateChange(patient, station, state, time_in)`, `BedAsset(bed, asset, since)`), and it links no
    clinical concept (`PatientAllergy(patient, allergy)` does): it records that something happened to a
    patient, not clinical content. A row with any free value, or with no field of its own, is not."""
    own = [f for f in m.fields.values() if f.kind not in _RELATION_FIELDS]
    relations = [f for f in m.fields.values() if f.kind in _RELATION_FIELDS]
    if not relations or _STRONG_PHI & set(m.fields):
        return False
    others = 0  # relations to rows that are neither patient data nor clinical concepts (a bed's monitor)
    for f in relations:
        target = idx.lookup(f.target)
        name = _norm(last_part(f.target or ""))
        if target is not None and target.qualname in idx.patient:
            continue
        if any(w in name for w in words):
            return False  # a link to a clinical concept is clinical content
        others += 1
    if not own:  # a pure link row: only when it links the patient's record to something non-clinical
        return others > 0
    return all(f.kind in _BOOKKEEPING_KINDS or f.choices or _BOOKKEEPING_NAMES.match(f.name) for f in own)


_NATURAL_KEYS = frozenset({"name", "code", "label", "title", "slug", "display_name", "term"})
_COUNT = re.compile(r"^(num|count|total|number)_|_(count|total)$")


def _reference_or_aggregate(m: ModelInfo) -> bool:
    """A model named after a clinical thing that is really a lookup table or a statistic.

    Reference data: a unique natural key (`name`/`code`/`label`... `unique=True`, `icd11_code`) or a
    taxonomy (`parent = ForeignKey("self")`), and no relation to any other model but lookups of its
    own kind (`ICD11Diagnosis`, `PatientInvestigation(name=..., unique=True)`). Aggregates: every
    stored value is a count (`num_patients_visited`, `admissions_total`), as in daily statistics.
    """
    fields = list(m.fields.values())
    relations = [f for f in fields if f.kind in _RELATION_FIELDS]
    values = [f for f in fields if f.kind not in _RELATION_FIELDS and "Date" not in f.kind]
    one_to_x = [f for f in relations if f.kind in _RELATION_FIELDS[:2]]
    own_tree = [f for f in one_to_x if f.target in ("self", m.name, m.qualname)]
    if len(one_to_x) == len(own_tree) and (
            own_tree or any(f.unique and (f.name in _NATURAL_KEYS or f.name.endswith("_code")) for f in fields)):
        return True
    return bool(values) and all(_COUNT.search(f.name) and "Integer" in f.kind for f in values)


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()
