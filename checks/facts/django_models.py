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

from ..names import ImportMap, last_part, matches
from ..source import SourceFile
from ..vocabulary import CATALOGUE_SUFFIXES, CREDENTIAL_SUFFIXES, Vocabulary

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
    decorators: list[str] = field(default_factory=list)


@dataclass
class FileModels:
    models: list[ModelInfo] = field(default_factory=list)
    registered: list[tuple[str, str]] = field(default_factory=list)  # (model qualname, mechanism)
    audit_receivers: list[str] = field(default_factory=list)  # project-wide audit signal receivers


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
    out.models = [m for m in out.models if m.bases]
    return out if (out.models or out.registered or out.audit_receivers) else None


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
    audited: dict[str, str] = field(default_factory=dict)  # qualname -> mechanism
    django: set[str] = field(default_factory=set)  # qualnames that are Django models
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

    def _lookup(self, ref: str) -> ModelInfo | None:
        if ref in self.models:
            return self.models[ref]
        short = last_part(ref)
        candidates = self.by_name.get(short, [])
        suffix = [q for q in candidates if q.endswith("." + ref) or ref.endswith("." + q)]
        if len(suffix) == 1:
            return self.models[suffix[0]]
        app_label = ref.split(".")[-2] if ref.count(".") >= 1 else None
        if app_label:  # "clinic.Patient" as Django writes lazy references
            hits = [q for q in candidates if f".{app_label}." in f".{q}"]
            if len(hits) == 1:
                return self.models[hits[0]]
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
    for fm in per_file.values():
        for target, mech in fm.registered:
            found = idx.lookup(target)
            if found:
                idx.registered[found.qualname] = mech
        idx.audit_receivers += fm.audit_receivers
    for q in idx.models:
        if _is_django(idx, q, set()):
            idx.django.add(q)
    idx._memo = {}  # lookups depend on models, names and `django` only: all final from here on
    for q in idx.django:
        mech = _audit(idx, q, vocab, set())
        if mech:
            idx.audited[q] = mech
        elif idx.audit_receivers:  # a project-wide signal audit log sees every model's saves
            idx.audited[q] = SIGNAL_AUDIT
    _classify_patient(idx, vocab)
    return idx


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
    return any(_is_django(idx, b.qualname, seen) for b in _bases(idx, q))


def _audit(idx: ModelIndex, q: str, vocab: Vocabulary, seen: set[str]) -> str | None:
    if q in seen:
        return None
    seen.add(q)
    m = idx.models[q]
    if m.history_field:
        return "simple-history"
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

    for q in idx.django:
        m = idx.models[q]
        if _norm(m.name) not in excluded and not m.abstract and own_signal(m):
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
                    added = True
                    break
        if not added:
            break


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
