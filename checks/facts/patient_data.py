"""Which models hold patient data, and why.

A model holds patient data when its name is clinical, it has identifying fields, it belongs to a
patient-data record through a foreign key, it derives from a package's patient model (OPAL subrecords),
or config says so. Reference data, statistics, credentials, event logs, workflow and link rows do not.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from ..names import last_part
from ..vocabulary import BIRTH_DATES, CATALOGUE_SUFFIXES, CREDENTIAL_SUFFIXES, NATIONAL_IDS, Vocabulary
from .libraries import library_class

if TYPE_CHECKING:
    from ..index import ProjectIndex
    from .django_models import FieldInfo, ModelIndex, ModelInfo

USER_BASES = ("AbstractUser", "AbstractBaseUser", "PermissionsMixin")
RELATION_FIELDS = ("ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey")
# Identifying fields strong enough to make a model patient data on their own.
STRONG_PHI = frozenset({
    "date_of_birth", "dob", "birth_date", "birthdate", "ssn", "social_security_number", "mrn",
    "medical_record_number", "national_id", "nhs_number", "insurance_number", "health_id",
    "abha_number", "aadhar", "aadhaar", "diagnosis", "diagnosis_code", "clinical_notes",
    "health_record", "medical_record", "medical_history",
    *BIRTH_DATES, *NATIONAL_IDS,
})


def _norm(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


_STRONG_NORM = frozenset(_norm(f) for f in STRONG_PHI)  # `dateofbirth` is `date_of_birth`
_SEX = frozenset({"sex", "gender", "sexo", "genero", "sexe", "geschlecht", "sesso"})
# Model names that are people (`Individual`, `StudyParticipant`): on them a bare `name` is a person's name.
PERSON_NOUN = re.compile(r"(patient|person|participant|subject|client|resident|mother|child|infant|member|individual|"
                         r"paciente|persona|pessoa|personne|participante|beneficiario|"
                         r"proband|donor)s?$", re.IGNORECASE)
# Model names that are staff (`Doctor`, `ReferringClinician`): a directory of practitioners, not patients.
STAFF_NOUN = re.compile(r"(doctor|clinician|physician|practitioner|nurse|staff|surgeon|therapist|pharmacist|"
                        r"medico|profesional|profissional|enfermero|enfermera|enfermeiro|funcionario|"
                        r"employee|gp)s?$", re.IGNORECASE)
# Fields that name a person only on a person's record: a term's, sample's or ward's `name` is its label.
ROW_LABELS = frozenset({"name", "title", "label", "nombre", "nome", "nom"})
_AGE = re.compile(r"^(age|ageinyears|ageyears|birthyear|yearofbirth)$")


_BIRTH_DATE = frozenset({"dob", "dateofbirth", "birthdate", *(_norm(f) for f in BIRTH_DATES)})


# A field named for whose value it is (`patient_name`, DICOM's `PatientName`, `PatientBirthDate`): the person's noun,
# then a name or an identifying attribute.
_PERSON_PREFIX = re.compile(r"^(patient|participant|subject|proband|donor|mother|child|infant)")
_NAME_NORM = frozenset({"name", "fullname", "firstname", "lastname", "givenname", "familyname", "surname"})
# The person's own identifier on a model named as a person (`Participant.patient_id`, unique): the row is the person.
_OWN_ID = re.compile(r"^(patient|participant|subject|proband|donor)(id|identifier|number|no|code)$")
# A model named for a clinical or study person only (`Participant`, `StudyPatient`; not a chat's `Member`): a unique
# identifier of any spelling (`heartsteps_id`, primary key) with an age or birth year is one person's record.
_RECORD_PERSON = re.compile(r"(patient|participant|proband|paciente|participante)s?$", re.IGNORECASE)
_ANY_ID = re.compile(r"(id|identifier|number|no|code)$")


def _identifying(field: str) -> bool:
    n = _norm(field)
    if n in _STRONG_NORM:
        return True
    prefix = _PERSON_PREFIX.match(n)
    rest = n[prefix.end():] if prefix else ""
    return bool(rest) and (rest in _STRONG_NORM or rest in _NAME_NORM)


def _strong_fields(m: ModelInfo, users: set[str]) -> list[str]:
    """Identifying fields; a birth date alone does not make an account's profile (one-to-one with the user
    model: `Profile(user, department, dob)`) a patient record: staff have birthdays too. On a model named as a
    person, its own unique identifier (`Participant.patient_id`) identifies it too (pseudonymous, still personal)."""
    strong = sorted(f for f in m.fields if _identifying(f))
    if PERSON_NOUN.search(m.name) and not STAFF_NOUN.search(m.name):
        strong += sorted(n for n, f in m.fields.items() if f.unique and f.kind not in RELATION_FIELDS
                         and _OWN_ID.match(_norm(n)) and n not in strong)
    if _RECORD_PERSON.search(m.name) and not strong and any(_AGE.match(_norm(n)) for n in m.fields):
        strong += sorted(n for n, f in m.fields.items() if f.unique and f.kind not in RELATION_FIELDS
                         and _ANY_ID.search(_norm(n)))
    return [f for f in strong if _norm(f) not in _BIRTH_DATE] if _account_profile(m, users) else strong


def _account_profile(m: ModelInfo, users: set[str]) -> bool:
    return any(f.kind == "OneToOneField" and ((f.target or "").rsplit(".", 1)[-1] in ("User", "AUTH_USER_MODEL")
                                             or f.target in users) for f in m.fields.values())


def _person_fields(m: ModelInfo, phi_names: frozenset[str], users: set[str]) -> list[str]:
    """A person's demographics: a sex or gender field with a name, a contact or an age (`Individual(sex,
    display_name)`, `SelfSwabRegistration(first_name, gender, age)`); a bare `name` only on a model named as a
    person. Empty for an account's profile (one-to-one with the user model): staff are people too, but not
    patients; and for a model with a `slug`, which names a kind of thing (`Event(name, slug, gender)`: an event
    type specific to one sex), not a person."""
    sex = sorted(_SEX & set(m.fields))
    if not sex or "slug" in m.fields or _account_profile(m, users):
        return []
    other = sorted(f for f in m.fields if f in phi_names or _AGE.match(_norm(f)))
    if set(other) <= ROW_LABELS and not PERSON_NOUN.search(m.name):  # `Hpo(name, sex)`: a term for one sex
        return []
    return sex + other[:2] if other else []


_MAX_ANCESTORS = 64


def with_inherited_fields(idx: ModelIndex, m: ModelInfo) -> ModelInfo:
    """The model with the fields of its abstract ancestors that it does not override: Django copies an
    abstract model's fields into every subclass (`Participant(BaseParticipant)` holds BaseParticipant's
    `birthdate`). A concrete parent's fields stay in the parent's table (multi-table inheritance): not copied."""
    inherited: dict[str, FieldInfo] = {}
    todo, seen = list(m.bases), {m.qualname}
    # A bound on the ancestors read, not on depth: an EDC consent model has a dozen field mixins, each with bases.
    while todo and len(seen) < _MAX_ANCESTORS:
        base = idx.lookup(todo.pop(0))
        if base is None or base.qualname in seen or not base.abstract:
            continue
        seen.add(base.qualname)
        for name, f in base.fields.items():
            inherited.setdefault(name, f)
        todo += base.bases
    return replace(m, fields={**inherited, **m.fields}) if inherited.keys() - m.fields.keys() else m


# How `patient_why` begins for a model that is a person's record by its own fields or by config (not by its name
# alone, nor by a link to another record), and for one that is patient data by its clinical name.
OWN_RECORD_WHY = ("identifying fields", "a person's demographics", "listed in")
CLINICAL_NAME_WHY = "a clinical model name"


def classify_patient(idx: ModelIndex, vocab: Vocabulary) -> None:
    explicit = {_norm(last_part(n)) for n in vocab.patient_models}
    excluded = {_norm(last_part(n)) for n in vocab.not_patient_models}
    words = vocab.patient_model_words()
    users = {q for q in idx.django if any(last_part(b) in USER_BASES for b in idx.models[q].bases)}
    phi_names = vocab.phi_field_names()
    full = {q: with_inherited_fields(idx, idx.models[q]) for q in idx.django}

    def own_signal(m: ModelInfo) -> bool:
        n = _norm(m.name)
        if n in explicit:
            return True
        if n.startswith("historical") or m.qualname in users or n.endswith(CATALOGUE_SUFFIXES + CREDENTIAL_SUFFIXES):
            return False
        if STAFF_NOUN.search(m.name) and not any(w in n for w in words):
            return False  # a practitioner's demographics are no patient's
        strong = _strong_fields(m, users)
        if strong and _terminology(m, strong):
            return False
        if strong or _person_fields(m, phi_names, users):
            return True
        return any(w in n for w in words) and not _reference_or_aggregate(m)

    def library_kind(m: ModelInfo, seen: set[str]) -> str | None:
        """"patient: why" / "reference" from a package base (checks/library_models.toml). A reference base wins
        whatever the order: a QA-report table keyed by subject identifier is derived rows, not a record."""
        kinds: list[str] = []
        for b in m.bases:
            found = idx.lookup(b)
            # declarations stand in for a package wardgate cannot read; the package's own tree is read instead
            # (the package itself, not a declared package model nor a project class of the same name)
            in_tree = found is not None and not found.path.startswith("<") \
                and found.qualname.split(".")[0] == b.split(".")[0]
            lib = None if in_tree else library_class(b)
            if lib is not None and lib.reference:
                return "reference"
            if lib is not None and lib.patient:
                kinds.append(f"patient: {lib.patient}")
            if lib is not None and lib.link:
                kinds.append(f"link: {lib.link}")
            if found is not None and found.qualname not in seen:
                seen.add(found.qualname)
                kind = library_kind(found, seen)
                if kind == "reference":
                    return kind
                if kind:
                    kinds.append(kind)
        # a record of its own beats a row that only names whose it is
        return next((k for k in kinds if k.startswith("patient: ")), kinds[0] if kinds else None)

    for q in idx.django:
        m = full[q]
        if _norm(m.name) in excluded or m.abstract:
            continue
        kind = library_kind(m, {q})
        if kind == "reference":
            continue
        link = kind.removeprefix("link: ") if kind and kind.startswith("link: ") else None
        if _norm(m.name) in explicit:
            idx.patient_why[q] = "listed in [tool.wardgate.domain] patient_models"
        elif kind and not link:
            idx.patient_why[q] = kind.removeprefix("patient: ")
        elif link and not own_signal(m):
            # a row that names a participant by identifier (EDC's subject_identifier): patient data by that link,
            # like a foreign key to the participant's record
            idx.patient_why[q] = f"its identifier links it to {last_part(link)}"
            idx.linked_patient[q] = link
        elif own_signal(m):
            phi, person = _strong_fields(m, users), _person_fields(m, phi_names, users)
            idx.patient_why[q] = f"identifying fields {', '.join(phi)}" if phi else \
                f"a person's demographics ({', '.join(person)})" if person else CLINICAL_NAME_WHY
        else:
            continue
        idx.patient.add(q)
    # A record that belongs to a patient-data record is patient data too (VitalSigns -> Encounter), up to four
    # links away; each pass reads the previous one's result, so the depth does not depend on the order of a set
    # (it did: a pass over a set could chain any number of links, differently from run to run).
    for _ in range(4):
        added = False
        reached = set(idx.patient)
        for q in sorted(idx.django - idx.patient):
            m = full[q]
            if _norm(m.name) in excluded or m.abstract or q in users:
                continue
            for f in m.fields.values():
                target = idx.lookup(f.target) if f.kind in RELATION_FIELDS[:2] else None
                # A row that outlives a linked record (`on_delete=SET_NULL`) only points at it: a hospital's optional
                # surrogate patient card makes neither the hospital nor its staff patient data.
                if target is not None and target.qualname in reached and not (
                        f.detached and target.qualname in idx.linked_patient):
                    idx.patient.add(q)
                    idx.patient_why[q] = f"{f.name} links it to {last_part(f.target or '')}"
                    idx.linked_patient[q] = target.qualname
                    added = True
                    break
        if not added:
            break
    # Workflow and link rows are not clinical records, and an event or audit log is the trail itself (WG203
    # guards it), unless configured as patient models.
    for q in sorted(idx.patient):
        m = full.get(q, idx.models[q])
        log = is_log_model(m) or q in idx.trail_models  # the rows an audit service writes are the trail
        if _norm(m.name) not in explicit and (_bookkeeping_only(m, idx, words) or log):
            idx.patient.discard(q)
            idx.patient_why.pop(q, None)
            idx.linked_patient.pop(q, None)
            if log:
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


# Models named as a record of who did what: an audit, access, activity, change or event log, a log entry (not an
# `AuditTeam` of a data-quality audit).
_LOG_NAME = re.compile(r"audit_?(log|trail|entry|record|event|history)|audit$|access_?(log|history)|activity_?log|"
                       r"change_?log|event_?log|log_?entry|request_?log", re.IGNORECASE)


def is_audit_log(q: str, models: ModelIndex) -> bool:
    """An audit-log model: one the project's audit services or change-recording methods write, a log that points at
    any row, or a model named as one (`AuditLog`, `EventLog`, `DatasetAccessHistory`, `...LogEntry`)."""
    return q in models.trail_models or q in models.log_models or bool(_LOG_NAME.search(last_part(q)))


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
    patient, not clinical content. A row with any free value, or with no field of its own, is not; nor is one
    named for a clinical record other than the patient itself (`LabResult(test, patient, overall_status)`: its
    enumerations are the clinical content), nor a person whose details live one-to-one in another table."""
    own = [f for f in m.fields.values() if f.kind not in RELATION_FIELDS]
    relations = [f for f in m.fields.values() if f.kind in RELATION_FIELDS]
    if not relations or STRONG_PHI & set(m.fields) or any(w in _norm(m.name) for w in words if w != "patient"):
        return False
    if PERSON_NOUN.search(m.name) and not STAFF_NOUN.search(m.name) and any(
            f.kind == "OneToOneField" and (t := idx.lookup(f.target)) is not None and t.qualname in idx.patient
            for f in relations):
        return False  # the person, their details kept one-to-one apart (`Participant.data -> ParticipantData`)
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


_FLAG_KINDS = frozenset({"BooleanField", "NullBooleanField"})
_NATURAL_KEYS = frozenset({"name", "code", "label", "title", "slug", "display_name", "term"})
_COUNT = re.compile(r"^(num|count|total|number)_|_(count|total)$")


_LABEL = re.compile(r"^(name|code|label|title|desc|description|slug|display_name|term|abbreviation|short_name|synonyms?|group|"
                    r"category|units?|system|version|help_text|icon|colou?r)$|_(code|label|description|display)$")


# Clinical content rather than a person's identifiers: on a row that points at nobody they are a term's text.
_CLINICAL_CONTENT = frozenset({"diagnosis", "diagnosiscode", "clinicalnotes"})
_TERM_CODE = re.compile(r"(^|_)(code|icd\w*|snomed\w*|loinc\w*)$|_code(_\w+)?$")


def _terminology(m: ModelInfo, strong: list[str]) -> bool:
    """A terminology table: its only identifying-looking fields are clinical content, it relates to no model, and it
    carries a term code (`DiagnosisList(diagnosis, icd_11_code)`): patients' records point at its rows; it is no one's
    record itself."""
    if not {_norm(f) for f in strong} <= _CLINICAL_CONTENT or any(f.kind in RELATION_FIELDS for f in m.fields.values()):
        return False
    others = {name: f for name, f in m.fields.items() if _norm(name) not in _CLINICAL_CONTENT}
    return any(_TERM_CODE.search(name.lower()) for name in others) and all(
        _LABEL.search(name) or _BOOKKEEPING_NAMES.match(name) or f.kind in _BOOKKEEPING_KINDS
        or f.kind in _FLAG_KINDS for name, f in others.items())


def _reference_or_aggregate(m: ModelInfo) -> bool:
    """A model named after a clinical thing that is really a lookup table or a statistic.

    Reference data: no relation to any other model but lookups of its own kind, and a unique natural key
    (`name`/`code`/`label`... `unique=True`, `icd11_code`), a taxonomy (`parent = ForeignKey("self")`), or only
    names, codes and labels (`Diagnosis(name, dx_code)`, `Symptom(name, worst_label, best_label)`: a catalogue
    entry relates to no row, so it cannot be anyone's record). Aggregates: every stored value is a count
    (`num_patients_visited`, `admissions_total`), as in daily statistics.
    """
    fields = list(m.fields.values())
    relations = [f for f in fields if f.kind in RELATION_FIELDS]
    values = [f for f in fields if f.kind not in RELATION_FIELDS and "Date" not in f.kind]
    one_to_x = [f for f in relations if f.kind in RELATION_FIELDS[:2]]
    own_tree = [f for f in one_to_x if f.target in ("self", m.name, m.qualname)]
    if len(one_to_x) == len(own_tree) and (
            own_tree or any(f.unique and (f.name in _NATURAL_KEYS or f.name.endswith("_code")) for f in fields)):
        return True
    if not relations and values and not PERSON_NOUN.search(m.name) and all(
            _LABEL.search(f.name) or _BOOKKEEPING_NAMES.match(f.name) or f.kind in _BOOKKEEPING_KINDS
            or f.kind in _FLAG_KINDS for f in values):  # (a catalogue entry's flags: `default`, `show_in_menu`)
        return True
    return bool(values) and all(_COUNT.search(f.name) and "Integer" in f.kind for f in values)


def phi_field_names(project: ProjectIndex, vocab: Vocabulary) -> frozenset[str]:
    """The project's identifying field names: the vocabulary's (with `[tool.wardgate.domain] phi_fields`), the
    strong identifiers, and the fields of its patient models that carry one of those names' words
    (`patient_mrn`, `hospital_number`)."""
    names = set(vocab.phi_field_names()) | STRONG_PHI
    models = project.fact("django_models")
    if models is not None:
        for q in models.patient:
            for f in models.models[q].fields:
                if f.lower() in names or any(w in f.lower() for w in ("mrn", "nhs_number", "date_of_birth", "ssn")):
                    names.add(f.lower())
    return frozenset(names)
