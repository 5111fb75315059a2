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
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..names import ImportMap, dotted, last_part, matches
from ..source import SourceFile
from ..vocabulary import Vocabulary
from ..walk import walk
from .audit_mechanisms import (
    admin_and_audit_calls,
    audit_decorators,
    audit_middleware,
    default_table,
    explicit_audit,
    is_version_admin,
    unresolved_bases,
)
from .django_code import is_write
from .libraries import concrete_models, library_class, neutral
from .module_loading import imported_names, unloaded_modules
from .patient_data import RELATION_FIELDS, USER_BASES, classify_patient
from .signals import SAVE_SIGNALS, global_signals

NAME = "django_models"

_MODEL_BASES = ("django.db.models.Model", "django.db.models.base.Model", "models.Model")
_AUDIT_REGISTER_CALLS = (
    "auditlog.registry.auditlog.register", "auditlog.register",
    "reversion.register", "reversion.revisions.register",
    "simple_history.register",
    "pghistory.track",
)
_SAVE_SIGNALS = ("django.db.models.signals.pre_save", "django.db.models.signals.post_save")
# The audit mechanism of a model whose save signal a project receiver records: it sees saves, not deletes.
SAVE_RECEIVER = "save-signal receiver"
SIGNAL_AUDIT = "signal-receiver"
# A lazy reference whose app label is a setting's value (`f"{settings.SUBJECT_APP_LABEL}.subjectvisit"`).
ANY_APP = "*."
# Model fields that hold a number a person types in (a measurement, a dose, an amount).
NUMERIC_FIELDS = frozenset({"DecimalField", "FloatField", "IntegerField", "PositiveIntegerField",
                            "PositiveSmallIntegerField", "SmallIntegerField", "BigIntegerField",
                            "PositiveBigIntegerField"})


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
    cascade: bool = False  # a relation with `on_delete=CASCADE`: deleting the target deletes this row
    detached: bool = False  # `on_delete=SET_NULL` (or SET_DEFAULT, SET(...)): the row outlives its target
    own_storage: bool = False  # a file field with its own `storage=` (a private bucket), not MEDIA_ROOT


@dataclass
class ModelInfo:
    name: str
    qualname: str
    path: str
    line: int
    bases: list[str]
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    abstract: bool = False
    # the per-model history declared on the class (`history = HistoricalRecords()`: "simple-history"), "" if none
    history_field: str = ""
    history_inherit: bool = False  # HistoricalRecords(inherit=True): subclasses get a history too
    decorators: list[str] = field(default_factory=list)
    db_table: str | None = None
    # `self.metadata_versions.create(creator=user, ...)` in a method that saves the row: (relation, method, editor key)
    version_writes: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class FileModels:
    models: list[ModelInfo] = field(default_factory=list)
    registered: list[tuple[str, str]] = field(default_factory=list)  # (model qualname, mechanism)
    audit_receivers: list[str] = field(default_factory=list)  # project-wide audit signal receivers
    admin_registrations: list[tuple[str, str, str]] = field(default_factory=list)  # (model, admin class, where)
    # admin classes' `inlines = [...]` and inline classes' `model = ...`: a VersionAdmin registers its inlines' models
    admin_inlines: list[tuple[str, list[str]]] = field(default_factory=list)  # (admin class, inline classes)
    inline_models: list[tuple[str, str]] = field(default_factory=list)  # (inline class, model)
    audit_writers: list[tuple[str, str]] = field(default_factory=list)  # (function or class, model it creates)
    audit_calls: list[tuple[str, str]] = field(default_factory=list)  # (calling function, audit-named callee)
    changing_scopes: list[str] = field(default_factory=list)  # functions (in files naming audit) that change rows
    triggers: list[tuple[str, str]] = field(default_factory=list)  # (table, where): CREATE TRIGGER in a migration
    settings: list[str] = field(default_factory=list)  # "easyaudit" installed, "revision-middleware" installed
    reexports: list[tuple[str, str]] = field(default_factory=list)  # (module.Name, where Name comes from)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (model ref, "request"|"batch"|"other")
    stars: list[tuple[str, str]] = field(default_factory=list)  # (module, module it star-imports)
    audit_decorators: list[tuple[str, str]] = field(default_factory=list)  # (decorator, model its wrapper creates)
    audit_middleware: list[tuple[str, str]] = field(default_factory=list)  # (middleware class, model its hooks create)
    decorator_uses: dict[str, int] = field(default_factory=dict)  # decorator qualname -> functions it wraps
    plain: list[str] = field(default_factory=list)  # classes with no base that cannot add an audit trail
    models_package: str = ""  # the module, when it is one of a `models` package (`clinic.models.visit`)
    # what it imports (every name in a `models` package; elsewhere only names of such packages' modules)
    imported: list[str] = field(default_factory=list)


def collect(src: SourceFile, imports: ImportMap, vocab: Vocabulary) -> FileModels | None:
    assert src.tree is not None
    out = FileModels()
    # A migration's classes are `Migration`s, never models (and there are hundreds of them).
    in_migration = src.looks_like_migration
    typing_only = _type_checking_classes(src.tree)
    for node in src.nodes:
        if isinstance(node, ast.ClassDef):
            if not in_migration and id(node) not in typing_only:
                out.models.append(_model_info(node, src, imports))
                if _plain_mixin(node):
                    out.plain.append(out.models[-1].qualname)
        elif isinstance(node, ast.Call):
            _audit_registration_or_receiver(node, imports, out)
        elif (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _global_save_receiver(node, imports)
              and _audit_named(imports.module, node.name)):
            out.audit_receivers.append(f"{imports.module}.{node.name}")
    admin_and_audit_calls(src, imports, out)
    if "sender" in src.text:
        _recording_receivers(src.tree, imports, out)
    role = write_role(src)
    if role:
        out.writes += [(ref, role) for ref in _created_or_updated(src, imports)]
    if src.is_package_init or imports.module.rsplit(".", 1)[-1] == "models":
        _reexports(src.tree, imports, out)
    out.settings += _audit_settings(src.tree)
    out.models = [m for m in out.models if m.bases]
    if ".models." in imports.module + "." and not in_migration and not src.looks_like_test:
        out.models_package, out.imported = imports.module, imported_names(src, imports)
    elif not src.looks_like_test:
        # `from clinic.models.visit import Visit`, or Python 2's implicit relative `from models.visit import Visit`
        out.imported = [n for n in imported_names(src, imports) if "models" in n.split(".")[:-1]]
    return out if _has_model_facts(out) else None


def _type_checking_classes(tree: ast.Module) -> set[int]:
    """Classes declared under `if TYPE_CHECKING:` at module level: shapes for type hints
    (`class RelatedVisitModel(VisitModelMixin, BaseUuidModel): pass`), never defined when the code runs."""
    out: set[int] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and (dotted(stmt.test) or "").rsplit(".", 1)[-1] == "TYPE_CHECKING":
            out.update(id(n) for n in walk(stmt) if isinstance(n, ast.ClassDef))
    return out


def _plain_mixin(node: ast.ClassDef) -> bool:
    """A class of no base (`class IndexableMixin:` adding a property): not a model, and with no `save()` or
    `delete()` of its own that writes anything but the row itself (`super().save()`, then a notification) it cannot
    record changes, so a model built on it is judged by its other bases."""
    return not node.bases and not node.keywords and not node.decorator_list and not any(
        isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name in ("save", "delete") and any(
            isinstance(n, ast.Call) and is_write(n) and not _super_call(n) for n in walk(st)) for st in node.body)


def _super_call(call: ast.Call) -> bool:
    """`super().save(...)`, `super(Mixin, self).delete()`: the row's own write, passed on."""
    f = call.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call) and isinstance(f.value.func, ast.Name) \
        and f.value.func.id == "super"


def _has_model_facts(out: FileModels) -> bool:
    """Whether the file adds anything to the model index (most files add nothing and are not kept)."""
    return bool(out.models or out.registered or out.audit_receivers or out.admin_registrations or out.admin_inlines
                or out.inline_models
                or out.audit_writers or out.audit_calls or out.triggers or out.settings or out.stars
                or out.reexports or out.writes or out.audit_decorators or out.audit_middleware or out.decorator_uses or out.plain
                or out.models_package or out.imported)


def _audit_registration_or_receiver(call: ast.Call, imports: ImportMap, out: FileModels) -> None:
    """`auditlog.register(Patient)` (and reversion's, pghistory's...), or an audit-named receiver connected
    to every model's save signal (`post_save.connect(audit_receiver)`, no sender)."""
    name = imports.qualname(call.func) or ""
    if matches(name, *_AUDIT_REGISTER_CALLS) and call.args:
        target = imports.qualname(call.args[0])
        if target:
            out.registered.append((target, _mechanism(name)))
    elif (isinstance(call.func, ast.Attribute) and call.func.attr == "connect" and call.args
          and matches(imports.qualname(call.func.value) or "", *_SAVE_SIGNALS)
          and not any(k.arg == "sender" for k in call.keywords)):
        fn = imports.qualname(call.args[0]) or ast.unparse(call.args[0])
        if _audit_named(imports.module, last_part(fn)):
            out.audit_receivers.append(fn)


def _recording_receivers(tree: ast.Module, imports: ImportMap, out: FileModels) -> None:
    """`pre_save.connect(log_changes, sender=Card)` (or `@receiver(post_save, sender=Card)`) where the receiver, a
    function of the same module, writes rows of another model (`slog.Log.log(...)`, `ChangeLog.objects.create(...)`):
    a trail of that model's saves kept by the project's own receiver."""
    functions = {f.name: f for f in tree.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
    pairs: list[tuple[str, ast.expr]] = []
    for node in walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
                and node.args and isinstance(node.args[0], ast.Name)
                and matches(imports.qualname(node.func.value) or "", *_SAVE_SIGNALS)):
            sender = next((k.value for k in node.keywords if k.arg == "sender"), None)
            if sender is not None:
                pairs.append((node.args[0].id, sender))
    for f in functions.values():
        for d in f.decorator_list:
            if isinstance(d, ast.Call) and last_part(imports.qualname(d.func) or "") == "receiver" and d.args \
                    and matches(imports.qualname(d.args[0]) or "", *_SAVE_SIGNALS):
                sender = next((k.value for k in d.keywords if k.arg == "sender"), None)
                if sender is not None:
                    pairs.append((f.name, sender))
    for name, sender in pairs:
        fn, model = functions.get(name), imports.qualname(sender)
        if fn is not None and model and _writes_other_rows(fn, last_part(model)):
            out.registered.append((model, f"{SAVE_RECEIVER} {name}() ({imports.module})"))


# A model that keeps a record of changes, by its name: `Log`, `ChangeLog`, `AuditTrail`, `FieldHistory`.
_RECORD_MODEL = re.compile(r"log|history|audit|trail|journal", re.IGNORECASE)


def _writes_other_rows(fn: ast.FunctionDef | ast.AsyncFunctionDef, sender: str) -> bool:
    """The function writes rows of a log model other than `sender`: `Log.objects.create(...)`, `slog.Log.log(...)`,
    `ChangeLog.objects.bulk_create(...)`. (A receiver creating the groups of a new study sets things up; it records
    nothing.)"""
    for n in walk(fn):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
            continue
        owner = dotted(n.func.value) or ""
        parts = owner.split(".")
        cls = parts[-2] if parts[-1] == "objects" and len(parts) > 1 else parts[-1]
        if cls[:1].isupper() and cls != sender and _RECORD_MODEL.search(cls) and n.func.attr in (
                "create", "bulk_create", "log", "record"):
            return True
    return False


def _reexports(tree: ast.Module, imports: ImportMap, out: FileModels) -> None:
    """Models a package `__init__` or `models.py` re-exports: `from .models_folder import *`, or by name."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            base = imports._absolute(stmt.module, stmt.level)
            for a in stmt.names:
                if a.name == "*":
                    out.stars.append((imports.module, base))
                elif base and a.name[:1].isupper():
                    out.reexports.append((f"{imports.module}.{a.asname or a.name}", f"{base}.{a.name}"))


def _audit_settings(tree: ast.Module) -> list[str]:
    """Settings that audit every model: django-easy-audit installed, reversion's RevisionMiddleware, django-auditlog's
    `AUDITLOG_INCLUDE_ALL_MODELS = True` (less the models or apps in `AUDITLOG_EXCLUDE_TRACKING_MODELS`)."""
    found = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            values = {n.value for n in walk(stmt.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            if "INSTALLED_APPS" in names and "easyaudit" in values:
                found.append("easyaudit")
            if names & {"MIDDLEWARE", "MIDDLEWARE_CLASSES"} and "reversion.middleware.RevisionMiddleware" in values:
                found.append("revision-middleware")
            if "AUDITLOG_INCLUDE_ALL_MODELS" in names and isinstance(stmt.value, ast.Constant) and stmt.value.value is True:
                found.append("auditlog-all")  # auditlog's register_from_settings() registers every model
            if "AUDITLOG_EXCLUDE_TRACKING_MODELS" in names:
                found += [f"auditlog-exclude:{v}" for v in sorted(values)]
    return found


def _audit_named(module: str, func: str) -> bool:
    """An audit log by name: `care.audit_log.receivers`, `def audit_post_save`, `AuditTrailReceiver`."""
    return any("audit" in part.lower() for part in (*module.split("."), func))


def _global_save_receiver(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> bool:
    """`@receiver(post_save)` / `@receiver([pre_save, post_save])` with no `sender`: sees every model."""
    return bool(global_signals(fn, imports) & SAVE_SIGNALS)


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
            _read_meta(stmt, info)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.version_writes += _version_writes(stmt)
        names, call = _called_attribute(stmt)
        if call is None:
            continue
        callee = imports.qualname(call.func) or ""
        lib = library_class(callee)
        for name in names:
            if lib is not None and lib.history_field:
                info.history_field = lib.history_field
            elif last_part(callee) == "HistoricalRecords":
                info.history_field = "simple-history"
                info.history_inherit = any(k.arg == "inherit" and isinstance(k.value, ast.Constant)
                                           and k.value.value is True for k in call.keywords)
            elif last_part(callee).endswith("Field") or last_part(callee) in RELATION_FIELDS:
                info.fields[name] = _field_info(name, callee, call, stmt, imports)
    return info


def _read_meta(meta: ast.ClassDef, info: ModelInfo) -> None:
    """`class Meta:` options wardgate uses: `abstract = True`, `db_table = "..."`."""
    for m in meta.body:
        if not (isinstance(m, ast.Assign) and isinstance(m.value, ast.Constant)):
            continue
        names = {t.id for t in m.targets if isinstance(t, ast.Name)}
        if "abstract" in names and m.value.value is True:
            info.abstract = True
        if "db_table" in names and isinstance(m.value.value, str):
            info.db_table = m.value.value.lower()


def _called_attribute(stmt: ast.stmt) -> tuple[list[str], ast.Call | None]:
    """`name = SomeField(...)` or `name: T = SomeField(...)` in a class body: the names and the call."""
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return [], None
    if not isinstance(value, ast.Call):
        return [], None
    return [t.id for t in targets if isinstance(t, ast.Name)], value


def _field_info(name: str, callee: str, call: ast.Call, stmt: ast.stmt, imports: ImportMap) -> FieldInfo:
    fi = FieldInfo(name=name, kind=last_part(callee), qualname=callee, line=stmt.lineno,
                   end_line=getattr(stmt, "end_lineno", stmt.lineno) or stmt.lineno)
    if fi.kind in RELATION_FIELDS:
        target = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "to"), None)
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            fi.target = target.value
        elif isinstance(target, ast.Call):  # `get_user_model()`; django-swappable-models' `get_model_name("app", "M")`
            args = [a.value for a in target.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if last_part(imports.qualname(target.func)) == "get_model_name" and len(args) == 2:
                fi.target = ".".join(args)  # the default model; a swapped one is a setting's value
            elif last_part(imports.qualname(target.func)) == "get_user_model":
                fi.target = "django.conf.settings.AUTH_USER_MODEL"
        elif isinstance(target, ast.JoinedStr):  # f"{settings.ADVERSE_EVENT_APP_LABEL}.aeinitial": the app is a setting
            tail = target.values[-1] if target.values else None
            if isinstance(tail, ast.Constant) and isinstance(tail.value, str) and tail.value.startswith(".") \
                    and tail.value[1:].isidentifier():
                fi.target = ANY_APP + tail.value[1:]
        elif target is not None:
            fi.target = imports.qualname(target)
    if fi.kind in RELATION_FIELDS[:2]:  # ForeignKey(to, on_delete) / OneToOneField
        on_delete = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords
                                                                  if k.arg == "on_delete"), None)
        fi.cascade = on_delete is not None and last_part(dotted(on_delete) or "") == "CASCADE"
        fi.detached = on_delete is not None and last_part(dotted(on_delete.func if isinstance(on_delete, ast.Call)
                                                                 else on_delete) or "") in ("SET_NULL", "SET_DEFAULT", "SET")
    for kw in call.keywords:
        fi.own_storage |= kw.arg == "storage"
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
    linked_patient: dict[str, str] = field(default_factory=dict)  # patient data only by a link: qualname -> target
    unknown_audit: dict[str, str] = field(default_factory=dict)  # qualname -> the base wardgate could not read
    # classes in a module of a `models` package that nothing imports: Django never loads them
    unloaded: dict[str, ModelInfo] = field(default_factory=dict)
    explicit_audit: str | None = None  # the project's explicit audit service, with evidence
    audit_services: set[str] = field(default_factory=set)  # functions/classes that write audit-log rows
    audit_callers: set[str] = field(default_factory=set)  # functions that call an audit service
    self_audited: dict[str, str] = field(default_factory=dict)  # model -> its own audit method, with evidence
    trail_models: set[str] = field(default_factory=set)  # the audit-log models audit services write
    # Decorators whose wrapper records the request in a log model (`@log_request` -> RequestLog),
    # with the model and how many functions they wrap: the project's per-view audit convention.
    audit_decorators: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Middleware classes whose request hooks write a row of an audit-log model (`AuditWrapper` -> Audit): each request
    # through them is recorded, once the class is installed in MIDDLEWARE.
    audit_middleware: dict[str, str] = field(default_factory=dict)
    global_audit: str | None = None  # a mechanism that sees every model (easy-audit)
    revision_middleware: bool = False
    log_models: set[str] = field(default_factory=set)  # event/audit logs that point at any row (not patient data)
    write_roles: dict[str, set[str]] = field(default_factory=dict)  # qualname -> where its rows are written
    reexports: dict[str, str] = field(default_factory=dict)
    stars: dict[str, list[str]] = field(default_factory=dict)
    plain: set[str] = field(default_factory=set)  # project classes of no base and no save()/delete()
    # Lookups are memoised once `merge` has classified every model (checks ask the same refs often).
    _memo: dict[str, ModelInfo | None] | None = field(default=None, repr=False, compare=False)
    _lowered: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)  # lower name -> qualnames

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
        if ref.startswith(ANY_APP):  # the app label is a setting's value: the one model of that name, if only one
            hits = self._by_lower_name().get(ref.removeprefix(ANY_APP).lower(), [])
            return self.models[hits[0]] if len(hits) == 1 else None
        short = last_part(ref)
        candidates = self.by_name.get(short, [])
        if not candidates and ref.count(".") == 1:  # a lazy "app_label.modelname": Django ignores the name's case
            app = ref.split(".")[0]
            hits = [q for q in self._by_lower_name().get(short.lower(), []) if f".{app}." in f".{q}"]
            return self.models[hits[0]] if len(hits) == 1 else None
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
        if "." in ref and neutral(ref):  # DRF's `Response` is not the project's `beacon.models.Response`
            return None
        django_candidates = [q for q in candidates if q in self.django]
        return self.models[django_candidates[0]] if len(django_candidates) == 1 else None

    def _by_lower_name(self) -> dict[str, list[str]]:
        if self._lowered is None:
            self._lowered = {}
            for model_name, qualnames in self.by_name.items():
                self._lowered.setdefault(model_name.lower(), []).extend(qualnames)
        return self._lowered

    def named(self, name: str) -> list[str]:
        """The models a variable's name spells, whatever their case and underscores (`lab_result` -> LabResult)."""
        return list(self._by_lower_name().get(name.lower().replace("_", ""), []))

    def is_django_model(self, ref: str | None) -> bool:
        m = self.lookup(ref)
        return m is not None and m.qualname in self.django

    def is_patient_model(self, ref: str | None) -> bool:
        m = self.lookup(ref)
        return m is not None and m.qualname in self.patient

    def spelled_patient_model(self, name: str) -> str | None:
        """The patient model a variable's name spells (`participant`, `lab_result` -> LabResult): the one Django
        model of that name, or the first of same-named variants that all hold patient data (swappable models)."""
        hits = sorted(q for q in self.named(name) if q in self.django)
        return hits[0] if hits and all(q in self.patient for q in hits) else None

    def declared_phi_properties(self, ref: str | None) -> set[str]:
        """Properties a package base of the model renders a person's identifying fields from (OPAL's
        `Demographics.name`), declared in checks/library_models.toml."""
        out: set[str] = set()
        todo: list[str] = [ref] if ref else []
        seen: set[str] = set()
        while todo and len(seen) < 32:
            cur = todo.pop()
            if cur in seen:
                continue
            seen.add(cur)
            lib = library_class(cur)
            out |= set(lib.phi_properties) if lib is not None else set()
            m = self.lookup(cur)
            todo += m.bases if m is not None else []
        return out

    def audit_of(self, ref: str | None) -> str | None:
        m = self.lookup(ref)
        return self.audited.get(m.qualname) if m else None

    def cascaded_patient_models(self, deleted: list[str], depth: int = 2) -> list[str]:
        """The patient models whose rows Django deletes with rows of `deleted` (qualnames or refs): their foreign key
        to one of them says `on_delete=CASCADE`, directly or through one more such link (deleting an uploaded lab
        report deletes the results parsed from it, and the profile those results hang off)."""
        reached = {info.qualname for info in map(self.lookup, deleted) if info is not None}
        frontier, out = set(reached), []
        for _ in range(depth):
            nxt = {q for q in self.django - reached if any(
                f.cascade and (t := self.lookup(f.target)) is not None and t.qualname in frontier
                for f in self.models[q].fields.values())}
            reached |= nxt
            out += sorted(q for q in nxt if q in self.patient)
            frontier = nxt
        return out

    def reverse_relation(self, ref: str | None, name: str) -> ModelInfo | None:
        """The model whose relation `name` follows backwards from `ref` in a lookup
        (`Call.objects.filter(ambulancecall__ambulance=...)`: `AmbulanceCall`, through `AmbulanceCall.call`, by its
        default query name, the lowercased model name, or by its `related_name`)."""
        target = self.lookup(ref)
        if target is None:
            return None
        for m in self.models.values():
            for f in m.fields.values():
                if f.target and (f.related_name == name or (f.related_name is None and m.name.lower() == name)):
                    found = self.lookup(f.target)
                    if found is not None and found.qualname == target.qualname:
                        return m
        return None

    def find_field(self, ref: str | None, name: str) -> FieldInfo | None:
        """The model's field `name`, declared on it or on a base model the project defines."""
        return next((m.fields[name] for m in self.with_bases(ref) if name in m.fields), None)

    def with_bases(self, ref: str | None) -> Iterator[ModelInfo]:
        """The model, then the base models the project defines, each once (the order field lookups follow)."""
        todo, seen = [self.lookup(ref)], set()
        while todo:
            m = todo.pop()
            if m is None or m.qualname in seen:
                continue
            seen.add(m.qualname)
            yield m
            todo += [self.lookup(b) for b in m.bases]


def merge(per_file: dict[str, FileModels], vocab: Vocabulary) -> ModelIndex:
    idx = ModelIndex()
    unloaded = unloaded_modules("models", {fm.models_package: fm.imported for fm in per_file.values()
                                           if fm.models_package},
                                (n for fm in per_file.values() if not fm.models_package for n in fm.imported))
    for fm in per_file.values():
        for m in fm.models:
            if m.qualname.rsplit(".", 1)[0] in unloaded:  # Django never defines it: nothing to judge
                idx.unloaded[m.qualname] = m
                continue
            idx.models[m.qualname] = m
            idx.by_name.setdefault(m.name, []).append(m.qualname)
        idx.reexports.update(dict(fm.reexports))
        for module, target in fm.stars:
            idx.stars.setdefault(module, []).append(target)
        idx.plain.update(fm.plain)
    excluded: list[str] = []  # AUDITLOG_EXCLUDE_TRACKING_MODELS
    for fm in per_file.values():
        for target, registered_by in fm.registered:
            found = idx.lookup(target)
            if found:
                idx.registered[found.qualname] = registered_by
        idx.audit_receivers += fm.audit_receivers
        idx.revision_middleware |= "revision-middleware" in fm.settings
        if "easyaudit" in fm.settings:
            idx.global_audit = "django-easy-audit (installed: CRUD events for every model)"
        if "auditlog-all" in fm.settings:
            idx.global_audit = "django-auditlog (AUDITLOG_INCLUDE_ALL_MODELS: every model registered)"
        excluded += [e.removeprefix("auditlog-exclude:") for e in fm.settings if e.startswith("auditlog-exclude:")]
    inlines = {admin: refs for fm in per_file.values() for admin, refs in fm.admin_inlines}
    inline_model_refs = {inline: model for fm in per_file.values() for inline, model in fm.inline_models}
    for fm in per_file.values():  # `admin.site.register(Patient, VersionAdmin)`: reversion registers it
        for model, admin_cls, where in fm.admin_registrations:
            found = idx.lookup(model)
            if found and is_version_admin(idx, admin_cls, set()):
                idx.registered.setdefault(found.qualname, f"reversion (VersionAdmin registration at {where})")
                for inline in inlines.get(admin_cls, []):  # reversion's VersionAdmin registers its inlines' models
                    inline_model = idx.lookup(inline_model_refs.get(inline, ""))
                    if inline_model is not None:
                        idx.registered.setdefault(inline_model.qualname, f"reversion (inline of the VersionAdmin "
                                                  f"registration at {where})")
    _add_library_models(idx)
    for fm in per_file.values():
        for ref, role in fm.writes:
            found = idx.lookup(ref)
            if found is not None:
                idx.write_roles.setdefault(found.qualname, set()).add(role)
    for q in idx.models:
        if _is_django(idx, q, set()):
            idx.django.add(q)
    idx._memo = {}  # lookups depend on models, names and `django` only: all final from here on
    _resolve_field_classes(idx)
    explicit_audit(idx, per_file)
    triggers = {table: where for fm in per_file.values() for table, where in fm.triggers}
    for q in idx.django:
        mech = _audit(idx, q, vocab, set())
        table = idx.models[q].db_table or default_table(q)
        if mech:
            idx.audited[q] = mech
        elif table in triggers:
            idx.audited[q] = f"database trigger on {table} ({triggers[table]})"
        elif idx.global_audit and not _excluded_from_auditlog(q, excluded):
            idx.audited[q] = idx.global_audit
        elif idx.audit_receivers:  # a project-wide signal audit log sees every model's saves
            idx.audited[q] = SIGNAL_AUDIT
        elif q in idx.self_audited:
            idx.audited[q] = idx.self_audited[q]
        elif versioned := _version_chain(idx.models[q]) or _version_rows(idx, idx.models[q]):
            idx.audited[q] = f"{VERSIONED_ROWS}: {versioned}"
        elif idx.explicit_audit:
            idx.audited[q] = idx.explicit_audit
        else:
            unread = unresolved_bases(idx, q, set())
            if unread:
                idx.unknown_audit[q] = unread[0]
    classify_patient(idx, vocab)
    audit_decorators(idx, per_file)  # needs the patient models: a log of requests is not patient data
    audit_middleware(idx, per_file)
    return idx


def _resolve_field_classes(idx: ModelIndex) -> None:
    """A field declared with a project or package subclass of a Django field (`class MeasurementField(FloatField)`)
    stores what that Django field stores: it gets the Django field's kind (its `qualname` keeps the class used)."""
    for q in idx.django:
        for fi in idx.models[q].fields.values():
            if not fi.qualname.startswith("django."):
                fi.kind = _stored_kind(idx, fi.qualname, 0) or fi.kind


def _stored_kind(idx: ModelIndex, ref: str, depth: int) -> str | None:
    """The Django field class `ref` derives from, through project classes and declared package bases; None
    when the chain cannot be followed to Django."""
    if ref.startswith(("django.db.models.", "django.contrib.postgres.fields.")):
        return last_part(ref)
    if depth > 5:
        return None
    found = idx.lookup(ref)
    if found is not None and found.qualname not in idx.django:
        bases: list[str] = found.bases
    else:
        lib = library_class(ref)
        bases = list(lib.bases) if lib is not None else []
    return next((k for k in (_stored_kind(idx, b, depth + 1) for b in bases) if k), None)


def _excluded_from_auditlog(q: str, excluded: list[str]) -> bool:
    """`AUDITLOG_EXCLUDE_TRACKING_MODELS = ("app", "app.Model")`: a whole app or one model."""
    parts = q.split(".")
    app, model = (parts[-3] if len(parts) >= 3 else parts[0]), parts[-1]
    return any(e.lower() in (app.lower(), f"{app}.{model}".lower()) for e in excluded)


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


def _bases(idx: ModelIndex, q: str) -> list[ModelInfo]:
    return [b for b in (idx.lookup(ref) for ref in idx.models[q].bases) if b is not None and b.qualname != q]


def _is_django(idx: ModelIndex, q: str, seen: set[str]) -> bool:
    if q in seen:
        return False
    seen.add(q)
    m = idx.models[q]
    if any(matches(b, *_MODEL_BASES) or last_part(b) in {"Model", "TimeStampedModel", "PolymorphicModel"}
           or last_part(b) in USER_BASES for b in m.bases):
        return True
    for b in m.bases:
        lib = library_class(b)
        if lib is not None and (lib.model or lib.audit or lib.patient or lib.concrete):
            return True
    # Django model fields on a class whose base wardgate cannot read (an installed package's model mixin).
    if any(f.qualname.startswith("django.db.models") for f in m.fields.values()) and any(
            idx.lookup(b) is None and not neutral(b) and b not in idx.plain for b in m.bases):
        return True
    return any(_is_django(idx, b.qualname, seen) for b in _bases(idx, q))


VERSIONED_ROWS = "versioned rows"  # the model's own history, not a mechanism the project applies to other models
# A link from a row to the row it replaced: each change is saved as a new version (`previous = ForeignKey("self")`).
_VERSION_LINKS = frozenset({"previous", "previous_version", "prior", "prior_version", "supersedes", "replaces"})


# Who made a change, as a version row names them.
_EDITOR_KEYS = frozenset({"creator", "created_by", "user", "author", "editor", "changed_by", "modified_by",
                          "updated_by", "actor"})


def _version_writes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, str, str]]:
    """(relation, method, editor key) for a method that saves its own row (`self.save()`) and writes a row of a
    related model naming who did it (`self.metadata_versions.create(creator=user, metadata=...)`)."""
    nodes = walk(fn)
    saves = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "save"
                and isinstance(n.func.value, ast.Name) and n.func.value.id == "self" for n in nodes)
    if not saves:
        return []
    out = []
    for n in nodes:
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "create" \
                and isinstance(n.func.value, ast.Attribute) and isinstance(n.func.value.value, ast.Name) \
                and n.func.value.value.id == "self":
            editor = next((k.arg for k in n.keywords if k.arg in _EDITOR_KEYS), None)
            if editor:
                out.append((n.func.value.attr, fn.name, editor))
    return out


def _version_rows(idx: ModelIndex, m: ModelInfo) -> str:
    """The model's own methods record each change as a row of a related model that names the editor
    (`Accession.update_metadata()` writes `MetadataVersion(creator=user, metadata=...)`), "" if none does. Those
    rows are the trail (WG203 guards it), not patient records of their own."""
    for rel, method, editor in m.version_writes:
        v = idx.reverse_relation(m.qualname, rel)
        if v is not None and v.qualname in idx.django and editor in v.fields:
            idx.trail_models.add(v.qualname)
            return f"{m.name}.{method}() records each change as a {v.name} row naming its {editor}"
    return ""


def _version_chain(m: ModelInfo) -> str:
    """`previous = ForeignKey("self")`: the model keeps its history as a chain of rows, each version linked to the one
    it replaced (an update is a new row), "" if it has no such link."""
    for f in m.fields.values():
        if f.name in _VERSION_LINKS and f.kind in ("ForeignKey", "OneToOneField") and f.target in ("self", m.qualname,
                                                                                                  m.name):
            return f"{m.name}.{f.name} links each row to the version it replaced"
    return ""


def _audit(idx: ModelIndex, q: str, vocab: Vocabulary, seen: set[str]) -> str | None:
    own = not seen  # simple-history passes a base's HistoricalRecords on only with inherit=True
    if q in seen:
        return None
    seen.add(q)
    m = idx.models[q]
    if m.history_field and (own or m.history_inherit):
        return m.history_field if own else f"{m.history_field} (HistoricalRecords(inherit=True) on {m.name})"
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
    for base in _bases(idx, q):
        inherited = _audit(idx, base.qualname, vocab, seen)
        if inherited:
            return inherited
    return None


class _Collector:
    name = NAME
    collect = staticmethod(collect)
    merge = staticmethod(merge)


COLLECTOR = _Collector()


_REQUEST_PARTS = frozenset({"views", "forms", "serializers", "api", "viewsets", "admin", "urls", "endpoints",
                            "schema", "graphql", "mutations"})
_BATCH_MODULES = frozenset({"loader", "loaders", "load", "tasks", "jobs", "cron", "etl", "importer", "importers",
                            "sync", "synchronise", "synchronize"})


def write_role(src: SourceFile) -> str | None:
    """Where a module runs: "request" (views, forms, serializers, admin), "batch" (management commands,
    loaders, scheduled tasks), "other"; None for modules whose writes say nothing (models, tests,
    migrations)."""
    parts = src.module.split(".")
    last = parts[-1] if parts else ""
    if src.looks_like_test or src.looks_like_migration or last == "models" or "models" in parts[:-1]:
        return None
    if set(parts) & _REQUEST_PARTS or last.endswith(("_views", "_api", "_forms", "_admin")):
        return "request"
    if "/management/commands/" in f"/{src.path}" or last in _BATCH_MODULES or last.startswith(
            ("load_", "sync_", "import_", "fetch_", "update_")):
        return "batch"
    return "other"


_WRITE_CALLS = frozenset({"create", "bulk_create", "get_or_create", "update_or_create", "update", "bulk_update"})


def _created_or_updated(src: SourceFile, imports: ImportMap) -> set[str]:
    """Models whose rows this module writes: `X.objects.create(...)`, `X.objects.filter(...).update(...)`, `X(...)`."""
    out: set[str] = set()
    for n in src.nodes:
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        if isinstance(f, ast.Attribute) and f.attr in _WRITE_CALLS:
            base = f.value
            while isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute):
                base = base.func.value
            if isinstance(base, ast.Attribute) and base.attr in ("objects", "_default_manager"):
                ref = imports.qualname(base.value)
                if ref:
                    out.add(ref)
        elif isinstance(f, (ast.Name, ast.Attribute)):
            ref = imports.qualname(f)
            if ref and last_part(ref)[:1].isupper():
                out.add(ref)
    return out
