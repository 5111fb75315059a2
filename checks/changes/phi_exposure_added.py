"""WG804: a serializer, form or response of patient data exposes PHI it did not expose at the base."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..finding import Category, Confidence, Finding, Severity
from ..names import ImportMap
from ..walk import walk
from .base import ChangeRule, Dangerous, FileDelta, Refactor

if TYPE_CHECKING:
    from ..facts.django_models import ModelIndex

_RESPONSES = frozenset({"Response", "JsonResponse", "HttpResponse", "render", "dict"})

MODELS = """\
from django.db import models


class Patient(models.Model):
    mrn = models.CharField(max_length=20)
    first_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    ward = models.CharField(max_length=20)
"""


@dataclass
class Exposure:
    fields: set[str]  # the PHI fields exposed
    all_fields: bool  # `fields = "__all__"` (or only `exclude`)
    line: int  # where the exposed list is written
    lines: dict[str, int] = field(default_factory=dict)  # field -> line of its mention
    model: str | None = None


def _strings(node: ast.AST | None) -> list[tuple[str, int]]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [(e.value, e.lineno) for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def exposures(d: FileDelta, side: str, rule: PhiExposureAdded) -> dict[str, Exposure]:
    """Per serializer/form class (by class name) and per view function returning dicts: the PHI it exposes."""
    src = d.before if side == "base" else d.after
    imports = d.imports_before if side == "base" else d.imports_after
    models = rule.changes.models(side)
    out: dict[str, Exposure] = {}
    if src is None or src.tree is None or imports is None or models is None or not models.patient:
        return out
    phi = rule.changes.vocab.phi_field_names()
    for node in src.nodes:
        if isinstance(node, ast.ClassDef):
            exp = _meta_exposure(node, imports, models, phi)
            if exp is not None:
                out[node.name] = exp
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[f"{node.name}()"] = _response_exposure(node, phi)
    return out


@dataclass
class _Meta:
    """What a serializer's or form's `class Meta` declares."""

    model: str | None = None
    fields: list[tuple[str, int]] | None = None  # (name, line); None: not listed
    exclude: list[str] = field(default_factory=list)
    all_fields: bool = False  # fields = "__all__", or only `exclude`
    line: int = 0  # where the exposed fields are declared


def _read_meta(meta: ast.ClassDef, imports: ImportMap) -> _Meta:
    out = _Meta(line=meta.lineno)
    for s in meta.body:
        if not isinstance(s, ast.Assign):
            continue
        for t in s.targets:
            if not isinstance(t, ast.Name):
                continue
            if t.id == "model":
                out.model = imports.qualname(s.value)
            elif t.id == "fields":
                out.line = s.lineno
                if isinstance(s.value, ast.Constant) and s.value.value == "__all__":
                    out.all_fields = True
                else:
                    out.fields = _strings(s.value)
            elif t.id == "exclude":
                out.exclude = [x for x, _ in _strings(s.value)]
                if out.fields is None:
                    out.all_fields, out.line = True, s.lineno
    return out


def _meta_exposure(node: ast.ClassDef, imports: ImportMap, models: ModelIndex, phi: frozenset[str]) -> Exposure | None:
    meta_class = next((s for s in node.body if isinstance(s, ast.ClassDef) and s.name == "Meta"), None)
    if meta_class is None:
        return None
    meta = _read_meta(meta_class, imports)
    info = models.lookup(meta.model)
    if info is None or info.qualname not in models.patient:
        return None
    if meta.all_fields:
        names = {f: info.fields[f].line for f in info.fields if f not in meta.exclude}
        exposed = {f for f in names if f.lower() in phi}
        return Exposure(exposed, True, meta.line, {f: meta.line for f in exposed}, info.qualname)
    listed = dict(meta.fields or [])
    listed.update({n: ln for n, ln in _declared_fields(node) if n in listed or meta.fields is None})
    exposed = {f for f in listed if f.lower() in phi}
    return Exposure(exposed, False, meta.line, {f: listed[f] for f in exposed}, info.qualname)


def _declared_fields(cls: ast.ClassDef) -> list[tuple[str, int]]:
    """Fields declared on the serializer or form itself: `dob = serializers.DateField(...)`."""
    return [(s.targets[0].id, s.lineno) for s in cls.body if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Call)]


def _response_exposure(fn: ast.FunctionDef | ast.AsyncFunctionDef, phi: frozenset[str]) -> Exposure:
    """PHI keys of dicts a view returns or hands to a response: `JsonResponse({"dob": p.date_of_birth})`."""
    exp = Exposure(set(), False, fn.lineno)
    for n in walk(fn):
        if not isinstance(n, ast.Call):
            continue
        callee = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
        if callee not in _RESPONSES:
            continue
        for arg in [*n.args, *(k.value for k in n.keywords)]:
            for d in (x for x in walk(arg) if isinstance(x, ast.Dict)):
                for k, v in zip(d.keys, d.values):
                    names = {k.value} if isinstance(k, ast.Constant) and isinstance(k.value, str) else set()
                    names |= {a.attr for a in walk(v) if isinstance(a, ast.Attribute)}
                    for name in names:
                        if name.lower() in phi:
                            exp.fields.add(name)
                            exp.lines.setdefault(name, (k or v).lineno)
    return exp


class PhiExposureAdded(ChangeRule):
    """## What it does
    Compares what the serializers, model forms and view responses of patient-data models expose at
    the base and the head. It reports PHI fields (the vocabulary's `phi_fields`: date of birth, SSN,
    MRN, name, address, phone...) added to a `Meta.fields` list, declared on the serializer, or added
    to a dict a view returns; and `fields = "__all__"` (or an `exclude`-only Meta) introduced on a class
    that listed its fields before.

    ## Why is this bad?
    A serializer that starts returning the date of birth sends it to every client of every endpoint
    using it, from the next deploy on. HIPAA's minimum-necessary standard wants each disclosure
    decided, and a privacy officer to know when it grows.

    ## Example
    ```python
    class PatientSerializer(serializers.ModelSerializer):
        class Meta:
            model = Patient
            fields = ["id", "mrn", "ward", "date_of_birth"]   # date_of_birth added
    ```

    Use instead: keep the PHI out of the list, or have compliance approve the new disclosure.
    """

    code = "WG804"
    name = "phi-exposure-added"
    category = Category.PHI
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 359
    summary = "PHI fields added to a serializer, form or response of patient data, or `__all__` introduced."
    hipaa = "§164.502(b) minimum necessary; §164.312(a)(1) access control"

    VALID = (
        Refactor(  # the list reordered and reformatted, a non-PHI field added
            before="""\
            from rest_framework import serializers
            from .models import Patient


            class PatientSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Patient
                    fields = ["id", "mrn"]
            """,
            after="""\
            from rest_framework import serializers
            from .models import Patient


            class PatientSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Patient
                    fields = [
                        "mrn",
                        "id",
                        "ward",
                    ]
            """,
            path="clinic/serializers.py", files=(("clinic/models.py", MODELS),)),
    )
    INVALID = (
        Dangerous(
            before="""\
            from rest_framework import serializers
            from .models import Patient


            class PatientSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Patient
                    fields = ["id", "mrn", "ward"]
            """,
            after="""\
            from rest_framework import serializers
            from .models import Patient


            class PatientSerializer(serializers.ModelSerializer):
                class Meta:
                    model = Patient
                    fields = ["id", "mrn", "ward", "date_of_birth"]
            """,
            line=8, path="clinic/serializers.py", files=(("clinic/models.py", MODELS),)),
        Dangerous(
            before="""\
            from django.http import JsonResponse
            from .models import Patient


            def patient_card(request, pk):
                p = Patient.objects.get(pk=pk)
                return JsonResponse({"ward": p.ward})
            """,
            after="""\
            from django.http import JsonResponse
            from .models import Patient


            def patient_card(request, pk):
                p = Patient.objects.get(pk=pk)
                return JsonResponse({"ward": p.ward, "dob": p.date_of_birth})
            """,
            line=7, path="clinic/views.py", files=(("clinic/models.py", MODELS),)),
    )

    def run(self) -> list[Finding]:
        for d in self.changes.deltas.values():
            src = d.after or d.before
            if src is None or src.looks_like_test or src.looks_like_migration:
                continue
            before, after = exposures(d, "base", self), exposures(d, "head", self)
            for name, new in after.items():
                old = before.get(name)
                if old is None:
                    continue  # a new serializer or view: the whole-file PHI checks judge it
                added = sorted(new.fields - old.fields)
                if new.all_fields and not old.all_fields:
                    self.report(d, new.line, f"`{name}` now exposes every field (`__all__`): "
                                f"{_list(old.fields)} → all fields{' incl. ' + _list(set(added)) if added else ''}",
                                properties={"before": sorted(old.fields), "after": "__all__"})
                elif added:
                    line = min(new.lines.get(f, new.line) for f in added)
                    end = max(new.lines.get(f, new.line) for f in added)
                    self.report(d, line, f"`{name}` now exposes {_list(set(added))} of patient data: "
                                f"{_list(old.fields)} → {_list(new.fields)}", end_line=end,
                                severity=Severity.HIGH,
                                properties={"before": sorted(old.fields), "after": sorted(new.fields)})
        return self.findings


def _list(fields: set[str]) -> str:
    return "[" + ", ".join(sorted(fields)) + "]" if fields else "no PHI"
